//! `preflight synth` and `preflight demo` as a user runs them.

use assert_cmd::Command;
use serde_json::Value;

fn preflight() -> Command {
    Command::cargo_bin("preflight").expect("binary built")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn synth_writes_a_dataset_that_inspect_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("d");
    let out = preflight()
        .args([
            "synth",
            "--subjects",
            "3",
            "--runs",
            "2",
            "--channels",
            "16",
        ])
        .args(["--minutes", "0.5", "--seed", "4", "--control", "2"])
        .arg(&out_dir)
        .output()
        .expect("runs");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(
        stdout.contains("3 subjects × 2 runs × 16 channels at 256 Hz"),
        "{stdout}"
    );
    assert!(stdout.contains("control: sub-02"), "{stdout}");
    assert!(stdout.contains("MB/s"), "{stdout}");

    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("truth.json")).expect("truth.json"),
    )
    .expect("JSON");
    assert_eq!(truth["schema"], "preflight.truth/1");
    let faults = truth["faults"].as_array().expect("faults");
    assert_eq!(faults.len(), 6, "one of each EDF kind");
    for f in faults {
        for key in ["subject", "recording", "channel", "kind"] {
            assert!(f[key].is_string(), "{key} in {f}");
        }
        assert_ne!(f["subject"], "02", "nothing on the control");
        let path = out_dir.join(f["recording"].as_str().expect("path"));
        assert!(path.is_file(), "{}", path.display());
    }

    let inspect = preflight()
        .args(["inspect", "--json"])
        .arg(&out_dir)
        .output()
        .expect("runs");
    assert_eq!(inspect.status.code(), Some(0), "{}", text(&inspect.stderr));
    let json: Value = serde_json::from_slice(&inspect.stdout).expect("JSON");
    let recs = json["dataset"]["recordings"]
        .as_array()
        .expect("recordings");
    assert_eq!(recs.len(), 6);
    assert!(recs.iter().all(|r| r["events_source"] == "events_tsv"));
    assert!(recs.iter().all(|r| r["power_line_hz"] == 50.0));

    // The terminal summary says what the sidecars declare.
    let inspect = preflight()
        .arg("inspect")
        .arg(&out_dir)
        .output()
        .expect("runs");
    let stdout = text(&inspect.stdout);
    assert!(
        stdout.contains("mains       declared (PowerLineFrequency) 50 Hz in 6 of 6 recordings"),
        "{stdout}"
    );
}

#[test]
fn synth_faults_and_npy_format_from_the_command_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("n");
    let out = preflight()
        .args(["synth", "--subjects", "2", "--runs", "1", "--channels", "8"])
        .args(["--minutes", "0.25", "--format", "npy", "--control", "none"])
        .args([
            "--fault",
            "nan:subject=1,run=1,channels=Cz,onset=3,duration=1",
        ])
        .args([
            "--fault",
            "mains:subject=2,run=1,channels=Fp1+P3,frequency=60",
        ])
        .args(["--json"])
        .arg(&out_dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let truth: Value = serde_json::from_slice(&out.stdout).expect("--json prints truth");
    let kinds: Vec<&str> = truth["faults"]
        .as_array()
        .expect("faults")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["nan", "mains", "mains"]);
    assert_eq!(truth["controls"].as_array().map(Vec::len), Some(0));
    assert_eq!(truth["faults"][1]["frequency_hz"], 60.0);

    let inspect = preflight()
        .arg("inspect")
        .arg(&out_dir)
        .output()
        .expect("runs");
    let summary = text(&inspect.stdout);
    assert!(summary.contains("NumPy arrays"), "{summary}");
    assert!(summary.contains("2 subjects"), "{summary}");
}

#[test]
fn synth_errors_name_the_option_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases: [(&[&str], &str); 5] = [
        (&["--subjects", "0"], "--subjects"),
        (&["--sfreq", "100", "--mains", "60"], "--sfreq"),
        (&["--fault", "flat:subject=99,run=1,channels=Cz"], "--fault"),
        (&["--fault", "nan:subject=1,run=1,channels=Cz"], "npy"),
        (&["--control", "first"], "--control"),
    ];
    for (i, (args, expected)) in cases.iter().enumerate() {
        let target = dir.path().join(format!("case{i}"));
        let out = preflight()
            .arg("synth")
            .args(*args)
            .arg(&target)
            .output()
            .expect("runs");
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!target.join("truth.json").exists());
    }
    let bad_spec = preflight()
        .args(["synth", "--fault", "hum:subject=1"])
        .arg(dir.path().join("x"))
        .output()
        .expect("runs");
    assert_eq!(bad_spec.status.code(), Some(2));
    assert!(text(&bad_spec.stderr).contains("unknown kind"));
}

#[test]
fn synth_refuses_a_folder_with_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "keep").expect("writes");
    let out = preflight()
        .args(["synth", "--subjects", "1", "--minutes", "0.2"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read_dir(dir.path()).expect("lists").count(), 1);
}

#[test]
fn demo_tells_the_story_and_what_to_do_next() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out_dir = dir.path().join("demo");
    // Short runs keep the test fast; the dataset is otherwise the demo's.
    let out = preflight()
        .args(["demo", "--minutes", "0.2", "--out"])
        .arg(&out_dir)
        .output()
        .expect("runs");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
    assert!(stdout.contains("20 subjects, 80 recordings"), "{stdout}");
    assert!(stdout.contains("scores 92.4%"), "{stdout}");
    assert!(stdout.contains("runs 2 and 3 of sub-07"), "{stdout}");
    assert!(stdout.contains("P7, P3, PO3, O1"), "{stdout}");
    assert!(stdout.contains("truth.json"), "{stdout}");
    assert!(stdout.contains("html        "), "{stdout}");
    let html = std::fs::read_to_string(out_dir.join("derivatives/preflight/report.html"))
        .expect("report.html");
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(html.contains("<section id=\"spectra\">"));
    assert!(html.len() < 5_000_000, "{} bytes", html.len());
    // The demo's report holds every section in order, charts in them, and
    // nothing fetched from elsewhere.
    let mut at = 0;
    for id in preflight::report::html::SECTIONS {
        let found = html[at..].find(&format!("<section id=\"{id}\">"));
        assert!(found.is_some(), "section {id} missing or out of order");
        at += found.unwrap_or(0);
    }
    assert!(html.matches("<svg").count() >= 10, "charts");
    assert!(!html.contains("http://") && !html.contains("https://"));
    // The baseline was trained on what the audit left and scored.
    #[cfg(feature = "train")]
    {
        assert!(
            stdout.contains("The baseline (preflight train)"),
            "{stdout}"
        );
        assert!(
            stdout.contains("subjects it never saw: balanced accuracy"),
            "{stdout}"
        );
        let model = out_dir.join("derivatives/preflight/model");
        assert!(model.join("model.safetensors").is_file());
        let t: serde_json::Value =
            serde_json::from_slice(&std::fs::read(model.join("train.json")).expect("train.json"))
                .expect("JSON");
        assert_eq!(t["excluded_recordings"], 2);
        assert_eq!(t["normalized"], true);
        assert_eq!(t["aligned"], true);
    }
    // The audit ran and found exactly the planted contacts.
    assert!(
        stdout.contains("found       8 problems on 4 channels of 2 recordings"),
        "{stdout}"
    );
    assert!(stdout.contains("both of subject 07"), "{stdout}");
    assert!(stdout.contains("target is 7.6% of windows"), "{stdout}");
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("derivatives/preflight/report.json"))
            .expect("report.json"),
    )
    .expect("JSON");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 8);
    assert!(findings
        .iter()
        .all(|f| f["subject"] == "07" && f["cause"] == "detached"));
    let baseline = report["balance"]["majority_baseline"]
        .as_f64()
        .expect("baseline");
    assert!((baseline - 0.924).abs() < 0.0005, "{baseline}");
    // Left in, the detached contacts would squash their channels' signal
    // at least a hundredfold; the control subject is no finding.
    for c in report["normalization"].as_array().expect("normalization") {
        let k = c["compression"].as_f64().expect("compression");
        if ["P7", "P3", "PO3", "O1"].contains(&c["channel"].as_str().unwrap_or("")) {
            assert!(k >= 100.0, "{c}");
        } else {
            assert!(k < 1.5, "{c}");
        }
    }
    assert!(findings.iter().all(|f| f["subject"] != "14"));

    let truth: Value = serde_json::from_str(
        &std::fs::read_to_string(out_dir.join("truth.json")).expect("truth.json"),
    )
    .expect("JSON");
    let faults = truth["faults"].as_array().expect("faults");
    assert_eq!(faults.len(), 8, "four channels in two runs");
    assert!(faults
        .iter()
        .all(|f| f["subject"] == "07" && f["kind"] == "detached"));
    assert_eq!(truth["controls"][0]["subject"], "14");
    // Recording × channel precision and recall 1.0: the two sets are equal.
    let triples =
        |rows: &[Value], cause: &str| -> std::collections::BTreeSet<(String, String, String)> {
            rows.iter()
                .map(|f| {
                    (
                        f["recording"].as_str().unwrap_or("").to_string(),
                        f["channel"].as_str().unwrap_or("").to_string(),
                        f[cause].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        };
    assert_eq!(triples(findings, "cause"), triples(faults, "kind"));

    // A second run refuses the same folder.
    let again = preflight()
        .args(["demo", "--out"])
        .arg(&out_dir)
        .output()
        .expect("runs");
    assert_eq!(again.status.code(), Some(2));
    let err = text(&again.stderr);
    assert!(
        err.contains("already holds files") && err.contains("--out"),
        "{err}"
    );
}
