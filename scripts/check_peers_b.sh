#!/usr/bin/env bash
# Checks `preflight audit` on the peers' benchmark set (b) against what was
# planted there: 40 µV of 60 Hz mains on T7, T8, C3 and P7 of subject 07,
# runs 2 and 3 (../shared/peers/README.md). Passes when the findings are
# exactly those 8 recording × channel pairs, each with cause `mains`, both
# with the default 1/1000 sample and with --full; prints what differs
# otherwise.
#
#   scripts/check_peers_b.sh [PEERS_DATA]
#
# PEERS_DATA (default $PEERS_DATA, else /work/peers-data) is the folder
# ../shared/peers/make_edf.py --benchmark-set wrote; when its b/ is missing
# the set is made there first, with the Python packages the peers' script
# needs installed into $PREFLIGHT_VENV (default ~/.cache/preflight/venv).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="${1:-${PEERS_DATA:-/work/peers-data}}"
peers="$root/../shared/peers"
source "$root/scripts/common.sh"

if [[ ! -d "$data/b" ]]; then
    python_venv numpy scipy mne pyedflib
    echo "making the benchmark set in $data (about 1.5 minutes, 1 GB)" >&2
    "$venv/bin/python" "$peers/make_edf.py" --benchmark-set "$data" >/dev/null
fi

scratch peers-b
expected="$out/expected.txt"
for run in 2 3; do
    for channel in C3 P7 T7 T8; do
        echo "sub-07/sub-07_run-${run}_eeg.edf $channel mains"
    done
done | sort >"$expected"

status=0
for mode in sample full; do
    flags=()
    [[ $mode == full ]] && flags=(--full)
    run audit "${flags[@]}" --fail-on none "$data/b" --out "$out/$mode"
    python3 - "$out/$mode/report.json" >"$out/$mode.txt" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
for f in report["findings"]:
    print(f["recording"], f["channel"], f["cause"])
PY
    sort -o "$out/$mode.txt" "$out/$mode.txt"
    if diff -u "$expected" "$out/$mode.txt"; then
        echo "set (b), $mode: the 8 planted channels, cause mains, no false positive"
    else
        echo "set (b), $mode: findings differ from the planted channels (above)" >&2
        status=1
    fi
done
exit $status
