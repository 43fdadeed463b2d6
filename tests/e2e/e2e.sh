#!/usr/bin/env bash
# One end-to-end scenario on the local playground (scripts/playground.sh):
#
#   tests/e2e/e2e.sh SCENARIO OUTDIR
#
# runs a release and leaves in OUTDIR what a user sees on the deploy branch:
#   events       the `test/podinfo: ...` lines of every deploy commit body, in order,
#                without the prefix; readiness waits (`warning: ... not ready: ...`)
#                are left out, their number depends on timing
#   get          `gitcanary get`
#   tree/        the deploy branch's files (git archive)
#   diagnostics  the deploy log and the tails of gitcanary.log and sim.log
# Exit 0 when the release reached its last expected commit; otherwise 1, with the
# diagnostics on stderr. Every process is stopped on exit, whatever happened.
#
# Scenarios: success rollback template404 ab bluegreen gate (see tests/e2e/test_e2e.c).
# Environment: PG_BUILD (the build directory), PG_INTERVAL (default 5s). Below 5s the
# first metric check can come before Prometheus has two samples of the canary's new
# traffic (sim apply delay 1s + two 1s scrapes) and halts with "no values found".
set -euo pipefail
scenario=${1:?usage: e2e.sh SCENARIO OUTDIR}
out=${2:?usage: e2e.sh SCENARIO OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
fixtures=$here/../fixtures/e2e
# shellcheck source=SCRIPTDIR/../../scripts/playground.sh
. "$here/../../scripts/playground.sh"

case $scenario in
success | rollback | template404 | ab | bluegreen | gate) ;;
*)
	echo "unknown scenario: $scenario" >&2
	exit 2
	;;
esac
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/gc-test-e2e-$scenario-XXXXXX")

deploy_git() { git --git-dir="$work/remote.git" "$@"; }

collect() {
	{
		echo "== playground: $work"
		echo "== git log --reverse deploy"
		deploy_git log --reverse --format='--- %h %s%n%b' deploy 2>&1 || true
		echo "== tail gitcanary.log"
		tail -n 40 "$work/gitcanary.log" 2>&1 || true
		echo "== tail sim.log"
		tail -n 40 "$work/sim.log" 2>&1 || true
	} >"$out/diagnostics"
}

finish() {
	local rc=$?
	trap - EXIT INT TERM
	collect
	pg_stop
	if [ "$rc" -ne 0 ]; then
		echo "e2e $scenario failed (exit $rc); the playground stays in $work" >&2
		cat "$out/diagnostics" >&2
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap finish EXIT
trap 'exit 130' INT TERM

# A release of IMAGE from a fresh playground with CANARY (empty: the seed's).
release() {
	pg_start "$work" "$1"
	pg_wait '^Initialization done! podinfo.test$' 60
	pg_set_image "$2"
}

case $scenario in
success)
	release "" 3.1.1
	pg_wait '^Promotion completed! Scaling down podinfo.test$' 120
	;;
rollback)
	release "" 3.1.2
	pg_wait '^Canary failed! Scaling down podinfo.test$' 120
	;;
template404)
	release "$fixtures/canary-404.yaml" 3.1.4
	pg_wait '^Canary failed! Scaling down podinfo.test$' 120
	;;
ab)
	release "$fixtures/canary-ab.yaml" 3.1.1
	pg_wait '^Promotion completed! Scaling down podinfo.test$' 120
	;;
bluegreen)
	release "$fixtures/canary-bluegreen.yaml" 3.1.1
	pg_wait '^Promotion completed! Scaling down podinfo.test$' 120
	;;
gate)
	release "$fixtures/canary-gate.yaml" 3.1.1
	pg_wait '^Halt podinfo.test advancement waiting for promotion approval promotion-gate$' 90
	# A few closed-gate ticks before the reviewer opens it.
	sleep 5
	pg_gate_open
	pg_wait '^Promotion completed! Scaling down podinfo.test$' 60
	;;
esac

deploy_git log --reverse --format=%B deploy |
	sed -n 's#^test/podinfo: ##p' |
	grep -v -E '^warning: .* not ready: ' >"$out/events" || true
"$PG_BIN" get --repo "$work/remote.git" >"$out/get"
rm -rf "$out/tree"
mkdir -p "$out/tree"
deploy_git archive deploy | tar -x -C "$out/tree"
