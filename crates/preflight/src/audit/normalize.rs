//! What to normalize with: per-channel statistics of the clean data, and
//! how badly the outliers would have squashed it.
//!
//! The windows measured (the sample, or every window with `--full`) feed,
//! in the pass that measures their features, the moments, histogram and
//! sketch of all samples and the moments of each window
//! ([`NormalizationSums`]); once the exclusion plan is known, those give
//! the statistics of the clean samples (those the plan keeps), with only
//! the flagged or excluded windows decoded again. Mean and standard deviation come from
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

use std::cell::RefCell;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::figures::ChannelHistograms;
use crate::dataset::Dataset;
use crate::measure::histogram::{AmplitudeHistogram, HistogramBin};
use crate::measure::moments::Moments;
use crate::measure::sketch::{QuantileSketch, SketchBucket, SketchConfig};
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

/// What the measuring pass keeps of one channel (by name, across
/// recordings) for its normalization: the statistics of every sample,
/// which need no plan, and the moments of each window, from which the
/// clean ones are combined once the plan is known.
struct ChannelSums {
    unit: String,
    /// Every sample measured, outliers included.
    all: Moments,
    /// Amplitude histogram of every sample.
    hist: AmplitudeHistogram,
    /// Sketch of every sample.
    sketch: QuantileSketch,
    /// Moments of each window's samples, by window index.
    cells: Vec<(usize, Moments)>,
}

impl Default for ChannelSums {
    fn default() -> Self {
        ChannelSums {
            unit: String::new(),
            hist: AmplitudeHistogram::new(),
            all: Moments::new(),
            sketch: QuantileSketch::new(),
            cells: Vec::new(),
        }
    }
}

impl ChannelSums {
    fn merge(&mut self, other: ChannelSums) {
        if self.unit.is_empty() {
            self.unit = other.unit;
        }
        self.all.merge(&other.all);
        self.hist.merge(&other.hist);
        self.sketch.merge(&other.sketch);
        self.cells.extend(other.cells);
    }
}

/// The normalization statistics of the measured windows before the
/// exclusion plan is known, gathered in the same pass as the features.
///
/// Every sample goes once into the per-channel moments, amplitude
/// histogram and quantile sketch of all samples, and each window ×
/// channel keeps its own moments. Once the plan is known,
/// [`NormalizationSums::finish`] combines the moments of the clean
/// windows, and takes the clean histogram and sketch as those of all
/// samples less those of the flagged or excluded windows, which it decodes
/// again: only those, a small part of the sample, because histograms and
/// sketches hold integer counts and subtract exactly. The result equals a
/// second pass over the clean samples: counts, histograms, medians and
/// IQRs exactly, means and standard deviations within float rounding (the
/// clean moments are merged per window instead of pushed sample by
/// sample).
///
/// Memory: the moments of one window × channel (72 bytes) per measured
/// cell, beside the feature table's own row for it.
#[derive(Default)]
pub struct NormalizationSums {
    channels: BTreeMap<String, ChannelSums>,
}

thread_local! {
    /// Each thread's [`BinCache`], kept from one recording to the next.
    static BINS: RefCell<Option<BinCache>> = const { RefCell::new(None) };
}

/// Slots of [`BinCache`]: a power of two.
const CACHE_SLOTS: usize = 16384;

/// Where recent values went in the histogram and the sketch, by their f32
/// bits: a direct-mapped cache. Decoded EEG takes few distinct values (a
/// 16-bit code times a gain), so most samples find their bins here instead
/// of taking a logarithm for the sketch and a table walk for the
/// histogram. The answer is the one computed for the same bits, so the
/// counts are exactly those of pushing every sample. The sketch buckets
/// hold for one sketch configuration, which the cache remembers; every
/// sketch of a [`NormalizationSums`] has the default one, so one cache
/// serves all channels.
struct BinCache {
    config: SketchConfig,
    slots: Vec<CachedBins>,
}

#[derive(Clone, Copy)]
struct CachedBins {
    bits: u32,
    hist: HistogramBin,
    sketch: SketchBucket,
}

impl BinCache {
    fn new(sketch: &QuantileSketch) -> BinCache {
        // Every slot starts as the answer for +0.0, whose bits are 0.
        let zero = CachedBins {
            bits: 0,
            hist: AmplitudeHistogram::bin(0.0),
            sketch: sketch.bucket(0.0),
        };
        BinCache {
            config: sketch.config(),
            slots: vec![zero; CACHE_SLOTS],
        }
    }

    /// Adds `samples` to `hist` and `sketch`.
    fn push(
        &mut self,
        samples: &[f32],
        hist: &mut AmplitudeHistogram,
        sketch: &mut QuantileSketch,
    ) {
        for &x in samples {
            let bits = x.to_bits();
            // Fibonacci hashing: the top bits of the product.
            let slot =
                (bits.wrapping_mul(0x9E37_79B1) >> (32 - CACHE_SLOTS.trailing_zeros())) as usize;
            let cached = &mut self.slots[slot];
            if cached.bits != bits {
                let v = f64::from(x);
                *cached = CachedBins {
                    bits,
                    hist: AmplitudeHistogram::bin(v),
                    sketch: sketch.bucket(v),
                };
            }
            hist.add_bin(cached.hist, 1);
            sketch.add_bucket(cached.sketch, 1);
        }
    }
}

impl NormalizationSums {
    /// Adds one decoded window.
    pub fn add(&mut self, s: &WindowSignals<'_>) {
        let moments: Vec<Moments> = s.samples.iter().map(|x| Moments::of(x)).collect();
        self.add_measured(s, &moments);
    }

    /// Adds one decoded window whose channels' moments (in the order of
    /// its channels) are known already.
    pub fn add_measured(&mut self, s: &WindowSignals<'_>, moments: &[Moments]) {
        for ((info, samples), cell) in s.channels.iter().zip(s.samples).zip(moments) {
            // Looked up before inserting: the name is cloned once per
            // channel of the dataset, not once per window.
            let c = match self.channels.get_mut(&info.name) {
                Some(c) => c,
                None => self.channels.entry(info.name.clone()).or_default(),
            };
            if c.unit.is_empty() {
                c.unit = info.unit.clone();
            }
            c.all.merge(cell);
            BINS.with_borrow_mut(|bins| {
                let bins = match bins {
                    Some(b) if b.config == c.sketch.config() => b,
                    _ => bins.insert(BinCache::new(&c.sketch)),
                };
                bins.push(samples, &mut c.hist, &mut c.sketch);
            });
            c.cells.push((s.index, cell.clone()));
        }
    }

    /// Adds the sums of other windows.
    pub fn merge(&mut self, other: NormalizationSums) {
        for (name, c) in other.channels {
            self.channels.entry(name).or_default().merge(c);
        }
    }

    /// The normalization and the amplitude histograms once the plan is
    /// known: `is_excluded(window index, channel name)` tells the samples
    /// left out of the clean statistics, `is_flagged` those that go to the
    /// flagged histogram instead of the clean one. The windows with such a
    /// cell are decoded again from `dataset`; errors in doing so are
    /// returned (the same windows decoded in the measuring pass, so an
    /// error means a file changed in between, and the clean histogram and
    /// sketch then still hold that window's samples). Channels come out
    /// in name order.
    pub fn finish<E, F>(
        self,
        dataset: &Dataset,
        windows: &Windows,
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
        // The windows that hold a flagged or excluded cell.
        let mut special: Vec<usize> = self
            .channels
            .iter()
            .flat_map(|(name, c)| {
                c.cells
                    .iter()
                    .filter(|(w, _)| is_excluded(*w, name) || is_flagged(*w, name))
                    .map(|(w, _)| *w)
            })
            .collect();
        special.sort_unstable();
        special.dedup();

        // Their flagged histograms and excluded sketches, to take out.
        type Parts = BTreeMap<String, (AmplitudeHistogram, QuantileSketch)>;
        let fold = |acc: &mut Parts, s: &WindowSignals<'_>| {
            for (info, samples) in s.channels.iter().zip(s.samples) {
                let flagged = is_flagged(s.index, &info.name);
                let excluded = is_excluded(s.index, &info.name);
                if !(flagged || excluded) {
                    continue;
                }
                let (hist, sketch) = acc
                    .entry(info.name.clone())
                    .or_insert_with(|| (AmplitudeHistogram::new(), QuantileSketch::new()));
                if flagged {
                    hist.push(samples);
                }
                if excluded {
                    sketch.push(samples);
                }
            }
        };
        let merge = |total: &mut Parts, part: Parts| {
            for (name, (h, q)) in part {
                let (th, tq) = total
                    .entry(name)
                    .or_insert_with(|| (AmplitudeHistogram::new(), QuantileSketch::new()));
                th.merge(&h);
                tq.merge(&q);
            }
        };
        let (parts, errors) = fold_windows(
            dataset,
            windows,
            &special,
            config,
            BTreeMap::new,
            fold,
            merge,
        );

        // Per channel: the clean moments merged in window order, the clean
        // histogram and sketch by subtraction.
        let mut histograms = Vec::with_capacity(self.channels.len());
        let channels = self
            .channels
            .into_iter()
            .map(|(channel, mut c)| {
                c.cells.sort_by_key(|(w, _)| *w);
                let mut clean = Moments::new();
                for (w, m) in &c.cells {
                    if !is_excluded(*w, &channel) {
                        clean.merge(m);
                    }
                }
                let (mut clean_hist, mut flagged_hist) = (c.hist, AmplitudeHistogram::new());
                let mut clean_sketch = c.sketch;
                if let Some((flagged, excluded)) = parts.get(&channel) {
                    clean_hist.subtract(flagged);
                    flagged_hist = flagged.clone();
                    clean_sketch.subtract(excluded);
                }
                histograms.push(ChannelHistograms {
                    channel: channel.clone(),
                    clean: clean_hist,
                    flagged: flagged_hist,
                });
                statistics(channel, c.unit, &c.all, &clean, &clean_sketch)
            })
            .collect();
        (channels, histograms, errors)
    }
}

/// The normalization of one channel from the moments of all its samples
/// and the moments and sketch of its clean ones.
fn statistics(
    channel: String,
    unit: String,
    all: &Moments,
    clean: &Moments,
    clean_sketch: &QuantileSketch,
) -> ChannelNormalization {
    let std = clean.std(0);
    let std_all = all.std(0);
    let range_all = match (all.min(), all.max()) {
        (Some(lo), Some(hi)) if hi > lo => Some(hi - lo),
        _ => None,
    };
    let central = match (clean_sketch.quantile(0.005), clean_sketch.quantile(0.995)) {
        (Some(lo), Some(hi)) => Some(hi - lo),
        _ => None,
    };
    ChannelNormalization {
        channel,
        unit,
        samples: clean.count(),
        mean: clean.mean(),
        std,
        median: clean_sketch.quantile(0.5),
        iqr: clean_sketch.iqr(),
        samples_all: all.count(),
        mean_all: all.mean(),
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
/// one. The windows are decoded once into [`NormalizationSums`], then the
/// flagged or excluded ones once more by [`NormalizationSums::finish`]; a
/// caller that decodes the windows anyway feeds the sums from its own
/// pass instead.
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
    let (sums, mut errors) = fold_windows(
        dataset,
        windows,
        indices,
        config,
        NormalizationSums::default,
        |sums: &mut NormalizationSums, s| sums.add(s),
        NormalizationSums::merge,
    );
    let (channels, histograms, more) =
        sums.finish(dataset, windows, config, is_excluded, is_flagged);
    errors.extend(more);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    #[test]
    fn cached_bins_count_exactly_what_pushes_count() {
        // More distinct values than slots, so slots are evicted and
        // refilled; repeats, zeros, NaN, Inf and tiny and huge values.
        let mut rng = Lcg::new(11);
        let mut x: Vec<f32> = (0..50_000)
            .map(|_| {
                let code = ((rng.next_u64() >> 40) % 20_000) as f32 - 10_000.0;
                code * 0.031
            })
            .collect();
        x.extend([0.0, -0.0, f32::NAN, f32::INFINITY, 1e-9, -3e7, 0.0]);
        let (mut hist, mut sketch) = (AmplitudeHistogram::new(), QuantileSketch::new());
        let mut cache = BinCache::new(&sketch);
        for block in x.chunks(256) {
            cache.push(block, &mut hist, &mut sketch);
        }
        let (mut h, mut q) = (AmplitudeHistogram::new(), QuantileSketch::new());
        h.push(&x);
        q.push(&x);
        assert_eq!(hist, h);
        assert_eq!(sketch, q);
    }
}
