#!/usr/bin/env bash
# Soak and fault test (on demand, not in CI; docs/reliability.md):
#
#   tests/soak/soak.sh [RELEASES] [OUTDIR]
#
# Runs RELEASES (default 4) releases through the local playground
# (scripts/playground.sh: the simulator, a real Prometheus, `gitcanary
# run`): good images alternating (3.1.1, 3.1.0, ...: promoted), the last
# one bad (3.1.2: rolled back; a good release right after a bad one fails
# in the simulator too, its canary metrics still carry the errors), twice:
#   reference  undisturbed;
#   soak       the daemon is killed with SIGKILL at random moments (every
#              0.3 to 4 s) and restarted, while another clone of the
#              repository pushes unrelated commits to main (every 1 to 3 s).
# Then it checks the soak run against the reference:
#   - the same stages: the (Phase, Canary-Weight) trailers of the deploy
#     commits, consecutive repeats collapsed, are the same sequence;
#   - no lost or duplicated stage: each "Advance ... weight N" and each
#     "Promotion completed!" / "Canary failed!" once per release;
#   - no non-fast-forward update of any branch (the bare repository's
#     reflogs: every new value descends from the old one);
#   - `git fsck --strict` clean.
# Exit 0 when every check holds. OUTDIR (default a temporary directory)
# keeps both runs' logs, stage lists and a summary.
set -euo pipefail
releases=${1:-4}
out=${2:-$(mktemp -d "${TMPDIR:-/tmp}/gc-soak-XXXXXX")}
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=SCRIPTDIR/../../scripts/playground.sh
. "$here/../../scripts/playground.sh"
mkdir -p "$out"
KILLER_PID= PUSHER_PID= DAEMON_PID=

stop_all() {
	for p in $KILLER_PID $PUSHER_PID; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	KILLER_PID= PUSHER_PID=
	if [ -f "$PG_WORK/daemon.pid" ]; then
		kill -9 "$(cat "$PG_WORK/daemon.pid")" 2>/dev/null || true
	fi
	pg_stop
}
trap 'stop_all' EXIT
trap 'exit 130' INT TERM

# The playground's own daemon, restarted by hand: same flags as pg_start
# (started from a subshell, so no shell reports its SIGKILLs).
daemon() {
	(
		"$PG_BIN" run --repo "$PG_WORK/remote.git" --poll 500ms --listen 127.0.0.1:0 \
			--min-interval 1s \
			--metrics-server "http://127.0.0.1:$PG_PROM_PORT" \
			--connect-to "flagger-loadtester.test:80:127.0.0.1:$PG_LT_PORT" \
			--connect-to "prometheus.istio-system:9090:127.0.0.1:$PG_PROM_PORT" \
			>>"$PG_WORK/gitcanary.log" 2>&1 &
		echo $! >"$PG_WORK/daemon.pid"
	)
}

# pg_set_image, whose push may race with the other clone's: retried.
set_image() {
	pg_set_image "$1" 2>/dev/null && return 0
	for _ in $(seq 30); do
		sleep 0.2
		pg_git pull -q --rebase origin main 2>/dev/null || true
		pg_git push -q origin main 2>/dev/null && return 0
	done
	return 1
}

killer() { # SIGKILL at random moments, restart at once
	while :; do
		sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.3 + r % 370 / 100 }')"
		kill -9 "$(cat "$PG_WORK/daemon.pid")" 2>/dev/null || true
		echo "$(date -u +%FT%TZ) SIGKILL" >>"$PG_WORK/kills.log"
		daemon
	done
}

pusher() { # another clone pushing unrelated commits to main
	local other=$PG_WORK/other n=0
	git clone -q "$PG_WORK/remote.git" "$other"
	while :; do
		sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 1 + r % 200 / 100 }')"
		n=$((n + 1))
		git -C "$other" pull -q --rebase origin main 2>/dev/null || continue
		echo "push $n" >>"$other/SOAK.md"
		git -C "$other" add SOAK.md
		git -C "$other" -c user.name=Other -c user.email=other@example.com \
			commit -qm "other clone: push $n"
		git -C "$other" push -q origin HEAD:main 2>/dev/null ||
			git -C "$other" reset -q --hard origin/main
	done
}

# one run: NAME, disturbed (0/1)
run() {
	local name=$1 disturb=$2 work=$out/$1 image
	rm -rf "$work"
	PG_MARK=0 PG_SEEN=0 # pg_wait counts commits from the last pg_set_image
	pg_start "$work"
	git --git-dir="$work/remote.git" config core.logAllRefUpdates always
	# take over the daemon pg_start started (the last process it keeps)
	kill "${PG_PIDS[-1]}" 2>/dev/null || true
	wait "${PG_PIDS[-1]}" 2>/dev/null || true # "Terminated" is expected
	unset 'PG_PIDS[-1]'
	daemon
	pg_wait '^Initialization done! podinfo.test$' 120
	if [ "$disturb" = 1 ]; then
		killer &
		KILLER_PID=$!
		pusher &
		PUSHER_PID=$!
	fi
	for ((i = 1; i <= releases; i++)); do
		if ((i < releases)); then
			image=$( ((i % 2)) && echo 3.1.1 || echo 3.1.0)
			set_image "$image"
			pg_wait '^Promotion completed! Scaling down podinfo.test$' 300
		else
			image=3.1.2
			set_image "$image"
			pg_wait '^Canary failed! Scaling down podinfo.test$' 300
		fi
		echo "$name: release $i ($image) done"
	done
	stop_all
	git --git-dir="$work/remote.git" log --reverse --format=%B deploy |
		git interpret-trailers --parse >/dev/null # trailers parse
	git --git-dir="$work/remote.git" log --reverse --format='%(trailers:key=Phase,valueonly,separator=%x2C) %(trailers:key=Canary-Weight,valueonly,separator=%x2C)' deploy |
		awk 'NF && $0 != last { print; last = $0 }' >"$work/stages"
	git --git-dir="$work/remote.git" log --reverse --format=%s deploy >"$work/subjects"
}

check() {
	local work=$out/soak fail=0 n
	if ! diff -u "$out/reference/stages" "$work/stages" >"$out/stages.diff"; then
		echo "FAIL: stages differ from the reference (stages.diff)"
		fail=1
	fi
	for w in 10 20 30 40 50; do
		n=$(grep -c "^Advance podinfo.test canary weight $w\$" "$work/subjects" || true)
		want=$(grep -c "^Advance podinfo.test canary weight $w\$" "$out/reference/subjects" || true)
		[ "$n" = "$want" ] || { echo "FAIL: weight $w: $n commits, reference $want"; fail=1; }
	done
	for s in 'Promotion completed! Scaling down podinfo.test' 'Canary failed! Scaling down podinfo.test'; do
		n=$(grep -cx "$s" "$work/subjects" || true)
		want=$(grep -cx "$s" "$out/reference/subjects" || true)
		[ "$n" = "$want" ] || { echo "FAIL: '$s': $n, reference $want"; fail=1; }
	done
	for log in "$work"/remote.git/logs/refs/heads/* "$work"/remote.git/logs/refs/notes/*; do
		[ -f "$log" ] || continue
		while read -r old new _; do
			[ "$old" = 0000000000000000000000000000000000000000 ] && continue
			git --git-dir="$work/remote.git" merge-base --is-ancestor "$old" "$new" ||
				{ echo "FAIL: non-fast-forward $old -> $new in ${log#"$work"/}"; fail=1; }
		done <"$log"
	done
	if ! git --git-dir="$work/remote.git" fsck --strict --no-progress >"$out/fsck.log" 2>&1; then
		echo "FAIL: git fsck (fsck.log)"
		fail=1
	fi
	return $fail
}

start=$SECONDS
run reference 0
run soak 1
status=0
check >"$out/failures" || status=1
{
	echo "date: $(date -u +%FT%TZ)"
	echo "machine: $(nproc) CPU $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(uname -sr)"
	echo "commit: $(git -C "$here" rev-parse --short HEAD)"
	echo "releases: $releases per run, $((SECONDS - start)) s in all"
	echo "daemon SIGKILLs: $(wc -l <"$out/soak/kills.log" 2>/dev/null || echo 0)"
	echo "pushes from the other clone: $(grep -c 'other clone' <(git --git-dir="$out/soak/remote.git" log --format=%s main) || true)"
	echo "deploy commits: reference $(wc -l <"$out/reference/subjects"), soak $(wc -l <"$out/soak/subjects")"
	echo "stages (collapsed): $(wc -l <"$out/soak/stages")"
	if [ $status = 0 ]; then echo "result: PASS"; else echo "result: FAIL"; cat "$out/failures"; fi
} | tee "$out/summary"
exit $status
