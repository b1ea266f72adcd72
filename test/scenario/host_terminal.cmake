# The host terminal: <host_terminal/> grants core's stdin and stdout to the
# driver host_terminal. The cases feed core's stdin, so they run
# host_terminal.sh; see its header.
foreach(case echo file tty raw raw-notty nested run_scenario nogrant)
  add_test(NAME scenario_host_terminal-${case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/host_terminal.sh ${CMAKE_BINARY_DIR} ${case})
  set_tests_properties(scenario_host_terminal-${case} PROPERTIES LABELS scenario TIMEOUT 60)
endforeach()
set_tests_properties(scenario_host_terminal-tty scenario_host_terminal-raw PROPERTIES
  SKIP_REGULAR_EXPRESSION "SKIP: no script")
