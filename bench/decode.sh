#!/usr/bin/env bash
# Decoding speed and memory of the edf crate against MNE-Python on the peers benchmark data.
#
#   PEERS_DATA=<data folder> PEERS_PYTHON=<peers venv>/bin/python bench/decode.sh
#
# PEERS_DATA    folder made by `make_edf.py --benchmark-set` (sets a/ and b/ are used)
# PEERS_PYTHON  python of the venv that has mne installed (see ../shared/peers/README.md)
# PEERS         the peers folder (default: ../shared/peers beside the repository)
# REPS          fresh processes per job (default 3); the table shows medians
# SHORT_FILE    64 ch x 512 Hz x 15 min EDF for the memory check; made with make_edf.py
#               when missing (default: $PEERS_DATA/flat/a_64ch_512Hz_15min.edf)
# PRETOUCH_GB   if set, write that many GB of memory once before timing (a VM that has
#               never touched memory pages runs much slower the first time it does)
#
# For each of sets a and b, every repetition reads the set's files with `cat` (so they come
# from the page cache), then runs, each as a fresh process under /usr/bin/time -v:
# MNE read_raw_edf(preload=True) via bench_mne.py, and the `decode` example of the edf crate
# in --whole and --stream mode (one thread). Times are those printed by each process for
# its read/decode loop only; peak RSS is /usr/bin/time's "Maximum resident set size".
# Then the memory check: --stream and --whole on file a (60 min) and on SHORT_FILE (15 min).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${PEERS:-$(cd "$ROOT/.." && pwd)/shared/peers}
: "${PEERS_DATA:?set PEERS_DATA to the folder made by make_edf.py --benchmark-set}"
: "${PEERS_PYTHON:?set PEERS_PYTHON to the python of the venv with mne}"
REPS=${REPS:-3}
SHORT_FILE=${SHORT_FILE:-$PEERS_DATA/flat/a_64ch_512Hz_15min.edf}
export PEERS_DATA

[[ -f $PEERS/bench_mne.py ]] || { echo "no bench_mne.py in $PEERS (set PEERS)" >&2; exit 1; }
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (GNU time)" >&2; exit 1; }

echo "building the decode example (release)" >&2
DECODE=$(cd "$ROOT" && cargo build --release -p edf --example decode \
    --message-format=json-render-diagnostics |
    sed -n 's/.*"executable":"\([^"]*\/decode\)".*/\1/p' | tail -n 1)
[[ -x $DECODE ]] || { echo "could not find the built decode example" >&2; exit 1; }

shopt -s nullglob
FILES_A=("$PEERS_DATA"/a/*.edf)
FILES_B=("$PEERS_DATA"/b/sub-*/*.edf)
((${#FILES_A[@]} == 1)) || { echo "expected one file in $PEERS_DATA/a" >&2; exit 1; }
((${#FILES_B[@]} > 0)) || { echo "no files in $PEERS_DATA/b" >&2; exit 1; }

if [[ ! -f $SHORT_FILE ]]; then
    echo "making $SHORT_FILE" >&2
    "$PEERS_PYTHON" "$PEERS/make_edf.py" "$SHORT_FILE" --channels 64 --sfreq 512 \
        --minutes 15 --seed 1 >&2
fi

if [[ -n ${PRETOUCH_GB:-} ]]; then
    echo "touching $PRETOUCH_GB GB of memory once" >&2
    # Held all at once: freed pages would be handed out again to the next allocation.
    "$PEERS_PYTHON" -c "import numpy as np
held = [np.ones(2**25) for _ in range(int(float('$PRETOUCH_GB') * 4))]"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# One line per run: job data rep seconds bytes samples rss_kb rss_anon_kb rss_file_kb checksum
RUNS=$WORK/runs.tsv
: >"$RUNS"

# run JOB DATA REP CMD...: runs CMD under /usr/bin/time -v and appends its line to $RUNS.
run() {
    local job=$1 data=$2 rep=$3
    shift 3
    if ! /usr/bin/time -v "$@" >"$WORK/out" 2>"$WORK/err"; then
        echo "failed: $*" >&2
        tail -n 20 "$WORK/err" >&2
        exit 1
    fi
    local line rss
    line=$(grep '^RESULT ' "$WORK/out" | tail -n 1)
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): \([0-9]*\).*/\1/p' "$WORK/err")
    field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p" <<<"$line"; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$job" "$data" "$rep" \
        "$(field seconds)" "$(field bytes)" "$(field samples)" "$rss" \
        "$(field rss_anon_max_kb)" "$(field rss_file_max_kb)" "$(field checksum)" >>"$RUNS"
    printf '%-7s %-6s run %s: %ss, peak RSS %s MB\n' "$job" "$data" "$rep" \
        "$(field seconds)" "$((rss / 1024))" >&2
}

for set in a b; do
    if [[ $set == a ]]; then files=("${FILES_A[@]}"); else files=("${FILES_B[@]}"); fi
    for ((rep = 1; rep <= REPS; rep++)); do
        cat "${files[@]}" >/dev/null
        run mne "$set" "$rep" "$PEERS_PYTHON" "$PEERS/bench_mne.py" read "$set"
        cat "${files[@]}" >/dev/null
        run whole "$set" "$rep" "$DECODE" --whole --label "$set" "${files[@]}"
        cat "${files[@]}" >/dev/null
        run stream "$set" "$rep" "$DECODE" --stream --label "$set" "${files[@]}"
    done
done

for name in 60min 15min; do
    if [[ $name == 60min ]]; then f=${FILES_A[0]}; else f=$SHORT_FILE; fi
    for ((rep = 1; rep <= REPS; rep++)); do
        for mode in stream whole; do
            cat "$f" >/dev/null
            run "$mode" "$name" "$rep" "$DECODE" "--$mode" --label "$name" "$f"
        done
    done
done

# Decoded values must not depend on the mode.
awk -F'\t' '$1 != "mne" { k = $2; if (k in sum && sum[k] != $10 "") bad[k] = 1; sum[k] = $10 "" }
    END { for (k in bad) { print "checksums differ between runs on " k > "/dev/stderr"; e = 1 }
          exit e }' "$RUNS"

# stats JOB DATA: "median min max bytes samples max_rss_kb max_anon_kb max_file_kb"
stats() {
    awk -F'\t' -v job="$1" -v data="$2" '$1 == job && $2 == data {
            s[n++] = $4; b = $5; smp = $6
            if ($7 > r) r = $7; if ($8 > an) an = $8; if ($9 > fi) fi = $9 }
        END {
            if (n == 0) exit 1
            for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
            med = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2
            print med, s[0], s[n - 1], b, smp, r, an, fi }' "$RUNS"
}

echo
echo "| data | reader | median s | (min-max s) | MB/s (EDF) | Msamples/s | peak RSS MB | MNE time / this time |"
echo "|---|---|---:|---:|---:|---:|---:|---:|"
for set in a b; do
    read -r mne_med _ <<<"$(stats mne "$set")"
    for job in mne whole stream; do
        case $job in
        mne) label="MNE read_raw_edf(preload=True), float64" ;;
        whole) label="edf decode --whole (f32, all signals held), 1 thread" ;;
        stream) label="edf decode --stream (f32, 1 s blocks), 1 thread" ;;
        esac
        read -r med lo hi bytes samples rss _ <<<"$(stats "$job" "$set")"
        awk -v d="$set" -v l="$label" -v med="$med" -v lo="$lo" -v hi="$hi" -v b="$bytes" \
            -v s="$samples" -v r="$rss" -v m="$mne_med" 'BEGIN {
            printf "| %s | %s | %.3f | %.2f-%.2f | %.0f | %.1f | %.0f | %.1f |\n",
                d, l, med, lo, hi, b / 1e6 / med, s / 1e6 / med, r / 1024, m / med }'
    done
done

echo
echo "| file | mode | EDF MB | median s | peak RSS MB | of which mapped EDF pages MB | anonymous MB |"
echo "|---|---|---:|---:|---:|---:|---:|"
for name in 60min 15min; do
    for mode in stream whole; do
        read -r med _ _ bytes _ rss anon file <<<"$(stats "$mode" "$name")"
        awk -v n="64 ch x 512 Hz x $name" -v mo="$mode" -v med="$med" -v b="$bytes" -v r="$rss" \
            -v an="$anon" -v fi="$file" 'BEGIN {
            printf "| %s | %s | %.0f | %.3f | %.0f | %.0f | %.1f |\n",
                n, mo, b / 1e6, med, r / 1024, fi / 1024, an / 1024 }'
    done
done
