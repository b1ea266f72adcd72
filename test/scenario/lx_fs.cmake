# lx_fs: a host directory granted by a start node's <host_dir>. The cases
# that need the host side (a directory made by the test, files changed or
# checked from outside) run lx_fs.sh; see its header.
foreach(case rom_to_file)
  add_test(NAME scenario_lx_fs-${case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/lx_fs.sh ${CMAKE_BINARY_DIR} ${case})
  set_tests_properties(scenario_lx_fs-${case} PROPERTIES LABELS scenario TIMEOUT 60)
endforeach()
