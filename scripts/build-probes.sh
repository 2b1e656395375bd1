#!/usr/bin/env bash
# Builds the example probes into target/probes/wasm32-wasip2/release/ (where `probe-host demo`
# looks). The test suite builds them, and its fixtures, by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --release --target wasm32-wasip2 --manifest-path probes/Cargo.toml --target-dir target/probes
