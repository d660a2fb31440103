//! The BIDS layout of a synthetic dataset.
//!
//! ```text
//! dataset_description.json  participants.tsv  README  .bidsignore  truth.json
//! task-oddball_events.json                           the events.tsv columns
//! sub-07/eeg/sub-07_task-oddball_run-2_eeg.edf       EDF+C, 1 s records
//!            sub-07_task-oddball_run-2_eeg.json      sampling rate, mains, ...
//!            sub-07_task-oddball_run-2_events.tsv    onset, duration, trial_type, value, sample
//!            sub-07_task-oddball_run-2_channels.tsv  name, type, units
//! ```
//!
//! The EDF files hold the stimuli as EDF+ annotations too, so they stand on
//! their own outside BIDS. `truth.json` is listed in `.bidsignore`, being
//! no part of BIDS.

use std::fmt::Write as _;
use std::path::Path;

use edf::{Annotation, FileSpec, Format, SignalSpec, StartTime, Writer};
use serde_json::json;

use super::files::{self, create_parent, edf_error, put};
use super::{RecordingPlan, Resolved, SynthConfig, Synthesized, Truth, TASK};
use crate::error::Error;

/// Writes one recording's EDF file and sidecars.
pub(crate) fn write_recording(
    root: &Path,
    config: &SynthConfig,
    plan: &Resolved,
    r: &RecordingPlan,
    s: &Synthesized,
) -> Result<(), Error> {
    let edf_path = root.join(&r.path);
    create_parent(&edf_path)?;
    write_edf(&edf_path, config, plan, r, s)?;
    let folder = edf_path.parent().unwrap_or(root);
    let stem = r.stem();
    let fs = config.sfreq_hz;

    // events.tsv
    let mut events = String::from("onset\tduration\ttrial_type\tvalue\tsample\n");
    for st in &s.stimuli {
        let _ = writeln!(
            events,
            "{}\t0\t{}\t{}\t{}",
            st.sample as f64 / fs,
            st.label(),
            if st.is_target { 2 } else { 1 },
            st.sample
        );
    }
    text_file(&folder.join(format!("{stem}_events.tsv")), &events)?;

    // channels.tsv
    let mut channels = String::from("name\ttype\tunits\n");
    for n in &plan.names {
        let _ = writeln!(channels, "{n}\tEEG\tuV");
    }
    text_file(&folder.join(format!("{stem}_channels.tsv")), &channels)?;

    // eeg.json
    let sidecar = json!({
        "TaskName": TASK,
        "TaskDescription": "Auditory oddball: frequent standard tones and rare target tones.",
        "SamplingFrequency": fs,
        "PowerLineFrequency": config.mains_hz,
        "EEGReference": "average",
        "SoftwareFilters": "n/a",
        "EEGChannelCount": plan.names.len(),
        "EOGChannelCount": 0,
        "ECGChannelCount": 0,
        "EMGChannelCount": 0,
        "MiscChannelCount": 0,
        "TriggerChannelCount": 0,
        "RecordingDuration": plan.duration_s,
        "RecordingType": "continuous",
        "EEGPlacementScheme": "10-10",
        "Manufacturer": "preflight synth",
    });
    json_file(&folder.join(format!("{stem}_eeg.json")), &sidecar)
}

/// Writes the EDF+C file: one record per second, one signal per channel.
fn write_edf(
    path: &Path,
    config: &SynthConfig,
    plan: &Resolved,
    r: &RecordingPlan,
    s: &Synthesized,
) -> Result<(), Error> {
    let spr = config.sfreq_hz as usize;
    let start = StartTime {
        year: 2024,
        month: 1,
        day: 1,
        hour: 9,
        minute: (r.run.saturating_sub(1) * 10 % 60) as u8,
        second: 0,
    };
    let mut spec = FileSpec::new(Format::Edf, true, start, 1.0);
    spec.patient = format!("sub-{} X X X", r.subject_label);
    spec.records = plan.duration_s;
    spec.signals = plan
        .names
        .iter()
        .zip(&s.ranges)
        .map(|(name, &(lo, hi))| {
            let mut sig = SignalSpec::new(name, "uV", lo, hi, Format::Edf, spr);
            sig.transducer = "AgAgCl electrode".to_string();
            sig
        })
        .collect();
    let annotations: Vec<Annotation> = s
        .stimuli
        .iter()
        .map(|st| Annotation {
            onset_s: st.sample as f64 / config.sfreq_hz,
            duration_s: None,
            text: st.label().to_string(),
        })
        .collect();
    files::write_atomic(path, |w| {
        let mut writer = Writer::new(w, &spec, &annotations).map_err(|e| edf_error(path, e))?;
        let mut record: Vec<&[f64]> = Vec::with_capacity(s.signals.len());
        for k in 0..plan.duration_s as usize {
            record.clear();
            record.extend(s.signals.iter().map(|x| &x[k * spr..(k + 1) * spr]));
            writer
                .write_record(&record)
                .map_err(|e| edf_error(path, e))?;
        }
        writer.finish().map_err(|e| edf_error(path, e))?;
        Ok(())
    })
}

/// Writes the files at the root: description, participants, README,
/// `.bidsignore`.
pub(crate) fn write_dataset_files(
    root: &Path,
    config: &SynthConfig,
    truth: &Truth,
) -> Result<(), Error> {
    let description = json!({
        "Name": "preflight synthetic oddball EEG",
        "BIDSVersion": "1.9.0",
        "DatasetType": "raw",
        "License": "CC0",
        "Authors": ["preflight synth"],
        "GeneratedBy": [{
            "Name": "preflight synth",
            "Version": env!("CARGO_PKG_VERSION"),
            "Description": format!("seed {}", config.seed),
        }],
    });
    json_file(&root.join("dataset_description.json"), &description)?;

    let mut participants = String::from("participant_id\n");
    for s in &truth.subjects {
        let _ = writeln!(participants, "sub-{}", s.subject);
    }
    text_file(&root.join("participants.tsv"), &participants)?;
    let readme = format!(
        "Synthetic EEG written by `preflight synth` (seed {}): {} subjects, {} runs each, an \
         auditory oddball task with {:.1}% targets. Faults are planted on purpose; \
         truth.json lists each one, and the control subject that must not be flagged.\n",
        config.seed,
        config.subjects,
        config.runs,
        100.0 * config.target_share
    );
    text_file(&root.join("README"), &readme)?;
    let events = json!({
        "trial_type": {
            "Description": "Kind of stimulus",
            "Levels": {
                "standard": "Frequent tone",
                "target": "Rare tone to be detected",
            },
        },
        "value": {
            "Description": "Event code: 1 standard, 2 target",
        },
        "sample": {
            "Description": "Onset as a sample index from the first sample of the recording",
        },
    });
    json_file(&root.join(format!("task-{TASK}_events.json")), &events)?;
    text_file(&root.join(".bidsignore"), "truth.json\n")
}

fn text_file(path: &Path, text: &str) -> Result<(), Error> {
    files::write_atomic(path, |w| put(w, path, text.as_bytes()))
}

fn json_file(path: &Path, value: &serde_json::Value) -> Result<(), Error> {
    let text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::invalid(path, "json", e.to_string()))?;
    text_file(path, &format!("{text}\n"))
}
