//! `preflight audit` as a user runs it, on small synthetic datasets whose
//! planted faults are known.

use std::path::Path;

use assert_cmd::Command;
use preflight::synth::{generate, ControlPlan, Fault, FaultKind, FaultPlan, SynthConfig, Truth};
use serde_json::Value;

fn preflight() -> Command {
    Command::cargo_bin("preflight").expect("binary built")
}

/// 6 subjects × 2 runs × 32 channels, 1 minute at 256 Hz, 7.6% targets;
/// subject 02 run 2 with three detached contacts; subject 05 the control.
fn write_dataset(dir: &Path) -> Truth {
    let mut config = SynthConfig::demo();
    config.subjects = 6;
    config.runs = 2;
    config.minutes = 1.0;
    config.faults = FaultPlan::List(vec![Fault {
        kind: FaultKind::Detached {
            frequency_hz: Some(60.0),
            amplitude_uv: 50_000.0,
            offset_uv: 80_000.0,
        },
        subject: 2,
        run: 2,
        channels: ["T7", "C3", "P7"].map(String::from).to_vec(),
        onset_s: 0.0,
        duration_s: None,
    }]);
    config.control = ControlPlan::Subject(5);
    generate(&config, dir).expect("generate")
}

/// `subjects` × 1 run of the demo's montage, `minutes` long, no fault and
/// no control subject.
fn write_clean(dir: &Path, subjects: u32, minutes: f64) -> Truth {
    let mut config = SynthConfig::demo();
    config.subjects = subjects;
    config.runs = 1;
    config.minutes = minutes;
    config.faults = FaultPlan::List(Vec::new());
    config.control = ControlPlan::None;
    generate(&config, dir).expect("generate")
}

/// The report's (class, windows) pairs of its balance.
fn class_counts(report: &Value) -> Vec<(String, u64)> {
    report["balance"]["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["class"].as_str().unwrap().to_string(),
                c["count"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// `preflight audit FLAGS DATA --out OUT`, run to its end.
fn audit(flags: &[&str], data: &Path, out: impl AsRef<Path>) -> std::process::Output {
    preflight()
        .arg("audit")
        .args(flags)
        .arg(data)
        .arg("--out")
        .arg(out.as_ref())
        .output()
        .unwrap()
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("JSON")
}

#[test]
fn audit_finds_the_planted_channels_and_writes_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let truth = write_dataset(&data);
    let out = dir.path().join("report");

    let run = audit(&[], &data, &out);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(1),
        "findings give exit code 1\n{stdout}"
    );
    assert!(
        stdout.contains("a detached or floating electrode"),
        "{stdout}"
    );
    assert!(
        stdout.contains("majority") || stdout.contains("always answers"),
        "{stdout}"
    );
    assert!(stdout.lines().count() <= 24, "fits one screen:\n{stdout}");

    let report = json(&out.join("report.json"));
    assert_eq!(report["schema"], "preflight.audit/1");
    let mut found: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["recording"].as_str().unwrap().to_string(),
                f["channel"].as_str().unwrap().to_string(),
                f["cause"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut planted: Vec<(String, String, String)> = truth
        .faults
        .iter()
        .map(|f| (f.recording.clone(), f.channel.clone(), f.kind.clone()))
        .collect();
    found.sort();
    planted.sort();
    assert_eq!(found, planted);
    let baseline = report["balance"]["majority_baseline"].as_f64().unwrap();
    assert!((baseline - 0.924).abs() < 0.005, "{baseline}");

    // Each finding was confirmed on every window of its recording, and its
    // extent spans the minute the contact was off.
    let recording = planted[0].0.as_str();
    assert_eq!(
        report["sample"]["confirmed_recordings"],
        serde_json::json!([recording])
    );
    for f in report["findings"].as_array().unwrap() {
        let measured = f["windows_measured"].as_u64().unwrap();
        assert_eq!(f["windows_flagged"].as_u64(), Some(measured), "{f}");
        let extent = f["extent_s"].as_array().unwrap();
        let (first, last) = (extent[0].as_f64().unwrap(), extent[1].as_f64().unwrap());
        assert!(first < 3.0 && last > 57.0, "{f}");
    }
    // The allocation table: one row per subject × class, every stratum
    // sampled, adding up to the sample.
    let strata = report["sample"]["strata"].as_array().unwrap();
    assert_eq!(strata.len(), 6 * 2, "{strata:?}");
    let sampled: u64 = strata.iter().map(|r| r["sampled"].as_u64().unwrap()).sum();
    assert_eq!(Some(sampled), report["sample"]["sampled"].as_u64());
    assert!(strata.iter().all(|r| r["sampled"].as_u64().unwrap() >= 1));
    // The detached channels, left in, would squeeze the clean EEG into a
    // sliver of the normalized range.
    for row in report["normalization"].as_array().unwrap() {
        let channel = row["channel"].as_str().unwrap();
        let compression = row["compression"].as_f64().unwrap();
        let share = row["clean_share"].as_f64().unwrap();
        if ["T7", "C3", "P7"].contains(&channel) {
            assert!(compression >= 100.0 && share < 0.01, "{row}");
        } else {
            assert!(compression < 1.5 && share > 0.3, "{row}");
        }
    }
    assert!(
        stdout.lines().any(|l| l.starts_with("next ")
            && l.contains("exclusions.tsv")
            && l.contains("normalization.json")),
        "{stdout}"
    );

    // The plan lists the recording; the normalization names every channel.
    let tsv = std::fs::read_to_string(out.join("exclusions.tsv")).unwrap();
    assert_eq!(tsv, format!("recording\n{}\n", planted[0].0));
    let norm = json(&out.join("normalization.json"));
    assert_eq!(norm["channels"].as_array().unwrap().len(), 32);
    let std: Vec<f64> = norm["std"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    // Clean EEG: tens of µV, not the detached contacts' tens of mV.
    assert!(std.iter().all(|&s| (1.0..200.0).contains(&s)), "{std:?}");
}

#[test]
fn the_same_inputs_give_byte_identical_reports() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_dataset(&data);
    let mut reports = Vec::new();
    for name in ["a", "b"] {
        let out = dir.path().join(name);
        preflight()
            .args(["audit", "--fail-on", "none", "--seed", "7"])
            .arg(&data)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(0);
        reports.push(std::fs::read(out.join("report.json")).unwrap());
    }
    assert_eq!(reports[0], reports[1]);
}

#[test]
fn json_and_derivative_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let truth = write_dataset(&data);
    let derivative = dir.path().join("derivatives/preflight");
    let run = preflight()
        .args(["audit", "--json", "--exclude", "channel"])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("report"))
        .arg("--bids-derivative")
        .arg(&derivative)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&run.stdout).expect("stdout is JSON");
    assert_eq!(report["exclusions"]["level"], "channel");
    assert_eq!(
        report["exclusions"]["channels"].as_array().unwrap().len(),
        3
    );

    let recording = &truth.faults[0].recording;
    let channels_tsv = derivative.join(recording.replace("_eeg.edf", "_channels.tsv"));
    let text = std::fs::read_to_string(&channels_tsv).expect("derivative channels.tsv");
    let bad: Vec<&str> = text
        .lines()
        .filter(|l| l.split('\t').nth(3) == Some("bad"))
        .map(|l| l.split('\t').next().unwrap())
        .collect();
    assert_eq!(bad, ["T7", "C3", "P7"]);
    let header: Vec<&str> = text.lines().next().unwrap().split('\t').collect();
    let described = header.iter().position(|h| *h == "status_description");
    let described = described.expect("a status_description column");
    for line in text.lines().filter(|l| l.split('\t').nth(3) == Some("bad")) {
        let why = line.split('\t').nth(described).unwrap_or("");
        assert!(why.contains("detached"), "{line}");
    }
    // The input's own channels.tsv is untouched.
    let input = data.join(recording.replace("_eeg.edf", "_channels.tsv"));
    assert!(!std::fs::read_to_string(input)
        .unwrap()
        .contains("preflight:"));
}

#[test]
fn bad_arguments_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_dataset(&data);
    for (args, needle) in [
        (vec!["--window", "1:0"], "--window"),
        (vec!["--fail-on", "loud"], "--fail-on"),
        (vec!["--exclude", "subject"], "--exclude"),
        (vec!["--fixed", "0"], "--fixed"),
        (vec!["--classes", "a=x;b=x"], "--classes"),
    ] {
        let run = preflight()
            .arg("audit")
            .arg(&data)
            .args(&args)
            .arg("--out")
            .arg(dir.path().join("r"))
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
}

#[test]
fn html_flag_writes_the_report_where_asked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_dataset(&data);
    let html = dir.path().join("pages").join("audit.html");
    let run = preflight()
        .args(["audit", "--fail-on", "none"])
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("report"))
        .arg("--html")
        .arg(&html)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("html        "), "{stdout}");
    let page = std::fs::read_to_string(&html).expect("the HTML report");
    assert!(page.starts_with("<!DOCTYPE html>"));
    // The three detached contacts each get a finding card.
    assert_eq!(page.matches("class=\"card\"").count(), 3);
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(html.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
}

#[test]
fn a_derivative_folder_over_the_inputs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let truth = write_dataset(&data);
    let input = data.join(
        truth.faults[0]
            .recording
            .replace("_eeg.edf", "_channels.tsv"),
    );
    let before = std::fs::read(&input).unwrap();
    let run = preflight()
        .arg("audit")
        .arg(&data)
        .arg("--out")
        .arg(dir.path().join("report"))
        .arg("--bids-derivative")
        .arg(&data)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("is an input"));
    assert_eq!(std::fs::read(&input).unwrap(), before);
}

/// `--out` naming the folder of a recording, or the folder a linked
/// recording lives in, is refused before anything is written.
#[test]
fn audit_refuses_to_write_into_the_folder_of_an_input() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let truth = write_dataset(&data);
    let first = data.join(&truth.faults[0].recording);
    let folder = first.parent().unwrap().to_path_buf();
    let before: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();

    let run = audit(&[], &data, &folder);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("is the folder of input"), "{stderr}");
    let after: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(before, after, "nothing written beside the inputs");

    // A recording that is a link into another folder: that folder is an
    // input's folder too.
    #[cfg(unix)]
    {
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        let moved = elsewhere.join(first.file_name().unwrap());
        std::fs::rename(&first, &moved).unwrap();
        std::os::unix::fs::symlink(&moved, &first).unwrap();
        let run = audit(&[], &data, &elsewhere);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("is the folder of input"), "{stderr}");
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 1);
    }
}

/// A dataset with no fault: exit code 0, whatever `--fail-on` allows; its
/// fixed-length windows labelled from a CSV by subject.
#[test]
fn a_clean_dataset_exits_0_with_windows_labelled_from_a_csv() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_clean(&data, 4, 1.0);
    let labels = dir.path().join("groups.csv");
    std::fs::write(
        &labels,
        "subject,label\n01,patient\n02,patient\n03,patient\n04,control\n",
    )
    .unwrap();
    let out = dir.path().join("report");
    let run = preflight()
        .args(["audit", "--fixed", "2"])
        .arg("--labels")
        .arg(&labels)
        .arg(&data)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}");
    let report = json(&out.join("report.json"));
    assert_eq!(report["findings"].as_array().unwrap().len(), 0, "{stdout}");
    assert_eq!(report["dataset"]["window_s"].as_f64(), Some(2.0));
    // 4 recordings of 60 s in 2 s windows: 30 each.
    assert_eq!(report["dataset"]["windows"].as_u64(), Some(120));
    let classes = class_counts(&report);
    assert_eq!(
        classes,
        [("control".to_string(), 30), ("patient".to_string(), 90)]
    );
    assert!(stdout.lines().any(|l| l.starts_with("next ")), "{stdout}");
}

#[test]
fn thresholds_are_set_by_name_and_checked() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_dataset(&data);
    // Thresholds no window can pass: the detached contacts go unflagged,
    // and the report says what was used.
    let out = dir.path().join("lenient");
    let mut cmd = preflight();
    cmd.arg("audit");
    for t in [
        "amplitude_z=1e6",
        "offset_z=1e6",
        "line_z=1e6",
        "hf_z=1e6",
        "line_abs_ratio=1e300",
        "level_min_ratio=1e300",
    ] {
        cmd.args(["--threshold", t]);
    }
    let run = cmd.arg(&data).arg("--out").arg(&out).output().unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    let report = json(&out.join("report.json"));
    assert_eq!(report["findings"].as_array().unwrap().len(), 0);
    assert_eq!(
        report["settings"]["detect"]["line_abs_ratio"].as_f64(),
        Some(1e300)
    );
    assert_eq!(
        report["settings"]["detect"]["clip_share"].as_f64(),
        Some(0.01)
    );

    for (bad, says) in [
        ("clip_share=2", "at most 1"),
        ("flatness=1", "amplitude_z"),
        ("hf_z", "NAME=VALUE"),
        ("hf_z=high", "not a number"),
    ] {
        let run = audit(&["--threshold", bad], &data, dir.path().join("never"));
        let err = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains("--threshold") && err.contains(says),
            "{bad}: {err}"
        );
        assert!(!dir.path().join("never").exists());
    }
}

/// `--label-column` takes the classes from another column of events.tsv.
#[test]
fn the_label_column_names_the_events_tsv_column_of_the_classes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let truth = write_clean(&data, 2, 0.5);
    // Ten events a recording, every 2 s from 2 s: all "stimulus" by
    // trial_type, three of them "left" and seven "right" by response.
    let mut rows = String::from("onset\tduration\ttrial_type\tresponse\n");
    for k in 0..10 {
        let side = if k < 3 { "left" } else { "right" };
        rows.push_str(&format!("{}\t0.1\tstimulus\t{side}\n", 2 + 2 * k));
    }
    for r in &truth.recordings {
        let events = data.join(r.recording.replace("_eeg.edf", "_events.tsv"));
        std::fs::write(events, &rows).unwrap();
    }
    let classes = |extra: &[&str], out: &str| -> Vec<(String, u64)> {
        let out = dir.path().join(out);
        preflight()
            .arg("audit")
            .args(extra)
            .arg(&data)
            .arg("--out")
            .arg(&out)
            .assert()
            .code(0);
        class_counts(&json(&out.join("report.json")))
    };
    assert_eq!(classes(&[], "default"), [("stimulus".to_string(), 20)]);
    assert_eq!(
        classes(&["--label-column", "response"], "response"),
        [("left".to_string(), 6), ("right".to_string(), 14)]
    );
}
