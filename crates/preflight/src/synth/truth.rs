//! `truth.json`: what was planted where, the answer an audit is checked
//! against.
//!
//! # Schema `preflight.truth/1`
//!
//! ```text
//! {
//!   "schema": "preflight.truth/1",
//!   "format": "edf" | "npy",
//!   "seed": 2026, "sfreq_hz": 256.0, "duration_s": 300.0, "mains_hz": 60.0,
//!   "channels": ["Fp1", ...],
//!   "subjects": [{"subject": "01", "gain": 1.21, "control": false}, ...],
//!   "recordings": [{"subject": "01", "run": "1", "recording": "sub-01/eeg/...edf",
//!                   "stimuli": 299, "targets": 23, "examples": [0, 299]}, ...],
//!   "faults": [{"subject": "07", "run": "2", "recording": "sub-07/eeg/...edf",
//!               "channel": "P3", "kind": "detached", "onset_s": 0.0,
//!               "duration_s": 300.0, "frequency_hz": 60.0,
//!               "amplitude_uv": 50000.0, "offset_uv": -71234.5}, ...],
//!   "controls": [{"subject": "14", "run": "1", "recording": "sub-14/eeg/...edf",
//!                 "channel": "*", "kind": "control", "gain": 3.0,
//!                 "must_not_be_flagged": true}, ...]
//! }
//! ```
//!
//! - `recording` is the path relative to the dataset root (`X.npy` in the
//!   NumPy layout, where `examples` gives the half-open range of example
//!   indices `[first, end)` of the recording or of the windows a fault
//!   touches).
//! - `faults` has one entry per (recording, channel): a fault on four
//!   channels of two runs makes eight entries. Parameters appear only where
//!   they apply: `frequency_hz` and `amplitude_uv` (mains, detached,
//!   bursts), `offset_uv` (detached: the offset drawn at onset, signed;
//!   dc_offset), `limit_uv` (clipping: the channel's physical range is
//!   `±limit_uv`), `value_uv` (flat), `bursts` (bursts: `[onset_s,
//!   duration_s]` of each).
//! - `controls` has one entry per recording of the control subject; its
//!   `channel` is `*`, every channel. A detector that flags any of them is
//!   confusing a larger head with a fault.
//! - `subjects[].gain` scales each subject's whole clean signal; typical
//!   subjects range from 1/√3 to √3, the control is 3.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Version of the schema.
pub const SCHEMA: &str = "preflight.truth/1";

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    /// [`SCHEMA`].
    pub schema: String,
    /// `edf` or `npy`.
    pub format: String,
    /// The seed of every draw.
    pub seed: u64,
    /// Sampling rate, Hz.
    pub sfreq_hz: f64,
    /// Length of each recording, s.
    pub duration_s: f64,
    /// Mains frequency of the sidecars, Hz.
    pub mains_hz: f64,
    /// Channel labels, in file order.
    pub channels: Vec<String>,
    /// Every subject.
    pub subjects: Vec<TruthSubject>,
    /// Every recording.
    pub recordings: Vec<TruthRecording>,
    /// Every planted fault, per recording and channel.
    pub faults: Vec<TruthFault>,
    /// The control subject's recordings, which must never be flagged.
    pub controls: Vec<TruthControl>,
}

impl Truth {
    /// Reads a `truth.json`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if it cannot be read, [`Error::Invalid`] if it is not
    /// a `preflight.truth/1` document.
    pub fn read(path: &Path) -> Result<Truth, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let truth: Truth = serde_json::from_str(&text)
            .map_err(|e| Error::invalid(path, "json", format!("not a {SCHEMA} document: {e}")))?;
        if truth.schema != SCHEMA {
            return Err(Error::invalid(
                path,
                "schema",
                format!("{:?}, expected {SCHEMA:?}", truth.schema),
            ));
        }
        Ok(truth)
    }

    /// The faults of one recording.
    pub fn faults_in<'a>(&'a self, recording: &'a str) -> impl Iterator<Item = &'a TruthFault> {
        self.faults.iter().filter(move |f| f.recording == recording)
    }
}

/// One subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthSubject {
    /// Label without `sub-`.
    pub subject: String,
    /// Scale of the subject's clean signal.
    pub gain: f64,
    /// Whether this is the control subject.
    pub control: bool,
}

/// One recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthRecording {
    /// Subject label.
    pub subject: String,
    /// Run label.
    pub run: String,
    /// Path relative to the dataset root.
    pub recording: String,
    /// Number of stimuli.
    pub stimuli: usize,
    /// Number of targets among them.
    pub targets: usize,
    /// Example range `[first, end)` in the NumPy layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<[usize; 2]>,
}

/// One planted fault on one channel of one recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthFault {
    /// Subject label.
    pub subject: String,
    /// Run label.
    pub run: String,
    /// Path relative to the dataset root.
    pub recording: String,
    /// Channel label.
    pub channel: String,
    /// Kind (see [`crate::synth::FaultKind::name`]).
    pub kind: String,
    /// Start, s.
    pub onset_s: f64,
    /// Length, s.
    pub duration_s: f64,
    /// Mains frequency, Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frequency_hz: Option<f64>,
    /// Amplitude, µV (mains fundamental, burst RMS at peak, or RMS of
    /// high-frequency noise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amplitude_uv: Option<f64>,
    /// Offset, µV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset_uv: Option<f64>,
    /// Clipping limit, µV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_uv: Option<f64>,
    /// Value of a flat channel, µV.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_uv: Option<f64>,
    /// Bursts as `[onset_s, duration_s]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bursts: Option<Vec<[f64; 2]>>,
    /// Factor on the EEG of a high- or low-amplitude channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain: Option<f64>,
    /// Examples touched, `[first, end)`, in the NumPy layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<[usize; 2]>,
}

/// One recording of the control subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TruthControl {
    /// Subject label.
    pub subject: String,
    /// Run label.
    pub run: String,
    /// Path relative to the dataset root.
    pub recording: String,
    /// `*`: every channel.
    pub channel: String,
    /// `control`.
    pub kind: String,
    /// The subject's gain.
    pub gain: f64,
    /// Always true.
    pub must_not_be_flagged: bool,
    /// Example range `[first, end)` in the NumPy layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub examples: Option<[usize; 2]>,
}
