# report_rom with test-report as writer and reader of one report
# (test/component/test-report). Included by CMakeLists.txt here, which
# defines cairn_scenario_test and fail_always.

cairn_scenario_test(report_rom CONFIG report_rom.config
  EXPECT "test-report. ROM is empty before the first report"
         "report_rom. report 'test-report -> brightness'"
         "report_rom.   <brightness value=\"10\"/>"
         "test-report. ROM shows <brightness value=\"10\"/>"
         "test-report. ROM dataspace is read-only"
         "test-report. unsubmitted buffer stays private"
         "test-report. ROM shows <brightness value=\"77\"/>"
         "report_rom. .*Warning: report 'test-report -> brightness' already has a writer"
         "test-report. second writer denied as expected"
         "test-report. ROM keeps its content after the writer closed"
         "test-report. ROM shows <brightness value=\"99\"/>"
         "test-report. no responses, as report_rom's"
         "test-report. malformed requests refused"
         "test-report. ROM shows <brightness value=\"100\"/>"
         "report_rom.   <brightness>$" "report_rom.   .<value>42</value>$"
         "report_rom.   </brightness>$"
         "report_rom. .*Error: insufficient ram donation from 'test-report -> small'"
         "test-report. too small a donation refused as expected"
         "test-report. ROM shows nothing .empty report."
         "test-report. no fd left behind"
         "test-report: roundtrip: done"
         "child \"test-report\" exited with exit value 0"
  FAIL "test-report. .*Error" "exited with exit value [1-9-]" "no route to service"
       "killed" ${fail_always})

cairn_scenario_test(report_rom-no-policy CONFIG report_rom-no-policy.config
  EXPECT "report_rom. .*Warning: no policy defined for label 'test-report -> unknown'"
         "report_rom. .*Warning: no valid policy for ROM request 'test-report -> unknown'"
         "test-report. ROM without policy denied as expected"
         "test-report: no-policy: done"
         "child \"test-report\" exited with exit value 0"
  FAIL "Error" "exited with exit value [1-9-]" "no route to service" "killed"
       ${fail_always})

cairn_scenario_test(report_rom-oversized CONFIG report_rom-oversized.config
  EXPECT "test-report. ROM shows <brightness value=\"5\"/>"
         "report_rom. .*Error: report 'test-report -> brightness' refused: 4097 bytes exceed its buffer of 4096 bytes"
         "test-report. oversized report refused as expected"
         "test-report. ROM shows <brightness value=\"6\"/>"
         "test-report: oversized: done"
         "child \"test-report\" exited with exit value 0"
  FAIL "test-report. .*Error" "exited with exit value [1-9-]" "no route to service"
       "killed" ${fail_always})

# under load: 3000 reports back to back, two readers following the ROM;
# every version whole, none older than the one before, each signalled,
# both reach the last (EXPECT twice: either reader may finish first)
cairn_scenario_test(report_rom-stream CONFIG report_rom-stream.config TIMEOUT 60
  EXPECT "reader: .* the last is 3000, in order"
         "reader: .* the last is 3000, in order"
  FAIL "Error" "exited with exit value [1-9-]" "killed" ${fail_always})
