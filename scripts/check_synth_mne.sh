#!/usr/bin/env bash
# Checks that MNE reads every file `preflight synth` writes and finds the
# planted faults where truth.json says: writes a BIDS dataset (one fault of
# each kind, a control subject) and a NumPy dataset (NaN and Inf faults
# too) into a temporary directory and runs check_synth_mne.py on them.
#
#   scripts/check_synth_mne.sh
#
# Python packages go into a virtual environment at $PREFLIGHT_VENV (default
# ~/.cache/preflight/venv), created and filled on first use. Set
# KEEP_OUTPUT=1 to keep the written datasets.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/common.sh"
python_venv mne scipy

scratch synth-mne

run synth "$out/bids" --subjects 4 --runs 2 --minutes 1 --seed 1
run synth "$out/bids60" --subjects 3 --runs 1 --minutes 0.5 --seed 2 --mains 60 --channels 64
run synth "$out/npy" --subjects 3 --runs 2 --minutes 0.5 --seed 3 --format npy --channels 16
"$venv/bin/python" "$root/scripts/check_synth_mne.py" "$out/bids" "$out/npy"
"$venv/bin/python" "$root/scripts/check_synth_mne.py" "$out/bids60"
