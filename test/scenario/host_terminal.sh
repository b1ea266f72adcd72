#!/usr/bin/env bash
# The host terminal (<host_terminal/>, driver host_terminal) with core's
# stdin fed by this script (test/scenario/host_terminal/):
#   echo     lines written to core's stdin (a FIFO) come back on core's
#            stdout in upper case from test-terminal_echo; after the end of
#            the input the driver keeps running
#   file     the same with core's stdin a regular file
#   tty      core on a pseudo terminal (script(1)): the driver reads its
#            controlling terminal without being stopped (SIGTTIN)
#   raw      <host_terminal raw="yes"/> on a pseudo terminal: core switches
#            it to raw mode (input unechoed, "\r" ends a line) and restores
#            the mode when it ends (SIGTERM); resizing the terminal reaches
#            the client as a size change
#   raw-notty  raw mode asked for on a stdin that is no terminal: core
#            warns, the grant stands
#   nested   a nested init passes the grant on; a second grant and one
#            from an init without it are refused naming the start node;
#            "quit" ends echo with exit value 0; the driver serves one
#            session at a time
#   run_scenario  ./run_scenario.sh --stdin passes its stdin on to the
#            grant; without --stdin core's stdin stays /dev/null
#   nogrant  no grant, nothing of the host: host_terminal refuses to run, a
#            component reads /dev/null as its stdin while core's stdin holds
#            data
#
# usage: host_terminal.sh BUILD_DIR CASE
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cases=$(dirname "$0")/host_terminal

# scenario_boot with core's stdin from $1 (a background job's stdin is
# /dev/null unless given explicitly)
boot_with_stdin() {
	"$bin/core" --rom-dir "$dir" --rom-dir "$bin" <"$1" >"$out" 2>&1 &
	core=$!
}

scenario_setup "$1"
long=$(printf 'abcdefghij%.0s' $(seq 30)) # 300 bytes: answered in pieces of 256
case $2 in
echo)
	cp "$cases/echo.config" "$dir/config"
	mkfifo "$dir/in"
	exec 7<>"$dir/in" # a writer first, so that core's open does not wait
	boot_with_stdin "$dir/in"
	await "echo. terminal size: 80x24"
	await "^terminal_echo: ready$"
	printf 'hello world\n' >&7
	await "^> HELLO WORLD$"
	printf 'second line\n%s\n' "$long" >&7
	await "^> SECOND LINE$"
	await "^> $(printf 'ABCDEFGHIJ%.0s' $(seq 25))ABCDEF$"
	await "^> GHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJ$"
	# more than the driver's buffer at once: it stops reading while full
	seq -f 'line %g' 600 >&7
	await "^> LINE 600$"
	[ "$(grep -cE '^> LINE [0-9]+$' "$out")" = 600 ] || fail "lines lost"
	exec 7>&- # the end of the input
	sleep 0.5
	kill -0 "$core" || fail "core ended"
	;;
file)
	cp "$cases/echo.config" "$dir/config"
	{ printf 'from a file\n'; seq -f 'line %g' 600; printf 'last\n'; } >"$dir/in"
	boot_with_stdin "$dir/in"
	await "^> FROM A FILE$"
	await "^> LAST$"
	[ "$(grep -cE '^> LINE [0-9]+$' "$out")" = 600 ] || fail "lines lost"
	sleep 0.3
	;;
tty)
	command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 0; }
	cp "$cases/echo.config" "$dir/config"
	mkfifo "$dir/in"
	exec 7<>"$dir/in"
	script -qfec "$bin/core --rom-dir $dir --rom-dir $bin" /dev/null <"$dir/in" >"$out" 2>&1 &
	core=$!
	await "terminal_echo: ready"
	printf 'typed\n' >&7
	await "> TYPED"
	printf 'quit\n' >&7
	await 'child "echo" exited with exit value 0'
	grep -qE "stopped|SIGTTIN|killed" "$out" && fail "the driver was stopped"
	exec 7>&-
	scenario_done "host_terminal $2: ok"
	exit 0
	;;
raw)
	command -v script >/dev/null || { echo "SKIP: no script(1)"; exit 0; }
	cp "$cases/raw.config" "$dir/config"
	mkfifo "$dir/in"
	exec 7<>"$dir/in"
	# core in the background of script's shell (the foreground process
	# group of the pseudo terminal), then the terminal's mode after core.
	# The shell is bash whatever $SHELL says: dash gives a background job
	# /dev/null as its stdin before it applies "<&0".
	# Once told (the file resize), the shell resizes the pseudo terminal:
	# the kernel sends SIGWINCH to core, which tells the driver.
	SHELL=$(command -v bash) script -qfec "$bin/core --rom-dir $dir --rom-dir $bin <&0 & echo core-pid=\$!; until [ -e $dir/resize ]; do sleep 0.05; done; stty cols 101 rows 33; wait; stty -a" \
		/dev/null <"$dir/in" >"$out" 2>&1 &
	core=$!
	await "^terminal_echo: ready"
	printf 'xyzzy\r' >&7 # Enter in raw mode
	await "^> XYZZY"
	grep -q xyzzy "$out" && fail "the terminal echoed the input: not raw"
	grep -q "no raw mode" "$out" && fail "core found no terminal"
	touch "$dir/resize"
	await "echo. terminal resized: 101x33"
	pid=$(sed -n 's/^core-pid=\([0-9]*\).*/\1/p' "$out")
	kill -TERM "$pid"
	await "isig icanon iexten echo "
	exec 7>&-
	scenario_done "host_terminal $2: ok"
	exit 0
	;;
raw-notty)
	# raw mode asked for while core's stdin is a FIFO: a warning, and the
	# component still gets every byte
	cp "$cases/raw.config" "$dir/config"
	mkfifo "$dir/in"
	exec 7<>"$dir/in"
	boot_with_stdin "$dir/in"
	await "^\\[init -> host_terminal\\] Warning: host terminal: no raw mode: core's stdin is not a terminal$"
	await "^terminal_echo: ready$"
	printf 'plain\r' >&7
	await "^> PLAIN$"
	exec 7>&-
	scenario_done "host_terminal $2: ok"
	exit 0
	;;
nested)
	cp "$cases/nested.config" "$dir/config"
	mkfifo "$dir/in"
	exec 7<>"$dir/in"
	boot_with_stdin "$dir/in"
	await "sub -> echo. twice: a second session: denied"
	await "host_terminal. .*Warning: denying session for 'echo -> second': the host terminal is in use by 'echo -> first'"
	await "^terminal_echo: ready$"
	printf 'nested\n' >&7
	await "^> NESTED$"
	grep -q 'Error: greedy: <host_terminal/>: not granted: another component holds the host terminal' "$out" ||
		fail "a second grant in sub"
	grep -q "init -> sub -> greedy. host terminal refused: held by 'init -> sub -> host_terminal'" "$out" ||
		fail "core does not name the holder"
	await 'Error: any: <host_terminal/>: not granted: my own parent did not grant it to me'
	await 'Error: second: <host_terminal/>: not granted: another component holds the host terminal'
	await 'Error: twice: more than one <host_terminal/> in its start node'
	printf 'quit\n' >&7
	await 'sub -> echo. quit'
	await 'child "echo" exited with exit value 0'
	grep -q "killed" "$out" && fail "a component was killed"
	scenario_done "host_terminal $2: ok"
	exit 0
	;;
nogrant)
	cp "$cases/nogrant.config" "$dir/config"
	printf 'secret input\n' >"$dir/in"
	boot_with_stdin "$dir/in"
	await "host_terminal. .*Error: no host terminal granted: my start node has no <host_terminal/>"
	await "probe. nogrant: fd 0: end of file, CAIRN_HOST_TERMINAL: unset"
	await 'probe. nogrant: granting myself: denied$'
	await 'child "probe" exited with exit value 0'
	scenario_done "host_terminal $2: ok"
	exit 0
	;;
run_scenario)
	root=$(cd "$(dirname "$0")/../.." && pwd)
	printf 'via run_scenario\nquit\n' |
		"$root/run_scenario.sh" --build-dir "$1" --stdin --timeout 20 \
			--expect '^> VIA RUN_SCENARIO$' --expect 'child "echo" exited with exit value 0' \
			"$cases/echo.config" >"$out" 2>&1 || fail "run_scenario.sh --stdin"
	rc=0
	printf 'not for anybody\n' |
		"$root/run_scenario.sh" --build-dir "$1" --timeout 2 --expect 'answered a line' \
			"$cases/echo.config" >"$out" 2>&1 || rc=$?
	[ "$rc" = 4 ] || fail "run_scenario.sh without --stdin: exit $rc, expected a timeout"
	grep -q "NOT FOR ANYBODY" "$out" && fail "core passed its stdin on without --stdin"
	grep -q "terminal_echo: ready" "$out" || fail "no terminal output"
	scenario_done "host_terminal $2: ok"
	exit 0
	;;
*)
	fail "unknown case $2"
	;;
esac
grep -qE "Error|Warning|killed|exited with exit value" "$out" && fail "an error in the log"
scenario_done "host_terminal $2: ok"
