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
venv="${PREFLIGHT_VENV:-$HOME/.cache/preflight/venv}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "creating virtual environment $venv" >&2
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import mne, pyedflib" 2>/dev/null; then
    echo "installing mne and pyedflib into $venv" >&2
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet mne pyedflib
fi

out="$(mktemp -d "${TMPDIR:-/tmp}/writer-interop.XXXXXX")"
if [[ "${KEEP_OUTPUT:-0}" != 1 ]]; then
    trap 'rm -rf "$out"' EXIT
else
    echo "keeping the written files in $out" >&2
fi

cargo run --quiet --manifest-path "$root/Cargo.toml" -p edf --example write_demo -- "$out" \
    >/dev/null
"$venv/bin/python" "$root/scripts/check_writer_interop.py" "$out"
