#!/usr/bin/env python3
"""Write the expected Welch spectra of ``tests/welch_scipy.rs``: scipy.signal.welch.

Signals are generated from a formula that the Rust test reproduces bit for
bit (sines plus a 64-bit linear congruential generator, all in float64), so
no signal file is committed; one fixture is a slice of a real recording,
read by the Rust test from the shared data with the ``edf`` crate and here
with MNE (values in µV).

How to run::

    ~/.cache/preflight/venv/bin/python crates/preflight/tests/reference/make_welch.py [DATA_ROOT]

writes ``welch_expected.json`` next to this script. Versions used for the
committed file: scipy 1.17.1, numpy 2.4.6, mne 1.13.2 (written into the
JSON as ``tool``).

Each fixture: ``name``, ``signal`` (how to make it, see ``synthetic``),
``sfreq_hz``, ``nperseg``, ``noverlap``, ``freqs`` and ``psd`` (scipy's
output, density scaling, one-sided, Hann window, constant detrend: all of
scipy's defaults except ``nperseg``/``noverlap``).
"""

import json
import math
import sys
from pathlib import Path

import mne
import numpy as np
import scipy
import scipy.signal

HERE = Path(__file__).resolve().parent
DATA = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[4] / "shared" / "data"

LCG_A = 6364136223846793005
LCG_C = 1442695040888963407
MASK = (1 << 64) - 1


def synthetic(n, sfreq, offset, seed):
    """offset + 10 sin(2 pi 10 t) + 3 sin(2 pi 60 t + 0.3) + 0.5 sin(2 pi 120 t) + noise.

    noise_k = (u_k >> 11) / 2**53 - 0.5, with u_(k+1) = A u_k + C mod 2**64,
    u_0 = seed, scaled by 4. Only float64 products and sums of exactly
    representable values, so Rust computes the same doubles.
    """
    x = np.empty(n)
    u = seed
    for k in range(n):
        u = (LCG_A * u + LCG_C) & MASK
        noise = (u >> 11) / float(1 << 53) - 0.5
        t = k / sfreq
        x[k] = (
            offset
            + 10.0 * math.sin(2.0 * math.pi * 10.0 * t)
            + 3.0 * math.sin(2.0 * math.pi * 60.0 * t + 0.3)
            + 0.5 * math.sin(2.0 * math.pi * 120.0 * t)
            + 4.0 * noise
        )
    return x


def main():
    fixtures = []

    def add(name, signal, x, sfreq, nperseg, noverlap):
        f, p = scipy.signal.welch(x, fs=sfreq, nperseg=nperseg, noverlap=noverlap)
        fixtures.append(
            {
                "name": name,
                "signal": signal,
                "sfreq_hz": sfreq,
                "nperseg": nperseg,
                "noverlap": noverlap,
                "freqs": f.tolist(),
                "psd": p.tolist(),
            }
        )

    for n, sfreq, offset, seed, nperseg, noverlap in [
        (4000, 160.0, 0.0, 1, 256, 128),
        (4000, 160.0, 1e5, 2, 256, 128),
        (5000, 250.0, -300.0, 3, 321, 100),
        (3000, 500.0, 0.0, 4, 500, 0),
        (2048, 256.0, 12.0, 5, 512, 384),
    ]:
        sig = {"kind": "synthetic", "n": n, "offset": offset, "seed": seed}
        add(f"synthetic_seed{seed}", sig, synthetic(n, sfreq, offset, seed), sfreq, nperseg, noverlap)

    path = DATA / "eegmmidb_S001" / "S001R03.edf"
    raw = mne.io.read_raw_edf(path, preload=True, stim_channel=None, verbose="error")
    for ch in (0, 40):
        x = raw.get_data(picks=[ch])[0] * 1e6
        sig = {"kind": "edf", "file": "eegmmidb_S001/S001R03.edf", "signal": ch, "n": len(x)}
        add(f"S001R03_ch{ch}", sig, x, float(raw.info["sfreq"]), 512, 256)

    out = {
        "tool": f"scipy {scipy.__version__}, numpy {np.__version__}, mne {mne.__version__}",
        "fixtures": fixtures,
    }
    (HERE / "welch_expected.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {len(fixtures)} fixtures")


if __name__ == "__main__":
    main()
