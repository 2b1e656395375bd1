#!/usr/bin/env bash
# Builds the example probes (and, with --fixtures, the test fixtures) into
# target/probes/wasm32-wasip2/release/.
set -euo pipefail
cd "$(dirname "$0")/.."
manifests=(probes/Cargo.toml)
[ "${1:-}" = "--fixtures" ] && manifests+=(tests/probes/Cargo.toml)
for m in "${manifests[@]}"; do
  cargo build --quiet --release --target wasm32-wasip2 --manifest-path "$m" --target-dir target/probes
done
