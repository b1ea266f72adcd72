# Genode's test-resource_request: a child of a sub-init runs out of quota
# in several ways; each resource request appears in the sub-init's state
# report, and a monitor answers it by raising the child's quantum.
# The sub-init's own complaints about its config ROM before the monitor's
# first report are not failures (Genode's init keeps quiet about an empty
# config ROM; Cairn's logs errors). Included by CMakeLists.txt.
cairn_scenario_test(resource_request CONFIG resource_request.config TIMEOUT 60
  EXPECT "wasted available quota of [0-9]+ bytes"
         "-- draining PD session --"
         ".init -> init. child \"test-resource_request\" requests resources: ram_quota="
         "init_monitor. responding to resource request of [0-9]+.? cnt=0$"
         "-- out-of-memory during session request --" "requests resources: ram_quota="
         "init_monitor. responding to resource request"
         "-- out-of-memory during transfer-quota --" "requests resources: ram_quota="
         "init_monitor. responding to resource request"
         "-- out-of-memory during RAM allocation --" "requests resources: ram_quota="
         "init_monitor. responding to resource request"
         "--- finished test-resource_request ---"
         ".init -> init. child \"test-resource_request\" exited with exit value 0"
  FAIL "test-resource_request. ..31mError: " "init_monitor. ..31mError: "
       "exited with exit value [1-9-]" ${fail_always})
