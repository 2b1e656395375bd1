#!/usr/bin/env bash
# Instructions per probe run, counted by valgrind's callgrind: noise-free where the timings in
# docs/performance.md are not. For each run-overhead variant of the benchmark, counts every
# instruction of the whole process at two run counts; the difference over the difference in
# runs is what one run costs (start-up, compilation and warm-up cancel out).
#
#   scripts/instruction-counts.sh            # release build: the figures in docs/performance.md
#   scripts/instruction-counts.sh --smoke    # dev build, one variant, few runs: checks it works (.ci/run)
#
# Needs valgrind (Debian: apt-get install valgrind; scripts/setup.sh --test-tools installs it).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
profile=(--profile bench) low=100 high=400 variants=(0 1 2 3)
if [ "${1:-}" = "--smoke" ]; then
    profile=(--profile dev) low=10 high=60 variants=(0)
fi
bench=$(cargo bench "${profile[@]}" -p probe-host --bench perf --no-run --message-format=json 2>/dev/null |
    python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "perf" and m.get("executable"):
        print(m["executable"])')
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
count() { # variant runs -> total instructions
    valgrind --tool=callgrind --callgrind-out-file="$out/cg" "$bench" --only run --variant "$1" --runs "$2" \
        >"$out/log" 2>&1 || { cat "$out/log" >&2; exit 1; }
    sed -n 's/^summary: //p' "$out/cg"
}
echo "| variant | instructions per run |"
echo "|---|---|"
for variant in "${variants[@]}"; do
    a=$(count "$variant" "$low")
    name=$(sed -n 's/^| \(.*\) | .* |$/\1/p' "$out/log" | tail -1)
    b=$(count "$variant" "$high")
    per_run=$(( (b - a) / (high - low) ))
    # A run executes tens of thousands of instructions; anything near zero means the counts
    # did not cover the runs (a broken measurement, not a fast host).
    [ "$per_run" -gt 1000 ] || { echo "$name: $per_run instructions per run is not a measurement" >&2; exit 1; }
    echo "| $name | $per_run |"
done
