#!/usr/bin/env bash
# The baseline on the demo dataset: `preflight train` with the audit and
# with --no-audit, for a few seeds (each seed draws another split of the
# subjects), with wall time and peak memory. Writes the demo dataset if
# DEMO (default /tmp/preflight-bench-train/demo) does not exist.
#
#   SEEDS="0 1 2" MODES="audit raw" bench/train.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p preflight-cli
bin=target/release/preflight
scratch=${SCRATCH:-/tmp/preflight-bench-train}
demo=${DEMO:-$scratch/demo}
mkdir -p "$scratch"
if [ ! -d "$demo" ]; then
  "$bin" demo --out "$demo" --no-train > /dev/null
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %-5s %-14s %-9s %-9s %-8s %-9s %-8s\n' run seed test_subjects bal_acc accuracy roc_auc wall_s rss_mb
for seed in ${SEEDS:-0 1 2}; do
  for mode in ${MODES:-audit raw}; do
    out=$scratch/$mode-$seed
    rm -rf "$out"
    flag=()
    [ "$mode" = raw ] && flag=(--no-audit)
    /usr/bin/time -f "%e %M" -o "$scratch/time" "$bin" train "$demo" "${flag[@]}" --seed "$seed" \
      --out "$out" --fail-on none > "$scratch/$mode-$seed.out" 2> "$scratch/$mode-$seed.err"
    read -r wall rss < "$scratch/time"
    python3 - "$out/train.json" "$mode" "$seed" "$wall" "$rss" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
c = t["scorecard"]
print(f"{sys.argv[2]:<9} {sys.argv[3]:<5} {','.join(t['test_subjects']):<14} "
      f"{c['balanced_accuracy']:<9.3f} {c['accuracy']:<9.3f} {c['roc_auc'] or float('nan'):<8.3f} "
      f"{float(sys.argv[4]):<9.1f} {int(sys.argv[5]) / 1024:<8.0f}")
PY
  done
done
