#!/usr/bin/env bash
# Starts one peer server of the panel on a free loopback port and prints, once it answers,
# one line "PID BASE_URL TOKEN". The server runs in the background; kill PID to stop it.
# Usage: scripts/peers/start.sh scim2-server|scimmy|django-scim2
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=${1:?usage: $0 scim2-server|scimmy|django-scim2}
case "$name" in
  scim2-server) base=/v2 ;;
  scimmy|django-scim2) base=/scim/v2 ;;
  *) echo "unknown peer '$name' (scim2-server, scimmy, django-scim2)" >&2; exit 2 ;;
esac
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
token=$(python3 -c 'import uuid; print(uuid.uuid4())')
log=${PEER_LOG:-/dev/null}
"$here/$name.sh" "$port" "$token" >"$log" 2>&1 &
pid=$!
url="http://127.0.0.1:$port$base"
# First use installs the server (up to a minute or two); later starts take seconds.
for _ in $(seq 1800); do
  if curl -fs -o /dev/null -H "Authorization: Bearer $token" "$url/ServiceProviderConfig"; then
    echo "$pid $url $token"
    exit 0
  fi
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "peer $name exited before answering (PEER_LOG=FILE keeps its output)" >&2
    exit 1
  fi
  sleep 0.1
done
kill "$pid" 2>/dev/null || true
echo "peer $name did not answer within 180 s" >&2
exit 1
