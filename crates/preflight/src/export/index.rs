//! The layout of an export folder and its `index.json`.
//!
//! ```text
//! OUT/
//!   X-00000.npy         float32, windows × channels × samples (normalized)
//!   y-00000.npy         int64, class of each window (index into classes)
//!   groups-00000.npy    unicode, subject of each window ("07")
//!   mask-00000.npy      uint8, windows × channels: 1 data, 0 excluded (X is 0)
//!   X-00001.npy …       the next shard, same shapes but the first axis
//!   windows.tsv         shard, row, recording, subject, class, start_s, onset_s, example
//!   index.json          this module's ExportIndex (schema preflight.export/1)
//!   normalization.json  the statistics X was normalized with, in X's channel order
//! ```
//!
//! Shards hold consecutive windows in dataset order (by recording, then
//! time); the last may be shorter. Every file is written to a temporary
//! file in OUT and renamed into place.

use serde::Serialize;

use super::plan::{LeftOut, TensorPlan};
use crate::balance::ClassBalance;
use crate::window::{Locator, Windows};

/// The schema name of [`ExportIndex`].
pub const EXPORT_SCHEMA: &str = "preflight.export/1";

/// Largest X shard by default, bytes (256 MiB).
pub const SHARD_BYTES: usize = 256 << 20;

/// Windows per shard so that an X shard stays within [`SHARD_BYTES`]
/// (at least one).
pub fn default_shard_windows(plan: &TensorPlan) -> usize {
    (SHARD_BYTES / plan.window_bytes().max(1)).max(1)
}

/// File name of array `kind` (`X`, `y`, `groups`, `mask`) of shard
/// `shard`.
pub fn shard_file(kind: &str, shard: usize) -> String {
    format!("{kind}-{shard:05}.npy")
}

/// One shard in [`ExportIndex::shards`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShardEntry {
    /// Windows (rows) in the shard.
    pub windows: usize,
    /// Row of its first window among all exported windows.
    pub first: usize,
    /// The X file.
    pub x: String,
    /// The y file.
    pub y: String,
    /// The groups file.
    pub groups: String,
    /// The mask file.
    pub mask: String,
}

impl ShardEntry {
    /// The entry of shard `shard` of `windows` rows from row `first`.
    pub fn new(shard: usize, first: usize, windows: usize) -> ShardEntry {
        ShardEntry {
            windows,
            first,
            x: shard_file("X", shard),
            y: shard_file("y", shard),
            groups: shard_file("groups", shard),
            mask: shard_file("mask", shard),
        }
    }
}

/// A recording left out, in [`ExportIndex::left_out`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LeftOutEntry {
    /// Recording path.
    pub recording: String,
    /// `excluded` (by the audit), `does_not_fit` or `unreadable`.
    pub why: &'static str,
    /// In words.
    pub reason: String,
    /// Its windows.
    pub windows: usize,
}

/// `index.json`: what an export folder holds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportIndex {
    /// [`EXPORT_SCHEMA`].
    pub schema: &'static str,
    /// The dataset path given.
    pub dataset: String,
    /// The audit: the report's path, `in-process`, or `none`.
    pub audit: String,
    /// Windows exported (rows of all shards).
    pub windows: usize,
    /// Shape of one window: `[channels, samples]`.
    pub window_shape: [usize; 2],
    /// `float32`.
    pub dtype: &'static str,
    /// Channel names along X's second axis.
    pub channels: Vec<String>,
    /// Unit of each channel before normalization.
    pub units: Vec<String>,
    /// Sampling rate, Hz (0 when unknown).
    pub sfreq_hz: f64,
    /// Window length, s.
    pub window_s: f64,
    /// Whether X is normalized (`(x − mean) / std`), else µV.
    pub normalized: bool,
    /// Mean subtracted per channel.
    pub mean: Vec<f64>,
    /// Standard deviation divided by per channel.
    pub std: Vec<f64>,
    /// The normalization file, when normalized.
    pub normalization: Option<String>,
    /// Class names; `y` holds their indices.
    pub classes: Vec<String>,
    /// Windows, share and balanced weight per class, of the windows the
    /// plan kept (those that could not be read included).
    pub class_weights: Vec<ClassBalance>,
    /// Subject labels, as `groups` holds them.
    pub subjects: Vec<String>,
    /// The shards, in order.
    pub shards: Vec<ShardEntry>,
    /// The table of every exported window.
    pub windows_file: String,
    /// The exclusion level of the audit (`recording`, `channel`, `window`;
    /// `none` without an audit).
    pub exclusion_level: String,
    /// Recordings whose windows are not exported, with the reason.
    pub left_out: Vec<LeftOutEntry>,
    /// Cells (window × channel) masked: zero in X, 0 in the mask.
    pub masked_cells: u64,
    /// Windows that could not be read, so not exported.
    pub unreadable_windows: usize,
    /// Non-finite samples in X, per channel (left as they are).
    pub non_finite: Vec<u64>,
}

impl ExportIndex {
    /// Recordings the plan leaves out, as index entries.
    pub fn left_out(plan: &TensorPlan) -> Vec<LeftOutEntry> {
        let mut out: Vec<LeftOutEntry> = plan
            .excluded
            .iter()
            .map(|(recording, windows)| LeftOutEntry {
                recording: recording.clone(),
                why: "excluded",
                reason: "excluded by the audit".to_string(),
                windows: *windows,
            })
            .collect();
        out.extend(plan.left_out.iter().map(|l: &LeftOut| LeftOutEntry {
            recording: l.recording.clone(),
            why: "does_not_fit",
            reason: l.reason.clone(),
            windows: l.windows,
        }));
        out.sort_by(|a, b| a.recording.cmp(&b.recording));
        out
    }
}

/// The header of `windows.tsv`.
pub const WINDOWS_TSV_HEADER: &str =
    "shard\trow\trecording\tsubject\tclass\tstart_s\tonset_s\texample\n";

/// One line of `windows.tsv`: row `row` of shard `shard` is window
/// `index` of `windows`, with event onset `onset_s`.
pub fn windows_tsv_line(
    windows: &Windows,
    index: usize,
    onset_s: Option<f64>,
    shard: usize,
    row: usize,
) -> String {
    let w = windows.windows[index];
    let (start, example) = match w.locator {
        Locator::Time { start_s } => (format!("{start_s:.6}"), "n/a".to_string()),
        Locator::Row { row } => ("n/a".to_string(), row.to_string()),
    };
    let onset = onset_s.map_or("n/a".to_string(), |t| format!("{t:.6}"));
    format!(
        "{shard}\t{row}\t{}\t{}\t{}\t{start}\t{onset}\t{example}\n",
        windows.recordings[w.recording as usize],
        windows.subjects[w.subject as usize],
        windows.classes[w.class as usize],
    )
}
