#!/usr/bin/env bash
# Runs the conformance suite against an independent open-source SCIM server (scim2-server, from
# the python-scim project) to show the verdict on a server that is not ours.
# Usage: scripts/conformance-vs-scim2-server.sh [path-to-scim-harness-binary] [--profile rfc|entra-compat|all]
set -euo pipefail
bin=${1:-target/debug/scim-harness}
shift || true
venv=${SCIM2_VENV:-target/scim2-venv}
if [ ! -x "$venv/bin/scim2-server" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet scim2-server==0.8.3
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$(python3 -c 'import uuid; print(uuid.uuid4())')
"$venv/bin/scim2-server" --port "$port" --bearer-token "$token" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$port/ServiceProviderConfig" >/dev/null && break
  sleep 0.1
done
SCIM_HARNESS_TOKEN=$token "$bin" conformance --target "http://127.0.0.1:$port" \
  --junit reports/scim2-server.xml --json reports/scim2-server.json --html reports/scim2-server.html "$@"
