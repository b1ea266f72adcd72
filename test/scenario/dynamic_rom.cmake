# dynamic_rom and rom_logger (src/server/dynamic_rom, src/app/rom_logger).
# Included by CMakeLists.txt here, which defines cairn_scenario_test and
# fail_always.

# a verbose timeline: change, sleep, remove, change without description,
# then the timeline again from the start; rom_logger logs each version,
# an invalid ROM as such, and multi-line content as Genode's print_lines
cairn_scenario_test(dynamic_rom CONFIG dynamic_rom.config TIMEOUT 20
  EXPECT ".init -> dynamic_rom. state: change \\(first\\)$"
         ".init -> dynamic_rom. state: sleep 150 milliseconds$"
         ".init -> rom_logger. ROM 'state':$"
         ".init -> rom_logger.   <state value=\"1\"/>$"
         ".init -> dynamic_rom. state: remove$"
         ".init -> rom_logger. ROM 'state' is invalid$"
         ".init -> dynamic_rom. state: change$"
         ".init -> rom_logger. ROM 'state':$"
         ".init -> rom_logger.   <state value=\"2\">$"
         ".init -> rom_logger.   	<detail text=\"a &amp. b\"/>$"
         ".init -> rom_logger.   </state>$"
         ".init -> dynamic_rom. state: change \\(first\\)$"
         ".init -> rom_logger.   <state value=\"1\"/>$"
  FAIL "Error" "Warning" "exited with exit value" ${fail_always})

# bad input: each error of the config named with its place, the config
# refused (exit value 2); a request for an unknown module denied
cairn_scenario_test(dynamic_rom-bad CONFIG dynamic_rom-bad.config TIMEOUT 20
  EXPECT ".init -> bad. .*Error: config:3:5: rom 'a': <sleep> lacks the 'milliseconds' attribute"
         ".init -> bad. .*Error: config:4:5: rom 'a': <sleep> has an invalid 'milliseconds' value"
         ".init -> bad. .*Error: config:5:5: rom 'a': <inline> has more than one sub node"
         ".init -> bad. .*Error: config:6:5: rom 'a': unknown step <wait>"
         ".init -> bad. .*Error: config:8:4: <rom> lacks a valid 'name' attribute"
         ".init -> bad. .*Error: config:9:4: rom 'b' has no steps"
         ".init -> bad. .*Error: config:10:4: rom 'a' defined twice"
         ".init -> bad. .*Error: config rejected: 7 errors"
         ".init. child \"bad\" exited with exit value 2"
  FAIL "killed" "unknown node" ${fail_always})
cairn_scenario_test(dynamic_rom-unknown CONFIG dynamic_rom-bad.config TIMEOUT 20
  EXPECT ".init -> good. .*Error: ROM module lookup of 'rom_logger -> unknown' failed"
         ".init -> rom_logger. .*Error: cannot open ROM 'unknown': denied"
  FAIL "killed" ${fail_always})
# rom_logger names what is wrong with its config
cairn_scenario_test(rom_logger-no-name CONFIG dynamic_rom-bad.config TIMEOUT 20
  EXPECT ".init -> no-name. .*Warning: could not determine ROM name from config"
  FAIL "killed" ${fail_always})
cairn_scenario_test(rom_logger-bad-format CONFIG dynamic_rom-bad.config TIMEOUT 20
  EXPECT ".init -> bad-format. .*Error: unknown format specified by '<config rom=\"known\" format=\"binary\"/>'"
  FAIL "killed" "bad-format. ROM 'known'" ${fail_always})

# malformed requests on a ROM session: refused, the first one named with
# the client's label, and the session keeps serving
cairn_scenario_test(dynamic_rom-hostile CONFIG dynamic_rom-bad.config TIMEOUT 20
  EXPECT ".init -> good. .*Warning: ROM session of 'test-rom-hostile -> known': unknown request 999 refused"
         ".init -> test-rom-hostile. malformed requests refused, ROM 'known' still served: <known/>"
         ".init. child \"test-rom-hostile\" exited with exit value 0"
  FAIL "killed" "good. .*malformed request" "test-rom-hostile. .*Error" ${fail_always})
