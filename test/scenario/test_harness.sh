#!/usr/bin/env bash
#
# Tests of run_scenario.sh itself. Usage: test_harness.sh CASE BUILD_DIR
#
# Most cases boot core with a fake init: a shell script placed as ROM
# module "init" through a scenario directory (core execs the file), so they
# depend on core alone. The default-* cases boot config/default.config
# with the real init and components (skipped, exit 77, if init is not
# built). Exit: 0 pass, 1 fail, 2 usage, 77 skipped.
#
set -euo pipefail

if (($# != 2)); then
	echo "usage: test_harness.sh CASE BUILD_DIR" >&2
	exit 2
fi
CASE=$1
BUILD=$(cd "$2" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
RS=$ROOT/run_scenario.sh

# Every file and process of this test carries this path: the marker by
# which leftover processes are found. Under the build dir, because /tmp
# may be mounted noexec.
mkdir -p "$BUILD/harness-tmp"
TMP=$(mktemp -d "$BUILD/harness-tmp/$CASE.XXXXXX")
bg_pids=()
cleanup() {
	local p
	for p in "${bg_pids[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

failures=0
fail() {
	echo "FAIL: $*" >&2
	failures=$((failures + 1))
}
pass() { echo "ok: $*"; }
skip() {
	echo "SKIP: $*"
	exit 77
}

now_ms() { echo $((${EPOCHREALTIME//[!0-9]/} / 1000)); }

# run NAME ARGS...: runs run_scenario.sh, sets status, out, err, took_ms
run() {
	local name=$1 start
	shift
	start=$(now_ms)
	status=0
	"$RS" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" </dev/null || status=$?
	took_ms=$(($(now_ms) - start))
	out=$(cat "$TMP/$name.out")
	err=$(cat "$TMP/$name.err")
}

show() {
	echo "--- stdout:"
	printf '%s\n' "$out"
	echo "--- stderr:"
	printf '%s\n' "$err"
	echo "---"
}

# check DESCRIPTION EXPECTED_STATUS [STDERR_REGEX]
check() {
	local what=$1 want=$2 re=${3:-}
	if [[ $status != "$want" ]]; then
		fail "$what: exit status $status, expected $want"
		show
	elif [[ -n $re && ! $err =~ $re ]]; then
		fail "$what: stderr does not match '$re'"
		show
	else
		pass "$what (exit $status, ${took_ms} ms)"
	fi
}

# A scenario directory whose ROM "init" is the given shell script. Its
# config is empty: a fake init does not read it.
fake_scenario() {
	local dir=$TMP/$1
	mkdir -p "$dir"
	echo '<config/>' >"$dir/config"
	{
		echo '#!/bin/sh'
		echo 'PATH=/usr/local/bin:/usr/bin:/bin'
		# shellcheck disable=SC2016 # expanded by the fake init
		echo 'HERE=$(dirname "$0")'
		cat
	} >"$dir/init"
	chmod +x "$dir/init"
	printf '%s\n' "$dir"
}

running() { # pid runs (zombies do not)
	local line
	{ IFS= read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	line=${line##*) }
	[[ ${line%% *} != Z ]]
}

# Live processes whose command line or executable contains the marker.
marked_processes() {
	local marker=$TMP d pid cmd exe
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[[ $pid != "$$" && $pid != "$BASHPID" ]] || continue
		cmd=$(tr '\0' ' ' 2>/dev/null <"$d/cmdline") || continue
		exe=$(readlink "$d/exe" 2>/dev/null) || exe=
		if [[ $cmd == *"$marker"* || $exe == *"$marker"* ]] && running "$pid"; then
			printf '%s %s\n' "$pid" "${cmd:0:120}"
		fi
	done
}

check_no_leftovers() {
	local left _
	# whatever died with core may take a moment to be gone
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		left=$(marked_processes)
		[[ -n $left ]] || break
		sleep 0.1
	done
	if [[ -n $left ]]; then
		fail "$1: processes left behind:"
		printf '%s\n' "$left" >&2
	else
		pass "$1: no process left behind"
	fi
}

wait_for_file() { # file, seconds
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[[ -s $1 ]] && return 0
		sleep 0.05
	done
	return 1
}

wait_for_line() { # file, regex, seconds
	local i
	for ((i = 0; i < $3 * 20; i++)); do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# A fake init that prints "ready" once it has two children core does not
# know about: one in init's process group, one that left core's session
# (setsid). Their pids go to files in the scenario directory.
spawning_scenario() {
	local dir
	dir=$(fake_scenario "$1" <<'EOF'
if [ "${1:-}" = child ]; then
	echo $$ >"$HERE/child-$2.pid.tmp" && mv "$HERE/child-$2.pid.tmp" "$HERE/child-$2.pid"
	while :; do sleep 1; done
fi
"$0" child plain &
setsid "$0" child escaped &
while [ ! -s "$HERE/child-plain.pid" ] || [ ! -s "$HERE/child-escaped.pid" ]; do sleep 0.05; done
echo ready
while :; do sleep 1; done
EOF
)
	printf '%s\n' "$dir"
}

check_children_gone() {
	local dir=$1 what=$2 f pid
	for f in "$dir"/child-plain.pid "$dir"/child-escaped.pid; do
		if [[ ! -s $f ]]; then
			fail "$what: the fake init did not start its child ($f)"
			continue
		fi
		pid=$(<"$f")
		if running "$pid"; then
			fail "$what: child $pid ($(basename "$f")) still runs"
		fi
	done
}

require_init() {
	[[ -x $BUILD/bin/init ]] || skip "no init in $BUILD/bin"
}

case $CASE in
usage)
	run help --help
	check "--help" 0
	[[ $out == *"Exit codes"* && $out == *"4  timeout"* ]] || fail "--help does not document the exit codes"
	run bogus --build-dir "$BUILD" --bogus
	check "unknown option" 2 "unknown option"
	run noarg --build-dir "$BUILD" --expect
	check "--expect without argument" 2 "needs an argument"
	run badtimeout --build-dir "$BUILD" --timeout soon
	check "bad --timeout" 2 "--timeout"
	run badre --build-dir "$BUILD" --expect 'a(b'
	check "invalid regex" 2 "invalid regular expression"
	run twodebug --build-dir "$BUILD" --gdb a --valgrind b
	check "--gdb with --valgrind" 2 "--gdb and --valgrind"
	run twoscen --build-dir "$BUILD" a.config b.config
	check "two scenarios" 2 "more than one scenario"
	run badpreset --preset no-such-preset "$ROOT/config/default.config"
	check "unknown preset" 2 "unknown preset"
	run testexpect --test --expect x
	check "--test with --expect" 2 "--test takes only"
	run nobuild --build-dir "$TMP/none" "$ROOT/config/default.config"
	check "missing --build-dir" 2 "no such directory"
	;;

missing)
	run missing --build-dir "$BUILD" "$TMP/no-such-scenario.config"
	check "missing scenario file" 2 "no-such-scenario.config"
	[[ $(wc -l <"$TMP/missing.err") == 1 ]] || fail "missing scenario: more than one error line"
	((took_ms < 5000)) || fail "missing scenario: took $took_ms ms"
	;;

malformed)
	printf 'this is not XML\n' >"$TMP/text.config"
	: >"$TMP/empty.config"
	printf '  \n\t\n' >"$TMP/blank.config"
	printf '<!-- a comment that never ends\n<config/>\n' >"$TMP/comment.config"
	printf '<?xml version="1.0"?>\n<!-- c -->\n<start name="x"/>\n' >"$TMP/root.config"
	printf '\x7fELF\x00\x01\x02binary' >"$TMP/binary.config"
	mkdir "$TMP/noconfig.d"
	mkdir "$TMP/dir.config"
	for f in text empty blank comment root binary; do
		run "$f" --build-dir "$BUILD" "$TMP/$f.config"
		check "malformed scenario ($f)" 2 "$f.config"
		[[ $(wc -l <"$TMP/$f.err") == 1 ]] || fail "$f: more than one error line"
	done
	run noconfig --build-dir "$BUILD" "$TMP/noconfig.d"
	check "scenario directory without config" 2 "noconfig.d.*config"
	run dirconfig --build-dir "$BUILD" "$TMP/dir.config/"
	check "scenario directory without config" 2 "dir.config"
	# accepted: declaration and comments before <config ...>
	printf '<?xml version="1.0"?>\n<!-- x -->\n<config verbose="no"/>\n' >"$TMP/ok.config"
	mkdir "$TMP/ok.d"
	cp "$TMP/ok.config" "$TMP/ok.d/config"
	printf '#!/bin/sh\necho fake init up\nwhile :; do sleep 1; done\n' >"$TMP/ok.d/init"
	chmod +x "$TMP/ok.d/init"
	run okdir --build-dir "$BUILD" --expect 'fake init up' --timeout 10 "$TMP/ok.d"
	check "well-formed head is accepted" 0
	;;

malformed-init)
	# Passes the script's check; core or init finds the error. The run
	# must end (core refuses the config, init gives up, or the timeout
	# passes), never hang, and never succeed.
	dir=$(fake_scenario broken <<'EOF'
echo "fake init up"
while :; do sleep 1; done
EOF
)
	printf '<config>\n\t<start name="x">\n</config>\n' >"$dir/config"
	run broken --build-dir "$BUILD" --expect 'this line never appears' --timeout 10 "$dir"
	if [[ $status == 1 || $status == 4 ]] && ((took_ms < 20000)); then
		pass "broken XML inside <config>, --expect: failed cleanly (exit $status, $took_ms ms)"
	else
		fail "broken XML inside <config>, --expect: exit $status after $took_ms ms"
		show
	fi
	run brokennoexpect --build-dir "$BUILD" --timeout 10 "$dir"
	if [[ $status == 1 || $status == 2 || $status == 4 ]] && ((took_ms < 20000)); then
		pass "broken XML inside <config>: failed cleanly (exit $status, $took_ms ms)"
	else
		fail "broken XML inside <config>: exit $status after $took_ms ms"
		show
	fi
	check_no_leftovers "broken config"
	;;

timeout)
	dir=$(spawning_scenario never)
	run timeout --build-dir "$BUILD" --expect ready --expect 'a line never printed' \
		--timeout 2 "$dir"
	check "timeout" 4 "a line never printed"
	[[ $err == *"2 of 2"* ]] || fail "timeout: message does not say which --expect"
	((took_ms >= 2000 && took_ms < 2000 + 4000)) ||
		fail "timeout: took $took_ms ms for --timeout 2"
	[[ $out == *"[init] ready"* ]] || fail "timeout: init's output not shown"
	check_children_gone "$dir" timeout
	check_no_leftovers timeout
	;;

fail)
	dir=$(fake_scenario boom <<'EOF'
echo "all good"
echo "Error: boom"
while :; do sleep 1; done
EOF
)
	run fail --build-dir "$BUILD" --expect 'never printed' --fail 'Error: b..m' --timeout 20 "$dir"
	check "--fail" 1 "Error: b\.\.m"
	((took_ms < 6000)) || fail "--fail: took $took_ms ms, should fail at once"
	# --fail wins over an --expect matching the same line
	run failfirst --build-dir "$BUILD" --expect boom --fail boom "$dir"
	check "--fail before --expect" 1 "fail"
	check_no_leftovers fail
	;;

order)
	dir=$(fake_scenario order <<'EOF'
echo "second"
echo "first and second"
echo "first"
echo "something else"
echo "second"
while :; do sleep 1; done
EOF
)
	run inorder --build-dir "$BUILD" --expect '^\[init\] first$' --expect second "$dir"
	check "expectations in order" 0 "success"
	((took_ms < 6000)) || fail "in order: took $took_ms ms, should succeed at once"
	dir2=$(fake_scenario reversed <<'EOF'
echo "second"
echo "first and second"
echo "first"
while :; do sleep 1; done
EOF
)
	run reversed --build-dir "$BUILD" --expect '^\[init\] first' --expect second \
		--timeout 2 "$dir2"
	check "out of order or on one line does not count" 4 "second"
	check_no_leftovers order
	;;

exit)
	dir=$(fake_scenario quits <<'EOF'
echo "leaving now"
exit 0
EOF
)
	run exit --build-dir "$BUILD" --expect 'never printed' --timeout 20 "$dir"
	check "core exits before the expectations" 1 "core exited with status 1"
	((took_ms < 10000)) || fail "exit: took $took_ms ms"
	[[ $out == *"leaving now"* ]] || fail "exit: init's output not shown"
	run exitnoexpect --build-dir "$BUILD" "$dir"
	check "without --expect, core's status" 1 "status 1"
	run ram --build-dir "$BUILD" --ram 1 "$dir"
	check "without --expect, core's status (bad --ram)" 2
	run ramexpect --build-dir "$BUILD" --ram 1 --expect x "$dir"
	check "with --expect, core's bad status" 1 "status 2"
	;;

live)
	# Lines appear while core runs, not when it ends.
	dir=$(fake_scenario live <<'EOF'
echo "first line"
while :; do sleep 1; done
EOF
)
	"$RS" --build-dir "$BUILD" "$dir" >"$TMP/live.out" 2>"$TMP/live.err" </dev/null &
	pid=$!
	bg_pids+=("$pid")
	if wait_for_line "$TMP/live.out" 'first line' 5; then
		pass "output is shown as it comes"
	else
		fail "no output after 5 s"
	fi
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[[ $status == 143 ]] || fail "live: exit status $status after SIGTERM, expected 143"
	check_no_leftovers live
	;;

cleanup-success | cleanup-sigterm | cleanup-sigint)
	dir=$(spawning_scenario spawner)
	if [[ $CASE == cleanup-success ]]; then
		run success --build-dir "$BUILD" --expect ready "$dir"
		check "success" 0 "success"
	else
		sig=${CASE#cleanup-sig}
		sig=${sig^^}
		# job control: a background job that does not ignore SIGINT
		set -m
		"$RS" --build-dir "$BUILD" "$dir" >"$TMP/run.out" 2>"$TMP/run.err" </dev/null &
		pid=$!
		set +m
		bg_pids+=("$pid")
		wait_for_file "$dir/child-escaped.pid" 10 || fail "the fake init did not start"
		sleep 0.2
		n=$(marked_processes | wc -l)
		# the marker check must see what it is to miss later: init, children
		((n >= 3)) || fail "$CASE: only $n marked processes while running"
		kill -"$sig" "$pid"
		status=0
		wait "$pid" || status=$?
		want=$((128 + $(kill -l "$sig")))
		[[ $status == "$want" ]] || fail "$CASE: exit status $status, expected $want"
		pass "$CASE: exit $status"
	fi
	check_children_gone "$dir" "$CASE"
	check_no_leftovers "$CASE"
	;;

default-timeout | default-cleanup)
	# The default scenario with the real init and components, on copies of
	# the binaries, so that every process of this run carries the marker.
	require_init
	mkdir -p "$TMP/build"
	cp -a "$BUILD/bin" "$TMP/build/bin"
	if [[ $CASE == default-timeout ]]; then
		run default --build-dir "$TMP/build" --expect 'a line never printed' --timeout 3 \
			"$ROOT/config/default.config"
		check "default scenario: timeout" 4 "a line never printed"
		((took_ms >= 3000 && took_ms < 3000 + 4000)) ||
			fail "default-timeout: took $took_ms ms for --timeout 3"
		[[ $out == *"[init"* ]] || fail "default-timeout: nothing from init in the log"
	else
		"$RS" --build-dir "$TMP/build" "$ROOT/config/default.config" \
			>"$TMP/run.out" 2>"$TMP/run.err" </dev/null &
		pid=$!
		bg_pids+=("$pid")
		sleep 2
		n=$(marked_processes | wc -l)
		((n >= 2)) || fail "default-cleanup: only $n marked processes while running"
		kill -TERM "$pid"
		status=0
		wait "$pid" || status=$?
		[[ $status == 143 ]] || fail "default-cleanup: exit status $status, expected 143"
	fi
	check_no_leftovers "$CASE"
	;;

*)
	echo "test_harness.sh: unknown case '$CASE'" >&2
	exit 2
	;;
esac

if ((failures)); then
	echo "$failures failure(s)" >&2
	exit 1
fi
echo "all passed"
