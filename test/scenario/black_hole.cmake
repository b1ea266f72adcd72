# black_hole (src/server/black_hole) with test/component/test-black_hole.
# Included by CMakeLists.txt here, which defines cairn_scenario_test and
# fail_always.

# LOG, Report and ROM sessions swallow what they get, refuse malformed
# requests (one warning per session) and keep working; unsupported and
# unknown config nodes are named
cairn_scenario_test(black_hole CONFIG black_hole.config TIMEOUT 20
  EXPECT ".init -> black_hole. .*Warning: config:1:34: <nic/>: no such session on Cairn, ignored"
         ".init -> black_hole. .*Warning: config:1:41: unknown node <whatever>, ignored"
         ".init -> black_hole. .*Warning: session of 'test-black_hole -> swallow': unknown request 999 refused"
         ".init -> test-black_hole. LOG session swallowed 101 writes"
         ".init -> black_hole. .*Warning: session of 'test-black_hole -> brightness': unknown request 999 refused"
         ".init -> test-black_hole. Report session swallowed the reports"
         ".init -> test-black_hole. ROM reads <empty/>"
         ".init -> test-black_hole. test-black_hole: done"
         "child \"test-black_hole\" exited with exit value 0"
  FAIL "must not appear" "this one neither" "Error" "malformed request .* refused"
       ${fail_always})
# test-log's own LOG session goes to black_hole: it runs to the end, and
# not one of its lines reaches the log
cairn_scenario_test(black_hole-env-log CONFIG black_hole.config TIMEOUT 20
  EXPECT "child \"test-log\" exited with exit value 0"
  FAIL "init -> test-log" "Error" ${fail_always})
cairn_scenario_test(black_hole-rom-hostile CONFIG black_hole.config TIMEOUT 20
  EXPECT ".init -> black_hole. .*Warning: ROM session of 'test-rom-hostile -> whatever': unknown request 999 refused"
         ".init -> test-rom-hostile. malformed requests refused, ROM 'whatever' still served: <empty/>"
         ".init. child \"test-rom-hostile\" exited with exit value 0"
  FAIL "killed" "test-rom-hostile. .*Error" ${fail_always})
