//! Dataset discovery: which subjects, recordings, channels and events a path
//! holds.
//!
//! [`discover`] accepts a BIDS EEG/iEEG folder ([`bids`]), a plain folder of
//! EDF/BDF files ([`folder`]), a single EDF/BDF file, or a NumPy dataset
//! ([`numpy`]). It reads headers and annotations only, never samples, so it
//! is fast at any dataset size; with [`DiscoverConfig::read_every_record`]
//! off, it skips the annotations that a BIDS `events.tsv` makes
//! unnecessary. A file that cannot be read becomes an
//! [`Unreadable`] entry with its reason, and the rest of the dataset loads.

pub mod bids;
mod channels;
pub mod folder;
mod inherit;
pub mod numpy;
mod prefetch;
mod recording;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Error;

pub use channels::channel_type_from_label;
pub use recording::open_recording;

/// How a dataset was laid out on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Layout {
    /// A BIDS EEG or iEEG dataset.
    Bids,
    /// A folder of EDF/BDF files.
    Folder,
    /// A single EDF/BDF file.
    File,
    /// `X.npy` (examples × channels × samples) with `y.npy`.
    Numpy,
}

/// Settings for [`discover`].
#[derive(Debug, Clone)]
pub struct DiscoverConfig {
    /// A regular expression with a named group `subject`, matched against
    /// each file's path relative to the dataset root (with `/` separators).
    /// Default: the BIDS `sub-` entity of the file name, else the parent
    /// folder's name.
    pub subject_pattern: Option<regex::Regex>,
    /// Column of `events.tsv` holding the event label.
    pub label_column: String,
    /// Read the time-keeping annotation of every data record of every
    /// EDF+/BDF+ file now (the default), which proves each EDF+C file
    /// continuous before anything is decoded. When false, a BIDS recording
    /// with an `events.tsv` is opened with [`edf::Edf::open_lazily`]: only
    /// its first and last record are checked here, and the records in
    /// between when they are decoded ([`crate::read`]). A sampled reader
    /// then touches a few pages of each file instead of all of them.
    pub read_every_record: bool,
}

impl Default for DiscoverConfig {
    fn default() -> Self {
        DiscoverConfig {
            subject_pattern: None,
            label_column: "trial_type".to_string(),
            read_every_record: true,
        }
    }
}

/// A dataset: its recordings (or NumPy arrays), and what could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    /// The path given.
    pub root: PathBuf,
    /// How it is laid out.
    pub layout: Layout,
    /// Recordings, sorted by path.
    pub recordings: Vec<Recording>,
    /// The NumPy arrays, for [`Layout::Numpy`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub numpy: Option<numpy::NumpyDataset>,
    /// `participants.tsv` of a BIDS dataset: participant id → column → value.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub participants: BTreeMap<String, BTreeMap<String, String>>,
    /// Files that could not be read (or only in part), with the reason.
    pub unreadable: Vec<Unreadable>,
}

impl Dataset {
    /// Subjects in order, each with its recordings.
    pub fn subjects(&self) -> BTreeMap<&str, Vec<&Recording>> {
        let mut map: BTreeMap<&str, Vec<&Recording>> = BTreeMap::new();
        for r in &self.recordings {
            map.entry(r.subject.as_str()).or_default().push(r);
        }
        map
    }
}

/// A file that could not be read, or a sidecar that was ignored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unreadable {
    /// Path relative to the dataset root.
    pub path: PathBuf,
    /// Why, naming the field or record at fault.
    pub reason: String,
}

/// One recording: a file of continuous signals.
#[derive(Debug, Clone, Serialize)]
pub struct Recording {
    /// Path relative to the dataset root.
    pub path: PathBuf,
    /// Subject label (without `sub-`).
    pub subject: String,
    /// BIDS session, task, acquisition and run, when the name has them.
    pub session: Option<String>,
    /// BIDS task.
    pub task: Option<String>,
    /// BIDS acquisition.
    pub acquisition: Option<String>,
    /// BIDS run.
    pub run: Option<String>,
    /// File format as the header announces it: `EDF`, `EDF+C`, `EDF+D`,
    /// `BDF`, `BDF+C`, `BDF+D`.
    pub format: String,
    /// Data channels in file order (annotation signals excluded).
    pub channels: Vec<Channel>,
    /// Recorded time in seconds (complete records only; gaps excluded).
    pub duration_s: f64,
    /// Time not recorded between records of an EDF+D file, in seconds.
    pub gaps_s: f64,
    /// Where that time lies: each gap's start (seconds after the first
    /// sample, on the file's clock) and length.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<GapSpan>,
    /// File size in bytes.
    pub bytes: u64,
    /// Events, from `events.tsv` when present, else EDF+ annotations.
    pub events: Vec<Event>,
    /// Where the events came from.
    pub events_source: EventsSource,
    /// Warnings from the reader (truncation, unusual header fields).
    pub warnings: Vec<String>,
    /// The mains frequency its BIDS sidecar declares
    /// (`PowerLineFrequency` of `*_eeg.json` or `*_ieeg.json`), Hz.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub power_line_hz: Option<f64>,
}

impl Recording {
    /// Number of events per label.
    pub fn event_counts(&self) -> BTreeMap<&str, usize> {
        let mut counts = BTreeMap::new();
        for e in &self.events {
            *counts.entry(e.label.as_str()).or_insert(0) += 1;
        }
        counts
    }
}

/// One channel of a recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Channel {
    /// Position of the signal in the file (annotation signals counted).
    pub signal: usize,
    /// Name (the EDF label, trailing spaces removed).
    pub name: String,
    /// BIDS channel type (`EEG`, `EOG`, `ECG`, `EMG`, `SEEG`, `ECOG`,
    /// `TRIG`, `MISC`, ...): from `channels.tsv`, else guessed from the
    /// label.
    pub kind: String,
    /// Sampling rate in Hz.
    pub sfreq_hz: f64,
    /// Unit values are reported in (`uV` for voltages).
    pub unit: String,
    /// BIDS status (`good`/`bad`) from `channels.tsv`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// BIDS status description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_description: Option<String>,
}

/// A stretch of an EDF+D recording's clock in which nothing was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GapSpan {
    /// Start, in seconds after the first sample.
    pub start_s: f64,
    /// Length in seconds.
    pub duration_s: f64,
}

/// One event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    /// Onset in seconds after the first sample.
    pub onset_s: f64,
    /// Duration in seconds (0 when none is given).
    pub duration_s: f64,
    /// Label: the `trial_type` (or chosen) column, or the annotation text.
    pub label: String,
}

/// Where a recording's events came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventsSource {
    /// A BIDS `events.tsv`.
    EventsTsv,
    /// EDF+ annotations.
    Annotations,
    /// No events.
    None,
}

/// Finds what a path holds. See the module documentation.
///
/// # Errors
///
/// [`Error::Io`] if the path cannot be read, [`Error::NotADataset`] if it
/// holds no recordings or arrays, [`Error::Invalid`] for a NumPy dataset
/// whose arrays are malformed or contradict each other, and the file's
/// error when `path` is a single EDF/BDF file that cannot be read.
pub fn discover(path: &Path, config: &DiscoverConfig) -> Result<Dataset, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_file() {
        return if is_npy(path) {
            numpy::discover(path)
        } else {
            folder::single_file(path, config)
        };
    }
    if path.join("X.npy").is_file() {
        return numpy::discover(path);
    }
    if bids::is_bids(path) {
        bids::discover(path, config)
    } else {
        folder::discover(path, config)
    }
}

/// Whether a file name ends in `.edf` or `.bdf` (any case).
pub fn is_edf_or_bdf(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("edf") || e.eq_ignore_ascii_case("bdf"))
}

fn is_npy(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("npy"))
}

/// `path` relative to `root`, or `path` itself if it is not inside.
pub(crate) fn relative(path: &Path, root: &Path) -> PathBuf {
    path.strip_prefix(root)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// A message without the leading `path: ` that errors start with, for
/// tables that already show the path.
pub(crate) fn reason_without_path(message: &str, path: &Path) -> String {
    let prefix = format!("{}: ", path.display());
    message.strip_prefix(&prefix).unwrap_or(message).to_string()
}
