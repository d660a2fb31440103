#!/usr/bin/env bash
# Generation speed of `preflight synth`: writes the demo dataset (20
# subjects × 4 runs × 32 channels at 256 Hz, 5 min runs, 395 MB of EDF)
# RUNS times (default 5) with 1 and with 2 worker threads, and prints the
# median wall time and MB/s (10^6 bytes of EDF per second) of each, plus
# the time `preflight inspect` takes on the result.
#
#   bench/synth.sh            # from the repository root
#   RUNS=3 OUT=/tmp/x bench/synth.sh
#
# Builds the release binary first. The dataset is written to $OUT (default
# a temporary directory), removed between runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs="${RUNS:-5}"
out="${OUT:-$(mktemp -d "${TMPDIR:-/tmp}/synth-bench.XXXXXX")}"
trap 'rm -rf "$out"' EXIT

cargo build --quiet --release --manifest-path "$root/Cargo.toml" -p preflight-cli
bin="$root/target/release/preflight"

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for threads in 1 2; do
    times=()
    for _ in $(seq "$runs"); do
        rm -rf "$out/demo"
        start=$(date +%s.%N)
        RAYON_NUM_THREADS=$threads "$bin" demo --out "$out/demo" >/dev/null 2>&1
        end=$(date +%s.%N)
        times+=("$(echo "$end - $start" | bc -l)")
    done
    bytes=$(find "$out/demo" -name '*.edf' -printf '%s\n' | awk '{ s += $1 } END { print s }')
    t=$(printf '%s\n' "${times[@]}" | median)
    range=$(printf '%s\n' "${times[@]}" | sort -g | awk 'NR == 1 { a = $1 } { b = $1 } END { printf "%.2f-%.2f", a, b }')
    printf 'demo, %d thread(s): median %.2f s (%s s over %d runs), %.1f MB, %.0f MB/s\n' \
        "$threads" "$t" "$range" "$runs" "$(echo "$bytes / 1000000" | bc -l)" \
        "$(echo "$bytes / 1000000 / $t" | bc -l)"
done

start=$(date +%s.%N)
"$bin" inspect "$out/demo" >/dev/null
end=$(date +%s.%N)
printf 'inspect of the demo dataset: %.2f s\n' "$(echo "$end - $start" | bc -l)"
