#!/usr/bin/env python3
"""Write PyPREP's per-channel criteria and its filters' outputs, for ``tests/prep_pyprep.rs``.

1. ``prep_filters.json``: for a synthetic signal (the formula of
   ``make_welch.py``; the Rust test makes the same doubles) at several rates,
   PyPREP's 1 Hz high-pass detrend (``removeTrend``, i.e. MNE's
   ``filter_data(l_freq=1, h_freq=None)``) and its low-pass for the HF-noise
   and correlation criteria (``_filter_design`` + ``scipy.signal.filtfilt``),
   at a few sample indices, plus the low-pass kernel itself.
2. ``prep_planted.json``: the same on a synthetic recording with one planted
   fault per criterion (see ``planted``), with and without the detrend.
3. ``prep_expected/S001Rnn.edf.json``: PyPREP's ``NoisyChannels`` on the 14
   runs of ``eegmmidb_S001``, with ``do_detrend=True`` and no RANSAC:
   ``find_bad_by_nan_flat`` (run by the constructor), ``find_bad_by_deviation``,
   ``find_bad_by_hfnoise``, ``find_bad_by_correlation`` (which also gives
   dropout), ``find_bad_by_SNR``, all with PyPREP's default thresholds, and
   separately ``find_bad_by_PSD`` (``find_all_bads`` would add it; preflight
   does not implement it). Per channel: the flags and the statistics behind
   them, and for the PSD criterion the robust z-scores of the 1-15, 15-30
   and 30-45 Hz band powers (flagged above 3) and whether the 30-45 Hz band
   exceeds the 1-15 Hz band (the "1/f violation").

How to run::

    ~/.cache/preflight/venv/bin/python crates/preflight/tests/reference/make_prep.py [DATA_ROOT]

Versions used for the committed files: pyprep 0.9.0, mne 1.13.2, scipy
1.17.1, numpy 2.4.6 (written into each JSON as ``tool``). Data are read with
``mne.io.read_raw_edf(path, preload=True)``; MNE works in volts, preflight in
µV: z-scores, ratios and fractions do not depend on the unit.
"""

import json
import math
import sys
from pathlib import Path

import mne
import numpy as np
import pyprep
import scipy
import scipy.signal
from pyprep.find_noisy_channels import NoisyChannels
from pyprep.removeTrend import removeTrend
from pyprep.utils import _filter_design

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_welch import LCG_A, LCG_C, MASK, synthetic  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[4] / "shared" / "data"
TOOL = (
    f"pyprep {pyprep.__version__}, mne {mne.__version__}, "
    f"scipy {scipy.__version__}, numpy {np.__version__}"
)


def filters():
    out = []
    for sfreq in (128.0, 160.0, 256.0, 500.0):
        n = int(12 * sfreq)
        x = synthetic(n, sfreq, 40.0, 9)
        detrended = removeTrend(x.copy()[None, :], sfreq)[0]
        entry = {"sfreq_hz": sfreq, "n": n, "offset": 40.0, "seed": 9}
        idx = [0, 1, 2, 7, 100, n // 2, n - 101, n - 2, n - 1]
        entry["index"] = idx
        entry["detrended"] = detrended[idx].tolist()
        if sfreq > 100:
            kernel = _filter_design(
                N_order=100,
                amp=np.array([1, 1, 0, 0]),
                freq=np.array([0, 90 / sfreq, 100 / sfreq, 1]),
            )
            lowpassed = scipy.signal.filtfilt(kernel, 1, detrended)
            entry["kernel"] = kernel.tolist()
            entry["lowpassed"] = lowpassed[idx].tolist()
        out.append(entry)
    (HERE / "prep_filters.json").write_text(json.dumps({"tool": TOOL, "filters": out}, indent=1) + "\n")


def lcg_noise(n, seed):
    """The noise of ``make_welch.synthetic``: (u_k >> 11) / 2**53 - 0.5."""
    out = np.empty(n)
    u = seed
    for k in range(n):
        u = (LCG_A * u + LCG_C) & MASK
        out[k] = (u >> 11) / float(1 << 53) - 0.5
    return out


def planted():
    """16 channels at 256 Hz for 30 s sharing 10 Hz and 3 Hz rhythms, with faults.

    x_c = (0.8 + 0.02 c) (15 sin(2 pi 10 t) + 10 cos(2 pi 3 t)) + 3 noise_c, noise_c
    from the LCG seeded with c + 1; then c1 gets a NaN at sample 100, c2 is
    -120 µV throughout, c3 is multiplied by 20, c4 gets 60 µV of 60 Hz, c5 is
    30 noise from seed 99 (no shared rhythm), c6 is 4 µV for samples
    2560..5120 (10 s). PyPREP runs with and without its detrend.
    """
    fs = 256.0
    n = int(30 * fs)
    common = np.array(
        [
            15.0 * math.sin(2.0 * math.pi * 10.0 * (k / fs))
            + 10.0 * math.cos(2.0 * math.pi * 3.0 * (k / fs))
            for k in range(n)
        ]
    )
    x = np.array([(0.8 + 0.02 * c) * common + 3.0 * lcg_noise(n, c + 1) for c in range(16)])
    x[1, 100] = np.nan
    x[2, :] = -120.0
    x[3] *= 20.0
    x[4] += np.array([60.0 * math.sin(2.0 * math.pi * 60.0 * (k / fs)) for k in range(n)])
    x[5] = 30.0 * lcg_noise(n, 99)
    x[6, 2560:5120] = 4.0
    info = mne.create_info([f"c{i}" for i in range(16)], fs, "eeg")
    runs = []
    for detrend in (True, False):
        raw = mne.io.RawArray(x * 1e-6, info, verbose="error")
        runs.append({"do_detrend": detrend, **noisy_channels(raw, detrend, psd=False)})
    (HERE / "prep_planted.json").write_text(json.dumps({"tool": TOOL, "runs": runs}, indent=1) + "\n")


def noisy_channels(raw, detrend=True, psd=True):
    nc = NoisyChannels(raw, do_detrend=detrend, random_state=1, ransac=False)
    nc.find_bad_by_deviation()
    nc.find_bad_by_hfnoise()
    nc.find_bad_by_correlation()
    nc.find_bad_by_SNR()
    bads = nc.get_bads(as_dict=True)
    if psd:
        nc.find_bad_by_PSD()
    info = nc._extra_info
    names = list(nc.ch_names_original)
    usable = list(nc.ch_names_new)
    psd = info["bad_by_psd"]
    corr = info["bad_by_correlation"]
    drop = info["bad_by_dropout"]
    channels = []
    for i, name in enumerate(names):
        u = usable.index(name) if psd and name in usable else None
        band_z = None if u is None else [float(psd[f"zscore_{b}"][u]) for b in ("low", "mid", "high")]
        violation = None if u is None else bool(psd["bad_by_1f_violation"][u])
        flags = [k[len("bad_by_"):] for k, v in bads.items() if k.startswith("bad_by_") and name in v]
        channels.append(
            {
                "name": name,
                "flags": sorted(flags),
                "psd": name in nc.bad_by_psd,
                "psd_band_z": band_z,
                "psd_1f_violation": violation,
                "deviation_z": float(info["bad_by_deviation"]["robust_channel_deviations"][i]),
                "hf_noise_z": float(info["bad_by_hf_noise"]["hf_noise_zscores"][i]),
                "bad_correlation_fraction": float(corr["bad_window_fractions"][i]),
                "median_max_correlation": float(corr["median_max_correlations"][i]),
                "dropout_fraction": float(drop["bad_window_fractions"][i]),
            }
        )
    return {
        "tool": TOOL,
        "sfreq_hz": float(raw.info["sfreq"]),
        "n_samples": int(raw.n_times),
        "median_channel_amplitude_uv": float(info["bad_by_deviation"]["median_channel_amplitude"]) * 1e6,
        "channel_amplitude_sd_uv": float(info["bad_by_deviation"]["channel_amplitude_sd"]) * 1e6,
        "median_channel_noisiness": float(info["bad_by_hf_noise"]["median_channel_noisiness"]),
        "channel_noisiness_sd": float(info["bad_by_hf_noise"]["channel_noisiness_sd"]),
        "channels": channels,
    }


def main():
    filters()
    planted()
    out_dir = HERE / "prep_expected"
    out_dir.mkdir(exist_ok=True)
    for path in sorted((DATA / "eegmmidb_S001").glob("S001R*.edf")):
        raw = mne.io.read_raw_edf(path, preload=True, verbose="error")
        result = {"file": f"eegmmidb_S001/{path.name}", **noisy_channels(raw)}
        (out_dir / f"{path.name}.json").write_text(json.dumps(result, indent=1) + "\n")
        flagged = {c["name"]: c["flags"] for c in result["channels"] if c["flags"] or c["psd"]}
        print(path.name, flagged)


if __name__ == "__main__":
    main()
