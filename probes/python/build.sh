#!/usr/bin/env bash
# Builds every Python probe (probes/python/NAME/app.py) into OUT_DIR/NAME-py.wasm with
# componentize-py, installed from PyPI at the version in requirements.txt into target/py-venv.
#   probes/python/build.sh [OUT_DIR]        (default: target/lang-probes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/lang-probes}"
venv="$root/target/py-venv"
mkdir -p "$out"
if ! "$venv/bin/componentize-py" --version 2>/dev/null | grep -q "$(cut -d= -f3 "$here/requirements.txt")"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi
for app in "$here"/*/app.py; do
  dir="$(dirname "$app")"
  name="$(basename "$dir")"
  wasm="$out/$name-py.wasm"
  # Skip when the component is newer than its sources and the WIT.
  if [ -f "$wasm" ] && [ -z "$(find "$dir" "$here/sdk" "$root/wit" -newer "$wasm" -type f -print -quit)" ]; then
    continue
  fi
  # The SDK (probes/python/sdk/probe_sdk.py) is importable by every example.
  "$venv/bin/componentize-py" -d "$root/wit" -w probe-host:probe/probe@0.1.2 componentize app -p "$dir" -p "$here/sdk" -o "$wasm" >&2
done
