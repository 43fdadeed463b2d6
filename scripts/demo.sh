#!/usr/bin/env bash
# The main job: a whole progressive release on one machine, in about two minutes.
# Builds everything, makes a local bare repository from examples/podinfo, starts a
# real Prometheus scraping the cluster simulator, the simulator and gitcanary, then
# pushes the image bump 3.1.0 -> 3.1.1 (promoted) and a bad image 3.1.2 (rolled back),
# showing every deploy-branch commit as it lands, and the rollback's alert arriving
# at a local Slack-compatible sink (gitcanary --slack-url).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build.sh >/dev/null
# shellcheck source=playground.sh
. scripts/playground.sh

work=$(mktemp -d /tmp/gitcanary-demo-XXXXXX)
# A finished or interrupted demo leaves nothing behind; a failed one keeps
# its directory for the logs (and so does DEMO_KEEP=1).
demo_cleanup() {
	local rc=$?
	pg_stop
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 130 ] || [ -n "${DEMO_KEEP:-}" ]; then
		echo "== kept $work" >&2
	else
		rm -rf "$work"
	fi
}
trap demo_cleanup EXIT
trap 'echo; echo "interrupted: stopping"; exit 130' INT TERM
export PG_VERBOSE=1

echo "== playground in $work (logs: prometheus.log, sim.log, gitcanary.log)"
pg_start "$work"
echo "== gitcanary initializes podinfo.test on the deploy branch"
pg_wait '^Initialization done! podinfo.test$' 60

echo "== push: podinfo 3.1.0 -> 3.1.1 (healthy)"
pg_set_image 3.1.1
pg_wait '^Promotion completed! Scaling down podinfo.test$' 150

echo "== gitcanary's /metrics: Flagger's series (status 1 = succeeded, weights back to 100/0)"
pg_metrics

echo "== push: podinfo 3.1.1 -> 3.1.2 (20 % of requests answer 500)"
pg_set_image 3.1.2
pg_wait '^Canary failed! Scaling down podinfo.test$' 150
pg_follow
echo "== the rollback's alert, as the local Slack-compatible sink got it"
pg_alert 'Failed checks threshold reached' 30

echo
echo "== git log deploy (the audit trail)"
git --git-dir="$work/remote.git" log --format='%h %s' deploy
echo
echo "== gitcanary get"
./build/reconciler/gitcanary get --repo "$work/remote.git"
echo
echo "== summary: 3.1.1 promoted, 3.1.2 rolled back; primary runs:"
git --git-dir="$work/remote.git" show deploy:test/podinfo/deployment-podinfo-primary.yaml |
	grep 'image:'
