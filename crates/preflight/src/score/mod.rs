//! The scorecard: what a classifier's predictions are worth, judged
//! honestly.
//!
//! A model's outputs ([`Predictions`]: scores, one positive-class score, or
//! labels) and the true labels make a [`Scorecard`]: the confusion matrix,
//! accuracy, balanced accuracy, per-class recall and precision, the ROC
//! AUC for two classes ([`auc`]), the majority-class baseline, the count of
//! NaN/Inf outputs, what a plain NumPy argmax would have reported, and a
//! [`Verdict`] in plain words ([`verdict`] defines its tests).
//!
//! Two rules set it apart from computing the same metrics with
//! scikit-learn on `argmax(outputs)`:
//!
//! - a row with any NaN or Inf score, or a predicted label that is not a
//!   class, is scored wrong and never passed through an argmax (which would
//!   turn an all-NaN row into class 0, often the majority class);
//! - accuracy is always read against the majority baseline and balanced
//!   accuracy against chance.
//!
//! [`input`] reads predictions and labels from `.npy`, `.csv`, `.tsv` and
//! text files for `preflight evaluate`; a trainer passes them in memory.
//! The `Serialize` form of a scorecard is the `scorecard` field of
//! `preflight evaluate --json` (schema [`SCHEMA`]).

pub mod auc;
mod error;
pub mod input;
pub mod metrics;
mod predictions;
mod render;
pub mod verdict;

use serde::Serialize;

pub use error::ScoreError;
pub use predictions::{Decision, Predictions, ScoreKind};
pub use verdict::{Verdict, VerdictConfig};

use metrics::{majority_baseline, Confusion};

/// Schema name of `preflight evaluate --json`.
pub const SCHEMA: &str = "preflight.evaluate/1";

/// One class's row of the scorecard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScore {
    /// Class name.
    pub class: String,
    /// Examples of the class.
    pub support: usize,
    /// Examples predicted as the class.
    pub predicted: usize,
    /// Share of the class's examples predicted as it; `None` without
    /// examples.
    pub recall: Option<f64>,
    /// Share of the predictions of the class that are right; `None` when
    /// it was never predicted.
    pub precision: Option<f64>,
}

/// A count of examples and its share of all examples.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    /// Examples.
    pub count: usize,
    /// `count / examples`.
    pub share: f64,
}

/// What a plain argmax over the raw outputs would have reported.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PlainArgmax {
    /// Examples it gets right.
    pub correct: usize,
    /// Its accuracy.
    pub accuracy: f64,
    /// It is a threshold on one score per example (`p > 0.5`, `s > 0`),
    /// not an argmax over columns.
    pub thresholded: bool,
}

/// Every number worth knowing about a set of predictions.
///
/// ```
/// use preflight::score::{Predictions, Scorecard};
///
/// // 1000 examples, 924 of class 0, and a model whose logits are all NaN.
/// let labels: Vec<u32> = (0..1000).map(|i| u32::from(i >= 924)).collect();
/// let predictions = Predictions::Scores {
///     kind: preflight::score::ScoreKind::Logits,
///     classes: 2,
///     values: vec![f64::NAN; 2000],
/// };
/// let classes = ["nontarget".to_string(), "target".to_string()];
/// let card = Scorecard::new(&labels, &predictions, &classes).unwrap();
/// assert_eq!(card.accuracy, 0.0);
/// assert_eq!(card.non_finite.share, 1.0);
/// assert_eq!(card.plain_argmax.unwrap().accuracy, 0.924);
/// assert!(card.verdict.trap);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    /// Examples scored.
    pub examples: usize,
    /// Class names, in index order.
    pub classes: Vec<String>,
    /// What the predictions were: `logits`, `probabilities` or `labels`.
    pub kind: String,
    /// `confusion[t][p]`: examples of true class `t` predicted as `p`.
    pub confusion: Vec<Vec<usize>>,
    /// Per true class, examples whose output named no class (NaN/Inf
    /// scores or an invalid label).
    pub unscored: Vec<usize>,
    /// Examples predicted right.
    pub correct: usize,
    /// `correct / examples`.
    pub accuracy: f64,
    /// Mean recall over the classes present in the labels.
    pub balanced_accuracy: f64,
    /// Per class.
    pub per_class: Vec<ClassScore>,
    /// ROC AUC of the positive class (the second) for two classes, with
    /// non-finite scores ranked wrong; `None` for labels, for more than two
    /// classes, or when one class has no example.
    pub roc_auc: Option<f64>,
    /// Why `roc_auc` is `None`, in words.
    pub roc_auc_note: Option<String>,
    /// The most common true class (the first, on a tie).
    pub majority_class: String,
    /// The accuracy of always answering it.
    pub majority_baseline: f64,
    /// Rows with a NaN or Inf output.
    pub non_finite: Share,
    /// Predicted labels that name no class.
    pub not_a_class: Share,
    /// What a plain NumPy argmax (or threshold) would have reported;
    /// `None` for predicted labels.
    pub plain_argmax: Option<PlainArgmax>,
    /// The verdict.
    pub verdict: Verdict,
    /// The thresholds the verdict used.
    pub verdict_config: VerdictConfig,
}

impl Scorecard {
    /// Scores `predictions` against `labels` (class indices into `classes`)
    /// with the default verdict thresholds.
    ///
    /// # Errors
    ///
    /// [`ScoreError::Input`] when there are no labels or classes, a label is
    /// not below `classes.len()`, the predictions are not one per label, or
    /// their number of score columns is not the number of classes (two for
    /// one score per example).
    pub fn new(
        labels: &[u32],
        predictions: &Predictions,
        classes: &[String],
    ) -> Result<Scorecard, ScoreError> {
        Scorecard::with_config(labels, predictions, classes, &VerdictConfig::default())
    }

    /// [`Scorecard::new`] with the verdict's thresholds given.
    ///
    /// # Errors
    ///
    /// As [`Scorecard::new`], and [`ScoreError::Input`] for a threshold out
    /// of range.
    pub fn with_config(
        labels: &[u32],
        predictions: &Predictions,
        classes: &[String],
        config: &VerdictConfig,
    ) -> Result<Scorecard, ScoreError> {
        check(labels, predictions, classes, config)?;
        let k = classes.len();
        let n = labels.len();

        // Decide every row, and count what could not be decided.
        let decisions = predictions.decide(k);
        let confusion = Confusion::new(labels, &decisions, k);
        let count = |d: Decision| decisions.iter().filter(|&&x| x == d).count();
        let share = |count: usize| Share {
            count,
            share: count as f64 / n as f64,
        };
        let non_finite = share(count(Decision::NonFinite));
        let not_a_class = share(count(Decision::NotAClass));

        // The plain argmax, NaN and all.
        let plain_argmax = predictions.plain_argmax().map(|plain| {
            let correct = plain.iter().zip(labels).filter(|(p, t)| p == t).count();
            PlainArgmax {
                correct,
                accuracy: correct as f64 / n as f64,
                thresholded: matches!(predictions, Predictions::Positive { .. }),
            }
        });

        // ROC AUC of the positive class.
        let (roc_auc, roc_auc_note) = match (k, predictions.positive_scores()) {
            (2, Some(scores)) => {
                let positive: Vec<bool> = labels.iter().map(|&l| l == 1).collect();
                match auc::roc_auc(&scores, &positive) {
                    Some(a) => (Some(a), None),
                    None => (
                        None,
                        Some("undefined: the labels hold only one class".to_string()),
                    ),
                }
            }
            (2, None) => (None, Some("needs scores, not labels".to_string())),
            _ => (None, Some(format!("defined here for 2 classes, not {k}"))),
        };

        // The baseline and the verdict.
        let (majority, baseline) =
            majority_baseline(labels, k).expect("labels checked to be non-empty and below k");
        let majority_class = classes.get(majority as usize).cloned().unwrap_or_default();
        let correct = confusion.correct();
        let accuracy = correct as f64 / n as f64;
        let balanced_accuracy = confusion.balanced_accuracy().unwrap_or(0.0);
        let supports: Vec<usize> = (0..k).map(|c| confusion.support(c)).collect();
        let evidence = verdict::Evidence {
            n,
            correct,
            accuracy,
            balanced_accuracy,
            supports,
            majority_class: &majority_class,
            baseline,
            non_finite: non_finite.count,
            not_a_class: not_a_class.count,
            plain: plain_argmax.map(|p| (p.accuracy, classes[0].as_str())),
            thresholded: plain_argmax.is_some_and(|p| p.thresholded),
        };
        let verdict = verdict::judge(&evidence, config);

        let per_class = classes
            .iter()
            .enumerate()
            .map(|(c, name)| ClassScore {
                class: name.clone(),
                support: confusion.support(c),
                predicted: confusion.predicted(c),
                recall: confusion.recall(c),
                precision: confusion.precision(c),
            })
            .collect();
        Ok(Scorecard {
            examples: n,
            classes: classes.to_vec(),
            kind: predictions.kind_name().to_string(),
            confusion: confusion.counts,
            unscored: confusion.unscored,
            correct,
            accuracy,
            balanced_accuracy,
            per_class,
            roc_auc,
            roc_auc_note,
            majority_class,
            majority_baseline: baseline,
            non_finite,
            not_a_class,
            plain_argmax,
            verdict,
            verdict_config: *config,
        })
    }

    /// Whether the verdict found the accuracy trap.
    pub fn is_trap(&self) -> bool {
        self.verdict.trap
    }

    /// Whether some outputs were NaN or Inf.
    pub fn has_non_finite(&self) -> bool {
        self.non_finite.count > 0
    }
}

/// The checks of [`Scorecard::with_config`]'s arguments.
fn check(
    labels: &[u32],
    predictions: &Predictions,
    classes: &[String],
    config: &VerdictConfig,
) -> Result<(), ScoreError> {
    let k = classes.len();
    if k == 0 {
        return Err(ScoreError::input(
            "classes",
            "at least one class name",
            "none",
        ));
    }
    if labels.is_empty() {
        return Err(ScoreError::input("labels", "at least one label", "none"));
    }
    if let Some((i, l)) = labels.iter().enumerate().find(|(_, &l)| l as usize >= k) {
        return Err(ScoreError::input(
            "labels",
            format!("class indices below {k} (the number of classes)"),
            format!("{l} at index {i}"),
        ));
    }
    match predictions {
        Predictions::Scores {
            classes: width,
            values,
            ..
        } => {
            if *width != k {
                return Err(ScoreError::input(
                    "predictions",
                    format!("one score column per class ({k})"),
                    format!("{width} columns"),
                ));
            }
            if values.len() % k != 0 {
                return Err(ScoreError::input(
                    "predictions",
                    format!("a multiple of {k} values (rows × classes)"),
                    format!("{} values", values.len()),
                ));
            }
        }
        Predictions::Positive { .. } if k != 2 => {
            return Err(ScoreError::input(
                "predictions",
                "one score per example only for two classes",
                format!("{k} classes"),
            ));
        }
        _ => {}
    }
    if predictions.len() != labels.len() {
        return Err(ScoreError::input(
            "predictions",
            format!("one per label ({})", labels.len()),
            format!("{}", predictions.len()),
        ));
    }
    let ok = |x: f64| x.is_finite();
    if !(ok(config.alpha) && config.alpha > 0.0 && config.alpha <= 1.0) {
        return Err(ScoreError::input(
            "alpha",
            "a significance level in (0, 1]",
            config.alpha.to_string(),
        ));
    }
    if !(ok(config.min_margin) && ok(config.z) && ok(config.below_margin)) {
        return Err(ScoreError::input(
            "min_margin, z, below_margin",
            "finite numbers",
            format!(
                "{}, {}, {}",
                config.min_margin, config.z, config.below_margin
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(k: usize) -> Vec<String> {
        (0..k).map(|c| format!("c{c}")).collect()
    }

    #[test]
    fn a_labels_only_card_has_no_auc_and_no_plain_argmax() {
        let labels = [0, 1, 1, 0];
        let p = Predictions::Labels(vec![Some(0), Some(1), Some(0), Some(5)]);
        let card = Scorecard::new(&labels, &p, &names(2)).unwrap();
        assert_eq!(card.correct, 2);
        assert_eq!(card.not_a_class.count, 1);
        assert_eq!(card.unscored, [1, 0]);
        assert_eq!(card.roc_auc, None);
        assert!(card.roc_auc_note.unwrap().contains("needs scores"));
        assert_eq!(card.plain_argmax, None);
        assert_eq!(card.kind, "labels");
    }

    #[test]
    fn inputs_that_disagree_are_errors() {
        let two = Predictions::Labels(vec![Some(0), Some(1)]);
        let e = Scorecard::new(&[0, 1, 1], &two, &names(2)).unwrap_err();
        assert!(e.to_string().contains("one per label (3)"), "{e}");
        let e = Scorecard::new(&[0, 2], &two, &names(2)).unwrap_err();
        assert!(e.to_string().contains("2 at index 1"), "{e}");
        let wide = Predictions::Scores {
            kind: ScoreKind::Logits,
            classes: 3,
            values: vec![0.0; 6],
        };
        let e = Scorecard::new(&[0, 1], &wide, &names(2)).unwrap_err();
        assert!(e.to_string().contains("3 columns"), "{e}");
        assert!(Scorecard::new(&[], &two, &names(2)).is_err());
        let one = Predictions::Positive {
            kind: ScoreKind::Logits,
            values: vec![0.0; 2],
        };
        assert!(Scorecard::new(&[0, 1], &one, &names(3)).is_err());
    }

    proptest::proptest! {
        /// Whatever the outputs, the counts add up, every share is a share,
        /// and a plain argmax is never below the honest accuracy (it agrees
        /// on finite rows and can only luck out on the others).
        #[test]
        fn counts_add_up_and_plain_argmax_never_scores_lower(
            rows in proptest::collection::vec(
                (0u32..3, proptest::collection::vec(
                    proptest::prop_oneof![
                        8 => -5.0f64..5.0,
                        1 => proptest::strategy::Just(f64::NAN),
                        1 => proptest::strategy::Just(f64::INFINITY),
                    ],
                    3,
                )),
                1..60,
            ),
        ) {
            let labels: Vec<u32> = rows.iter().map(|r| r.0).collect();
            let values: Vec<f64> = rows.iter().flat_map(|r| r.1.clone()).collect();
            let p = Predictions::Scores { kind: ScoreKind::Logits, classes: 3, values };
            let card = Scorecard::new(&labels, &p, &names(3)).unwrap();
            let scored: usize = card.confusion.iter().flatten().sum();
            proptest::prop_assert_eq!(scored + card.non_finite.count, labels.len());
            proptest::prop_assert_eq!(card.unscored.iter().sum::<usize>(), card.non_finite.count);
            proptest::prop_assert!((0.0..=1.0).contains(&card.accuracy));
            proptest::prop_assert!((0.0..=1.0).contains(&card.balanced_accuracy));
            let plain = card.plain_argmax.unwrap();
            proptest::prop_assert!(plain.correct >= card.correct);
            proptest::prop_assert!(card.verdict.accuracy_p_value <= 1.0);
        }
    }

    #[test]
    fn auc_for_two_classes_only() {
        let p = Predictions::Scores {
            kind: ScoreKind::Probabilities,
            classes: 2,
            values: vec![0.9, 0.1, 0.4, 0.6, 0.3, 0.7, 0.8, 0.2],
        };
        let card = Scorecard::new(&[0, 1, 1, 0], &p, &names(2)).unwrap();
        assert_eq!(card.roc_auc, Some(1.0));
        let one_class = Scorecard::new(&[1, 1, 1, 1], &p, &names(2)).unwrap();
        assert_eq!(one_class.roc_auc, None);
        assert!(one_class.roc_auc_note.unwrap().contains("only one class"));
    }
}
