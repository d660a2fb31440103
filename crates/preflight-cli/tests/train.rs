//! `preflight train` as a user runs it: with the audit (faulty recordings
//! excluded, inputs normalized, subjects split, the model saved with its
//! normalization) and with `--no-audit` (the guards name the recordings
//! whose windows blow up the activations).
#![cfg(feature = "train")]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use preflight::synth::{generate, ControlPlan, Fault, FaultKind, FaultPlan, SynthConfig};
use serde_json::Value;

/// `preflight train DATA --out OUT ARGS...`, ready to assert on.
fn run_train(data: &Path, out: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    Command::cargo_bin("preflight")
        .expect("binary built")
        .arg("train")
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(args)
        .assert()
}

/// 6 subjects × 2 runs × 32 channels, 1 minute at 256 Hz; in every
/// subject's run 2, two contacts are detached (60 Hz, large offset).
fn write_dataset(dir: &Path) {
    let mut config = SynthConfig::demo();
    config.subjects = 6;
    config.runs = 2;
    config.minutes = 1.0;
    config.target_share = 0.2;
    config.faults = FaultPlan::List(
        (1..=6)
            .map(|subject| Fault {
                kind: FaultKind::Detached {
                    frequency_hz: Some(60.0),
                    amplitude_uv: 50_000.0,
                    offset_uv: 80_000.0,
                },
                subject,
                run: 2,
                channels: ["P3", "P4"].map(String::from).to_vec(),
                onset_s: 0.0,
                duration_s: None,
            })
            .collect(),
    );
    config.control = ControlPlan::None;
    generate(&config, dir).expect("generate");
}

/// A temporary folder holding the dataset of [`write_dataset`] in `data`,
/// with `model` beside it for the outputs.
fn fresh_dataset() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().expect("temp");
    let data = tmp.path().join("data");
    write_dataset(&data);
    let out = tmp.path().join("model");
    (tmp, data, out)
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("JSON")
}

fn subjects(v: &Value) -> Vec<u64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|s| s.as_u64().expect("an index"))
        .collect()
}

#[test]
fn with_the_audit_faulty_recordings_are_left_out_and_the_model_is_saved() {
    let (tmp, data, out) = fresh_dataset();
    let run = run_train(
        &data,
        &out,
        &["--epochs", "3", "--full", "--fail-on", "stop"],
    )
    .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(stdout.contains("split by subject"), "{stdout}");
    assert!(stdout.contains("balanced accuracy"), "{stdout}");

    let t = json(&out.join("train.json"));
    assert_eq!(t["schema"], "preflight.train/1");
    assert_eq!(t["audit"], "in-process");
    assert_eq!(t["normalized"], true);
    assert_eq!(
        t["aligned"], true,
        "normalized windows are aligned per subject"
    );
    assert_eq!(t["excluded_recordings"], 6, "every run 2 is excluded");
    assert_eq!(t["decimation"], 4);
    assert!(t["run"]["stopped"].is_null(), "{}", t["run"]["stopped"]);
    let train = subjects(&t["run"]["split"]["train_subjects"]);
    let test = subjects(&t["run"]["split"]["test_subjects"]);
    let validation = subjects(&t["run"]["split"]["validation_subjects"]);
    assert!(!train.is_empty() && !test.is_empty() && !validation.is_empty());
    assert!(test
        .iter()
        .all(|s| !train.contains(s) && !validation.contains(s)));
    assert_eq!(
        t["run"]["config"]["class_weights"]
            .as_array()
            .map(|a| a.len()),
        Some(2)
    );
    let card = &t["scorecard"];
    assert_eq!(card["non_finite"]["count"], 0);
    assert!(card["balanced_accuracy"].as_f64().is_some());
    // No spike in clean, normalized inputs.
    assert!(t["run"]["spikes"]
        .as_object()
        .is_some_and(|m| !m.contains_key("input")));

    let model = json(&out.join("model.json"));
    assert_eq!(model["normalized"], true);
    assert_eq!(model["aligned"], true);
    assert_eq!(model["channels"].as_array().map(|a| a.len()), Some(32));
    assert!(out.join("model.safetensors").is_file());
    // The same run again gives the same train.json.
    let again = tmp.path().join("again");
    run_train(
        &data,
        &again,
        &["--epochs", "3", "--full", "--fail-on", "none"],
    )
    .success();
    assert_eq!(
        std::fs::read(out.join("train.json")).unwrap(),
        std::fs::read(again.join("train.json")).unwrap()
    );
}

#[test]
fn without_the_audit_the_guards_name_the_faulty_recordings() {
    let (_tmp, data, out) = fresh_dataset();
    let run = run_train(
        &data,
        &out,
        &["--no-audit", "--epochs", "2", "--fail-on", "any"],
    )
    .code(1);
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    let t = json(&out.join("train.json"));
    assert_eq!(t["normalized"], false);
    assert_eq!(t["aligned"], false, "raw windows stay raw");
    assert_eq!(t["excluded_recordings"], 0);
    assert!(t["run"]["config"]["class_weights"].is_null());
    let spikes = &t["run"]["spikes"]["input"];
    let recordings = spikes["by_recording"]
        .as_object()
        .expect("spikes at the input");
    assert!(!recordings.is_empty());
    for r in recordings.keys() {
        assert!(r.contains("run-2"), "a spike from {r}, which is clean");
    }
    assert!(spikes["max_ratio"].as_f64().unwrap() >= 100.0);
    assert!(
        stdout.contains("activation spikes at the input"),
        "{stdout}"
    );
    assert!(stdout.contains("run-2"), "{stdout}");
}

#[cfg(unix)]
#[test]
fn outputs_are_plain_readable_files() {
    use std::os::unix::fs::PermissionsExt;
    let (_tmp, data, out) = fresh_dataset();
    let run = run_train(
        &data,
        &out,
        &["--max-steps", "2", "--no-align", "--fail-on", "none"],
    )
    .success();
    let stdout = String::from_utf8_lossy(&run.get_output().stdout).to_string();
    assert!(stdout.contains("trained on 2 batches of "), "{stdout}");
    assert!(
        stdout.contains("less than one pass over the training set"),
        "{stdout}"
    );
    for name in ["model.safetensors", "model.json", "train.json"] {
        let mode = std::fs::metadata(out.join(name))
            .expect(name)
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{name}: {:o}", mode & 0o777);
    }
    let report = json(&out.join("train.json"));
    assert_eq!(report["run"]["full_pass"], false);
    assert_eq!(report["aligned"], false, "--no-align");
}
