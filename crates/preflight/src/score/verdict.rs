//! The verdict: is this model better than answering the majority class,
//! and did it produce outputs that no metric should have been read from?
//!
//! # The accuracy trap
//!
//! On imbalanced classes a high accuracy can mean nothing: with 92.4% of
//! examples in one class, always answering it scores 0.924. A model falls in
//! the trap when either test below says it is no better than that.
//!
//! - **Accuracy against the majority baseline.** Under the null hypothesis
//!   that the model is right no more often than the baseline rate `b` (the
//!   majority class's share), its number of correct answers is at most
//!   `X ~ Binomial(n, b)`. The one-sided p-value is `P(X ≥ correct)`. The
//!   accuracy counts as above the baseline only when that p-value is below
//!   `alpha` *and* `accuracy − b` is at least `min_margin`: with a large `n`
//!   a trivial gain becomes significant, and the margin keeps it from
//!   counting. It counts as clearly below the baseline when, the other way
//!   round, `P(X ≤ correct)` is below `alpha` and `b − accuracy` is at
//!   least `below_margin` (default 0.05). Anything between is *at* the
//!   baseline, and that is the trap: an accuracy of 0.906 against 0.924
//!   reads as "over 90%" to anyone who sees it, and says less than always
//!   answering the majority. An accuracy clearly below the baseline
//!   flatters no one: a model trained with balanced class weights trades
//!   majority-class hits for minority-class ones and lands there by design,
//!   and the balanced accuracy test decides whether it learned anything.
//! - **Balanced accuracy against chance.** A model that guesses, independent
//!   of the truth, each of the `k'` classes present with probability
//!   `1/k'`, has per-class recalls `Binomial(n_c, 1/k') / n_c`; their mean,
//!   the balanced accuracy, has expectation `1/k'` and standard error
//!
//!   ```text
//!   se = (1/k') · sqrt( Σ_c (1/k')(1 − 1/k') / n_c )
//!   ```
//!
//!   from the per-class counts `n_c`. Balanced accuracy is within noise of
//!   chance when it is at most `1/k' + z · se` (default `z` 1.645, a
//!   one-sided 5% normal test). A constant answer scores exactly `1/k'`.
//!
//! The binomial tail is summed in log space from `P(X = correct)` upward,
//! stopping once the terms fall 50 natural-log units below the largest
//! (about 2e-22 of it), so it is accurate where `1 − cdf` would round to 0.
//!
//! Non-finite outputs get their own verdict: every row with NaN or Inf was
//! scored wrong, and the line says what a plain argmax would have reported
//! instead.

use serde::Serialize;

/// Thresholds of the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct VerdictConfig {
    /// Significance level of the one-sided binomial test of accuracy
    /// against the majority baseline. Default 0.05.
    pub alpha: f64,
    /// Smallest gain of accuracy over the baseline that counts, as a share
    /// (0.01 is one percentage point). Default 0.01.
    pub min_margin: f64,
    /// How many standard errors above chance balanced accuracy must be.
    /// Default 1.645 (one-sided 5%).
    pub z: f64,
    /// Shortfall of accuracy under the baseline, as a share, from which it
    /// no longer reads as the baseline's. Default 0.05.
    pub below_margin: f64,
}

impl Default for VerdictConfig {
    fn default() -> VerdictConfig {
        VerdictConfig {
            alpha: 0.05,
            min_margin: 0.01,
            z: 1.645,
            below_margin: 0.05,
        }
    }
}

/// What the numbers amount to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// The accuracy trap: balanced accuracy within noise of chance, or
    /// accuracy at the majority baseline.
    pub trap: bool,
    /// Accuracy is neither above nor below the baseline by `min_margin` at
    /// level `alpha`.
    pub accuracy_at_baseline: bool,
    /// Accuracy is below the baseline by at least `below_margin` at level
    /// `alpha`.
    pub accuracy_below_baseline: bool,
    /// One-sided binomial p-value of the correct count against the
    /// baseline rate.
    pub accuracy_p_value: f64,
    /// Balanced accuracy is at most `chance + z · se`.
    pub balanced_at_chance: bool,
    /// Chance level of balanced accuracy, `1/k'`.
    pub chance: f64,
    /// Standard error of balanced accuracy under chance.
    pub chance_se: f64,
    /// Some outputs were NaN or Inf.
    pub non_finite: bool,
    /// The verdict in plain words, one sentence group per line: the
    /// non-finite outputs first when there are any, then the trap or its
    /// absence.
    pub lines: Vec<String>,
}

/// `P(X ≥ k)` for `X ~ Binomial(n, p)`; `None` when `p` is not in [0, 1].
///
/// ```
/// use preflight::score::verdict::binomial_upper_tail;
/// // 8 or more heads in 10 fair tosses: (45 + 10 + 1) / 1024.
/// let p = binomial_upper_tail(8, 10, 0.5).unwrap();
/// assert!((p - 56.0 / 1024.0).abs() < 1e-15);
/// ```
pub fn binomial_upper_tail(k: usize, n: usize, p: f64) -> Option<f64> {
    if !(0.0..=1.0).contains(&p) {
        return None;
    }
    if k == 0 {
        return Some(1.0);
    }
    if k > n || p == 0.0 {
        return Some(0.0);
    }
    if p == 1.0 {
        return Some(1.0);
    }
    let (ln_p, ln_q) = (p.ln(), (-p).ln_1p());

    // ln P(X = k) from ln C(n, k) as a sum of ratios, with no factorial table.
    let mut ln_term: f64 = (1..=k)
        .map(|j| ((n - k + j) as f64 / j as f64).ln())
        .sum::<f64>()
        + k as f64 * ln_p
        + (n - k) as f64 * ln_q;

    // Running log-sum-exp of the terms from k upward.
    let mut peak = ln_term;
    let mut sum = 1.0f64;
    for i in k..n {
        ln_term += ((n - i) as f64 / (i + 1) as f64).ln() + ln_p - ln_q;
        if ln_term > peak {
            sum = sum * (peak - ln_term).exp() + 1.0;
            peak = ln_term;
        } else {
            sum += (ln_term - peak).exp();
            // Past the mode the terms only fall; the rest cannot matter.
            if ln_term < peak - 50.0 && (i as f64) > n as f64 * p {
                break;
            }
        }
    }
    Some((peak + sum.ln()).exp().min(1.0))
}

/// The standard error of balanced accuracy for a chance guesser, from the
/// examples per class present (see the module documentation); 0 without
/// classes.
pub fn chance_se(supports: &[usize]) -> f64 {
    let present: Vec<f64> = supports
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| n as f64)
        .collect();
    if present.is_empty() {
        return 0.0;
    }
    let k = present.len() as f64;
    let q = 1.0 / k;
    let var: f64 = present.iter().map(|n| q * (1.0 - q) / n).sum();
    var.sqrt() / k
}

/// The numbers the verdict reads, gathered by the scorecard.
#[derive(Debug, Clone)]
pub(crate) struct Evidence<'a> {
    pub n: usize,
    pub correct: usize,
    pub accuracy: f64,
    pub balanced_accuracy: f64,
    pub supports: Vec<usize>,
    pub majority_class: &'a str,
    pub baseline: f64,
    pub non_finite: usize,
    pub not_a_class: usize,
    /// Accuracy of a plain argmax, and the class an all-NaN row lands in.
    pub plain: Option<(f64, &'a str)>,
    /// One score per example: the plain read is a threshold, not an argmax.
    pub thresholded: bool,
}

/// Judges `e` with the thresholds of `config`.
pub(crate) fn judge(e: &Evidence<'_>, config: &VerdictConfig) -> Verdict {
    let mut lines = Vec::new();

    // Non-finite outputs first: no other number means much while they last.
    if e.non_finite > 0 {
        let share = 100.0 * e.non_finite as f64 / e.n as f64;
        let mut line = format!(
            "NaN/Inf outputs: {} of {} ({share:.1}%) hold NaN or Inf; they are scored wrong here.",
            e.non_finite, e.n
        );
        if let Some((plain, class0)) = e.plain {
            let how = if e.thresholded {
                "a plain threshold over these outputs would report accuracy".to_string()
            } else {
                "a plain argmax over these outputs would report accuracy".to_string()
            };
            let why = if e.thresholded {
                format!("a NaN compares false and becomes {}", class_zero(class0))
            } else {
                format!(
                    "NumPy's argmax returns the index of the first NaN, so an all-NaN row \
                     becomes {}",
                    class_zero(class0)
                )
            };
            line.push_str(&format!(" Unchecked, {how} {plain:.3}: {why}."));
        }
        line.push_str(
            " Find where the activations overflow (unnormalized inputs are the usual cause) \
             before reading any metric.",
        );
        lines.push(line);
    }
    if e.not_a_class > 0 {
        lines.push(format!(
            "Invalid labels: {} of {} predicted labels name no class; they are scored wrong.",
            e.not_a_class, e.n
        ));
    }

    // Accuracy against the majority baseline.
    let p_value = binomial_upper_tail(e.correct, e.n, e.baseline).unwrap_or(1.0);
    let gain = e.accuracy - e.baseline;
    let above = p_value < config.alpha && gain >= config.min_margin;
    let p_below = if e.correct + 1 > e.n {
        1.0
    } else {
        1.0 - binomial_upper_tail(e.correct + 1, e.n, e.baseline).unwrap_or(0.0)
    };
    let accuracy_below_baseline = p_below < config.alpha && -gain >= config.below_margin;
    let accuracy_at_baseline = !above && !accuracy_below_baseline;

    // Balanced accuracy against chance.
    let present = e.supports.iter().filter(|&&n| n > 0).count().max(1);
    let chance = 1.0 / present as f64;
    let se = chance_se(&e.supports);
    let bar = chance + config.z * se;
    let balanced_at_chance = e.balanced_accuracy <= bar;

    let trap = accuracy_at_baseline || balanced_at_chance;
    let baseline = format!(
        "always answering {} scores {:.3}",
        class_words(e.majority_class),
        e.baseline
    );
    let balanced = format!(
        "balanced accuracy {:.3} {} chance {:.3} + {} × {:.3} = {:.3}",
        e.balanced_accuracy,
        if e.balanced_accuracy < chance - config.z * se {
            "is below"
        } else if balanced_at_chance {
            "is within noise of"
        } else {
            "is above"
        },
        chance,
        config.z,
        se,
        bar
    );
    let accuracy = format!(
        "accuracy {:.3} {} the majority baseline ({baseline}; one-sided binomial p = {}, \
         margin {:+.3}, needed p < {} and margin ≥ {})",
        e.accuracy,
        if accuracy_below_baseline {
            "is below"
        } else if accuracy_at_baseline {
            "is not above"
        } else {
            "is above"
        },
        format_p(p_value),
        gain,
        config.alpha,
        config.min_margin
    );
    lines.push(if balanced_at_chance {
        format!(
            "The accuracy trap: the model does no better than chance. Its {balanced}, \
             and its {accuracy}. Judge it by balanced accuracy and per-class recall."
        )
    } else if accuracy_at_baseline {
        format!(
            "The accuracy trap: {accuracy}. Its {balanced}, so it does separate the classes \
             somewhat; judge it by balanced accuracy and per-class recall, not by accuracy."
        )
    } else if accuracy_below_baseline {
        format!(
            "No accuracy trap, but do not report accuracy alone: {accuracy}. The {balanced}: \
             the model separates the classes; judge it by balanced accuracy and per-class \
             recall."
        )
    } else {
        format!("No accuracy trap: {accuracy}, and {balanced}.")
    });

    Verdict {
        trap,
        accuracy_at_baseline,
        accuracy_below_baseline,
        accuracy_p_value: p_value,
        balanced_at_chance,
        chance,
        chance_se: se,
        non_finite: e.non_finite > 0,
        lines,
    }
}

/// A class as a sentence names it: `class 0` for a bare index.
pub(crate) fn class_words(name: &str) -> String {
    if name.parse::<u64>().is_ok() {
        format!("class {name}")
    } else {
        name.to_string()
    }
}

fn class_zero(name: &str) -> String {
    if name == "0" {
        "class 0".to_string()
    } else {
        format!("class 0 ({name})")
    }
}

fn format_p(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binomial_tail_by_hand() {
        assert_eq!(binomial_upper_tail(0, 5, 0.3), Some(1.0));
        assert_eq!(binomial_upper_tail(6, 5, 0.3), Some(0.0));
        // P(X ≥ 5) for n 5: p^5.
        let p = binomial_upper_tail(5, 5, 0.3).unwrap();
        assert!((p - 0.3f64.powi(5)).abs() < 1e-17);
        // P(X ≥ 1) = 1 − q^n.
        let p = binomial_upper_tail(1, 20, 0.1).unwrap();
        assert!((p - (1.0 - 0.9f64.powi(20))).abs() < 1e-14);
        assert_eq!(binomial_upper_tail(1, 3, 0.0), Some(0.0));
        assert_eq!(binomial_upper_tail(3, 3, 1.0), Some(1.0));
        assert_eq!(binomial_upper_tail(1, 3, 1.5), None);
    }

    #[test]
    fn binomial_tail_is_accurate_far_out() {
        // P(X = n) alone dominates: 0.924^1000, near 1e-34.
        let p = binomial_upper_tail(1000, 1000, 0.924).unwrap();
        let want = 1000.0 * 0.924f64.ln();
        assert!((p.ln() - want).abs() < 1e-9, "{p}");
    }

    #[test]
    fn chance_se_from_class_counts() {
        // Two classes of 100: (1/2) sqrt(2 · 0.25 / 100).
        let se = chance_se(&[100, 100]);
        assert!((se - 0.5 * (0.005f64).sqrt()).abs() < 1e-15);
        assert_eq!(chance_se(&[0, 0]), 0.0);
        // An absent class changes nothing.
        assert_eq!(chance_se(&[100, 0, 100]), se);
    }

    fn evidence(correct: usize, balanced_accuracy: f64) -> Evidence<'static> {
        Evidence {
            n: 1000,
            correct,
            accuracy: correct as f64 / 1000.0,
            balanced_accuracy,
            supports: vec![924, 76],
            majority_class: "nontarget",
            baseline: 0.924,
            non_finite: 0,
            not_a_class: 0,
            plain: None,
            thresholded: false,
        }
    }

    #[test]
    fn the_majority_answer_is_the_trap() {
        let v = judge(&evidence(924, 0.5), &VerdictConfig::default());
        assert!(v.trap && v.balanced_at_chance && v.accuracy_at_baseline);
        assert!(v.lines[0].starts_with("The accuracy trap"), "{:?}", v.lines);
        assert!(!v.non_finite);
    }

    #[test]
    fn a_good_model_is_no_trap() {
        let v = judge(&evidence(980, 0.93), &VerdictConfig::default());
        assert!(!v.trap, "{:?}", v.lines);
        assert!(v.accuracy_p_value < 1e-10);
        assert!(v.lines[0].starts_with("No accuracy trap"), "{:?}", v.lines);
    }

    #[test]
    fn a_significant_but_tiny_gain_is_still_the_trap() {
        // 930 of 1000 against 0.924 is not significant; with the margin
        // set to 0 and alpha to 1, it would count.
        let v = judge(&evidence(930, 0.7), &VerdictConfig::default());
        assert!(v.trap && v.accuracy_at_baseline && !v.balanced_at_chance);
        assert!(v.lines[0].contains("does separate the classes"));
        let lenient = VerdictConfig {
            alpha: 1.0,
            min_margin: 0.0,
            ..VerdictConfig::default()
        };
        assert!(!judge(&evidence(930, 0.7), &lenient).trap);
    }

    #[test]
    fn an_accuracy_clearly_below_the_baseline_is_no_trap_when_classes_are_separated() {
        // A class-weighted model: 757 of 1000 right, balanced accuracy 0.77.
        let v = judge(&evidence(757, 0.77), &VerdictConfig::default());
        assert!(!v.trap && v.accuracy_below_baseline && !v.accuracy_at_baseline);
        assert!(v.lines[0].starts_with("No accuracy trap, but do not report accuracy alone"));
        assert!(
            v.lines[0].contains("is below the majority baseline"),
            "{}",
            v.lines[0]
        );
        // The same accuracy at chance balanced accuracy is the trap.
        let v = judge(&evidence(757, 0.5), &VerdictConfig::default());
        assert!(v.trap && v.balanced_at_chance);
        // Just under the baseline, within noise, is at the baseline; so is
        // a significant shortfall of under 5 points (906 against 924).
        for correct in [920, 906] {
            let v = judge(&evidence(correct, 0.7), &VerdictConfig::default());
            assert!(v.trap && v.accuracy_at_baseline && !v.accuracy_below_baseline);
        }
    }

    #[test]
    fn non_finite_outputs_get_their_own_line() {
        let mut e = evidence(0, 0.0);
        e.non_finite = 1000;
        e.plain = Some((0.924, "nontarget"));
        let v = judge(&e, &VerdictConfig::default());
        assert!(v.non_finite && v.trap);
        assert!(
            v.lines[0].contains("1000 of 1000 (100.0%)"),
            "{}",
            v.lines[0]
        );
        assert!(
            v.lines[0].contains("a plain argmax over these outputs would report accuracy 0.924"),
            "{}",
            v.lines[0]
        );
    }
}
