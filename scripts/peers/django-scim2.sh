#!/usr/bin/env bash
# Serves an independent SCIM 2.0 peer built from PyPI packages: django-scim2 on Django and
# SQLite (project in scripts/peers/django/), for testing scim-harness against a server that
# is not ours. Base URL: http://127.0.0.1:PORT/scim/v2
# Usage: scripts/peers/django-scim2.sh PORT TOKEN
# The venv is ${PEER_VENV_DIR:-<repo>/target/peers/django-venv}, installed only when missing
# or when requirements.txt changed; the SQLite DB (${PEER_DB_PATH:-<venv>/db/peer-PORT.sqlite3})
# is made afresh at every start. Runs in the foreground (exec); stop it with a signal.
set -euo pipefail
# "--install" installs the pinned server and exits (CI does this first, to fail early).
install_only=false
if [ "${1:-}" = --install ]; then
  install_only=true
elif [ $# -ne 2 ]; then
  echo "usage: $0 PORT TOKEN | $0 --install" >&2
  exit 2
fi
port=${1:-}
token=${2:-}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
project=$here/django
venv=${PEER_VENV_DIR:-$repo/target/peers/django-venv}
python=${PYTHON:-python3}

reqs=$project/requirements.txt
stamp=$venv/.requirements.sha256
want=$(sha256sum "$reqs" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  mkdir -p "$(dirname "$venv")"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$reqs"
  echo "$want" >"$stamp"
fi
$install_only && exit 0

# Keep __pycache__ out of the source tree (site-packages keeps the .pyc files pip compiled).
export PYTHONDONTWRITEBYTECODE=1
export DJANGO_SETTINGS_MODULE=peer_project.settings
export PEER_DB_PATH=${PEER_DB_PATH:-$venv/db/peer-$port.sqlite3}
export PEER_TOKEN=$token
mkdir -p "$(dirname "$PEER_DB_PATH")"
rm -f "$PEER_DB_PATH" "$PEER_DB_PATH-wal" "$PEER_DB_PATH-shm" "$PEER_DB_PATH-journal"
manage=("$venv/bin/python" "$project/manage.py")
"${manage[@]}" migrate --noinput -v 0
"${manage[@]}" peer_service_user
# Django's threaded WSGI server (one thread per request), without the autoreloader.
exec "${manage[@]}" runserver "127.0.0.1:$port" --noreload --skip-checks
