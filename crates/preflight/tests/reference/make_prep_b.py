#!/usr/bin/env python3
"""Write PyPREP's channel flags on the peers' benchmark set (b), for ``examples/prep_compare_b.rs``.

Set (b) is 80 EDF files (20 subjects x 4 runs, 32 channels, 256 Hz, 10 min)
made by ``../shared/peers/make_edf.py --benchmark-set``; it is not in the
repository. PyPREP runs exactly as ``../shared/peers/bench_pyprep.py`` runs
it: ``mne.io.read_raw_edf(path, preload=True)``, the ``biosemi32`` montage,
then ``NoisyChannels(raw, random_state=42).find_all_bads(ransac=False)``
(detrend on, PyPREP's default thresholds, the PSD criterion included).

The output, ``prep_expected_b.json``, holds per file (one line each):

- ``bads``: the channels of every non-empty ``bad_by_*`` list of
  ``get_bads(as_dict=True)``, ``bad_by_psd`` among them;
- ``psd``: for each channel flagged by ``bad_by_psd``, the robust z-scores of
  its 1-15, 15-30 and 30-45 Hz band powers (flagged above 3) and whether its
  30-45 Hz power exceeds its 1-15 Hz power (the "1/f violation");
- ``deviation_z``, ``hf_noise_z``, ``bad_correlation_fraction``: the
  statistics behind the deviation, HF-noise and correlation flags for every
  channel, in the order of ``channels``, rounded to 6 significant digits.

How to run (4 to 9 minutes on 2 shared cores)::

    PEERS_DATA=/work/peers-data ~/.cache/preflight/venv/bin/python \\
        crates/preflight/tests/reference/make_prep_b.py [DATA_ROOT]

DATA_ROOT (or ``$PEERS_DATA``) is the folder holding ``b/sub-*/*.edf``.
"""

import glob
import json
import os
import sys
from pathlib import Path

import mne
import numpy as np
import pyprep
import scipy
from pyprep.find_noisy_channels import NoisyChannels

HERE = Path(__file__).resolve().parent
TOOL = (
    f"pyprep {pyprep.__version__}, mne {mne.__version__}, "
    f"scipy {scipy.__version__}, numpy {np.__version__}"
)


def rounded(values):
    return [float(f"{v:.6g}") for v in values]


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PEERS_DATA")
    if not root:
        sys.exit("give the peers' data folder as an argument or in PEERS_DATA")
    paths = sorted(glob.glob(os.path.join(root, "b", "sub-*", "*.edf")))
    if len(paths) != 80:
        sys.exit(f"expected the 80 files of set (b) under {root}/b, found {len(paths)}")
    mne.set_log_level("ERROR")
    files = []
    channels = None
    for path in paths:
        raw = mne.io.read_raw_edf(path, preload=True)
        raw.set_montage("biosemi32")
        nc = NoisyChannels(raw, random_state=42)
        nc.find_all_bads(ransac=False)
        names = list(nc.ch_names_original)
        if channels is None:
            channels = names
        elif names != channels:
            sys.exit(f"{path}: channel names differ from the first file")
        bads = nc.get_bads(as_dict=True)
        info = nc._extra_info
        psd = info["bad_by_psd"]
        usable = list(nc.ch_names_new)
        psd_detail = {}
        for name in nc.bad_by_psd:
            u = usable.index(name)
            psd_detail[name] = {
                "band_z": rounded(float(psd[f"zscore_{b}"][u]) for b in ("low", "mid", "high")),
                "1f_violation": bool(psd["bad_by_1f_violation"][u]),
            }
        entry = {
            "file": os.path.relpath(path, root),
            "bads": {k: sorted(v) for k, v in bads.items() if k.startswith("bad_by_") and v},
            "psd": psd_detail,
            "deviation_z": rounded(info["bad_by_deviation"]["robust_channel_deviations"]),
            "hf_noise_z": rounded(info["bad_by_hf_noise"]["hf_noise_zscores"]),
            "bad_correlation_fraction": rounded(info["bad_by_correlation"]["bad_window_fractions"]),
        }
        files.append(entry)
        print(entry["file"], entry["bads"], flush=True)
        del raw, nc
    lines = ",\n".join(json.dumps(f, separators=(",", ":")) for f in files)
    header = json.dumps({"tool": TOOL, "call": "NoisyChannels(raw, random_state=42).find_all_bads(ransac=False)",
                         "channels": channels}, separators=(",", ":"))
    text = header[:-1] + ',"files":[\n' + lines + "\n]}\n"
    json.loads(text)
    (HERE / "prep_expected_b.json").write_text(text)


if __name__ == "__main__":
    main()
