//! The audit on the real recordings of `../shared/data`: the problems its
//! SOURCES.md documents are found, and the clean motor-imagery runs give
//! no finding. The table in docs/real-data.md is made by the example
//! `real_data_audit` from the same runs.
//!
//! Tests are skipped with a message when the data are absent, except under
//! `CI=true`.

use preflight::audit::finding::Cause;
use preflight::audit::{audit, Audit, AuditConfig};
use preflight::dataset::{discover, DiscoverConfig};

mod common;
use common::data_root;

fn run(folder: &str) -> Option<Audit> {
    let root = data_root()?;
    let dataset = discover(&root.join(folder), &DiscoverConfig::default()).unwrap();
    Some(audit(&dataset, &AuditConfig::default(), &|_, _| {}))
}

fn has_finding(report: &Audit, recording: &str, channel: &str, causes: &[Cause]) -> bool {
    report
        .findings
        .iter()
        .any(|f| f.recording == recording && f.channel == channel && causes.contains(&f.cause))
}

#[test]
fn motor_imagery_runs_carry_60_hz_and_nothing_to_exclude() {
    let Some(report) = run("eegmmidb_S001") else {
        return;
    };
    assert_eq!(report.mains_hz, Some(60.0));
    let at_60 = report
        .line_noise
        .iter()
        .filter(|r| r.mains_hz == Some(60.0))
        .count();
    assert!(at_60 >= 10, "{:?}", report.line_noise);
    assert!(report.notes.iter().any(|n| n.kind == "dataset_mains"));
    assert!(report.findings.is_empty(), "{:?}", report.findings);
}

#[test]
fn biosemi_sample_file_has_50_hz_and_offsets_everywhere() {
    let Some(report) = run("eegUtils-testdata") else {
        return;
    };
    assert_eq!(report.mains_hz, Some(50.0));
    let kinds: Vec<&str> = report.notes.iter().map(|n| n.kind.as_str()).collect();
    assert!(kinds.contains(&"dataset_mains"), "{kinds:?}");
    assert!(kinds.contains(&"dc_offsets"), "{kinds:?}");
}

#[test]
fn flat_and_clipped_channels_of_the_mne_test_files_are_found() {
    let Some(bdf) = run("mne-testing-data/BDF") else {
        return;
    };
    assert!(
        has_finding(
            &bdf,
            "multiple_annotation_chans.bdf",
            "ECG",
            &[Cause::Flat, Cause::Clipping]
        ),
        "{:?}",
        bdf.findings
    );
    let Some(edf) = run("mne-testing-data/EDF") else {
        return;
    };
    for channel in ["POL $A1", "POL $A2"] {
        assert!(
            has_finding(
                &edf,
                "chtypes_edf.edf",
                channel,
                &[Cause::Flat, Cause::Clipping]
            ),
            "{channel}: {:?}",
            edf.findings
        );
    }
    let rails = edf
        .findings
        .iter()
        .filter(|f| f.recording == "test_reduced.edf" && f.cause == Cause::Clipping)
        .count();
    assert!(rails >= 100, "test_reduced.edf: {rails} clipped channels");
}

#[test]
fn nihon_kohden_export_has_50_hz() {
    let Some(report) = run("mne-testing-data/NihonKohden") else {
        return;
    };
    assert_eq!(report.mains_hz, Some(50.0));
    let r = &report.line_noise[0];
    assert!(r.channels_with_line * 2 > r.channels, "{r:?}");
}
