#!/usr/bin/env bash
# lx_fs on a host directory granted by its start node (test/scenario/lx_fs/):
#   rom_to_file   Genode's rom_to_file.run: the ROM "message" is copied into
#                 the host directory, the host file must equal the module;
#                 fs_rom serves the host file "status" to rom_logger, and
#                 each host-side rewrite (in place, then by rename) is
#                 logged again (Genode's lx_fs_notify).
#
# usage: lx_fs.sh BUILD_DIR CASE
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cases=$(dirname "$0")/lx_fs

scenario_setup "$1"
mkdir "$dir/fs"
case $2 in
rom_to_file)
	cp "$cases/rom_to_file.config" "$dir/config"
	printf 'Hello from the ROM module\nsecond line\n' >"$dir/message"
	echo first >"$dir/fs/status"
	scenario_boot
	await "rom_logger. ROM 'status':"
	await "rom_logger.   first"
	for _ in $(seq 100); do
		cmp -s "$dir/message" "$dir/fs/message" && break
		sleep 0.1
	done
	cmp "$dir/message" "$dir/fs/message" || fail "the host file differs from the ROM"
	echo second >"$dir/fs/status"
	await "rom_logger.   second"
	echo third >"$dir/fs/new" && mv "$dir/fs/new" "$dir/fs/status"
	await "rom_logger.   third"
	;;
*)
	fail "unknown case $2"
	;;
esac
grep -qE "Error|killed|exited with exit value [1-9-]" "$out" && fail "an error in the log"
scenario_done "lx_fs $2: ok"
