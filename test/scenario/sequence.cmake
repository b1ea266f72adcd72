# sequence (src/app/sequence): children run one after another as children
# of sequence. Included by CMakeLists.txt here, which defines
# cairn_scenario_test and fail_always.

# three children in order, each with its config ROM served by sequence, a
# Timer session forwarded to init's timer, test-log's second LOG session
# labelled through sequence
cairn_scenario_test(sequence CONFIG sequence.config TIMEOUT 20
  EXPECT ".init -> sequence -> first. first child$"
         ".init -> sequence -> second. second child$"
         ".init -> sequence -> second. slept$"
         ".init -> sequence -> test-log -> log. 1\\.\\.\\.\\.2"
         ".init -> sequence -> test-log. Test done\\."
         ".init. child \"sequence\" exited with exit value 0"
  FAIL "Error" "Warning" ${fail_always})

# a failing child ends the sequence with its exit value, in Genode's words
cairn_scenario_test(sequence-fail CONFIG sequence-fail.config TIMEOUT 20
  EXPECT ".init -> sequence -> first. first child$"
         ".init -> sequence. .*Error: child \"first\" exited with exit value 3"
         ".init. child \"sequence\" exited with exit value 3"
  FAIL "second child" "Warning" ${fail_always})
cairn_scenario_test(sequence-bad CONFIG sequence-fail.config TIMEOUT 20
  EXPECT ".init -> bad. .*Error: config:1:1: invalid value of 'repeat'"
         ".init -> bad. .*Error: config:2:4: <start> lacks a valid 'name' attribute"
         ".init -> bad. .*Error: config:3:4: <start> lacks a valid 'name' attribute"
         ".init -> bad. .*Error: config rejected: 3 errors"
         ".init. child \"bad\" exited with exit value 2"
  FAIL "killed" "Warning" ${fail_always})

# keep_going: failures, a crash, a missing binary and a forbidden system
# call are each named, and the sequence goes on to its end
cairn_scenario_test(sequence-keep-going CONFIG sequence-keep-going.config TIMEOUT 20
  EXPECT ".init -> sequence. .*Warning: config:21:4: unknown node <bogus>, ignored"
         ".init -> sequence. .*Error: child \"failing\" exited with exit value 3"
         ".init -> sequence. .*Error: child \"crashing\" was killed by signal SIGSEGV"
         ".init -> sequence. .*Error: missing: binary \"no-such-binary\" is not a ROM module"
         ".init -> sequence -> opening. killed: forbidden system call openat"
         ".init -> sequence. .*Error: child \"opening\" was killed: forbidden system call openat"
         ".init -> sequence -> last. last child"
         ".init. child \"sequence\" exited with exit value 0"
  FAIL "\"crashing\" exited" "\"opening\" exited" ${fail_always})

# repeat: round after round, each returning the quota its children had
# (1 MiB consumed of 2 MiB given per child, 4 MiB in all)
set(rounds)
foreach(i RANGE 1 60)
  list(APPEND rounds ".init -> sequence -> a. run$")
endforeach()
cairn_scenario_test(sequence-repeat CONFIG sequence-repeat.config TIMEOUT 40
  EXPECT ${rounds}
  FAIL "Error" "Warning" "exited" ${fail_always})

# keep_going with restart: a failure starts again from the first <start>
cairn_scenario_test(sequence-restart CONFIG sequence-restart.config TIMEOUT 20
  EXPECT ".init -> sequence -> a. a runs$"
         ".init -> sequence. .*Error: child \"b\" exited with exit value 1"
         ".init -> sequence -> a. a runs$"
         ".init -> sequence. .*Error: child \"b\" exited with exit value 1"
         ".init -> sequence -> a. a runs$"
  FAIL "c runs" ${fail_always})

# a hostile child (test-hostile towards its parent): named, bounded, and
# the next child runs undisturbed
cairn_scenario_test(sequence-hostile CONFIG sequence-hostile.config TIMEOUT 30
  EXPECT ".init -> sequence. .*Warning: test-hostile: dropped a malformed request: malformed message"
         ".init -> sequence. .*Warning: test-hostile: dropped a malformed request: more capabilities than the limit"
         ".init -> sequence -> test-hostile. session flood: [0-9]+ opened, [1-9][0-9]* denied"
         ".init -> sequence. .*Warning: child \"test-hostile\" requests resources: ram_quota=1000G .not available."
         ".init -> sequence -> test-hostile. test-hostile: done"
         ".init -> sequence -> test-log. Test done"
         ".init. child \"sequence\" exited with exit value 0"
  FAIL "checks failed" "Error" ${fail_always})
