//! `preflight inspect` and `preflight convert` as a user runs them.
//!
//! Real recordings come from `../shared/data` (or `PREFLIGHT_TEST_DATA`);
//! tests that need them are skipped with a message when it is absent,
//! except under `CI=true`. BIDS and NumPy datasets are built in temporary
//! folders.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use edf::{Annotation, FileSpec, Format, SignalSpec, StartTime, Writer};
use serde_json::Value;

fn data_root() -> Option<PathBuf> {
    let root = std::env::var_os("PREFLIGHT_TEST_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if root.is_dir() {
        return Some(root);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("test data not found at {}; CI requires it", root.display());
    }
    eprintln!(
        "skipped: test data not found at {} (set PREFLIGHT_TEST_DATA)",
        root.display()
    );
    None
}

fn preflight() -> Command {
    Command::cargo_bin("preflight").expect("binary built")
}

fn stdout_json(out: &std::process::Output) -> Value {
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

#[test]
fn inspect_summarises_a_folder_of_edf_files() {
    let Some(root) = data_root() else { return };
    let out = preflight()
        .arg("inspect")
        .arg(root.join("eegmmidb_S001"))
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("recordings  14 (EDF+C ×14)"), "{text}");
    assert!(text.contains("64 EEG at 160 Hz (uV)"), "{text}");
    assert!(text.contains("T0 ×182"), "{text}");
    assert!(
        text.contains("S001R01.edf: file is 5525 bytes shorter"),
        "{text}"
    );
    assert!(text.lines().count() < 40, "one screen:\n{text}");
}

#[test]
fn inspect_subject_pattern_takes_the_named_group() {
    let Some(root) = data_root() else { return };
    let out = preflight()
        .args([
            "inspect",
            "--json",
            "--subject-pattern",
            r"S(?P<subject>\d+)R",
        ])
        .arg(root.join("eegmmidb_S001"))
        .output()
        .expect("runs");
    let json = stdout_json(&out);
    assert_eq!(json["schema"], "preflight.inspect/1");
    let recs = json["dataset"]["recordings"]
        .as_array()
        .expect("recordings");
    assert_eq!(recs.len(), 14);
    assert!(recs.iter().all(|r| r["subject"] == "001"));
    assert_eq!(recs[2]["events"].as_array().expect("events").len(), 30);

    let bad = preflight()
        .args(["inspect", "--subject-pattern", r"S(\d+)R"])
        .arg(root.join("eegmmidb_S001"))
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("named group"));
}

#[test]
fn every_damaged_file_gives_one_line_and_exit_code_2() {
    let Some(root) = data_root() else { return };
    for name in [
        "S001R01_crlf_truncated.edf",
        "S001R01_utf8_mangled.edf",
        "S001R03_crlf.edf",
    ] {
        let path = root.join("eegmmidb_S001_corrupted").join(name);
        let out = preflight()
            .arg("inspect")
            .arg(&path)
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
        assert!(err.contains(name) && err.contains("data record"), "{err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn unreadable_files_are_listed_and_the_rest_loads() {
    let Some(root) = data_root() else { return };
    let out = preflight()
        .args(["inspect", "--json"])
        .arg(&root)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1), "findings give exit code 1");
    let json = stdout_json(&out);
    let unreadable = json["dataset"]["unreadable"].as_array().expect("list");
    let corrupted: Vec<&str> = unreadable
        .iter()
        .filter_map(|u| u["path"].as_str())
        .filter(|p| p.contains("corrupted"))
        .collect();
    assert_eq!(corrupted.len(), 3, "{unreadable:?}");
    let recordings = json["dataset"]["recordings"]
        .as_array()
        .expect("recordings");
    assert_eq!(recordings.len(), 36);

    let strict = preflight()
        .args(["inspect", "--strict"])
        .arg(&root)
        .output()
        .expect("runs");
    assert_eq!(strict.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&strict.stderr).contains("--strict"));
}

#[test]
fn convert_writes_mne_equal_values_and_a_sidecar() {
    let Some(root) = data_root() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let out_path = dir.path().join("r03.npy");
    let out = preflight()
        .arg("convert")
        .arg(root.join("eegmmidb_S001/S001R03.edf"))
        .arg(&out_path)
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bytes = std::fs::read(&out_path).expect("npy written");
    let npy = npyz::NpyFile::new(&bytes[..]).expect("valid npy");
    assert_eq!(npy.shape(), &[64, 20000]);
    let values: Vec<f32> = npy.into_vec().expect("float32");

    // MNE's first samples of channel 0 and 63 (committed reference).
    let reference = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../edf/tests/reference/expected/eegmmidb_S001__S001R03.edf.json");
    let reference: Value =
        serde_json::from_str(&std::fs::read_to_string(reference).expect("reference"))
            .expect("json");
    for (row, ch) in [(0usize, 0usize), (63, 63)] {
        let expected = &reference["channels"][ch];
        let step = expected["step"].as_f64().expect("step");
        for (k, v) in expected["first"]
            .as_array()
            .expect("first")
            .iter()
            .enumerate()
        {
            let ours = f64::from(values[row * 20000 + k]);
            let theirs = v.as_f64().expect("number");
            assert!(
                (ours - theirs).abs() <= step,
                "channel {ch} sample {k}: {ours} vs {theirs}"
            );
        }
    }

    let sidecar: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("r03.json")).expect("sidecar"),
    )
    .expect("json");
    assert_eq!(sidecar["sfreq_hz"], 160.0);
    assert_eq!(sidecar["channels"][0], "Fc5.");
    assert_eq!(sidecar["units"][0], "uV");
    assert_eq!(
        sidecar["annotations"]
            .as_array()
            .expect("annotations")
            .len(),
        30
    );
    assert_eq!(sidecar["format"], "EDF+C");
}

#[test]
fn convert_picks_channels_and_refuses_mixed_rates() {
    let Some(root) = data_root() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let file = root.join("mne-testing-data/EDF/test_reduced.edf");
    let out = preflight()
        .arg("convert")
        .arg(&file)
        .arg(dir.path().join("a.npy"))
        .args(["--channels", "A1,A10"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different sampling rates"));

    let out = preflight()
        .arg("convert")
        .arg(&file)
        .arg(dir.path().join("b.npy"))
        .args(["--channels", "A10,A12"])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(dir.path().join("b.npy")).expect("written");
    assert_eq!(
        npyz::NpyFile::new(&bytes[..]).expect("npy").shape(),
        &[2, 3072]
    );
    assert!(
        !dir.path().join("a.npy").exists(),
        "a failed conversion leaves no file"
    );
}

/// A BIDS dataset of two subjects, one run each, with sidecars.
fn write_bids(root: &Path, events_header: &str) {
    std::fs::write(
        root.join("dataset_description.json"),
        r#"{"Name": "t", "BIDSVersion": "1.9.0"}"#,
    )
    .expect("write");
    std::fs::write(
        root.join("participants.tsv"),
        "participant_id\tage\nsub-01\t31\nsub-02\tn/a\n",
    )
    .expect("write");
    for sub in ["01", "02"] {
        let dir = root.join(format!("sub-{sub}/eeg"));
        std::fs::create_dir_all(&dir).expect("mkdir");
        let stem = format!("sub-{sub}_task-oddball_run-1");
        let start = StartTime {
            year: 2024,
            month: 5,
            day: 1,
            hour: 9,
            minute: 0,
            second: 0,
        };
        let mut spec = FileSpec::new(Format::Edf, true, start, 1.0);
        spec.records = 10;
        spec.signals = ["Fz", "Cz", "Pz"]
            .iter()
            .map(|l| SignalSpec::new(l, "uV", -200.0, 200.0, Format::Edf, 128))
            .collect();
        let annotations = [Annotation {
            onset_s: 1.0,
            duration_s: None,
            text: "ignored".into(),
        }];
        let file = std::fs::File::create(dir.join(format!("{stem}_eeg.edf"))).expect("create");
        let mut w =
            Writer::new(std::io::BufWriter::new(file), &spec, &annotations).expect("header");
        let record = vec![vec![0.0; 128]; 3];
        for _ in 0..10 {
            w.write_record(&record).expect("record");
        }
        w.finish().expect("finish");
        std::fs::write(
            dir.join(format!("{stem}_events.tsv")),
            format!("{events_header}\n1.0\t0\ttarget\n2.5\t0\tstandard\n4.0\t0\tstandard\n"),
        )
        .expect("write");
        std::fs::write(
            dir.join(format!("{stem}_channels.tsv")),
            "name\ttype\tunits\tstatus\tstatus_description\nFz\tEEG\tuV\tgood\tn/a\n\
             Cz\tEEG\tuV\tbad\tloose contact\nPz\tEEG\tuV\tgood\tn/a\n",
        )
        .expect("write");
    }
}

#[test]
fn inspect_reads_bids_entities_and_sidecars() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_bids(dir.path(), "onset\tduration\ttrial_type");
    let out = preflight()
        .args(["inspect", "--json"])
        .arg(dir.path())
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout_json(&out);
    let d = &json["dataset"];
    assert_eq!(d["layout"], "bids");
    assert_eq!(d["participants"]["01"]["age"], "31");
    let r = &d["recordings"][1];
    assert_eq!(r["subject"], "02");
    assert_eq!(
        (r["task"].as_str(), r["run"].as_str()),
        (Some("oddball"), Some("1"))
    );
    assert_eq!(r["events_source"], "events_tsv");
    assert_eq!(r["events"].as_array().expect("events").len(), 3);
    assert_eq!(r["events"][0]["label"], "target");
    assert_eq!(r["channels"][1]["status"], "bad");
    assert_eq!(r["channels"][1]["status_description"], "loose contact");
}

#[test]
fn bids_events_without_required_columns_are_reported_by_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_bids(dir.path(), "onset\ttrial_type\tvalue");
    let out = preflight()
        .arg("inspect")
        .arg(dir.path())
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("sub-01_task-oddball_run-1_events.tsv: column `duration`: missing"),
        "{text}"
    );
    assert!(
        text.contains("recordings  2"),
        "the recordings still load:\n{text}"
    );
}

/// Writes `name` as a .npy of the given dtype, shape and raw data.
fn npy(dir: &Path, name: &str, descr: &str, fortran: bool, shape: &[usize], data: &[u8]) {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let order = if fortran { "True" } else { "False" };
    let mut dict = format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    while (11 + dict.len()) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out.extend_from_slice(data);
    std::fs::write(dir.join(name), out).expect("write");
}

#[test]
fn inspect_numpy_dataset_and_its_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    npy(p, "X.npy", "<f4", false, &[4, 2, 8], &[0u8; 4 * 2 * 8 * 4]);
    npy(p, "y.npy", "|u1", false, &[4], &[0, 0, 0, 1]);
    npy(
        p,
        "groups.npy",
        "<i4",
        false,
        &[4],
        &[1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0],
    );
    let out = preflight().arg("inspect").arg(p).output().expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("4 examples × 2 channels × 8 samples, Float32"),
        "{text}"
    );
    assert!(
        text.contains("0 ×3 (75.0%)") && text.contains("2 subjects"),
        "{text}"
    );

    // Each malformed array names its file: (file, dtype, Fortran order,
    // shape, data, expected message).
    type Case = (
        &'static str,
        &'static str,
        bool,
        &'static [usize],
        usize,
        &'static str,
    );
    let cases: [Case; 4] = [
        ("y.npy", "|u1", false, &[5], 5, "5 labels"),
        ("groups.npy", "<i4", false, &[3], 12, "3 groups"),
        ("X.npy", "<f4", true, &[4, 2, 8], 256, "fortran_order"),
        ("X.npy", "<c8", false, &[4, 2, 8], 512, "not supported"),
    ];
    for (name, descr, fortran, shape, len, expect) in cases {
        let case = tempfile::tempdir().expect("tempdir");
        for f in ["X.npy", "y.npy", "groups.npy"] {
            std::fs::copy(p.join(f), case.path().join(f)).expect("copy");
        }
        npy(case.path(), name, descr, fortran, shape, &vec![0; len]);
        let out = preflight()
            .arg("inspect")
            .arg(case.path())
            .output()
            .expect("runs");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(name) && err.contains(expect), "{name}: {err}");
    }

    // A truncated X.npy.
    let bytes = std::fs::read(p.join("X.npy")).expect("read");
    std::fs::write(p.join("X.npy"), &bytes[..bytes.len() - 10]).expect("write");
    let out = preflight().arg("inspect").arg(p).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("X.npy: data: file is"));
}
