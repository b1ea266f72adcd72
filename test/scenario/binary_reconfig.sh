#!/usr/bin/env bash
# Binaries from fs_rom across reconfigurations (binary-from-fs_rom.config,
# with the child from-fs kept running):
#   - fs_rom restarted (a new version): from-fs, whose binary session it
#     held, is restarted and runs again from the new fs_rom;
#   - the never-announcing server and its waiting client removed together:
#     no complaint about the client's binary session;
#   - back, then only the server removed: the waiting client's binary
#     session has no server any more, and init says so.
#
# usage: binary_reconfig.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

scenario_setup "$1"
config=$(dirname "$0")/binary-from-fs_rom.config
sed 's|<exit code="7"/>|<sleep_forever/>|' "$config" >"$dir/config.full"
cp "$dir/config.full" "$dir/config"
scenario_boot
await "from-fs. running from fs_rom's dataspace"

# replace the file (a new inode: core's ROM notices)
set_config() {
	cp "$1" "$dir/config.new"
	mv "$dir/config.new" "$dir/config"
}

sed 's|<start name="fs_rom" ram="8M">|<start name="fs_rom" ram="8M" version="2">|' \
	"$dir/config.full" >"$dir/config.restart"
set_config "$dir/config.restart"
for _ in $(seq 100); do
	[ "$(grep -c "from-fs. running from fs_rom's dataspace" "$out")" -ge 2 ] && break
	sleep 0.1
done
[ "$(grep -c "from-fs. running from fs_rom's dataspace" "$out")" -ge 2 ] ||
	fail "from-fs did not run again after fs_rom's restart"

# both gone at once: quiet
awk '/<start name="silent">/,/<\/start>/ { next } /<start name="waiting">/,/<\/start>/ { next } 1' \
	"$dir/config.restart" >"$dir/config.both"
set_config "$dir/config.both"
sleep 1
grep -q "its server is gone" "$out" && fail "init complained about a child it removed"

# back, then only the server gone: said
set_config "$dir/config.restart"
sleep 1
awk '/<start name="silent">/,/<\/start>/ { next } 1' "$dir/config.restart" >"$dir/config.server"
set_config "$dir/config.server"
await 'Error: waiting: binary ROM "fs-dummy": its server is gone'
grep -qE "killed|exited with exit value 127" "$out" && fail "a child was killed"
kill -0 "$core" || fail "core ended"
scenario_done "binary reconfig: ok"
