//! Clipping at the digital limits, runs of constant samples, and flat
//! one-second windows (dropout) of one channel.
//!
//! Three streaming summaries, fed the same blocks as
//! [`super::moments::Moments`]:
//!
//! - [`Clipping`]: samples at the digital minimum or maximum of the
//!   channel, from digital values or from physical values and the header's
//!   physical limits;
//! - [`FlatRuns`]: the longest run of constant samples, mergeable across
//!   consecutive blocks and shards (a run may cross their bounds);
//! - [`FlatWindows`]: the share of fixed, aligned windows (one second by
//!   default) in which the channel does not move at all.
//!
//! PyPREP's dropout criterion (a window whose filtered MAD is zero) lives
//! with the other PREP criteria in [`super::prep`]; [`FlatWindows`] is the
//! simpler raw-signal test that needs no filter.

use serde::{Deserialize, Serialize};

/// Samples at the digital limits of a channel.
///
/// EDF stores integers between a header's digital minimum and maximum; an
/// amplifier that saturates writes exactly those values, so the share of
/// samples at either limit measures clipping. Physical values (µV) are
/// compared with the physical limits within half a quantisation step, so
/// the f32 rounding of decoded values does not matter.
///
/// # Example
///
/// ```
/// use preflight::measure::flatness::Clipping;
///
/// let mut c = Clipping::new();
/// c.push_digital(&[-32768, 0, 12, 32767, 32767], -32768, 32767);
/// assert_eq!((c.at_min(), c.at_max(), c.count()), (1, 2, 5));
/// assert_eq!(c.fraction(), Some(0.6));
/// assert_eq!(Clipping::new().fraction(), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clipping {
    at_min: u64,
    at_max: u64,
    count: u64,
}

impl Clipping {
    /// No samples yet.
    pub fn new() -> Clipping {
        Clipping::default()
    }

    /// Adds digital values with the channel's digital limits.
    pub fn push_digital(&mut self, digital: &[i32], digital_min: i32, digital_max: i32) {
        let mut lo = 0;
        let mut hi = 0;
        for &d in digital {
            lo += u64::from(d <= digital_min);
            hi += u64::from(d >= digital_max);
        }
        self.at_min += lo;
        self.at_max += hi;
        self.count += digital.len() as u64;
    }

    /// Adds one digital value `n` times: exactly what `n` samples of it
    /// add to [`Clipping::push_digital`].
    pub fn push_digital_weighted(&mut self, d: i32, n: u64, digital_min: i32, digital_max: i32) {
        self.at_min += n * u64::from(d <= digital_min);
        self.at_max += n * u64::from(d >= digital_max);
        self.count += n;
    }

    /// Adds physical values with the physical values of the digital limits
    /// (the header's physical minimum and maximum, in the units of the
    /// samples) and the quantisation step `(physical_max - physical_min) /
    /// (digital_max - digital_min)`. A sample counts as clipped within half
    /// a step of a limit. NaN counts toward neither limit.
    ///
    /// A header may give `physical_min > physical_max` (an inverted
    /// channel); the limits are then swapped.
    pub fn push_physical<T: Copy + Into<f64>>(
        &mut self,
        samples: &[T],
        physical_min: f64,
        physical_max: f64,
        step: f64,
    ) {
        let (low, high) = if physical_min <= physical_max {
            (physical_min, physical_max)
        } else {
            (physical_max, physical_min)
        };
        let half = 0.5 * step.abs();
        let (low, high) = (low + half, high - half);
        let mut lo = 0;
        let mut hi = 0;
        for &x in samples {
            let x: f64 = x.into();
            lo += u64::from(x <= low);
            hi += u64::from(x >= high);
        }
        self.at_min += lo;
        self.at_max += hi;
        self.count += samples.len() as u64;
    }

    /// Adds the counts of `other`; exact.
    pub fn merge(&mut self, other: &Clipping) {
        self.at_min += other.at_min;
        self.at_max += other.at_max;
        self.count += other.count;
    }

    /// Samples at the lower limit.
    pub fn at_min(&self) -> u64 {
        self.at_min
    }

    /// Samples at the upper limit.
    pub fn at_max(&self) -> u64 {
        self.at_max
    }

    /// Samples seen.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Share of samples at either limit, `(at_min + at_max) / count`;
    /// `None` without samples.
    pub fn fraction(&self) -> Option<f64> {
        (self.count > 0).then(|| (self.at_min + self.at_max) as f64 / self.count as f64)
    }
}

/// Whether two consecutive samples count as equal: exactly, or within a
/// tolerance. NaN never equals anything.
#[inline]
fn same(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

/// The run lengths of [`FlatRuns::push_codes`], kept in locals.
struct RunState {
    tail: u64,
    longest: u64,
    head: u64,
    /// Whether every sample so far belongs to the first run.
    head_open: bool,
}

impl RunState {
    /// Follows the runs over the pairs `(prev[i], next[i])`.
    #[inline(always)]
    fn follow(&mut self, prev: &[i32], next: &[i32]) {
        for (a, b) in prev.iter().zip(next) {
            let same = a == b;
            self.tail = if same { self.tail + 1 } else { 1 };
            self.head_open &= same;
            self.head += u64::from(self.head_open);
            self.longest = self.longest.max(self.tail);
        }
    }
}

/// Whether `prev[i] == next[i]` for some `i < 16`: an OR of all sixteen
/// comparisons on fixed-size arrays rather than a search that stops at
/// the first, so that it compiles to a few vector compares.
#[inline(always)]
fn has_repeat(prev: &[i32], next: &[i32]) -> bool {
    let (Ok(prev), Ok(next)) = (<&[i32; 16]>::try_from(prev), <&[i32; 16]>::try_from(next)) else {
        return prev.iter().zip(next).any(|(a, b)| a == b);
    };
    let mut any = false;
    for i in 0..16 {
        any |= prev[i] == next[i];
    }
    any
}

/// The longest run of constant samples.
///
/// A run is a maximal stretch of consecutive samples each within
/// `tolerance` of the one before (`|x_i - x_(i-1)| <= tolerance`); its
/// length counts samples, so a constant stretch of 5 samples is a run of 5
/// and a channel that never repeats a value has longest run 1. With the
/// default tolerance 0 the test is exact equality, right for decoded
/// integer samples; clean_rawdata's `clean_flatlines` uses `20 ε` on
/// doubles, which for decoded EDF is the same thing. NaN breaks runs.
///
/// # Merging
///
/// The summary keeps the first and last run of the samples seen, so two
/// summaries of consecutive blocks merge exactly, a run crossing the bound
/// included. Merge in time order: `earlier.merge(&later)`.
///
/// # Example
///
/// ```
/// use preflight::measure::flatness::FlatRuns;
///
/// let x = [1.0_f32, 2.0, 2.0, 2.0, 3.0, 3.0];
/// let mut a = FlatRuns::new(0.0);
/// a.push(&x[..3]);
/// let mut b = FlatRuns::new(0.0);
/// b.push(&x[3..]);
/// a.merge(&b);
/// assert_eq!(a.longest(), 3);
/// assert_eq!(FlatRuns::new(0.0).longest(), 0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlatRuns {
    tolerance: f64,
    count: u64,
    #[serde(with = "nan_as_null")]
    first: f64,
    /// Length of the run that starts at the first sample.
    head: u64,
    #[serde(with = "nan_as_null")]
    last: f64,
    /// Length of the run that ends at the last sample.
    tail: u64,
    longest: u64,
}

impl FlatRuns {
    /// No samples yet; `tolerance` in the units of the samples.
    pub fn new(tolerance: f64) -> FlatRuns {
        FlatRuns {
            tolerance,
            count: 0,
            first: f64::NAN,
            head: 0,
            last: f64::NAN,
            tail: 0,
            longest: 0,
        }
    }

    /// Adds a block of samples following the ones seen so far.
    pub fn push<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        let tol = self.tolerance;
        for &x in samples {
            let x: f64 = x.into();
            if self.count == 0 {
                self.first = x;
                self.head = 1;
                self.tail = 1;
            } else if same(x, self.last, tol) {
                self.tail += 1;
                if self.tail == self.count + 1 {
                    // Still inside the first run.
                    self.head = self.tail;
                }
            } else {
                self.tail = 1;
            }
            self.longest = self.longest.max(self.tail);
            self.last = x;
            self.count += 1;
        }
    }

    /// Adds integer samples (digital codes): the same result as
    /// [`FlatRuns::push`] of them, faster. With a tolerance of 0 (equal
    /// codes only), stretches of 16 samples in which no sample equals the
    /// one before, the common case for a live signal, are skipped after one
    /// vectorised comparison; the state stays in locals.
    ///
    /// ```
    /// use preflight::measure::flatness::FlatRuns;
    ///
    /// let codes = [3, 3, 3, 4, 5, 5, 6, 6, 6, 6];
    /// let mut a = FlatRuns::new(0.0);
    /// a.push(&codes);
    /// let mut b = FlatRuns::new(0.0);
    /// b.push_codes(&codes);
    /// assert_eq!(a, b);
    /// ```
    pub fn push_codes(&mut self, codes: &[i32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, checked just above.
            unsafe { self.push_codes_avx2(codes) };
            return;
        }
        self.push_codes_portable(codes);
    }

    /// [`FlatRuns::push_codes`] compiled with AVX2: the sixteen comparisons
    /// of a chunk are two vector compares instead of four. The same
    /// operations in the same order.
    ///
    /// # Safety
    ///
    /// The processor must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn push_codes_avx2(&mut self, codes: &[i32]) {
        self.push_codes_portable(codes);
    }

    #[inline(always)]
    fn push_codes_portable(&mut self, codes: &[i32]) {
        if self.tolerance != 0.0 || codes.len() < 2 {
            self.push(codes);
            return;
        }
        // The first code joins the summary so far; the rest compare with
        // their predecessor exactly.
        self.push(&codes[..1]);
        let mut runs = RunState {
            tail: self.tail,
            longest: self.longest,
            head: self.head,
            head_open: self.head == self.count,
        };
        const LANES: usize = 16;
        let pairs = codes.len() - 1;
        let (prev, next) = (&codes[..pairs], &codes[1..]);
        let whole = pairs / LANES * LANES;
        for (p, q) in prev[..whole]
            .chunks_exact(LANES)
            .zip(next[..whole].chunks_exact(LANES))
        {
            if has_repeat(p, q) {
                runs.follow(p, q);
            } else {
                // No run continues here: the last sample starts a new one.
                runs.tail = 1;
                runs.head_open = false;
            }
        }
        runs.follow(&prev[whole..], &next[whole..]);
        self.tail = runs.tail;
        self.longest = runs.longest;
        self.head = runs.head;
        self.count += pairs as u64;
        self.last = f64::from(codes[pairs]);
    }

    /// Appends the samples summarised by `later`, which must follow the
    /// samples of `self` in time.
    pub fn merge(&mut self, later: &FlatRuns) {
        if later.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = later.clone();
            return;
        }
        let joined = same(later.first, self.last, self.tolerance);
        let bridge = if joined { self.tail + later.head } else { 0 };
        self.longest = self.longest.max(later.longest).max(bridge);
        if joined && self.head == self.count {
            self.head += later.head;
        }
        self.tail = if joined && later.tail == later.count {
            self.tail + later.count
        } else {
            later.tail
        };
        self.last = later.last;
        self.count += later.count;
    }

    /// Pools the summary of another recording (or channel): the longest
    /// run is the longer of the two; runs are not joined.
    pub fn pool(&mut self, other: &FlatRuns) {
        self.longest = self.longest.max(other.longest);
        self.count += other.count;
        self.head = 0;
        self.tail = 0;
        self.first = f64::NAN;
        self.last = f64::NAN;
    }

    /// Longest run of constant samples, in samples; 0 without samples.
    pub fn longest(&self) -> u64 {
        self.longest
    }

    /// Samples seen.
    pub fn count(&self) -> u64 {
        self.count
    }
}

/// Share of aligned windows in which a channel does not move.
///
/// Window `w` covers samples `[w L, (w + 1) L)` of the recording, counted
/// from its first sample, with `L` the window length (one second:
/// `L = round(sfreq)`). A window is flat when `max - min <= tolerance`
/// over its samples; a window holding a NaN is not flat (NaN is reported
/// by [`super::moments::Moments`]). The incomplete window at the end of
/// the recording is not counted.
///
/// # Merging
///
/// A summary knows the index of its first sample, so summaries of
/// consecutive blocks merge exactly, the window across the bound included:
/// `earlier.merge(&later)`.
///
/// # Example
///
/// ```
/// use preflight::measure::flatness::FlatWindows;
///
/// // Windows of 4 samples; the second is flat, the tail of 2 is not counted.
/// let x = [0.0_f32, 1.0, 2.0, 3.0, 5.0, 5.0, 5.0, 5.0, 7.0, 7.0];
/// let mut w = FlatWindows::new(4, 0, 0.0);
/// w.push(&x);
/// assert_eq!((w.windows(), w.flat()), (2, 1));
/// assert_eq!(w.fraction(), Some(0.5));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FlatWindows {
    len: u64,
    tolerance: f64,
    /// Index in the recording of the first sample summarised.
    start: u64,
    /// Index of the next sample in the recording.
    next: u64,
    /// Samples before the first window bound this summary saw whole.
    head: Partial,
    /// Whether the summary has crossed a window bound yet.
    crossed: bool,
    /// The window being filled.
    tail: Partial,
    windows: u64,
    flat: u64,
}

/// Extremes of the samples of an incomplete window.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
struct Partial {
    n: u64,
    #[serde(with = "nan_as_null")]
    min: f64,
    #[serde(with = "nan_as_null")]
    max: f64,
    has_nan: bool,
}

/// JSON has no NaN: NaN fields are written as `null` and read back as NaN.
mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        (!x.is_nan()).then_some(*x).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

impl Partial {
    /// NaN extremes: `f64::min` and `f64::max` return the other argument.
    const EMPTY: Partial = Partial {
        n: 0,
        min: f64::NAN,
        max: f64::NAN,
        has_nan: false,
    };

    fn join(self, other: Partial) -> Partial {
        Partial {
            n: self.n + other.n,
            min: self.min.min(other.min),
            max: self.max.max(other.max),
            has_nan: self.has_nan || other.has_nan,
        }
    }

    fn is_flat(self, tolerance: f64) -> bool {
        !self.has_nan && self.max - self.min <= tolerance
    }
}

impl FlatWindows {
    /// No samples yet: windows of `len` samples, the first sample to come
    /// being sample `start` of the recording.
    ///
    /// # Panics
    ///
    /// If `len` is 0.
    pub fn new(len: u64, start: u64, tolerance: f64) -> FlatWindows {
        assert!(len > 0, "window length must be positive");
        FlatWindows {
            len,
            tolerance,
            start,
            next: start,
            head: Partial::EMPTY,
            crossed: start % len == 0,
            tail: Partial::EMPTY,
            windows: 0,
            flat: 0,
        }
    }

    /// Adds a block of samples following the ones seen so far.
    pub fn push<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        // Only a summary read from a corrupt file can have no length.
        if self.len == 0 {
            return;
        }
        let mut rest = samples;
        while !rest.is_empty() {
            // Fill the current window up to its bound.
            let room = (self.len - self.next % self.len) as usize;
            let (now, later) = rest.split_at(room.min(rest.len()));
            let mut part = Partial {
                n: now.len() as u64,
                ..Partial::EMPTY
            };
            for &x in now {
                let x: f64 = x.into();
                part.min = part.min.min(x);
                part.max = part.max.max(x);
                part.has_nan |= x.is_nan();
            }
            self.next += now.len() as u64;
            let filled = self.tail.join(part);
            if self.next % self.len == 0 {
                if self.crossed {
                    self.windows += 1;
                    self.flat += u64::from(filled.is_flat(self.tolerance));
                } else {
                    self.head = filled;
                    self.crossed = true;
                }
                self.tail = Partial::EMPTY;
            } else {
                self.tail = filled;
            }
            rest = later;
        }
    }

    /// Appends the samples summarised by `later`, which must start where
    /// `self` ends.
    ///
    /// # Panics
    ///
    /// If the two are not consecutive or have different window lengths.
    pub fn merge(&mut self, later: &FlatWindows) {
        assert_eq!(self.len, later.len, "merging windows of different lengths");
        if later.next == later.start {
            return;
        }
        if self.next == self.start {
            *self = later.clone();
            return;
        }
        assert_eq!(
            self.next, later.start,
            "merged summaries are not consecutive"
        );
        if !later.crossed {
            // `later` lies inside the window `self` is filling.
            self.tail = self.tail.join(later.tail);
            self.next = later.next;
            return;
        }

        // The window across the bound: complete if `self` saw its start,
        // otherwise the head of the merged summary.
        let bridged = self.tail.join(later.head);
        if !self.crossed {
            self.head = bridged;
            self.crossed = true;
        } else if bridged.n > 0 {
            self.windows += 1;
            self.flat += u64::from(bridged.is_flat(self.tolerance));
        }
        self.windows += later.windows;
        self.flat += later.flat;
        self.tail = later.tail;
        self.next = later.next;
    }

    /// Pools the summary of another recording (or channel): complete
    /// windows and flat windows add; incomplete windows at the ends are
    /// dropped, and the result can no longer be merged with neighbours.
    pub fn pool(&mut self, other: &FlatWindows) {
        self.windows += other.windows;
        self.flat += other.flat;
        self.head = Partial::EMPTY;
        self.tail = Partial::EMPTY;
        // As if the pooled windows were one recording starting at 0.
        self.start = 0;
        self.next = self.windows * self.len;
        self.crossed = true;
    }

    /// Complete windows seen.
    pub fn windows(&self) -> u64 {
        self.windows
    }

    /// Flat windows among them.
    pub fn flat(&self) -> u64 {
        self.flat
    }

    /// Share of flat windows, `flat / windows`; `None` before the first
    /// complete window.
    pub fn fraction(&self) -> Option<f64> {
        (self.windows > 0).then(|| self.flat as f64 / self.windows as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Longest run by scanning every start: quadratic and obvious.
    fn slow_longest(x: &[f64]) -> u64 {
        let mut best = 0;
        for i in 0..x.len() {
            let mut j = i + 1;
            while j < x.len() && x[j] == x[j - 1] {
                j += 1;
            }
            best = best.max(j - i);
        }
        best as u64
    }

    /// Flat windows by slicing the recording.
    fn slow_windows(x: &[f64], len: usize) -> (u64, u64) {
        let windows = x.chunks_exact(len);
        let flat = windows
            .clone()
            .filter(|w| w.iter().all(|&v| v == w[0]))
            .count();
        (windows.len() as u64, flat as u64)
    }

    /// A signal with planted flat stretches of random lengths.
    fn planted(seed: u64, n: usize) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut x = Vec::with_capacity(n);
        while x.len() < n {
            if rng.random::<f64>() < 0.2 {
                let v = rng.random_range(-5..5) as f64;
                let k = rng.random_range(1..60);
                x.extend(std::iter::repeat_n(v, k));
            } else {
                x.push(rng.random::<f64>());
            }
        }
        x.truncate(n);
        x
    }

    fn cuts(seed: u64, n: usize, parts: usize) -> Vec<usize> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut c: Vec<usize> = (0..parts - 1).map(|_| rng.random_range(0..=n)).collect();
        c.extend([0, n]);
        c.sort_unstable();
        c
    }

    #[test]
    fn integer_runs_equal_the_generic_ones_block_by_block() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for trial in 0..300 {
            let n = rng.random_range(0..600);
            // Long changing stretches, planted constant ones, repeats.
            // Every third trial from three values: repeats scattered all
            // over, runs of every length up to a few dozen.
            let mut x: Vec<i32> = if trial % 3 == 0 {
                (0..n).map(|_| rng.random_range(0..3)).collect()
            } else {
                (0..n).map(|k| (k as i32 * 7919) % 1009).collect()
            };
            for _ in 0..rng.random_range(0..5) {
                if n == 0 {
                    break;
                }
                let at = rng.random_range(0..n);
                let v = rng.random_range(-3..=3);
                for s in x.iter_mut().skip(at).take(rng.random_range(1..40)) {
                    *s = v;
                }
            }
            let (mut generic, mut codes) = (FlatRuns::new(0.0), FlatRuns::new(0.0));
            let mut at = 0;
            while at < x.len() {
                let b = rng.random_range(1..70).min(x.len() - at);
                generic.push(&x[at..at + b]);
                codes.push_codes(&x[at..at + b]);
                at += b;
            }
            assert_eq!(codes, generic, "trial {trial}");
            let as_f64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            assert_eq!(codes.longest(), slow_longest(&as_f64), "trial {trial}");
        }
    }

    #[test]
    fn longest_run_matches_scan_and_merges_exactly() {
        let x = planted(31, 3000);
        let mut whole = FlatRuns::new(0.0);
        whole.push(&x);
        assert_eq!(whole.longest(), slow_longest(&x));
        for parts in [2, 9, 200] {
            let mut merged = FlatRuns::new(0.0);
            for w in cuts(parts as u64, x.len(), parts).windows(2) {
                let mut part = FlatRuns::new(0.0);
                part.push(&x[w[0]..w[1]]);
                merged.merge(&part);
            }
            assert_eq!(merged, whole, "{parts} parts");
        }
    }

    #[test]
    fn a_run_across_every_bound_is_joined() {
        let x = [4.0; 100];
        let mut merged = FlatRuns::new(0.0);
        for chunk in x.chunks(7) {
            let mut part = FlatRuns::new(0.0);
            part.push(chunk);
            merged.merge(&part);
        }
        assert_eq!(merged.longest(), 100);
    }

    #[test]
    fn nan_breaks_runs() {
        let mut r = FlatRuns::new(0.0);
        r.push(&[f64::NAN, f64::NAN, 1.0, 1.0]);
        assert_eq!(r.longest(), 2);
    }

    #[test]
    fn flat_windows_match_slicing_and_merge_exactly() {
        let x = planted(32, 5000);
        for len in [1, 7, 50] {
            let mut whole = FlatWindows::new(len as u64, 0, 0.0);
            whole.push(&x);
            assert_eq!((whole.windows(), whole.flat()), slow_windows(&x, len));
            for parts in [2, 13, 400] {
                let mut merged = FlatWindows::new(len as u64, 0, 0.0);
                for w in cuts(parts as u64 + 5, x.len(), parts).windows(2) {
                    let mut part = FlatWindows::new(len as u64, w[0] as u64, 0.0);
                    part.push(&x[w[0]..w[1]]);
                    merged.merge(&part);
                }
                assert_eq!(
                    (merged.windows(), merged.flat()),
                    (whole.windows(), whole.flat())
                );
            }
        }
    }

    #[test]
    fn window_with_nan_is_not_flat() {
        let mut w = FlatWindows::new(3, 0, 0.0);
        w.push(&[1.0, f64::NAN, 1.0, 2.0, 2.0, 2.0]);
        assert_eq!((w.windows(), w.flat()), (2, 1));
    }

    #[test]
    fn physical_limits_count_clipped_samples() {
        // 16-bit channel: physical -3276.8..3276.7 µV, step 0.1 µV.
        let step = 0.1;
        let x: [f32; 5] = [-3276.8, -3276.7, 0.0, 3276.7, 3276.7];
        let mut c = Clipping::new();
        c.push_physical(&x, -3276.8, 3276.7, step);
        assert_eq!((c.at_min(), c.at_max()), (1, 2));
        let mut inverted = Clipping::new();
        inverted.push_physical(&x, 3276.7, -3276.8, -step);
        assert_eq!(inverted, c);
    }
}
