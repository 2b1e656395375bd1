#!/usr/bin/env bash
# Set-up shared by scripts/demo.sh and scripts/test.sh, idempotent, for a fresh machine with
# only rustup and cargo: the wasm target for probes, and (for tests) promtool, wrk, an OCI
# registry and valgrind.
set -euo pipefail

rustup target add wasm32-wasip2 >/dev/null
rustup component add clippy rustfmt >/dev/null 2>&1 || true

# The test suite drives real tools from Debian's packages: promtool (package prometheus), wrk,
# the CNCF distribution registry (package docker-registry) for the OCI tests, and valgrind for
# the instruction counts (scripts/instruction-counts.sh), and Go with client_golang to build the
# hand-written Go exporter the benchmark compares against (host/benches/go_exporter).
if [ "${1:-}" = "--test-tools" ]; then
  missing=()
  command -v go >/dev/null || missing+=(golang-go)
  [ -d /usr/share/gocode/src/github.com/prometheus/client_golang ] || missing+=(golang-github-prometheus-client-golang-dev)
  command -v promtool >/dev/null || missing+=(prometheus)
  command -v wrk >/dev/null || missing+=(wrk)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v valgrind >/dev/null || missing+=(valgrind)
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]} (Debian packages)" >&2
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi
