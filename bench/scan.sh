#!/usr/bin/env bash
# Speed and memory of `preflight scan` against the Python peers on the peers benchmark data.
#
#   PEERS_DATA=<data folder> PEERS_PYTHON=<peers venv>/bin/python bench/scan.sh
#
# PEERS_DATA    folder made by `make_edf.py --benchmark-set` (sets a/ and b/ are used)
# PEERS_PYTHON  python of the venv with mne, pyedflib and numpy (see ../shared/peers/README.md)
# PEERS         the peers folder (default: ../shared/peers beside the repository)
# REPS          fresh processes per job (default 3); the tables show medians
# PREP          set to 1 to time `scan --prep` against PyPREP on set b too (PyPREP runs once)
#
# Every repetition reads the set's files with `cat` first, so they come from the page cache,
# then runs each job as a fresh process under /usr/bin/time -v:
#   cat       bench_numpy.py cat: `cat FILES > /dev/null`, timed around the subprocess
#   mne-read  bench_mne.py read: mne.io.read_raw_edf(preload=True) of every file
#   mne-psd   bench_mne.py psd: raw.compute_psd() of every file (reading not timed)
#   np-stats  bench_numpy.py stats: per-channel statistics and histogram (loading not timed)
#   scan      preflight scan SET -o OUT.json, both cores; the whole process is timed (start,
#             discovery, every measure, writing the JSON), from /usr/bin/time's wall clock
# The peers' times are those printed by each process for its timed part only. Peak RSS is
# /usr/bin/time's "Maximum resident set size"; process CPU is its user + system time for the
# whole process (the peers' includes their untimed loading and imports). On set a (one 60 min file) only cat, mne-read
# and scan run: the memory target is for that file.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${PEERS:-$(cd "$ROOT/.." && pwd)/shared/peers}
: "${PEERS_DATA:?set PEERS_DATA to the folder made by make_edf.py --benchmark-set}"
: "${PEERS_PYTHON:?set PEERS_PYTHON to the python of the venv with mne}"
REPS=${REPS:-3}
export PEERS_DATA

[[ -f $PEERS/bench_mne.py ]] || { echo "no bench_mne.py in $PEERS (set PEERS)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (GNU time)" >&2; exit 1; }

echo "building preflight (release)" >&2
(cd "$ROOT" && cargo build --release -q -p preflight-cli)
BIN=$ROOT/target/release/preflight

shopt -s nullglob
FILES_A=("$PEERS_DATA"/a/*.edf)
FILES_B=("$PEERS_DATA"/b/sub-*/*.edf)
((${#FILES_A[@]} == 1)) || { echo "expected one file in $PEERS_DATA/a" >&2; exit 1; }
((${#FILES_B[@]} > 0)) || { echo "no files in $PEERS_DATA/b" >&2; exit 1; }

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# One line per run: job data rep seconds rss_kb cpu_seconds
RUNS=$WORK/runs.tsv
: >"$RUNS"

# run JOB DATA REP CMD...: runs CMD under /usr/bin/time -v and appends its line to $RUNS.
# The time is the RESULT line's `seconds` when the command prints one, else the wall clock.
run() {
    local job=$1 data=$2 rep=$3
    shift 3
    if ! /usr/bin/time -v "$@" >"$WORK/out" 2>"$WORK/err"; then
        echo "failed: $*" >&2
        tail -n 20 "$WORK/err" >&2
        exit 1
    fi
    local seconds rss wall
    seconds=$(sed -n 's/^RESULT .*"seconds": *\([0-9.eE+-]*\).*/\1/p' "$WORK/out" | tail -n 1)
    if [[ -z $seconds ]]; then
        wall=$(sed -n 's/.*Elapsed (wall clock) time.*: \([0-9:.]*\)$/\1/p' "$WORK/err")
        seconds=$(awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' \
            <<<"$wall")
    fi
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$WORK/err")
    cpu=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$WORK/err")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$job" "$data" "$rep" "$seconds" "$rss" "$cpu" >>"$RUNS"
    printf '%-8s %-2s run %s: %ss, peak RSS %s MB\n' "$job" "$data" "$rep" "$seconds" \
        "$((rss / 1024))" >&2
}

for ((rep = 1; rep <= REPS; rep++)); do
    for set in b a; do
        if [[ $set == a ]]; then files=("${FILES_A[@]}"); else files=("${FILES_B[@]}"); fi
        jobs=(cat mne-read scan)
        [[ $set == b ]] && jobs=(cat mne-read mne-psd np-stats scan)
        for job in "${jobs[@]}"; do
            cat "${files[@]}" >/dev/null
            case $job in
            cat) run cat "$set" "$rep" "$PEERS_PYTHON" "$PEERS/bench_numpy.py" cat "$set" ;;
            mne-read) run "$job" "$set" "$rep" "$PEERS_PYTHON" "$PEERS/bench_mne.py" read "$set" ;;
            mne-psd) run "$job" "$set" "$rep" "$PEERS_PYTHON" "$PEERS/bench_mne.py" psd "$set" ;;
            np-stats) run "$job" "$set" "$rep" "$PEERS_PYTHON" "$PEERS/bench_numpy.py" stats "$set" ;;
            scan) run scan "$set" "$rep" "$BIN" scan "$PEERS_DATA/$set" -o "$WORK/$set.json" ;;
            esac
        done
    done
done

# stats JOB DATA: "median min max max_rss_kb median_cpu_s"
stats() {
    awk -F'\t' -v job="$1" -v data="$2" '$1 == job && $2 == data {
            c[n + 0] = $6; s[n + 0] = $4; n++; if ($5 > r) r = $5 }
        END {
            if (n == 0) exit 1
            for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) {
                if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
                if (c[j] < c[i]) { t = c[i]; c[i] = c[j]; c[j] = t } }
            med = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
            cmed = n % 2 ? c[(n - 1) / 2] : (c[n / 2 - 1] + c[n / 2]) / 2
            print med, s[0], s[n - 1], r, cmed }' "$RUNS"
}

bytes_b=$(cat "${FILES_B[@]}" | wc -c)
bytes_a=$(cat "${FILES_A[@]}" | wc -c)

echo
echo "| data | job | median s | (min-max s) | MB/s (EDF) | peak RSS MB | process CPU s |"
echo "|---|---|---:|---:|---:|---:|---:|"
for set in b a; do
    if [[ $set == a ]]; then bytes=$bytes_a; jobs="cat mne-read scan"
    else bytes=$bytes_b; jobs="cat mne-read mne-psd np-stats scan"; fi
    for job in $jobs; do
        read -r med lo hi rss cpu <<<"$(stats "$job" "$set")"
        awk -v d="$set" -v j="$job" -v med="$med" -v lo="$lo" -v hi="$hi" -v b="$bytes" \
            -v r="$rss" -v c="$cpu" 'BEGIN {
            printf "| %s | %s | %.3f | %.2f-%.2f | %.0f | %.0f | %.2f |\n",
                d, j, med, lo, hi, b / 1e6 / med, r / 1024, c }'
    done
done

read -r cat_b _ <<<"$(stats cat b)"
read -r read_b _ <<<"$(stats mne-read b)"
read -r psd_b _ <<<"$(stats mne-psd b)"
read -r np_b _ <<<"$(stats np-stats b)"
read -r scan_b _ <<<"$(stats scan b)"
read -r _ _ _ rss_a <<<"$(stats scan a)"
echo
awk -v c="$cat_b" -v r="$read_b" -v p="$psd_b" -v n="$np_b" -v s="$scan_b" -v m="$rss_a" 'BEGIN {
    mne = r + p + n
    printf "- set b: MNE read + Welch PSD + numpy stats = %.2f + %.2f + %.2f = %.2f s;", r, p, n, mne
    printf " preflight scan %.2f s: %.1fx faster (target 25x)\n", s, mne / s
    printf "- set b: preflight scan runs at %.1f%% of the speed of cat (%.3f s; target 15%%)\n", 100 * c / s, c
    printf "- set a: preflight scan peak RSS %.0f MB (target under 300 MB)\n", m / 1024 }'

# PREP=1: PyPREP's criteria on set b, `scan --prep` (REPS runs) against PyPREP 0.9's
# find_all_bads(ransac=False) (one run: it takes minutes), and whether their flags agree.
if [[ ${PREP:-0} == 1 ]]; then
    for ((rep = 1; rep <= REPS; rep++)); do
        cat "${FILES_B[@]}" >/dev/null
        run scan-prep b "$rep" "$BIN" scan --prep "$PEERS_DATA/b" -o "$WORK/b-prep.json"
    done
    cat "${FILES_B[@]}" >/dev/null
    run pyprep b 1 "$PEERS_PYTHON" "$PEERS/bench_pyprep.py" noransac b "$WORK/pyprep-b.json"
    read -r prep_s _ _ prep_rss prep_cpu <<<"$(stats scan-prep b)"
    read -r py_s _ _ py_rss py_cpu <<<"$(stats pyprep b)"
    echo
    awk -v s="$prep_s" -v r="$prep_rss" -v c="$prep_cpu" -v p="$py_s" -v q="$py_rss" -v d="$py_cpu" 'BEGIN {
        printf "- set b: preflight scan --prep %.2f s (CPU %.1f s, %.0f MB); PyPREP %.2f s", s, c, r / 1024, p
        printf " timed part (process CPU %.1f s, %.0f MB): %.1fx sooner\n", d, q / 1024, p / s }'
    "$PEERS_PYTHON" - "$WORK/b-prep.json" "$WORK/pyprep-b.json" <<'PY'
import json, sys
ours, theirs = (json.load(open(p)) for p in sys.argv[1:3])
keys = {"bad_by_nan": "nan", "bad_by_flat": "flat", "bad_by_deviation": "deviation",
        "bad_by_hf_noise": "hf_noise", "bad_by_correlation": "correlation",
        "bad_by_SNR": "snr", "bad_by_dropout": "dropout"}
differ, flags, psd = 0, 0, 0
for r in ours["recordings"]:
    p = theirs[r["path"].split("/")[-1]]
    want = {(c, keys[k]) for k, v in p.items() if k in keys for c in v}
    psd += len(p.get("bad_by_psd", []))
    got = {(c["name"], k) for c in (r.get("prep") or {}).get("channels", [])
           for k in keys.values() if c[k]}
    flags += len(got)
    differ += got != want
print(f"- set b: {flags} flags by preflight, files whose flags differ from PyPREP's: {differ} "
      f"(PyPREP's PSD criterion, left out, adds {psd})")
PY
fi
