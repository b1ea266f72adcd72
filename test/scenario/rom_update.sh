#!/usr/bin/env bash
# A ROM module changed on disk reaches its client: boot test-rom on a copy
# of test/scenario/rom-update/, rewrite dynamic.txt twice (in place, then by
# rename as editors do), and expect each version in the log.
#
# usage: rom_update.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

scenario_setup "$1"
cp "$(dirname "$0")/rom-update/config" "$dir/config"
echo first >"$dir/dynamic.txt"
scenario_boot

await 'version 1: first'
echo second >"$dir/dynamic.txt"
await 'version 2: second'
echo exit >"$dir/new" && mv "$dir/new" "$dir/dynamic.txt"
await 'version 3: exit'
wait "$core"
scenario_done "rom update: ok"
