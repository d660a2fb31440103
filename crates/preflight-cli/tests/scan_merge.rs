//! `preflight scan` and `preflight merge` as a user runs them, on copies of
//! the bundled tiny BIDS example made in temporary folders.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

fn preflight() -> Command {
    Command::cargo_bin("preflight").expect("binary built")
}

/// The tiny BIDS example, with subjects 03 to 06 added as copies of its
/// recordings, so that shards hold a few recordings each.
fn dataset(dir: &Path) -> PathBuf {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/tiny-bids");
    let root = dir.join("bids");
    copy_dir(&example, &root);
    for s in 3..=6 {
        let from = root.join(format!("sub-0{}/eeg", 1 + s % 2));
        let to = root.join(format!("sub-0{s}/eeg"));
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(&from).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let renamed = format!("sub-0{s}{}", &name[6..]);
            std::fs::copy(from.join(&name), to.join(renamed)).unwrap();
        }
    }
    root
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// `preflight scan ROOT -o OUT`: the process and its standard output.
fn scan_to(root: &Path, out: &Path) -> (std::process::Output, String) {
    let run = preflight()
        .arg("scan")
        .arg(root)
        .arg("-o")
        .arg(out)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&run.stdout).into_owned();
    (run, text)
}

#[test]
fn scan_prints_a_summary_and_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path());
    let out = dir.path().join("scan.json");
    let (run, text) = scan_to(&root, &out);
    assert_eq!(run.status.code(), Some(0), "{text}");
    assert!(text.contains("6 recordings of 6 subjects"), "{text}");
    assert!(text.contains("largest amplitudes"), "{text}");
    assert!(text.lines().count() < 50, "one screen:\n{text}");
    // No progress bar off a terminal.
    assert!(
        run.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );

    let report: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(report["schema"], "preflight.scan/2");
    assert_eq!(report["recordings"].as_array().unwrap().len(), 6);
    let channel = &report["dataset"]["channels"][0];
    assert_eq!(channel["name"], "Fz");
    assert_eq!(channel["samples"], 6 * 20 * 128);
    assert!(channel["median"].is_f64() && channel["mad"].is_f64());
    assert_eq!(channel["histogram"]["counts"].as_array().unwrap().len(), 90);
    // Nothing but the report is left in the folder.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 2);
}

#[test]
fn json_does_not_depend_on_threads() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path());
    let json = |threads: &str| {
        let run = preflight()
            .args(["scan", "--json", "--threads", threads])
            .arg(&root)
            .output()
            .expect("runs");
        assert_eq!(run.status.code(), Some(0));
        run.stdout
    };
    let one = json("1");
    assert!(serde_json::from_slice::<Value>(&one).is_ok());
    assert_eq!(json("2"), one);
    assert_eq!(json("5"), one);
}

#[test]
fn merged_shards_are_the_report_of_one_scan() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path());
    let whole = dir.path().join("whole.json");
    preflight()
        .arg("scan")
        .arg(&root)
        .arg("-o")
        .arg(&whole)
        .assert()
        .success();
    let mut parts = Vec::new();
    let mut recordings = 0;
    for k in 1..=3 {
        let part = dir.path().join(format!("part{k}.json"));
        preflight()
            .args(["scan", "--shard", &format!("{k}/3")])
            .arg(&root)
            .arg("-o")
            .arg(&part)
            .assert()
            .success();
        let json: Value = serde_json::from_slice(&std::fs::read(&part).unwrap()).unwrap();
        recordings += json["recordings"].as_array().unwrap().len();
        assert_eq!(json["shards"][0]["index"], k);
        parts.push(part);
    }
    assert_eq!(recordings, 6, "each recording in exactly one shard");

    let merged = dir.path().join("merged.json");
    let run = preflight()
        .arg("merge")
        .args(parts.iter().rev())
        .arg("-o")
        .arg(&merged)
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&run.stdout).contains("6 recordings"));
    assert_eq!(
        std::fs::read(&merged).unwrap(),
        std::fs::read(&whole).unwrap()
    );

    // The same shard twice would count its recordings twice.
    let run = preflight()
        .arg("merge")
        .args([&parts[0], &parts[1], &parts[0]])
        .arg("-o")
        .arg(dir.path().join("bad.json"))
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("in both"));
}

#[test]
fn an_unreadable_file_is_listed_and_gives_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path());
    let bad = root.join("sub-03/eeg/sub-03_task-oddball_run-2_eeg.edf");
    std::fs::write(&bad, b"0       truncated").unwrap();
    let run = preflight().arg("scan").arg(&root).output().expect("runs");
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{text}");
    assert!(text.contains("unreadable: 1"), "{text}");
    assert!(text.contains("sub-03_task-oddball_run-2_eeg.edf"), "{text}");
    assert!(text.contains("6 recordings"), "{text}");
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = dataset(dir.path());
    let run = preflight()
        .args(["scan", "--shard", "4/3"])
        .arg(&root)
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(2));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("--shard") && err.contains("1 <= K <= N"),
        "{err}"
    );
    let run = preflight()
        .args(["merge", "-o"])
        .arg(dir.path().join("m.json"))
        .arg(root.join("participants.tsv"))
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("participants.tsv"));
}

/// `preflight synth ROOT`: `subjects` of one 30 s run, no control, one
/// fault.
fn synth(root: &Path, subjects: u32, fault: &str) {
    let run = preflight()
        .arg("synth")
        .args(["--subjects", &subjects.to_string(), "--runs", "1"])
        .args(["--minutes", "0.5", "--control", "none", "--fault", fault])
        .arg(root)
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(0));
}

#[test]
fn scan_names_a_line_its_sidecar_does_not_declare() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bids");
    synth(
        &root,
        3,
        "mains:subject=1,run=1,channels=F3+Fz+F4+C3+Cz+C4+P3+Pz,frequency=60",
    );
    let out = dir.path().join("scan.json");
    let (_, text) = scan_to(&root, &out);
    assert!(
        text.contains(
            "declared    sub-01/eeg/sub-01_task-oddball_run-1_eeg.edf: line at 60 Hz, sidecar \
             PowerLineFrequency 50 Hz"
        ),
        "{text}"
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    for r in report["recordings"].as_array().unwrap() {
        assert_eq!(r["declared_mains_hz"], 50.0, "{}", r["path"]);
    }
}

#[test]
fn scan_prep_names_the_channels_pyprep_would_flag() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bids");
    synth(&root, 2, "flat:subject=2,run=1,channels=Cz");
    let run = preflight()
        .args(["scan", "--prep"])
        .arg(&root)
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{text}");
    let section = text
        .split("\n\n")
        .find(|s| s.contains("bad by PyPREP's criteria"))
        .unwrap_or_else(|| panic!("no PyPREP section in {text}"));
    assert!(
        section.contains("EEG channels of 2 of 2 recordings"),
        "{section}"
    );
    let flagged: Vec<&str> = section.lines().skip(1).map(str::trim).collect();
    assert!(
        flagged.iter().any(
            |l| l.starts_with("sub-02/eeg/sub-02_task-oddball_run-1_eeg.edf Cz")
                && l.contains("flat")
        ),
        "{section}"
    );
    // The other recording's Cz is not flat. (The deviation criterion also
    // flags the occipital channels of both recordings, where the synthetic
    // alpha is largest: the criterion's z-score over channels, not a fault.)
    assert!(
        !flagged
            .iter()
            .any(|l| l.contains("sub-01/") && l.contains("flat")),
        "{section}"
    );
}
