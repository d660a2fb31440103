//! The exclusion plan: what to leave out, at the level a user asks.
//!
//! - `recording`: every recording with a finding, whole;
//! - `channel`: each finding's channel in its recording;
//! - `window`: the measured windows in which a finding's channel is an
//!   outlier (the rest of the recording and channel stays).
//!
//! Coarser levels lose more data and need less trust in the detection;
//! `window` keeps the most but leaves the unmeasured windows of a
//! recording that was only sampled unjudged, so it is best with `--full`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::detect::Outlier;
use super::features::FeatureTable;
use super::finding::Finding;
use crate::window::{Locator, Windows};

/// What an exclusion removes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExcludeLevel {
    /// Whole recordings.
    #[default]
    Recording,
    /// Channels of recordings.
    Channel,
    /// Windows of channels.
    Window,
}

impl FromStr for ExcludeLevel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "recording" => Ok(ExcludeLevel::Recording),
            "channel" => Ok(ExcludeLevel::Channel),
            "window" => Ok(ExcludeLevel::Window),
            other => Err(format!(
                "{other:?} is not an exclusion level; expected recording, channel or window"
            )),
        }
    }
}

impl fmt::Display for ExcludeLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ExcludeLevel::Recording => "recording",
            ExcludeLevel::Channel => "channel",
            ExcludeLevel::Window => "window",
        })
    }
}

/// One excluded window of one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExcludedWindow {
    /// Recording path.
    pub recording: String,
    /// Channel name.
    pub channel: String,
    /// Window start, s (`None` for NumPy rows).
    pub start_s: Option<f64>,
    /// NumPy row, when the dataset is arrays.
    pub row: Option<u64>,
}

/// The plan.
///
/// Read back from `report.json` it holds the lists but not the window
/// indices of [`Exclusions::is_excluded`] at level `window`, which only
/// [`plan`] fills: match [`Exclusions::windows`] to the windows instead
/// (as [`crate::export`] does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exclusions {
    /// The level asked.
    pub level: ExcludeLevel,
    /// Whole recordings (level `recording`).
    pub recordings: Vec<String>,
    /// (recording, channel) pairs (level `channel`).
    pub channels: Vec<(String, String)>,
    /// Windows of channels (level `window`).
    pub windows: Vec<ExcludedWindow>,
    /// Window indices per channel name, for [`Exclusions::is_excluded`].
    #[serde(skip)]
    window_cells: BTreeSet<(usize, String)>,
}

/// Builds the plan for `findings` at `level`.
pub fn plan(
    windows: &Windows,
    table: &FeatureTable,
    outliers: &[Outlier],
    findings: &[Finding],
    level: ExcludeLevel,
) -> Exclusions {
    let pairs: BTreeSet<(String, String)> = findings
        .iter()
        .map(|f| (f.recording.clone(), f.channel.clone()))
        .collect();
    let mut out = Exclusions {
        level,
        recordings: Vec::new(),
        channels: Vec::new(),
        windows: Vec::new(),
        window_cells: BTreeSet::new(),
    };
    match level {
        ExcludeLevel::Recording => {
            let set: BTreeSet<String> = pairs.iter().map(|(r, _)| r.clone()).collect();
            out.recordings = set.into_iter().collect();
        }
        ExcludeLevel::Channel => out.channels = pairs.into_iter().collect(),
        ExcludeLevel::Window => {
            let mut cells: BTreeMap<(usize, String), ExcludedWindow> = BTreeMap::new();
            for o in outliers {
                let Some(w) = windows.windows.get(o.window) else {
                    continue;
                };
                let recording = windows.recordings[w.recording as usize].clone();
                let channel = table.channels[o.channel as usize].clone();
                if !pairs.contains(&(recording.clone(), channel.clone())) {
                    continue;
                }
                let (start_s, row) = match w.locator {
                    Locator::Time { start_s } => (Some(start_s), None),
                    Locator::Row { row } => (None, Some(row)),
                };
                cells.insert(
                    (o.window, channel.clone()),
                    ExcludedWindow {
                        recording,
                        channel,
                        start_s,
                        row,
                    },
                );
            }
            out.window_cells = cells.keys().cloned().collect();
            out.windows = cells.into_values().collect();
        }
    }
    out
}

impl Exclusions {
    /// Whether the plan leaves out `channel` of window `window` (an index
    /// into `windows.windows`).
    pub fn is_excluded(&self, windows: &Windows, window: usize, channel: &str) -> bool {
        let Some(w) = windows.windows.get(window) else {
            return false;
        };
        let recording = &windows.recordings[w.recording as usize];
        match self.level {
            ExcludeLevel::Recording => self.recordings.iter().any(|r| r == recording),
            ExcludeLevel::Channel => self
                .channels
                .iter()
                .any(|(r, c)| r == recording && c == channel),
            ExcludeLevel::Window => self.window_cells.contains(&(window, channel.to_string())),
        }
    }

    /// Whether nothing is excluded.
    pub fn is_empty(&self) -> bool {
        self.recordings.is_empty() && self.channels.is_empty() && self.windows.is_empty()
    }

    /// The plan as a tab-separated list with a header: `recording`, or
    /// `recording channel`, or `recording channel start_s row`.
    pub fn to_tsv(&self) -> String {
        let mut s = String::new();
        match self.level {
            ExcludeLevel::Recording => {
                s.push_str("recording\n");
                for r in &self.recordings {
                    s.push_str(r);
                    s.push('\n');
                }
            }
            ExcludeLevel::Channel => {
                s.push_str("recording\tchannel\n");
                for (r, c) in &self.channels {
                    s.push_str(&format!("{r}\t{c}\n"));
                }
            }
            ExcludeLevel::Window => {
                s.push_str("recording\tchannel\tstart_s\trow\n");
                for w in &self.windows {
                    let start = w.start_s.map_or("n/a".to_string(), |t| format!("{t:.3}"));
                    let row = w.row.map_or("n/a".to_string(), |r| r.to_string());
                    s.push_str(&format!("{}\t{}\t{start}\t{row}\n", w.recording, w.channel));
                }
            }
        }
        s
    }
}
