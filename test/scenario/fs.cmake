# File_system: the vfs server, fs_rom and rom_to_file (test/component/test-fs).
# Included by CMakeLists.txt here, which defines cairn_scenario_test and
# fail_always.

cairn_scenario_test(vfs CONFIG vfs.config
  EXPECT "test-fs. /data/greeting: imported greeting"
         "test-fs. /etc/motd: Hello from inline"
         "test-fs. /etc/vfs.config: the vfs's config ROM"
         "test-fs. /: dev/ etc/ data/$"
         "test-fs. /dev: log null zero$"
         "test-fs. /tmp/a: abcabcabc"
         "test-fs. /tmp/a: abc$"
         "test-fs. /data/b: abc$"
         "test-fs. 1 MiB written and read back through a 128 KiB buffer"
         "test-fs. static nodes are read-only"
         "\\[init -> vfs\\] written through the vfs$"
         "test-fs. /dev/zero and /dev/null"
         "test-fs. watch: /data/greeting changed"
         "test-fs. /greeting: changed"
         "test-fs. read-only session rooted at /data"
         "test-fs: vfs: done"
         "child \"test-fs\" exited with exit value 0"
  FAIL "Error" "exited with exit value [1-9-]" "no route to service" "killed"
       ${fail_always})

cairn_scenario_test(vfs-hostile CONFIG vfs-hostile.config
  EXPECT "vfs. .*Error: client 'test-fs -> /': malformed File_system request"
         "test-fs. malformed requests refused"
         "vfs. .*Error: client 'test-fs -> /': packet descriptor outside the buffer"
         "test-fs. bad packets failed or dropped"
         "vfs. .*Error: client 'test-fs -> /': broken packet stream, stopped serving it"
         "test-fs. broken stream ended, RPCs still served"
         "test-fs. flood stalls only its own stream .64 packets."
         "test-fs. /data/greeting: imported greeting"
         "test-fs. ram full after some MiB, room again after unlink"
         "test-fs: hostile: done"
         "child \"test-fs\" exited with exit value 0"
  FAIL "test-fs. .*Error" "exited with exit value [1-9-]" "no route to service" "killed"
       ${fail_always})

cairn_scenario_test(fs_rom_update CONFIG fs_rom_update.config
  EXPECT "reader. ROM 'iteration' is invalid"
         "reader. ROM 'iteration':$" "reader.   <config iteration=\"3\"/>"
         "reader. ROM 'iteration':$" "reader.   <config iteration=\"4\"/>"
         "test-fs: reader: done"
         "child \"reader\" exited with exit value 0"
  FAIL "Error" "exited with exit value [1-9-]" "no route to service" "killed"
       ${fail_always})

# Genode's fs_rom_update_ram pass criterion: the fourth iteration reaches
# rom_logger through dynamic_rom, rom_to_file, vfs (ram) and fs_rom
cairn_scenario_test(fs_rom_update-genode CONFIG fs_rom_update-genode.config TIMEOUT 35
  EXPECT ".init -> dynamic_rom. generated: change .iteration 1."
         ".init -> rom_logger. ROM 'generated':"
         ".init -> rom_logger.  *<config iteration=\"4\"/>"
  FAIL "Error" "exited with exit value" ${fail_always})

# vfs's <fs/>: an outer vfs mounts an inner vfs's ram; the script stops,
# continues, kills and removes the inner vfs between test-fs's steps
add_test(NAME scenario_vfs_fs COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/vfs_fs.sh ${CMAKE_BINARY_DIR})
set_tests_properties(scenario_vfs_fs PROPERTIES LABELS scenario TIMEOUT 90)

# Random File_system operations on vfs ram by three clients at once, each
# checked against its model
cairn_scenario_test(vfs-model CONFIG fs-model.config TIMEOUT 90
  EXPECT "test-fs: model: 3000 operations .* as the model says"
         "test-fs: model: 3000 operations .* as the model says"
         "test-fs: model: 3000 operations .* as the model says"
  FAIL "Error" "killed" "exited with exit value [1-9-]" ${fail_always})
# (model-a also watches files with a second session: every write of a
# watched file must be notified; a run of its own, as EXPECT goes in order)
cairn_scenario_test(vfs-model-watch CONFIG fs-model.config TIMEOUT 90
  EXPECT "model-a. test-fs: model: 3000 operations .* as the model says"
         "model-a. test-fs: model: [1-9][0-9]* writes of watched files, each notified"
  FAIL "Error" "killed" "exited with exit value [1-9-]" ${fail_always})

# ... and through a vfs that serves another vfs's ram with <fs/>
cairn_scenario_test(vfs-model-remote CONFIG fs-model-remote.config TIMEOUT 90
  EXPECT "test-fs: model: 3000 operations .* as the model says"
         "test-fs: model: [1-9][0-9]* writes of watched files, each notified"
         "child \"test-fs\" exited with exit value 0"
  FAIL "Error" "killed" ${fail_always})

# A binary ROM routed to fs_rom: core executes the sealed dataspace; a file
# that is no ELF executable and one fs_rom does not have are refused naming
# the start node; a child whose binary server never announces waits
# (EXPECT matches in order, and the children are not ordered: three runs)
cairn_scenario_test(binary-from-fs_rom CONFIG binary-from-fs_rom.config
  EXPECT ".init -> from-fs. running from fs_rom's dataspace$"
         "child \"from-fs\" exited with exit value 7"
  FAIL "a script is no ELF" "must not run" "killed" "exited with exit value 127"
       "quota invariant" ${fail_always})
cairn_scenario_test(binary-from-fs_rom-not-elf CONFIG binary-from-fs_rom.config
  EXPECT "Error: script: binary \"not-elf\" is not executable: no ELF file in a sealed dataspace"
  FAIL "a script is no ELF" "must not run" "killed" "quota invariant" ${fail_always})
cairn_scenario_test(binary-from-fs_rom-missing CONFIG binary-from-fs_rom.config
  EXPECT "Error: missing: binary ROM \"no-such-file\" has no content: not found"
  FAIL "must not run" "killed" "quota invariant" ${fail_always})

# A nested init whose parent routes its child's binary ROM to fs_rom: the
# request is pending at first; the child starts once it is there
cairn_scenario_test(binary-from-fs_rom-nested CONFIG binary-from-fs_rom-nested.config
  EXPECT ".init -> sub -> inner. nested, from fs_rom$"
         ".init -> sub. child \"inner\" exited with exit value 5"
  FAIL "killed" "exited with exit value 127" "quota invariant" ${fail_always})
cairn_scenario_test(binary-from-fs_rom-nested-missing CONFIG binary-from-fs_rom-nested.config
  EXPECT ".init -> sub. .*Error: missing: binary ROM \"no-such-file\" has no content: not found"
  FAIL "killed" "quota invariant" ${fail_always})

# ... across reconfigurations (binary_reconfig.sh: fs_rom restarted, server
# and client removed together, only the server removed)
add_test(NAME scenario_binary-from-fs_rom-reconfig
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/binary_reconfig.sh ${CMAKE_BINARY_DIR})
set_tests_properties(scenario_binary-from-fs_rom-reconfig PROPERTIES LABELS scenario TIMEOUT 60)
