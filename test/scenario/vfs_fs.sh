#!/usr/bin/env bash
# vfs's <fs/> plugin: an outer vfs mounts an inner vfs's ram three times
# (/inner, with static entries besides, /third and /again); test-fs (mode
# vfs_fs) reads, writes, lists and watches through it. Between its steps the script
#  1 -> 2: stops the inner vfs (SIGSTOP): a read of a file open at /inner
#          and an open at /third (a third session) time out after
#          timeout_ms, later requests there fail at once, the outer vfs
#          serves its own ram;
#  2 -> 3: continues it: /again (the other session) works again;
#  3 -> 4: kills it (SIGKILL): /again fails at once, the outer vfs goes on
#          with its own ram;
#  4 -> 5: removes the sub-init it lived in: the outer vfs and test-fs
#          lose the route of a session and become stuck (Genode's init
#          does not restart a child whose route is gone), keep running:
#          the <fs/> sub-trees are unavailable, the outer's ram is served.
#
# usage: vfs_fs.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(dirname "$0")/vfs_fs
scenario_setup "$1"
# its own binary name, to find its process
cp "$bin/vfs" "$dir/vfs_inner"
cp "$src/config" "$dir/config"
scenario_boot

step() { # N: the config of step N, the inner vfs's start node dropped if $2
	sed -e "s/step=\"1\"/step=\"$1\"/" "$src/config" >"$dir/new"
	if [ "${2:-}" = remove ]; then
		sed -i '/<start name="sub"/,/^\t<\/start>/d' "$dir/new"
	fi
	mv "$dir/new" "$dir/config"
}

await '\[init -> test-fs\] step 1 done, stop the inner vfs'
inner=$(pgrep -P "$core" -x vfs_inner) || fail "no inner vfs process"
kill -STOP "$inner"
step 2
await '\[init -> test-fs\] step 2 done, continue the inner vfs'
kill -CONT "$inner"
step 3
await '\[init -> test-fs\] step 3 done, kill the inner vfs'
kill -KILL "$inner"
await '\[init -> sub\] child "inner" was killed by signal SIGKILL'
step 4
await '\[init -> test-fs\] step 4 done, remove the inner vfs'
step 5 remove
await '\[init -> test-fs\] test-fs: vfs_fs: done'
grep -q 'test-fs\] Error' "$out" && fail "test-fs failed"
for label in inner third; do
	grep -qE "\[init -> outer\] .*Warning: file system .$label -> /. unavailable: no answer in time" \
		"$out" || fail "no warning about the stuck remote $label"
done
grep -qE '\[init -> outer\] .*Warning: file system .again -> /shared. unavailable: (object is gone|no reply)' \
	"$out" || fail "no warning about the dead remote"
grep -v 'child "inner" was killed' "$out" | grep -E 'killed' && fail "a component was killed"
scenario_done "vfs_fs: ok"
