"""Writes the fixtures of crates/preflight/tests/score_sklearn.rs and what
scikit-learn says about them.

    python scripts/score_reference.py OUT_DIR

writes into OUT_DIR a few prediction and label files (.npy, .csv, .tsv,
.txt; fixed seeds) and expected.json: per fixture, scikit-learn's
confusion_matrix, accuracy_score, balanced_accuracy_score, recall_score and
precision_score per class (zero_division=nan, written as null),
roc_auc_score for two classes, the accuracy of DummyClassifier
("most_frequent"), and the accuracy of
numpy.argmax on the raw outputs; and scipy.stats.binom.sf for the binomial
tail of the verdict.

preflight scores a row with NaN/Inf (or a label that is not a class) as
wrong. Here such a row is given the predicted label -1, which is no class:
scikit-learn then counts it wrong for accuracy and recall and for no
class's precision, and confusion_matrix(labels=range(k)) leaves it out (the
rows are counted separately as `unscored`). For the AUC, a non-finite
positive is given a score below every other and a non-finite negative one
above, which is how preflight ranks them.
"""

import json
import sys
from pathlib import Path

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.dummy import DummyClassifier
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    confusion_matrix,
    precision_score,
    recall_score,
    roc_auc_score,
)


def nullable(values):
    return [None if np.isnan(v) else float(v) for v in values]


def expected(y, pred, k, positive_score, raw_plain):
    """scikit-learn's metrics; pred is -1 where the output names no class."""
    labels = list(range(k))
    valid = pred >= 0
    unscored = [int(np.sum((y == c) & ~valid)) for c in labels]
    out = {
        "confusion": confusion_matrix(y, pred, labels=labels).tolist(),
        "unscored": unscored,
        "accuracy": float(accuracy_score(y, pred)),
        "balanced_accuracy": float(balanced_accuracy_score(y, pred)),
        "recall": nullable(
            recall_score(y, pred, labels=labels, average=None, zero_division=np.nan)
        ),
        "precision": nullable(
            precision_score(y, pred, labels=labels, average=None, zero_division=np.nan)
        ),
        "majority_baseline": float(
            DummyClassifier(strategy="most_frequent")
            .fit(np.zeros((len(y), 1)), y)
            .score(np.zeros((len(y), 1)), y)
        ),
        "plain_argmax_accuracy": (
            None if raw_plain is None else float(np.mean(raw_plain == y))
        ),
        "roc_auc": None,
    }
    if positive_score is not None and k == 2:
        s = positive_score.astype(np.float64).copy()
        bad = ~np.isfinite(s)
        finite = s[~bad]
        low = finite.min() - 1.0 if finite.size else -1.0
        high = finite.max() + 1.0 if finite.size else 1.0
        s[bad & (y == 1)] = low
        s[bad & (y == 0)] = high
        out["roc_auc"] = float(roc_auc_score(y == 1, s))
    return out


def argmax_rows(scores):
    """preflight's decision: argmax of finite rows, -1 for the others."""
    finite = np.all(np.isfinite(scores), axis=1)
    pred = np.where(finite, np.argmax(np.where(finite[:, None], scores, 0), axis=1), -1)
    return pred


def main(out):
    out.mkdir(parents=True, exist_ok=True)
    fixtures = []

    # 1. Two classes, 80/20, float64 logits rounded to one decimal: many
    #    ties in the logit difference. Integer labels.
    rng = np.random.default_rng(1)
    n = 200
    y = (rng.random(n) < 0.2).astype(np.int64)
    logits = rng.normal(size=(n, 2))
    logits[np.arange(n), y] += 0.8
    logits = np.round(logits, 1)
    np.save(out / "binary_logits.npy", logits)
    np.save(out / "binary_logits_labels.npy", y)
    fixtures.append(
        {
            "name": "binary_logits",
            "predictions": "binary_logits.npy",
            "labels": "binary_logits_labels.npy",
            "kind": "auto",
            "classes": None,
            "expected": expected(
                y, argmax_rows(logits), 2, logits[:, 1] - logits[:, 0], np.argmax(logits, axis=1)
            ),
        }
    )

    # 2. Two classes named in a CSV with a header, float32 probabilities,
    #    some rows NaN (one all-NaN, some half-NaN) and one +inf.
    rng = np.random.default_rng(2)
    n = 150
    y = (rng.random(n) < 0.3).astype(np.int64)
    p1 = np.clip(0.3 + 0.4 * y + rng.normal(scale=0.25, size=n), 0, 1)
    p1 = np.round(p1, 2)
    proba = np.stack([1 - p1, p1], axis=1).astype(np.float32)
    proba[[3, 17, 40, 41], :] = np.nan
    proba[[60, 90], 0] = np.nan
    proba[100, 1] = np.inf
    np.save(out / "binary_proba_nan.npy", proba)
    names = np.array(["rest", "target"])[y]
    (out / "binary_proba_nan_labels.csv").write_text(
        "trial_type\n" + "".join(f"{s}\n" for s in names)
    )
    p64 = proba.astype(np.float64)
    fixtures.append(
        {
            "name": "binary_proba_nan",
            "predictions": "binary_proba_nan.npy",
            "labels": "binary_proba_nan_labels.csv",
            "kind": "probabilities",
            "classes": None,
            "expected": expected(
                y,
                argmax_rows(p64),
                2,
                np.where(np.all(np.isfinite(p64), axis=1), p64[:, 1], np.nan),
                np.argmax(p64, axis=1),
            ),
        }
    )

    # 3. Three classes, probabilities in a CSV with a header (written at
    #    full precision), integer labels in a text file; class 2 is rare.
    rng = np.random.default_rng(3)
    n = 120
    y = rng.choice(3, size=n, p=[0.5, 0.4, 0.1]).astype(np.int64)
    logits = rng.normal(size=(n, 3))
    logits[np.arange(n), y] += 1.0
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    with open(out / "three_class_proba.csv", "w") as f:
        f.write("p_a,p_b,p_c\n")
        for row in proba:
            f.write(",".join(repr(float(v)) for v in row) + "\n")
    (out / "three_class_labels.txt").write_text("".join(f"{v}\n" for v in y))
    fixtures.append(
        {
            "name": "three_class_proba",
            "predictions": "three_class_proba.csv",
            "labels": "three_class_labels.txt",
            "kind": "auto",
            "classes": ["a", "b", "c"],
            "expected": expected(y, argmax_rows(proba), 3, None, np.argmax(proba, axis=1)),
        }
    )

    # 4. Predicted labels (int32) against class names in a TSV; some
    #    predictions are no class (-1, 3), class "c" is never predicted.
    rng = np.random.default_rng(4)
    n = 90
    y = rng.choice(3, size=n, p=[0.6, 0.3, 0.1]).astype(np.int64)
    pred = np.where(rng.random(n) < 0.7, y, rng.choice(2, size=n))
    pred = np.where(pred == 2, 0, pred)
    pred[[5, 50]] = -1
    pred[[7]] = 3
    np.save(out / "labels_only.npy", pred.astype(np.int32))
    names = np.array(["a", "b", "c"])[y]
    (out / "labels_only_labels.tsv").write_text("".join(f"{s}\n" for s in names))
    scored = np.where((pred >= 0) & (pred < 3), pred, -1)
    fixtures.append(
        {
            "name": "labels_only",
            "predictions": "labels_only.npy",
            "labels": "labels_only_labels.tsv",
            "kind": "auto",
            "classes": ["a", "b", "c"],
            "expected": expected(y, scored, 3, None, None),
        }
    )

    # 5. One decision value per example (float64, ties, a NaN), threshold 0.
    rng = np.random.default_rng(5)
    n = 100
    y = (rng.random(n) < 0.25).astype(np.int64)
    s = np.round(rng.normal(size=n) + 1.2 * y - 0.6, 1)
    s[[11, 12]] = np.nan
    np.save(out / "binary_decision.npy", s)
    (out / "binary_decision_labels.csv").write_text("".join(f"{v}\n" for v in y))
    pred = np.where(np.isfinite(s), (s > 0).astype(np.int64), -1)
    fixtures.append(
        {
            "name": "binary_decision",
            "predictions": "binary_decision.npy",
            "labels": "binary_decision_labels.csv",
            "kind": "logits",
            "classes": None,
            "expected": expected(y, pred, 2, s, (s > 0).astype(np.int64)),
        }
    )

    binomial = []
    for k, n, p in [(8, 10, 0.5), (930, 1000, 0.924), (983, 1000, 0.924), (0, 5, 0.3),
                    (57, 120, 0.5), (1000, 1000, 0.924), (12, 400, 0.01)]:
        binomial.append({"k": k, "n": n, "p": p, "sf": float(scipy.stats.binom.sf(k - 1, n, p))})

    doc = {
        "generator": "scripts/score_reference.py",
        "numpy": np.__version__,
        "scikit_learn": sklearn.__version__,
        "scipy": scipy.__version__,
        "fixtures": fixtures,
        "binomial_upper_tail": binomial,
    }
    (out / "expected.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
