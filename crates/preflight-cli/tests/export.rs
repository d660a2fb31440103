//! `preflight export` as a user runs it: shards, index.json and windows.tsv
//! written atomically and replaced by a later export, the output refused
//! inside the dataset, and the shards as NumPy reads them
//! (`scripts/check_export_numpy.sh`, skipped with a message without
//! `python3`, except under `CI=true`).

use std::path::Path;
use std::process::Command as Process;

use assert_cmd::Command;
use preflight::synth::{generate, ControlPlan, Fault, FaultKind, FaultPlan, SynthConfig};
use serde_json::Value;

fn preflight() -> Command {
    Command::cargo_bin("preflight").expect("binary built")
}

/// 4 subjects × 2 runs × 32 channels, 1 minute at 256 Hz; subject 02 run 2
/// with two detached contacts.
fn write_dataset(dir: &Path) {
    let mut config = SynthConfig::demo();
    config.subjects = 4;
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
        channels: ["P3", "P4"].map(String::from).to_vec(),
        onset_s: 0.0,
        duration_s: None,
    }]);
    config.control = ControlPlan::None;
    generate(&config, dir).expect("generate");
}

fn json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("JSON")
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn export_writes_shards_and_a_later_export_replaces_them() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_dataset(&data);
    let out = dir.path().join("export");

    // The audit run in-process, in shards of 200 windows.
    let run = preflight()
        .arg("export")
        .arg(&data)
        .arg(&out)
        .args(["--full", "--shard-size", "200"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(
        run.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.contains("excluded    1 recordings by the audit"),
        "{stdout}"
    );
    let index = json(&out.join("index.json"));
    assert_eq!(index["schema"], "preflight.export/1");
    assert_eq!(index["audit"], "in-process");
    let n = index["windows"].as_u64().unwrap() as usize;
    let shards = index["shards"].as_array().unwrap();
    assert_eq!(shards.len(), n.div_ceil(200));
    assert_eq!(index["window_shape"], serde_json::json!([32, 256]));
    let files = names(&out);
    for s in shards {
        for kind in ["x", "y", "groups", "mask"] {
            assert!(
                files.contains(&s[kind].as_str().unwrap().to_string()),
                "{files:?}"
            );
        }
    }
    assert!(
        files.iter().all(|f| !f.starts_with('.')),
        "temporary files left: {files:?}"
    );
    for f in [
        "index.json",
        "normalization.json",
        "report.json",
        "windows.tsv",
    ] {
        assert!(files.contains(&f.to_string()), "{f} missing: {files:?}");
    }
    let tsv = std::fs::read_to_string(out.join("windows.tsv")).unwrap();
    assert_eq!(tsv.lines().count(), n + 1);
    // The X shard holds its header and windows × 32 × 256 float32 values.
    let x0 = std::fs::metadata(out.join("X-00000.npy")).unwrap().len();
    assert_eq!(x0, 128 + 200 * 32 * 256 * 4);

    // The same decisions read back from a report, in one shard: the
    // windows are the same and the extra shards of the first export go.
    let report = dir.path().join("report");
    let audit = preflight()
        .arg("audit")
        .arg(&data)
        .arg("--out")
        .arg(&report)
        .arg("--full")
        .output()
        .unwrap();
    assert_eq!(audit.status.code(), Some(1));
    let run = preflight()
        .arg("export")
        .arg(&data)
        .arg(&out)
        .arg("--audit")
        .arg(report.join("report.json"))
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let again = json(&out.join("index.json"));
    assert_eq!(again["windows"], index["windows"]);
    assert_eq!(again["mean"], index["mean"]);
    assert_eq!(again["shards"].as_array().unwrap().len(), 1);
    assert!(!out.join("X-00001.npy").exists());
    // The same windows, in the same order, all in shard 0 now.
    let windows_of = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.split('\t').skip(2).collect::<Vec<_>>().join("\t"))
            .collect()
    };
    let tsv_again = std::fs::read_to_string(out.join("windows.tsv")).unwrap();
    assert_eq!(windows_of(&tsv_again), windows_of(&tsv));
}

#[test]
fn export_refuses_an_out_inside_the_dataset_or_holding_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    write_dataset(&data);
    let inside = data.join("sub-01").join("shards");
    let run = preflight()
        .arg("export")
        .arg(&data)
        .arg(&inside)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2));
    assert!(stderr.contains("is inside the dataset"), "{stderr}");
    assert!(!inside.exists());

    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("notes.txt"), "mine").unwrap();
    let run = preflight()
        .arg("export")
        .arg(&data)
        .arg(&other)
        .arg("--no-audit")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(2));
    assert!(
        stderr.contains("no index.json of an earlier export"),
        "{stderr}"
    );
    assert_eq!(names(&other), ["notes.txt"]);
}

#[test]
fn numpy_reads_the_shards_with_their_shapes_labels_and_normalization() {
    let has_python = Process::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_python {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("python3 not found; CI requires it for the NumPy check");
        }
        eprintln!("skipped: python3 not found");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/check_export_numpy.sh");
    let out = Process::new("bash")
        .arg(&script)
        .env("PREFLIGHT_BIN", env!("CARGO_BIN_EXE_preflight"))
        .output()
        .expect("run the script");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "NumPy check failed:\n{text}");
    assert!(
        text.contains("export: 23 passed, 0 failed")
            && text.contains("export: 13 passed, 0 failed"),
        "unexpected result:\n{text}"
    );
}
