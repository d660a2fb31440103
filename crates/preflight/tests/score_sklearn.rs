//! The scorecard against scikit-learn, fixture by fixture.
//!
//! `tests/data/score/` holds prediction and label files in every accepted
//! format and `expected.json`, what scikit-learn's `confusion_matrix`,
//! `accuracy_score`, `balanced_accuracy_score`, `recall_score`,
//! `precision_score`, `roc_auc_score` and `DummyClassifier` say about
//! them, and scipy's binomial tail; `scripts/score_reference.sh` made them
//! (see `scripts/score_reference.py` for how NaN rows are given to
//! scikit-learn). Every number must agree within 1e-12.

use std::path::Path;

use preflight::score::input::{read_inputs, InputConfig, KindChoice};
use preflight::score::verdict::binomial_upper_tail;
use preflight::score::Scorecard;
use serde_json::Value;

const TOLERANCE: f64 = 1e-12;

fn close(name: &str, what: &str, got: Option<f64>, want: &Value) {
    match (got, want.as_f64()) {
        (Some(g), Some(w)) => assert!(
            (g - w).abs() <= TOLERANCE,
            "{name}: {what}: {g} vs scikit-learn {w}"
        ),
        (None, None) => assert!(want.is_null(), "{name}: {what}: {want}"),
        (g, _) => panic!("{name}: {what}: {g:?} vs scikit-learn {want}"),
    }
}

fn expected() -> (std::path::PathBuf, Value) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/score");
    let text = std::fs::read_to_string(dir.join("expected.json")).expect("committed fixture");
    (dir, serde_json::from_str(&text).expect("valid JSON"))
}

#[test]
fn scorecards_match_scikit_learn() {
    let (dir, doc) = expected();
    let fixtures = doc["fixtures"].as_array().expect("fixtures");
    assert_eq!(fixtures.len(), 5);
    for f in fixtures {
        let name = f["name"].as_str().expect("name");
        let config = InputConfig {
            kind: f["kind"].as_str().expect("kind").parse().expect("a kind"),
            classes: f["classes"].as_array().map(|a| {
                a.iter()
                    .map(|c| c.as_str().expect("a name").to_string())
                    .collect()
            }),
        };
        let predictions = dir.join(f["predictions"].as_str().expect("predictions"));
        let labels = dir.join(f["labels"].as_str().expect("labels"));
        let inputs =
            read_inputs(&predictions, &labels, &config).unwrap_or_else(|e| panic!("{name}: {e}"));
        let card = Scorecard::new(&inputs.labels, &inputs.predictions, &inputs.classes)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = &f["expected"];

        let confusion: Vec<Vec<usize>> =
            serde_json::from_value(want["confusion"].clone()).expect("matrix");
        assert_eq!(card.confusion, confusion, "{name}: confusion matrix");
        let unscored: Vec<usize> =
            serde_json::from_value(want["unscored"].clone()).expect("counts");
        assert_eq!(card.unscored, unscored, "{name}: unscored rows");
        assert_eq!(
            card.non_finite.count + card.not_a_class.count,
            unscored.iter().sum::<usize>(),
            "{name}: rows without a class"
        );
        close(name, "accuracy", Some(card.accuracy), &want["accuracy"]);
        close(
            name,
            "balanced accuracy",
            Some(card.balanced_accuracy),
            &want["balanced_accuracy"],
        );
        for (c, class) in card.per_class.iter().enumerate() {
            close(
                name,
                &format!("recall {c}"),
                class.recall,
                &want["recall"][c],
            );
            close(
                name,
                &format!("precision {c}"),
                class.precision,
                &want["precision"][c],
            );
        }
        close(
            name,
            "majority baseline",
            Some(card.majority_baseline),
            &want["majority_baseline"],
        );
        close(name, "ROC AUC", card.roc_auc, &want["roc_auc"]);
        close(
            name,
            "plain argmax accuracy",
            card.plain_argmax.map(|p| p.accuracy),
            &want["plain_argmax_accuracy"],
        );
    }
}

#[test]
fn the_kinds_read_are_the_ones_the_fixtures_hold() {
    let (dir, _) = expected();
    let read = |p: &str, l: &str, classes: Option<Vec<String>>| {
        let config = InputConfig {
            kind: KindChoice::Auto,
            classes,
        };
        read_inputs(&dir.join(p), &dir.join(l), &config).expect("readable fixture")
    };
    let abc = Some(vec!["a".to_string(), "b".into(), "c".into()]);
    assert_eq!(
        read("binary_logits.npy", "binary_logits_labels.npy", None)
            .predictions
            .kind_name(),
        "logits"
    );
    let nan = read("binary_proba_nan.npy", "binary_proba_nan_labels.csv", None);
    assert_eq!(nan.predictions.kind_name(), "probabilities");
    // The CSV header is not a class; the names are sorted.
    assert_eq!(nan.classes, ["rest", "target"]);
    let three = read(
        "three_class_proba.csv",
        "three_class_labels.txt",
        abc.clone(),
    );
    assert_eq!(three.predictions.kind_name(), "probabilities");
    assert_eq!(three.labels.len(), 120);
    let labels = read("labels_only.npy", "labels_only_labels.tsv", abc);
    assert_eq!(labels.predictions.kind_name(), "labels");
}

#[test]
fn binomial_tail_matches_scipy() {
    let (_, doc) = expected();
    for case in doc["binomial_upper_tail"].as_array().expect("cases") {
        let k = case["k"].as_u64().expect("k") as usize;
        let n = case["n"].as_u64().expect("n") as usize;
        let p = case["p"].as_f64().expect("p");
        let want = case["sf"].as_f64().expect("sf");
        let got = binomial_upper_tail(k, n, p).expect("p in [0, 1]");
        let rel = (got - want).abs() / want.max(f64::MIN_POSITIVE);
        assert!(
            rel <= 1e-9,
            "P(X ≥ {k}) for Binomial({n}, {p}): {got} vs scipy {want}"
        );
    }
}
