#!/usr/bin/env bash
# Opens the demo's report.html in headless Chromium as a person would:
# checks that the page logs no console error, that every chart drew
# content (marks with a non-empty bounding box), and saves a screenshot at
# 1280 px width to docs/report.png (or $SCREENSHOT).
#
# Usage: scripts/check_report_browser.sh [REPORT.html]
# Without an argument it writes the demo dataset to a temporary folder with
# the debug build and checks its report (DEMO_MINUTES shortens the runs).
# Installs Debian's chromium with apt-get when it is missing (needs root).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
shot="${SCREENSHOT:-$root/docs/report.png}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v chromium >/dev/null 2>&1; then
    echo "installing chromium (Debian package)…" >&2
    apt-get install -y chromium >&2
fi

report="${1:-}"
if [[ -z "$report" ]]; then
    (cd "$root" && cargo build -q --bin preflight)
    minutes=()
    [[ -n "${DEMO_MINUTES:-}" ]] && minutes=(--minutes "$DEMO_MINUTES")
    "$root/target/debug/preflight" demo "${minutes[@]}" --out "$work/demo" >/dev/null
    report="$work/demo/derivatives/preflight/report.html"
fi
[[ -f "$report" ]] || { echo "no report at $report" >&2; exit 2; }

chrome() {
    chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$(mktemp -d -p "$work")" "$@"
}

# 1. The page as it is: no console message of level error.
chrome --enable-logging=stderr --v=0 --dump-dom "file://$report" \
    >"$work/dom.html" 2>"$work/console.log" || true
if grep -E 'CONSOLE[:(]|Uncaught|ERROR:.*(console|Refused)' "$work/console.log" \
    | grep -viE 'dbus|gpu|sandbox|fontconfig|viz|gcm|ssl|crash' >"$work/errors.log"; then
    echo "console errors:" >&2
    cat "$work/errors.log" >&2
    exit 1
fi
[[ -s "$work/dom.html" ]] || { echo "chromium rendered nothing" >&2; exit 1; }

# 2. Every chart drew content: a copy of the page with a probe that
# measures each SVG's marks and writes the verdict into the DOM.
probe='<script>
addEventListener("load", () => {
  const svgs = [...document.querySelectorAll("svg")];
  const empty = svgs.filter(s => {
    const marks = [...s.querySelectorAll(".series, .mark")];
    return !marks.some(m => { const b = m.getBBox(); return b.width > 0 || b.height > 0; });
  }).map(s => s.id);
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = "charts=" + svgs.length + " empty=" + empty.length + " " + empty.join(",");
  document.body.appendChild(out);
});
</script>'
python3 - "$report" "$work/probed.html" "$probe" <<'PY'
import sys
page = open(sys.argv[1], encoding="utf-8").read()
open(sys.argv[2], "w", encoding="utf-8").write(page.replace("</body>", sys.argv[3] + "</body>"))
PY
chrome --virtual-time-budget=5000 --dump-dom "file://$work/probed.html" \
    >"$work/probed-dom.html" 2>/dev/null || true
verdict="$(grep -o 'charts=[0-9]* empty=[0-9]*[^<]*' "$work/probed-dom.html" || true)"
echo "chart check: ${verdict:-no verdict}"
case "$verdict" in
    "charts=0 "*|"") echo "no charts were measured" >&2; exit 1 ;;
    *"empty=0"*) ;;
    *) echo "charts without content: $verdict" >&2; exit 1 ;;
esac

# 3. The screenshot, 1280 px wide.
chrome --hide-scrollbars --screenshot="$shot" --window-size=1280,4000 \
    "file://$report" 2>/dev/null
echo "screenshot: $shot ($(du -h "$shot" | cut -f1)), report $(du -h "$report" | cut -f1)"
