//! Whatever bytes a dataset's sidecar tables, JSON sidecars or NumPy
//! headers hold, discovery and the audit end without a panic: either a
//! dataset whose problems are reported, or an error that names the file.
//!
//! The inputs are arbitrary bytes and mutations of valid files (bytes
//! replaced, cut short, lines doubled), drawn by proptest.

use std::path::Path;

use preflight::audit::{audit, AuditConfig};
use preflight::dataset::{discover, DiscoverConfig};
use preflight::read::ReadConfig;
use preflight::synth::{generate, ControlPlan, FaultPlan, OutputFormat, SynthConfig};
use proptest::prelude::*;

fn small(format: OutputFormat) -> SynthConfig {
    SynthConfig {
        subjects: 2,
        runs: 1,
        minutes: 0.2,
        faults: FaultPlan::List(Vec::new()),
        control: ControlPlan::None,
        format,
        ..SynthConfig::default()
    }
}

/// Bytes: arbitrary, or `valid` with some bytes replaced, cut short, or
/// with one of its lines repeated.
fn mangled(valid: Vec<u8>) -> impl Strategy<Value = Vec<u8>> {
    let n = valid.len().max(1);
    let replaced = {
        let valid = valid.clone();
        prop::collection::vec((0..n, any::<u8>()), 1..8).prop_map(move |edits| {
            let mut v = valid.clone();
            for (i, b) in edits {
                if let Some(x) = v.get_mut(i) {
                    *x = b;
                }
            }
            v
        })
    };
    let cut = {
        let valid = valid.clone();
        (0..n).prop_map(move |k| valid[..k.min(valid.len())].to_vec())
    };
    let doubled = {
        let valid = valid.clone();
        (0..16usize).prop_map(move |k| {
            let text = String::from_utf8_lossy(&valid).to_string();
            let lines: Vec<&str> = text.lines().collect();
            let mut out: Vec<&str> = lines.clone();
            if !lines.is_empty() {
                out.insert(k % lines.len(), lines[k % lines.len()]);
            }
            out.join("\n").into_bytes()
        })
    };
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        replaced,
        cut,
        doubled,
    ]
}

/// Discovers and audits `root`; an error must name `file`.
fn survives(root: &Path, file: &Path, config: &AuditConfig) -> Result<(), TestCaseError> {
    match discover(root, &DiscoverConfig::default()) {
        Ok(dataset) => {
            let report = audit(&dataset, config, &|_, _| {});
            // What could not be read is said, with the file and why.
            for (path, reason) in &report.dataset.unreadable {
                prop_assert!(!path.is_empty() && !reason.is_empty());
            }
            prop_assert_eq!(report.schema, preflight::audit::SCHEMA);
        }
        Err(e) => {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            prop_assert!(e.to_string().contains(&name), "{e} does not name {name}");
        }
    }
    Ok(())
}

#[test]
fn sidecars_of_any_content_are_survived() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("bids");
    let truth = generate(&small(OutputFormat::Edf), &root).unwrap();
    let recording = root.join(&truth.recordings[0].recording);
    let sidecar = |suffix: &str| {
        let name = recording.file_name().unwrap().to_string_lossy();
        recording.with_file_name(name.replace("_eeg.edf", suffix))
    };
    let (events, channels) = (sidecar("_events.tsv"), sidecar("_channels.tsv"));
    let json = sidecar("_eeg.json");
    let participants = root.join("participants.tsv");
    let valid_events =
        b"onset\tduration\ttrial_type\n1.0\t0.5\ttarget\n2.5\tn/a\tstandard\n4.0\t0\ttarget\n"
            .to_vec();
    let valid_channels = std::fs::read(&channels).unwrap();
    let valid_participants = std::fs::read(&participants).unwrap();
    let valid_json = std::fs::read(&json).unwrap();
    let config = AuditConfig::default();
    let cases = ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    for (file, valid) in [
        (&events, valid_events),
        (&channels, valid_channels),
        (&participants, valid_participants),
        (&json, valid_json),
    ] {
        let keep = std::fs::read(file).ok();
        proptest!(cases.clone(), |(bytes in mangled(valid.clone()))| {
            std::fs::write(file, &bytes).unwrap();
            survives(&root, file, &config)?;
        });
        match keep {
            Some(bytes) => std::fs::write(file, bytes).unwrap(),
            None => std::fs::remove_file(file).unwrap(),
        }
    }
}

#[test]
fn numpy_headers_of_any_content_are_survived() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("npy");
    let config = small(OutputFormat::Npy);
    generate(&config, &root).unwrap();
    let audit_config = AuditConfig {
        read: ReadConfig {
            numpy_sfreq_hz: Some(config.sfreq_hz),
            numpy_to_uv: 1.0,
        },
        ..AuditConfig::default()
    };
    let cases = ProptestConfig {
        cases: 128,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    for name in ["X.npy", "y.npy", "groups.npy"] {
        let file = root.join(name);
        let Ok(whole) = std::fs::read(&file) else {
            continue;
        };
        // The header and the first bytes of data; the rest is kept.
        let head = whole.len().min(256);
        let tail = whole[head..].to_vec();
        proptest!(cases.clone(), |(bytes in mangled(whole[..head].to_vec()))| {
            let mut v = bytes.clone();
            v.extend_from_slice(&tail);
            std::fs::write(&file, &v).unwrap();
            survives(&root, &file, &audit_config)?;
        });
        std::fs::write(&file, whole).unwrap();
    }
}
