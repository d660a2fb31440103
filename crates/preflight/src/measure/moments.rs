//! Count, NaN and Inf counts, extremes, mean and variance of one channel.
//!
//! [`Moments`] is fed blocks of samples in physical units (µV for EEG) as a
//! reader decodes them, and merges with the [`Moments`] of other blocks,
//! recordings or shards. It is the first thing [`crate::measure`] computes
//! and the only one that sees every sample in f64: the histogram, sketch
//! and spectra of the neighbouring modules work from the same blocks.

use serde::{Deserialize, Serialize};

/// Blocks are summarised in chunks of this many samples, then merged. The
/// chunk bounds the error of the per-chunk sum (and so of its mean) to
/// about `CHUNK * f64::EPSILON` relative, far below what f32 input holds.
const CHUNK: usize = 4096;

/// Count, NaN and Inf counts, minimum, maximum, mean and variance of the
/// samples seen so far.
///
/// Only finite samples enter the extremes, mean and variance; NaN, +Inf and
/// -Inf are counted apart. Undefined results (no finite sample; variance
/// with `count <= ddof`) are `None`, never NaN.
///
/// # Algorithm
///
/// Each block is cut into chunks of 4096 samples. A chunk is summarised by
/// two passes in f64: its mean `m_b = Σx / n_b`, then its sum of squared
/// deviations `M2_b = Σ(x - m_b)² - (Σ(x - m_b))² / n_b` (the corrected
/// two-pass algorithm). Chunks and whole summaries then combine by the
/// update of Chan, Golub and LeVeque (1979):
///
/// ```text
/// n = n_a + n_b,  δ = m_b - m_a,
/// m = m_a + δ n_b / n,  M2 = M2_a + M2_b + δ² n_a n_b / n.
/// ```
///
/// No sum of squares of raw values is ever formed. With an offset of 1e5
/// µV each `x²` is near 1e10 µV² and carries a rounding error near 1e-6
/// µV², so a naive `Σx² - (Σx)²/n` can lose the variance of a quiet channel
/// entirely; here the tests see 1e-9 relative or better against a
/// compensated reference on 100,000 samples at that offset.
///
/// # Merging
///
/// Counts, minimum and maximum merge exactly. Mean and variance merge
/// within floating-point rounding: splitting the same samples at other
/// points changes them by a few units in the last place, bounded in the
/// tests by 1e-12 relative.
///
/// # Example
///
/// ```
/// use preflight::measure::moments::Moments;
///
/// let mut m = Moments::new();
/// m.push(&[1.0_f32, 2.0, 3.0, f32::NAN, 4.0]);
/// assert_eq!(m.count(), 4);
/// assert_eq!(m.nan_count(), 1);
/// assert_eq!(m.mean(), Some(2.5));
/// assert_eq!(m.variance(1), Some(5.0 / 3.0));
/// assert_eq!(Moments::new().mean(), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Moments {
    count: u64,
    nan: u64,
    pos_inf: u64,
    neg_inf: u64,
    /// Meaningful only when `count > 0`.
    min: f64,
    /// Meaningful only when `count > 0`.
    max: f64,
    mean: f64,
    /// Sum of squared deviations from `mean`.
    m2: f64,
}

impl Moments {
    /// An empty summary.
    pub fn new() -> Moments {
        Moments::default()
    }

    /// Summarises `samples` in one call.
    pub fn of<T: Copy + Into<f64>>(samples: &[T]) -> Moments {
        let mut m = Moments::new();
        m.push(samples);
        m
    }

    /// Adds a block of samples (f32 or f64, in physical units).
    pub fn push<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        for chunk in samples.chunks(CHUNK) {
            let summary = summarise_chunk(chunk);
            self.merge(&summary);
        }
    }

    /// Adds one value `n` times, as `n` pushes of it would (within
    /// rounding): one pairwise update with a summary of mean `x` and no
    /// spread. A NaN or infinite `x` counts `n` times in its count. For
    /// feeders that count repeated values (16-bit digital codes) instead
    /// of pushing every sample.
    ///
    /// ```
    /// use preflight::measure::moments::Moments;
    ///
    /// let mut m = Moments::new();
    /// m.push_weighted(1.0, 3);
    /// m.push_weighted(5.0, 1);
    /// assert_eq!(m.count(), 4);
    /// assert_eq!(m.mean(), Some(2.0));
    /// assert_eq!(m.variance(0), Some(3.0));
    /// ```
    pub fn push_weighted(&mut self, x: f64, n: u64) {
        if n == 0 {
            return;
        }
        if x.is_nan() {
            self.nan += n;
        } else if x == f64::INFINITY {
            self.pos_inf += n;
        } else if x == f64::NEG_INFINITY {
            self.neg_inf += n;
        } else {
            self.merge(&Moments {
                count: n,
                min: x,
                max: x,
                mean: x,
                ..Moments::default()
            });
        }
    }

    /// Adds the samples summarised by `other`, as if they followed (or
    /// preceded: the result does not depend on the order beyond rounding)
    /// the samples of `self`.
    pub fn merge(&mut self, other: &Moments) {
        self.nan += other.nan;
        self.pos_inf += other.pos_inf;
        self.neg_inf += other.neg_inf;
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            self.count = other.count;
            self.min = other.min;
            self.max = other.max;
            self.mean = other.mean;
            self.m2 = other.m2;
            return;
        }

        // Chan, Golub and LeVeque's pairwise update.
        let na = self.count as f64;
        let nb = other.count as f64;
        let n = na + nb;
        let delta = other.mean - self.mean;
        self.mean += delta * (nb / n);
        self.m2 += other.m2 + delta * delta * (na * nb / n);
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    /// Finite samples seen.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// All samples seen: finite, NaN and infinite.
    pub fn total(&self) -> u64 {
        self.count + self.nan + self.pos_inf + self.neg_inf
    }

    /// NaN samples seen.
    pub fn nan_count(&self) -> u64 {
        self.nan
    }

    /// Infinite samples seen, of either sign.
    pub fn inf_count(&self) -> u64 {
        self.pos_inf + self.neg_inf
    }

    /// +Inf samples seen.
    pub fn pos_inf_count(&self) -> u64 {
        self.pos_inf
    }

    /// -Inf samples seen.
    pub fn neg_inf_count(&self) -> u64 {
        self.neg_inf
    }

    /// Smallest finite sample; `None` without one.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest finite sample; `None` without one.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// Peak-to-peak amplitude `max - min` of the finite samples; `None`
    /// without one. A flat channel gives `Some(0.0)`.
    pub fn ptp(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max - self.min)
    }

    /// Mean of the finite samples, `Σx / n`; `None` without one.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// Variance `Σ(x - mean)² / (n - ddof)` of the finite samples, in
    /// squared units (µV²). `ddof = 0` is the population variance (numpy's
    /// default), `ddof = 1` the sample variance. `None` when `n <= ddof`.
    /// A flat channel gives `Some(0.0)`.
    pub fn variance(&self, ddof: u64) -> Option<f64> {
        (self.count > ddof).then(|| (self.m2 / (self.count - ddof) as f64).max(0.0))
    }

    /// Standard deviation, the square root of [`Moments::variance`].
    pub fn std(&self, ddof: u64) -> Option<f64> {
        self.variance(ddof).map(f64::sqrt)
    }
}

/// Summarises one chunk: a fast path for all-finite chunks (the usual
/// case), a filtering path otherwise.
fn summarise_chunk<T: Copy + Into<f64>>(chunk: &[T]) -> Moments {
    let mut out = Moments::new();
    let n = chunk.len();
    if n == 0 {
        return out;
    }

    // Pass 1: sum and extremes in LANES independent accumulators, so the
    // loop vectorises; a non-finite sample turns the sum non-finite.
    let mut sum = [0.0_f64; LANES];
    let mut min = [f64::INFINITY; LANES];
    let mut max = [f64::NEG_INFINITY; LANES];
    let mut lanes = chunk.chunks_exact(LANES);
    for group in &mut lanes {
        for k in 0..LANES {
            let x: f64 = group[k].into();
            sum[k] += x;
            min[k] = if x < min[k] { x } else { min[k] };
            max[k] = if x > max[k] { x } else { max[k] };
        }
    }
    for (k, &x) in lanes.remainder().iter().enumerate() {
        let x: f64 = x.into();
        sum[k] += x;
        min[k] = if x < min[k] { x } else { min[k] };
        max[k] = if x > max[k] { x } else { max[k] };
    }
    let total: f64 = sum.iter().sum();
    if !total.is_finite() {
        return summarise_mixed_chunk(chunk);
    }
    let mean = total / n as f64;

    // Pass 2: corrected two-pass sum of squared deviations.
    let mut dev = [0.0_f64; LANES];
    let mut dev2 = [0.0_f64; LANES];
    let mut lanes = chunk.chunks_exact(LANES);
    for group in &mut lanes {
        for k in 0..LANES {
            let d = group[k].into() - mean;
            dev[k] += d;
            dev2[k] += d * d;
        }
    }
    for (k, &x) in lanes.remainder().iter().enumerate() {
        let d = x.into() - mean;
        dev[k] += d;
        dev2[k] += d * d;
    }
    let dev: f64 = dev.iter().sum();
    let dev2: f64 = dev2.iter().sum();
    out.count = n as u64;
    out.min = min.iter().copied().fold(f64::INFINITY, f64::min);
    out.max = max.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    out.mean = mean + dev / n as f64;
    out.m2 = (dev2 - dev * dev / n as f64).max(0.0);
    out
}

/// Independent accumulators per pass of [`summarise_chunk`].
const LANES: usize = 8;

/// The slow path of [`summarise_chunk`]: counts NaN and Inf, then
/// summarises the finite samples.
fn summarise_mixed_chunk<T: Copy + Into<f64>>(chunk: &[T]) -> Moments {
    let mut out = Moments::new();
    let mut sum = 0.0;
    let mut min = f64::INFINITY;
    let mut max = f64::NEG_INFINITY;
    let mut n = 0_u64;
    for &x in chunk {
        let x: f64 = x.into();
        if x.is_nan() {
            out.nan += 1;
        } else if x == f64::INFINITY {
            out.pos_inf += 1;
        } else if x == f64::NEG_INFINITY {
            out.neg_inf += 1;
        } else {
            n += 1;
            sum += x;
            min = min.min(x);
            max = max.max(x);
        }
    }
    if n == 0 {
        return out;
    }
    let mean = sum / n as f64;
    let mut dev = 0.0;
    let mut dev2 = 0.0;
    for &x in chunk {
        let x: f64 = x.into();
        if x.is_finite() {
            let d = x - mean;
            dev += d;
            dev2 += d * d;
        }
    }
    out.count = n;
    out.min = min;
    out.max = max;
    out.mean = mean + dev / n as f64;
    out.m2 = (dev2 - dev * dev / n as f64).max(0.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Mean and variance by the textbook two-pass formula over sorted
    /// values in f64, summed with Kahan compensation: slow and obvious.
    fn reference(x: &[f64]) -> (f64, f64) {
        let kahan = |it: &mut dyn Iterator<Item = f64>| {
            let (mut s, mut c) = (0.0_f64, 0.0_f64);
            for v in it {
                let y = v - c;
                let t = s + y;
                c = (t - s) - y;
                s = t;
            }
            s
        };
        let n = x.len() as f64;
        let mean = kahan(&mut x.iter().copied()) / n;
        let var = kahan(&mut x.iter().map(|v| (v - mean) * (v - mean))) / n;
        (mean, var)
    }

    fn noise(seed: u64, n: usize, offset: f64, scale: f64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|_| offset + scale * (rng.random::<f64>() - 0.5))
            .collect()
    }

    #[test]
    fn variance_survives_an_offset_of_1e5_uv() {
        let x = noise(1, 100_000, 1e5, 20.0);
        let (mean, var) = reference(&x);
        let m = Moments::of(&x);
        assert!((m.mean().unwrap() - mean).abs() / mean < 1e-14);
        assert!((m.variance(0).unwrap() - var).abs() / var < 1e-9);
    }

    #[test]
    fn f32_input_is_accumulated_in_f64() {
        let x: Vec<f32> = noise(2, 50_000, 1e5, 20.0)
            .iter()
            .map(|&v| v as f32)
            .collect();
        let wide: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
        let (mean, var) = reference(&wide);
        let m = Moments::of(&x);
        assert!((m.mean().unwrap() - mean).abs() / mean < 1e-14);
        assert!((m.variance(0).unwrap() - var).abs() / var < 1e-9);
    }

    #[test]
    fn nan_and_inf_are_counted_apart() {
        let x = [
            1.0,
            f64::NAN,
            f64::INFINITY,
            3.0,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let m = Moments::of(&x);
        assert_eq!(m.count(), 2);
        assert_eq!(m.nan_count(), 2);
        assert_eq!(m.pos_inf_count(), 1);
        assert_eq!(m.neg_inf_count(), 1);
        assert_eq!(m.total(), 6);
        assert_eq!((m.min(), m.max()), (Some(1.0), Some(3.0)));
        assert_eq!(m.mean(), Some(2.0));
        assert_eq!(m.variance(0), Some(1.0));
    }

    #[test]
    fn undefined_results_are_none() {
        let empty = Moments::new();
        assert_eq!(
            (empty.min(), empty.mean(), empty.variance(0)),
            (None, None, None)
        );
        let nan_only = Moments::of(&[f32::NAN; 3]);
        assert_eq!(nan_only.mean(), None);
        assert_eq!(nan_only.nan_count(), 3);
        let one = Moments::of(&[5.0_f64]);
        assert_eq!(one.variance(0), Some(0.0));
        assert_eq!(one.variance(1), None);
    }

    #[test]
    fn flat_channel_has_zero_variance() {
        let m = Moments::of(&[-3276.8_f32; 10_000]);
        assert_eq!(m.variance(1), Some(0.0));
        assert_eq!(m.ptp(), Some(0.0));
        assert_eq!(m.mean(), Some(f64::from(-3276.8_f32)));
    }

    #[test]
    fn merging_shards_equals_one_pass() {
        let mut x = noise(3, 30_001, 1e5, 50.0);
        x[17] = f64::NAN;
        x[20_000] = f64::INFINITY;
        let whole = Moments::of(&x);
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        for shards in [2, 3, 7, 50] {
            let mut cuts: Vec<usize> = (0..shards - 1)
                .map(|_| rng.random_range(0..x.len()))
                .collect();
            cuts.push(0);
            cuts.push(x.len());
            cuts.sort_unstable();
            let mut merged = Moments::new();
            for w in cuts.windows(2) {
                merged.merge(&Moments::of(&x[w[0]..w[1]]));
            }
            assert_eq!(merged.count(), whole.count());
            assert_eq!(merged.nan_count(), whole.nan_count());
            assert_eq!(merged.inf_count(), whole.inf_count());
            assert_eq!(merged.min(), whole.min());
            assert_eq!(merged.max(), whole.max());
            let rel = |a: Option<f64>, b: Option<f64>| {
                let (a, b) = (a.unwrap(), b.unwrap());
                (a - b).abs() / b.abs()
            };
            assert!(rel(merged.mean(), whole.mean()) < 1e-12);
            assert!(rel(merged.variance(1), whole.variance(1)) < 1e-12);
        }
    }
}
