# Genode's test-init_loop: a sub-init starts and removes a client of a
# LOG server 20 times, driven through report_rom; init and the server
# must not lose more than 16 KiB of RAM quota. Included by CMakeLists.txt.
cairn_scenario_test(init_loop CONFIG init_loop.config TIMEOUT 100
  EXPECT "test-init_loop. iteration 1$" "test-init_loop. iteration 20$"
         ".init. child \"test-init_loop\" exited with exit value 0"
  FAIL "test-init_loop. ..31mError: " "exited with exit value [1-9-]"
       "requests resources" ${fail_always})
