#!/usr/bin/env bash
# init follows its config while it runs (Genode's dynamic reconfiguration):
# editing the scenario's config file
#  1 -> 2: changes a child's inline <config> (the child gets a signal and
#          reads the new version, it is not restarted) and its RAM quota
#          (init transfers the difference), removes a child (its process
#          ends) and adds one (it starts);
#  2 -> 3: changes a child's version (it restarts: its version count starts
#          over) while the rest of the file does not parse (init reports it
#          and keeps the previous configuration), then
#  3 -> 2+version: the fixed file applies;
#  then: a smaller RAM quota is taken back from the child.
#
# usage: reconfig.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(dirname "$0")/reconfig
scenario_setup "$1"
cp "$src/config.1" "$dir/config"
scenario_boot

await '\[init -> viewer\] version 1: .*step="one"'
await '\[init -> viewer\] quota: ram=1040384 '
timer=$(pgrep -P "$core" -x timer) || fail "no timer process"

cp "$src/config.2" "$dir/new" && mv "$dir/new" "$dir/config"
await '\[init -> viewer\] version 2: .*step="two"'
await '\[init -> viewer\] quota: ram=2088960 '
await '\[init -> late\] Test done\.'
for _ in $(seq 50); do
	kill -0 "$timer" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$timer" 2>/dev/null && fail "the removed timer still runs"

cp "$src/config.3" "$dir/config"
await 'config:[0-9]+:[0-9]+: .*'
await 'keeping the previous configuration'
grep -q 'step="three"' "$out" && fail "a broken config was applied"

sed '/<start name="broken"/d' "$src/config.3" >"$dir/new" && mv "$dir/new" "$dir/config"
await '\[init -> viewer\] version 1: .*step="three"'
grep -c 'Test done' "$out" | grep -qx 1 || fail "the unchanged child was restarted"
await '\[init -> viewer\] quota: ram=2088960 '

sed -e '/<start name="broken"/d' -e 's/ram="2M"/ram="1M"/' -e 's/step="three"/step="four"/' \
	"$src/config.3" >"$dir/new" && mv "$dir/new" "$dir/config"
await '\[init -> viewer\] version 2: .*step="four"'
await '\[init -> viewer\] quota: ram=1040384 '
grep -q 'downgrade failed' "$out" && fail "the downgrade failed"
grep -q 'quota invariant violated' "$out" && fail "quota invariant violated"
scenario_done "reconfig: ok"
