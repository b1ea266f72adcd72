# Genode's test-resource_yield: a component that is the parent of its own
# binary asks its child four times to yield 5 MiB, and checks that the
# child's used RAM dropped by that much each time. Included by
# CMakeLists.txt.
cairn_scenario_test(resource_yield CONFIG resource_yield.config TIMEOUT 30
  EXPECT "test-resource_yield. --- test-resource_yield parent role started ---"
         "test-resource_yield -> child. --- test-resource_yield child role started ---"
         "test-resource_yield -> child. allocated chunk of 1024 KiB"
         "test-resource_yield -> child. consumed all of our quota, stop allocating"
         "test-resource_yield. request yield .ram prior yield: [0-9]+$"
         "test-resource_yield -> child. yield request: ram_quota=5M$"
         "test-resource_yield -> child. released chunk of 1048576 bytes"
         "test-resource_yield. got yield response"
         "test-resource_yield. --- test-resource_yield finished ---"
  FAIL "Error: " "exited with exit value [1-9-]" ${fail_always})
