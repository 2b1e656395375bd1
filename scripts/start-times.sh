#!/usr/bin/env bash
# Cold and warm start of the example probes (Rust inventory/silos/orders, Python orders, JS
# orders): `probe-host demo` twice on one empty cache directory, printing each probe's load
# time (read + compile, or read + load from the cache), the time until /readyz answers 200 (every
# probe loaded and run once) and until every probe runs optimized code. Release build; extra
# arguments go to `probe-host demo` (e.g. `--compiler optimizing`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build-probes.sh
probes/python/build.sh target/lang-probes >/dev/null
probes/js/build.sh target/lang-probes >/dev/null
cargo build --quiet --release -p probe-host

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/probes"
cp target/probes/wasm32-wasip2/release/{inventory,silos,orders}.wasm "$work/probes/"
cp target/lang-probes/orders-py.wasm target/lang-probes/orders-js.wasm "$work/probes/"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

for run in cold warm; do
  started=$(date +%s.%N)
  target/release/probe-host demo --probes-dir "$work/probes" --cache-dir "$work/cache" \
    --web.listen-address "127.0.0.1:$port" "$@" >/dev/null 2>"$work/$run.log" &
  pid=$!
  until curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.05; done
  ready=$(date +%s.%N)
  echo "== $run start: ready after $(python3 -c "print(f'{$ready - $started:.2f}')") s"
  until [ "$(curl -fs "http://127.0.0.1:$port/metrics" -H 'Accept: text/plain' | grep -c '^probe_host_probe_optimized{.*} 1')" = 5 ]; do
    sleep 0.05
  done
  optimized=$(date +%s.%N)
  echo "== $run start: every probe optimized after $(python3 -c "print(f'{$optimized - $started:.2f}')") s"
  curl -fs "http://127.0.0.1:$port/metrics" -H 'Accept: text/plain' \
    | grep -E '^probe_host_(probe_load_duration_seconds|probe_last_run_duration_seconds|compile_cache_(hits|misses)_total)' | sort
  kill "$pid"
  wait "$pid" 2>/dev/null || true
done

# A probe author's first `probe-host once` of each large component, nothing cached.
sim_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
target/release/probe-host simulator --listen "127.0.0.1:$sim_port" --token once-token >/dev/null 2>&1 &
sim=$!
until curl -fs "http://127.0.0.1:$sim_port/api/v0/health" -H 'Authorization: Bearer once-token' >/dev/null 2>&1; do sleep 0.05; done
for probe in orders-py orders-js; do
  started=$(date +%s.%N)
  POTATO_API_TOKEN=once-token target/release/probe-host once "$work/probes/$probe.wasm" --no-cache "$@" \
    --api-url "http://127.0.0.1:$sim_port/api/v0" >/dev/null 2>&1
  done_at=$(date +%s.%N)
  echo "== first once of $probe (nothing cached): $(python3 -c "print(f'{$done_at - $started:.2f}')") s"
done
kill "$sim"
