#!/usr/bin/env bash
# Random reconfiguration: a nested init gets 150 configs in quick succession,
# each a random set of dummy children (LOG servers and their clients,
# routes between them, to an alias or to nobody, some cyclic or ambiguous,
# version bumps, quota changes, sessions opened, upgraded and closed, RAM
# consumed up to resource requests, heartbeats with restarts, exits), a
# state report now and then, binaries from fs_rom beside the nested init
# (restarted now and then), and init as a server: two outer clients
# (restarted now and then) open LOG sessions that the nested init forwards
# to its children by a policy that changes (or to nobody). The configs come from a fixed seed; their
# timing against the children does not. Nothing may break: no sanitizer
# report, no violated quota invariant, no malformed request, no child
# killed, core ends on SIGTERM and gets all quota back. (This is how a
# state report session closed twice during a reconfiguration showed up.)
#
# usage: reconfig_stress.sh BUILD_DIR [ROUNDS [SEED]]   (KEEP=1: keep its directory)
set -euo pipefail

bin=$1/bin
rounds=${2:-150}
RANDOM=${3:-4242}
dir=$(mktemp -d)
trap '{ kill -9 "$core" && wait "$core"; } 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$dir"' EXIT

pick() { # pick WORD...: one of them
	local a=("$@")
	echo "${a[RANDOM % ${#a[@]}]}"
}

config() {
	local n present=() servers=() s i tgt
	for n in a b c d e f; do
		((RANDOM % 10 < 7)) && present+=("$n")
	done
	for n in "${present[@]}"; do
		((RANDOM % 2)) && servers+=("$n")
	done
	# the init under test is nested, so that its state report goes to a
	# Report session at report_rom (the top-level init's parent, core, has
	# none); its config changes as an inline config
	echo '<config>'
	echo '<parent-provides> <service name="PD"/> <service name="ROM"/> <service name="LOG"/> </parent-provides>'
	echo '<default-route> <any-service> <parent/> <any-child/> </any-service> </default-route>'
	echo '<default caps="100" ram="1M"/>'
	echo '<start name="timer"> <provides> <service name="Timer"/> </provides> </start>'
	echo '<start name="report_rom"> <provides> <service name="Report"/> <service name="ROM"/> </provides> <config/> </start>'
	# a copy of dummy as file "fs-dummy" of a vfs, served by fs_rom (which
	# is restarted now and then): the nested init's children run it
	echo '<start name="vfs" ram="8M"> <provides> <service name="File_system"/> </provides> <config> <vfs> <rom name="fs-dummy" label="dummy"/> </vfs> <default-policy root="/"/> </config> </start>'
	echo "<start name=\"fs_rom\" ram=\"8M\" version=\"$((RANDOM % 8 == 0))\"> <provides> <service name=\"ROM\"/> </provides> <route> <any-service> <parent/> <any-child/> </any-service> </route> </start>"
	echo '<start name="init" caps="2000" ram="64M"> <provides> <service name="LOG"/> </provides> <route> <service name="ROM" label="fs-dummy"> <child name="fs_rom"/> </service> <any-service> <parent/> <any-child/> </any-service> </route>'
	echo '<config>'
	echo '<parent-provides> <service name="PD"/> <service name="ROM"/> <service name="LOG"/> <service name="Timer"/> <service name="Report"/> </parent-provides>'
	echo '<default-route> <any-service> <parent/> <any-child/> </any-service> </default-route>'
	echo '<default caps="100" ram="1M"/>'
	((RANDOM % 3)) || echo "<heartbeat rate_ms=\"$(pick 20 50)\"/>"
	((${#servers[@]} && RANDOM % 3 == 0)) && echo "<alias name=\"logger\" child=\"$(pick "${servers[@]}")\"/>"
	# init as a server: LOG sessions of the outer clients go to one of
	# its children, by policy, or nowhere (no such child, no <service>)
	if ((RANDOM % 4)); then
		s='<service name="LOG">'
		((RANDOM % 2)) && s+="<policy label_prefix=\"client-1\"> <child name=\"$(pick "${servers[@]}" nobody)\"/> </policy>"
		((RANDOM % 3)) && s+="<default-policy> <child name=\"$(pick "${servers[@]}" nobody)\"/> </default-policy>"
		echo "$s</service>"
	fi
	((RANDOM % 3)) && echo "<report init_ram=\"yes\" child_ram=\"yes\" ids=\"yes\" requested=\"yes\" provided=\"yes\" delay_ms=\"$(pick 0 10 100)\" buffer=\"$(pick 4K 16K 64K)\"/>"
	for n in "${present[@]}"; do
		s="<start name=\"$n\" ram=\"$(pick 1M 2M 512K)\""
		((RANDOM % 2)) && s+=" version=\"$((RANDOM % 3))\""
		# its binary from the parent (a boot module) or through it from fs_rom
		s+="> <binary name=\"$(pick dummy dummy fs-dummy)\"/>"
		((RANDOM % 4)) || s+='<heartbeat restart_after_skipped="2"/>'
		[[ " ${servers[*]} " == *" $n "* ]] && s+='<provides> <service name="LOG"/> </provides>'
		s+='<config>'
		[[ " ${servers[*]} " == *" $n "* ]] && s+="<log_service delay_close_ms=\"$(pick 0 0 50)\"/>"
		for ((i = RANDOM % 4; i > 0; i--)); do
			case $((RANDOM % 5)) in
			0) s+="<create_log_connections count=\"$((RANDOM % 6))\" ram_upgrade=\"$(pick 0 4K)\"/>" ;;
			1) s+='<destroy_log_connections/>' ;;
			2) s+="<sleep ms=\"$((RANDOM % 50 + 1))\"/>" ;;
			3) s+="<consume_ram amount=\"$(pick 64K 256K 2M)\"/>" ;; # 2M: a resource request
			4) s+='<log string="stress"/>' ;;
			esac
		done
		((RANDOM % 5)) && s+='<sleep_forever/>' || s+='<exit code="0"/>'
		s+='</config>'
		if ((${#servers[@]} && RANDOM % 10 < 7)); then
			tgt=$(pick "${servers[@]}" logger)
			[ "$tgt" != "$n" ] &&
				s+="<route> <service name=\"LOG\"> <child name=\"$tgt\"/> </service> <any-service> <parent/> <any-child/> </any-service> </route>"
		fi
		echo "$s</start>"
	done
	echo '</config> </start>'
	# clients of init as a server: sessions labelled 0..3 go to it
	for n in client-1 client-2; do
		s="<start name=\"$n\" version=\"$((RANDOM % 4))\"> <binary name=\"dummy\"/>"
		s+="<config> <create_log_connections count=\"$((RANDOM % 5))\" ram_upgrade=\"$(pick 0 4K)\"/>"
		((RANDOM % 2)) && s+='<destroy_log_connections/>'
		s+='<sleep_forever/> </config> <route>'
		for i in 0 1 2 3; do
			s+="<service name=\"LOG\" label=\"$i\"> <child name=\"init\"/> </service>"
		done
		echo "$s <any-service> <parent/> <any-child/> </any-service> </route> </start>"
	done
	echo '</config>'
}

config >"$dir/config"
"$bin/core" --verbose --rom-dir "$dir" --rom-dir "$bin" >"$dir/out" 2>&1 &
core=$!
for ((round = 0; round < rounds; round++)); do
	sleep "0.0$((RANDOM % 10))"
	config >"$dir/config.new"
	mv "$dir/config.new" "$dir/config" # a new inode: core's ROM notices
	kill -0 "$core" 2>/dev/null || break
done
sleep 0.5
kill -TERM "$core"
rc=0
wait "$core" || rc=$?
core=
problems=$(grep -nE 'ERROR: [A-Za-z]+Sanitizer|runtime error: |quota invariant|malformed|killed' "$dir/out" || true)
if [ -n "$problems" ]; then
	echo "$problems" | head -20
	grep -E -A30 'ERROR: [A-Za-z]+Sanitizer' "$dir/out" | head -40 || true
	echo "FAIL: after $round rounds"
	exit 1
fi
[ "$rc" = 143 ] || { tail -20 "$dir/out"; echo "FAIL: core ended with $rc, not by SIGTERM"; exit 1; }
grep -q 'quota check: all .* returned to core' "$dir/out" || { tail -20 "$dir/out"; echo "FAIL: core did not get all quota back"; exit 1; }
echo "reconfig stress: $rounds configs, ok"
