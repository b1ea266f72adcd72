#!/usr/bin/env bash
# Checks the sandbox of every running component from the outside:
# /proc/PID/status shows Seccomp 2, NoNewPrivs 1, no capabilities (and
# an empty bounding set where core may empty it: as root), no blocked
# signals (core's own mask is not inherited); comm is the binary's name; stdin is /dev/null, stdout and
# stderr go to core, fd 3 is the parent capability, and nothing else was
# inherited. Then it stops core and checks that no component outlives it.
#
# usage: confinement.sh BUILD_DIR
set -euo pipefail

bin=$1/bin
scenario=$(dirname "$0")/../../config/default.config
out=$(mktemp)
trap 'kill -9 "$core" 2>/dev/null || true; rm -f "$out"' EXIT

"$bin/core" --rom config="$scenario" --rom-dir "$bin" >"$out" 2>&1 &
core=$!

# wait until the long-lived servers are up
for _ in $(seq 100); do
	grep -q 'session created' "$out" && break
	sleep 0.1
done
grep -q 'session created' "$out" || { cat "$out"; echo "FAIL: scenario did not come up"; exit 1; }

# Core empties a component's bounding set where it may (CAP_SETPCAP, as
# root); run by a normal user it cannot, and need not: with no_new_privs
# and no capabilities an exec gains none.
own_caps=$(awk '/^CapEff:/ { print $2 }' /proc/self/status)
bounding_set_empty=$(((16#$own_caps >> 8) & 1)) # CAP_SETPCAP

fail=0
checked=0
children=$(pgrep -P "$core")
# Findings are collected per process and count only if it still runs
# afterwards: a component that ends while we look (test-timer does) takes
# its fds and /proc entries with it, which is no finding.
check_component() {
	local pid=$1 comm status f n t
	comm=$(cat "/proc/$pid/comm") || return 0
	status=$(cat "/proc/$pid/status") || return 0
	grep -q '^Seccomp:[[:space:]]*2$' <<<"$status" || echo "FAIL: $comm ($pid) not in seccomp filter mode"
	grep -q '^NoNewPrivs:[[:space:]]*1$' <<<"$status" || echo "FAIL: $comm ($pid) lacks no-new-privs"
	grep -q '^SigBlk:[[:space:]]*0000000000000000$' <<<"$status" || echo "FAIL: $comm ($pid) inherited blocked signals"
	for set in CapInh CapPrm CapEff CapAmb; do
		grep -q "^$set:[[:space:]]*0000000000000000$" <<<"$status" || echo "FAIL: $comm ($pid) has capabilities in $set"
	done
	if [ "$bounding_set_empty" = 1 ]; then
		grep -q '^CapBnd:[[:space:]]*0000000000000000$' <<<"$status" || echo "FAIL: $comm ($pid) has a bounding set"
	fi
	[ -x "$bin/$comm" ] || echo "FAIL: process name '$comm' ($pid) is not a binary's name"
	[ "$(readlink "/proc/$pid/fd/0")" = /dev/null ] || echo "FAIL: $comm: stdin is not /dev/null"
	for fd in 1 2; do
		[[ $(readlink "/proc/$pid/fd/$fd") == pipe:* ]] || echo "FAIL: $comm: fd $fd is not core's pipe"
	done
	[[ $(readlink "/proc/$pid/fd/3") == socket:* ]] || echo "FAIL: $comm: fd 3 is not the parent capability"
	# everything else must be a capability (socket) or the entrypoint's
	# own epoll/timer fds: never a file, directory or device
	for f in /proc/"$pid"/fd/*; do
		n=${f##*/}
		[ "$n" -le 3 ] && continue
		t=$(readlink "$f") || continue # closed while we look (init closing sessions)
		case $t in
		socket:* | anon_inode:* | /memfd:*) ;;
		*) echo "FAIL: $comm: unexpected fd $n -> $t" ;;
		esac
	done
}

for pid in $children; do
	findings=$(check_component "$pid" 2>/dev/null || true)
	[ -d "/proc/$pid" ] || continue # it ended meanwhile: not checked
	if [ -n "$findings" ]; then
		echo "$findings"
		fail=1
	fi
	checked=$((checked + 1))
done
[ "$checked" -ge 3 ] || { echo "FAIL: only $checked components found"; fail=1; }
echo "checked $checked components"

kill -TERM "$core"
wait "$core" || true
sleep 0.2
left=""
for pid in $children; do
	kill -0 "$pid" 2>/dev/null && left="$left $pid"
done
if [ -n "$left" ]; then
	echo "FAIL: components outlived core: $left"
	fail=1
fi
[ "$fail" -eq 0 ] && echo "confinement: ok"
exit "$fail"
