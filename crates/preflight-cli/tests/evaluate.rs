//! `preflight evaluate` as a user runs it: the all-NaN classifier that
//! scored 92.4%, a good model, predicted labels, CSV tables, and inputs
//! that do not fit.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use npyz::WriterBuilder;
use serde_json::Value;

fn preflight() -> Command {
    Command::cargo_bin("preflight").expect("binary built")
}

fn npy<T: npyz::AutoSerialize + Copy>(dir: &Path, name: &str, shape: &[u64], v: &[T]) -> PathBuf {
    let path = dir.join(name);
    let mut buf = Vec::new();
    {
        let mut w = npyz::WriteOptions::<T>::new()
            .default_dtype()
            .shape(shape)
            .writer(&mut buf)
            .begin_nd()
            .expect("npy header");
        w.extend(v.iter().copied()).expect("npy data");
        w.finish().expect("npy end");
    }
    std::fs::write(&path, buf).expect("write npy");
    path
}

fn text(dir: &Path, name: &str, content: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write text");
    path
}

/// 1000 labels, the first 924 class 0 (non-target), the rest class 1.
fn oddball_labels(dir: &Path) -> PathBuf {
    let y: Vec<i64> = (0..1000).map(|i| i64::from(i >= 924)).collect();
    npy(dir, "y.npy", &[1000], &y)
}

/// Runs evaluate; returns exit code, stdout, stderr.
fn evaluate(args: &[&str]) -> (i32, String, String) {
    let out = preflight()
        .arg("evaluate")
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// Whitespace-normalized, so wrapped lines read as one.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn all_nan_logits_are_the_trap_that_a_plain_argmax_scores_0_924() {
    // The classifier of the story: every logit NaN, 92.4% non-targets.
    let dir = tempfile::tempdir().unwrap();
    let y = oddball_labels(dir.path());
    let p = npy(dir.path(), "logits.npy", &[1000, 2], &vec![f32::NAN; 2000]);
    let args = [
        "--predictions",
        s(&p),
        "--labels",
        s(&y),
        "--classes",
        "nontarget,target",
    ];

    let mut with_fail = args.to_vec();
    with_fail.extend(["--fail-on", "trap,nan"]);
    let (code, stdout, stderr) = evaluate(&with_fail);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let words = flat(&stdout);
    assert!(words.contains("NaN/Inf outputs 1000 (100.0%)"), "{stdout}");
    assert!(words.contains("accuracy 0.000 (0 of 1000)"), "{stdout}");
    assert!(
        words.contains("majority baseline 0.924 (always nontarget)"),
        "{stdout}"
    );
    assert!(
        words.contains("a plain argmax over these outputs would report accuracy 0.924"),
        "{stdout}"
    );
    assert!(words.contains("The accuracy trap"), "{stdout}");

    // The JSON says the same, and says it the same way every time.
    let mut json_args = with_fail.clone();
    json_args.push("--json");
    let (code, first, _) = evaluate(&json_args);
    assert_eq!(code, 1);
    let (_, second, _) = evaluate(&json_args);
    assert_eq!(first, second, "deterministic JSON");
    let doc: Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(doc["schema"], "preflight.evaluate/1");
    assert_eq!(doc["failing"], serde_json::json!(["trap", "nan"]));
    let card = &doc["scorecard"];
    assert_eq!(card["non_finite"]["count"], 1000);
    assert_eq!(card["non_finite"]["share"], 1.0);
    assert_eq!(card["accuracy"], 0.0);
    assert_eq!(card["plain_argmax"]["accuracy"], 0.924);
    assert_eq!(card["majority_baseline"], 0.924);
    assert_eq!(card["verdict"]["trap"], true);
    assert_eq!(card["unscored"], serde_json::json!([924, 76]));

    // Only what --fail-on names sets the exit code.
    let mut none = args.to_vec();
    none.extend(["--fail-on", "none"]);
    assert_eq!(evaluate(&none).0, 0);
}

#[test]
fn a_good_model_is_not_the_trap() {
    let dir = tempfile::tempdir().unwrap();
    let y = oddball_labels(dir.path());
    // Logits 2 apart in favour of the true class, plus a fixed
    // pseudo-random jitter of ±1 on each: a few mistakes, most right.
    let mut x = 7u64;
    let mut logits = Vec::new();
    for i in 0..1000 {
        let t = usize::from(i >= 924);
        for c in 0..2 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let jitter = ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 2.0;
            logits.push(if c == t { 2.0 } else { 0.0 } + jitter);
        }
    }
    let p = npy(dir.path(), "logits.npy", &[1000, 2], &logits);
    let (code, stdout, stderr) = evaluate(&["--predictions", s(&p), "--labels", s(&y)]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let words = flat(&stdout);
    assert!(words.contains("No accuracy trap"), "{stdout}");
    let chance = [
        "--predictions",
        s(&p),
        "--labels",
        s(&y),
        "--fail-on",
        "chance",
    ];
    assert_eq!(evaluate(&chance).0, 0, "it separates the classes");
    assert!(words.contains("NaN/Inf outputs 0 (0.0%)"), "{stdout}");

    let (_, json, _) = evaluate(&["--predictions", s(&p), "--labels", s(&y), "--json"]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let card = &doc["scorecard"];
    assert_eq!(card["verdict"]["trap"], false);
    assert!(card["accuracy"].as_f64().unwrap() > 0.95, "{card}");
    assert!(card["roc_auc"].as_f64().unwrap() > 0.95, "{card}");
    assert_eq!(card["kind"], "logits");
}

#[test]
fn predicted_labels_that_always_answer_the_majority_are_the_trap() {
    let dir = tempfile::tempdir().unwrap();
    let names: String = (0..200)
        .map(|i| {
            if i % 10 == 0 {
                "target\n"
            } else {
                "standard\n"
            }
        })
        .collect();
    let y = text(dir.path(), "labels.csv", &format!("trial_type\n{names}"));
    let p = npy(dir.path(), "pred.npy", &[200], &[0i32; 200]);
    let (code, stdout, _) = evaluate(&[
        "--predictions",
        s(&p),
        "--labels",
        s(&y),
        "--fail-on",
        "trap",
    ]);
    assert_eq!(code, 1, "{stdout}");
    let words = flat(&stdout);
    assert!(words.contains("predictions: labels"), "{stdout}");
    // Sorted names: standard is class 0, which every prediction names.
    assert!(words.contains("accuracy 0.900 (180 of 200)"), "{stdout}");
    assert!(words.contains("balanced accuracy 0.500"), "{stdout}");
    assert!(words.contains("The accuracy trap: the model does no better than chance"));
    assert!(
        words.contains("ROC AUC - (needs scores, not labels)"),
        "{stdout}"
    );
    // No NaN here: --fail-on nan alone passes; a constant answer
    // separates nothing, so --fail-on chance fails.
    for (condition, expected) in [("nan", 0), ("chance", 1)] {
        let (code, _, _) = evaluate(&[
            "--predictions",
            s(&p),
            "--labels",
            s(&y),
            "--fail-on",
            condition,
        ]);
        assert_eq!(code, expected, "--fail-on {condition}");
    }
}

#[test]
fn csv_scores_with_a_header_are_read_by_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = text(
        dir.path(),
        "proba.csv",
        "p_left,p_right,p_rest\n0.7,0.2,0.1\n0.1,0.8,0.1\n0.2,0.2,0.6\n0.5,0.4,0.1\n",
    );
    let y = text(dir.path(), "y.tsv", "label\nleft\nright\nrest\nright\n");
    let (code, stdout, stderr) = evaluate(&[
        "--predictions",
        s(&p),
        "--labels",
        s(&y),
        "--classes",
        "left,right,rest",
        "--json",
        "--fail-on",
        "none",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let doc: Value = serde_json::from_str(&stdout).unwrap();
    let card = &doc["scorecard"];
    assert_eq!(card["kind"], "probabilities");
    assert_eq!(card["examples"], 4);
    assert_eq!(card["correct"], 3);
    assert_eq!(
        card["confusion"],
        serde_json::json!([[1, 0, 0], [1, 1, 0], [0, 0, 1]])
    );
    assert_eq!(card["per_class"][1]["recall"], 0.5);
    assert_eq!(card["roc_auc"], Value::Null);
}

#[test]
fn inputs_that_do_not_fit_are_errors_that_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let y = text(dir.path(), "labels.csv", "a\nb\na\n");

    // One prediction short.
    let short = npy(dir.path(), "short.npy", &[2, 2], &[0.0f64; 4]);
    let (code, _, stderr) = evaluate(&["--predictions", s(&short), "--labels", s(&y)]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("short.npy holds 2 predictions"), "{stderr}");
    assert!(stderr.contains("labels.csv holds 3 labels"), "{stderr}");

    // A 3-D array.
    let cube = npy(dir.path(), "cube.npy", &[3, 2, 2], &[0.0f32; 12]);
    let (code, _, stderr) = evaluate(&["--predictions", s(&cube), "--labels", s(&y)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cube.npy: shape"), "{stderr}");
    assert!(stderr.contains("found 3 axes (3, 2, 2)"), "{stderr}");

    // A class name that --classes does not list.
    let p = npy(dir.path(), "p.npy", &[3], &[0i64, 1, 0]);
    let (code, _, stderr) = evaluate(&[
        "--predictions",
        s(&p),
        "--labels",
        s(&y),
        "--classes",
        "a,c",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("labels.csv: line 2"), "{stderr}");
    assert!(stderr.contains("unknown class name \"b\""), "{stderr}");

    // A 2-D integer array is not scores.
    let ints = npy(dir.path(), "ints.npy", &[3, 2], &[0i64; 6]);
    let (code, _, stderr) = evaluate(&["--predictions", s(&ints), "--labels", s(&y)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("ints.npy: dtype"), "{stderr}");

    // A missing file, and a bad flag value.
    let (code, _, stderr) = evaluate(&["--predictions", "nope.npy", "--labels", s(&y)]);
    assert_eq!(code, 2);
    assert!(stderr.contains("nope.npy"), "{stderr}");
    let (code, _, stderr) = evaluate(&[
        "--predictions",
        s(&p),
        "--labels",
        s(&y),
        "--kind",
        "softmax",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--kind \"softmax\""), "{stderr}");
}
