#!/usr/bin/env bash
#
# run_scenario.sh: build Cairn, boot a scenario under core, check its log.
# Run with --help for the options and the exit codes.
#
set -euo pipefail

readonly EXIT_OK=0 EXIT_FAIL=1 EXIT_USAGE=2 EXIT_SYSTEM=3 EXIT_TIMEOUT=4
readonly PROG=run_scenario
readonly GRACE_US=3000000 # how long core may take to stop before SIGKILL
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly ROOT

usage() {
	cat <<EOF
usage: ./run_scenario.sh [OPTION]... [SCENARIO]
       ./run_scenario.sh --test [--preset NAME] [-- CTEST-ARGS...]
       ./run_scenario.sh --bench [-- CTEST-ARGS...]

Builds what is stale, boots core with SCENARIO and prints the log as it
comes. SCENARIO is an init config file, or a directory whose file 'config'
is the init config and whose other files become ROM modules (they win over
the built binaries of the same name). Without SCENARIO it boots
config/default.config. All binaries in build/PRESET/bin are ROM modules.

  --expect REGEX     succeed once every --expect pattern has matched a log
                     line, in the order given (each one a later line than
                     the previous one); may be repeated
  --fail REGEX       fail as soon as a log line matches; may be repeated
  --timeout SECONDS  give up after SECONDS (default 60 with --expect, no
                     limit otherwise; 0 means no limit)
  --preset NAME      CMake preset to build and run (default: default)
  --build-dir DIR    do not build: use the binaries in DIR/bin
  --gdb NAME         run component NAME with its sandbox relaxed for gdb
  --valgrind NAME    run component NAME under valgrind
  --ram SIZE         RAM for core to hand out (K, M, G suffixes)
  --caps N           capabilities for core to hand out
  --verbose          ask core to be verbose
  --stdin            give core this script's standard input (else /dev/null),
                     for a scenario whose start node grants <host_terminal/>
                     (src/driver/host_terminal): type into the scenario
  --test             configure and build the preset, then run ctest with
                     everything but the bench and fuzz tests; without
                     --preset: the default build, then the ASan+UBSan build,
                     then the release build is built (not run)
  --bench            build the release preset and run the bench tests
  -h, --help         show this help

REGEX is a POSIX extended regular expression matched anywhere in a line.
Core, and with it every component, is stopped when this script ends, on
success, failure, timeout, Ctrl-C or SIGTERM.

Exit codes:
  0  success: every --expect matched (without --expect: core exited with 0)
  1  an expectation failed: a --fail pattern matched, or core exited
     before every --expect matched; without --expect: core's own non-zero
     exit status is passed on; with --test/--bench: a test failed
  2  usage error, or a missing, unreadable or malformed scenario
  3  system or build error (missing packages, failed build)
  4  timeout, with the pattern that was still awaited
  128+N  interrupted by signal N
EOF
}

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }

die() {
	local code=$1
	shift
	say "error: $*"
	exit "$code"
}

usage_error() {
	say "error: $*"
	say "try './run_scenario.sh --help'"
	exit "$EXIT_USAGE"
}

# ---- command line --------------------------------------------------------

mode=run
preset=default
preset_given=
build_dir=
scenario=
scenario_given=
timeout=
expects=()
fails=()
core_opts=()
debug_opt=
core_stdin=
extra_args=()

need_arg() {
	if (($2 < 2)); then
		usage_error "option $1 needs an argument"
	fi
}

while (($#)); do
	opt=$1
	# accept --opt=value as well as --opt value
	if [[ $opt == --*=* ]]; then
		set -- "${opt%%=*}" "${opt#*=}" "${@:2}"
		opt=$1
	fi
	case $opt in
	--expect)
		need_arg "$opt" $#
		expects+=("$2")
		shift 2
		;;
	--fail)
		need_arg "$opt" $#
		fails+=("$2")
		shift 2
		;;
	--timeout)
		need_arg "$opt" $#
		timeout=$2
		shift 2
		;;
	--preset)
		need_arg "$opt" $#
		preset=$2
		preset_given=1
		shift 2
		;;
	--build-dir)
		need_arg "$opt" $#
		build_dir=$2
		shift 2
		;;
	--gdb | --valgrind)
		need_arg "$opt" $#
		if [[ -n $debug_opt ]]; then
			usage_error "--gdb and --valgrind take one component, given once"
		fi
		debug_opt=$opt
		core_opts+=("$opt" "$2")
		shift 2
		;;
	--ram | --caps)
		need_arg "$opt" $#
		core_opts+=("$opt" "$2")
		shift 2
		;;
	--verbose)
		core_opts+=(--verbose)
		shift
		;;
	--stdin)
		core_stdin=1
		shift
		;;
	--test | --bench)
		if [[ $mode != run ]]; then
			usage_error "--test and --bench exclude each other"
		fi
		mode=${opt#--}
		shift
		;;
	-h | --help)
		usage
		exit "$EXIT_OK"
		;;
	--)
		shift
		if [[ $mode != run ]]; then
			extra_args=("$@")
			set --
		elif (($# == 1)) && [[ -z $scenario_given ]]; then
			scenario=$1
			scenario_given=1
			shift
		elif (($#)); then
			usage_error "more than one scenario given"
		fi
		;;
	-*)
		usage_error "unknown option '$opt'"
		;;
	*)
		if [[ -n $scenario_given ]]; then
			usage_error "more than one scenario given ('$scenario' and '$opt')"
		fi
		scenario=$opt
		scenario_given=1
		shift
		;;
	esac
done

check_regex() {
	local rc=0
	# shellcheck disable=SC2319 # the status of [[ ]] itself: 2 is a bad regex
	[[ "" =~ $1 ]] || rc=$?
	if ((rc == 2)); then
		usage_error "invalid regular expression '$1'"
	fi
}

for re in "${expects[@]}" "${fails[@]}"; do
	check_regex "$re"
done

if [[ $mode != run ]]; then
	if [[ -n $scenario_given || -n $build_dir || -n $timeout || ${#expects[@]} -gt 0 ||
		${#fails[@]} -gt 0 || ${#core_opts[@]} -gt 0 || -n $core_stdin ]]; then
		usage_error "--$mode takes only --preset and arguments for ctest after --"
	fi
	if [[ $mode == bench ]]; then
		if [[ -n $preset_given && $preset != release ]]; then
			usage_error "--bench always uses the release preset"
		fi
		preset=release
	fi
fi

if [[ -n $build_dir && -n $preset_given ]]; then
	say "note: --build-dir given, --preset $preset is not used"
fi

if [[ ! $preset =~ ^[A-Za-z0-9_.-]+$ ]] ||
	! grep -q "\"name\": *\"$preset\"" "$ROOT/CMakePresets.json"; then
	usage_error "unknown preset '$preset' (see CMakePresets.json)"
fi

# timeout in microseconds, 0 for none
timeout_us=0
if [[ -n $timeout ]]; then
	if [[ ! $timeout =~ ^([0-9]+)(\.([0-9]{1,6}))?$ ]]; then
		usage_error "--timeout wants seconds, got '$timeout'"
	fi
	frac=${BASH_REMATCH[3]}000000
	timeout_us=$((10#${BASH_REMATCH[1]} * 1000000 + 10#${frac:0:6}))
elif ((${#expects[@]})); then
	timeout=60
	timeout_us=60000000
fi

# ---- the scenario ------------------------------------------------------

scenario_error() {
	die "$EXIT_USAGE" "scenario '$1': $2"
}

# Enough of a check that a wrong file fails here, in one line, rather than
# somewhere in init: a readable, non-empty file whose first element, after
# an XML declaration and comments, is <config>.
check_config() {
	local file=$1 text rest root_re='^<config([[:space:]/>]|$)'
	if [[ ! -e $file ]]; then
		scenario_error "$file" "no such file"
	elif [[ ! -f $file ]]; then
		scenario_error "$file" "not a regular file"
	elif [[ ! -r $file ]]; then
		scenario_error "$file" "not readable"
	elif [[ ! -s $file ]]; then
		scenario_error "$file" "empty, expected an init config (<config>...</config>)"
	fi
	{ text=$(head -c 65536 -- "$file"); } 2>/dev/null || scenario_error "$file" "cannot read"
	while :; do
		text=${text#"${text%%[![:space:]]*}"}
		case $text in
		'<!--'*)
			rest=${text#*-->}
			if [[ $rest == "$text" ]]; then
				scenario_error "$file" "malformed XML: unterminated comment"
			fi
			text=$rest
			;;
		'<?'*)
			rest=${text#*'?>'}
			if [[ $rest == "$text" ]]; then
				scenario_error "$file" "malformed XML: unterminated declaration"
			fi
			text=$rest
			;;
		*) break ;;
		esac
	done
	if [[ $text != '<'* ]]; then
		scenario_error "$file" "malformed XML: does not start with '<'"
	fi
	if [[ ! $text =~ $root_re ]]; then
		scenario_error "$file" "not an init config: the root element must be <config>"
	fi
}

config=
rom_dir=
if [[ $mode == run ]]; then
	if [[ -z $scenario_given ]]; then
		scenario=$ROOT/config/default.config
	fi
	if [[ -z $scenario ]]; then
		scenario_error "" "empty scenario name"
	elif [[ -d $scenario ]]; then
		if [[ ! -e $scenario/config ]]; then
			scenario_error "$scenario" "directory without a 'config' file (the init config)"
		fi
		if [[ ! -r $scenario || ! -x $scenario ]]; then
			scenario_error "$scenario" "directory not readable"
		fi
		config=$scenario/config
		rom_dir=$scenario
	elif [[ -e $scenario ]]; then
		config=$scenario
	else
		scenario_error "$scenario" "no such file or directory"
	fi
	check_config "$config"
fi

# ---- build dependencies and the build ---------------------------------

have_package() {
	command -v dpkg-query >/dev/null 2>&1 &&
		[[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == *"install ok installed" ]]
}

have_library() { # pkg-config name, Debian package
	if command -v pkg-config >/dev/null 2>&1 && pkg-config --exists "$1"; then
		return 0
	fi
	have_package "$2"
}

missing_packages() {
	local -a miss=()
	command -v cmake >/dev/null 2>&1 || miss+=(cmake)
	command -v gcc >/dev/null 2>&1 || miss+=(gcc)
	if command -v dpkg-query >/dev/null 2>&1; then
		have_package libc6-dev || miss+=(libc6-dev)
	fi
	command -v pkg-config >/dev/null 2>&1 || miss+=(pkg-config)
	command -v make >/dev/null 2>&1 || command -v ninja >/dev/null 2>&1 || miss+=(make)
	have_library libseccomp libseccomp-dev || miss+=(libseccomp-dev)
	have_library libcap libcap-dev || miss+=(libcap-dev)
	if ((${#miss[@]})); then
		printf '%s\n' "${miss[@]}"
	fi
}

ensure_packages() {
	local -a miss
	mapfile -t miss < <(missing_packages)
	if ((${#miss[@]} == 0)); then
		return 0
	fi
	if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
		say "error: missing build packages: ${miss[*]}"
		say "install them with:"
		printf '  sudo apt-get install -y %s\n' "${miss[*]}" >&2
		exit "$EXIT_SYSTEM"
	fi
	say "installing missing build packages: ${miss[*]}"
	export DEBIAN_FRONTEND=noninteractive
	if ! apt-get update -q >&2 || ! apt-get install -y -q "${miss[@]}" >&2; then
		die "$EXIT_SYSTEM" "apt-get install ${miss[*]} failed"
	fi
	mapfile -t miss < <(missing_packages)
	if ((${#miss[@]})); then
		die "$EXIT_SYSTEM" "still missing after apt-get install: ${miss[*]}"
	fi
}

# Runs a command with its output kept aside; shows it only on failure.
quietly() {
	local what=$1 log rc=0
	shift
	log=$(mktemp "${TMPDIR:-/tmp}/run_scenario.log.XXXXXX")
	"$@" >"$log" 2>&1 || rc=$?
	if ((rc != 0)); then
		cat "$log" >&2
		rm -f "$log"
		die "$EXIT_SYSTEM" "$what failed (exit status $rc): $*"
	fi
	rm -f "$log"
}

build_preset() {
	local dir=$ROOT/build/$1
	local -a generator=()
	if [[ ! -f $dir/CMakeCache.txt ]]; then
		if ! command -v make >/dev/null 2>&1; then
			generator=(-G Ninja)
		fi
		say "configuring build/$1"
		quietly "configuring build/$1" cmake -S "$ROOT" --preset "$1" "${generator[@]}"
	fi
	quietly "building build/$1" cmake --build "$dir" --parallel "$(nproc 2>/dev/null || echo 2)"
}

run_ctest() {
	local p=$1 rc=0
	local -a jobs=(--parallel "$(nproc 2>/dev/null || echo 2)")
	if [[ $mode == bench ]]; then
		ctest --test-dir "$ROOT/build/$p" -L bench --verbose "${extra_args[@]}" || rc=$?
	elif sed -n '/"testPresets"/,$p' "$ROOT/CMakePresets.json" |
		grep -q "\"name\": *\"$p\""; then
		(cd "$ROOT" && ctest --preset "$p" "${jobs[@]}" "${extra_args[@]}") || rc=$?
	else
		ctest --test-dir "$ROOT/build/$p" --label-exclude 'bench|fuzz' \
			--output-on-failure "${jobs[@]}" "${extra_args[@]}" || rc=$?
	fi
	return "$rc"
}

if [[ $mode == test || $mode == bench ]]; then
	ensure_packages
	# --test without --preset runs the suite twice: the debug build, then
	# the ASan+UBSan build, as the project requires of every change
	presets=("$preset")
	if [[ $mode == test && -z $preset_given ]]; then
		presets=(default asan)
	fi
	for p in "${presets[@]}"; do
		build_preset "$p"
		say "running the tests of build/$p"
		rc=0
		run_ctest "$p" || rc=$?
		if ((rc != 0)); then
			say "ctest failed in build/$p (exit status $rc)"
			exit "$EXIT_FAIL"
		fi
	done
	# ... and the release build compiles too (what --bench runs): with
	# optimisation gcc finds warnings (-Werror) the other two do not
	if [[ $mode == test && -z $preset_given ]]; then
		build_preset release
	fi
	exit "$EXIT_OK"
fi

if [[ -n $build_dir ]]; then
	if [[ ! -d $build_dir ]]; then
		usage_error "--build-dir '$build_dir': no such directory"
	fi
	bin_dir=$(cd "$build_dir" && pwd)/bin
else
	ensure_packages
	build_preset "$preset"
	bin_dir=$ROOT/build/$preset/bin
fi
if [[ ! -x $bin_dir/core ]]; then
	die "$EXIT_SYSTEM" "no core binary in $bin_dir (is the build complete?)"
fi

# ---- core and its processes ---------------------------------------------

core_pid=
out_fd=
work_dir=

# "pid ppid session state" of every process
process_table() {
	local f line
	local -a field
	for f in /proc/[0-9]*/stat; do
		{ IFS= read -r line <"$f"; } 2>/dev/null || continue
		IFS=' ' read -r -a field <<<"${line##*) }"
		printf '%s %s %s %s\n' "${f//[!0-9]/}" "${field[1]}" "${field[3]}" "${field[0]}"
	done
}

# Every live process that may belong to core: core's descendants and the
# members of its session (core is a session leader, components do not
# leave its session). Zombies are dead already and left out.
core_processes() {
	local core=$1 pid ppid sid state
	local -A parent_of=() session_of=() in_tree=()
	local -a all=()
	while read -r pid ppid sid state; do
		[[ $state == Z ]] && continue
		parent_of[$pid]=$ppid
		session_of[$pid]=$sid
		all+=("$pid")
	done < <(process_table)
	in_tree[$core]=1
	local changed=1
	while ((changed)); do
		changed=0
		for pid in "${all[@]}"; do
			if [[ -z ${in_tree[$pid]:-} && -n ${in_tree[${parent_of[$pid]}]:-} ]]; then
				in_tree[$pid]=1
				changed=1
			fi
		done
	done
	for pid in "${all[@]}"; do
		if [[ $pid != "$core" && $pid != "$$" &&
			(-n ${in_tree[$pid]:-} || ${session_of[$pid]} == "$core") ]]; then
			printf '%s\n' "$pid"
		fi
	done
}

process_running() { # true while pid runs (a zombie or reaped process is not)
	local line
	{ IFS= read -r line <"/proc/$1/stat"; } 2>/dev/null || return 1
	line=${line##*) }
	[[ ${line%% *} != Z ]]
}

# Reads one line of core's output into 'line', waiting at most $1 seconds
# (no limit if empty). Returns 0 for a line, 1 at the end of the output
# ('line' holds an unterminated rest, if any), 2 on timeout (a partial
# line is kept in 'pending' for the next call).
pending=
read_line() {
	local rc=0 part=
	if [[ -n $1 ]]; then
		IFS= read -r -t "$1" -u "$out_fd" part || rc=$?
	else
		IFS= read -r -u "$out_fd" part || rc=$?
	fi
	if ((rc > 128)); then
		pending+=$part
		return 2
	fi
	line=$pending$part
	pending=
	if ((rc == 0)); then
		return 0
	fi
	return 1
}

# Prints what core still has to say, for at most $1 seconds per line.
# Returns 1 once the output has ended.
drain_output() {
	local rc=0
	[[ -n $out_fd ]] || return 1
	read_line "$1" || rc=$?
	if ((rc == 0)) || [[ $rc == 1 && -n $line ]]; then
		printf '%s\n' "$line"
	fi
	((rc != 1))
}

# Stops core and everything it started: SIGTERM, SIGKILL after a grace
# period, then SIGKILL for anything of core's that is still there.
core_status=
stop_core() {
	local pid=$core_pid deadline eof=0 p try
	local -a suspects=() alive=()
	[[ -n $pid ]] || return 0
	core_pid=
	if process_running "$pid"; then
		mapfile -t suspects < <(core_processes "$pid")
		kill -TERM "$pid" 2>/dev/null || true
		deadline=$((${EPOCHREALTIME//[!0-9]/} + GRACE_US))
		while process_running "$pid" && ((${EPOCHREALTIME//[!0-9]/} < deadline)); do
			if ((eof)); then
				sleep 0.05
			elif ! drain_output 0.05; then
				eof=1
			fi
		done
		if process_running "$pid"; then
			say "core did not stop within $((GRACE_US / 1000000))s, killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	fi
	core_status=0
	wait "$pid" 2>/dev/null || core_status=$?
	# the rest of what core printed before it went
	if [[ -n $out_fd ]]; then
		while ((!eof)) && drain_output 0.2; do
			[[ -z $pending ]] || break # silence in mid-line: give up
		done
		[[ -z $pending ]] || printf '%s\n' "$pending"
		pending=
		exec {out_fd}<&-
		out_fd=
	fi
	# The safety net: core kills its children at exit and they die with
	# it anyway (PR_SET_PDEATHSIG); whatever is left goes now.
	for try in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		mapfile -t -O "${#suspects[@]}" suspects < <(core_processes "$pid")
		alive=()
		for p in "${suspects[@]}"; do
			if process_running "$p"; then
				alive+=("$p")
			fi
		done
		((${#alive[@]})) || return 0
		if ((try == 20)); then
			say "warning: processes of core still running: ${alive[*]}"
			return 0
		fi
		kill -KILL "${alive[@]}" 2>/dev/null || true
		suspects=()
		sleep 0.05
	done
}

cleanup() {
	stop_core
	if [[ -n $work_dir ]]; then
		rm -rf "$work_dir"
	fi
}

on_signal() {
	trap '' INT TERM HUP PIPE
	# a trap may run inside 'IFS= read': word splitting as usual again
	IFS=$' \t\n'
	say "stopped by SIG$1"
	cleanup
	exit $((128 + $2))
}

trap cleanup EXIT
trap 'on_signal INT 2' INT
trap 'on_signal TERM 15' TERM
trap 'on_signal HUP 1' HUP
trap 'on_signal PIPE 13' PIPE

start_core() {
	local -a launch=()
	local -a args=(--rom "config=$config")
	if [[ -n $rom_dir ]]; then
		args+=(--rom-dir "$rom_dir")
	fi
	args+=(--rom-dir "$bin_dir" "${core_opts[@]}")
	# Core leads its own session, so the terminal's Ctrl-C reaches this
	# script alone and every component stays findable by session id; and
	# core gets SIGTERM should this script die without cleaning up.
	if command -v setsid >/dev/null 2>&1; then
		launch+=(setsid)
	fi
	if command -v setpriv >/dev/null 2>&1 && setpriv --help 2>&1 | grep -q -- --pdeathsig; then
		launch+=(setpriv --pdeathsig TERM --)
	fi
	work_dir=$(mktemp -d "${TMPDIR:-/tmp}/run_scenario.XXXXXX")
	mkfifo "$work_dir/out" || die "$EXIT_SYSTEM" "cannot create a fifo in $work_dir"
	# core passes its stdin only to a <host_terminal/> grant; by default
	# there is nothing to read
	if [[ -n $core_stdin ]]; then
		"${launch[@]}" "$bin_dir/core" "${args[@]}" <&0 >"$work_dir/out" 2>&1 &
	else
		"${launch[@]}" "$bin_dir/core" "${args[@]}" </dev/null >"$work_dir/out" 2>&1 &
	fi
	core_pid=$!
	exec {out_fd}<"$work_dir/out"
	rm -rf "$work_dir"
	work_dir=
}

describe_status() {
	local s=$1
	if ((s > 128 && s < 160)); then
		printf '%s (SIG%s)' "$s" "$(kill -l "$((s - 128))" 2>/dev/null || echo '?')"
	else
		printf '%s' "$s"
	fi
}

# ---- the run ---------------------------------------------------------------

start_core
start_us=${EPOCHREALTIME//[!0-9]/}
deadline_us=0
if ((timeout_us > 0)); then
	deadline_us=$((start_us + timeout_us))
fi

matched=0
outcome= # success, fail, timeout or exited
detail=

check_line() {
	local line=$1 re
	for re in "${fails[@]}"; do
		if [[ $line =~ $re ]]; then
			outcome=fail
			detail=$re
			return 0
		fi
	done
	if ((matched < ${#expects[@]})) && [[ $line =~ ${expects[matched]} ]]; then
		matched=$((matched + 1))
		if ((matched == ${#expects[@]})); then
			outcome=success
		fi
	fi
}

while [[ -z $outcome ]]; do
	wait_s=
	if ((deadline_us)); then
		left_us=$((deadline_us - ${EPOCHREALTIME//[!0-9]/}))
		if ((left_us <= 0)); then
			outcome=timeout
			break
		fi
		printf -v wait_s '%d.%06d' $((left_us / 1000000)) $((left_us % 1000000))
	fi
	rc=0
	read_line "$wait_s" || rc=$?
	if ((rc == 0)); then
		printf '%s\n' "$line"
		check_line "$line"
	elif ((rc == 1)); then
		# end of output: core is gone
		if [[ -n $line ]]; then
			printf '%s\n' "$line"
			check_line "$line"
		fi
		[[ -n $outcome ]] || outcome=exited
	fi
done

elapsed_s() {
	local us=$((${EPOCHREALTIME//[!0-9]/} - start_us))
	printf '%d.%03d' $((us / 1000000)) $((us % 1000000 / 1000))
}

awaited() {
	printf "'%s' (--expect %d of %d)" "${expects[matched]}" $((matched + 1)) "${#expects[@]}"
}

case $outcome in
success)
	took=$(elapsed_s)
	stop_core
	say "success: all ${#expects[@]} expected lines seen in ${took}s"
	exit "$EXIT_OK"
	;;
fail)
	stop_core
	say "failed: a line matched --fail '$detail'"
	exit "$EXIT_FAIL"
	;;
timeout)
	stop_core
	if ((matched < ${#expects[@]})); then
		say "timeout after ${timeout}s, still waiting for $(awaited)"
	else
		say "timeout after ${timeout}s"
	fi
	exit "$EXIT_TIMEOUT"
	;;
exited)
	stop_core
	if ((${#expects[@]} == 0)); then
		if ((core_status != 0)); then
			say "core exited with status $(describe_status "$core_status")"
		fi
		exit "$core_status"
	fi
	say "failed: core exited with status $(describe_status "$core_status")" \
		"before the log matched $(awaited)"
	exit "$EXIT_FAIL"
	;;
esac
