//! What to generate: [`SynthConfig`], its checks, and the demo dataset.
//!
//! A config is checked once, by [`SynthConfig::resolve`], before any file is
//! written; the result names every recording, the control subject and every
//! fault with its parameters filled in, so that the generator itself never
//! meets a setting it cannot honour.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

use super::events::events_per_recording;
use super::fault::{Fault, FaultKind};
use super::montage;
use super::rng::{self, Stream};
use crate::error::Error;

/// Which file layout to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// A BIDS EEG dataset of EDF+ files with `events.tsv`, `channels.tsv`
    /// and `eeg.json` sidecars.
    #[default]
    Edf,
    /// NumPy arrays of event-locked windows: `X.npy` (examples × channels ×
    /// samples, float32), `y.npy`, `groups.npy` and `recordings.tsv`.
    Npy,
}

impl OutputFormat {
    /// The name used in `truth.json` and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Edf => "edf",
            OutputFormat::Npy => "npy",
        }
    }
}

/// Which faults to plant.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum FaultPlan {
    /// One fault of each kind the format can hold, at subjects, runs,
    /// channels and times drawn from the seed (never on the control
    /// subject).
    #[default]
    OneOfEach,
    /// Exactly these faults.
    List(Vec<Fault>),
}

/// Which subject is the control: clean, but uniformly 3× larger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ControlPlan {
    /// A subject drawn from the seed (none when there is only one subject).
    #[default]
    Drawn,
    /// No control subject.
    None,
    /// This subject (1-based).
    Subject(u32),
}

/// Largest recording the generator holds in memory (channels × samples ×
/// 8 bytes), 2 GB: each worker thread holds one.
pub const MAX_RECORDING_BYTES: f64 = 2e9;

/// Gain of the control subject relative to a typical subject.
pub const CONTROL_GAIN: f64 = 3.0;

/// Settings of the generator. See the module documentation of
/// [`crate::synth`] for what the signal holds.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// Number of subjects, labelled `01`, `02`, ...
    pub subjects: u32,
    /// Runs per subject, labelled `1`, `2`, ...
    pub runs: u32,
    /// Channels per recording, with 10-10 labels (see [`montage`]).
    pub channels: usize,
    /// Sampling rate in Hz; a whole number, so that 1 s data records hold
    /// whole samples.
    pub sfreq_hz: f64,
    /// Length of each run in minutes (rounded to whole seconds).
    pub minutes: f64,
    /// Share of target stimuli among all events of the dataset, 0 to 1.
    pub target_share: f64,
    /// Mean time between stimulus onsets in seconds (each onset is jittered
    /// by up to ±10% of it).
    pub isi_s: f64,
    /// Seed of every random draw.
    pub seed: u64,
    /// Mains frequency in Hz (50 or 60), for mains faults that do not name
    /// their own and for the `PowerLineFrequency` of the sidecars.
    pub mains_hz: f64,
    /// Faults to plant.
    pub faults: FaultPlan,
    /// The control subject.
    pub control: ControlPlan,
    /// File layout.
    pub format: OutputFormat,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            subjects: 10,
            runs: 2,
            channels: 32,
            sfreq_hz: 256.0,
            minutes: 2.0,
            target_share: 0.2,
            isi_s: 1.0,
            seed: 0,
            mains_hz: 50.0,
            faults: FaultPlan::OneOfEach,
            control: ControlPlan::Drawn,
            format: OutputFormat::Edf,
        }
    }
}

/// Channels of subject 07 whose contacts come loose in the demo.
pub const DEMO_DETACHED: [&str; 4] = ["P7", "P3", "PO3", "O1"];

impl SynthConfig {
    /// The demo dataset: 20 subjects × 4 runs × 32 channels at 256 Hz, runs
    /// of 5 minutes with a stimulus every second, 7.6% targets; in runs 2
    /// and 3 of subject 07 the contacts of P7, P3, PO3 and O1 have come
    /// loose and pick up 60 Hz mains three orders of magnitude above the
    /// EEG; subject 14 is the control (clean, 3× larger). Nothing else is
    /// wrong with it.
    ///
    /// Five-minute runs make 299 stimuli each, 23,920 in all, so that the
    /// 7.6% target share is met exactly (1,818 targets) and every subject
    /// has about 90 targets; the whole dataset is 393 MB of EDF, small
    /// enough to write and audit in well under a minute on two cores.
    pub fn demo() -> SynthConfig {
        let detached = |run| Fault {
            kind: FaultKind::Detached {
                frequency_hz: Some(60.0),
                amplitude_uv: 50_000.0,
                offset_uv: 80_000.0,
            },
            subject: 7,
            run,
            channels: DEMO_DETACHED.iter().map(|s| s.to_string()).collect(),
            onset_s: 0.0,
            duration_s: None,
        };
        SynthConfig {
            subjects: 20,
            runs: 4,
            channels: 32,
            sfreq_hz: 256.0,
            minutes: 5.0,
            target_share: 0.076,
            isi_s: 1.0,
            seed: 2026,
            mains_hz: 60.0,
            faults: FaultPlan::List(vec![detached(2), detached(3)]),
            control: ControlPlan::Subject(14),
            format: OutputFormat::Edf,
        }
    }

    /// Length of each run in whole seconds.
    pub fn duration_s(&self) -> u64 {
        (self.minutes * 60.0).round().max(0.0) as u64
    }

    /// The label of subject `n` (1-based): zero-padded to at least two
    /// digits, `07`.
    pub fn subject_label(&self, n: u32) -> String {
        let width = self.subjects.to_string().len().max(2);
        format!("{n:0width$}")
    }

    /// Checks the settings and fills in every choice left to the seed.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the setting, its value and what is
    /// expected.
    pub fn resolve(&self) -> Result<Resolved, Error> {
        self.check_numbers()?;
        let names = montage::channel_names(self.channels);
        let duration_s = self.duration_s() as f64;

        let control = match self.control {
            ControlPlan::None => None,
            ControlPlan::Subject(n) if (1..=self.subjects).contains(&n) => Some(n),
            ControlPlan::Subject(n) => {
                return Err(config(
                    "control",
                    format!("subject {n}, but there are {} subjects", self.subjects),
                ))
            }
            ControlPlan::Drawn if self.subjects < 2 => None,
            ControlPlan::Drawn => {
                let mut rng = rng::stream(self.seed, 0, 0, Stream::Plan);
                Some(rng.random_range(1..=self.subjects))
            }
        };

        let faults = match &self.faults {
            FaultPlan::OneOfEach => self.one_of_each(control, &names),
            FaultPlan::List(list) => list.clone(),
        };
        let mut resolved = Vec::with_capacity(faults.len());
        for (i, f) in faults.into_iter().enumerate() {
            resolved.push(self.check_fault(i, f, control, &names, duration_s)?);
        }
        Ok(Resolved {
            names,
            duration_s: self.duration_s(),
            events: events_per_recording(duration_s, self.isi_s),
            control,
            faults: resolved,
        })
    }

    fn check_numbers(&self) -> Result<(), Error> {
        if !(1..=999).contains(&self.subjects) {
            return Err(config(
                "subjects",
                format!("{}, expected 1 to 999", self.subjects),
            ));
        }
        if !(1..=99).contains(&self.runs) {
            return Err(config("runs", format!("{}, expected 1 to 99", self.runs)));
        }
        if !(1..=256).contains(&self.channels) {
            return Err(config(
                "channels",
                format!("{}, expected 1 to 256", self.channels),
            ));
        }
        let fs = self.sfreq_hz;
        if !(fs.is_finite() && fs.fract() == 0.0 && (32.0..=8192.0).contains(&fs)) {
            return Err(config(
                "sfreq_hz",
                format!("{fs}, expected a whole number of Hz from 32 to 8192"),
            ));
        }
        if !(self.mains_hz == 50.0 || self.mains_hz == 60.0) {
            return Err(config(
                "mains_hz",
                format!("{}, expected 50 or 60", self.mains_hz),
            ));
        }
        if fs <= 2.0 * self.mains_hz {
            return Err(config(
                "sfreq_hz",
                format!(
                    "{fs} Hz cannot hold {} Hz mains; expected more than {} Hz",
                    self.mains_hz,
                    2.0 * self.mains_hz
                ),
            ));
        }
        if !(self.target_share.is_finite() && (0.0..=1.0).contains(&self.target_share)) {
            return Err(config(
                "target_share",
                format!("{}, expected 0 to 1", self.target_share),
            ));
        }
        if !(self.isi_s.is_finite() && self.isi_s >= 0.2) {
            return Err(config(
                "isi_s",
                format!("{} s, expected at least 0.2 s", self.isi_s),
            ));
        }
        let duration_s = self.duration_s() as f64;
        if !(self.minutes.is_finite() && (10.0..=24.0 * 3600.0).contains(&duration_s)) {
            return Err(config(
                "minutes",
                format!("{}, expected 10 s (0.17) to 24 h (1440)", self.minutes),
            ));
        }
        if events_per_recording(duration_s, self.isi_s) == 0 {
            return Err(config(
                "isi_s",
                format!(
                    "{} s leaves no room for a stimulus in {duration_s} s runs",
                    self.isi_s
                ),
            ));
        }
        // Each worker holds one recording in f64 while generating it.
        let bytes = duration_s * fs * self.channels as f64 * 8.0;
        if bytes > MAX_RECORDING_BYTES {
            return Err(config(
                "minutes",
                format!(
                    "{} min of {} channels at {fs} Hz need {:.1} GB of memory per recording \
                     being generated, more than {:.0} GB; shorten the runs or use fewer channels",
                    self.minutes,
                    self.channels,
                    bytes / 1e9,
                    MAX_RECORDING_BYTES / 1e9
                ),
            ));
        }
        Ok(())
    }

    /// One fault of each kind, on distinct (subject, run, channel) places
    /// drawn from the seed, never on the control subject.
    fn one_of_each(&self, control: Option<u32>, names: &[String]) -> Vec<Fault> {
        let candidates: Vec<u32> = (1..=self.subjects)
            .filter(|&s| Some(s) != control)
            .collect();
        if candidates.is_empty() {
            return Vec::new();
        }
        let mut kinds = vec![
            FaultKind::Mains {
                frequency_hz: None,
                amplitude_uv: 40.0,
            },
            FaultKind::Detached {
                frequency_hz: None,
                amplitude_uv: 50_000.0,
                offset_uv: 80_000.0,
            },
            FaultKind::Flat { value_uv: 0.0 },
            FaultKind::Clipping { limit_uv: 300.0 },
            FaultKind::Bursts {
                count: 6,
                amplitude_uv: 500.0,
            },
            FaultKind::DcOffset {
                offset_uv: 30_000.0,
            },
        ];
        if self.format == OutputFormat::Npy {
            kinds.push(FaultKind::Nan);
            kinds.push(FaultKind::Inf);
        }
        let duration = self.duration_s() as f64;
        let mut rng: ChaCha8Rng = rng::stream(self.seed, 0, 1, Stream::Plan);
        let mut taken: Vec<(u32, u32, usize)> = Vec::new();
        let mut out = Vec::new();
        for kind in kinds {
            // Distinct places while there are enough of them.
            let mut place = (0, 0, 0);
            for _ in 0..64 {
                let s = candidates[rng.random_range(0..candidates.len())];
                let r = rng.random_range(1..=self.runs);
                let c = rng.random_range(0..names.len());
                place = (s, r, c);
                if !taken.contains(&place) {
                    break;
                }
            }
            taken.push(place);
            let (onset_s, duration_s) = match kind {
                FaultKind::Flat { .. } | FaultKind::Clipping { .. } => {
                    let span = (duration / 4.0).floor().max(1.0);
                    let start = rng.random_range(0.0..duration / 2.0).floor();
                    (start, Some(span))
                }
                FaultKind::Nan | FaultKind::Inf => {
                    let start = rng.random_range(0.0..duration - 2.0).floor();
                    (start, Some(2.0))
                }
                _ => (0.0, None),
            };
            out.push(Fault {
                kind,
                subject: place.0,
                run: place.1,
                channels: vec![names[place.2].clone()],
                onset_s,
                duration_s,
            });
        }
        out
    }

    /// Checks one fault and fills in the mains frequency.
    fn check_fault(
        &self,
        i: usize,
        mut f: Fault,
        control: Option<u32>,
        names: &[String],
        duration_s: f64,
    ) -> Result<Fault, Error> {
        let what = format!("fault {} ({})", i + 1, f.kind.name());
        if !(1..=self.subjects).contains(&f.subject) {
            return Err(config(
                &what,
                format!(
                    "subject {}, but there are {} subjects",
                    f.subject, self.subjects
                ),
            ));
        }
        if Some(f.subject) == control {
            return Err(config(
                &what,
                format!(
                    "subject {} is the control subject, which must stay clean; choose another \
                     control or another subject",
                    f.subject
                ),
            ));
        }
        if !(1..=self.runs).contains(&f.run) {
            return Err(config(
                &what,
                format!("run {}, but there are {} runs", f.run, self.runs),
            ));
        }
        if f.channels.is_empty() {
            return Err(config(&what, "names no channel".to_string()));
        }
        for c in &f.channels {
            if !names.contains(c) {
                return Err(config(
                    &what,
                    format!(
                        "channel {c:?} is not one of the {} channels ({}, ...)",
                        names.len(),
                        names.iter().take(4).cloned().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        let end = f.duration_s.map_or(duration_s, |d| f.onset_s + d);
        if !(f.onset_s.is_finite() && f.onset_s >= 0.0 && f.onset_s < duration_s) {
            return Err(config(
                &what,
                format!("onset {} s, expected 0 to {duration_s} s", f.onset_s),
            ));
        }
        if !(end.is_finite() && end > f.onset_s && end <= duration_s) {
            return Err(config(
                &what,
                format!(
                    "duration {:?} s from onset {} s, expected to end after the onset and by \
                     {duration_s} s",
                    f.duration_s, f.onset_s
                ),
            ));
        }
        if matches!(f.kind, FaultKind::Nan | FaultKind::Inf) && self.format == OutputFormat::Edf {
            return Err(config(
                &what,
                "EDF cannot store NaN or Inf; use the npy format".to_string(),
            ));
        }
        let nyquist = self.sfreq_hz / 2.0;
        match &mut f.kind {
            FaultKind::Mains { frequency_hz, .. } | FaultKind::Detached { frequency_hz, .. } => {
                let hz = frequency_hz.unwrap_or(self.mains_hz);
                if !(hz > 0.0 && hz < nyquist) {
                    return Err(config(
                        &what,
                        format!("frequency {hz} Hz, expected above 0 and below {nyquist} Hz"),
                    ));
                }
                *frequency_hz = Some(hz);
            }
            FaultKind::HighAmplitude { gain } if !(*gain > 1.0 && *gain <= 1e4) => {
                return Err(config(
                    &what,
                    format!("gain {gain}, expected above 1 and at most 10000"),
                ));
            }
            FaultKind::LowAmplitude { gain } if !(*gain > 0.0 && *gain < 1.0) => {
                return Err(config(
                    &what,
                    format!("gain {gain}, expected above 0 and below 1"),
                ));
            }
            FaultKind::Clipping { limit_uv } if !(*limit_uv >= 50.0 && *limit_uv <= 3000.0) => {
                return Err(config(
                    &what,
                    format!("limit {limit_uv} µV, expected 50 to 3000 µV"),
                ));
            }
            _ => {}
        }
        if let Some(v) = f.kind.largest_uv() {
            if !(v.is_finite() && v.abs() <= 1e6) {
                return Err(config(
                    &what,
                    format!("{v} µV, expected at most 1 V (1e6 µV) in size"),
                ));
            }
        }
        Ok(f)
    }
}

/// A checked config: everything the generator needs to know.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// Channel labels.
    pub names: Vec<String>,
    /// Length of each run in seconds.
    pub duration_s: u64,
    /// Stimuli per recording.
    pub events: usize,
    /// The control subject.
    pub control: Option<u32>,
    /// Faults, with their mains frequency filled in.
    pub faults: Vec<Fault>,
}

fn config(option: &str, reason: String) -> Error {
    Error::Config {
        option: option.to_string(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_of_each_avoids_the_control_and_fits_the_recordings() {
        let c = SynthConfig {
            subjects: 3,
            format: OutputFormat::Npy,
            ..SynthConfig::default()
        };
        let r = c.resolve().expect("valid");
        let control = r.control.expect("three subjects have a control");
        assert_eq!(r.faults.len(), 8);
        for f in &r.faults {
            assert_ne!(f.subject, control);
            assert!(f.onset_s + f.duration_s.unwrap_or(0.0) <= r.duration_s as f64);
        }
    }

    #[test]
    fn faults_on_the_control_or_unknown_channels_are_refused() {
        let fault = |subject, channel: &str| Fault {
            kind: FaultKind::Flat { value_uv: 0.0 },
            subject,
            run: 1,
            channels: vec![channel.to_string()],
            onset_s: 0.0,
            duration_s: None,
        };
        let c = SynthConfig {
            subjects: 3,
            control: ControlPlan::Subject(2),
            faults: FaultPlan::List(vec![fault(2, "Cz")]),
            ..SynthConfig::default()
        };
        let e = c.resolve().expect_err("control").to_string();
        assert!(e.contains("control subject"), "{e}");
        let c = SynthConfig {
            faults: FaultPlan::List(vec![fault(1, "Xx9")]),
            ..c
        };
        let e = c.resolve().expect_err("channel").to_string();
        assert!(e.contains("\"Xx9\""), "{e}");
        // A gain on the wrong side of 1 for its kind.
        for (kind, says) in [
            (FaultKind::HighAmplitude { gain: 0.5 }, "above 1"),
            (FaultKind::LowAmplitude { gain: 2.0 }, "below 1"),
            (FaultKind::LowAmplitude { gain: 0.0 }, "above 0"),
        ] {
            let c = SynthConfig {
                faults: FaultPlan::List(vec![Fault {
                    kind,
                    ..fault(1, "Cz")
                }]),
                ..c.clone()
            };
            let e = c.resolve().expect_err(says).to_string();
            assert!(e.contains("gain") && e.contains(says), "{e}");
        }
    }

    #[test]
    fn settings_out_of_range_name_the_setting() {
        let bad = [
            SynthConfig {
                subjects: 0,
                ..SynthConfig::default()
            },
            SynthConfig {
                sfreq_hz: 100.5,
                ..SynthConfig::default()
            },
            SynthConfig {
                sfreq_hz: 100.0,
                mains_hz: 60.0,
                ..SynthConfig::default()
            },
            SynthConfig {
                minutes: 0.05,
                ..SynthConfig::default()
            },
            SynthConfig {
                target_share: 1.5,
                ..SynthConfig::default()
            },
        ];
        let fields = [
            "subjects",
            "sfreq_hz",
            "sfreq_hz",
            "minutes",
            "target_share",
        ];
        for (c, field) in bad.iter().zip(fields) {
            let e = c.resolve().expect_err(field).to_string();
            assert!(e.starts_with(field), "{e}");
        }
    }

    #[test]
    fn demo_story_holds() {
        let c = SynthConfig::demo();
        let r = c.resolve().expect("the demo is valid");
        assert_eq!(r.events, 299);
        assert_eq!(r.control, Some(14));
        assert_eq!(r.faults.len(), 2);
        assert!(r
            .faults
            .iter()
            .all(|f| f.subject == 7 && f.channels.len() == 4));
        assert_eq!(c.subject_label(7), "07");
    }
}
