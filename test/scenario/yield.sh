#!/usr/bin/env bash
# Yield requests: lowering the RAM quota of a child that uses it makes init
# ask the child to yield; the child frees what it consumed, answers, and
# init completes the downgrade instead of failing it.
#
# usage: yield.sh BUILD_DIR
set -euo pipefail

bin=$1/bin
src=$(dirname "$0")/yield
dir=$(mktemp -d)
out=$dir/log
trap '{ kill -9 "$core" && wait "$core"; } 2>/dev/null || true; rm -rf "$dir"' EXIT
cp "$src/config.1" "$dir/config"

"$bin/core" --rom-dir "$dir" --rom-dir "$bin" >"$out" 2>&1 &
core=$!

await() {
	for _ in $(seq 100); do
		grep -qE "$1" "$out" && return 0
		sleep 0.1
	done
	cat "$out"
	echo "FAIL: no line matching '$1'"
	exit 1
}

await '\[init -> greedy\] consumed'
sed 's/ram="4M"/ram="1M"/' "$src/config.1" >"$dir/new" && mv "$dir/new" "$dir/config"
await '\[init -> greedy\] got yield request: ram_quota=3145728 cap_quota=0'
await '\[init -> greedy\] release 3M bytes of memory'
sleep 0.5
if grep -q 'downgrade failed' "$out"; then
	cat "$out"
	echo "FAIL: the downgrade failed after the yield"
	exit 1
fi
if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$out"; then
	grep -E -A20 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$out" | head -40
	echo "FAIL: a sanitizer report"
	exit 1
fi
echo "yield: ok"
