#!/usr/bin/env bash
# Installs every server of the panel (pinned versions, from PyPI and npm), so a later start
# takes seconds. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
for peer in scim2-server scimmy django-scim2; do
  echo "installing $peer"
  "$here/$peer.sh" --install
done
