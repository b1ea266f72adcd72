# rom_filter (src/server/rom_filter) with dynamic_rom and rom_logger.
# Included by CMakeLists.txt here, which defines cairn_scenario_test and
# fail_always.

# Genode's test-rom_filter (os/recipes/pkg/test-rom_filter) at 400 ms
# instead of 1 s steps: the same four generated versions, in order
cairn_scenario_test(rom_filter CONFIG rom_filter.config TIMEOUT 20
  EXPECT ".init -> rom_logger. ROM 'generated':$"
         ".init -> rom_logger.   <config color=\"transparent\">$"
         ".init -> rom_logger.   	<fallback/>$" ".init -> rom_logger.   </config>$"
         ".init -> dynamic_rom. xray: change \\(disable X-ray mode\\)$"
         ".init -> rom_logger. ROM 'generated':$"
         ".init -> rom_logger.   <config color=\"transparent\">$"
         ".init -> rom_logger.   	<fallback/>$" ".init -> rom_logger.   </config>$"
         ".init -> dynamic_rom. xray: change \\(enable X-ray mode\\)$"
         ".init -> rom_logger. ROM 'generated':$"
         ".init -> rom_logger.   <config color=\"yellow\">$"
         ".init -> rom_logger.   	<xray_enabled/>$" ".init -> rom_logger.   </config>$"
         ".init -> dynamic_rom. xray: change \\(leave X-ray mode undefined\\)$"
         ".init -> rom_logger. ROM 'generated':$"
         ".init -> rom_logger.   <config message=\"system locked\" color=\"transparent\">$"
         ".init -> rom_logger.   	<fallback/>$" ".init -> rom_logger.   </config>$"
         ".init -> dynamic_rom. xray: change \\(finished\\)$"
  FAIL "Error: " "Warning" "exited with exit value" ${fail_always})

# bad input: each error of a malformed config named with its place and the
# config refused (exit value 2); Genode's line for an <output> without node
cairn_scenario_test(rom_filter-bad CONFIG rom_filter-bad.config TIMEOUT 20
  EXPECT ".init -> bad. .*Error: config:3:4: input 'a' declared twice"
         ".init -> bad. .*Error: config:4:4: <input> lacks a valid 'name' attribute"
         ".init -> bad. .*Error: config:5:21: <node> lacks a valid 'type' attribute"
         ".init -> bad. .*Error: config:6:21: <node> of an input path leads nowhere"
         ".init -> bad. .*Error: config:7:21: unknown input path node <child>"
         ".init -> bad. .*Error: config:9:5: <attribute> refers to the unknown input 'nosuch'"
         ".init -> bad. .*Error: config:10:5: <attribute> lacks a valid 'name' attribute"
         ".init -> bad. .*Error: config:11:5: <attribute> needs a 'value' or an 'input'"
         ".init -> bad. .*Error: config:12:5: <attribute>: 'bad name' is not a valid XML name"
         ".init -> bad. .*Error: config:13:5: <node> lacks a valid 'type' attribute"
         ".init -> bad. .*Error: config:14:5: <if> lacks a <has_value> condition"
         ".init -> bad. .*Error: config:15:10: <has_value> refers to the unknown input 'other'"
         ".init -> bad. .*Error: config:16:5: <input> refers to the unknown input 'unknown'"
         ".init -> bad. .*Error: config:17:5: unknown node <whatever> in the output"
         ".init -> bad. .*Error: config rejected: 14 errors"
         ".init. child \"bad\" exited with exit value 2"
  FAIL "killed" ${fail_always})
cairn_scenario_test(rom_filter-no-output-node CONFIG rom_filter-bad.config TIMEOUT 20
  EXPECT ".init -> no-output-node. .*Error: config:1:10: missing 'node' attribute in '<output>' node"
         ".init. child \"no-output-node\" exited with exit value 2"
  FAIL "killed" ${fail_always})
# an input ROM that is no XML, one that cannot be opened: named, and the
# output uses the defaults
cairn_scenario_test(rom_filter-bad-inputs CONFIG rom_filter-bad.config TIMEOUT 20
  EXPECT ".init -> robust. .*Warning: input ROM 'garbage' is not valid XML: 1:1: "
         ".init -> robust. .*Error: input ROM 'missing' unavailable: denied"
         ".init -> robust. .*Warning: could not obtain input value for input missing"
         ".init -> rom_logger. ROM 'result':$"
         ".init -> rom_logger.   <result garbage=\"fallback\">$"
         ".init -> rom_logger.   	<fixed v=\"a &amp. b\"/>$"
         ".init -> rom_logger.   </result>$"
  FAIL "killed" "robust. .*config" "child \"robust\" exited" ${fail_always})

# changes at run time: an input ROM rewritten, the config rewritten, a
# malformed config refused while the previous one keeps serving
add_test(NAME scenario_rom_filter-reconfig
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/rom_filter-reconfig.sh ${CMAKE_BINARY_DIR})
set_tests_properties(scenario_rom_filter-reconfig PROPERTIES LABELS scenario TIMEOUT 60)

# malformed requests on a ROM session: refused, the first one named with
# the client's label, and the session keeps serving
cairn_scenario_test(rom_filter-hostile CONFIG rom_filter-bad.config TIMEOUT 20
  EXPECT ".init -> robust. .*Warning: ROM session of 'test-rom-hostile -> result': unknown request 999 refused"
         ".init -> test-rom-hostile. malformed requests refused, ROM 'result' still served: <result garbage=\"fallback\">"
         ".init. child \"test-rom-hostile\" exited with exit value 0"
  FAIL "killed" "robust. .*malformed request" "test-rom-hostile. .*Error" ${fail_always})

# every kind of output node and input path (rom_filter-features/state.xml):
# attributes from inputs (a path with attribute="value", the first match,
# two levels deep, a wrong top-level node falling back to its default),
# <if> without <else>, satisfied and not, <node>, <inline>
# copies, <input> with and without skip_toplevel, text content, and an
# attribute after sub nodes
cairn_scenario_test(rom_filter-features CONFIG rom_filter-features TIMEOUT 20
  EXPECT ".init -> rom_logger. ROM 'generated':$"
         ".init -> rom_logger.   <result mode=\"day\" late=\"after sub nodes\">$"
         ".init -> rom_logger.   \t<values b=\"2\" first=\"1\" deep=\"deep\" wrong_top=\"none\"/>$"
         ".init -> rom_logger.   \t<day>$"
         ".init -> rom_logger.   \t\t<sun bright=\"yes\"/>$"
         ".init -> rom_logger.   \t</day>$"
         ".init -> rom_logger.   \t<copy>$"
         ".init -> rom_logger.   \t\t<state mode=\"day\">$"
         ".init -> rom_logger.   \t\t\t<item name=\"a\" value=\"1\"/>$"
         ".init -> rom_logger.   \t\t\t<item name=\"b\" value=\"2\">$"
         ".init -> rom_logger.   \t\t\t\t<detail text=\"deep\"/>$"
         ".init -> rom_logger.   \t\t\t</item>$"
         ".init -> rom_logger.   \t\t</state>$"
         ".init -> rom_logger.   \t</copy>$"
         ".init -> rom_logger.   \t<content>$"
         ".init -> rom_logger.   \t\t<item name=\"a\" value=\"1\"/>$"
         ".init -> rom_logger.   \t</content>$"
         ".init -> rom_logger.   \t<text>plain &amp. simple</text>$"
         ".init -> rom_logger.   </result>$"
  FAIL "Error" "Warning" "night" ${fail_always})
