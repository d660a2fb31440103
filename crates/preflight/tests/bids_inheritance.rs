//! BIDS metadata found by the inheritance principle: tables and JSON
//! sidecars in a folder above a recording apply to it, the nearest
//! weighing most, and a `PowerLineFrequency` that the signals contradict
//! is said by the audit and carried by the scan.

use std::path::{Path, PathBuf};

use preflight::audit::{audit, Audit, AuditConfig};
use preflight::dataset::{discover, Dataset, DiscoverConfig};
use preflight::scan::{scan, ScanConfig};
use preflight::synth::{generate, ControlPlan, Fault, FaultPlan, SynthConfig};

/// Three subjects of two runs, sidecars declaring 50 Hz; the first run of
/// subjects 1 and 2 carries 60 Hz mains on eight channels (a quarter of
/// them, so that it shows on the channel-mean spectrum too); written
/// into a new temporary folder, which lives as long as the first value.
fn written() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("bids");
    let channels = "F3+Fz+F4+C3+Cz+C4+P3+Pz";
    let faults: Vec<Fault> = [1, 2]
        .map(|s| format!("mains:subject={s},run=1,channels={channels},frequency=60,amplitude=40"))
        .iter()
        .map(|f| f.parse().expect("a fault"))
        .collect();
    let config = SynthConfig {
        subjects: 3,
        runs: 2,
        minutes: 0.5,
        mains_hz: 50.0,
        faults: FaultPlan::List(faults),
        control: ControlPlan::None,
        ..SynthConfig::default()
    };
    generate(&config, &root).expect("generate");
    (dir, root)
}

fn files_ending(root: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = walk(root)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    out.sort();
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("list") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn found(root: &Path) -> Dataset {
    discover(root, &DiscoverConfig::default()).expect("discover")
}

/// What discovery could not read or left out, as `path: reason`.
fn problems(dataset: &Dataset) -> Vec<String> {
    dataset
        .unreadable
        .iter()
        .map(|u| format!("{}: {}", u.path.display(), u.reason))
        .collect()
}

fn power_lines(dataset: &Dataset) -> Vec<(String, Option<f64>)> {
    dataset
        .recordings
        .iter()
        .map(|r| (r.path.to_string_lossy().into_owned(), r.power_line_hz))
        .collect()
}

fn declared_note(report: &Audit) -> Option<&str> {
    report
        .notes
        .iter()
        .find(|n| n.kind == "declared_mains")
        .map(|n| n.text.as_str())
}

fn sidecar_json(hz: &str) -> String {
    format!("{{\"TaskName\": \"oddball\", \"PowerLineFrequency\": {hz}}}")
}

#[test]
fn a_mains_frequency_the_signals_contradict_is_said_where_it_is_declared() {
    let (_dir, root) = written();

    // Every recording's own sidecar declares 50 Hz; two carry 60 Hz.
    let dataset = found(&root);
    assert_eq!(dataset.recordings.len(), 6);
    assert!(power_lines(&dataset)
        .iter()
        .all(|(_, hz)| *hz == Some(50.0)));
    let report = audit(&dataset, &AuditConfig::default(), &|_, _| {});
    let text = declared_note(&report).expect("a declared_mains note");
    assert!(
        text.starts_with(
            "2 recordings (sub-01/eeg/sub-01_task-oddball_run-1_eeg.edf and others) carry line \
             noise at 60 Hz where the BIDS sidecar declares PowerLineFrequency 50 Hz"
        ),
        "{text}"
    );
    let s = scan(&dataset, &ScanConfig::default(), &|_| {}).expect("scan");
    let contradicted: Vec<&str> = s
        .recordings
        .iter()
        .filter(|r| r.declared_mains_hz == Some(50.0) && r.mains.mains_hz == Some(60.0))
        .map(|r| r.path.to_str().expect("UTF-8"))
        .collect();
    assert_eq!(
        contradicted,
        [
            "sub-01/eeg/sub-01_task-oddball_run-1_eeg.edf",
            "sub-02/eeg/sub-02_task-oddball_run-1_eeg.edf"
        ]
    );

    // One sidecar at the root for the task, saying 60 Hz, and one for
    // subject 1 saying 50 Hz: subject 1 takes its own, the others the
    // root's.
    for f in files_ending(&root, "_eeg.json") {
        std::fs::remove_file(f).expect("remove");
    }
    std::fs::write(root.join("task-oddball_eeg.json"), sidecar_json("60")).expect("write");
    std::fs::write(root.join("sub-01/sub-01_eeg.json"), sidecar_json("50")).expect("write");
    let dataset = found(&root);
    for (path, hz) in power_lines(&dataset) {
        let want = if path.starts_with("sub-01/") {
            50.0
        } else {
            60.0
        };
        assert_eq!(hz, Some(want), "{path}");
    }
    let report = audit(&dataset, &AuditConfig::default(), &|_, _| {});
    let text = declared_note(&report).expect("a declared_mains note");
    assert!(
        text.starts_with(
            "sub-01/eeg/sub-01_task-oddball_run-1_eeg.edf carries line noise at 60 Hz where the \
             BIDS sidecar declares PowerLineFrequency 50 Hz (1 recording agrees with its \
             sidecar)"
        ),
        "{text}"
    );

    // "n/a" at the subject level says nothing is declared there, and
    // nothing contradicts it.
    std::fs::write(root.join("sub-01/sub-01_eeg.json"), sidecar_json("\"n/a\"")).expect("write");
    let dataset = found(&root);
    assert!(power_lines(&dataset)
        .iter()
        .all(|(path, hz)| hz.is_none() == path.starts_with("sub-01/")));
    let report = audit(&dataset, &AuditConfig::default(), &|_, _| {});
    assert_eq!(declared_note(&report), None);
}

#[test]
fn tables_above_a_recording_apply_to_it_and_the_nearest_wins() {
    let (_dir, root) = written();
    let before = found(&root);
    let events_of = |d: &Dataset, i: usize| d.recordings[i].events.clone();
    let run1 = events_of(&before, 0);
    assert!(!run1.is_empty());
    assert_ne!(run1, events_of(&before, 1), "the runs' own tables differ");

    // Subject 1's channels.tsv once, at the subject level, marking C3 bad;
    // its events.tsv of run 1 for both runs, from the subject level.
    let eeg = root.join("sub-01/eeg");
    let own = |suffix: &str, run: u32| eeg.join(format!("sub-01_task-oddball_run-{run}_{suffix}"));
    let channels = std::fs::read_to_string(own("channels.tsv", 1)).expect("read");
    let mut marked = String::from("name\ttype\tunits\tstatus\n");
    for line in channels.lines().skip(1) {
        let status = if line.starts_with("C3\t") {
            "bad"
        } else {
            "good"
        };
        marked.push_str(&format!("{line}\t{status}\n"));
    }
    std::fs::write(root.join("sub-01/sub-01_channels.tsv"), marked).expect("write");
    std::fs::rename(
        own("events.tsv", 1),
        root.join("sub-01/sub-01_task-oddball_events.tsv"),
    )
    .expect("move");
    for run in [1, 2] {
        std::fs::remove_file(own("channels.tsv", run)).expect("remove");
    }
    std::fs::remove_file(own("events.tsv", 2)).expect("remove");

    let after = found(&root);
    assert!(after.unreadable.is_empty(), "{:?}", after.unreadable);
    for i in [0, 1] {
        let r = &after.recordings[i];
        assert!(r.path.starts_with("sub-01"));
        assert_eq!(r.events, run1, "{}", r.path.display());
        let c3 = r.channels.iter().find(|c| c.name == "C3").expect("C3");
        assert_eq!(c3.status.as_deref(), Some("bad"));
        let cz = r.channels.iter().find(|c| c.name == "Cz").expect("Cz");
        assert_eq!(cz.status.as_deref(), Some("good"));
    }
    // Subject 2 keeps its own tables, without a status column.
    let r = &after.recordings[2];
    assert!(r.path.starts_with("sub-02"));
    assert_eq!(r.events, events_of(&before, 2));
    assert!(r.channels.iter().all(|c| c.status.is_none()));

    // Two tables of one folder that apply as much as each other: one is
    // used, the other named as left out.
    for name in [
        "sub-01_run-1_channels.tsv",
        "sub-01_task-oddball_channels.tsv",
    ] {
        std::fs::write(root.join("sub-01").join(name), "name\ttype\tunits\n").expect("write");
    }
    let left_out = problems(&found(&root));
    assert_eq!(left_out.len(), 1, "{left_out:?}");
    assert!(
        left_out[0]
            .starts_with("sub-01/sub-01_task-oddball_channels.tsv: applies to the recordings")
            && left_out[0].contains("sub-01/sub-01_run-1_channels.tsv"),
        "{left_out:?}"
    );
}

#[test]
fn a_broken_json_sidecar_is_named_and_the_rest_is_read() {
    let (_dir, root) = written();
    let first = &files_ending(&root, "_eeg.json")[0];
    std::fs::write(first, "{\"PowerLineFrequency\": 50").expect("write");
    let second = &files_ending(&root, "_eeg.json")[1];
    std::fs::write(second, sidecar_json("\"fifty\"")).expect("write");
    let dataset = found(&root);
    assert_eq!(dataset.recordings.len(), 6);
    let problems = problems(&dataset);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0]
            .starts_with("sub-01/eeg/sub-01_task-oddball_run-1_eeg.json: content: not valid JSON"),
        "{problems:?}"
    );
    assert!(
        problems[1].starts_with(
            "sub-01/eeg/sub-01_task-oddball_run-2_eeg.json: PowerLineFrequency: \"fifty\" is not a \
             frequency"
        ),
        "{problems:?}"
    );
    let lines = power_lines(&dataset);
    assert_eq!(lines[0].1, None);
    assert_eq!(lines[1].1, None);
    assert!(lines[2..].iter().all(|(_, hz)| *hz == Some(50.0)));
}
