#!/usr/bin/env bash
# Checks the shards `preflight export` writes with NumPy: writes a small
# synthetic study with two detached contacts, exports it twice (faulty
# recording excluded, in several shards; faulty channels masked) and runs
# check_export_numpy.py on each export: shapes and dtypes, labels and
# subjects against events.tsv, masked cells, the clean channels' mean 0 and
# std 1, and the indexing of the README's PyTorch Dataset.
#
#   scripts/check_export_numpy.sh
#
# NumPy goes into a virtual environment at $PREFLIGHT_VENV (default
# ~/.cache/preflight/venv), created and filled on first use. Set
# KEEP_OUTPUT=1 to keep the written files.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/common.sh"
python_venv numpy

scratch export-numpy

run synth "$out/data" --subjects 4 --runs 2 --minutes 1 --seed 5 --control none \
    --fault detached:subject=2,run=2,channels=P3+P4,frequency=60
# --full: the statistics are measured on every window, so the exported
# clean channels have mean 0 and std 1 to float precision.
run export "$out/data" "$out/by-recording" --full --shard-size 150
run export "$out/data" "$out/by-channel" --full --exclude channel
"$venv/bin/python" "$root/scripts/check_export_numpy.py" "$out/data" "$out/by-recording" \
    --absent sub-02/eeg/sub-02_task-oddball_run-2_eeg.edf
"$venv/bin/python" "$root/scripts/check_export_numpy.py" "$out/data" "$out/by-channel" \
    --masked sub-02/eeg/sub-02_task-oddball_run-2_eeg.edf:P3+P4
