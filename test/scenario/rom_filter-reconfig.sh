#!/usr/bin/env bash
# rom_filter follows changes: of an input ROM (re-evaluated), of its config
# (applied), and of its config to something malformed (refused, the
# previous config stays and the output keeps being served). rom_logger
# follows a change of its config to another ROM.
#
# usage: rom_filter-reconfig.sh BUILD_DIR
set -euo pipefail
. "$(dirname "$0")/lib.sh"

filter_config() { # $1: the output's node type
	cat <<EOT
<config>
	<input name="mode" rom="state.xml" node="state" default="none">
		<attribute name="mode"/>
	</input>
	<output node="$1">
		<attribute name="mode" input="mode"/>
	</output>
</config>
EOT
}

scenario_setup "$1"
cp "$(dirname "$0")/rom_filter-reconfig/config" "$dir/config"
echo '<state mode="day"/>' >"$dir/state.xml"
filter_config first >"$dir/filter.config"
scenario_boot

await '  <first mode="day"/>$'
echo '<state mode="night"/>' >"$dir/state.xml"
await '  <first mode="night"/>$'
filter_config second >"$dir/new" && mv "$dir/new" "$dir/filter.config"
await '  <second mode="night"/>$'
sed 's/input="mode"/input="nosuch"/' "$dir/filter.config" >"$dir/new" && mv "$dir/new" "$dir/filter.config"
await "config:6:3: <attribute> refers to the unknown input 'nosuch'"
await 'config rejected: 1 error, keeping the previous one'
echo '<state mode="dusk"/>' >"$dir/state.xml"
await '  <second mode="dusk"/>$'
filter_config third >"$dir/new" && mv "$dir/new" "$dir/filter.config"
await '  <third mode="dusk"/>$'
# rom_logger follows its config to another ROM (any label reaches rom_filter)
sed 's/<config rom="generated"\/>/<config rom="other"\/>/' "$dir/config" >"$dir/new" && mv "$dir/new" "$dir/config"
await "ROM 'other':$"
grep -q 'exited with exit value' "$out" && fail "a component exited"
scenario_done "rom_filter reconfig: ok"
