#!/usr/bin/env bash
# Builds every JavaScript probe (probes/js/NAME/NAME.js) into OUT_DIR/NAME-js.wasm with
# componentize-js, installed from npm at the versions in package-lock.json.
#   probes/js/build.sh [OUT_DIR]            (default: target/lang-probes)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/target/lang-probes}"
mkdir -p "$out"
if [ ! -d "$here/node_modules/@bytecodealliance/componentize-js" ]; then
  (cd "$here" && npm ci --silent --no-audit --no-fund)
fi
for src in "$here"/*/*.js; do
  # probes/js/sdk is the SDK the examples import, not a probe.
  [ "$(basename "$(dirname "$src")")" = sdk ] && continue
  name="$(basename "$src" .js)"
  wasm="$out/$name-js.wasm"
  if [ -f "$wasm" ] && [ -z "$(find "$(dirname "$src")" "$here/sdk" "$root/wit" -newer "$wasm" -type f -print -quit)" ]; then
    continue
  fi
  node "$here/build.mjs" "$src" "$wasm"
done
