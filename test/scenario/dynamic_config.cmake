# Genode's test-dynamic_config: a config ROM served by a sibling under
# another label (label rewriting on a child target), updated every 250 ms;
# the client follows each version. Included by CMakeLists.txt.
cairn_scenario_test(dynamic_config CONFIG dynamic_config.config TIMEOUT 30
  EXPECT ".init -> test-dynamic_config. obtained counter value [0-9]+ from config"
         ".init -> test-dynamic_config. obtained counter value 11 from config$"
  FAIL "Error" "exited with exit value" ${fail_always})
