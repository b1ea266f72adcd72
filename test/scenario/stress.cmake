# Random reconfiguration of a nested init (reconfig_stress.sh: 150 configs
# from a fixed seed in quick succession; no sanitizer report, no violated
# quota invariant, all quota back at the end).
add_test(NAME scenario_reconfig-stress
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/reconfig_stress.sh ${CMAKE_BINARY_DIR})
set_tests_properties(scenario_reconfig-stress PROPERTIES LABELS scenario TIMEOUT 120)
