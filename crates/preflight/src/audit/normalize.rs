//! What to normalize with: per-channel statistics of the clean data, and
//! how badly the outliers would have squashed it.
//!
//! The windows measured (the sample, or every window with `--full`) are
//! decoded once more and every finite sample is fed to the moments of all
//! samples and to the moments and quantile sketch of the clean ones (those
//! the exclusion plan keeps). Mean and standard deviation come from
//! [`Moments`] (exact, numerically stable), median and IQR from the
//! [`QuantileSketch`] (within its relative accuracy, 0.5% by default).
//!
//! The same pass fills the amplitude histograms of the report
//! ([`normalization_and_histograms`]): per channel, one of its clean
//! windows and one of its flagged windows.
//!
//! Two numbers say what leaving the outliers in would cost:
//!
//! - the compression factor `std(all) / std(clean)`: how many times
//!   smaller the clean signal is after z-scoring with the polluted
//!   statistics;
//! - the clean share: the clean signal's central 99% range
//!   (`q99.5 − q0.5`) over the whole range of all samples (`max − min`),
//!   the share of the normalized value range the real signal would
//!   occupy, the rest being taken by outliers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::figures::ChannelHistograms;
use crate::dataset::Dataset;
use crate::measure::histogram::AmplitudeHistogram;
use crate::measure::moments::Moments;
use crate::measure::sketch::QuantileSketch;
use crate::read::{fold_windows, ReadConfig, ReadError, WindowSignals};
use crate::window::Windows;

/// Normalization statistics of one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChannelNormalization {
    /// Channel name.
    pub channel: String,
    /// Unit of the statistics (`uV` for voltages).
    pub unit: String,
    /// Clean samples measured.
    pub samples: u64,
    /// Mean of the clean samples.
    pub mean: Option<f64>,
    /// Standard deviation (ddof 0) of the clean samples.
    pub std: Option<f64>,
    /// Median of the clean samples.
    pub median: Option<f64>,
    /// Interquartile range of the clean samples.
    pub iqr: Option<f64>,
    /// All samples measured, outliers included.
    pub samples_all: u64,
    /// Mean of all samples.
    pub mean_all: Option<f64>,
    /// Standard deviation of all samples.
    pub std_all: Option<f64>,
    /// `std_all / std`.
    pub compression: Option<f64>,
    /// `(q99.5 − q0.5 of clean) / (max − min of all)`.
    pub clean_share: Option<f64>,
}

struct Acc {
    unit: String,
    clean_hist: AmplitudeHistogram,
    flagged_hist: AmplitudeHistogram,
    all: Moments,
    clean: Moments,
    clean_sketch: QuantileSketch,
}

impl Default for Acc {
    fn default() -> Self {
        Acc {
            unit: String::new(),
            clean_hist: AmplitudeHistogram::new(),
            flagged_hist: AmplitudeHistogram::new(),
            all: Moments::new(),
            clean: Moments::new(),
            clean_sketch: QuantileSketch::new(),
        }
    }
}

impl Acc {
    fn merge(&mut self, other: Acc) {
        if self.unit.is_empty() {
            self.unit = other.unit;
        }
        self.clean_hist.merge(&other.clean_hist);
        self.flagged_hist.merge(&other.flagged_hist);
        self.all.merge(&other.all);
        self.clean.merge(&other.clean);
        self.clean_sketch.merge(&other.clean_sketch);
    }
}

/// Measures the normalization of `indices` (into `windows.windows`),
/// calling `is_excluded(window index, channel name)` to tell clean samples
/// from the rest. Channels come out in name order.
pub fn normalization<E>(
    dataset: &Dataset,
    windows: &Windows,
    indices: &[usize],
    config: &ReadConfig,
    is_excluded: E,
) -> (Vec<ChannelNormalization>, Vec<ReadError>)
where
    E: Fn(usize, &str) -> bool + Sync,
{
    let (channels, _, errors) =
        normalization_and_histograms(dataset, windows, indices, config, is_excluded, |_, _| false);
    (channels, errors)
}

/// As [`normalization`], with the amplitude histograms of each channel
/// on the way: the samples of windows where `is_flagged(window index,
/// channel name)` go to the flagged histogram, the others to the clean
/// one.
pub fn normalization_and_histograms<E, F>(
    dataset: &Dataset,
    windows: &Windows,
    indices: &[usize],
    config: &ReadConfig,
    is_excluded: E,
    is_flagged: F,
) -> (
    Vec<ChannelNormalization>,
    Vec<ChannelHistograms>,
    Vec<ReadError>,
)
where
    E: Fn(usize, &str) -> bool + Sync,
    F: Fn(usize, &str) -> bool + Sync,
{
    let fold = |acc: &mut BTreeMap<String, Acc>, s: &WindowSignals<'_>| {
        for (info, samples) in s.channels.iter().zip(s.samples) {
            let a = acc.entry(info.name.clone()).or_default();
            if a.unit.is_empty() {
                a.unit = info.unit.clone();
            }
            a.all.push(samples);
            if is_flagged(s.index, &info.name) {
                a.flagged_hist.push(samples);
            } else {
                a.clean_hist.push(samples);
            }
            if !is_excluded(s.index, &info.name) {
                a.clean.push(samples);
                a.clean_sketch.push(samples);
            }
        }
    };
    let merge = |total: &mut BTreeMap<String, Acc>, part: BTreeMap<String, Acc>| {
        for (name, a) in part {
            total.entry(name).or_default().merge(a);
        }
    };
    let (accs, errors) = fold_windows(
        dataset,
        windows,
        indices,
        config,
        BTreeMap::new,
        fold,
        merge,
    );

    let mut histograms = Vec::with_capacity(accs.len());
    let channels = accs
        .into_iter()
        .map(|(channel, a)| {
            histograms.push(ChannelHistograms {
                channel: channel.clone(),
                clean: a.clean_hist,
                flagged: a.flagged_hist,
            });
            let std = a.clean.std(0);
            let std_all = a.all.std(0);
            let range_all = match (a.all.min(), a.all.max()) {
                (Some(lo), Some(hi)) if hi > lo => Some(hi - lo),
                _ => None,
            };
            let central = match (
                a.clean_sketch.quantile(0.005),
                a.clean_sketch.quantile(0.995),
            ) {
                (Some(lo), Some(hi)) => Some(hi - lo),
                _ => None,
            };
            ChannelNormalization {
                channel,
                unit: a.unit,
                samples: a.clean.count(),
                mean: a.clean.mean(),
                std,
                median: a.clean_sketch.quantile(0.5),
                iqr: a.clean_sketch.iqr(),
                samples_all: a.all.count(),
                mean_all: a.all.mean(),
                std_all,
                compression: match (std_all, std) {
                    (Some(all), Some(clean)) if clean > 0.0 => Some(all / clean),
                    _ => None,
                },
                clean_share: match (central, range_all) {
                    (Some(c), Some(r)) => Some((c / r).min(1.0)),
                    _ => None,
                },
            }
        })
        .collect();
    (channels, histograms, errors)
}

/// The schema name of [`NormalizationFile`].
pub const NORMALIZATION_SCHEMA: &str = "preflight.normalization/1";

/// `normalization.json`: per-channel statistics in parallel arrays, ready
/// for `torchvision.transforms.Normalize(mean, std)` or `(x - mean) / std`
/// on arrays of channels × samples, with the robust alternative
/// (`(x - median) / iqr`) beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NormalizationFile {
    /// [`NORMALIZATION_SCHEMA`].
    pub schema: &'static str,
    /// What the statistics were measured on: `sample` or `full`.
    pub measured_on: &'static str,
    /// The exclusion level applied before measuring.
    pub excluded: String,
    /// Channel names, in the order of every array below.
    pub channels: Vec<String>,
    /// Unit of each channel's statistics.
    pub units: Vec<String>,
    /// Mean of the clean samples (0 when none).
    pub mean: Vec<f64>,
    /// Standard deviation of the clean samples (1 when undefined or 0, so
    /// that dividing by it is harmless; `std_defined` says which).
    pub std: Vec<f64>,
    /// Whether each `std` was measured (false: set to 1).
    pub std_defined: Vec<bool>,
    /// Median of the clean samples.
    pub median: Vec<f64>,
    /// Interquartile range of the clean samples (1 when undefined or 0).
    pub iqr: Vec<f64>,
    /// Clean samples per channel.
    pub samples: Vec<u64>,
}

impl NormalizationFile {
    /// The file for `channels`, measured on the sample or in full, after
    /// exclusions at `excluded`.
    pub fn new(channels: &[ChannelNormalization], full: bool, excluded: &str) -> Self {
        let usable = |v: Option<f64>| v.filter(|s| s.is_finite() && *s > 0.0);
        NormalizationFile {
            schema: NORMALIZATION_SCHEMA,
            measured_on: if full { "full" } else { "sample" },
            excluded: excluded.to_string(),
            channels: channels.iter().map(|c| c.channel.clone()).collect(),
            units: channels.iter().map(|c| c.unit.clone()).collect(),
            mean: channels.iter().map(|c| c.mean.unwrap_or(0.0)).collect(),
            std: channels
                .iter()
                .map(|c| usable(c.std).unwrap_or(1.0))
                .collect(),
            std_defined: channels.iter().map(|c| usable(c.std).is_some()).collect(),
            median: channels.iter().map(|c| c.median.unwrap_or(0.0)).collect(),
            iqr: channels
                .iter()
                .map(|c| usable(c.iqr).unwrap_or(1.0))
                .collect(),
            samples: channels.iter().map(|c| c.samples).collect(),
        }
    }
}
