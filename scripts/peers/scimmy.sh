#!/usr/bin/env bash
# Starts an independent SCIM 2.0 peer server (SCIMMY + scimmy-routers on express, in-memory
# storage) to test scim-harness against. Base URL: http://127.0.0.1:PORT/scim/v2, and every request
# needs "Authorization: Bearer TOKEN". Installs the pinned node modules on first use.
# Usage: scripts/peers/scimmy.sh PORT TOKEN
set -euo pipefail
# "--install" installs the pinned server and exits (CI does this first, to fail early).
install_only=false
if [ "${1:-}" = --install ]; then
  install_only=true
elif [ $# -ne 2 ]; then
  echo "usage: $0 PORT TOKEN | $0 --install" >&2
  exit 2
fi
cd "$(dirname "${BASH_SOURCE[0]}")/scimmy"
if [ ! -f node_modules/.package-lock.json ]; then  # written last by npm, so absent after a partial install
  npm ci --silent --no-audit --no-fund >&2
fi
$install_only && exit 0
exec node server.js "$1" "$2"
