#!/usr/bin/env python3
"""Checks that MNE and pyedflib read the files of the write_demo example as
they were written.

Usage: check_writer_interop.py DIR

DIR holds the EDF/BDF files written by `cargo run -p edf --example
write_demo -- DIR` and, beside each, `<file>.json` saying what was written.
Every file is read with MNE (read_raw_edf / read_raw_bdf) and with pyedflib,
and the check compares labels, units, sampling rates, numbers of samples,
the start date and time, the first 16 physical values and every other sample
(against the sine the JSON describes), and the annotations (onset, duration,
text).

A value read back may differ from the one given to the writer by at most
one digital step, (physical_max - physical_min) / (digital_max -
digital_min); the writer rounds to the nearest step, so half a step is
expected. MNE returns volts where the JSON holds values in the header's unit
(uV or mV), and MNE resamples every channel to the highest rate of the file,
so channels at a lower rate are compared with pyedflib only.

Exits 1 with one line per mismatch, 0 when everything matches.
"""

import datetime
import json
import math
import pathlib
import sys

import mne
import numpy as np
import pyedflib

UNIT_TO_VOLTS = {"nV": 1e-9, "uV": 1e-6, "mV": 1e-3, "V": 1.0}
ONSET_TOLERANCE_S = 1e-6


class Check:
    """Collects mismatches for one file and one reader."""

    def __init__(self, file, reader):
        self.where = f"{file} ({reader})"
        self.problems = []

    def fail(self, message):
        self.problems.append(f"{self.where}: {message}")

    def equal(self, what, found, expected):
        if found != expected:
            self.fail(f"{what}: found {found!r}, expected {expected!r}")


def step(channel):
    """One digital step in the channel's physical unit."""
    span = channel["physical_max"] - channel["physical_min"]
    return span / (channel["digital_max"] - channel["digital_min"])


def sine(channel, n):
    """The values the writer was given for the first n samples."""
    s = channel["sine"]
    t = np.arange(n) / channel["sfreq_hz"]
    return s["offset"] + s["amplitude"] * np.sin(2 * np.pi * s["frequency_hz"] * t + s["phase"])


def compare_values(check, channel, values):
    """Compares values read (in the channel's unit) with what was written."""
    label = channel["label"]
    tolerance = step(channel) * (1 + 1e-6)
    first = np.asarray(channel["first_values"], dtype=float)
    if len(values) < len(first):
        check.fail(f"{label}: only {len(values)} values read")
        return
    diff = np.abs(values[: len(first)] - first)
    k = int(np.argmax(diff))
    if diff[k] > tolerance:
        check.fail(
            f"{label}: first values differ: sample {k} is {float(values[k])!r}, written "
            f"{float(first[k])!r} (difference {diff[k]:.6g}, one step is {step(channel):.6g})"
        )
    expected = sine(channel, len(values))
    diff = np.abs(values - expected)
    k = int(np.argmax(diff))
    if diff[k] > tolerance:
        check.fail(
            f"{label}: sample {k} is {float(values[k])!r}, written {float(expected[k])!r} "
            f"(difference {diff[k]:.6g}, one step is {step(channel):.6g})"
        )


def compare_annotations(check, found, expected):
    """found: (onset, duration or None, text) tuples in file order."""
    if len(found) != len(expected):
        check.fail(f"{len(found)} annotations read, {len(expected)} written: {found!r}")
        return
    for k, ((onset, duration, text), a) in enumerate(zip(found, expected)):
        if abs(onset - a["onset_s"]) > ONSET_TOLERANCE_S:
            check.fail(f"annotation {k} ({a['text']!r}): onset {onset!r}, written {a['onset_s']!r}")
        written = a["duration_s"]
        if (duration is None) != (written is None) or (
            duration is not None and abs(duration - written) > ONSET_TOLERANCE_S
        ):
            check.fail(
                f"annotation {k} ({a['text']!r}): duration {duration!r}, written {written!r}"
            )
        check.equal(f"annotation {k} text", text, a["text"])


def start_of(desc):
    return datetime.datetime.fromisoformat(desc["start"])


def check_pyedflib(path, desc):
    check = Check(path.name, "pyedflib")
    try:
        reader = pyedflib.EdfReader(str(path))
    except Exception as e:  # pyedflib raises OSError and others
        check.fail(f"cannot read: {e}")
        return check.problems
    try:
        channels = desc["channels"]
        check.equal("labels", list(reader.getSignalLabels()), [c["label"] for c in channels])
        check.equal("start", reader.getStartdatetime(), start_of(desc))
        n_samples = reader.getNSamples()
        for i, c in enumerate(channels[: reader.signals_in_file]):
            label = c["label"]
            check.equal(f"{label} unit", reader.getPhysicalDimension(i), c["unit"])
            check.equal(f"{label} sampling rate", reader.getSampleFrequency(i), c["sfreq_hz"])
            check.equal(f"{label} samples", int(n_samples[i]), c["n_samples"])
            compare_values(check, c, np.asarray(reader.readSignal(i), dtype=float))
        onsets, durations, texts = reader.readAnnotations()
        # pyedflib reports a missing duration as -1.
        found = [
            (float(o), None if d == -1 else float(d), str(t))
            for o, d, t in zip(onsets, durations, texts)
        ]
        compare_annotations(check, found, desc["annotations"])
    finally:
        reader.close()
    return check.problems


def check_mne(path, desc):
    check = Check(path.name, "MNE")
    read = mne.io.read_raw_bdf if desc["format"] == "BDF" else mne.io.read_raw_edf
    try:
        raw = read(str(path), preload=True, verbose="error")
    except Exception as e:  # MNE raises ValueError, RuntimeError and others
        check.fail(f"cannot read: {e}")
        return check.problems
    channels = desc["channels"]
    check.equal("labels", list(raw.ch_names), [c["label"] for c in channels])
    utc_start = start_of(desc).replace(tzinfo=datetime.timezone.utc)
    check.equal("start", raw.info["meas_date"], utc_start)
    top = max(c["sfreq_hz"] for c in channels)
    check.equal("sampling rate", raw.info["sfreq"], top)
    duration_s = desc["records"] * desc["record_duration_s"]
    check.equal("samples", raw.n_times, round(duration_s * top))
    for c in channels:
        if c["label"] not in raw.ch_names or c["sfreq_hz"] != top:
            # Resampled by MNE to the file's highest rate: compared with
            # pyedflib only.
            continue
        data = raw.get_data(picks=[raw.ch_names.index(c["label"])])[0]
        scale = UNIT_TO_VOLTS.get(c["unit"])
        if scale is None:
            check.fail(f"{c['label']}: unit {c['unit']!r} has no known scale to volts")
            continue
        compare_values(check, c, data / scale)
    # MNE reports a missing duration as 0; the demo writes no zero duration.
    a = raw.annotations
    found = [
        (float(o), None if d == 0 else float(d), str(t))
        for o, d, t in zip(a.onset, a.duration, a.description)
    ]
    compare_annotations(check, found, desc["annotations"])
    return check.problems


def main():
    if len(sys.argv) != 2:
        print("usage: check_writer_interop.py DIR", file=sys.stderr)
        return 2
    directory = pathlib.Path(sys.argv[1])
    descriptions = sorted(directory.glob("*.json"))
    if not descriptions:
        print(f"no <file>.json descriptions in {directory}", file=sys.stderr)
        return 2
    print(f"MNE {mne.__version__}, pyedflib {pyedflib.__version__}, numpy {np.__version__}")
    problems = []
    passed = failed = 0
    for json_path in descriptions:
        desc = json.loads(json_path.read_text(encoding="utf-8"))
        if any(math.isnan(v) for c in desc["channels"] for v in c["first_values"]):
            problems.append(f"{json_path.name}: NaN among the written values")
        path = directory / desc["file"]
        for name, check in [("pyedflib", check_pyedflib), ("MNE", check_mne)]:
            found = check(path, desc)
            if found:
                failed += 1
                problems.extend(found)
                print(f"FAIL {desc['file']} ({name})")
            else:
                passed += 1
                print(f"ok   {desc['file']} ({name})")
    for p in problems:
        print(f"mismatch: {p}")
    print(f"interop: {passed} passed, {failed} failed")
    if problems:
        print(f"MNE or pyedflib disagree with the writer: {len(problems)} mismatches", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
