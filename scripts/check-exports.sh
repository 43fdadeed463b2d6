#!/usr/bin/env bash
# Every function a production library exports (a gc_ function of util/,
# repo-layout/, render/, reconciler/ or examples/) must be called by
# production code: from another object file (nm), or from its own file
# (a call on an indented line of its sources). One that only tests call is
# dead code; delete it or make the code that needs it call it. One that only
# its own file calls, and no test, should be static.
# Usage: scripts/check-exports.sh BUILD_DIR; lists the offenders, exit 1.
set -euo pipefail
build=${1:?usage: check-exports.sh BUILD_DIR}
src=$(cd "$(dirname "$0")/.." && pwd)
prod=(util repo-layout render reconciler examples)
mapfile -t objs < <(cd "$build" && find "${prod[@]}" -name '*.o' | sort)
if [ ${#objs[@]} -eq 0 ]; then
	echo "check-exports: no object files under $build" >&2
	exit 1
fi
# "object symbol" for every undefined symbol (a call into another file).
uses=$(cd "$build" && for o in "${objs[@]}"; do
	nm -u "$o" | awk -v o="$o" '{print o, $2}'
done)
status=0
for o in "${objs[@]}"; do
	for sym in $(nm --defined-only -g "$build/$o" |
		awk '$2 == "T" && $3 ~ /^gc_/ {print $3}'); do
		if awk -v o="$o" -v s="$sym" '$2 == s && $1 != o {f = 1}
			END {exit !f}' <<<"$uses"; then
			continue
		fi
		if ! (cd "$src" && grep -rqP --include="*.[ch]" "^\t(?!\s*\*).*\b$sym\b" "${prod[@]}"); then
			echo "$o: $sym is exported but no production code calls it"
			status=1
		elif ! (cd "$src" && grep -rqw --include="*.[ch]" "$sym" tests bench); then
			echo "$o: $sym is used only in its own file: make it static"
			status=1
		fi
	done
done
exit $status
