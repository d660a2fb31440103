//! The tensor plan: which windows go into a windows × channels × samples
//! tensor, along which channel axis, and which cells of it are masked.
//!
//! One tensor has one channel axis and one sampling rate, so:
//!
//! - the axis is the channels of the recordings that hold the most
//!   windows, at the rate most of those channels share, ordered as the
//!   normalization orders them (by name) when there is one, else as the
//!   file does;
//! - a recording that lacks one of those channels, or has it at another
//!   rate, is left out whole with a [`LeftOut`] naming the file and what
//!   differs; the run goes on with the others (extra channels are
//!   ignored);
//! - recording-level exclusions drop the recording's windows;
//! - channel- and window-level exclusions cannot drop a channel from one
//!   window of a tensor: those cells are filled with 0 (the clean mean,
//!   once normalized) and marked in the mask ([`TensorPlan::is_masked`]),
//!   which a loss or a model can use to ignore them.
//!
//! A NumPy dataset's arrays are already one tensor: its axis is `ch0`,
//! `ch1`, …, its rate the one [`ReadConfig::numpy_sfreq_hz`] gives (0 when
//! unknown).

use std::collections::{BTreeMap, BTreeSet};

use super::preparation::{Normalization, Preparation};
use crate::audit::plan::ExcludeLevel;
use crate::balance::{balance, ClassBalance};
use crate::dataset::{Dataset, Layout};
use crate::read::ReadConfig;
use crate::window::{Locator, WindowSource, Windows};

/// A recording the plan leaves out because it does not fit the tensor.
#[derive(Debug, Clone, PartialEq)]
pub struct LeftOut {
    /// Recording path, relative to the dataset root.
    pub recording: String,
    /// What differs from the plan, in words.
    pub reason: String,
    /// Its windows.
    pub windows: usize,
}

/// How one recording's channels map onto the tensor's.
#[derive(Debug, Clone, PartialEq)]
struct RecordingAxis {
    /// For each tensor channel, its index among the recording's data
    /// channels (the order [`crate::read::WindowSignals::samples`] has).
    source: Vec<usize>,
    /// Tensor channels excluded in this recording (level `channel`).
    masked: Vec<bool>,
}

/// Which windows and channels make the tensor. See the module
/// documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorPlan {
    /// Channel names along the tensor's channel axis.
    pub channels: Vec<String>,
    /// Unit of each channel's values before normalization (`uV`).
    pub units: Vec<String>,
    /// Sampling rate, Hz (0 when a NumPy dataset does not say).
    pub sfreq_hz: f64,
    /// Samples per window.
    pub samples: usize,
    /// Windows kept, as indices into [`Windows::windows`], in their order.
    pub kept: Vec<usize>,
    /// Mean subtracted from each channel (0 without normalization).
    pub mean: Vec<f64>,
    /// Standard deviation each channel is divided by (1 without
    /// normalization).
    pub std: Vec<f64>,
    /// Whether values are normalized.
    pub normalized: bool,
    /// Recordings excluded whole by the audit, and their windows.
    pub excluded: Vec<(String, usize)>,
    /// Recordings left out because they do not fit the tensor.
    pub left_out: Vec<LeftOut>,
    /// Channel-level exclusions: (recording, channel) pairs masked.
    pub masked_channels: usize,
    /// Window-level exclusions masked, and those that matched no window.
    pub masked_windows: (usize, usize),
    /// How a window's event onset follows from its start: `start_s +
    /// onset_shift_s` (the negative of the window's start relative to its
    /// event; 0 for fixed-length windows).
    pub onset_shift_s: Option<f64>,
    /// How samples are read.
    pub read: ReadConfig,
    axes: BTreeMap<u32, RecordingAxis>,
    masked_cells: BTreeSet<(usize, usize)>,
}

impl TensorPlan {
    /// Plans the tensor of `windows` (made from `dataset` by
    /// `preparation.windows`).
    pub fn new(dataset: &Dataset, windows: &Windows, preparation: &Preparation) -> TensorPlan {
        let counts = windows_per_recording(windows);
        let excluded_names: BTreeSet<&str> = preparation
            .exclusions
            .iter()
            .filter(|e| e.level == ExcludeLevel::Recording)
            .flat_map(|e| e.recordings.iter().map(String::as_str))
            .collect();

        // The channel axis, and each recording's place on it.
        let candidates: Vec<u32> = (0..windows.recordings.len() as u32)
            .filter(|&r| counts.get(&r).is_some_and(|&n| n > 0))
            .filter(|&r| !excluded_names.contains(windows.recordings[r as usize].as_str()))
            .collect();
        let (channels, units, sfreq_hz) = if dataset.layout == Layout::Numpy {
            numpy_axis(dataset, &preparation.read)
        } else {
            reference_axis(dataset, &candidates, &counts)
        };
        let (channels, units) = match &preparation.normalization {
            Some(n) => in_normalization_order(channels, units, n),
            None => (channels, units),
        };
        let samples = if dataset.layout == Layout::Numpy {
            dataset.numpy.as_ref().map_or(0, |np| np.samples)
        } else {
            (windows.duration_s * sfreq_hz).round() as usize
        };

        // Normalization per tensor channel.
        let (mut mean, mut std) = (vec![0.0; channels.len()], vec![1.0; channels.len()]);
        if let Some(n) = &preparation.normalization {
            for (k, name) in channels.iter().enumerate() {
                match n.of(name) {
                    Some((m, s)) => (mean[k], std[k]) = (m, s),
                    None => tracing::warn!(
                        "channel {name} has no normalization statistics (the audit did not \
                         measure it); its values stay in µV"
                    ),
                }
            }
        }

        // Which recordings fit, and their channel-level masks.
        let pairs: BTreeSet<(&str, &str)> = preparation
            .exclusions
            .iter()
            .filter(|e| e.level == ExcludeLevel::Channel)
            .flat_map(|e| e.channels.iter().map(|(r, c)| (r.as_str(), c.as_str())))
            .collect();
        let mut axes = BTreeMap::new();
        let mut left_out = Vec::new();
        let mut masked_channels = 0;
        for &r in &candidates {
            let name = windows.recordings[r as usize].as_str();
            let axis = match dataset.layout {
                Layout::Numpy => Ok((0..channels.len()).collect()),
                _ => fit(dataset, r, &channels, sfreq_hz),
            };
            match axis {
                Ok(source) => {
                    let masked: Vec<bool> = channels
                        .iter()
                        .map(|c| pairs.contains(&(name, c.as_str())))
                        .collect();
                    masked_channels += masked.iter().filter(|&&m| m).count();
                    axes.insert(r, RecordingAxis { source, masked });
                }
                Err(reason) => left_out.push(LeftOut {
                    recording: name.to_string(),
                    reason,
                    windows: counts.get(&r).copied().unwrap_or(0),
                }),
            }
        }
        let excluded = (0..windows.recordings.len() as u32)
            .filter(|&r| excluded_names.contains(windows.recordings[r as usize].as_str()))
            .map(|r| {
                (
                    windows.recordings[r as usize].clone(),
                    counts.get(&r).copied().unwrap_or(0),
                )
            })
            .collect();

        let kept: Vec<usize> = (0..windows.windows.len())
            .filter(|&i| axes.contains_key(&windows.windows[i].recording))
            .collect();
        let (masked_cells, unmatched) = window_cells(windows, preparation, &channels, sfreq_hz);
        if unmatched > 0 {
            tracing::warn!(
                "{unmatched} window-level exclusions match no window of the dataset; the \
                 dataset may have changed since the audit"
            );
        }
        let onset_shift_s = match &preparation.windows {
            WindowSource::Events { offset_s, .. } => Some(-offset_s.0),
            WindowSource::Fixed { .. } => Some(0.0),
        }
        .filter(|_| dataset.layout != Layout::Numpy);
        TensorPlan {
            channels,
            units,
            sfreq_hz,
            samples,
            kept,
            mean,
            std,
            normalized: preparation.normalization.is_some(),
            excluded,
            left_out,
            masked_channels,
            masked_windows: (masked_cells.len(), unmatched),
            onset_shift_s,
            read: preparation.read.clone(),
            axes,
            masked_cells,
        }
    }

    /// Whether tensor channel `channel` of window `window` (an index into
    /// [`Windows::windows`]) is excluded and filled with 0.
    pub fn is_masked(&self, windows: &Windows, window: usize, channel: usize) -> bool {
        let by_channel = windows
            .windows
            .get(window)
            .and_then(|w| self.axes.get(&w.recording))
            .is_some_and(|a| a.masked.get(channel).copied().unwrap_or(false));
        by_channel || self.masked_cells.contains(&(window, channel))
    }

    /// For a kept recording, each tensor channel's index among its data
    /// channels; `None` for a recording not in the tensor.
    pub fn source_channels(&self, recording: u32) -> Option<&[usize]> {
        self.axes.get(&recording).map(|a| a.source.as_slice())
    }

    /// Balanced class weights of the kept windows (`n / (k · n_c)`, as
    /// [`crate::balance`] computes them), in the order of
    /// [`Windows::classes`]; classes without a kept window are left out.
    pub fn class_weights(&self, windows: &Windows) -> Vec<ClassBalance> {
        let kept = Windows {
            windows: self.kept.iter().map(|&i| windows.windows[i]).collect(),
            ..windows.clone()
        };
        balance(&kept).classes
    }

    /// Bytes of one window in float32.
    pub fn window_bytes(&self) -> usize {
        self.channels.len() * self.samples * 4
    }
}

/// Channels (with their units) in the normalization's order, by name;
/// channels it did not measure go last.
fn in_normalization_order(
    channels: Vec<String>,
    units: Vec<String>,
    normalization: &Normalization,
) -> (Vec<String>, Vec<String>) {
    let at = |name: &str| {
        normalization
            .channels
            .iter()
            .position(|c| c.channel == name)
            .unwrap_or(usize::MAX)
    };
    let mut paired: Vec<(String, String)> = channels.into_iter().zip(units).collect();
    paired.sort_by(|a, b| at(&a.0).cmp(&at(&b.0)).then(a.0.cmp(&b.0)));
    paired.into_iter().unzip()
}

fn windows_per_recording(windows: &Windows) -> BTreeMap<u32, usize> {
    let mut counts = BTreeMap::new();
    for w in &windows.windows {
        *counts.entry(w.recording).or_insert(0) += 1;
    }
    counts
}

/// The channels (names, units) and rate of the recordings that hold the
/// most windows: the channels of the most common rate among them, in file
/// order.
fn reference_axis(
    dataset: &Dataset,
    candidates: &[u32],
    counts: &BTreeMap<u32, usize>,
) -> (Vec<String>, Vec<String>, f64) {
    // Windows per channel layout (names and rates in file order).
    let mut layouts: BTreeMap<Vec<(String, u64)>, (usize, u32)> = BTreeMap::new();
    for &r in candidates {
        let Some(rec) = dataset.recordings.get(r as usize) else {
            continue;
        };
        let key: Vec<(String, u64)> = rec
            .channels
            .iter()
            .map(|c| (c.name.clone(), c.sfreq_hz.to_bits()))
            .collect();
        let entry = layouts.entry(key).or_insert((0, r));
        entry.0 += counts.get(&r).copied().unwrap_or(0);
    }
    let Some((_, &(_, reference))) = layouts.iter().max_by(|a, b| a.1 .0.cmp(&b.1 .0)) else {
        return (Vec::new(), Vec::new(), 0.0);
    };
    let rec = &dataset.recordings[reference as usize];
    let mut rates: BTreeMap<u64, usize> = BTreeMap::new();
    for c in &rec.channels {
        *rates.entry(c.sfreq_hz.to_bits()).or_insert(0) += 1;
    }
    let rate = rates
        .iter()
        .max_by(|a, b| {
            a.1.cmp(b.1)
                .then(f64::from_bits(*a.0).total_cmp(&f64::from_bits(*b.0)))
        })
        .map_or(0.0, |(bits, _)| f64::from_bits(*bits));
    let others: Vec<&str> = rec
        .channels
        .iter()
        .filter(|c| c.sfreq_hz != rate)
        .map(|c| c.name.as_str())
        .collect();
    if !others.is_empty() {
        tracing::warn!(
            "channels {} are not at {rate} Hz, the rate of the tensor, and are not exported",
            others.join(", ")
        );
    }
    let at_rate = rec.channels.iter().filter(|c| c.sfreq_hz == rate);
    let (names, units) = at_rate.map(|c| (c.name.clone(), c.unit.clone())).unzip();
    (names, units, rate)
}

fn numpy_axis(dataset: &Dataset, read: &ReadConfig) -> (Vec<String>, Vec<String>, f64) {
    let n = dataset.numpy.as_ref().map_or(0, |np| np.channels);
    (
        (0..n).map(|c| format!("ch{c}")).collect(),
        vec!["uV".to_string(); n],
        read.numpy_sfreq_hz.unwrap_or(0.0),
    )
}

/// Where each tensor channel is among recording `r`'s channels, or what
/// differs.
fn fit(
    dataset: &Dataset,
    r: u32,
    channels: &[String],
    sfreq_hz: f64,
) -> Result<Vec<usize>, String> {
    let Some(rec) = dataset.recordings.get(r as usize) else {
        return Err("not a recording of the dataset".to_string());
    };
    let mut source = Vec::with_capacity(channels.len());
    let mut missing = Vec::new();
    let mut rates = Vec::new();
    for name in channels {
        match rec.channels.iter().position(|c| &c.name == name) {
            Some(i) if rec.channels[i].sfreq_hz == sfreq_hz => source.push(i),
            Some(i) => rates.push(format!("{name} at {} Hz", rec.channels[i].sfreq_hz)),
            None => missing.push(name.as_str()),
        }
    }
    let mut why = Vec::new();
    if !missing.is_empty() {
        why.push(format!("lacks channel {}", missing.join(", ")));
    }
    if !rates.is_empty() {
        why.push(format!(
            "has {} (the tensor is at {sfreq_hz} Hz)",
            rates.join(", ")
        ));
    }
    if why.is_empty() {
        Ok(source)
    } else {
        Err(why.join("; "))
    }
}

/// The (window index, tensor channel) cells of window-level exclusions,
/// and how many exclusions matched no window.
fn window_cells(
    windows: &Windows,
    preparation: &Preparation,
    channels: &[String],
    sfreq_hz: f64,
) -> (BTreeSet<(usize, usize)>, usize) {
    let mut cells = BTreeSet::new();
    let Some(e) = preparation
        .exclusions
        .as_ref()
        .filter(|e| e.level == ExcludeLevel::Window && !e.windows.is_empty())
    else {
        return (cells, 0);
    };
    let recording: BTreeMap<&str, u32> = windows
        .recordings
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i as u32))
        .collect();
    // Starts are matched to within half a sample, rows exactly.
    let tolerance_s = if sfreq_hz > 0.0 { 0.5 / sfreq_hz } else { 1e-6 };
    let mut by_recording: BTreeMap<u32, Vec<(f64, u64, usize)>> = BTreeMap::new();
    for (i, w) in windows.windows.iter().enumerate() {
        let (t, row) = match w.locator {
            Locator::Time { start_s } => (start_s, u64::MAX),
            Locator::Row { row } => (f64::NAN, row),
        };
        by_recording
            .entry(w.recording)
            .or_default()
            .push((t, row, i));
    }
    let mut unmatched = 0;
    for x in &e.windows {
        let Some(k) = channels.iter().position(|c| *c == x.channel) else {
            continue;
        };
        let found = recording
            .get(x.recording.as_str())
            .and_then(|r| by_recording.get(r))
            .and_then(|list| {
                list.iter().find(|(t, row, _)| match (x.start_s, x.row) {
                    (_, Some(want)) => *row == want,
                    (Some(want), None) => (t - want).abs() <= tolerance_s,
                    (None, None) => false,
                })
            });
        match found {
            Some(&(_, _, i)) => {
                cells.insert((i, k));
            }
            None => unmatched += 1,
        }
    }
    (cells, unmatched)
}
