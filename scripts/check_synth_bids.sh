#!/usr/bin/env bash
# Checks that the BIDS datasets `preflight synth` writes pass the BIDS
# validator (the npm `bids-validator` package): writes a few datasets
# (32 and 64 channels, 50 and 60 Hz, every fault kind, and the demo at
# short runs) into a temporary directory and validates each. Fails on any
# validator error, and on any warning other than TOO_FEW_AUTHORS (the
# datasets name one author, the generator).
#
#   scripts/check_synth_bids.sh
#
# The validator is installed with npm into $PREFLIGHT_BIDS_VALIDATOR
# (default ~/.cache/preflight/bids-validator) on first use; needs node and
# npm. Set KEEP_OUTPUT=1 to keep the written datasets.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${PREFLIGHT_BIDS_VALIDATOR:-$HOME/.cache/preflight/bids-validator}"
validator="$prefix/node_modules/.bin/bids-validator"

if [[ ! -x "$validator" ]]; then
    echo "installing bids-validator into $prefix" >&2
    mkdir -p "$prefix"
    (cd "$prefix" && npm install --silent --no-audit --no-fund bids-validator >/dev/null)
fi

source "$root/scripts/common.sh"
scratch synth-bids

run synth "$out/default" --subjects 4 --runs 2 --minutes 0.5 --seed 1
run synth "$out/wide" --subjects 3 --runs 1 --minutes 0.5 --seed 2 --mains 60 --channels 64
run demo --minutes 0.2 --out "$out/demo" 2>/dev/null

status=0
for d in "$out"/*/; do
    name="$(basename "$d")"
    if ! "$validator" "$d" --json >"$out/$name.json" 2>/dev/null; then
        : # the exit code is 1 on errors; the JSON says which
    fi
    if ! python3 - "$out/$name.json" "$name" <<'EOF'; then
import json, sys
report = json.load(open(sys.argv[1]))
issues = report["issues"]
errors = [e["key"] for e in issues["errors"]]
warnings = [w["key"] for w in issues["warnings"] if w["key"] != "TOO_FEW_AUTHORS"]
summary = report.get("summary", {})
print(f"{sys.argv[2]}: {summary.get('totalFiles', '?')} files, "
      f"{len(errors)} errors {errors}, {len(warnings)} other warnings {warnings}")
sys.exit(1 if errors or warnings else 0)
EOF
        status=1
    fi
done
exit "$status"
