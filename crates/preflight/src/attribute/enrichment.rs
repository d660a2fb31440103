//! How surprising a concentration of outliers is: the hypergeometric tail.
//!
//! If `outliers` of a sample's `population` windows are outliers and a
//! recording contributed `draws` of them, chance alone puts
//! `X ~ Hypergeometric(population, outliers, draws)` outliers in it. The
//! p-value of seeing `k` or more is `P(X ≥ k)`, the one-sided test of
//! Fisher's exact test for a 2 × 2 table (recording or not × outlier or
//! not). Enrichment is the observed outlier rate of the recording over the
//! sample's rate.
//!
//! The tail is summed term by term from log-binomials, in log space (each
//! term relative to the largest), so p-values down to about 1e-300 are
//! accurate to a few units in the last place, where `1 - cdf` would lose
//! everything below 1e-16.

/// Natural logarithms of `0!, 1!, ..., n!`, summed once and reused: exact
/// to rounding for the integer arguments this module needs, and simpler
/// than a general log-gamma (which the standard library does not have on
/// stable).
#[derive(Debug, Clone)]
pub struct LogFactorials {
    table: Vec<f64>,
}

impl LogFactorials {
    /// The table up to `n!`.
    pub fn up_to(n: usize) -> LogFactorials {
        let mut table = Vec::with_capacity(n + 1);
        let mut sum = 0.0f64;
        table.push(0.0);
        for i in 1..=n {
            sum += (i as f64).ln();
            table.push(sum);
        }
        LogFactorials { table }
    }

    /// `ln(n!)`; extends nothing, so `n` must be within the table.
    ///
    /// # Panics
    ///
    /// If `n` is beyond the table (a caller's bug: size it for the sample).
    pub fn ln_factorial(&self, n: usize) -> f64 {
        self.table[n]
    }

    /// `ln(n choose k)`, or `None` when `k > n`.
    pub fn ln_choose(&self, n: usize, k: usize) -> Option<f64> {
        (k <= n).then(|| self.table[n] - self.table[k] - self.table[n - k])
    }
}

/// `P(X ≥ k)` for `X ~ Hypergeometric(population, successes, draws)`: the
/// chance of `k` or more successes in `draws` draws without replacement
/// from `population` items of which `successes` are successes.
///
/// Returns `None` when the arguments are impossible (`successes` or
/// `draws` above `population`) or the table is too small for
/// `population`. `k = 0` gives 1; `k` above what can be drawn gives 0.
///
/// ```
/// use preflight::attribute::enrichment::{hypergeometric_upper_tail, LogFactorials};
/// let table = LogFactorials::up_to(100);
/// // 1 success among 10, one draw: a one-in-ten chance.
/// let p = hypergeometric_upper_tail(1, 10, 1, 1, &table).unwrap();
/// assert!((p - 0.1).abs() < 1e-15);
/// ```
pub fn hypergeometric_upper_tail(
    k: usize,
    population: usize,
    successes: usize,
    draws: usize,
    table: &LogFactorials,
) -> Option<f64> {
    if successes > population || draws > population || population >= table.table.len() {
        return None;
    }
    if k == 0 {
        return Some(1.0);
    }
    let highest = successes.min(draws);
    let lowest = k.max((successes + draws).saturating_sub(population));
    if lowest > highest {
        return Some(0.0);
    }
    let total = table.ln_choose(population, draws)?;
    let ln_term = |i: usize| -> Option<f64> {
        Some(
            table.ln_choose(successes, i)? + table.ln_choose(population - successes, draws - i)?
                - total,
        )
    };
    // The terms rise to the mode and then fall; scale by the largest.
    let terms: Vec<f64> = (lowest..=highest).map(ln_term).collect::<Option<_>>()?;
    let peak = terms.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let sum: f64 = terms.iter().map(|t| (t - peak).exp()).sum();
    Some((peak + sum.ln()).exp().min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_tail_matches_scipy() {
        // (k, population, successes, draws, P(X >= k)) from
        // tests/reference/hypergeom_sf.py (scipy.stats.hypergeom.sf).
        let cases = [
            (2, 80, 2, 8, 0.008860759493670885),
            (8, 640, 16, 8, 1.926346101348204e-14),
            (16, 640, 16, 16, 3.190330488100726e-32),
            (0, 100, 10, 5, 1.0),
            (3, 1000, 5, 50, 0.001097669583456277),
            (30, 100000, 40, 800, 5.639138641031979e-55),
            (1, 10, 1, 1, 0.1),
            (5, 50, 20, 10, 0.35497311011779203),
        ];
        let table = LogFactorials::up_to(100_000);
        for (k, n, s, d, expected) in cases {
            let p = hypergeometric_upper_tail(k, n, s, d, &table).unwrap();
            let rel = (p - expected).abs() / expected;
            assert!(rel < 1e-9, "({k}, {n}, {s}, {d}): {p} against {expected}");
        }
    }

    #[test]
    fn upper_tail_equals_exact_enumeration_on_small_cases() {
        // Exact rational arithmetic with u128 binomials.
        fn choose(n: u128, k: u128) -> u128 {
            if k > n {
                return 0;
            }
            (0..k).fold(1, |acc, i| acc * (n - i) / (i + 1))
        }
        let table = LogFactorials::up_to(40);
        for population in 0..=30usize {
            for successes in 0..=population {
                for draws in 0..=population {
                    let all = choose(population as u128, draws as u128);
                    for k in 0..=draws + 1 {
                        let hits: u128 = (k..=draws)
                            .map(|i| {
                                choose(successes as u128, i as u128)
                                    * choose((population - successes) as u128, (draws - i) as u128)
                            })
                            .sum();
                        let exact = hits as f64 / all as f64;
                        let p = hypergeometric_upper_tail(k, population, successes, draws, &table)
                            .unwrap();
                        assert!(
                            (p - exact).abs() <= 1e-12 * exact.max(1e-300),
                            "k={k} N={population} K={successes} n={draws}: {p} vs {exact}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn impossible_arguments_give_none() {
        let table = LogFactorials::up_to(10);
        assert_eq!(hypergeometric_upper_tail(1, 5, 6, 1, &table), None);
        assert_eq!(hypergeometric_upper_tail(1, 5, 1, 6, &table), None);
        assert_eq!(hypergeometric_upper_tail(1, 11, 1, 1, &table), None);
        assert_eq!(hypergeometric_upper_tail(3, 10, 2, 5, &table), Some(0.0));
    }
}
