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

/// The report's note of `kind`.
fn note<'a>(report: &'a Audit, kind: &str) -> &'a preflight::audit::Note {
    report
        .notes
        .iter()
        .find(|n| n.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} note: {:?}", report.notes))
}

/// Distinct values of one channel of a recording, decoded whole.
fn distinct_values(path: &std::path::Path, channel: &str) -> usize {
    let edf = edf::Edf::open(path).unwrap();
    let signal = edf
        .header()
        .signals
        .iter()
        .position(|s| s.label == channel)
        .unwrap_or_else(|| panic!("{channel} not in {}", path.display()));
    let mut values: Vec<u32> = edf
        .read_signal::<f32>(signal)
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect();
    values.sort_unstable();
    values.dedup();
    values.len()
}

#[test]
fn a_recording_without_events_beside_others_is_audited_in_unlabelled_windows() {
    let Some(root) = data_root() else {
        return;
    };
    let Some(bdf) = run("mne-testing-data/BDF") else {
        return;
    };
    // test_bdf_stim_channel.bdf has no events; multiple_annotation_chans.bdf
    // has ten. The first is measured all the same: its Status trigger
    // channel is constant, and it carries 50 Hz (ratio 64 on Cz in
    // SOURCES.md).
    let note = note(&bdf, "unwindowed_recordings");
    assert!(
        note.text.contains("test_bdf_stim_channel.bdf"),
        "{}",
        note.text
    );
    assert!(
        has_finding(&bdf, "test_bdf_stim_channel.bdf", "Status", &[Cause::Flat]),
        "{:?}",
        bdf.findings
    );
    let stim = bdf
        .line_noise
        .iter()
        .find(|r| r.recording == "test_bdf_stim_channel.bdf")
        .expect("mains of the recording without events");
    assert_eq!(stim.mains_hz, Some(50.0), "{stim:?}");
    // Its unlabelled windows are no class of the balance: nine event
    // classes of one window each, balanced.
    assert_eq!(bdf.balance.classes.len(), 9, "{:?}", bdf.balance.classes);
    assert!(bdf.balance.classes.iter().all(|c| c.class != "unlabelled"));
    assert!(bdf.balance.warning.is_none(), "{:?}", bdf.balance.warning);

    // SOURCES.md calls acc1-3 flat (their std is tiny beside the EEG's,
    // in other units), but an accelerometer at rest is quantized, not
    // constant: the audit does not flag them.
    let file = root.join("mne-testing-data/BDF/multiple_annotation_chans.bdf");
    for channel in ["acc1", "acc2", "acc3"] {
        assert!(distinct_values(&file, channel) >= 10, "{channel}");
        assert!(
            !bdf.findings.iter().any(|f| f.channel == channel),
            "{channel}: {:?}",
            bdf.findings
        );
    }
}

#[test]
fn the_sleep_recording_without_events_is_audited_and_its_slow_temperature_is_not_flat() {
    let Some(root) = data_root() else {
        return;
    };
    let Some(report) = run("edfio-testdata") else {
        return;
    };
    let tiles = note(&report, "unwindowed_recordings");
    for file in ["short_psg.bdf", "short_psg.edf"] {
        assert!(tiles.text.contains(file), "{}", tiles.text);
        let path = root.join("edfio-testdata/tests/TEST_DATA").join(file);
        // The rectal temperature, at 1 Hz, drifts over 84 values in
        // 300 s: slow, not constant.
        assert!(distinct_values(&path, "Temp rectal") >= 50, "{file}");
    }
    assert!(
        !report.findings.iter().any(|f| f.channel == "Temp rectal"),
        "{:?}",
        report.findings
    );
    // Sampled at 100 Hz, the sleep recordings cannot show a 50 Hz line:
    // they do not outvote the two 512 Hz files that carry one.
    assert_eq!(report.mains_hz, Some(50.0));
    let mains = note(&report, "dataset_mains");
    assert!(mains.text.contains("2 more are not"), "{}", mains.text);
}

#[test]
fn an_event_channel_at_1_hz_that_never_changes_is_flat() {
    let Some(report) = run("EDF.jl-testdata") else {
        return;
    };
    // evt.bdf's only signal, "Empty Event Data", holds one value at 1 Hz:
    // one sample per window, so flat only across windows.
    assert!(
        has_finding(
            &report,
            "test/data/evt.bdf",
            "Empty Event Data",
            &[Cause::Flat]
        ),
        "{:?}",
        report.findings
    );
    // The 0.2 Hz block wave of test_uneven_samp.edf (12.8 Hz, digital
    // extremes only) is constant within most windows, as SOURCES.md's
    // flat column says: found, though its file has no events.
    assert!(
        has_finding(
            &report,
            "test/data/test_uneven_samp.edf",
            "0.2Hz Blk 1/0uV",
            &[Cause::Flat, Cause::Clipping]
        ),
        "{:?}",
        report.findings
    );
}
