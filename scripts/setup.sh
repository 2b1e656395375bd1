#!/usr/bin/env bash
# Set-up shared by scripts/demo.sh and scripts/test.sh, idempotent, for a fresh machine with
# only rustup and cargo: the wasm target for probes, and (for tests) promtool.
set -euo pipefail

rustup target add wasm32-wasip2 >/dev/null
rustup component add clippy rustfmt >/dev/null 2>&1 || true

if [ "${1:-}" = "--with-promtool" ] && ! command -v promtool >/dev/null; then
  echo "setup: installing promtool (Debian package prometheus)" >&2
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
