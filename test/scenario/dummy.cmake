# Scenario tests of the dummy component (src/app/dummy). Included by
# CMakeLists.txt, which defines cairn_scenario_test() and fail_always.
# Patterns avoid unbalanced brackets: "." stands for a literal "[" or "]".

# (a) a log line, then exit with the configured code; nothing after <exit>
cairn_scenario_test(dummy-exit CONFIG dummy-exit.config
  EXPECT ".init -> dummy. config 1: first$"
         ".init -> dummy. hello from dummy$"
         "child \"dummy\" exited with exit value 7"
  FAIL "after exit" "Error" ${fail_always})

# unknown nodes and bad attribute values are named; the rest still runs
cairn_scenario_test(dummy-nodes CONFIG dummy-nodes.config
  EXPECT "Warning: unknown config node <no_such_node>, ignored"
         "Error: <consume_ram>: attribute amount=\"12Q\" is not a number"
         "Error: <consume_ram>: attribute amount is missing"
         "Error: <consume_caps>: attribute amount=\"1000\" is out of range \\(1\\.\\.100\\)"
         "Error: <sleep>: attribute ms=\"soon\" is not a number"
         "Error: <log_service>: attribute verbose=\"perhaps\" is not a boolean"
         "Error: <create_log_connections>: attribute count=\"-1\" is not a number"
         "Error: <exit>: attribute code=\"x1\" is not an exit value"
         ".init -> dummy. still running$"
         "child \"dummy\" exited with exit value 0"
  FAIL "consume .* bytes of memory" "created LOG service" ${fail_always})

# (b) dummy as a LOG server for another dummy; the client's extra LOG
# connections are labelled by their index, as in Genode
cairn_scenario_test(dummy-log-service CONFIG dummy-log-service.config
  EXPECT ".init -> server. created LOG service$"
         ".init -> server. opening session with label client$"
         ".init -> server. .client. client started$"
         ".init -> server. .client. first line$"
         ".init -> server. .client. second line$"
         ".init -> server. .client. going to create 2 LOG connections$"
         ".init -> server. opening session with label client -> 0$"
         ".init -> server. opening session with label client -> 1$"
         ".init -> server. .client. created all LOG connections$"
         ".init -> server. closing session with label client -> (0|1)$"
         ".init -> server. closing session with label client -> (0|1)$"
         ".init -> server. .client. destroyed all LOG connections$"
         ".init -> server. .client. client done$"
         "child \"client\" exited with exit value 0"
  FAIL ".init -> client. client" "Error" ${fail_always})

cairn_scenario_test(dummy-log-chain CONFIG dummy-log-chain.config
  EXPECT ".init -> server. created LOG service$"
         ".init -> server. .indirect_server. created LOG service$"
         ".init -> server. .indirect_server. .client. client started$"
         "child \"client\" exited with exit value 0"
  FAIL "Error" ${fail_always})

# (c) RAM and caps within the quota, then beyond it
cairn_scenario_test(dummy-ram CONFIG dummy-ram.config
  EXPECT ".init -> dummy. consume 6M bytes of memory$"
         ".init -> dummy. release 6M bytes of memory$"
         ".init -> dummy. consume 3000 bytes of memory$"
         ".init -> dummy. consume 20 caps$"
         ".init -> dummy. release 20 caps$"
         ".init -> dummy. consume 10 caps$"
         ".init -> dummy. consumed$"
         "child \"dummy\" exited with exit value 0"
  FAIL "Error" ${fail_always})

cairn_scenario_test(dummy-ram-over CONFIG dummy-ram-over.config
  EXPECT ".init -> dummy. consume 16M bytes of memory$"
         "child \"dummy\" requests resources: ram_quota=16777216$"
  FAIL ".init -> dummy. still running" "exited" ${fail_always})

# (d) sleeping on a Timer session: "late" starts before "early" but
# sleeps longer; "forever" stops at <sleep_forever/>
cairn_scenario_test(dummy-sleep CONFIG dummy-sleep.config TIMEOUT 30
  EXPECT ".init -> forever. going to sleep forever$"
         ".init -> early. slept 200 ms$"
         ".init -> late. slept 1000 ms$"
         "child \"late\" exited with exit value 0"
  FAIL "woke up from sleep_forever" "Error" ${fail_always})

# The config ROM changes while dummy runs: a new version is executed and
# counted, the same version again is not, a malformed one is reported.
# dummy's config is the ROM module dummy-reconfig.xml in a temporary
# directory that this script rewrites.
add_test(NAME scenario_dummy-reconfig
  COMMAND bash -c [==[
set -euo pipefail
bin=$1/bin
dir=$(mktemp -d)
out=$dir/log
core=
trap '[ -n "$core" ] && kill -9 "$core" 2>/dev/null; rm -rf "$dir"' EXIT
rom() { printf '%s\n' "$1" >"$dir/new" && mv "$dir/new" "$dir/dummy-reconfig.xml"; }
await() {
	for _ in $(seq 100); do
		grep -Eq "$1" "$out" && return 0
		sleep 0.1
	done
	cat "$out"
	echo "FAIL: no line matching '$1'"
	exit 1
}
rom '<config version="one"> <log string="run one"/> </config>'
"$bin/core" --rom "config=$2" --rom-dir "$dir" --rom-dir "$bin" >"$out" 2>&1 &
core=$!
await '.init -> dummy. config 1: one$'
await '.init -> dummy. run one$'
rom '<config version="one"> <log string="same version run"/> </config>'
sleep 1
rom '<config version="two"> <log string="run two"/> </config>'
await '.init -> dummy. config 2: two$'
await '.init -> dummy. run two$'
rom '<config version="three"> <log string="bad"> </config>'
await 'Error: config:[0-9]+:[0-9]+: '
rom '<config version="three"> <log string="run three"/> <exit code="0"/> </config>'
await '.init -> dummy. config 3: three$'
await 'child "dummy" exited with exit value 0'
wait "$core" || { s=$?; cat "$out"; echo "FAIL: core exited with $s"; exit 1; }
core=
if grep -Eq 'same version run|ERROR: [A-Za-z]+Sanitizer|runtime error: |quota invariant' "$out"; then
	cat "$out"
	echo "FAIL: unexpected line"
	exit 1
fi
echo "dummy reconfig: ok"
]==] bash ${CMAKE_BINARY_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/dummy-reconfig.config)
set_tests_properties(scenario_dummy-reconfig PROPERTIES LABELS scenario TIMEOUT 60)

# environment LOG sessions routed in a cycle: named, the rest runs
cairn_scenario_test(route-cycle CONFIG route-cycle.config
  EXPECT "a: environment LOG sessions are routed in a cycle .a -> b -> a.: these children wait for each other and never start"
         ".init -> bystander. bystander runs"
         "child \"bystander\" exited with exit value 0"
  FAIL "a started" "b started" "b: environment LOG sessions are routed in a cycle" ${fail_always})
