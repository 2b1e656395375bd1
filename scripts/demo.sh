#!/usr/bin/env bash
# Runs the demo: the potato-api simulator and the example probes on loopback.
# Open the URL it prints; stop with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-probes.sh
exec cargo run --quiet -p probe-host -- demo "$@"
