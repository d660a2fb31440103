# Shared by the check scripts (sourced, not run): the Python environment
# they compare with, a scratch folder for their output, and the preflight
# binary they run.

# python_venv MODULE... : makes sure $PREFLIGHT_VENV (default
# ~/.cache/preflight/venv) exists and imports every MODULE, installing the
# missing ones from PyPI; sets $venv.
python_venv() {
    venv="${PREFLIGHT_VENV:-$HOME/.cache/preflight/venv}"
    if [[ ! -x "$venv/bin/python" ]]; then
        echo "creating virtual environment $venv" >&2
        python3 -m venv "$venv"
    fi
    local imports
    imports=$(IFS=,; echo "$*")
    if ! "$venv/bin/python" -c "import $imports" 2>/dev/null; then
        echo "installing $* into $venv" >&2
        "$venv/bin/python" -m pip install --quiet --upgrade pip
        "$venv/bin/python" -m pip install --quiet "$@"
    fi
}

# scratch NAME : a new temporary folder in $out, removed on exit unless
# KEEP_OUTPUT=1.
scratch() {
    out="$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")"
    if [[ "${KEEP_OUTPUT:-0}" != 1 ]]; then
        trap 'rm -rf "$out"' EXIT
    else
        echo "keeping the written files in $out" >&2
    fi
}

# run ARGS... : the preflight binary, $PREFLIGHT_BIN when set (the tests
# pass theirs), else built and run with cargo from $root; output dropped.
run() {
    if [[ -n "${PREFLIGHT_BIN:-}" ]]; then
        "$PREFLIGHT_BIN" "$@" >/dev/null
    else
        cargo run --quiet --manifest-path "$root/Cargo.toml" -p preflight-cli -- "$@" >/dev/null
    fi
}
