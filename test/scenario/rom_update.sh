#!/usr/bin/env bash
# A ROM module changed on disk reaches its client: boot test-rom on a copy
# of test/scenario/rom-update/, rewrite dynamic.txt twice (in place, then by
# rename as editors do), and expect each version in the log.
#
# usage: rom_update.sh BUILD_DIR
set -euo pipefail

bin=$1/bin
dir=$(mktemp -d)
out=$dir/log
trap '{ kill -9 "$core" && wait "$core"; } 2>/dev/null || true; rm -rf "$dir"' EXIT
cp "$(dirname "$0")/rom-update/config" "$dir/config"
echo first >"$dir/dynamic.txt"

"$bin/core" --rom-dir "$dir" --rom-dir "$bin" >"$out" 2>&1 &
core=$!

await() {
	for _ in $(seq 100); do
		grep -q "$1" "$out" && return 0
		sleep 0.1
	done
	cat "$out"
	echo "FAIL: no line matching '$1'"
	exit 1
}

await 'version 1: first'
echo second >"$dir/dynamic.txt"
await 'version 2: second'
echo exit >"$dir/new" && mv "$dir/new" "$dir/dynamic.txt"
await 'version 3: exit'
wait "$core"
if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$out"; then
	grep -E -A20 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$out" | head -40
	echo "FAIL: a sanitizer report"
	exit 1
fi
echo "rom update: ok"
