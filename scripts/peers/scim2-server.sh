#!/usr/bin/env bash
# Starts scim2-server (python-scim, PyPI), an independent SCIM 2.0 server, to test scim-harness
# against. Base URL: http://127.0.0.1:PORT/v2 (it speaks HTTP/1.0 without keep-alive); every
# request needs "Authorization: Bearer TOKEN". Installs the pinned version on first use.
# Usage: scripts/peers/scim2-server.sh PORT TOKEN
set -euo pipefail
# "--install" installs the pinned server and exits (CI does this first, to fail early).
install_only=false
if [ "${1:-}" = --install ]; then
  install_only=true
elif [ $# -ne 2 ]; then
  echo "usage: $0 PORT TOKEN | $0 --install" >&2
  exit 2
fi
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
venv=${SCIM2_SERVER_VENV:-$repo/target/peers/scim2-server-venv}
if [ ! -x "$venv/bin/scim2-server" ]; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet scim2-server==0.8.3 >&2
fi
$install_only && exit 0
exec "$venv/bin/scim2-server" --hostname 127.0.0.1 --port "$1" --bearer-token "$2"
