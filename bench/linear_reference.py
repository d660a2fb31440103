"""A linear reference for `preflight train` on the same held-out subjects.

Reads the shards of `preflight export` (the audit's windows, normalized),
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

root, test_subjects = sys.argv[1], sys.argv[2].split(",")
index = json.load(open(f"{root}/index.json"))
X = np.concatenate([np.load(f"{root}/{s['x']}") for s in index["shards"]])
y = np.concatenate([np.load(f"{root}/{s['y']}") for s in index["shards"]])
groups = np.concatenate([np.load(f"{root}/{s['groups']}") for s in index["shards"]])
rate = index["sfreq_hz"]
bins = [(0.1 + 0.05 * k, 0.15 + 0.05 * k) for k in range(10)]
features = np.stack(
    [X[:, :, int((a + 0.2) * rate):int((b + 0.2) * rate)].mean(axis=2) for a, b in bins],
    axis=2,
).reshape(len(X), -1)
test = np.isin(groups, test_subjects)
for c in (0.01, 0.1, 1.0):
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    model.fit(features[~test], y[~test])
    p = model.predict_proba(features[test])[:, 1]
    print(
        f"C {c}: balanced accuracy {balanced_accuracy_score(y[test], p > 0.5):.3f}, "
        f"ROC AUC {roc_auc_score(y[test], p):.3f}"
    )
