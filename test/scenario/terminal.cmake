# Terminal servers: terminal_crosslink with Genode's test-terminal_crosslink
# (one component, two components, bad input); log_terminal with
# test-log_terminal; terminal_log in front of log_terminal and of a full
# terminal_crosslink. Included by CMakeLists.txt here, which defines
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

# the same with one component per end; the writer retries while the
# buffer is full
cairn_scenario_test(terminal_crosslink-two CONFIG terminal_crosslink-two.config TIMEOUT 20
  EXPECT "\\[init -> server\\] Server received: Hello from client\\.$"
         "\\[init -> client\\] Client received: Hello from server, too\\.$"
         "\\[init -> client\\] Long message test"
         "\\[init -> server\\] Test succeeded"
         "child \"server\" exited with exit value 0"
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

# log_terminal: lines split at newlines, an overlong line in pieces of
# 1023 bytes, output longer than the I/O buffer, the last line flushed on close
cairn_scenario_test(log_terminal CONFIG log_terminal.config TIMEOUT 20
  EXPECT "test-log_terminal. no input, no size, write beyond the I/O buffer refused"
         "log_terminal. Hello from test-log_terminal$"
         "log_terminal. a line in pieces$"
         "log_terminal. three$" "log_terminal. lines$" "log_terminal. at once$"
         "log_terminal. x{1023}$" "log_terminal. x{477}$"
         "log_terminal. nulbyte$"
         "log_terminal. line 0000$" "log_terminal. line 0409$" "log_terminal. line 0410$"
         "log_terminal. line 0499$"
         "test-log_terminal. closing the session with a line pending"
         "log_terminal. last words without newline$"
  FAIL "Error" "exited with exit value [1-9-]" "no route to service" "killed"
       ${fail_always})

# terminal_log: a LOG client's lines, labelled, through a Terminal
cairn_scenario_test(terminal_log CONFIG terminal_log.config TIMEOUT 20
  EXPECT ".init -> log_terminal. .test-log. hex range: +.0e00,1680\\)"
         ".init -> log_terminal. .test-log -> log. 1\\.\\.\\.\\.2"
         ".init -> log_terminal. .test-log. third line"
         ".init -> log_terminal. .test-log. Test done\\."
         "child \"test-log\" exited with exit value 0"
  FAIL "Error" "Warning" ${fail_always})

# terminal_log on a full terminal: lines are dropped (and said so), the
# client finishes
cairn_scenario_test(terminal_log-full CONFIG terminal_log-full.config TIMEOUT 20
  EXPECT "terminal_log. .*Warning: terminal does not take the output: full, dropping log lines"
         "child \"test-log\" exited with exit value 0"
  FAIL "Error" "exited with exit value [1-9-]" ${fail_always})

# two components stream 4 MiB each way through a 4 KiB crosslink at once:
# every byte arrives, in order (EXPECT twice: either may finish first)
cairn_scenario_test(terminal_crosslink-stream CONFIG terminal_crosslink-stream.config TIMEOUT 60
  EXPECT "stream: 4194304 bytes each way, in order"
         "stream: 4194304 bytes each way, in order"
  FAIL "Error" "exited with exit value [1-9-]" "killed" ${fail_always})
