#!/usr/bin/env bash
# Points an independent SCIM compliance tester (scim2-tester, from the python-scim project, via
# its scim2-cli front end) at the reference server and fails unless every check passes.
# Usage: scripts/scim2-tester.sh [path-to-scim-harness-binary]
set -euo pipefail
bin=${1:-target/debug/scim-harness}
venv=${SCIM2_VENV:-target/scim2-venv}
if [ ! -x "$venv/bin/scim2" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet scim2-tester==0.5.2 scim2-cli==0.6.0
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$(python3 -c 'import uuid; print(uuid.uuid4())')
SCIM_HARNESS_TOKEN=$token "$bin" serve --port "$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/ServiceProviderConfig" >/dev/null && break
  sleep 0.1
done
out=$(mktemp)
SCIM_CLI_HEADERS="Authorization: Bearer $token" "$venv/bin/scim2" --url "http://127.0.0.1:$port" test >"$out" 2>&1 || true
passed=$(grep -c '^SUCCESS' "$out" || true)
failed=$(grep -cE '^(ERROR|CRITICAL)' "$out" || true)
grep -E '^(ERROR|CRITICAL)' -A2 "$out" || true
echo "scim2-tester: $passed passed, $failed failed"
[ "$passed" -gt 0 ] && [ "$failed" -eq 0 ]
