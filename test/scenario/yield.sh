#!/usr/bin/env bash
# Yield requests: lowering the RAM quota of a child that uses it makes init
# ask the child to yield; the child frees what it consumed, answers, and
# init completes the downgrade instead of failing it.
#
# usage: yield.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(dirname "$0")/yield
scenario_setup "$1"
cp "$src/config.1" "$dir/config"
scenario_boot

await '\[init -> greedy\] consumed'
sed 's/ram="4M"/ram="1M"/' "$src/config.1" >"$dir/new" && mv "$dir/new" "$dir/config"
await '\[init -> greedy\] got yield request$'
await '\[init -> greedy\] yield request asks for ram_quota=3145728 cap_quota=0'
await '\[init -> greedy\] release 3M bytes of memory'
sleep 0.5
grep -q 'downgrade failed' "$out" && fail "the downgrade failed after the yield"
scenario_done "yield: ok"
