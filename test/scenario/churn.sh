#!/usr/bin/env bash
# The quota invariant survives churn: 1,000 sessions opened and closed at a
# child server (each donating quota from client to server and back) and
# 100 child restarts. Core checks the invariant after every event batch
# and, with --verbose, once more when it shuts down.
#
# usage: churn.sh BUILD_DIR
set -euo pipefail

bin=$1/bin
config=$(dirname "$0")/churn.config
out=$(mktemp)
trap '{ kill -9 "$core" && wait "$core"; } 2>/dev/null || true; rm -f "$out"' EXIT

"$bin/core" --verbose --rom config="$config" --rom-dir "$bin" >"$out" 2>&1 &
core=$!

fail() {
	grep -v 'session c\|hang\|heartbeats skipped' "$out" | tail -20
	echo "FAIL: $*"
	exit 1
}

for _ in $(seq 600); do
	restarts=$(grep -c 'heartbeats skipped, restarting' "$out" || true)
	grep -q 'churn: 1000 sessions opened and closed' "$out" && ((restarts >= 100)) && break
	sleep 0.1
done
grep -q 'churn: 1000 sessions opened and closed' "$out" || fail "the session churn did not finish"
((restarts >= 100)) || fail "only $restarts restarts"
closed=$(grep -c 'session closed for "test-rpc-client -> churn"' "$out" || true)

kill -TERM "$core"
wait "$core" || true
grep -q 'quota invariant violated' "$out" && fail "quota invariant violated"
grep -q 'quota check: all .* returned to core' "$out" || fail "core did not get all quota back"
grep -q 'child "test-rpc-client" exited with exit value 0' "$out" || fail "the client failed"
if grep -qE 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$out"; then
	grep -E -A20 'ERROR: [A-Za-z]+Sanitizer|runtime error: ' "$out" | head -40
	echo "FAIL: a sanitizer report"
	exit 1
fi
echo "churn: $restarts restarts, $closed sessions closed at the server, quota invariant held"
