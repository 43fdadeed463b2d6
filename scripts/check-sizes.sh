#!/usr/bin/env bash
# No production source file over 1,200 lines (docs/architecture.md): a file
# that grows past it holds more than one job and wants splitting.
set -euo pipefail
cd "$(dirname "$0")/.."
limit=1200
status=0
while read -r n f; do
	if [ "$f" != total ] && [ "$n" -gt $limit ]; then
		echo "$f: $n lines, over $limit"
		status=1
	fi
done < <(git ls-files -- util repo-layout render reconciler examples |
	grep -E '\.[ch]$' | xargs wc -l)
exit $status
