#!/usr/bin/env python3
"""Write an independent reference for the EDF/BDF decoder: MNE-Python's decoded values.

For every ``*.edf`` / ``*.EDF`` / ``*.bdf`` file found recursively under the data
root (BrainVision files are ignored) this writes one JSON file into
``expected/`` next to this script, named after the file's path relative to the
data root with ``/`` replaced by ``__`` plus ``.json``
(``mne-testing-data/EDF/test_reduced.edf`` ->
``expected/mne-testing-data__EDF__test_reduced.edf.json``), and
``expected/index.json`` listing every file with ``readable`` and ``error``.
The data files themselves are never copied.

How to run
----------
Needs a Python venv outside the repository::

    python3 -m venv /work/venv-ref
    /work/venv-ref/bin/pip install mne pyedflib numpy scipy
    /work/venv-ref/bin/python crates/edf/tests/reference/make_expected.py [DATA_ROOT]

``DATA_ROOT`` defaults to ``../../../../../shared/data`` relative to this
script (i.e. ``<workspace>/../shared/data``).  The script prints one line per
file plus the pyedflib cross-check, and exits non-zero if MNE and pyedflib
disagree by more than one digital step on any channel.

Versions used to produce the committed ``expected/``: Python 3.11.7,
mne 1.13.2, pyEDFlib 0.1.42, numpy 2.4.6, scipy 1.17.1.  The versions in use
are written into every JSON (``tool``) and into ``index.json``; the script
prints a warning if they differ from these.

JSON per file (exactly these keys)
----------------------------------
``file`` (relative path, ``/`` separators), ``tool`` ("mne X.Y.Z", plus
", pyedflib X.Y.Z" when some channel's values come from pyedflib),
``readable`` (false if ``mne.io.read_raw_edf``/``read_raw_bdf`` raised),
``error`` ("ExceptionType: message" or null), ``channels``, ``skipped``,
``annotations``, ``notes``.

Each channel: ``index`` (position of the signal in the header counting ALL
signals, annotation signals included; the header is parsed by this script),
``label`` (16-byte header label, latin-1, trailing spaces stripped), ``unit``,
``step``, ``source`` ("mne" or "pyedflib"), ``n``, ``sum``, ``sum_sq``,
``min``, ``max``, ``first`` (first 16 values), ``last`` (last 16 values;
both hold all values when n < 16).

Rules
-----
Reading.  MNE is called as ``read_raw_edf(path, preload=True,
stim_channel=None)`` (``read_raw_bdf`` for ``.bdf``); all other arguments are
the defaults (``infer_types=False``, ``encoding="utf8"``, no exclude).

Stim/trigger channels.  With the default ``stim_channel="auto"`` MNE makes
every channel whose stripped label is ``status`` or ``trigger``
(case-insensitive) a STIM channel and does NOT return physical values for it:
for BDF it sets cal=1, offset=0, unit gain=1 and returns
``digital & 0x1FFFF`` (checked when writing this script: Newtest17-256.bdf
``Status``, test_bdf_stim_channel.bdf ``Status``,
multiple_annotation_chans.bdf ``Trigger`` all equal pyedflib's digital values
masked to 17 bits); for EDF it keeps the physical scaling but drops the unit
gain and returns ``int(physical) & 0x1FFFF`` (checked: mne_test.edf and
test_reduced.edf ``Status``, unit uV, come back as the physical uV values, not
volts).  Per MNE's source, stim channels at a lower rate are zero-order-hold
interpolated instead of resampled.  With
``stim_channel=None`` no channel is STIM and every channel gets the standard
scaling ``physical = (digital - dmin) * (pmax - pmin) / (dmax - dmin) + pmin``
(MNE computes ``digital * cal + (pmin - dmin * cal)``, cal = prange/drange),
then multiplies by its unit gain.  Those three channels then agree with
pyedflib's physical values to rounding, so no channel needs pyedflib for
stim reasons.  When a file has a channel that ``"auto"`` would pick, a note
says so.

Units.  MNE reads the 8-byte physical dimension as ``bytes.strip()`` decoded
as latin-1 and multiplies the physical value by a gain: 1e-6 for exactly
``uV``, ``\\u00b5V`` (byte 0xB5), ``\\u03bcV`` or Shift-JIS ``\\x83\\xcaV``;
1e-3 for exactly ``mV``; 1 for anything else (``V``, ``nV``, ``UV``, UTF-8
``\\xc2\\xb5V`` read as ``\\u00c2\\u00b5V``, ``DegC``, ``G``, ``Boolean``,
empty, ...).  MNE labels every channel EEG in volts whatever its header unit.
Here a channel is a voltage channel if its stripped unit, case-insensitive,
is ``V``, ``mV``, ``uV``, ``µV`` (0xB5 byte, UTF-8 ``C2 B5``, or Greek mu)
or ``nV``; its ``unit`` is then ``"uV"`` and values are
``mne_value / mne_gain * factor_to_uV`` (factor 1e6, 1e3, 1, 1, 1e-3), which
equals ``mne_value * 1e6`` whenever MNE recognised the unit and stays correct
when it did not.  Other channels keep the header unit (stripped) and MNE's
value, which is the physical value in that unit because MNE's gain is 1 for
them.  ``step`` = (pmax - pmin) / (dmax - dmin), times factor_to_uV for
voltage channels (null when dmax == dmin).  pyedflib returns physical values
in the header unit; they get the same factor.

Several sampling rates.  MNE's sfreq is the highest samples-per-record of the
data signals / record duration; every channel with fewer samples per record
is upsampled to it with ``mne.filter.resample`` (FFT, npad=0) over the whole
channel, so its values are not the file's samples.  Channels whose
samples-per-record differ from that maximum come from pyedflib
``EdfReader(path).readSignal(k)`` (physical, own rate, ``source:
"pyedflib"``) when pyedflib opens the file and its labels match the header's
data signals in order; otherwise they go to ``skipped`` with the reason.
Channels at the maximum rate come from MNE.

Annotation signals.  ``EDF Annotations`` / ``BDF Annotations`` signals
(stripped label, as MNE matches them) are not data: they are listed in
``skipped`` with reason "annotation signal ..." so that every header index
appears in ``channels`` or ``skipped``.

Statistics.  MNE's data array is float64 (asserted); all statistics are
taken over the float64 values in the output unit: ``sum`` = math.fsum(x)
(exactly rounded), ``sum_sq`` = math.fsum(x*x) with x*x in float64, ``min``,
``max``.  Floats are written with Python's shortest round-trip repr.

Sample counts.  ``complete records`` = (file size - header bytes) //
(sum of samples-per-record * 2 or 3 bytes).  MNE reads exactly that many
records: if it differs from the header's record count MNE warns
("Number of records from the header does not match the file size") and uses
the file size (eegmmidb_S001 R01/R02: header 61, file 60 complete records,
MNE gives 9600 samples = 60 s).  Trailing bytes after the last complete record
are ignored.  A note is written when MNE's sample count for a channel differs
from complete records x samples per record.

EDF+D.  MNE ignores the record start times in the time-keeping annotations
and concatenates the records back to back; ``raw.annotations`` keeps the
file's onsets, so after a gap they would not line up with sample times.  The
values given are the ones MNE returns; a note lists the record start times
found in the file and whether there are gaps.  The only EDF+D file here,
NihonKohden/MB0400FU.EDF, has records starting at 0, 1, ..., 28 s (1 s
records), i.e. no gap, so MNE's gluing changes nothing for it.

Annotations.  ``raw.annotations`` as MNE reports them: onset_s, duration_s,
description.  MNE subtracts the first record's time-keeping onset (the
sub-second start offset) from every onset, so onsets are relative to the
first sample, and the reported onsets are rounded to 1 microsecond
(test_subsecond: 2.3457031 - 0.3945312 is reported as 1.951172).  MNE drops
annotations outside the data range and shortens those running past its end
(with a warning, kept in notes; evt.bdf: 624 of 1081 dropped because their
onsets lie past the 1081 s of data).  MNE parses TALs with a regex that needs
``\\x14\\x00`` after each TAL: when a time-keeping TAL lacks its ``\\x00``
(Nihon Kohden MB0400FU.EDF), the next TAL is glued to it and MNE reports the
glued TAL's onset text (e.g. "+1.140000") as a description and its
descriptions at the record's start time; a note lists such TALs with their
own onsets.  A note compares MNE's annotation count with a plain count of
non-empty TAL descriptions in the file.

Annotations-only files (no data signals, record duration 0, e.g. the
SC4001EC hypnograms).  read_raw_* does not raise: it warns, takes 1 s as the
record duration and the annotation signal's samples per record as sfreq, and
returns a Raw with 0 channels spanning 1 s, so ``raw.annotations`` keeps only
the first annotation, its duration cut to 1 s.  ``readable`` is true,
``channels`` is empty, ``annotations`` is that raw.annotations, and a note
gives what ``mne.read_annotations(path)`` returns for comparison.

Unreadable files.  ``readable`` false, ``error`` = MNE's exception type and
message, ``channels`` empty, every header signal in ``skipped``.  When MNE's
message suggests ``encoding='latin1'`` the script retries with it and notes
only whether that read works.

Notes.  Every warning MNE emitted while reading, plus the facts above
(resampling, truncation, trailing bytes, EDF+D, stim, units, annotation
counts) and a "check:" line with the pyedflib cross-check: for each channel
whose values come from MNE, max |MNE - pyedflib| in digital steps (pyedflib
opened with default options; if it refuses the file, its message).
"""

import argparse
import json
import math
import os
import re
import sys
import warnings

import numpy as np

import mne

try:
    import pyedflib
except ImportError:  # pragma: no cover - documented dependency
    pyedflib = None

DOCUMENTED_VERSIONS = {
    "mne": "1.13.2",
    "pyedflib": "0.1.42",
    "numpy": "2.4.6",
    "scipy": "1.17.1",
}
N_EDGE = 16
TAL_LABELS = ("EDF Annotations", "BDF Annotations")
# MNE's unit gains (mne/io/edf/edf.py, _read_edf_header)
MNE_MICRO = ("\u03bcV", "\u00b5V", "\x83\xcaV", "uV")
VOLT_FACTORS = {"v": 1e6, "mv": 1e3, "uv": 1.0, "\u00b5v": 1.0, "\u03bcv": 1.0, "nv": 1e-3}


# --------------------------------------------------------------------------
# header parsing (independent of MNE)


def parse_header(path):
    """Return a dict with the fixed header and per-signal fields (raw bytes)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        fixed = f.read(256)
        if len(fixed) < 256:
            raise ValueError("file shorter than 256 bytes")
        ns = int(fixed[252:256].decode("latin-1").strip())
        body = f.read(256 * ns)
    if len(body) < 256 * ns:
        raise ValueError("file shorter than its signal headers")
    widths = [
        ("label", 16),
        ("transducer", 80),
        ("unit", 8),
        ("pmin", 8),
        ("pmax", 8),
        ("dmin", 8),
        ("dmax", 8),
        ("prefilter", 80),
        ("spr", 8),
        ("reserved", 32),
    ]
    sigs = [dict() for _ in range(ns)]
    off = 0
    for name, w in widths:
        for i in range(ns):
            sigs[i][name] = body[off + i * w : off + (i + 1) * w]
        off += w * ns

    def num(b):
        return float(b.decode("latin-1").split("\x00")[0].strip().replace(",", "."))

    for s in sigs:
        s["label_str"] = s["label"].decode("latin-1").rstrip(" ")
        s["is_tal"] = s["label"].strip().decode("latin-1") in TAL_LABELS
        s["spr_int"] = int(s["spr"].decode("latin-1").strip())
        for k in ("pmin", "pmax", "dmin", "dmax"):
            try:
                s[k + "_f"] = num(s[k])
            except ValueError:
                s[k + "_f"] = float("nan")
    is_bdf = fixed[0] == 0xFF
    hdr_bytes = int(fixed[184:192].decode("latin-1").strip())
    bps = 3 if is_bdf else 2
    rec_bytes = sum(s["spr_int"] for s in sigs) * bps
    data_bytes = size - hdr_bytes
    complete = data_bytes // rec_bytes if rec_bytes > 0 else 0
    return {
        "version": fixed[0:8],
        "reserved": fixed[192:236].decode("latin-1").strip(),
        "n_records": int(fixed[236:244].decode("latin-1").strip()),
        "duration": fixed[244:252].decode("latin-1").strip(),
        "ns": ns,
        "hdr_bytes": hdr_bytes,
        "bps": bps,
        "size": size,
        "rec_bytes": rec_bytes,
        "complete_records": complete,
        "trailing_bytes": data_bytes - complete * rec_bytes if rec_bytes > 0 else data_bytes,
        "signals": sigs,
    }


def tal_scan(path, h):
    """Plain scan of the annotation signals: record start times and description count."""
    tal_idx = [i for i, s in enumerate(h["signals"]) if s["is_tal"]]
    if not tal_idx or h["rec_bytes"] == 0:
        return None
    bps = h["bps"]
    starts_before = [sum(s["spr_int"] for s in h["signals"][:i]) * bps for i in tal_idx]
    rec_starts, n_desc, glued = [], 0, []
    tal_re = re.compile(rb"^([+-]\d+(?:\.\d*)?)(?:\x15(\d+(?:\.\d*)?))?\x14(.*)\x14$", re.S)
    with open(path, "rb") as f:
        for r in range(h["complete_records"]):
            first_in_record = True
            for ti, sb in zip(tal_idx, starts_before):
                f.seek(h["hdr_bytes"] + r * h["rec_bytes"] + sb)
                chunk = f.read(h["signals"][ti]["spr_int"] * bps)
                for piece in chunk.split(b"\x00"):
                    m = tal_re.match(piece)
                    if not m:
                        continue
                    descs = m.group(3).split(b"\x14")
                    if first_in_record:
                        rec_starts.append(float(m.group(1)))
                        first_in_record = False
                        if descs and descs[0] == b"":
                            descs = descs[1:]
                            # time-keeping TAL without its \x00: "+T\x14\x14+O\x14text\x14"
                            rest = piece[piece.index(b"\x14\x14") + 2 :]
                            m2 = tal_re.match(rest) if rest else None
                            if m2:
                                glued.append(
                                    (
                                        float(m.group(1)),
                                        m2.group(1).decode("latin-1"),
                                        [d.decode("utf-8", "replace") for d in m2.group(3).split(b"\x14") if d],
                                    )
                                )
                                n_desc += sum(1 for d in m2.group(3).split(b"\x14") if d)
                                continue
                    n_desc += sum(1 for d in descs if d)
    return {"record_starts": rec_starts, "n_descriptions": n_desc, "glued": glued}


# --------------------------------------------------------------------------
# units


def decode_unit(b):
    s = b.strip(b" \x00")
    try:
        return s.decode("utf-8")
    except UnicodeDecodeError:
        return s.decode("latin-1")


def volt_factor(unit_bytes):
    """Factor from the header unit to microvolts, or None if not a voltage."""
    return VOLT_FACTORS.get(decode_unit(unit_bytes).lower())


def mne_gain(unit_bytes):
    """The gain MNE applies for this unit string (mirror of _read_edf_header)."""
    u = unit_bytes.strip().decode("latin-1")
    if u in MNE_MICRO:
        return 1e-6
    if u == "mV":
        return 1e-3
    return 1.0


# --------------------------------------------------------------------------


def stats(rel_index, sig, unit, step, source, x):
    x = np.asarray(x, dtype=np.float64)
    assert x.dtype == np.float64
    if not np.all(np.isfinite(x)):
        raise ValueError(f"non-finite values in signal {rel_index}")
    n = int(x.size)
    return {
        "index": rel_index,
        "label": sig["label_str"],
        "unit": unit,
        "step": step,
        "source": source,
        "n": n,
        "sum": math.fsum(x.tolist()),
        "sum_sq": math.fsum((x * x).tolist()),
        "min": float(x.min()) if n else None,
        "max": float(x.max()) if n else None,
        "first": [float(v) for v in x[:N_EDGE]],
        "last": [float(v) for v in x[-N_EDGE:]] if n else [],
    }


def unit_and_step(sig):
    vf = volt_factor(sig["unit"])
    drange = sig["dmax_f"] - sig["dmin_f"]
    prange = sig["pmax_f"] - sig["pmin_f"]
    step = prange / drange if drange != 0 and math.isfinite(drange) else None
    if vf is not None:
        return "uV", vf, (step * vf if step is not None else None)
    return decode_unit(sig["unit"]), None, step


def read_mne(path, is_bdf, **kw):
    fn = mne.io.read_raw_bdf if is_bdf else mne.io.read_raw_edf
    return fn(path, preload=True, **kw)


def open_pyedflib(path):
    if pyedflib is None:
        return None, "pyedflib not installed"
    try:
        return pyedflib.EdfReader(path), None
    except Exception as e:  # noqa: BLE001 - report whatever pyedflib says
        return None, f"{type(e).__name__}: {e}"


def process(path, rel, versions):
    """Build the JSON dict for one file; absolute paths in messages become relative."""
    out, check = _process(path, rel, versions)

    def clean(msg):
        return msg.replace(os.path.abspath(path), rel).replace(path, rel) if msg else msg

    out["error"] = clean(out["error"])
    out["notes"] = [clean(n) for n in out["notes"]]
    for sk in out["skipped"]:
        sk["reason"] = clean(sk["reason"])
    return out, check


def _process(path, rel, versions):
    is_bdf = rel.lower().endswith(".bdf")
    out = {
        "file": rel,
        "tool": f"mne {versions['mne']}",
        "readable": True,
        "error": None,
        "channels": [],
        "skipped": [],
        "annotations": [],
        "notes": [],
    }
    notes = out["notes"]
    check = {"ok": True, "worst": 0.0, "n": 0}
    h = parse_header(path)
    sigs = h["signals"]
    data_idx = [i for i, s in enumerate(sigs) if not s["is_tal"]]
    tal = tal_scan(path, h)

    # ---------------------------------------------------------------- MNE
    caught = []
    raw = None
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            raw = read_mne(path, is_bdf, stim_channel=None)
        except Exception as e:  # noqa: BLE001
            out["readable"] = False
            out["error"] = f"{type(e).__name__}: {e}"
        caught = [str(x.message) for x in w]
    for msg in dict.fromkeys(caught):
        notes.append("MNE warning: " + msg.replace("\n", " "))

    # file-level facts
    if h["complete_records"] != h["n_records"]:
        notes.append(
            f"header says {h['n_records']} data records but the file holds "
            f"{h['complete_records']} complete records"
            + (f" plus {h['trailing_bytes']} bytes of an incomplete one" if h["trailing_bytes"] else "")
            + (f"; MNE reads the {h['complete_records']} complete records only" if raw is not None else "")
        )
    elif h["trailing_bytes"]:
        notes.append(
            f"{h['trailing_bytes']} byte(s) after the last complete record "
            f"({h['complete_records']} records, as the header says)"
            + ("; MNE ignores them" if raw is not None else "")
        )
    if h["reserved"].startswith("EDF+D") or h["reserved"].startswith("BDF+D"):
        starts = tal["record_starts"] if tal else []
        dur = float(h["duration"]) if h["duration"] else 0.0
        gaps = [
            (i, starts[i - 1], starts[i])
            for i in range(1, len(starts))
            if abs(starts[i] - starts[i - 1] - dur) > 1e-6
        ]
        desc = (
            f"record start times in the file: {starts[0]:g} .. {starts[-1]:g} s"
            if starts
            else "no record start times found"
        )
        if gaps:
            gtxt = "; ".join(f"record {i} starts at {b:g} s after {a:g} s" for i, a, b in gaps)
            gtxt = f"gaps: {gtxt}"
        else:
            gtxt = f"every record starts {dur:g} s after the previous one, so there is no gap and gluing changes nothing"
        notes.append(
            f"{h['reserved'][:5]} (discontinuous): MNE ignores the record start times and "
            f"concatenates the {h['complete_records']} records back to back; {desc}; {gtxt}"
        )
    if tal and tal["record_starts"] and tal["record_starts"][0] != 0.0:
        notes.append(
            f"first data record starts {tal['record_starts'][0]:g} s after the header start time; "
            "MNE subtracts this from annotation onsets (onsets are relative to the first sample)"
        )

    auto_stim = [
        i for i in data_idx if sigs[i]["label"].strip().decode("latin-1").lower() in ("status", "trigger")
    ]
    for i in auto_stim:
        kind = (
            "digital & 0x1FFFF"
            if is_bdf
            else "int(physical) & 0x1FFFF without the unit gain"
        )
        notes.append(
            f"signal {i} '{sigs[i]['label_str']}': MNE's default stim_channel='auto' would make it "
            f"a STIM channel and return {kind}; read here with stim_channel=None, which gives "
            "the standard physical scaling"
        )

    if raw is None:
        for i, s in enumerate(sigs):
            reason = (
                "annotation signal (EDF+/BDF+ TAL), not a data channel"
                if s["is_tal"]
                else "MNE could not read the file (see 'error')"
            )
            out["skipped"].append({"index": i, "label": s["label_str"], "reason": reason})
        if out["error"] and "encoding='latin1'" in out["error"]:
            try:
                with warnings.catch_warnings(record=True):
                    warnings.simplefilter("always")
                    r2 = read_mne(path, is_bdf, stim_channel=None, encoding="latin1")
                notes.append(
                    "retried with encoding='latin1' as MNE's message suggests: that read works "
                    f"({r2.n_times} samples per channel, {len(r2.annotations)} annotations); "
                    "no values are given because readable is defined with MNE's defaults"
                )
            except Exception as e:  # noqa: BLE001
                notes.append(f"retried with encoding='latin1': also fails ({type(e).__name__}: {e})")
        if tal is not None:
            notes.append(f"the file's annotation signals hold {tal['n_descriptions']} non-empty annotation descriptions")
        return out, check

    assert raw._data.dtype == np.float64, raw._data.dtype
    if len(raw.ch_names) != len(data_idx):
        raise RuntimeError(f"MNE has {len(raw.ch_names)} channels, header has {len(data_idx)} data signals")
    data = raw.get_data() if data_idx else raw._data
    assert data.dtype == np.float64, data.dtype
    extras = raw._raw_extras[0]
    max_spr = max((sigs[i]["spr_int"] for i in data_idx), default=0)
    dur = float(h["duration"])
    if data_idx and dur > 0 and abs(raw.info["sfreq"] - max_spr / dur) > 1e-9 * max_spr:
        notes.append(f"MNE sfreq {raw.info['sfreq']} differs from max samples-per-record / duration")
    if not data_idx:
        notes.append(
            f"no data signals (annotations only), record duration {h['duration']!r}: MNE returns a Raw "
            f"with 0 channels and {raw.n_times} time points at sfreq {raw.info['sfreq']:g} Hz "
            "(it takes 1 s for the record duration and the annotation signal's samples per "
            "record as the rate) and keeps only the annotations inside that span"
        )
        try:
            with warnings.catch_warnings(record=True):
                warnings.simplefilter("always")
                full = mne.read_annotations(path)
            notes.append(
                f"mne.read_annotations(path) returns all {len(full)} annotations (onsets "
                f"{float(full.onset[0]):g} .. {float(full.onset[-1]):g} s, first "
                f"{str(full.description[0])!r} with duration {float(full.duration[0]):g} s); "
                "'annotations' above are raw.annotations as the rules require"
            )
        except Exception as e:  # noqa: BLE001
            notes.append(f"mne.read_annotations(path) fails: {type(e).__name__}: {e}")

    # pyedflib, only opened when it is needed for values or for the check
    pyr, pyerr = open_pyedflib(path)
    py_map = None
    if pyr is not None:
        py_labels = [lab.strip() for lab in pyr.getSignalLabels()]
        hdr_labels = [sigs[i]["label"].decode("latin-1").strip() for i in data_idx]
        if py_labels == hdr_labels:
            py_map = {i: k for k, i in enumerate(data_idx)}
        else:
            pyerr = f"pyedflib's signal labels do not match the header's data signals: {py_labels}"

    used_pyedflib = False
    resampled, unrecognised = [], []
    for k, i in enumerate(data_idx):
        s = sigs[i]
        unit, vf, step = unit_and_step(s)
        gain_mirror = mne_gain(s["unit"])
        gain = float(extras["units"][k])
        if gain != gain_mirror:
            notes.append(f"signal {i}: MNE unit gain {gain} differs from the documented rule ({gain_mirror})")
        if vf is not None and gain == 1.0 and decode_unit(s["unit"]) != "V":
            unrecognised.append(f"{i} '{s['label_str']}' ({decode_unit(s['unit'])!r})")
        expected_n = h["complete_records"] * s["spr_int"]
        if s["spr_int"] != max_spr:
            resampled.append(i)
            if py_map is not None:
                x = pyr.readSignal(py_map[i]).astype(np.float64)
                if vf is not None:
                    x = x * vf
                if x.size != expected_n:
                    notes.append(
                        f"signal {i}: pyedflib returns {x.size} samples, complete records x "
                        f"samples per record = {expected_n}"
                    )
                out["channels"].append(stats(i, s, unit, step, "pyedflib", x))
                used_pyedflib = True
            else:
                out["skipped"].append(
                    {
                        "index": i,
                        "label": s["label_str"],
                        "reason": (
                            f"{s['spr_int']} samples per record vs {max_spr} for the fastest signal: "
                            f"MNE upsamples it to {raw.info['sfreq']:g} Hz, and pyedflib cannot "
                            f"give the own-rate values ({pyerr})"
                        ),
                    }
                )
            continue
        x = data[k]
        if vf is not None:
            x = x / gain * vf if gain != 1.0 else x * vf
        else:
            x = x / gain if gain != 1.0 else x
        if x.size != expected_n:
            notes.append(
                f"signal {i}: MNE returns {x.size} samples, complete records x samples per "
                f"record = {expected_n}"
            )
        out["channels"].append(stats(i, s, unit, step, "mne", x))
        # cross-check against pyedflib
        if py_map is not None and step:
            y = pyr.readSignal(py_map[i]).astype(np.float64)
            if vf is not None:
                y = y * vf
            if y.size != x.size:
                notes.append(f"check: signal {i}: pyedflib has {y.size} samples, MNE {x.size}")
                check["ok"] = False
            else:
                d = float(np.max(np.abs(x - y)) / abs(step)) if x.size else 0.0
                check["worst"] = max(check["worst"], d)
                check["n"] += 1
                if d > 1.0:
                    check["ok"] = False
                    notes.append(f"check: signal {i} '{s['label_str']}': MNE and pyedflib differ by {d:g} steps")
    if pyr is not None:
        pyr.close()

    for i in (i for i, s in enumerate(sigs) if s["is_tal"]):
        out["skipped"].append(
            {
                "index": i,
                "label": sigs[i]["label_str"],
                "reason": "annotation signal (EDF+/BDF+ TAL), not a data channel; its content is in 'annotations'",
            }
        )
    out["skipped"].sort(key=lambda r: r["index"])

    if resampled:
        src = "taken from pyedflib at their own rate" if py_map is not None else "skipped"
        notes.append(
            f"several sampling rates: MNE upsamples the {len(resampled)} signal(s) with fewer than "
            f"{max_spr} samples per record (indices {resampled}) to {raw.info['sfreq']:g} Hz with "
            f"mne.filter.resample (FFT); those values are not the file's samples and are {src} here"
        )
    if unrecognised:
        notes.append(
            "MNE does not recognise the voltage unit of signal(s) " + ", ".join(unrecognised)
            + " and returns them unscaled while calling them volts; converted here from the header unit"
        )
    nonvolt = sorted({decode_unit(sigs[i]["unit"]) for i in data_idx if volt_factor(sigs[i]["unit"]) is None})
    if nonvolt:
        notes.append(
            "non-voltage units " + ", ".join(repr(u) for u in nonvolt)
            + ": MNE labels these channels EEG in volts but returns the physical value in the "
            "header unit (gain 1); given here unchanged in that unit"
        )

    ann = raw.annotations
    out["annotations"] = [
        {"onset_s": float(o), "duration_s": float(d), "description": str(t)}
        for o, d, t in zip(ann.onset, ann.duration, ann.description)
    ]
    if tal is not None and tal["glued"]:
        items = "; ".join(
            f"record at {t:g} s: TAL '{o}' {descs}" for t, o, descs in tal["glued"][:6]
        )
        notes.append(
            f"{len(tal['glued'])} time-keeping TAL(s) lack their \\x00 terminator, so the next TAL "
            "is glued to them; MNE reads the glued TAL's onset text as a description and puts its "
            "descriptions at the record's start time instead of their own onset (onsets here are "
            f"before MNE subtracts the first record's offset): {items}"
        )
    if tal is not None and tal["n_descriptions"] != len(ann):
        notes.append(
            f"the file's annotation signals hold {tal['n_descriptions']} non-empty annotation "
            f"descriptions; MNE reports {len(ann)}"
        )

    if pyr is None:
        notes.append(f"check: pyedflib {versions['pyedflib']} refuses the file ({pyerr}); no cross-check")
    elif py_map is None:
        notes.append(f"check: {pyerr}; no cross-check")
    elif check["n"]:
        notes.append(
            f"check: pyedflib {versions['pyedflib']} agrees with MNE on all {check['n']} MNE-sourced "
            f"channel(s) to within {check['worst']:.3g} digital steps (max |difference| / step)"
            if check["ok"]
            else "check: pyedflib and MNE DISAGREE (see above)"
        )
    if used_pyedflib:
        out["tool"] += f", pyedflib {versions['pyedflib']}"
    return out, check


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data_root", nargs="?", default=os.path.join(here, "../../../../../shared/data"))
    args = ap.parse_args()
    root = os.path.normpath(args.data_root)
    if not os.path.isdir(root):
        sys.exit(f"data root {root} not found")
    outdir = os.path.join(here, "expected")
    os.makedirs(outdir, exist_ok=True)

    import scipy

    versions = {
        "mne": mne.__version__,
        "pyedflib": getattr(pyedflib, "__version__", "absent"),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }
    for k, v in DOCUMENTED_VERSIONS.items():
        if versions[k] != v:
            print(f"WARNING: {k} {versions[k]} differs from the documented {v}", file=sys.stderr)
    mne.set_log_level("WARNING")

    rels = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        for fn in files:
            if fn.lower().endswith((".edf", ".bdf")):
                rels.append(os.path.relpath(os.path.join(d, fn), root).replace(os.sep, "/"))
    rels.sort()

    index, written, all_ok = [], set(), True
    for rel in rels:
        res, check = process(os.path.join(root, rel), rel, versions)
        name = rel.replace("/", "__") + ".json"
        with open(os.path.join(outdir, name), "w", encoding="utf-8") as f:
            json.dump(res, f, indent=1, ensure_ascii=False, allow_nan=False)
            f.write("\n")
        written.add(name)
        index.append({"file": rel, "json": name, "readable": res["readable"], "error": res["error"]})
        all_ok &= check["ok"]
        src = {}
        for c in res["channels"]:
            src[c["source"]] = src.get(c["source"], 0) + 1
        print(
            f"{rel}: readable={res['readable']} channels={src} skipped={len(res['skipped'])} "
            f"annotations={len(res['annotations'])} check_ok={check['ok']} worst={check['worst']:.3g}"
        )
    with open(os.path.join(outdir, "index.json"), "w", encoding="utf-8") as f:
        json.dump(
            {"tool": {k: versions[k] for k in ("mne", "pyedflib", "numpy", "scipy")}, "files": index},
            f,
            indent=1,
            ensure_ascii=False,
        )
        f.write("\n")
    for stale in sorted(set(os.listdir(outdir)) - written - {"index.json"}):
        if stale.endswith(".json"):
            os.remove(os.path.join(outdir, stale))
    n_ok = sum(1 for r in index if r["readable"])
    print(f"{len(index)} files: {n_ok} readable by MNE, {len(index) - n_ok} not")
    if not all_ok:
        print("MNE and pyedflib disagree on some file (see notes)", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
