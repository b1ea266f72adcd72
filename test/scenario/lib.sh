# Shared by the scenario scripts (sourced): a scratch scenario directory,
# core booted on it, waiting for log lines, failing with the log.
#
#   scenario_setup BUILD_DIR   sets $bin, $dir (scratch), $out (core's log)
#   scenario_boot [ARGS...]    core on $dir then $bin, its pid in $core
#   await REGEX                wait up to 10 s for a line (extended regex)
#   fail MESSAGE               print the log and the message, exit 1
#   scenario_done MESSAGE      fail on sanitizer reports, else print MESSAGE

scenario_setup() {
	bin=$1/bin
	dir=$(mktemp -d)
	out=$dir/log
	core=
	trap '{ [ -n "$core" ] && kill -9 "$core" && wait "$core"; } 2>/dev/null || true; rm -rf "$dir"' EXIT
}

scenario_boot() {
	"$bin/core" "$@" --rom-dir "$dir" --rom-dir "$bin" >"$out" 2>&1 &
	core=$!
}

fail() {
	cat "$out"
	echo "FAIL: $*"
	exit 1
}

await() {
	for _ in $(seq 100); do
		grep -qE "$1" "$out" && return 0
		sleep 0.1
	done
	fail "no line matching '$1'"
}

scenario_done() {
	if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$out"; then
		fail "a sanitizer report"
	fi
	echo "$*"
}
