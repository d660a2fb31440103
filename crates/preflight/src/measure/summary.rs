//! One channel's streaming summary: every mergeable measure of the
//! neighbouring modules, fed the same blocks in one call.
//!
//! [`ChannelSummary`] bundles [`Moments`], [`QuantileSketch`],
//! [`AmplitudeHistogram`], [`Clipping`], [`FlatRuns`] and [`FlatWindows`].
//! A reader pushes each decoded block of a channel; summaries of
//! consecutive parts of a recording join with [`ChannelSummary::append`];
//! summaries of different recordings (for a subject, a dataset, a shard)
//! pool with [`ChannelSummary::pool`]. All of it is serialisable, so shard
//! outputs can be written and merged later. Spectra are not part of it (an
//! FFT plan is not data): a [`super::spectrum::Welch`] per channel streams
//! alongside and appends and pools the same way.

use serde::{Deserialize, Serialize};

use super::flatness::{Clipping, FlatRuns, FlatWindows};
use super::histogram::AmplitudeHistogram;
use super::moments::Moments;
use super::sketch::{QuantileSketch, SketchConfig};

/// The physical values of a channel's digital limits, for clipping.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct PhysicalLimits {
    /// Physical value of the digital minimum (the header's physical
    /// minimum), in the units of the samples.
    pub min: f64,
    /// Physical value of the digital maximum.
    pub max: f64,
    /// One digital step in physical units.
    pub step: f64,
}

/// How a [`ChannelSummary`] measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SummaryConfig {
    /// Quantile sketch accuracy.
    pub sketch: SketchConfig,
    /// Consecutive samples within this of each other count as constant, in
    /// the units of the samples. Default 0 (exact equality).
    pub flat_tolerance: f64,
    /// Samples per flatness window (one second: `round(sfreq)`).
    pub window_len: u64,
    /// Limits for clipping; `None` when unknown (clipping then stays
    /// empty).
    pub limits: Option<PhysicalLimits>,
}

impl SummaryConfig {
    /// Defaults for a channel at `sfreq_hz`: one-second windows, exact
    /// flatness, the default sketch, no limits.
    pub fn for_sfreq(sfreq_hz: f64) -> SummaryConfig {
        SummaryConfig {
            sketch: SketchConfig::default(),
            flat_tolerance: 0.0,
            window_len: (sfreq_hz.round() as u64).max(1),
            limits: None,
        }
    }

    /// Limits from an EDF signal header: physical minimum and maximum and
    /// one digital step, in the units [`edf::Edf::read_physical`] returns
    /// (µV for voltage channels).
    pub fn with_edf_limits(mut self, signal: &edf::SignalHeader) -> SummaryConfig {
        let scale = signal.unit().scale();
        self.limits = Some(PhysicalLimits {
            min: signal.physical_min * scale,
            max: signal.physical_max * scale,
            step: signal.gain() * scale,
        });
        self
    }
}

/// Every mergeable measure of one channel (or of the channels pooled into
/// it).
///
/// # Merging
///
/// [`ChannelSummary::append`] joins the summary of the samples that follow:
/// counts, extremes, sketch, histogram, clipping, flat runs and flat
/// windows come out exactly as one pass over all the samples would give;
/// mean and variance agree within floating-point rounding (1e-12 relative
/// in the tests). [`ChannelSummary::pool`] combines unrelated summaries
/// (another recording): the same, except that flat runs and windows are
/// not joined across the bound.
///
/// # Example
///
/// ```
/// use preflight::measure::summary::{ChannelSummary, SummaryConfig};
///
/// let config = SummaryConfig::for_sfreq(4.0);
/// let x = [1.0_f32, 2.0, 2.0, 2.0, 2.0, 2.0, 7.0, 0.0];
/// let mut first = ChannelSummary::new(&config, 0);
/// first.push(&x[..3]);
/// let mut second = ChannelSummary::new(&config, 3);
/// second.push(&x[3..]);
/// first.append(&second);
/// assert_eq!(first.flat_runs.longest(), 5);
/// assert_eq!(first.moments.max(), Some(7.0));
/// assert_eq!(first.histogram.zero(), 1);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelSummary {
    /// Count, NaN/Inf, extremes, mean, variance.
    pub moments: Moments,
    /// Quantiles (median, IQR, percentiles) within the sketch's bound.
    pub sketch: QuantileSketch,
    /// Amplitude histogram, 1 nV to 1 V.
    pub histogram: AmplitudeHistogram,
    /// Samples at the digital limits.
    pub clipping: Clipping,
    /// Longest run of constant samples.
    pub flat_runs: FlatRuns,
    /// Flat one-second windows.
    pub flat_windows: FlatWindows,
    limits: Option<PhysicalLimits>,
}

impl ChannelSummary {
    /// An empty summary whose first sample will be sample `start` of the
    /// recording (0 unless the recording is split).
    pub fn new(config: &SummaryConfig, start: u64) -> ChannelSummary {
        ChannelSummary {
            moments: Moments::new(),
            sketch: QuantileSketch::with_config(config.sketch),
            histogram: AmplitudeHistogram::new(),
            clipping: Clipping::new(),
            flat_runs: FlatRuns::new(config.flat_tolerance),
            flat_windows: FlatWindows::new(config.window_len, start, config.flat_tolerance),
            limits: config.limits,
        }
    }

    /// Adds a block of samples (physical units) following those seen.
    pub fn push<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        self.moments.push(samples);
        self.sketch.push(samples);
        self.histogram.push(samples);
        if let Some(l) = self.limits {
            self.clipping.push_physical(samples, l.min, l.max, l.step);
        }
        self.flat_runs.push(samples);
        self.flat_windows.push(samples);
    }

    /// Joins the summary of the samples that follow these in the same
    /// recording.
    ///
    /// # Panics
    ///
    /// If `later` does not start where `self` ends, or was made with
    /// another configuration.
    pub fn append(&mut self, later: &ChannelSummary) {
        self.merge_counts(later);
        self.flat_runs.merge(&later.flat_runs);
        self.flat_windows.merge(&later.flat_windows);
    }

    /// Pools the summary of another recording or channel.
    ///
    /// # Panics
    ///
    /// If `other` was made with another sketch configuration or window
    /// length.
    pub fn pool(&mut self, other: &ChannelSummary) {
        self.merge_counts(other);
        self.flat_runs.pool(&other.flat_runs);
        self.flat_windows.pool(&other.flat_windows);
    }

    fn merge_counts(&mut self, other: &ChannelSummary) {
        self.moments.merge(&other.moments);
        self.sketch.merge(&other.sketch);
        self.histogram.merge(&other.histogram);
        self.clipping.merge(&other.clipping);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A channel with an offset of 1e5 µV, NaN, Inf, flat stretches and
    /// clipped samples.
    fn channel(seed: u64, n: usize) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Vec::with_capacity(n);
        while x.len() < n {
            let r = rng.random::<f64>();
            if r < 0.01 {
                let v = if rng.random::<bool>() {
                    3276.7
                } else {
                    -3276.8
                };
                x.extend(std::iter::repeat_n(v as f32, rng.random_range(1..300)));
            } else if r < 0.012 {
                x.push(f32::NAN);
            } else if r < 0.013 {
                x.push(f32::INFINITY);
            } else {
                x.push((1e5 + 40.0 * (rng.random::<f64>() - 0.5)) as f32);
            }
        }
        x.truncate(n);
        x
    }

    fn config() -> SummaryConfig {
        SummaryConfig {
            limits: Some(PhysicalLimits {
                min: -3276.8,
                max: 3276.7,
                step: 0.1,
            }),
            ..SummaryConfig::for_sfreq(160.0)
        }
    }

    fn one_pass(x: &[f32]) -> ChannelSummary {
        let mut s = ChannelSummary::new(&config(), 0);
        s.push(x);
        s
    }

    /// Everything but mean and variance must be identical; those within
    /// 1e-12 relative.
    fn assert_same(merged: &ChannelSummary, whole: &ChannelSummary) {
        let (a, b) = (&merged.moments, &whole.moments);
        assert_eq!(
            (a.count(), a.nan_count(), a.inf_count()),
            (b.count(), b.nan_count(), b.inf_count())
        );
        assert_eq!((a.min(), a.max()), (b.min(), b.max()));
        let rel = |x: f64, y: f64| (x - y).abs() / y.abs();
        assert!(rel(a.mean().unwrap(), b.mean().unwrap()) < 1e-12);
        assert!(rel(a.variance(1).unwrap(), b.variance(1).unwrap()) < 1e-12);
        assert_eq!(merged.sketch, whole.sketch);
        assert_eq!(merged.histogram, whole.histogram);
        assert_eq!(merged.clipping, whole.clipping);
        assert_eq!(merged.flat_runs, whole.flat_runs);
        assert_eq!(
            (merged.flat_windows.windows(), merged.flat_windows.flat()),
            (whole.flat_windows.windows(), whole.flat_windows.flat())
        );
    }

    #[test]
    fn merging_n_shards_equals_one_pass() {
        let x = channel(101, 100_000);
        let whole = one_pass(&x);
        assert!(whole.clipping.at_min() > 0 && whole.clipping.at_max() > 0);
        assert!(whole.flat_windows.flat() > 0);
        let mut rng = ChaCha8Rng::seed_from_u64(102);
        for shards in [2, 3, 10, 97] {
            let mut cuts: Vec<usize> = (0..shards - 1)
                .map(|_| rng.random_range(0..=x.len()))
                .collect();
            cuts.extend([0, x.len()]);
            cuts.sort_unstable();
            let parts: Vec<ChannelSummary> = cuts
                .windows(2)
                .map(|w| {
                    let mut s = ChannelSummary::new(&config(), w[0] as u64);
                    // Each shard itself arrives in blocks of random size.
                    let mut at = w[0];
                    while at < w[1] {
                        let len = rng.random_range(1..5000).min(w[1] - at);
                        s.push(&x[at..at + len]);
                        at += len;
                    }
                    s
                })
                .collect();
            let mut merged = parts[0].clone();
            for p in &parts[1..] {
                merged.append(p);
            }
            assert_same(&merged, &whole);

            // The median from the merged sketch keeps the sketch's bound.
            let mut sorted: Vec<f64> = x
                .iter()
                .map(|&v| f64::from(v))
                .filter(|v| v.is_finite())
                .collect();
            sorted.sort_by(f64::total_cmp);
            let exact = sorted[(sorted.len() - 1) / 2];
            let est = merged.sketch.quantile(0.5).unwrap();
            assert!((est - exact).abs() <= 0.005 * exact.abs());
        }
    }

    #[test]
    fn summaries_survive_json() {
        let x = channel(103, 5000);
        let mut s = ChannelSummary::new(&config(), 0);
        s.push(&x[..1234]);
        let json = serde_json::to_string(&s).expect("serialisable");
        let mut back: ChannelSummary = serde_json::from_str(&json).expect("readable");
        assert_eq!(serde_json::to_string(&back).expect("serialisable"), json);
        let mut rest = ChannelSummary::new(&config(), 1234);
        rest.push(&x[1234..]);
        back.append(&rest);
        assert_same(&back, &one_pass(&x));
    }

    #[test]
    fn pooling_recordings_adds_counts_without_joining_runs() {
        let a = one_pass(&[5.0_f32; 400]);
        let b = one_pass(&[5.0_f32; 300]);
        let mut pooled = a.clone();
        pooled.pool(&b);
        assert_eq!(pooled.moments.count(), 700);
        assert_eq!(pooled.flat_runs.longest(), 400);
        assert_eq!(pooled.flat_windows.windows(), 2 + 1);
        let mut empty = ChannelSummary::new(&config(), 0);
        empty.pool(&a);
        assert_eq!(empty.flat_windows.windows(), 2);
    }
}
