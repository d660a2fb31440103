#!/usr/bin/env bash
# Checks that files written by edf::Writer are read back correctly by MNE
# and pyedflib: writes the demo files of crates/edf/examples/write_demo.rs
# into a temporary directory and compares what both readers see with the
# JSON written beside each file.
#
#   scripts/check_writer_interop.sh
#
# Python packages go into a virtual environment at $PREFLIGHT_VENV (default
# ~/.cache/preflight/venv), created and filled on first use. Set
# KEEP_OUTPUT=1 to keep the written files.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/common.sh"
python_venv mne pyedflib

scratch writer-interop

cargo run --quiet --manifest-path "$root/Cargo.toml" -p edf --example write_demo -- "$out" \
    >/dev/null
"$venv/bin/python" "$root/scripts/check_writer_interop.py" "$out"
