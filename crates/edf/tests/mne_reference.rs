//! Decoded values against MNE-Python, on every EDF/BDF file of the shared
//! test data.
//!
//! `tests/reference/expected/*.json` hold, per file and channel, what MNE
//! 1.13 decodes (count, sum, sum of squares, extremes, first and last 16
//! samples) and the annotations it reports; `tests/reference/make_expected.py`
//! made them. Every channel must agree to within one digital step. Where
//! preflight and MNE differ on purpose, the file is listed below with the
//! reason.
//!
//! The recordings themselves are not in the repository: they are read from
//! `../shared/data` (or `PREFLIGHT_TEST_DATA`). Without them the test is
//! skipped with a message, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Files whose annotations differ from MNE's on purpose, and why.
const ANNOTATION_EXCEPTIONS: [(&str, &str); 4] = [
    (
        "mne-testing-data/NihonKohden/MB0400FU.EDF",
        "the time-keeping TALs lack their closing 0x00; MNE reads the next TAL's onset as a \
         text and misplaces the event, preflight splits the TALs (2 annotations, not 4)",
    ),
    (
        "EDF.jl-testdata/test/data/evt.bdf",
        "624 annotations lie after the end of the data; MNE drops them, preflight keeps all",
    ),
    (
        "edfio-testdata/tests/TEST_DATA/SC4001EC-Hypnogram.edf",
        "annotation-only file (record duration 0); MNE builds an empty 1 s recording and keeps \
         1 of the 154 annotations, preflight keeps all",
    ),
    (
        "edfio-testdata/tests/TEST_DATA/SC4001EC-Hypnogram.bdf",
        "as the EDF twin: MNE keeps 1 of the 154 annotations",
    ),
];

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

fn expected_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/expected");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("expected values are committed")
        .map(|e| e.expect("listable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "index.json"))
        .collect();
    files.sort();
    files
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("a number")
}

/// Compares one channel; returns a description of every disagreement.
fn compare_channel(file: &edf::Edf, ch: &Value) -> Vec<String> {
    let index = ch["index"].as_u64().expect("index") as usize;
    let label = ch["label"].as_str().unwrap_or("?");
    let step = f(&ch["step"]).abs();
    let tol = step * (1.0 + 1e-9) + 1e-12;
    let mut problems = Vec::new();
    let signal = &file.header().signals[index];
    if signal.label != label {
        problems.push(format!(
            "signal {index}: label {:?}, MNE {label:?}",
            signal.label
        ));
    }
    if signal.unit().name() != ch["unit"].as_str().unwrap_or("") {
        problems.push(format!(
            "signal {index}: unit {}, MNE {}",
            signal.unit().name(),
            ch["unit"]
        ));
    }
    let values: Vec<f64> = match file.read_signal(index) {
        Ok(v) => v,
        Err(e) => return vec![format!("signal {index}: {e}")],
    };
    let n = ch["n"].as_u64().expect("n") as usize;
    if values.len() != n {
        return vec![format!(
            "signal {index} ({label}): {} samples, MNE {n}",
            values.len()
        )];
    }
    let mut check = |what: &str, ours: f64, theirs: f64, tol: f64| {
        if (ours - theirs).abs() > tol {
            problems.push(format!(
                "signal {index} ({label}) {what}: {ours} vs MNE {theirs}"
            ));
        }
    };
    let first = ch["first"].as_array().expect("first");
    for (k, v) in first.iter().enumerate() {
        check(&format!("sample {k}"), values[k], f(v), tol);
    }
    let last = ch["last"].as_array().expect("last");
    for (k, v) in last.iter().enumerate() {
        let at = n - last.len() + k;
        check(&format!("sample {at}"), values[at], f(v), tol);
    }
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    check("min", min, f(&ch["min"]), tol);
    check("max", max, f(&ch["max"]), tol);
    if n > 0 {
        // Mean and root mean square within one step of MNE's.
        let sum: f64 = values.iter().sum();
        let sum_sq: f64 = values.iter().map(|v| v * v).sum();
        check("mean", sum / n as f64, f(&ch["sum"]) / n as f64, tol);
        let rms = (sum_sq / n as f64).sqrt();
        check("rms", rms, (f(&ch["sum_sq"]) / n as f64).sqrt(), tol);
    }
    problems
}

fn compare_annotations(file: &edf::Edf, expected: &[Value]) -> Vec<String> {
    let ours = file.annotations();
    if ours.len() != expected.len() {
        return vec![format!(
            "{} annotations, MNE {}",
            ours.len(),
            expected.len()
        )];
    }
    let mut problems = Vec::new();
    for (a, e) in ours.iter().zip(expected) {
        let text = e["description"].as_str().unwrap_or("");
        // MNE rounds onsets to the microsecond.
        let onset_ok = (a.onset_s - f(&e["onset_s"])).abs() < 2e-6;
        // MNE crops durations at the end of the data (the truncated R01 and
        // R02 of eegmmidb hold 60 s, their T0 lasts 60.2 s); preflight
        // reports the file's duration.
        let end = file.duration_s();
        let cropped = (a.onset_s + a.duration_s.unwrap_or(0.0)).min(end) - a.onset_s;
        let duration_ok = (a.duration_s.unwrap_or(0.0) - f(&e["duration_s"])).abs() < 2e-6
            || (cropped - f(&e["duration_s"])).abs() < 2e-6;
        if !onset_ok || !duration_ok || a.text != text {
            problems.push(format!("annotation {a:?}, MNE {e}"));
        }
    }
    problems
}

#[test]
fn decoded_values_equal_mne_within_one_digital_step() {
    let Some(root) = data_root() else {
        return;
    };
    let mut problems = Vec::new();
    let mut channels = 0;
    let files = expected_files();
    assert!(
        files.len() >= 36,
        "expected values for every shared file, found {}",
        files.len()
    );
    for path in &files {
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON");
        let name = expected["file"].as_str().expect("file");
        let opened = edf::Edf::open(root.join(name));
        let mne_reads = expected["readable"].as_bool().expect("readable");
        let file = match (opened, mne_reads) {
            (Ok(file), true) => file,
            (Err(_), false) => continue,
            (Ok(_), false) => {
                problems.push(format!("{name}: preflight reads it, MNE refuses it"));
                continue;
            }
            (Err(e), true) => {
                problems.push(format!("{name}: MNE reads it, preflight refuses it: {e}"));
                continue;
            }
        };
        for ch in expected["channels"].as_array().expect("channels") {
            channels += 1;
            problems.extend(
                compare_channel(&file, ch)
                    .into_iter()
                    .map(|p| format!("{name}: {p}")),
            );
        }
        if !ANNOTATION_EXCEPTIONS.iter().any(|(f, _)| *f == name) {
            let annotations = expected["annotations"].as_array().expect("annotations");
            problems.extend(
                compare_annotations(&file, annotations)
                    .into_iter()
                    .map(|p| format!("{name}: {p}")),
            );
        }
    }
    assert!(channels > 1000, "only {channels} channels compared");
    assert!(
        problems.is_empty(),
        "{} disagreements:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The files whose annotations differ from MNE's on purpose hold what the
/// bytes say.
#[test]
fn annotations_mne_misreads_are_read_from_the_bytes() {
    let Some(root) = data_root() else {
        return;
    };
    let nk = edf::Edf::open(root.join(ANNOTATION_EXCEPTIONS[0].0)).expect("readable");
    let texts: Vec<(f64, &str)> = nk
        .annotations()
        .iter()
        .map(|a| (a.onset_s, a.text.as_str()))
        .collect();
    assert_eq!(
        texts,
        vec![(0.0, "Segment: REC START ALLE EEG"), (1.14, "A1+A2 OFF")]
    );

    let evt = edf::Edf::open(root.join(ANNOTATION_EXCEPTIONS[1].0)).expect("readable");
    assert_eq!(evt.annotations().len(), 1081);
    for (name, _) in &ANNOTATION_EXCEPTIONS[2..] {
        let hyp = edf::Edf::open(root.join(name)).expect("readable");
        assert_eq!(hyp.annotations().len(), 154, "{name}");
        assert!(
            hyp.annotations()
                .iter()
                .all(|a| a.text.starts_with("Sleep stage")),
            "{name}"
        );
    }
}

/// The three damaged copies of eegmmidb S001 are refused with the record
/// and byte where the damage shows, as MNE refuses them.
#[test]
fn damaged_files_are_refused_with_the_record_and_offset() {
    let Some(root) = data_root() else {
        return;
    };
    for name in [
        "S001R01_crlf_truncated.edf",
        "S001R01_utf8_mangled.edf",
        "S001R03_crlf.edf",
    ] {
        let path = root.join("eegmmidb_S001_corrupted").join(name);
        let e = edf::Edf::open(&path).expect_err("damaged");
        let msg = e.to_string();
        assert!(msg.contains(name), "{msg}");
        assert!(matches!(e, edf::Error::Record { .. }), "{msg}");
    }
}

/// R01 and R02 of eegmmidb lack part of their last record: 60 of 61
/// records are read, with a warning naming the count.
#[test]
fn truncated_file_reads_complete_records_and_warns() {
    let Some(root) = data_root() else {
        return;
    };
    let file = edf::Edf::open(root.join("eegmmidb_S001/S001R01.edf")).expect("readable");
    assert_eq!(file.records(), 60);
    let warning = file.warnings().iter().find_map(|w| match w {
        edf::Warning::Truncated {
            expected_records,
            complete_records,
            missing_bytes,
        } => Some((*expected_records, *complete_records, *missing_bytes)),
        _ => None,
    });
    assert_eq!(warning, Some((61, 60, 5525)));
}
