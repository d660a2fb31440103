//! Synthetic datasets with planted faults and their ground truth.
//!
//! [`generate`] writes a dataset that looks like a real EEG study (an
//! auditory oddball: frequent standards, rare targets) into a new folder,
//! with faults planted where [`SynthConfig`] says, and returns (and writes
//! as `truth.json`) the [`Truth`]: every fault with its subject, recording,
//! channel, kind, time span and parameters, and the control subject, clean
//! but uniformly 3× larger, that must never be flagged.
//!
//! Parts:
//!
//! - [`config`]: the settings, their checks, the demo dataset;
//! - [`signal`]: the clean EEG (1/f background, alpha, responses);
//! - [`events`]: stimuli and targets;
//! - [`fault`]: what each fault does;
//! - [`montage`]: channel labels and positions;
//! - [`truth`]: the answer, as written to `truth.json`;
//! - `bids` and `npy`: the two file layouts.
//!
//! Memory: each worker thread holds the recording it generates, channels ×
//! samples × 8 bytes (20 MB for 5 min of 32 channels at 256 Hz); configs
//! above [`config::MAX_RECORDING_BYTES`] are refused.
//!
//! The same config and seed give byte-identical files: every recording
//! draws from its own random streams, derived from (seed, subject, run), so
//! recordings are generated in parallel (rayon) in any order. Files are
//! written to a temporary name in their folder and renamed into place.
//!
//! ```no_run
//! use preflight::synth::{generate, SynthConfig};
//! let config = SynthConfig { subjects: 4, runs: 1, seed: 3, ..SynthConfig::default() };
//! let truth = generate(&config, std::path::Path::new("synthetic"))?;
//! for f in &truth.faults {
//!     println!("{} {} {} {}", f.subject, f.recording, f.channel, f.kind);
//! }
//! # Ok::<(), preflight::Error>(())
//! ```

mod bids;
pub mod config;
pub mod events;
pub mod fault;
mod files;
pub mod montage;
mod npy;
mod rng;
pub mod signal;
pub mod truth;

use std::path::Path;

use rand::RngExt;
use rayon::prelude::*;

pub use config::{ControlPlan, FaultPlan, OutputFormat, Resolved, SynthConfig, CONTROL_GAIN};
pub use fault::{Fault, FaultKind};
pub use truth::{Truth, TruthControl, TruthFault, TruthRecording, TruthSubject};

use crate::error::Error;
use events::Stimulus;
use rng::Stream;
use signal::SubjectModel;

/// Physical range of a clean channel, µV: 0.1 µV per digital step in EDF.
pub const CLEAN_RANGE_UV: (f64, f64) = (-3276.8, 3276.7);

/// Task label of every recording.
pub const TASK: &str = "oddball";

/// Writes the dataset `config` describes into `out_dir` (created if
/// missing; it must be empty) and returns what was planted. `truth.json`
/// is written last, so its presence means the dataset is complete.
///
/// # Errors
///
/// [`Error::Config`] when a setting is out of range (nothing is written
/// then), [`Error::OutputNotEmpty`] when `out_dir` holds files, and
/// [`Error::Io`] or [`Error::Edf`] when writing fails.
pub fn generate(config: &SynthConfig, out_dir: &Path) -> Result<Truth, Error> {
    let plan = config.resolve()?;
    files::prepare_empty_dir(out_dir)?;
    let subjects = subjects(config, &plan);
    let recordings = recording_plans(config, &plan);
    tracing::debug!(
        recordings = recordings.len(),
        faults = plan.faults.len(),
        control = ?plan.control,
        "generating"
    );

    let truth_recordings = match config.format {
        OutputFormat::Edf => {
            let done: Result<Vec<_>, Error> = recordings
                .par_iter()
                .map(|r| {
                    let s = synthesize(config, &plan, &subjects[r.subject as usize - 1], r);
                    bids::write_recording(out_dir, config, &plan, r, &s)?;
                    Ok((r.truth(), s.faults))
                })
                .collect();
            done?
        }
        OutputFormat::Npy => npy::write(out_dir, config, &plan, &recordings, |r| {
            synthesize(config, &plan, &subjects[r.subject as usize - 1], r)
        })?,
    };

    // The answer.
    let mut faults = Vec::new();
    let mut recs = Vec::new();
    for (r, f) in truth_recordings {
        recs.push(r);
        faults.extend(f);
    }
    let controls = recs
        .iter()
        .filter(|r| plan.control.map(|c| config.subject_label(c)) == Some(r.subject.clone()))
        .map(|r| TruthControl {
            subject: r.subject.clone(),
            run: r.run.clone(),
            recording: r.recording.clone(),
            channel: "*".to_string(),
            kind: "control".to_string(),
            gain: CONTROL_GAIN,
            must_not_be_flagged: true,
            examples: r.examples,
        })
        .collect();
    let truth = Truth {
        schema: truth::SCHEMA.to_string(),
        format: config.format.name().to_string(),
        seed: config.seed,
        sfreq_hz: config.sfreq_hz,
        duration_s: plan.duration_s as f64,
        mains_hz: config.mains_hz,
        channels: plan.names.clone(),
        subjects: subjects
            .iter()
            .map(|s| TruthSubject {
                subject: s.label.clone(),
                gain: s.model.gain,
                control: s.is_control,
            })
            .collect(),
        recordings: recs,
        faults,
        controls,
    };
    if config.format == OutputFormat::Edf {
        bids::write_dataset_files(out_dir, config, &truth)?;
    }
    let json = serde_json::to_string_pretty(&truth)
        .map_err(|e| Error::invalid(out_dir.join("truth.json"), "json", e.to_string()))?;
    let path = out_dir.join("truth.json");
    files::write_atomic(&path, |w| {
        files::put(w, &path, format!("{json}\n").as_bytes())
    })?;
    Ok(truth)
}

/// One subject of the dataset.
pub(crate) struct Subject {
    pub label: String,
    pub is_control: bool,
    pub model: SubjectModel,
}

/// Draws every subject's head; typical gains are log-uniform between 1/√3
/// and √3 (up to 3× apart), the control's is [`CONTROL_GAIN`].
fn subjects(config: &SynthConfig, plan: &Resolved) -> Vec<Subject> {
    (1..=config.subjects)
        .map(|s| {
            let mut rng = rng::stream(config.seed, s, 0, Stream::Subject);
            // Rounded to 4 decimals, so truth.json shows the gain in use.
            let drawn = (3f64.powf(rng.random_range(-0.5..0.5)) * 1e4).round() / 1e4;
            let is_control = plan.control == Some(s);
            let gain = if is_control { CONTROL_GAIN } else { drawn };
            Subject {
                label: config.subject_label(s),
                is_control,
                model: SubjectModel::new(&plan.names, gain, &mut rng),
            }
        })
        .collect()
}

/// One recording to generate.
#[derive(Debug, Clone)]
pub(crate) struct RecordingPlan {
    pub subject: u32,
    pub run: u32,
    pub subject_label: String,
    /// Path of the EDF file relative to the root (BIDS layout), or the
    /// BIDS-style name of the recording (NumPy layout).
    pub path: String,
    pub stimuli: usize,
    pub targets: usize,
    /// Example range in the NumPy layout.
    pub examples: Option<[usize; 2]>,
}

impl RecordingPlan {
    /// File name stem shared by the recording's files, without `_eeg`.
    pub fn stem(&self) -> String {
        format!("sub-{}_task-{TASK}_run-{}", self.subject_label, self.run)
    }

    fn truth(&self) -> TruthRecording {
        TruthRecording {
            subject: self.subject_label.clone(),
            run: self.run.to_string(),
            recording: self.path.clone(),
            stimuli: self.stimuli,
            targets: self.targets,
            examples: self.examples,
        }
    }
}

fn recording_plans(config: &SynthConfig, plan: &Resolved) -> Vec<RecordingPlan> {
    let total = (config.subjects * config.runs) as usize;
    let mut out = Vec::with_capacity(total);
    for s in 1..=config.subjects {
        for r in 1..=config.runs {
            let index = out.len();
            let label = config.subject_label(s);
            let mut p = RecordingPlan {
                subject: s,
                run: r,
                subject_label: label.clone(),
                path: String::new(),
                stimuli: plan.events,
                targets: events::targets_of(index, total, plan.events, config.target_share),
                examples: None,
            };
            p.path = match config.format {
                OutputFormat::Edf => format!("sub-{label}/eeg/{}_eeg.edf", p.stem()),
                OutputFormat::Npy => "X.npy".to_string(),
            };
            if config.format == OutputFormat::Npy {
                p.examples = Some([index * plan.events, (index + 1) * plan.events]);
            }
            out.push(p);
        }
    }
    out
}

/// One recording's signals, ready to be written.
pub(crate) struct Synthesized {
    /// Physical values per channel, µV.
    pub signals: Vec<Vec<f64>>,
    /// Physical range per channel, µV.
    pub ranges: Vec<(f64, f64)>,
    /// Stimuli in time order.
    pub stimuli: Vec<Stimulus>,
    /// The faults planted, one per channel.
    pub faults: Vec<TruthFault>,
}

/// Generates one recording: background, responses, faults, ranges.
pub(crate) fn synthesize(
    config: &SynthConfig,
    plan: &Resolved,
    subject: &Subject,
    r: &RecordingPlan,
) -> Synthesized {
    let fs = config.sfreq_hz;
    let samples = plan.duration_s as usize * fs as usize;

    // Clean EEG.
    let mut bg = rng::stream(config.seed, r.subject, r.run, Stream::Background);
    let mut signals = subject.model.background(samples, fs, &mut bg);
    let mut ev = rng::stream(config.seed, r.subject, r.run, Stream::Events);
    let stimuli = events::schedule(r.stimuli, r.targets, config.isi_s, fs, &mut ev);
    subject
        .model
        .add_responses(&mut signals, &stimuli, fs, &mut ev);

    // Faults, each from its own stream.
    let mut forced: Vec<Option<(f64, f64)>> = vec![None; signals.len()];
    let mut faults = Vec::new();
    for (k, f) in plan.faults.iter().enumerate() {
        if f.subject != r.subject || f.run != r.run {
            continue;
        }
        let mut rng = rng::stream(config.seed, r.subject, r.run, Stream::Fault(k as u32));
        let end_s = f
            .duration_s
            .map_or(plan.duration_s as f64, |d| f.onset_s + d);
        let span = (f.onset_s * fs).round() as usize..((end_s * fs).round() as usize).min(samples);
        for name in &f.channels {
            let Some(c) = plan.names.iter().position(|n| n == name) else {
                continue;
            };
            let planted = fault::plant(&f.kind, &mut signals[c], span.clone(), fs, &mut rng);
            if planted.range_uv.is_some() {
                forced[c] = planted.range_uv;
            }
            faults.push(truth_fault(r, f, name, end_s, &planted, fs, &stimuli));
        }
    }

    // Physical ranges: the clean range, widened to hold what faults added.
    let ranges = signals
        .iter()
        .zip(&forced)
        .map(|(x, forced)| forced.unwrap_or_else(|| range_of(x)))
        .collect();
    Synthesized {
        signals,
        ranges,
        stimuli,
        faults,
    }
}

/// The clean range, or when `x` leaves it, `[min, max]` widened by 5% of
/// their distance and rounded outward to whole µV. Non-finite values are
/// ignored.
fn range_of(x: &[f64]) -> (f64, f64) {
    let (lo, hi) = x
        .iter()
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let (clean_lo, clean_hi) = CLEAN_RANGE_UV;
    if !(lo.is_finite() && hi.is_finite()) || (lo >= clean_lo && hi <= clean_hi) {
        return CLEAN_RANGE_UV;
    }
    let pad = 0.05 * (hi - lo);
    (
        (lo - pad).floor().min(clean_lo),
        (hi + pad).ceil().max(clean_hi),
    )
}

fn truth_fault(
    r: &RecordingPlan,
    f: &Fault,
    channel: &str,
    end_s: f64,
    planted: &fault::Planted,
    fs: f64,
    stimuli: &[Stimulus],
) -> TruthFault {
    let mut t = TruthFault {
        subject: r.subject_label.clone(),
        run: r.run.to_string(),
        recording: r.path.clone(),
        channel: channel.to_string(),
        kind: f.kind.name().to_string(),
        onset_s: f.onset_s,
        duration_s: end_s - f.onset_s,
        frequency_hz: None,
        amplitude_uv: None,
        offset_uv: None,
        limit_uv: None,
        value_uv: None,
        bursts: None,
        gain: None,
        examples: None,
    };
    match f.kind {
        FaultKind::Mains {
            frequency_hz,
            amplitude_uv,
        } => {
            t.frequency_hz = frequency_hz;
            t.amplitude_uv = Some(amplitude_uv);
        }
        FaultKind::Detached {
            frequency_hz,
            amplitude_uv,
            ..
        } => {
            t.frequency_hz = frequency_hz;
            t.amplitude_uv = Some(amplitude_uv);
            t.offset_uv = planted.offset_uv;
        }
        FaultKind::Flat { value_uv } => t.value_uv = Some(value_uv),
        FaultKind::Clipping { limit_uv } => t.limit_uv = Some(limit_uv),
        FaultKind::Bursts { amplitude_uv, .. } => {
            t.amplitude_uv = Some(amplitude_uv);
            t.bursts = Some(planted.bursts.iter().map(|&(o, d)| [o, d]).collect());
        }
        FaultKind::DcOffset { offset_uv } => t.offset_uv = Some(offset_uv),
        FaultKind::HfNoise { amplitude_uv } => t.amplitude_uv = Some(amplitude_uv),
        FaultKind::HighAmplitude { gain } | FaultKind::LowAmplitude { gain } => {
            t.gain = Some(gain);
        }
        FaultKind::Nan | FaultKind::Inf => {}
    }
    if let Some([first, _]) = r.examples {
        // Windows overlapping the fault form a contiguous run of examples.
        let touched: Vec<usize> = stimuli
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                let start = s.sample as f64 / fs + npy::WINDOW_START_S;
                start < end_s && start + npy::WINDOW_S > f.onset_s
            })
            .map(|(i, _)| first + i)
            .collect();
        if let (Some(a), Some(b)) = (touched.first(), touched.last()) {
            t.examples = Some([*a, b + 1]);
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_signals_keep_the_clean_range_and_faults_widen_it() {
        assert_eq!(range_of(&[-100.0, 200.0]), CLEAN_RANGE_UV);
        let (lo, hi) = range_of(&[-100.0, 50_000.0]);
        assert_eq!(lo, CLEAN_RANGE_UV.0);
        assert!(hi >= 52_000.0 && hi.fract() == 0.0, "{hi}");
        assert_eq!(range_of(&[f64::NAN, 1.0]), CLEAN_RANGE_UV);
    }
}
