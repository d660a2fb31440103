//! The audit against the planted truth of synthetic datasets: every
//! planted recording × channel found with its cause, nothing else flagged,
//! the control subject (clean, 3× larger) never.

use std::collections::BTreeSet;

use preflight::audit::{audit, AuditConfig};
use preflight::dataset::{discover, DiscoverConfig};
use preflight::synth::{generate, ControlPlan, Fault, FaultKind, FaultPlan, SynthConfig};

/// A small version of the demo: 8 subjects × 2 runs × 32 channels at
/// 256 Hz, 1 minute each, subject 03's second run with four detached
/// contacts, subject 06 the control.
fn small_demo() -> SynthConfig {
    let mut config = SynthConfig::demo();
    config.subjects = 8;
    config.runs = 2;
    config.minutes = 1.0;
    config.faults = FaultPlan::List(vec![Fault {
        kind: FaultKind::Detached {
            frequency_hz: Some(60.0),
            amplitude_uv: 50_000.0,
            offset_uv: 80_000.0,
        },
        subject: 3,
        run: 2,
        channels: ["P7", "P3", "PO3", "O1"].map(String::from).to_vec(),
        onset_s: 0.0,
        duration_s: None,
    }]);
    config.control = ControlPlan::Subject(6);
    config
}

#[test]
fn detached_contacts_are_found_exactly_and_the_control_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let truth = generate(&small_demo(), dir.path()).unwrap();
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
