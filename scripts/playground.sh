#!/usr/bin/env bash
# The local playground: a bare git repository made from examples/podinfo, a real
# Prometheus on loopback scraping the cluster simulator, the simulator following the
# deploy branch, and gitcanary reconciling. Sourced by scripts/demo.sh and by the
# end-to-end tests (tests/e2e/); every function is prefixed pg_.
#
#   pg_start WORKDIR [CANARY_FILE]   make the repository and start everything
#   pg_set_image TAG                 commit and push an image bump of podinfo
#   pg_wait SUBJECT_REGEX SECONDS    wait for a deploy-branch commit whose subject matches,
#                                    among those made since the last pg_set_image
#   pg_follow                        print new deploy-branch subjects since the last call
#   pg_gate_open                     open podinfo.test's gate on the simulator's load tester
#   pg_alert TEXT SECONDS            wait for an alert containing TEXT at the simulator's
#                                    alert sink (gitcanary runs with --slack-url) and print it
#   pg_stop                          stop every process pg_start started
#
# Needs a build: build/ (scripts/build.sh), or the directory in $PG_BUILD.
# $PG_INTERVAL (default 5s) replaces the Canary's `analysis.interval: 1m`.

PG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PG_BUILD=${PG_BUILD:-$PG_ROOT/build}
PG_BIN=$PG_BUILD/reconciler/gitcanary
PG_SIM=$PG_BUILD/examples/gitcanary-sim
PG_PIDS=()
PG_SEEN=0
PG_MARK=0
PG_INTERVAL=${PG_INTERVAL:-5s}

pg_port() {
	# A free loopback port: nothing answers on it.
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		(exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
	done
}

pg_git() { git -C "$PG_WORK/src" "$@"; }

# The port the simulator logged for its `metrics` or `loadtester` listener.
pg_logged_port() {
	local port
	for _ in $(seq 100); do
		port=$(sed -n "s#.* info $1 on http://127.0.0.1:\([0-9]*\)/.*#\1#p" \
			"$PG_WORK/sim.log" | head -n 1)
		[ -n "$port" ] && { echo "$port"; return 0; }
		sleep 0.1
	done
	return 1
}

# Prometheus cannot pick its own port: try free ones until this instance (its
# storage path, not another process that took the port meanwhile) answers ready.
pg_start_prometheus() {
	local pid try
	cat >"$PG_WORK/prometheus.yml" <<YML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: gitcanary-sim
    static_configs:
      - targets: ['127.0.0.1:$PG_SIM_PORT']
YML
	for try in 1 2 3 4 5; do
		PG_PROM_PORT=$(pg_port)
		prometheus --config.file="$PG_WORK/prometheus.yml" \
			--storage.tsdb.path="$PG_WORK/prometheus-data" \
			--web.listen-address="127.0.0.1:$PG_PROM_PORT" \
			>>"$PG_WORK/prometheus.log" 2>&1 &
		pid=$!
		for _ in $(seq 150); do
			kill -0 "$pid" 2>/dev/null || break
			if curl -sf -m 2 "http://127.0.0.1:$PG_PROM_PORT/-/ready" >/dev/null &&
				curl -sf -m 2 "http://127.0.0.1:$PG_PROM_PORT/api/v1/status/flags" |
				grep -qF "$PG_WORK/prometheus-data"; then
				PG_PIDS+=("$pid")
				return 0
			fi
			sleep 0.2
		done
		echo "prometheus on port $PG_PROM_PORT did not start (try $try)" >&2
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	echo "prometheus did not start: see $PG_WORK/prometheus.log" >&2
	return 1
}

pg_start() {
	PG_WORK=$1
	local canary=${2:-}
	mkdir -p "$PG_WORK"

	# The repository a user would have: the example, intervals shortened.
	git init -q --bare -b main "$PG_WORK/remote.git"
	git init -q -b main "$PG_WORK/src"
	pg_git config user.name "Demo Developer"
	pg_git config user.email "dev@example.com"
	cp -r "$PG_ROOT/examples/podinfo/." "$PG_WORK/src/"
	[ -n "$canary" ] && cp "$canary" "$PG_WORK/src/canary.yaml"
	pg_git add -A && pg_git commit -qm "podinfo: the seed walkthrough"
	# The overlay: only the analysis interval changes (1m is too slow to watch).
	sed -i "s/^    interval: 1m$/    interval: $PG_INTERVAL/" "$PG_WORK/src/canary.yaml"
	pg_git commit -qam "demo: run the canary analysis every $PG_INTERVAL"
	pg_git remote add origin "$PG_WORK/remote.git"
	pg_git push -q origin main

	# The simulator picks its own free ports (port 0) and logs them.
	"$PG_SIM" --repo "$PG_WORK/remote.git" --branch deploy \
		--listen 127.0.0.1:0 --loadtester 127.0.0.1:0 \
		--scenario "$PG_ROOT/examples/scenarios/podinfo.scenario" \
		--poll 200ms --apply-delay 1s --rollout-time 2s \
		>"$PG_WORK/sim.log" 2>&1 &
	PG_PIDS+=($!)
	if ! PG_SIM_PORT=$(pg_logged_port metrics) ||
		! PG_LT_PORT=$(pg_logged_port loadtester); then
		echo "gitcanary-sim did not start: see $PG_WORK/sim.log" >&2
		return 1
	fi
	pg_start_prometheus || return 1
	"$PG_BIN" run --repo "$PG_WORK/remote.git" --poll 500ms --min-interval 1s \
		--listen 127.0.0.1:0 \
		--metrics-server "http://127.0.0.1:$PG_PROM_PORT" \
		--connect-to "flagger-loadtester.test:80:127.0.0.1:$PG_LT_PORT" \
		--connect-to "prometheus.istio-system:9090:127.0.0.1:$PG_PROM_PORT" \
		--slack-url http://flagger-loadtester.test/alerts/slack \
		--slack-channel demo --cluster-name playground \
		>"$PG_WORK/gitcanary.log" 2>&1 &
	PG_PIDS+=($!)
}

pg_set_image() {
	PG_MARK=$(pg_subjects | wc -l)
	sed -i "s#image: stefanprodan/podinfo:.*#image: stefanprodan/podinfo:$1#" \
		"$PG_WORK/src/deployment.yaml"
	pg_git commit -qam "podinfo: bump image to $1"
	pg_git pull -q --rebase origin main 2>/dev/null || true
	pg_git push -q origin main
}

# Flagger's series of gitcanary's /metrics (the port it logged), one curl.
pg_metrics() {
	local port
	port=$(sed -n 's#.* info listening on 127.0.0.1:\([0-9]*\)$#\1#p' \
		"$PG_WORK/gitcanary.log" | head -n 1)
	echo "\$ curl -s http://127.0.0.1:$port/metrics | grep '^flagger_canary_[sw]'"
	curl -fsS "http://127.0.0.1:$port/metrics" | grep '^flagger_canary_[sw]'
}

pg_subjects() {
	git --git-dir="$PG_WORK/remote.git" log --reverse --format=%s deploy 2>/dev/null
}

pg_follow() {
	local lines
	mapfile -t lines < <(pg_subjects)
	for ((i = PG_SEEN; i < ${#lines[@]}; i++)); do
		printf '  deploy: %s\n' "${lines[$i]}"
	done
	PG_SEEN=${#lines[@]}
}

pg_wait() {
	local re=$1 limit=$2 start=$SECONDS
	while ((SECONDS - start < limit)); do
		[ -n "${PG_VERBOSE:-}" ] && pg_follow
		pg_subjects | tail -n +$((PG_MARK + 1)) | grep -qE "$re" && return 0
		sleep 0.5
	done
	echo "timed out after ${limit}s waiting for a deploy commit matching: $re" >&2
	return 1
}

pg_gate_open() {
	curl -sf -m 5 -X POST -d '{"name":"podinfo","namespace":"test"}' \
		"http://127.0.0.1:$PG_LT_PORT/gate/open" >/dev/null
}

pg_alert() {
	local text=$1 limit=$2 start=$SECONDS line
	while ((SECONDS - start < limit)); do
		line=$(grep -F " alert slack: " "$PG_WORK/sim.log" | grep -F -- "$text" | tail -n 1)
		if [ -n "$line" ]; then
			printf '  sink: %s\n' "${line#* alert slack: }"
			return 0
		fi
		sleep 0.5
	done
	echo "timed out after ${limit}s waiting for an alert containing: $text" >&2
	return 1
}

pg_stop() {
	local pid
	for pid in "${PG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${PG_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	PG_PIDS=()
}
