"""Checks an export folder of `preflight export` with NumPy.

    python check_export_numpy.py DATASET EXPORT [--absent RECORDING]
                                 [--masked RECORDING:CH+CH]

Prints one line per check and `export: N passed, 0 failed` at the end; exits
1 when a check fails.
"""

import argparse
import csv
import json
import os
import sys

import numpy as np

failures = []
passed = 0


def check(ok, what):
    global passed
    if ok:
        passed += 1
        print(f"ok    {what}")
    else:
        failures.append(what)
        print(f"FAIL  {what}")


class ShardDataset:
    """The README's PyTorch Dataset, with NumPy arrays in place of tensors
    (torch is not needed to check the indexing)."""

    def __init__(self, root):
        index = json.load(open(f"{root}/index.json"))
        self.shards = [(np.load(f"{root}/{s['x']}", mmap_mode="r"), np.load(f"{root}/{s['y']}"))
                       for s in index["shards"]]
        self.where = [(k, i) for k, s in enumerate(index["shards"]) for i in range(s["windows"])]

    def __len__(self):
        return len(self.where)

    def __getitem__(self, n):
        k, i = self.where[n]
        x, y = self.shards[k]
        return np.array(x[i]), int(y[i])


def events_of(dataset, recording):
    """(onset, trial_type) rows of the recording's events.tsv."""
    path = os.path.join(dataset, recording.rsplit("_", 1)[0] + "_events.tsv")
    with open(path, newline="") as f:
        return [(float(r["onset"]), r["trial_type"]) for r in csv.DictReader(f, delimiter="\t")]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dataset")
    p.add_argument("export")
    p.add_argument("--absent", action="append", default=[])
    p.add_argument("--masked", action="append", default=[])
    a = p.parse_args()
    root = a.export
    index = json.load(open(f"{root}/index.json"))
    channels = index["channels"]
    c, t = index["window_shape"]
    classes = index["classes"]

    # Shapes and dtypes, shard by shard.
    xs, ys, gs, ms = [], [], [], []
    for s in index["shards"]:
        x = np.load(f"{root}/{s['x']}", mmap_mode="r")
        y = np.load(f"{root}/{s['y']}")
        g = np.load(f"{root}/{s['groups']}")
        m = np.load(f"{root}/{s['mask']}")
        n = s["windows"]
        check(x.shape == (n, c, t) and x.dtype == np.float32, f"{s['x']}: {x.shape} {x.dtype}")
        check(y.shape == (n,) and y.dtype == np.int64, f"{s['y']}: {y.shape} {y.dtype}")
        check(g.shape == (n,) and g.dtype.kind == "U", f"{s['groups']}: {g.shape} {g.dtype}")
        check(m.shape == (n, c) and m.dtype == np.uint8, f"{s['mask']}: {m.shape} {m.dtype}")
        xs.append(x)
        ys.append(y)
        gs.append(g)
        ms.append(m)
    x = np.concatenate(xs)
    y = np.concatenate(ys)
    g = np.concatenate(gs)
    m = np.concatenate(ms)
    check(len(x) == index["windows"], f"{index['windows']} windows in {len(xs)} shards")

    # Labels and subjects against events.tsv, row by row.
    with open(f"{root}/{index['windows_file']}", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    check(len(rows) == len(x), f"windows.tsv has a row per window ({len(rows)})")
    events = {}
    wrong = 0
    for n, r in enumerate(rows):
        rec = r["recording"]
        if rec not in events:
            events[rec] = events_of(a.dataset, rec)
        onset = float(r["onset_s"])
        label = [tt for (o, tt) in events[rec] if abs(o - onset) < 1e-4]
        start = int(r["row"]) + index["shards"][int(r["shard"])]["first"]
        if label != [classes[y[start]]] or r["class"] != label[0] or g[start] != r["subject"]:
            wrong += 1
    check(wrong == 0, f"labels and subjects match events.tsv ({wrong} wrong)")
    recordings = {r["recording"] for r in rows}
    for rec in a.absent:
        check(rec not in recordings, f"{rec} is not exported")
        left = [l["recording"] for l in index["left_out"] if l["why"] == "excluded"]
        check(rec in left, f"index.json lists {rec} as excluded")

    # Masked cells: exactly the excluded channels of the recording, zero.
    expect = np.ones_like(m)
    for spec in a.masked:
        rec, names = spec.split(":")
        at = np.array([r["recording"] == rec for r in rows])
        for name in names.split("+"):
            expect[at, channels.index(name)] = 0
    check(np.array_equal(m, expect), f"mask marks {int((m == 0).sum())} excluded cells")
    check(not np.any(x[m == 0]), "masked cells hold 0")

    # Normalization: each channel's kept cells have mean 0 and std 1.
    worst_mean, worst_std = 0.0, 0.0
    for k in range(c):
        v = np.asarray(x[:, k, :][m[:, k] == 1], dtype=np.float64)
        worst_mean = max(worst_mean, abs(v.mean()))
        worst_std = max(worst_std, abs(v.std() - 1.0))
    check(worst_mean < 1e-3 and worst_std < 1e-3,
          f"clean channels: |mean| <= {worst_mean:.2e}, |std - 1| <= {worst_std:.2e}")
    norm = json.load(open(f"{root}/normalization.json"))
    check(norm["channels"] == channels, "normalization.json is in X's channel order")
    check(np.allclose(norm["mean"], index["mean"]) and np.allclose(norm["std"], index["std"]),
          "normalization.json holds the statistics index.json says were applied")

    # The README's Dataset gives the same windows and labels.
    ds = ShardDataset(root)
    picks = [0, len(ds) // 2, len(ds) - 1]
    same = all(np.array_equal(ds[n][0], x[n]) and ds[n][1] == y[n] for n in picks)
    check(len(ds) == len(x) and same, f"the README's Dataset indexes {len(ds)} windows")

    print(f"export: {passed} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


main()
