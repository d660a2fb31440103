#!/usr/bin/env bash
# Fills corpus/{header,file,annotations} with seeds cut from the EDF/BDF
# files under a data directory (default: the shared test data beside the
# repository). The corpus directory is not tracked; the data files are never
# copied whole into the repository.
#
#   crates/edf/fuzz/seed.sh [DATA_DIR]
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
data="${1:-$here/../../../../shared/data}"
if [[ ! -d "$data" ]]; then
    echo "seed.sh: data directory $data not found" >&2
    exit 1
fi
mkdir -p "$here/corpus/header" "$here/corpus/file" "$here/corpus/annotations"

python3 - "$data" "$here/corpus" <<'PY'
"""Cuts seeds from real files.

header:      the header of each file.
file:        the header and the first records, at most about 64 KiB (but at
             least one record), with the record count patched to match.
annotations: the fuzz target's control byte followed by the first
             annotation signal's bytes of the first records (see
             fuzz_targets/annotations.rs), plus a few hand-written TALs.
"""
import hashlib
import pathlib
import sys

data, corpus = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
BUDGET = 64 * 1024
DURATIONS = [1.0, 0.5, 2.0, 0.1]


def save(kind, content):
    name = hashlib.sha1(content).hexdigest()
    (corpus / kind / name).write_bytes(content)


def field(raw, start, width):
    return raw[start:start + width].decode("latin-1").strip()


counts = {"header": 0, "file": 0, "annotations": 0}
for path in sorted(data.rglob("*")):
    if path.suffix.lower() not in (".edf", ".bdf") or not path.is_file():
        continue
    raw = path.read_bytes()
    try:
        header_bytes = int(field(raw, 184, 8))
        ns = int(field(raw, 252, 4))
        duration = float(field(raw, 244, 8))
    except ValueError:
        continue
    if header_bytes != 256 * (ns + 1) or len(raw) < header_bytes:
        continue
    bdf = raw[0] == 0xFF
    width = 3 if bdf else 2
    head = raw[:header_bytes]
    save("header", head)
    counts["header"] += 1

    base = 256 + ns * (16 + 80 + 8 * 5 + 80)
    labels = [field(raw, 256 + 16 * i, 16) for i in range(ns)]
    try:
        spr = [int(field(raw, base + 8 * i, 8)) for i in range(ns)]
    except ValueError:
        continue
    record_bytes = sum(spr) * width
    available = (len(raw) - header_bytes) // record_bytes if record_bytes else 0
    if available == 0:
        save("file", raw[:BUDGET])
        counts["file"] += 1
        continue
    keep = max(1, min(available, (BUDGET - header_bytes) // record_bytes))
    patched = bytearray(raw[:header_bytes + keep * record_bytes])
    patched[236:244] = str(keep).ljust(8).encode()
    save("file", bytes(patched))
    counts["file"] += 1

    annotation = [i for i, l in enumerate(labels) if l in ("EDF Annotations", "BDF Annotations")]
    if not annotation:
        continue
    a = annotation[0]
    at = sum(spr[:a]) * width
    size = spr[a] * width
    records = min(available, 4)
    reserved = field(raw, 192, 44)
    control = (records - 1) | (0b100 if bdf else 0)
    control |= 0b1000 if reserved[3:5] == "+D" else 0
    if duration in DURATIONS:
        control |= DURATIONS.index(duration) << 5
    content = b"".join(
        raw[header_bytes + k * record_bytes + at:][:size] for k in range(records)
    )
    save("annotations", bytes([control]) + content)
    counts["annotations"] += 1

# Hand-written TALs (time-keeping TAL supplied by the target: bit 4).
for tal in [
    b"+0.5\x151.5\x14eyes closed\x14\x00",
    b"-0.25\x14before start\x14\x00+0.75\x14two\x14texts\x14\x00",
    "+0.1\x14\u4ef0\u5367\x14\x00".encode(),
    b"+0\x14\x14\x00\x00\x00",
]:
    save("annotations", bytes([0b1_0000]) + tal)
    counts["annotations"] += 1
print(", ".join(f"{k}: {v} seeds" for k, v in counts.items()))
PY
