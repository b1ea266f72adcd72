# lx_fs: a host directory granted by a start node's <host_dir>. The cases
# that need the host side (a directory made by the test, files changed or
# checked from outside) run lx_fs.sh; see its header.
foreach(case rom_to_file model escape race grant nested)
  add_test(NAME scenario_lx_fs-${case}
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/lx_fs.sh ${CMAKE_BINARY_DIR} ${case})
  set_tests_properties(scenario_lx_fs-${case} PROPERTIES LABELS scenario TIMEOUT 60)
endforeach()

# no <host_dir>, no host access: the sandbox stops lx_fs's first attempt
cairn_scenario_test(lx_fs-nogrant CONFIG lx_fs/nogrant.config
  EXPECT "lx_fs. .*Warning: no host directory granted: my start node has no <host_dir>"
         "init -> lx_fs. killed: forbidden system call openat2$"
  FAIL "Error" ${fail_always})

# grants that cannot be given: init names the start node and the path
cairn_scenario_test(lx_fs-missing CONFIG lx_fs/missing.config
  EXPECT "Error: missing: <host_dir path=\"no_such_dir\">: no such directory in the boot directory"
         "Error: absolute: <host_dir path=\"/etc\">: the path must be relative to the boot directory"
         "Error: up: <host_dir path=\"sub/../../..\">: the path must be relative"
         "Error: twice: more than one <host_dir> in its start node"
         "later. Test done"
  FAIL "killed" ${fail_always})

# lx_fs confines itself with Landlock beneath its grant and refuses to run
# without it: on a kernel without Landlock these tests are skipped, not
# failed (the component says "cannot enter the sandbox: Operation not
# supported").
get_property(lx_fs_tests DIRECTORY PROPERTY TESTS)
foreach(t IN LISTS lx_fs_tests)
  if(t MATCHES "^scenario_lx_fs-")
    set_tests_properties(${t} PROPERTIES
      SKIP_REGULAR_EXPRESSION "cannot enter the sandbox: Operation not supported")
  endif()
endforeach()
