#!/usr/bin/env bash
# lx_fs on a host directory granted by its start node (test/scenario/lx_fs/):
#   rom_to_file   Genode's rom_to_file.run: the ROM "message" is copied into
#                 the host directory, the host file must equal the module;
#                 fs_rom serves the host file "status" to rom_logger, and
#                 each host-side rewrite (in place, then by rename) is
#                 logged again (Genode's lx_fs_notify).
#   model         random operations of test-fs (mode model) checked
#                 against its model, writes of watched files notified
#                 (inotify); the host directory holds nothing else.
#   escape        hostile clients (test-fs mode escape, nopolicy): "..",
#                 symlinks out (relative, absolute), NUL, overlong paths
#                 all refused; the files outside are untouched; a
#                 read-only grant stays read-only (mode rogrant).
#   race          test-fs reads and writes through /a while this script
#                 moves /a out of the directory and swaps in a symlink to
#                 the outside: nothing outside is read or created.
#   nested        a nested init passes on only what its parent granted it
#                 (lx_fs/nested.config), and an init without a grant none.
#   grant         a component granted a read-only directory bypasses
#                 RESOLVE_BENEATH: the kernel (Landlock) refuses the
#                 outside and writing; open() kills it (seccomp).
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
model)
	cp "$cases/model.config" "$dir/config"
	scenario_boot
	await 'child "model-a" exited with exit value 0'
	await 'child "model-b" exited with exit value 0'
	[ "$(grep -c 'test-fs: model: 3000 operations .* as the model says' "$out")" = 2 ] ||
		fail "a model client did not finish"
	grep -qE 'model-a. test-fs: model: [1-9][0-9]* writes of watched files, each notified' "$out" ||
		fail "the watches of model-a"
	# nothing but the models' directories, files only in them
	extra=$(cd "$dir/fs" && find . -mindepth 1 ! -path './[ab]' ! -path './[ab]/d[0-2]' \
		! -path './[ab]/d[0-2]/f[0-7]')
	[ -z "$extra" ] || fail "unexpected host files: $extra"
	;;
escape)
	cp "$cases/escape.config" "$dir/config"
	mkdir "$dir/outside" "$dir/fs/sub"
	echo -n secret >"$dir/outside/secret"
	echo -n inside >"$dir/fs/inside.txt"
	echo -n "in sub" >"$dir/fs/sub/file"
	ln -s ../outside "$dir/fs/out"
	ln -s "$dir/outside" "$dir/fs/abs"
	ln -s /etc "$dir/fs/etc"
	ln -s ../../outside/secret "$dir/fs/sub/up"
	before=$(cd "$dir" && find . -mindepth 1 -path ./fs -prune -o -path ./log -o -print0 |
		sort -z | xargs -0 ls -ld --time-style=+%s.%N )
	scenario_boot
	await "lx_fs. .*Warning: no policy defined for label 'nopolicy -> /'"
	await "test-fs: nopolicy: denied"
	await "test-fs: rogrant: read-only"
	await "test-fs: escape: done"
	await 'child "escape" exited with exit value 0'
	after=$(cd "$dir" && find . -mindepth 1 -path ./fs -prune -o -path ./log -o -print0 |
		sort -z | xargs -0 ls -ld --time-style=+%s.%N )
	[ "$before" = "$after" ] || { diff <(echo "$before") <(echo "$after"); fail "something outside the granted directory changed"; }
	[ "$(cat "$dir/outside/secret")" = secret ] || fail "the secret changed"
	[ "$(readlink "$dir/fs/mine")" = / ] || fail "the client's symlink is not on the host"
	;;
race)
	cp "$cases/race.config" "$dir/config"
	mkdir "$dir/outside" "$dir/fs/a"
	echo -n SECRET >"$dir/outside/f"
	echo -n inside >"$dir/fs/a/f"
	scenario_boot
	await "race: start"
	i=0
	while ! grep -qE "test-fs: race: done|Error" "$out"; do
		i=$((i + 1))
		# out from under the server: /a moves outside, without the file
		# the client writes; a fresh /a takes its place
		mv "$dir/fs/a" "$dir/fs/hold$i"
		rm -f "$dir/fs/hold$i/w"
		mv "$dir/fs/hold$i" "$dir/outside/gone$i"
		mkdir "$dir/fs/a.new"
		echo -n inside >"$dir/fs/a.new/f"
		# a symlink to the outside where /a was
		ln -s ../outside "$dir/fs/a"
		rm "$dir/fs/a"
		mv "$dir/fs/a.new" "$dir/fs/a"
		((i < 20000)) || break
	done
	await "test-fs: race: done"
	[ "$(cat "$dir/outside/f")" = SECRET ] || fail "the outside file changed"
	escaped=$(find "$dir/outside" -name w)
	[ -z "$escaped" ] || fail "written outside the directory: $escaped"
	echo "race: $i moves"
	;;
nested)
	cp "$cases/nested.config" "$dir/config"
	mkdir -p "$dir/outside" "$dir/fs/outer/inner" "$dir/fs/other"
	echo -n secret >"$dir/outside/secret"
	echo -n inside >"$dir/fs/outer/inner/inside.txt"
	ln -s ../../../outside "$dir/fs/outer/inner/out"
	scenario_boot
	await 'Error: other: <host_dir path="fs/other">: not granted: beneath what my own parent granted me only'
	await 'Error: writeable: <host_dir path="fs/outer/inner">: not granted: beneath what my own parent granted me only, and writeable only if that is'
	await "sub -> grant. grant: read inside"
	await "sub -> grant. grant: outside refused by the kernel"
	await "grant. killed: forbidden system call openat"
	await 'Error: any: <host_dir path="fs">: not granted'
	scenario_done "lx_fs $2: ok"
	exit 0
	;;
grant)
	cp "$cases/grant.config" "$dir/config"
	mkdir "$dir/outside"
	echo -n secret >"$dir/outside/secret"
	echo -n inside >"$dir/fs/inside.txt"
	ln -s ../outside "$dir/fs/out"
	scenario_boot
	await "grant: read inside"
	await "grant: outside refused by the kernel"
	await "grant: read-only grant, writing refused"
	await "grant: attempting open"
	await "init -> grant. killed: forbidden system call openat"
	[ ! -e "$dir/fs/new" ] || fail "a file was created in a read-only grant"
	grep -q "Error" "$out" && fail "an error in the log"
	scenario_done "lx_fs $2: ok"
	exit 0
	;;
*)
	fail "unknown case $2"
	;;
esac
grep -qE "Error|killed|exited with exit value [1-9-]" "$out" && fail "an error in the log"
scenario_done "lx_fs $2: ok"
