#!/usr/bin/env bash
# Regenerates the scorecard fixtures and scikit-learn's values for them,
# which crates/preflight/tests/score_sklearn.rs compares with (1e-12):
#
#   scripts/score_reference.sh
#
# writes crates/preflight/tests/data/score/ (commit the result). Python
# packages go into $PREFLIGHT_VENV (default ~/.cache/preflight/venv),
# installed on first use.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$root/scripts/common.sh"
python_venv numpy scipy
# The module is sklearn, the package scikit-learn.
if ! "$venv/bin/python" -c "import sklearn" 2>/dev/null; then
    echo "installing scikit-learn into $venv" >&2
    "$venv/bin/python" -m pip install --quiet scikit-learn
fi
"$venv/bin/python" "$root/scripts/score_reference.py" "$root/crates/preflight/tests/data/score"
