#!/usr/bin/env python3
"""Checks that MNE reads every file `preflight synth` writes, and that what
MNE reads holds what truth.json says was planted.

Usage: check_synth_mne.py BIDS_DIR [NPY_DIR]

BIDS_DIR is a dataset written by `preflight synth` (EDF layout), NPY_DIR one
written with `--format npy`. For every EDF file of BIDS_DIR, MNE's
read_raw_edf must give the channel names, sampling rate and length of
truth.json, annotations matching the file's events.tsv (onset within one
sample, same label), and, per planted fault, what its kind means:

- mains: the Welch spectrum (2 s segments) peaks at the fault's frequency
  between 2 Hz and the Nyquist frequency;
- detached: a standard deviation at least 1000 times the median of the
  recording's clean channels, and the mains peak;
- flat: no change over the fault's span;
- clipping: at least 30% of the span at the channel's extremes;
- dc_offset: the mean within 1% of the offset;
- bursts: an RMS inside the bursts at least 5 times that outside.

The control subject's clean channels must have a standard deviation about
three times that of the same channels of other subjects at gain 1 (median
ratio, corrected by their gains, between 2.5 and 3.6).

For NPY_DIR, numpy must load X.npy, y.npy and groups.npy with the shapes of
truth.json, and NaN/Inf faults must lie in exactly the examples truth.json
names.

Exits 1 with one line per problem, 0 when everything holds.
"""

import csv
import json
import pathlib
import sys

import mne
import numpy as np
from scipy.signal import welch

problems = []


def fail(where, message):
    problems.append(f"{where}: {message}")


def clean_sd(data, names, faulty):
    sds = [np.std(data[i]) for i, n in enumerate(names) if n not in faulty]
    return float(np.median(sds))


def check_fault(where, f, data, names, fs, reference_sd):
    x = data[names.index(f["channel"])]
    a = int(round(f["onset_s"] * fs))
    b = int(round((f["onset_s"] + f["duration_s"]) * fs))
    span = x[a:b]
    kind = f["kind"]
    label = f"{where} {f['channel']} {kind}"

    def peak_hz(values):
        freqs, power = welch(values, fs=fs, nperseg=int(2 * fs))
        keep = freqs >= 2
        return float(freqs[keep][np.argmax(power[keep])])

    if kind == "mains":
        if abs(peak_hz(span) - f["frequency_hz"]) > 0.5:
            fail(label, f"spectrum peaks at {peak_hz(span)} Hz, planted {f['frequency_hz']} Hz")
    elif kind == "detached":
        ratio = np.std(span) / reference_sd
        if ratio < 1000:
            fail(label, f"only {ratio:.0f} times the EEG")
        if abs(peak_hz(span) - f["frequency_hz"]) > 0.5:
            fail(label, f"spectrum peaks at {peak_hz(span)} Hz")
    elif kind == "flat":
        if np.ptp(span) != 0:
            fail(label, f"varies by {np.ptp(span)} µV")
    elif kind == "clipping":
        at = np.mean((span >= span.max() - 1e-6) | (span <= span.min() + 1e-6))
        if at < 0.3:
            fail(label, f"only {at:.2f} of the span at the extremes")
    elif kind == "dc_offset":
        m = float(np.mean(span))
        if abs(m - f["offset_uv"]) > 0.01 * abs(f["offset_uv"]):
            fail(label, f"mean {m:.0f} µV, planted {f['offset_uv']} µV")
    elif kind == "bursts":
        inside = np.zeros(len(x), dtype=bool)
        for onset, duration in f["bursts"]:
            inside[int(round(onset * fs)) : int(round((onset + duration) * fs))] = True
        rin = np.sqrt(np.mean(x[inside] ** 2))
        rout = np.sqrt(np.mean(x[~inside] ** 2))
        if rin < 5 * rout:
            fail(label, f"burst RMS {rin:.0f} µV, rest {rout:.0f} µV")
    else:
        fail(label, "unknown kind")


def check_bids(root):
    truth = json.loads((root / "truth.json").read_text())
    fs = truth["sfreq_hz"]
    names = truth["channels"]
    gains = {s["subject"]: s["gain"] for s in truth["subjects"]}
    control = {c["recording"] for c in truth["controls"]}
    sds = {}
    for rec in truth["recordings"]:
        path = root / rec["recording"]
        where = rec["recording"]
        try:
            raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
        except Exception as e:  # MNE raises several types
            fail(where, f"MNE cannot read it: {e}")
            continue
        if raw.ch_names != names:
            fail(where, f"channels {raw.ch_names}, truth.json {names}")
            continue
        if raw.info["sfreq"] != fs:
            fail(where, f"sampling rate {raw.info['sfreq']}")
        if raw.n_times != int(truth["duration_s"] * fs):
            fail(where, f"{raw.n_times} samples")
        data = raw.get_data() * 1e6

        # Annotations against events.tsv.
        events_path = path.with_name(path.name.replace("_eeg.edf", "_events.tsv"))
        with open(events_path, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        ann = [(float(o), d) for o, d in zip(raw.annotations.onset, raw.annotations.description)]
        if len(ann) != len(rows) or len(rows) != rec["stimuli"]:
            fail(where, f"{len(ann)} annotations, {len(rows)} events, {rec['stimuli']} stimuli")
        for (onset, text), row in zip(ann, rows):
            if abs(onset - float(row["onset"])) > 1 / fs or text != row["trial_type"]:
                fail(where, f"annotation {onset} {text} against event {row}")
                break
        if sum(r["trial_type"] == "target" for r in rows) != rec["targets"]:
            fail(where, "target count differs from truth.json")

        faulty = {f["channel"] for f in truth["faults"] if f["recording"] == rec["recording"]}
        reference = clean_sd(data, names, faulty)
        gain = gains[rec["subject"]]
        if not 3 * gain < reference < 60 * gain:
            fail(where, f"clean channels have a median sd of {reference:.1f} µV")
        for f in truth["faults"]:
            if f["recording"] == rec["recording"]:
                check_fault(where, f, data, names, fs, reference)
        if not faulty:
            sds[rec["recording"]] = (np.std(data, axis=1), rec["subject"])

    # The control subject against the others, gain-corrected.
    for c in control:
        if c not in sds:
            fail(c, "control recording missing or faulty")
            continue
        ctrl, _ = sds[c]
        ratios = [
            np.median(ctrl / other) * gains[subject]
            for rec, (other, subject) in sds.items()
            if rec not in control
        ]
        if not ratios:
            print(f"{c}: no clean recording of another subject to compare with")
        elif not 2.5 < float(np.median(ratios)) < 3.6:
            fail(c, f"control is {np.median(ratios):.2f} times a gain-1 head")
        else:
            print(f"{c}: {np.median(ratios):.2f} times a gain-1 head ({len(ratios)} recordings)")
    return len(truth["recordings"])


def check_npy(root):
    truth = json.loads((root / "truth.json").read_text())
    x = np.load(root / "X.npy", mmap_mode="r")
    y = np.load(root / "y.npy")
    groups = np.load(root / "groups.npy")
    examples = sum(r["stimuli"] for r in truth["recordings"])
    expected = (examples, len(truth["channels"]), int(truth["sfreq_hz"]))
    if x.shape != expected or x.dtype != np.float32:
        fail("X.npy", f"shape {x.shape} {x.dtype}, expected {expected} float32")
    if int(y.sum()) != sum(r["targets"] for r in truth["recordings"]):
        fail("y.npy", "target count differs from truth.json")
    for r in truth["recordings"]:
        a, b = r["examples"]
        if set(groups[a:b]) != {r["subject"]}:
            fail("groups.npy", f"examples {a}:{b} are not all subject {r['subject']}")
    bad = ~np.isfinite(x).all(axis=2)
    planted = np.zeros_like(bad)
    for f in truth["faults"]:
        if f["kind"] in ("nan", "inf"):
            a, b = f["examples"]
            planted[a:b, truth["channels"].index(f["channel"])] = True
    if (bad != planted).any():
        fail("X.npy", f"non-finite values in {int(bad.sum())} windows, planted {int(planted.sum())}")
    return 1


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    n = check_bids(pathlib.Path(sys.argv[1]))
    if len(sys.argv) == 3:
        check_npy(pathlib.Path(sys.argv[2]))
    for p in problems:
        print(p)
    if problems:
        return 1
    print(f"MNE read all {n} EDF files; every planted fault and the control hold")
    return 0


if __name__ == "__main__":
    sys.exit(main())
