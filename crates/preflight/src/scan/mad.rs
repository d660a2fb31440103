//! Median absolute deviation estimated from a [`QuantileSketch`].
//!
//! The sketch answers quantiles of the values, while the MAD is a
//! quantile of the distances to the median. [`sketch_mad`] walks the
//! sketch's buckets: each bucket stands for its estimate value `v_i` with
//! its count `c_i`, and the MAD estimate is the lower weighted median of
//! `|v_i - m̂|`, with `m̂` the sketch's median estimate.
//!
//! # Error bound
//!
//! Every value `x` is represented within `α |x|` (`α` the sketch's
//! relative accuracy) and the median `m` within `α |m|`, so each distance
//! is off by at most `α (|x| + |m|)`. For the values whose distance is
//! near the MAD, `|x| <= |m| + MAD`, so
//!
//! ```text
//! |mad_estimate - MAD| <= α (2 |m| + MAD)
//! ```
//!
//! where MAD is the lower median of `|x - x_(r)|`, `x_(r)` the order
//! statistic of rank `⌊(n - 1) / 2⌋` (the sketch's median rank). Values
//! below the sketch's `min_magnitude` count as 0 and add up to
//! `min_magnitude` more.
//!
//! The walk is [`QuantileSketch::mad`]'s. The tests below check the bound
//! against a sort-based MAD, and the result against the same walk over the
//! sketch's serialized buckets.

use crate::measure::sketch::QuantileSketch;

/// MAD estimate of the values a sketch holds, `median(|x - median|)`, in
/// their units; `None` when the sketch is empty. See the module
/// documentation for the bound.
///
/// ```
/// use preflight::measure::sketch::QuantileSketch;
/// use preflight::scan::sketch_mad;
///
/// let mut s = QuantileSketch::new();
/// s.push(&[1.0_f32, 2.0, 3.0, 4.0, 100.0]);
/// // median 3, distances 2, 1, 0, 1, 97: MAD 1.
/// let mad = sketch_mad(&s).unwrap();
/// assert!((mad - 1.0).abs() <= 0.005 * (2.0 * 3.0 + 1.0));
/// assert_eq!(sketch_mad(&QuantileSketch::new()), None);
/// ```
pub fn sketch_mad(sketch: &QuantileSketch) -> Option<f64> {
    // The sketch walks its own buckets; going through its serialized form,
    // as this did before the sketch had `mad`, cost a JSON value per
    // channel.
    sketch.mad()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Buckets {
        gamma: f64,
        zero: u64,
        positive: Store,
        negative: Store,
    }

    /// As written: counts, and `-k` for a run of `k` empty buckets.
    #[derive(Deserialize)]
    struct Store {
        offset: i32,
        counts: Vec<i64>,
    }

    impl Store {
        /// The count of every bucket from `offset` on, runs expanded.
        fn dense(&self) -> Vec<u64> {
            let mut dense = Vec::new();
            for &c in &self.counts {
                match u64::try_from(c) {
                    Ok(n) => dense.push(n),
                    Err(_) => dense.extend(std::iter::repeat_n(0, c.unsigned_abs() as usize)),
                }
            }
            dense
        }
    }

    /// The walk over the sketch's buckets as read from its serialized form:
    /// the slow reference.
    fn mad_from_serialized_buckets(sketch: &QuantileSketch) -> Option<f64> {
        let median = sketch.quantile(0.5)?;
        let value = serde_json::to_value(sketch).ok()?;
        let b = Buckets::deserialize(value).ok()?;
        let estimate = |i: i32| 2.0 * b.gamma.powi(i) / (b.gamma + 1.0);

        // (distance to the median, count) of every non-empty bucket.
        let mut distances: Vec<(f64, u64)> = Vec::new();
        for (sign, store) in [(1.0, &b.positive), (-1.0, &b.negative)] {
            for (k, &n) in store.dense().iter().enumerate() {
                if n > 0 {
                    let v = sign * estimate(store.offset + k as i32);
                    distances.push(((v - median).abs(), n));
                }
            }
        }
        if b.zero > 0 {
            distances.push((median.abs(), b.zero));
        }
        distances.sort_by(|a, c| a.0.total_cmp(&c.0));

        // Lower weighted median: the distance of rank ⌊(n - 1) / 2⌋.
        let total: u64 = distances.iter().map(|&(_, n)| n).sum();
        let rank = (total - 1) / 2;
        let mut seen = 0;
        for (d, n) in distances {
            seen += n;
            if seen > rank {
                return Some(d);
            }
        }
        None
    }

    #[test]
    fn mad_equals_the_walk_over_the_serialized_buckets() {
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        for trial in 0..50 {
            let offset = [0.0, 1e3, -1e5][trial % 3];
            let x: Vec<f64> = (0..rng.random_range(1..3000))
                .map(|i| match i % 13 {
                    0 => 0.0,
                    _ => offset + (rng.random::<f64>() - 0.5) * 400.0,
                })
                .collect();
            let mut s = QuantileSketch::new();
            s.push(&x);
            assert_eq!(
                sketch_mad(&s),
                mad_from_serialized_buckets(&s),
                "trial {trial}"
            );
        }
    }

    /// MAD by sorting, with the lower-median ranks the sketch uses.
    fn sorted_mad(x: &[f64]) -> (f64, f64) {
        let mut v = x.to_vec();
        v.sort_by(f64::total_cmp);
        let m = v[(v.len() - 1) / 2];
        let mut d: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
        d.sort_by(f64::total_cmp);
        (m, d[(d.len() - 1) / 2])
    }

    #[test]
    fn estimate_stays_within_the_bound() {
        let mut rng = ChaCha8Rng::seed_from_u64(71);
        for (offset, scale) in [(0.0, 20.0), (1e5, 20.0), (-40.0, 1.0), (3.0, 1e4)] {
            let x: Vec<f64> = (0..50_001)
                .map(|i| {
                    let spike = if i % 101 == 0 { 1e4 } else { 0.0 };
                    offset + scale * (rng.random::<f64>() - 0.5) + spike
                })
                .collect();
            let mut s = QuantileSketch::new();
            s.push(&x);
            let (m, mad) = sorted_mad(&x);
            let alpha = s.config().relative_accuracy;
            let bound = alpha * (2.0 * m.abs() + mad) * (1.0 + 1e-9);
            let got = sketch_mad(&s).unwrap();
            assert!((got - mad).abs() <= bound, "{got} vs {mad} (bound {bound})");
        }
    }

    #[test]
    fn flat_values_have_zero_mad() {
        let mut s = QuantileSketch::new();
        s.push(&[-250.0_f32; 100]);
        assert_eq!(sketch_mad(&s), Some(0.0));
        let mut z = QuantileSketch::new();
        z.push(&[0.0_f32; 10]);
        assert_eq!(sketch_mad(&z), Some(0.0));
    }
}
