#!/usr/bin/env bash
# Audit benchmarks: the demo end to end, the peers' set (b), and a sampled audit of a
# 100-subject synthetic dataset against a full pass over it.
#
#   bench/audit.sh
#
# WORK        scratch folder for generated datasets (default /tmp/preflight-bench-audit);
#             the 100-subject dataset takes about 4 GB there
# PEERS_DATA  folder made by ../shared/peers/make_edf.py --benchmark-set (optional: set (b)
#             is audited when $PEERS_DATA/b exists)
# REPS        fresh processes per timing (default 3); medians are reported
# SKIP_BIG    set to 1 to skip the 100-subject dataset
# COLD        set to 0 to skip the timings out of the page cache (default 1, Linux)
# SKIP_FULL_AUDIT  set to 1 not to time `preflight audit --full` of the 100 subjects as well
#
# Every timing is a fresh process with a warm page cache (the dataset is read with `cat`
# first), as in ../shared/peers/RESULTS.md. With COLD=1 the 100-subject audit and full pass
# are timed once more with every file of the dataset evicted from this machine's page cache
# before each run (GNU dd's iflag=nocache, i.e. posix_fadvise(POSIX_FADV_DONTNEED)): the
# files then come from the disk, or from whatever cache lies below a virtual disk. "Full pass" is `preflight scan` when the
# binary has it (every channel of every recording measured), else `preflight audit --full`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=${WORK:-/tmp/preflight-bench-audit}
REPS=${REPS:-3}
mkdir -p "$WORK"

echo "building preflight (release)" >&2
(cd "$ROOT" && cargo build --release -q -p preflight-cli)
BIN=$ROOT/target/release/preflight

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# Seconds of one command, as a fresh process; its output goes to $WORK/last.out.
seconds() {
    local start end
    start=$(date +%s.%N)
    "$@" >"$WORK/last.out" 2>"$WORK/last.err" || true
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

# Median seconds of REPS runs of a command.
timed() {
    local runs=()
    for _ in $(seq "$REPS"); do runs+=("$(seconds "$@")"); done
    printf '%s\n' "${runs[@]}" | median
}

warm() { find "$1" -type f -name '*.edf' -exec cat {} + >/dev/null; }
evict() { find "$1" -type f -exec dd if={} iflag=nocache count=0 status=none \; ; }

# Median seconds of REPS runs of a command, each with the dataset $1 evicted first.
timed_cold() {
    local data=$1 runs=()
    shift
    for _ in $(seq "$REPS"); do
        evict "$data"
        runs+=("$(seconds "$@")")
    done
    printf '%s\n' "${runs[@]}" | median
}

json() { python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$3"; }

echo "## demo (generation + audit, without training), $REPS fresh processes"
demo_runs=()
for i in $(seq "$REPS"); do
    rm -rf "$WORK/demo"
    demo_runs+=("$(seconds "$BIN" demo --out "$WORK/demo" --no-train)")
done
demo_s=$(printf '%s\n' "${demo_runs[@]}" | median)
report="$WORK/demo/derivatives/preflight/report.json"
echo "median ${demo_s} s; $(json - 'len(r["findings"]), "findings;", r["sample"]["bytes_read"]/r["dataset"]["bytes"]*100, "% of bytes read"' "$report")"
warm "$WORK/demo"
audit_s=$(timed "$BIN" audit "$WORK/demo" --out "$WORK/demo-report")
echo "audit alone of the demo dataset: median ${audit_s} s"

if [[ -n ${PEERS_DATA:-} && -d $PEERS_DATA/b ]]; then
    echo "## peers set (b): 80 files, 787 MB"
    warm "$PEERS_DATA/b"
    b_s=$(timed "$BIN" audit "$PEERS_DATA/b" --out "$WORK/b-report")
    echo "audit median ${b_s} s"
    json - "'\\n'.join(f['recording'] + ' ' + f['channel'] + ' ' + f['cause'] for f in r['findings'])" \
        "$WORK/b-report/report.json"
    b_full=$(timed "$BIN" audit --full "$PEERS_DATA/b" --out "$WORK/b-full")
    echo "audit --full median ${b_full} s"
    json - "'\\n'.join(f['recording'] + ' ' + f['channel'] + ' ' + f['cause'] for f in r['findings'])" \
        "$WORK/b-full/report.json"
fi

if [[ ${SKIP_BIG:-0} != 1 ]]; then
    big="$WORK/big"
    if [[ ! -f $big/truth.json ]]; then
        echo "writing the 100-subject dataset (100 x 4 runs x 32 ch x 256 Hz x 10 min)" >&2
        rm -rf "$big"
        gen_s=$(seconds "$BIN" synth "$big" --subjects 100 --runs 4 --minutes 10 --seed 3)
        echo "generated in ${gen_s} s"
    fi
    bytes=$(find "$big" -name '*.edf' -printf '%s\n' | awk '{s+=$1} END {printf "%.0f", s}')
    echo "## 100 subjects: $(find "$big" -name '*.edf' | wc -l) files, $((bytes / 1000000)) MB"
    warm "$big"
    sampled=$(timed "$BIN" audit "$big" --out "$WORK/big-report")
    echo "1/1000 audit: median ${sampled} s; $(json - 'r["sample"]["bytes_read"]/r["dataset"]["bytes"]*100, "% of bytes read;", len(r["findings"]), "findings"' "$WORK/big-report/report.json")"
    if "$BIN" scan --help >/dev/null 2>&1; then
        full_cmd=("$BIN" scan "$big" -o "$WORK/big-scan.json")
        full_name="preflight scan"
    else
        full_cmd=("$BIN" audit --full "$big" --out "$WORK/big-full")
        full_name="preflight audit --full"
    fi
    warm "$big"
    full=$(timed "${full_cmd[@]}")
    echo "full pass ($full_name): median ${full} s"
    printf 'full pass / 1/1000 audit: %.1f\n' "$(echo "$full / $sampled" | bc -l)"
    if [[ $full_name != "preflight audit --full" && ${SKIP_FULL_AUDIT:-0} != 1 ]]; then
        warm "$big"
        full_audit=$(timed "$BIN" audit --full "$big" --out "$WORK/big-full")
        echo "preflight audit --full: median ${full_audit} s; $(json - 'len(r["findings"]), "findings"' "$WORK/big-full/report.json")"
        printf 'audit --full / 1/1000 audit: %.1f\n' "$(echo "$full_audit / $sampled" | bc -l)"
    fi
    if [[ ${COLD:-1} == 1 ]]; then
        cold_sampled=$(timed_cold "$big" "$BIN" audit "$big" --out "$WORK/big-report")
        echo "1/1000 audit out of the page cache: median ${cold_sampled} s"
        cold_full=$(timed_cold "$big" "${full_cmd[@]}")
        echo "full pass ($full_name) out of the page cache: median ${cold_full} s"
        printf 'out of the page cache, full pass / 1/1000 audit: %.1f\n' \
            "$(echo "$cold_full / $cold_sampled" | bc -l)"
        warm "$big"
    fi
fi
