//! The audit against the planted truth of synthetic datasets: every
//! planted recording × channel found with its cause, nothing else flagged,
//! the control subject (clean, 3× larger) never.

use std::collections::BTreeSet;

use preflight::audit::{audit, AuditConfig};
use preflight::dataset::{discover, DiscoverConfig};
use preflight::synth::{generate, SynthConfig};

mod common;

#[test]
fn detached_contacts_are_found_exactly_and_the_control_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let truth = generate(
        &common::small_demo(8, 3, &["P7", "P3", "PO3", "O1"], 6),
        dir.path(),
    )
    .unwrap();
    let dataset = discover(dir.path(), &DiscoverConfig::default()).unwrap();
    let report = audit(&dataset, &AuditConfig::default(), &|_, _| {});

    let found: BTreeSet<(String, String, String)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.recording.clone(),
                f.channel.clone(),
                f.cause.name().to_string(),
            )
        })
        .collect();
    let planted: BTreeSet<(String, String, String)> = truth
        .faults
        .iter()
        .map(|f| (f.recording.clone(), f.channel.clone(), f.kind.clone()))
        .collect();
    eprintln!(
        "{}",
        serde_json::to_string_pretty(&report.findings).unwrap()
    );
    eprintln!("{}", report.attribution.summary);
    assert_eq!(found, planted);
}

/// (recording, channel, cause) triples.
type Triple = (String, String, String);
type Triples = BTreeSet<Triple>;

/// What the audit found and what was planted, with the recording's length
/// and each planted fault's span (for telling whole-recording faults).
fn found_and_planted(
    config: &SynthConfig,
    audit_config: &AuditConfig,
) -> (Triples, Vec<(Triple, bool)>) {
    let dir = tempfile::tempdir().unwrap();
    let truth = generate(config, dir.path()).unwrap();
    let dataset = discover(dir.path(), &DiscoverConfig::default()).unwrap();
    let report = audit(&dataset, audit_config, &|_, _| {});
    let found = report
        .findings
        .iter()
        .map(|f| {
            (
                f.recording.clone(),
                f.channel.clone(),
                f.cause.name().to_string(),
            )
        })
        .collect();
    let planted = truth
        .faults
        .iter()
        .map(|f| {
            // Bursts are short events inside their span, never the whole of it.
            let whole =
                f.kind != "bursts" && f.onset_s <= 0.0 && f.duration_s >= truth.duration_s - 1e-9;
            (
                (f.recording.clone(), f.channel.clone(), f.kind.clone()),
                whole,
            )
        })
        .collect();
    (found, planted)
}

/// Recall and precision per fault kind over seeds 0-4 of synth's default
/// dataset (one fault of each kind per seed).
fn sweep(audit_config: &AuditConfig, whole_only: bool) -> Vec<(String, f64, f64)> {
    let mut per_kind: std::collections::BTreeMap<String, (usize, usize, usize)> =
        Default::default();
    for seed in 0..5 {
        let config = SynthConfig {
            seed,
            ..SynthConfig::default()
        };
        let (found, planted) = found_and_planted(&config, audit_config);
        let considered: Triples = planted
            .iter()
            .filter(|(_, whole)| *whole || !whole_only)
            .map(|(t, _)| t.clone())
            .collect();
        let all_planted: BTreeSet<(String, String)> = planted
            .iter()
            .map(|((r, c, _), _)| (r.clone(), c.clone()))
            .collect();
        for t in &considered {
            let e = per_kind.entry(t.2.clone()).or_default();
            e.0 += 1;
            if found.contains(t) {
                e.1 += 1;
            }
        }
        // A finding on a channel where nothing was planted, or with the
        // wrong cause, is a false positive of the kind it claims.
        for f in &found {
            let right = considered.contains(f)
                || (whole_only && all_planted.contains(&(f.0.clone(), f.1.clone())));
            if !right {
                per_kind.entry(f.2.clone()).or_default().2 += 1;
            }
        }
    }
    per_kind
        .into_iter()
        .map(|(kind, (planted, hit, wrong))| {
            let recall = if planted == 0 {
                1.0
            } else {
                hit as f64 / planted as f64
            };
            let claimed = hit + wrong;
            let precision = if claimed == 0 {
                1.0
            } else {
                hit as f64 / claimed as f64
            };
            (kind, recall, precision)
        })
        .collect()
}

#[test]
fn full_audit_finds_every_fault_kind_in_five_seeds() {
    let config = AuditConfig {
        full: true,
        ..AuditConfig::default()
    };
    let results = sweep(&config, false);
    let kinds: Vec<&str> = results.iter().map(|r| r.0.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "bursts",
            "clipping",
            "dc_offset",
            "detached",
            "flat",
            "mains"
        ]
    );
    for (kind, recall, precision) in results {
        assert!(
            recall >= 0.95 && precision >= 0.95,
            "{kind}: recall {recall}, precision {precision}"
        );
    }
}

#[test]
fn sampled_audit_finds_faults_that_span_whole_recordings() {
    let results = sweep(&AuditConfig::default(), true);
    for (kind, recall, precision) in results {
        assert!(
            recall >= 0.95 && precision >= 0.95,
            "{kind}: recall {recall}, precision {precision}"
        );
    }
}

#[test]
fn numpy_arrays_with_nan_and_inf_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let config = SynthConfig {
        subjects: 6,
        minutes: 1.0,
        format: preflight::synth::OutputFormat::Npy,
        ..SynthConfig::default()
    };
    let truth = generate(&config, dir.path()).unwrap();
    let dataset = discover(dir.path(), &DiscoverConfig::default()).unwrap();
    let audit_config = AuditConfig {
        full: true,
        read: preflight::read::ReadConfig {
            numpy_sfreq_hz: Some(config.sfreq_hz),
            numpy_to_uv: 1.0,
        },
        ..AuditConfig::default()
    };
    let report = audit(&dataset, &audit_config, &|_, _| {});
    // NumPy examples know their subject, not their file: compare subject,
    // channel index and cause.
    let found: BTreeSet<(String, String)> = report
        .findings
        .iter()
        .map(|f| (f.subject.clone(), f.cause.name().to_string()))
        .collect();
    for kind in ["nan", "inf"] {
        let planted = truth.faults.iter().find(|f| f.kind == kind).unwrap();
        assert!(
            found.contains(&(planted.subject.clone(), kind.to_string())),
            "{kind} of subject {}: {found:?}",
            planted.subject
        );
    }
}

/// High-frequency noise and a channel of unexplained high amplitude, each
/// over a whole recording and over part of one, and a dead contact, on
/// three seeds: found on their channels with their cause, sampled and in
/// full, and nothing else.
#[test]
fn hf_noise_and_unexplained_high_and_low_amplitude_are_found_with_their_cause() {
    use preflight::synth::{ControlPlan, FaultPlan};
    let faults: Vec<preflight::synth::Fault> = [
        "hf_noise:subject=2,run=1,channels=T7",
        "high_amplitude:subject=4,run=2,channels=O1",
        "hf_noise:subject=6,run=2,channels=Cz,onset=20,duration=80",
        "high_amplitude:subject=8,run=1,channels=F4,onset=40,duration=80",
        "low_amplitude:subject=3,run=1,channels=P4",
    ]
    .iter()
    .map(|s| s.parse().unwrap())
    .collect();
    for seed in 0..3 {
        let config = SynthConfig {
            seed,
            faults: FaultPlan::List(faults.clone()),
            control: ControlPlan::Subject(10),
            ..SynthConfig::default()
        };
        for full in [true, false] {
            let audit_config = AuditConfig {
                full,
                ..AuditConfig::default()
            };
            let (found, planted) = found_and_planted(&config, &audit_config);
            // The sample must find what spans a whole recording; in full,
            // everything.
            let wanted: Triples = planted
                .iter()
                .filter(|(_, whole)| full || *whole)
                .map(|(t, _)| t.clone())
                .collect();
            let all: Triples = planted.iter().map(|(t, _)| t.clone()).collect();
            assert!(
                wanted.is_subset(&found),
                "seed {seed}, full {full}: {found:?}"
            );
            assert!(found.is_subset(&all), "seed {seed}, full {full}: {found:?}");
        }
    }
}
