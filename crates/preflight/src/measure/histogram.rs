//! Amplitude histogram of one channel on log-spaced bins of `|x|`, from
//! 1 nV to 1 V.
//!
//! EEG sits at 1 to 100 µV, a detached electrode or a DC offset at 1e3 to
//! 1e5 µV, quantisation noise near 1e-2 µV: on a logarithmic axis they all
//! show at once. The bins are fixed, so histograms of blocks, recordings
//! and datasets add bin by bin, exactly. It is fed the same blocks as
//! [`super::moments::Moments`].

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// Lower edge of the first bin, in µV (1 nV).
pub const LOW_UV: f64 = 1e-3;
/// Upper edge of the last bin, in µV (1 V).
pub const HIGH_UV: f64 = 1e6;
/// Bins per decade.
pub const BINS_PER_DECADE: usize = 10;
/// Bins between [`LOW_UV`] and [`HIGH_UV`]: 9 decades.
pub const BINS: usize = 9 * BINS_PER_DECADE;

/// Histogram of `|x|` for samples in µV.
///
/// Bin `k` (0-based) holds `LOW_UV · 10^(k/10) <= |x| < LOW_UV ·
/// 10^((k+1)/10)`: ten bins per decade, 90 bins from 1e-3 µV to 1e6 µV.
/// Apart from the bins:
///
/// - `zero`: samples exactly 0 (a flat or zero-filled channel);
/// - `underflow`: `0 < |x| < 1e-3 µV`;
/// - `overflow`: `|x| >= 1e6 µV`, including ±Inf;
/// - `nan`: NaN samples.
///
/// Every sample lands in exactly one of these, so their sum is the number
/// of samples pushed. The sign is dropped: a histogram of amplitudes, not
/// of values. Bins are assigned with `log10` in f64; a value within a few
/// ulps of an edge may land in the neighbouring bin.
///
/// # Example
///
/// ```
/// use preflight::measure::histogram::{bin_edges_uv, AmplitudeHistogram};
///
/// let mut h = AmplitudeHistogram::new();
/// h.push(&[0.0_f32, 15.0, -15.0, 2e6, f32::NAN]);
/// assert_eq!((h.zero(), h.overflow(), h.nan()), (1, 1, 1));
/// let k = h.counts().iter().position(|&c| c == 2).unwrap();
/// let edges = bin_edges_uv();
/// assert!(edges[k] <= 15.0 && 15.0 < edges[k + 1]);
/// assert_eq!(h.total(), 5);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AmplitudeHistogram {
    counts: Vec<u64>,
    zero: u64,
    underflow: u64,
    overflow: u64,
    nan: u64,
}

impl Default for AmplitudeHistogram {
    fn default() -> AmplitudeHistogram {
        AmplitudeHistogram {
            counts: vec![0; BINS],
            zero: 0,
            underflow: 0,
            overflow: 0,
            nan: 0,
        }
    }
}

impl AmplitudeHistogram {
    /// An empty histogram.
    pub fn new() -> AmplitudeHistogram {
        AmplitudeHistogram::default()
    }

    /// Adds a block of samples in µV.
    pub fn push<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        let (table, edges) = lookup();
        for &x in samples {
            let m = x.into().abs();
            if (LOW_UV..HIGH_UV).contains(&m) {
                let mut k = usize::from(table[slot(m)]);
                while m >= edges[k + 1] {
                    k += 1;
                }
                self.counts[k] += 1;
            } else if m >= HIGH_UV {
                self.overflow += 1;
            } else if m > 0.0 {
                self.underflow += 1;
            } else if m == 0.0 {
                self.zero += 1;
            } else {
                self.nan += 1;
            }
        }
    }

    /// Adds one value in µV `n` times: exactly what `n` pushes of it add.
    ///
    /// ```
    /// use preflight::measure::histogram::AmplitudeHistogram;
    ///
    /// let (mut a, mut b) = (AmplitudeHistogram::new(), AmplitudeHistogram::new());
    /// a.push(&[15.0, 15.0, 0.0]);
    /// b.push_weighted(15.0, 2);
    /// b.push_weighted(0.0, 1);
    /// assert_eq!(a, b);
    /// ```
    pub fn push_weighted(&mut self, x: f64, n: u64) {
        self.add_bin(AmplitudeHistogram::bin(x), n);
    }

    /// Where [`AmplitudeHistogram::push`] counts `x` (µV), for callers
    /// that see the same values again and again and keep the answer:
    /// [`AmplitudeHistogram::add_bin`] of it adds exactly what a push of
    /// `x` adds.
    ///
    /// ```
    /// use preflight::measure::histogram::AmplitudeHistogram;
    ///
    /// let (mut a, mut b) = (AmplitudeHistogram::new(), AmplitudeHistogram::new());
    /// a.push(&[15.0, -0.5, 0.0, 2e6, f64::NAN]);
    /// for x in [15.0, -0.5, 0.0, 2e6, f64::NAN] {
    ///     b.add_bin(AmplitudeHistogram::bin(x), 1);
    /// }
    /// assert_eq!(a, b);
    /// ```
    #[inline]
    pub fn bin(x: f64) -> HistogramBin {
        let m = x.abs();
        if (LOW_UV..HIGH_UV).contains(&m) {
            let (table, edges) = lookup();
            let mut k = usize::from(table[slot(m)]);
            while m >= edges[k + 1] {
                k += 1;
            }
            HistogramBin::Bin(k as u8)
        } else if m >= HIGH_UV {
            HistogramBin::Overflow
        } else if m > 0.0 {
            HistogramBin::Underflow
        } else if m == 0.0 {
            HistogramBin::Zero
        } else {
            HistogramBin::Nan
        }
    }

    /// Adds `n` samples of `bin` (from [`AmplitudeHistogram::bin`]).
    #[inline]
    pub fn add_bin(&mut self, bin: HistogramBin, n: u64) {
        match bin {
            HistogramBin::Bin(k) => self.counts[usize::from(k)] += n,
            HistogramBin::Zero => self.zero += n,
            HistogramBin::Underflow => self.underflow += n,
            HistogramBin::Overflow => self.overflow += n,
            HistogramBin::Nan => self.nan += n,
        }
    }

    /// Adds the counts of `other`; exact.
    pub fn merge(&mut self, other: &AmplitudeHistogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.zero += other.zero;
        self.underflow += other.underflow;
        self.overflow += other.overflow;
        self.nan += other.nan;
    }

    /// Removes the counts of `other`, whose samples were all pushed into
    /// this histogram too: the inverse of [`AmplitudeHistogram::merge`],
    /// exact like it.
    ///
    /// # Panics
    ///
    /// If `other` holds a count larger than this histogram's.
    pub fn subtract(&mut self, other: &AmplitudeHistogram) {
        let less = |a: &mut u64, b: u64| {
            *a = a
                .checked_sub(b)
                .expect("subtracting a histogram that was not part of this one");
        };
        for (a, &b) in self.counts.iter_mut().zip(&other.counts) {
            less(a, b);
        }
        less(&mut self.zero, other.zero);
        less(&mut self.underflow, other.underflow);
        less(&mut self.overflow, other.overflow);
        less(&mut self.nan, other.nan);
    }

    /// Counts of the [`BINS`] bins, lowest amplitude first.
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// Samples exactly zero.
    pub fn zero(&self) -> u64 {
        self.zero
    }

    /// Samples with `0 < |x| < 1e-3 µV`.
    pub fn underflow(&self) -> u64 {
        self.underflow
    }

    /// Samples with `|x| >= 1e6 µV`, ±Inf included.
    pub fn overflow(&self) -> u64 {
        self.overflow
    }

    /// NaN samples.
    pub fn nan(&self) -> u64 {
        self.nan
    }

    /// All samples pushed.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.zero + self.underflow + self.overflow + self.nan
    }
}

/// Where one sample goes in an [`AmplitudeHistogram`]: see
/// [`AmplitudeHistogram::bin`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HistogramBin {
    /// Bin `k` of [`AmplitudeHistogram::counts`].
    Bin(u8),
    /// Exactly 0.
    Zero,
    /// `0 < |x| <` [`LOW_UV`].
    Underflow,
    /// `|x| >=` [`HIGH_UV`], ±Inf included.
    Overflow,
    /// NaN.
    Nan,
}

/// Binary exponents of the values in `[LOW_UV, HIGH_UV)`.
const EXP_LO: i32 = -10;
const EXP_HI: i32 = 19;
/// Mantissa bits of the table index.
const SLOT_BITS: u32 = 8;

/// Table index of a normal positive `m` in `[LOW_UV, HIGH_UV)`: its binary
/// exponent and top mantissa bits.
#[inline]
fn slot(m: f64) -> usize {
    let bits = m.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32 - 1023;
    let top = (bits >> (52 - SLOT_BITS)) & ((1 << SLOT_BITS) - 1);
    ((exp - EXP_LO) as usize) << SLOT_BITS | top as usize
}

/// The candidate bin of each slot (the bin of its smallest value) and the
/// edges. A slot spans a factor `1 + 1/256`, far less than a bin's
/// `10^0.1`, so the true bin is the candidate or the next one.
fn lookup() -> &'static (Vec<u8>, Vec<f64>) {
    static TABLE: OnceLock<(Vec<u8>, Vec<f64>)> = OnceLock::new();
    TABLE.get_or_init(|| {
        let edges = bin_edges_uv();
        let slots = ((EXP_HI - EXP_LO + 1) as usize) << SLOT_BITS;
        let table = (0..slots)
            .map(|i| {
                let exp = (i >> SLOT_BITS) as i32 + EXP_LO;
                let top = (i & ((1 << SLOT_BITS) - 1)) as f64;
                let lowest = (2f64.powi(exp) * (1.0 + top / f64::from(1 << SLOT_BITS))).max(LOW_UV);
                let bin = (0..BINS).rev().find(|&k| edges[k] <= lowest).unwrap_or(0);
                bin as u8
            })
            .collect();
        (table, edges)
    })
}

/// The `BINS + 1` bin edges in µV, from 1e-3 to 1e6.
/// Edge `k` is `1e-3 · 10^(k/10)` rounded once; the last edge is exactly
/// [`HIGH_UV`].
pub fn bin_edges_uv() -> Vec<f64> {
    let mut edges: Vec<f64> = (0..=BINS)
        .map(|k| LOW_UV * 10f64.powf(k as f64 / BINS_PER_DECADE as f64))
        .collect();
    edges[BINS] = HIGH_UV;
    edges
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Bin by comparing with the edges one by one.
    fn slow_bin(m: f64, edges: &[f64]) -> Option<usize> {
        (0..BINS).find(|&k| edges[k] <= m && m < edges[k + 1])
    }

    #[test]
    fn bins_match_edge_comparison() {
        let edges = bin_edges_uv();
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        let x: Vec<f64> = (0..20_000)
            .map(|_| 10f64.powf(rng.random::<f64>() * 11.0 - 4.0))
            .collect();
        let mut h = AmplitudeHistogram::new();
        h.push(&x);
        let mut expected = vec![0_u64; BINS];
        let (mut under, mut over) = (0, 0);
        for &m in &x {
            match slow_bin(m, &edges) {
                Some(k) => expected[k] += 1,
                None if m < LOW_UV => under += 1,
                None => over += 1,
            }
        }
        assert_eq!(h.counts(), &expected[..]);
        assert_eq!((h.underflow(), h.overflow()), (under, over));
    }

    #[test]
    fn values_at_and_next_to_every_edge_land_in_the_right_bin() {
        let edges = bin_edges_uv();
        let mut h = AmplitudeHistogram::new();
        for &e in &edges[1..BINS] {
            h.push(&[
                e,
                f64::from_bits(e.to_bits() - 1),
                f64::from_bits(e.to_bits() + 1),
            ]);
        }
        for k in 0..BINS {
            // Bin k receives edge k and the value above it (k >= 1), and the
            // value below edge k + 1 (k + 1 < BINS).
            let want = u64::from(k >= 1) * 2 + u64::from(k + 1 < BINS);
            assert_eq!(h.counts()[k], want, "bin {k}");
        }
    }

    #[test]
    fn every_sample_lands_once() {
        let x = [
            0.0,
            -0.0,
            1e-5,
            1e-3,
            999_999.0,
            1e6,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
        ];
        let mut h = AmplitudeHistogram::new();
        h.push(&x);
        assert_eq!(h.total(), x.len() as u64);
        assert_eq!(
            (h.zero(), h.underflow(), h.overflow(), h.nan()),
            (2, 1, 3, 1)
        );
        assert_eq!(h.counts()[0], 1);
        assert_eq!(h.counts()[BINS - 1], 1);
    }

    #[test]
    fn merging_adds_counts() {
        let x: Vec<f32> = (0..5000).map(|i| (i as f32 - 2500.0) * 0.37).collect();
        let mut whole = AmplitudeHistogram::new();
        whole.push(&x);
        let mut a = AmplitudeHistogram::new();
        a.push(&x[..1234]);
        let mut b = AmplitudeHistogram::new();
        b.push(&x[1234..]);
        a.merge(&b);
        assert_eq!(a, whole);
    }
}
