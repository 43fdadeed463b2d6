#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang under ASan+UBSan
# into build-fuzz/ and runs each for SECONDS (default 30), seeded from
# examples/, tests/fixtures/ and tests/fuzz/seeds/<target>/. Findings
# (crash-*, leak-*, timeout-*) are kept in build-fuzz/findings/<target>/;
# the corpus grows in build-fuzz/corpus/<target>/ across runs.
#   scripts/fuzz.sh              every target for 30 s (what .ci/run does)
#   scripts/fuzz.sh 3600 yaml    one target for an hour
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
targets=${*:-yaml validate render template response receivers}
cc=${FUZZ_CC:-clang-14}
jobs=${FUZZ_JOBS:-$(nproc)}

CC=$cc cmake -S . -B build-fuzz -DGC_BUILD_FUZZERS=ON \
	-DGC_SANITIZE=address,undefined -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	>/dev/null
for t in $targets; do
	cmake --build build-fuzz -j"$jobs" --target "fuzz_$t" >/dev/null
done

seed() { # target dir: copy the seeds of a target into its corpus
	local t=$1 dir=$2
	mkdir -p "$dir"
	case $t in
	yaml | validate | render)
		find examples tests/fixtures -name '*.yaml' -size -64k \
			-exec cp -t "$dir" {} + 2>/dev/null || true ;;
	esac
	if [ -d "tests/fuzz/seeds/$t" ]; then
		cp tests/fuzz/seeds/"$t"/* "$dir"/ 2>/dev/null || true
	fi
}

status=0
for t in $targets; do
	corpus=build-fuzz/corpus/$t findings=build-fuzz/findings/$t
	[ -d "$corpus" ] || seed "$t" "$corpus"
	mkdir -p "$findings"
	echo "fuzz_$t: ${secs}s"
	if ! ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		"build-fuzz/tests/fuzz_$t" -max_total_time="$secs" \
		-timeout=10 -rss_limit_mb=2048 -max_len=65536 \
		-artifact_prefix="$findings/" -print_final_stats=1 \
		"$corpus" 2>"build-fuzz/fuzz_$t.log"; then
		echo "fuzz_$t: FAILED (build-fuzz/fuzz_$t.log, $findings)"
		tail -40 "build-fuzz/fuzz_$t.log"
		status=1
	else
		grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' \
			"build-fuzz/fuzz_$t.log" | tr '\n' ' '
		echo
	fi
done
exit $status
