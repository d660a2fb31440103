"""A linear reference for `preflight train` on the same held-out subjects.

Reads the shards of `preflight export` (the audit's windows, normalized),
optionally aligns each subject as `preflight train` does (its windows
whitened by the inverse square root of the subject's mean spatial
covariance, shrunk by 0.01 towards the scaled identity; no labels used),
takes the mean of every channel over ten 50 ms bins from 0.1 to 0.6 s
after the event (windows start at -0.2 s), and fits scikit-learn's
LogisticRegression with balanced class weights on every subject but the
test subjects given, for three regularization strengths.

    preflight export DEMO SHARDS
    python bench/linear_reference.py SHARDS 02,07,09,15
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, roc_auc_score

SHRINKAGE = 0.01

root, test_subjects = sys.argv[1], sys.argv[2].split(",")
index = json.load(open(f"{root}/index.json"))
X = np.concatenate([np.load(f"{root}/{s['x']}") for s in index["shards"]])
y = np.concatenate([np.load(f"{root}/{s['y']}") for s in index["shards"]])
groups = np.concatenate([np.load(f"{root}/{s['groups']}") for s in index["shards"]])
rate = index["sfreq_hz"]


def aligned(x, groups):
    out = np.empty(x.shape, dtype=np.float64)
    for g in np.unique(groups):
        rows = groups == g
        centred = x[rows] - x[rows].mean(axis=2, keepdims=True)
        cov = np.einsum("nct,ndt->cd", centred, centred) / (centred.shape[0] * centred.shape[2])
        cov = (1 - SHRINKAGE) * cov + SHRINKAGE * np.trace(cov) / len(cov) * np.eye(len(cov))
        values, vectors = np.linalg.eigh(cov)
        whitener = vectors @ np.diag(values ** -0.5) @ vectors.T
        out[rows] = np.einsum("cd,ndt->nct", whitener, x[rows])
    return out


def features(x):
    bins = [(0.1 + 0.05 * k, 0.15 + 0.05 * k) for k in range(10)]
    return np.stack(
        [x[:, :, int((a + 0.2) * rate):int((b + 0.2) * rate)].mean(axis=2) for a, b in bins],
        axis=2,
    ).reshape(len(x), -1)


test = np.isin(groups, test_subjects)
for name, data in (("as exported", X), ("aligned per subject", aligned(X, groups))):
    f = features(data)
    for c in (0.01, 0.1, 1.0):
        model = LogisticRegression(C=c, class_weight="balanced", max_iter=3000)
        model.fit(f[~test], y[~test])
        p = model.predict_proba(f[test])[:, 1]
        print(
            f"{name}, C {c}: balanced accuracy {balanced_accuracy_score(y[test], p > 0.5):.3f}, "
            f"ROC AUC {roc_auc_score(y[test], p):.3f}",
            flush=True,
        )
