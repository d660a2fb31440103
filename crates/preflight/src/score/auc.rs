//! The area under the ROC curve of a two-class score, by the Mann–Whitney
//! statistic.
//!
//! The AUC is the chance that a randomly drawn positive example scores
//! above a randomly drawn negative one, ties counting one half:
//!
//! ```text
//! AUC = (R₊ − n₊(n₊ + 1)/2) / (n₊ · n₋)
//! ```
//!
//! where `R₊` is the sum of the positives' ranks among all scores, tied
//! scores sharing the mean of their ranks (mid-ranks). This equals the
//! trapezoidal area under the empirical ROC curve that scikit-learn's
//! `roc_auc_score` integrates (Hanley & McNeil 1982, Radiology 143:29).
//! Sorting makes it O(n log n).
//!
//! Non-finite scores have no place on a ranking, yet dropping them would
//! flatter a model that produces them. They are ranked as wrongly as they
//! can be: a positive with a NaN or Inf score below every other score, a
//! negative one above every other score, as a model would be judged whose
//! NaN outputs were always mistaken.

use std::cmp::Ordering;

/// The ROC AUC of `scores` for the examples where `positive` is true, or
/// `None` when either class has no example (the AUC is then undefined).
///
/// Non-finite scores are ranked against their own class (see the module
/// documentation). Extra elements of the longer slice are ignored.
///
/// ```
/// use preflight::score::auc::roc_auc;
/// // One positive above both negatives, one tied with a negative.
/// let auc = roc_auc(&[0.9, 0.5, 0.5, 0.1], &[true, true, false, false]).unwrap();
/// assert!((auc - 0.875).abs() < 1e-15);
/// assert_eq!(roc_auc(&[0.3, 0.4], &[true, true]), None);
/// ```
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<f64> {
    // Three tiers keep non-finite scores out of the comparison of values.
    let key = |s: f64, pos: bool| -> (u8, f64) {
        match (s.is_finite(), pos) {
            (true, _) => (1, s),
            (false, true) => (0, 0.0),
            (false, false) => (2, 0.0),
        }
    };
    let mut items: Vec<((u8, f64), bool)> = scores
        .iter()
        .zip(positive)
        .map(|(&s, &p)| (key(s, p), p))
        .collect();
    let n_pos = items.iter().filter(|(_, p)| *p).count();
    let n_neg = items.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let order =
        |a: &(u8, f64), b: &(u8, f64)| -> Ordering { a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)) };
    items.sort_by(|a, b| order(&a.0, &b.0));

    // Mid-ranks: a run of equal keys at 0-based positions i..j shares the
    // rank (i + 1 + j) / 2.
    let mut rank_sum_pos = 0.0f64;
    let mut i = 0usize;
    while i < items.len() {
        let mut j = i + 1;
        while j < items.len() && order(&items[j].0, &items[i].0) == Ordering::Equal {
            j += 1;
        }
        let mid_rank = (i + 1 + j) as f64 / 2.0;
        let positives = items[i..j].iter().filter(|(_, p)| *p).count();
        rank_sum_pos += mid_rank * positives as f64;
        i = j;
    }
    let n_pos = n_pos as f64;
    let u = rank_sum_pos - n_pos * (n_pos + 1.0) / 2.0;
    Some(u / (n_pos * n_neg as f64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;

    /// Every (positive, negative) pair compared: the definition itself.
    fn pairwise(scores: &[f64], positive: &[bool]) -> f64 {
        let mut wins = 0.0;
        let mut pairs = 0.0;
        for (i, &a) in scores.iter().enumerate() {
            for (j, &b) in scores.iter().enumerate() {
                if positive[i] && !positive[j] {
                    pairs += 1.0;
                    if a > b {
                        wins += 1.0;
                    } else if a == b {
                        wins += 0.5;
                    }
                }
            }
        }
        wins / pairs
    }

    #[test]
    fn perfect_reversed_and_constant_scores() {
        let y = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &y), Some(1.0));
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &y), Some(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &y), Some(0.5));
    }

    #[test]
    fn ties_count_half_as_in_the_pairwise_definition() {
        // Hand count: positives 3, 2, 2; negatives 2, 1, 1, 0.
        // 3 beats all 4 (4); each 2 ties one and beats three (3.5 each): 11 of 12.
        let s = [3.0, 2.0, 2.0, 2.0, 1.0, 1.0, 0.0];
        let y = [true, true, true, false, false, false, false];
        let auc = roc_auc(&s, &y).unwrap();
        assert!((auc - 11.0 / 12.0).abs() < 1e-15, "{auc}");
        assert!((auc - pairwise(&s, &y)).abs() < 1e-15);
    }

    #[test]
    fn many_ties_agree_with_pairwise_counting() {
        // A fixed pseudo-random sequence of heavily tied scores.
        let mut rng = Lcg::new(12345);
        let mut s = Vec::new();
        let mut y = Vec::new();
        for _ in 0..200 {
            let x = rng.next_u64();
            let v = (x >> 33) % 7;
            let pos = (x >> 20) % 3 == 0;
            s.push(v as f64);
            y.push(pos);
        }
        let fast = roc_auc(&s, &y).unwrap();
        assert!((fast - pairwise(&s, &y)).abs() < 1e-12, "{fast}");
    }

    #[test]
    fn non_finite_scores_rank_against_their_own_class() {
        let nan = f64::NAN;
        // A NaN positive loses to both negatives; the other positive wins both.
        let auc = roc_auc(&[nan, 0.9, 0.1, 0.2], &[true, true, false, false]).unwrap();
        assert!((auc - 0.5).abs() < 1e-15);
        // All NaN: every pair is mistaken.
        assert_eq!(roc_auc(&[nan; 4], &[true, false, true, false]), Some(0.0));
        // +inf on a negative ranks above every positive, -inf on a positive below.
        let auc = roc_auc(
            &[f64::INFINITY, 0.0, f64::NEG_INFINITY, 5.0],
            &[false, false, true, true],
        );
        assert_eq!(auc, Some(0.25));
    }

    #[test]
    fn one_class_only_is_undefined() {
        assert_eq!(roc_auc(&[1.0, 2.0], &[false, false]), None);
        assert_eq!(roc_auc(&[], &[]), None);
    }
}
