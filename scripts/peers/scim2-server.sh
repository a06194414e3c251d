#!/usr/bin/env bash
# Starts scim2-server (python-scim, PyPI), an independent SCIM 2.0 server, to test scim-harness
# against. Base URL: http://127.0.0.1:PORT/v2 (it speaks HTTP/1.0 without keep-alive); every
# request needs "Authorization: Bearer TOKEN". Installs the pinned version on first use.
# Usage: scripts/peers/scim2-server.sh PORT TOKEN
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 PORT TOKEN" >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${SCIM2_VENV:-$repo/target/scim2-venv}
if [ ! -x "$venv/bin/scim2-server" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet scim2-server==0.8.3 >&2
fi
exec "$venv/bin/scim2-server" --hostname 127.0.0.1 --port "$1" --bearer-token "$2"
