# Terminal servers: terminal_crosslink with Genode's test-terminal_crosslink
# and its bad-input mode; log_terminal with test-log_terminal; terminal_log
# in front of log_terminal. Included by CMakeLists.txt here, which defines
# cairn_scenario_test and fail_always.

cairn_scenario_test(terminal_crosslink CONFIG terminal_crosslink.config TIMEOUT 20
  EXPECT "test-terminal_crosslink. Short message test"
         "test-terminal_crosslink. Server received: Hello from client\\.$"
         "test-terminal_crosslink. Client received: Hello from server, too\\.$"
         "test-terminal_crosslink. Long message test"
         "test-terminal_crosslink. buffer full after 4096 of 4097 bytes"
         "test-terminal_crosslink. long message passed in 2 rounds"
         "\\[init -> test-terminal_crosslink\\] Test succeeded"
         "child \"test-terminal_crosslink\" exited with exit value 0"
  FAIL "Error" "Warning" "exited with exit value [1-9-]" "no route to service" "killed"
       ${fail_always})

cairn_scenario_test(terminal_crosslink-bad CONFIG terminal_crosslink-bad.config TIMEOUT 20
  EXPECT "terminal_crosslink. .*Warning: denying session for 'test-terminal_crosslink -> third': both ends are connected already"
         "test-terminal_crosslink. third client denied as expected"
         "terminal_crosslink. .*Warning: 'test-terminal_crosslink -> client': write of 4097 bytes exceeds the I/O buffer of 4096 bytes, refused"
         "test-terminal_crosslink. write beyond the I/O buffer refused"
         "terminal_crosslink. .*Warning: 'test-terminal_crosslink -> client': malformed request, refused"
         "terminal_crosslink. .*Warning: 'test-terminal_crosslink -> client': unknown request, refused"
         "test-terminal_crosslink. malformed requests refused"
         "test-terminal_crosslink. sessions still work"
         "terminal_crosslink. .*Warning: denying session for 'test-terminal_crosslink -> poor': insufficient RAM donation"
         "test-terminal_crosslink. too small a donation denied as expected"
         "test-terminal_crosslink. a freed end is taken again, pending data kept"
         "test-terminal_crosslink: bad-input: done"
         "child \"test-terminal_crosslink\" exited with exit value 0"
  FAIL "test-terminal_crosslink. .*Error" "exited with exit value [1-9-]"
       "no route to service" "killed" ${fail_always})
