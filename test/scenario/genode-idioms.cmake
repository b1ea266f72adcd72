# Genode configs from the reference's section 1 boot unchanged: typical
# parent-provides, the development default route, a file routed as a
# config, a nested init serving LOG by <policy>/<default-policy> (with the
# label rewritten to "..."). Included by CMakeLists.txt.
cairn_scenario_test(genode-idioms-config-file CONFIG genode-idioms
  EXPECT ".init -> app. config 1: x$" ".init -> app. config from x.config$"
  FAIL "Error" "Warning" "exited with exit value [1-9-]" ${fail_always})
cairn_scenario_test(genode-idioms-service CONFIG genode-idioms
  EXPECT ".init -> service_init -> server. opening session with label \\.\\.\\.$"
         ".init -> service_init -> server. .\\.\\.\\.. hello through service_init$"
         ".init. child \"client\" exited with exit value 0"
  FAIL "Error" "Warning" "exited with exit value [1-9-]" ${fail_always})
