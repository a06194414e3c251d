#!/usr/bin/env bash
# Runs the conformance suite against one independent server of the panel, started fresh on
# loopback. Reports go to reports/peers/NAME.{xml,json,html}; the summary is printed.
# Usage: scripts/conformance-vs-peer.sh NAME [path-to-scim-harness] [conformance options...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
name=${1:?usage: $0 scim2-server|scimmy|django-scim2 [binary] [options]}
shift
bin=${1:-target/debug/scim-harness}
shift || true
read -r pid url token < <("$here/peers/start.sh" "$name")
trap 'kill $pid 2>/dev/null || true' EXIT
mkdir -p reports/peers
status=0
SCIM_HARNESS_TOKEN=$token "$bin" conformance --target "$url" \
  --junit "reports/peers/$name.xml" --json "reports/peers/$name.json" \
  --html "reports/peers/$name.html" "$@" || status=$?
exit "$status"
