#!/usr/bin/env bash
# Time of `preflight inspect` on a data folder (headers and annotations only) against
# MNE-Python opening the same EDF/BDF files without loading their samples.
#
#   bench/inspect.sh [DATA]        (default DATA: ../shared/data beside the repository)
#
# PEERS_PYTHON  python of a venv with mne (optional; without it only preflight is timed)
# REPS          fresh processes per tool (default 5); the table shows medians
#
# MNE's figure is `mne.io.read_raw_edf` / `read_raw_bdf` with preload=False for every
# file MNE opens, timed inside the process (after `import mne`); files it refuses are
# counted and skipped. preflight's figure is the whole process, startup included.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA=${1:-$(cd "$ROOT/.." && pwd)/shared/data}
REPS=${REPS:-5}
[[ -d $DATA ]] || { echo "no data folder $DATA" >&2; exit 1; }

echo "building preflight (release)" >&2
(cd "$ROOT" && cargo build --release -q -p preflight-cli)
BIN=$ROOT/target/release/preflight

# Warm the page cache, then time fresh processes.
find "$DATA" -type f \( -iname '*.edf' -o -iname '*.bdf' \) -exec cat {} + >/dev/null

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

ours=()
for _ in $(seq "$REPS"); do
    start=$(date +%s.%N)
    "$BIN" inspect "$DATA" >/dev/null 2>&1 || true   # exit code 1: some files unreadable
    end=$(date +%s.%N)
    ours+=("$(echo "$end - $start" | bc -l)")
done
ours_s=$(printf '%s\n' "${ours[@]}" | median)
files=$(find "$DATA" -type f \( -iname '*.edf' -o -iname '*.bdf' \) | wc -l)

echo "| tool | files | median s (of $REPS) |"
echo "|---|---:|---:|"
printf '| preflight inspect (whole process) | %d | %.3f |\n' "$files" "$ours_s"

if [[ -n ${PEERS_PYTHON:-} ]]; then
    mne=()
    for _ in $(seq "$REPS"); do
        mne+=("$("$PEERS_PYTHON" - "$DATA" <<'PY'
import pathlib, sys, time, warnings
import mne
mne.set_log_level("ERROR")
warnings.simplefilter("ignore")
paths = sorted(p for p in pathlib.Path(sys.argv[1]).rglob("*")
               if p.suffix.lower() in (".edf", ".bdf") and p.is_file())
t0 = time.perf_counter()
refused = 0
for p in paths:
    try:
        reader = mne.io.read_raw_bdf if p.suffix.lower() == ".bdf" else mne.io.read_raw_edf
        reader(p, preload=False)
    except Exception:
        refused += 1
print(time.perf_counter() - t0)
PY
)")
    done
    mne_s=$(printf '%s\n' "${mne[@]}" | median)
    printf '| MNE read_raw_edf(preload=False), after import | %d | %.3f |\n' "$files" "$mne_s"
    printf '\nMNE time / preflight time: %.1f\n' "$(echo "$mne_s / $ours_s" | bc -l)"
fi
