//! A mergeable quantile sketch with relative accuracy, for recordings and
//! datasets too large for the exact quantiles of [`super::quantiles`].
//!
//! [`QuantileSketch`] follows DDSketch (Masson, Rim and Lee, "DDSketch: a
//! fast and fully-mergeable quantile sketch with relative-error
//! guarantees", VLDB 2019): values fall into logarithmic buckets, one set
//! for positive and one for negative values, plus a bucket for values too
//! close to zero. The sketch holds only integer counts, so merging adds
//! counts and is exact: the sketch of N shards merged is identical, bucket
//! for bucket, to the sketch of one pass, whatever the split points and
//! merge order. It is fed the same blocks as [`super::moments::Moments`].

use serde::{Deserialize, Serialize};

/// Options of a [`QuantileSketch`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SketchConfig {
    /// Relative accuracy `α` in `[1e-6, 1)`: every estimate lies within
    /// `α |x|` of the order statistic `x` it stands for. Default 0.005
    /// (0.5 %), about 2,100 buckets to cover 1e-3 to 1e6 µV in each sign.
    pub relative_accuracy: f64,
    /// Values with `|x|` below this are counted as zero and estimated as
    /// 0, an absolute error below `min_magnitude`. Default 1e-6, in the
    /// units of the samples (1e-6 µV = 1 fV for EEG).
    pub min_magnitude: f64,
}

impl Default for SketchConfig {
    fn default() -> SketchConfig {
        SketchConfig {
            relative_accuracy: 0.005,
            min_magnitude: 1e-6,
        }
    }
}

/// Counts of consecutive bucket indices starting at `offset`.
///
/// Written as `{"offset", "counts"}` with each run of two or more empty
/// buckets as one negative number, `-k` for `k` of them: decoded 16-bit
/// EEG leaves most buckets below a few µV empty (the gain puts codes
/// further apart than the buckets), and the runs take a fifth of a scan
/// report's bytes when written out. A dense list (no negative number)
/// reads as well.
#[derive(Clone, Debug, Default, PartialEq)]
struct Store {
    offset: i32,
    counts: Vec<u64>,
}

/// Buckets a store read from JSON may expand to: far more than any
/// sketch of the default accuracy holds (about 145,000 buckets cover
/// every finite f64), and a bound on what a short run-length list can
/// make the reader allocate.
const MAX_READ_BUCKETS: u64 = 1 << 24;

impl Serialize for Store {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        struct Runs<'a>(&'a [u64]);
        impl Serialize for Runs<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = serializer.serialize_seq(None)?;
                let mut empty = 0u64;
                for &n in self.0 {
                    if n == 0 {
                        empty += 1;
                        continue;
                    }
                    match empty {
                        0 => {}
                        1 => seq.serialize_element(&0u64)?,
                        k => seq.serialize_element(&-(k as i64))?,
                    }
                    empty = 0;
                    seq.serialize_element(&n)?;
                }
                match empty {
                    0 => {}
                    1 => seq.serialize_element(&0u64)?,
                    k => seq.serialize_element(&-(k as i64))?,
                }
                seq.end()
            }
        }
        let mut st = serializer.serialize_struct("Store", 2)?;
        st.serialize_field("offset", &self.offset)?;
        st.serialize_field("counts", &Runs(&self.counts))?;
        st.end()
    }
}

impl<'de> Deserialize<'de> for Store {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Store, D::Error> {
        /// Counts, and runs of empty buckets as negative numbers.
        #[derive(Deserialize)]
        struct Written {
            offset: i32,
            counts: Vec<i64>,
        }
        let w = Written::deserialize(deserializer)?;
        let mut counts = Vec::with_capacity(w.counts.len());
        for entry in w.counts {
            match u64::try_from(entry) {
                Ok(n) => counts.push(n),
                Err(_) => {
                    let k = entry.unsigned_abs();
                    if counts.len() as u64 + k > MAX_READ_BUCKETS {
                        return Err(serde::de::Error::custom(format!(
                            "sketch store of more than {MAX_READ_BUCKETS} buckets"
                        )));
                    }
                    counts.resize(counts.len() + k as usize, 0);
                }
            }
        }
        Ok(Store {
            offset: w.offset,
            counts,
        })
    }
}

impl Store {
    #[inline]
    fn add(&mut self, index: i32, n: u64) {
        // Most values fall in a bucket the store has already; indices stay
        // within ±2^30, so the difference cannot overflow.
        match usize::try_from(index - self.offset)
            .ok()
            .and_then(|k| self.counts.get_mut(k))
        {
            Some(count) => *count += n,
            None => self.grow_and_add(index, n),
        }
    }

    /// [`Store::add`] of an index outside the buckets held.
    #[cold]
    fn grow_and_add(&mut self, index: i32, n: u64) {
        if self.counts.is_empty() {
            self.offset = index;
            self.counts.push(0);
        } else if index < self.offset {
            let grow = (self.offset - index) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = index;
        } else if (index - self.offset) as usize >= self.counts.len() {
            self.counts.resize((index - self.offset) as usize + 1, 0);
        }
        self.counts[(index - self.offset) as usize] += n;
    }

    /// Adds the counts of `other`: the store grows once to cover the
    /// other's non-empty buckets, then the counts add slice to slice (the
    /// same store as adding each non-empty bucket in turn).
    fn merge(&mut self, other: &Store) {
        let Some(first) = other.counts.iter().position(|&n| n > 0) else {
            return;
        };
        let last = other.counts.iter().rposition(|&n| n > 0).unwrap_or(first);
        let lo = other.offset + first as i32;
        let hi = other.offset + last as i32;
        if self.counts.is_empty() {
            self.offset = lo;
        } else if lo < self.offset {
            let grow = (self.offset - lo) as usize;
            self.counts.splice(0..0, std::iter::repeat_n(0, grow));
            self.offset = lo;
        }
        let len = (hi - self.offset) as usize + 1;
        if self.counts.len() < len {
            self.counts.resize(len, 0);
        }
        let at = (lo - self.offset) as usize;
        for (a, &b) in self.counts[at..]
            .iter_mut()
            .zip(&other.counts[first..=last])
        {
            *a += b;
        }
    }

    /// Removes counts added before, then drops the empty buckets at
    /// either end so that the store is the one that never had them.
    fn subtract(&mut self, other: &Store) {
        for (index, n) in other.buckets() {
            let count = usize::try_from(index - self.offset)
                .ok()
                .and_then(|k| self.counts.get_mut(k))
                .filter(|c| **c >= n)
                .expect("subtracting a sketch that was not part of this one");
            *count -= n;
        }
        let lead = self.counts.iter().take_while(|&&n| n == 0).count();
        if lead == self.counts.len() {
            *self = Store::default();
            return;
        }
        self.counts.drain(..lead);
        self.offset += lead as i32;
        let trail = self.counts.iter().rev().take_while(|&&n| n == 0).count();
        self.counts.truncate(self.counts.len() - trail);
    }

    /// (index, count) pairs in increasing index order.
    fn buckets(&self) -> impl DoubleEndedIterator<Item = (i32, u64)> + '_ {
        let offset = self.offset;
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, &n)| n > 0)
            .map(move |(i, &n)| (offset + i as i32, n))
    }
}

/// A DDSketch-style quantile sketch of the finite samples of a channel,
/// recording or dataset.
///
/// # Algorithm
///
/// With `γ = (1 + α) / (1 - α)`, a value `x` with `|x| >= min_magnitude`
/// goes to bucket `i = ⌈ln|x| / ln γ⌉` of its sign, which covers
/// `(γ^(i-1), γ^i]`; smaller magnitudes go to the zero bucket. The
/// estimate of bucket `i` is `2 γ^i / (γ + 1)`, within `α` relative of
/// every value in the bucket.
///
/// # Error bound
///
/// [`QuantileSketch::quantile`]`(q)` returns an estimate of the order
/// statistic `x_r` of rank `r = ⌊q (n - 1)⌋` (0-based, of the `n` finite
/// values), with `|estimate - x_r| <= α |x_r|`, or `< min_magnitude` when
/// `|x_r| < min_magnitude`. The exact linear-interpolated quantile lies
/// between `x_r` and `x_(r+1)`, so for large `n` the two differ by at most
/// `α |x_r|` plus the gap between neighbouring order statistics. An IQR
/// from the sketch is off by at most `α (|Q1| + |Q3|)`.
///
/// NaN and ±Inf are not entered (count them with
/// [`super::moments::Moments`]). An empty sketch answers `None`.
///
/// # Example
///
/// ```
/// use preflight::measure::sketch::QuantileSketch;
///
/// let x: Vec<f32> = (1..=1000).map(|v| v as f32).collect();
/// let mut a = QuantileSketch::new();
/// a.push(&x[..300]);
/// let mut b = QuantileSketch::new();
/// b.push(&x[300..]);
/// a.merge(&b);
/// let median = a.quantile(0.5).unwrap();
/// assert!((median - 500.0).abs() <= 0.005 * 500.0);
/// assert_eq!(QuantileSketch::new().quantile(0.5), None);
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(try_from = "SketchRepr")]
pub struct QuantileSketch {
    config: SketchConfig,
    /// `1 / ln γ`.
    inv_ln_gamma: f64,
    gamma: f64,
    zero: u64,
    /// Positive values, then negative values.
    stores: [Store; 2],
}

/// Where one value goes in a [`QuantileSketch`]: see
/// [`QuantileSketch::bucket`]. Opaque: a store (positive, negative, the
/// zero bucket, or none for NaN and ±Inf) and a bucket index in it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SketchBucket {
    /// 0 positive, 1 negative (as `stores`), [`ZERO_STORE`] or
    /// [`NO_STORE`].
    store: u8,
    index: i32,
}

/// [`SketchBucket::store`] of a magnitude below `min_magnitude`.
const ZERO_STORE: u8 = 2;
/// [`SketchBucket::store`] of NaN and ±Inf.
const NO_STORE: u8 = 3;

/// The finest relative accuracy: bucket indices then stay below 2^29 in
/// magnitude for every finite f64 (`ln f64::MAX / ln γ ≈ 3.5e8`).
const MIN_ACCURACY: f64 = 1e-6;

/// `⌈v⌉` for `|v| < 2^30`, from the truncation toward zero: `f64::ceil`
/// is a library call on baseline x86-64, and this runs once per sample.
#[inline]
fn ceil_to_i32(v: f64) -> i32 {
    let t = v as i64;
    (t + i64::from((t as f64) < v)) as i32
}

/// The serialised form, as read: the counts and the configuration. `γ`
/// and `1/ln γ` are written for readers of the JSON ([`SketchReprRef`])
/// and recomputed from the configuration on reading, so they are
/// bit-identical.
#[derive(Deserialize)]
struct SketchRepr {
    config: SketchConfig,
    zero: u64,
    positive: Store,
    negative: Store,
}

/// The serialised form, as written, borrowing the counts.
#[derive(Serialize)]
struct SketchReprRef<'a> {
    config: SketchConfig,
    inv_ln_gamma: f64,
    gamma: f64,
    zero: u64,
    positive: &'a Store,
    negative: &'a Store,
}

impl Serialize for QuantileSketch {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        SketchReprRef {
            config: self.config,
            inv_ln_gamma: self.inv_ln_gamma,
            gamma: self.gamma,
            zero: self.zero,
            positive: &self.stores[0],
            negative: &self.stores[1],
        }
        .serialize(serializer)
    }
}

impl TryFrom<SketchRepr> for QuantileSketch {
    type Error = String;

    fn try_from(r: SketchRepr) -> Result<QuantileSketch, String> {
        let SketchConfig {
            relative_accuracy: alpha,
            min_magnitude: min,
        } = r.config;
        if !(MIN_ACCURACY..1.0).contains(&alpha) {
            return Err(format!(
                "sketch relative accuracy {alpha}, expected in [1e-6, 1)"
            ));
        }
        if !(min > 0.0 && min.is_finite()) {
            return Err(format!("sketch min_magnitude {min}, expected positive"));
        }
        for store in [&r.positive, &r.negative] {
            let span = i64::from(store.offset) + store.counts.len() as i64;
            if store.offset.unsigned_abs() > 1 << 30 || span.unsigned_abs() > 1 << 30 {
                return Err(format!(
                    "sketch buckets {}..{span}, expected within ±2^30",
                    store.offset
                ));
            }
        }
        let mut s = QuantileSketch::with_config(r.config);
        s.zero = r.zero;
        s.stores = [r.positive, r.negative];
        Ok(s)
    }
}

impl Default for QuantileSketch {
    fn default() -> QuantileSketch {
        QuantileSketch::with_config(SketchConfig::default())
    }
}

impl QuantileSketch {
    /// An empty sketch with the default configuration.
    pub fn new() -> QuantileSketch {
        QuantileSketch::default()
    }

    /// An empty sketch.
    ///
    /// # Panics
    ///
    /// If `relative_accuracy` is not in `[1e-6, 1)` or `min_magnitude` is not
    /// positive and finite.
    pub fn with_config(config: SketchConfig) -> QuantileSketch {
        let alpha = config.relative_accuracy;
        assert!(
            (MIN_ACCURACY..1.0).contains(&alpha),
            "relative accuracy {alpha} outside [1e-6, 1)"
        );
        assert!(
            config.min_magnitude > 0.0 && config.min_magnitude.is_finite(),
            "min_magnitude must be positive"
        );
        let gamma = (1.0 + alpha) / (1.0 - alpha);
        QuantileSketch {
            config,
            inv_ln_gamma: 1.0 / gamma.ln(),
            gamma,
            zero: 0,
            stores: [Store::default(), Store::default()],
        }
    }

    /// The configuration the sketch was made with.
    pub fn config(&self) -> SketchConfig {
        self.config
    }

    /// Values entered (finite samples).
    pub fn count(&self) -> u64 {
        let sum = |s: &Store| s.counts.iter().sum::<u64>();
        self.zero + sum(&self.stores[0]) + sum(&self.stores[1])
    }

    /// Adds a block of samples; NaN and ±Inf are skipped.
    pub fn push<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        let min = self.config.min_magnitude;
        for &x in samples {
            let x: f64 = x.into();
            if !x.is_finite() {
                continue;
            }
            let m = x.abs();
            if m < min {
                self.zero += 1;
                continue;
            }
            let index = ceil_to_i32(m.ln() * self.inv_ln_gamma);
            // Pick the store by sign without a branch: EEG changes sign at
            // random, which a predictor cannot follow.
            self.stores[usize::from(x < 0.0)].add(index, 1);
        }
    }

    /// Adds one value `n` times: exactly what `n` pushes of it add. NaN
    /// and ±Inf are skipped.
    ///
    /// ```
    /// use preflight::measure::sketch::QuantileSketch;
    ///
    /// let (mut a, mut b) = (QuantileSketch::new(), QuantileSketch::new());
    /// a.push(&[2.5, 2.5, 2.5, -1.0]);
    /// b.push_weighted(2.5, 3);
    /// b.push_weighted(-1.0, 1);
    /// assert_eq!(a, b);
    /// ```
    pub fn push_weighted(&mut self, x: f64, n: u64) {
        if !x.is_finite() || n == 0 {
            return;
        }
        let m = x.abs();
        if m < self.config.min_magnitude {
            self.zero += n;
            return;
        }
        let index = ceil_to_i32(m.ln() * self.inv_ln_gamma);
        self.stores[usize::from(x < 0.0)].add(index, n);
    }

    /// Where [`QuantileSketch::push`] puts `x` in this sketch (and in any
    /// sketch of the same [`SketchConfig`]), for callers that see the same
    /// values again and again, such as 16-bit codes decoded to f32, and
    /// keep the answer: [`QuantileSketch::add_bucket`] of it adds exactly
    /// what a push of `x` adds.
    ///
    /// ```
    /// use preflight::measure::sketch::QuantileSketch;
    ///
    /// let (mut a, mut b) = (QuantileSketch::new(), QuantileSketch::new());
    /// a.push(&[2.5, 2.5, -1.0, 0.0, f64::NAN]);
    /// for x in [2.5, 2.5, -1.0, 0.0, f64::NAN] {
    ///     let bucket = b.bucket(x);
    ///     b.add_bucket(bucket, 1);
    /// }
    /// assert_eq!(a, b);
    /// ```
    #[inline]
    pub fn bucket(&self, x: f64) -> SketchBucket {
        if !x.is_finite() {
            return SketchBucket {
                store: NO_STORE,
                index: 0,
            };
        }
        let m = x.abs();
        if m < self.config.min_magnitude {
            return SketchBucket {
                store: ZERO_STORE,
                index: 0,
            };
        }
        SketchBucket {
            store: u8::from(x < 0.0),
            index: ceil_to_i32(m.ln() * self.inv_ln_gamma),
        }
    }

    /// Adds `n` values of `bucket` (from [`QuantileSketch::bucket`] of a
    /// sketch with the same configuration).
    #[inline]
    pub fn add_bucket(&mut self, bucket: SketchBucket, n: u64) {
        // The store is picked by index, not by a branch on the sign: EEG
        // changes sign at random, which a predictor cannot follow.
        match self.stores.get_mut(usize::from(bucket.store)) {
            Some(store) => store.add(bucket.index, n),
            None if bucket.store == ZERO_STORE => self.zero += n,
            None => {}
        }
    }

    /// Adds the counts of `other`.
    ///
    /// # Panics
    ///
    /// If the two sketches were made with different configurations.
    pub fn merge(&mut self, other: &QuantileSketch) {
        assert_eq!(
            self.config, other.config,
            "merging sketches of different configurations"
        );
        self.zero += other.zero;
        self.stores[0].merge(&other.stores[0]);
        self.stores[1].merge(&other.stores[1]);
    }

    /// Removes the counts of `other`, whose values were all entered into
    /// this sketch too: the inverse of [`QuantileSketch::merge`], exact like
    /// it, so `a` merged with `b` then less `b` is `a`, bucket for bucket.
    /// It lets a pass that has sketched every value drop a part of them
    /// once it knows which, without going over the rest again.
    ///
    /// # Panics
    ///
    /// If the two sketches were made with different configurations, or
    /// `other` holds a value this sketch does not.
    ///
    /// ```
    /// use preflight::measure::sketch::QuantileSketch;
    ///
    /// let (mut all, mut part) = (QuantileSketch::new(), QuantileSketch::new());
    /// all.push(&[1.0, 2.0, 300.0]);
    /// part.push(&[300.0]);
    /// all.subtract(&part);
    /// let mut rest = QuantileSketch::new();
    /// rest.push(&[1.0, 2.0]);
    /// assert_eq!(all, rest);
    /// ```
    pub fn subtract(&mut self, other: &QuantileSketch) {
        assert_eq!(
            self.config, other.config,
            "subtracting sketches of different configurations"
        );
        self.zero = self
            .zero
            .checked_sub(other.zero)
            .expect("subtracting a sketch that was not part of this one");
        self.stores[0].subtract(&other.stores[0]);
        self.stores[1].subtract(&other.stores[1]);
    }

    /// Estimate of quantile `q` in `[0, 1]`; see the error bound above.
    /// `None` for an empty sketch.
    ///
    /// # Panics
    ///
    /// If `q` is outside `[0, 1]` or NaN.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        assert!((0.0..=1.0).contains(&q), "quantile {q} outside [0, 1]");
        let n = self.count();
        if n == 0 {
            return None;
        }
        let rank = (q * (n - 1) as f64).floor() as u64;

        // Walk from the most negative value up: negative buckets by
        // decreasing index, then zero, then positive by increasing index.
        let mut seen = 0_u64;
        for (i, c) in self.stores[1].buckets().rev() {
            seen += c;
            if seen > rank {
                return Some(-self.estimate(i));
            }
        }
        seen += self.zero;
        if seen > rank {
            return Some(0.0);
        }
        for (i, c) in self.stores[0].buckets() {
            seen += c;
            if seen > rank {
                return Some(self.estimate(i));
            }
        }
        unreachable!("rank {rank} below the count {n}")
    }

    /// Interquartile range estimate `Q(0.75) - Q(0.25)`; `None` when empty.
    pub fn iqr(&self) -> Option<f64> {
        Some(self.quantile(0.75)? - self.quantile(0.25)?)
    }

    /// Estimate of the median absolute deviation `median(|x - median(x)|)`,
    /// unscaled; `None` when empty.
    ///
    /// Computed from the buckets: each bucket's estimate stands for its
    /// values, its deviation from the estimated median is taken, and the
    /// deviations' median (rank `⌊(n - 1)/2⌋`) is returned. With `med` and
    /// `mad` defined at the same rank (lower medians), the estimate is
    /// within `α (mad + 2 |med|)` of the exact value: tight when the
    /// channel is centred, loose under a large offset (a channel at 1e5 µV
    /// with `α = 0.005` is off by up to 1,000 µV), where an exact MAD per
    /// window ([`super::quantiles::Scratch::mad`]) is the right tool.
    ///
    /// ```
    /// use preflight::measure::sketch::QuantileSketch;
    ///
    /// let x: Vec<f64> = (0..=1000).map(|v| v as f64 - 500.0).collect();
    /// let mut s = QuantileSketch::new();
    /// s.push(&x);
    /// let mad = s.mad().unwrap();
    /// assert!((mad - 250.0).abs() <= 0.005 * 250.0 + 1.0);
    /// ```
    pub fn mad(&self) -> Option<f64> {
        let median = self.quantile(0.5)?;
        let n = self.count();
        let mut deviations: Vec<(f64, u64)> = Vec::new();
        deviations.extend(
            self.stores[1]
                .buckets()
                .map(|(i, c)| ((-self.estimate(i) - median).abs(), c)),
        );
        if self.zero > 0 {
            deviations.push((median.abs(), self.zero));
        }
        deviations.extend(
            self.stores[0]
                .buckets()
                .map(|(i, c)| ((self.estimate(i) - median).abs(), c)),
        );
        deviations.sort_by(|a, b| a.0.total_cmp(&b.0));
        let rank = (n - 1) / 2;
        let mut seen = 0;
        for (d, c) in deviations {
            seen += c;
            if seen > rank {
                return Some(d);
            }
        }
        unreachable!("rank {rank} below the count {n}")
    }

    fn estimate(&self, index: i32) -> f64 {
        2.0 * self.gamma.powi(index) / (self.gamma + 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn data(seed: u64, n: usize) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n)
            .map(|i| match i % 10 {
                // Heavy tails, both signs, exact zeros and tiny values.
                0 => 0.0,
                1 => 1e-9,
                2 => (rng.random::<f64>() - 0.5) * 1e5,
                _ => (rng.random::<f64>() - 0.5) * 200.0,
            })
            .collect()
    }

    fn check_bound(sketch: &QuantileSketch, x: &[f64]) {
        let mut sorted = x.to_vec();
        sorted.sort_by(f64::total_cmp);
        let alpha = sketch.config().relative_accuracy;
        let min = sketch.config().min_magnitude;
        for q in [
            0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99, 0.999, 1.0,
        ] {
            let rank = (q * (x.len() - 1) as f64).floor() as usize;
            let exact = sorted[rank];
            let got = sketch.quantile(q).unwrap();
            let allowed = if exact.abs() < min {
                min
            } else {
                alpha * exact.abs()
            };
            assert!(
                (got - exact).abs() <= allowed * (1.0 + 1e-12),
                "q={q}: {got} vs {exact}"
            );
        }
    }

    #[test]
    fn estimates_stay_within_the_relative_bound() {
        let x = data(11, 20_000);
        let mut s = QuantileSketch::new();
        s.push(&x);
        assert_eq!(s.count(), 20_000);
        check_bound(&s, &x);

        let coarse = SketchConfig {
            relative_accuracy: 0.05,
            ..SketchConfig::default()
        };
        let mut s = QuantileSketch::with_config(coarse);
        s.push(&x);
        check_bound(&s, &x);
    }

    #[test]
    fn merging_shards_equals_one_pass_exactly() {
        let x = data(12, 10_007);
        let mut whole = QuantileSketch::new();
        whole.push(&x);
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        for shards in [2, 5, 31] {
            let mut cuts: Vec<usize> = (0..shards - 1)
                .map(|_| rng.random_range(0..x.len()))
                .collect();
            cuts.extend([0, x.len()]);
            cuts.sort_unstable();
            // Merge in reverse order to show order does not matter.
            let mut merged = QuantileSketch::new();
            for w in cuts.windows(2).rev() {
                let mut part = QuantileSketch::new();
                part.push(&x[w[0]..w[1]]);
                merged.merge(&part);
            }
            for q in [0.0, 0.1, 0.5, 0.9, 1.0] {
                assert_eq!(merged.quantile(q), whole.quantile(q));
            }
            check_bound(&merged, &x);
        }
    }

    #[test]
    fn non_finite_values_are_skipped() {
        let mut s = QuantileSketch::new();
        s.push(&[f64::NAN, f64::INFINITY, f64::NEG_INFINITY]);
        assert_eq!(s.count(), 0);
        assert_eq!(s.quantile(0.5), None);
        s.push(&[-2.0, f64::NAN, 2.0]);
        assert_eq!(s.count(), 2);
        assert!(s.quantile(0.0).unwrap() < 0.0);
    }

    #[test]
    fn mad_stays_within_its_bound() {
        for (seed, offset) in [(16, 0.0), (17, 30.0), (18, -1e5)] {
            let x: Vec<f64> = data(seed, 9999).iter().map(|v| v + offset).collect();
            let mut s = QuantileSketch::new();
            s.push(&x);
            let mut sorted = x.clone();
            sorted.sort_by(f64::total_cmp);
            let rank = (x.len() - 1) / 2;
            let med = sorted[rank];
            let mut dev: Vec<f64> = x.iter().map(|v| (v - med).abs()).collect();
            dev.sort_by(f64::total_cmp);
            let mad = dev[rank];
            let bound = 0.005 * (mad + 2.0 * med.abs()) * (1.0 + 1e-9) + 2e-6;
            let got = s.mad().unwrap();
            assert!(
                (got - mad).abs() <= bound,
                "offset {offset}: {got} vs {mad}, bound {bound}"
            );
        }
        assert_eq!(QuantileSketch::new().mad(), None);
    }

    #[test]
    fn ceil_by_truncation_matches_ceil() {
        let mut rng = ChaCha8Rng::seed_from_u64(15);
        for _ in 0..100_000 {
            let v = (rng.random::<f64>() - 0.5) * 2e5;
            assert_eq!(ceil_to_i32(v), v.ceil() as i32, "{v}");
        }
        for v in [-3.0, -2.5, 0.0, 1.0, 1.0000001, 70_000.0] {
            assert_eq!(ceil_to_i32(v), v.ceil() as i32, "{v}");
        }
    }

    #[test]
    fn a_bad_configuration_in_json_is_an_error() {
        let mut s = QuantileSketch::new();
        s.push(&[1.0, -2.0, 0.0]);
        let json = serde_json::to_string(&s).unwrap();
        let back: QuantileSketch = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        let bad = json.replace("0.005", "1.5");
        assert!(serde_json::from_str::<QuantileSketch>(&bad).is_err());
        // The derived constants are written, and their absence is fine.
        let value: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(value["gamma"].as_f64(), Some(s.gamma));
        let mut bare = value.clone();
        bare.as_object_mut().unwrap().remove("gamma");
        let back: QuantileSketch = serde_json::from_value(bare).unwrap();
        assert_eq!(back, s);
    }

    #[test]
    fn empty_buckets_are_written_as_runs_and_read_back() {
        let mut s = QuantileSketch::new();
        // Buckets k, k + 1, then one empty, then many empty, then one.
        let g = s.gamma;
        s.push(&[
            10.0,
            (10.0 * g) as f32,
            (10.0 * g.powi(3)) as f32,
            1000.0,
            -5.0,
        ]);
        let json = serde_json::to_value(&s).unwrap();
        let counts: Vec<i64> = json["positive"]["counts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_i64().unwrap())
            .collect();
        assert_eq!(&counts[..4], &[1, 1, 0, 1], "{counts:?}");
        assert_eq!(counts.len(), 6, "{counts:?}");
        assert!(counts[4] < -100 && counts[5] == 1, "{counts:?}");
        let back: QuantileSketch = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(back, s);
        // The dense form of earlier reports reads as the same sketch.
        let mut dense = json.clone();
        let positive = &s.stores[0];
        dense["positive"]["counts"] = serde_json::json!(positive.counts);
        let back: QuantileSketch = serde_json::from_value(dense).unwrap();
        assert_eq!(back, s);
        // A run too long to be a sketch's is refused, not allocated.
        let mut huge = json;
        huge["positive"]["counts"] = serde_json::json!([1, -(1i64 << 40), 1]);
        let e = serde_json::from_value::<QuantileSketch>(huge).unwrap_err();
        assert!(e.to_string().contains("buckets"), "{e}");
    }

    #[test]
    fn flat_channel_has_near_zero_iqr() {
        let mut s = QuantileSketch::new();
        s.push(&[-250.0_f32; 1000]);
        assert_eq!(s.iqr(), Some(0.0));
        let q = s.quantile(0.5).unwrap();
        assert!((q + 250.0).abs() <= 0.005 * 250.0);
    }
}
