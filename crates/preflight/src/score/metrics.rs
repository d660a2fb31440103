//! Counting metrics from the confusion matrix: accuracy, balanced
//! accuracy, per-class recall and precision, and the majority baseline.
//!
//! The definitions are scikit-learn's (`confusion_matrix`,
//! `accuracy_score`, `balanced_accuracy_score`, `recall_score`,
//! `precision_score` with `average=None`), with one addition: a row whose
//! output names no class (NaN or Inf scores, a label that is not a class)
//! is counted in [`Confusion::unscored`] for its true class. It is wrong
//! for accuracy and for its class's recall, and counts toward no class's
//! precision, exactly as if the model had answered a class that does not
//! exist. Where scikit-learn would divide by zero (recall of a class with
//! no example, precision of a class never predicted), the result is `None`.

use serde::Serialize;

use super::predictions::Decision;

/// The confusion matrix of `k` classes, with the rows that got no class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Confusion {
    /// `counts[t][p]`: examples of true class `t` predicted as `p`.
    pub counts: Vec<Vec<usize>>,
    /// Per true class, the examples whose output named no class.
    pub unscored: Vec<usize>,
}

impl Confusion {
    /// Counts `decisions` against `labels` (true class indices below `k`;
    /// others are skipped, which the caller rules out). Pairs beyond the
    /// shorter slice are ignored.
    pub fn new(labels: &[u32], decisions: &[Decision], k: usize) -> Confusion {
        let mut counts = vec![vec![0usize; k]; k];
        let mut unscored = vec![0usize; k];
        for (&t, d) in labels.iter().zip(decisions) {
            let t = t as usize;
            if t >= k {
                continue;
            }
            match d {
                Decision::Class(p) if (*p as usize) < k => counts[t][*p as usize] += 1,
                _ => unscored[t] += 1,
            }
        }
        Confusion { counts, unscored }
    }

    /// Number of classes.
    pub fn classes(&self) -> usize {
        self.counts.len()
    }

    /// Examples of true class `c`, scored or not.
    pub fn support(&self, c: usize) -> usize {
        self.counts.get(c).map_or(0, |row| row.iter().sum())
            + self.unscored.get(c).copied().unwrap_or(0)
    }

    /// Examples predicted as class `c`.
    pub fn predicted(&self, c: usize) -> usize {
        self.counts.iter().filter_map(|row| row.get(c)).sum()
    }

    /// All examples.
    pub fn total(&self) -> usize {
        (0..self.classes()).map(|c| self.support(c)).sum()
    }

    /// Examples predicted as their true class.
    pub fn correct(&self) -> usize {
        self.counts
            .iter()
            .enumerate()
            .filter_map(|(c, row)| row.get(c))
            .sum()
    }

    /// `correct / total`; `None` without examples.
    pub fn accuracy(&self) -> Option<f64> {
        ratio(self.correct(), self.total())
    }

    /// Recall of class `c`: `counts[c][c] / support(c)`; `None` when the
    /// class has no example.
    pub fn recall(&self, c: usize) -> Option<f64> {
        let hit = self.counts.get(c)?.get(c).copied()?;
        ratio(hit, self.support(c))
    }

    /// Precision of class `c`: `counts[c][c] / predicted(c)`; `None` when
    /// the class was never predicted.
    pub fn precision(&self, c: usize) -> Option<f64> {
        let hit = self.counts.get(c)?.get(c).copied()?;
        ratio(hit, self.predicted(c))
    }

    /// Mean recall over the classes that have examples (scikit-learn's
    /// `balanced_accuracy_score`, which leaves out classes absent from the
    /// labels); `None` without examples. Chance level is `1 / k'` for `k'`
    /// classes present, whatever their sizes.
    ///
    /// ```
    /// use preflight::score::metrics::Confusion;
    /// use preflight::score::Decision::Class;
    /// // 8 of class 0 all right, 2 of class 1 both wrong: accuracy 0.8,
    /// // balanced accuracy (1 + 0) / 2.
    /// let labels = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
    /// let c = Confusion::new(&labels, &[Class(0); 10], 2);
    /// assert_eq!(c.accuracy(), Some(0.8));
    /// assert_eq!(c.balanced_accuracy(), Some(0.5));
    /// ```
    pub fn balanced_accuracy(&self) -> Option<f64> {
        let recalls: Vec<f64> = (0..self.classes()).filter_map(|c| self.recall(c)).collect();
        if recalls.is_empty() {
            None
        } else {
            Some(recalls.iter().sum::<f64>() / recalls.len() as f64)
        }
    }

    /// Classes with at least one example.
    pub fn classes_present(&self) -> usize {
        (0..self.classes()).filter(|&c| self.support(c) > 0).count()
    }
}

/// The majority class of `labels` (the first of the largest, as an argmax
/// picks it) and its share: the accuracy of always answering it. `None`
/// without labels. Labels at or above `k` are not counted.
pub fn majority_baseline(labels: &[u32], k: usize) -> Option<(u32, f64)> {
    let mut counts = vec![0usize; k];
    for &l in labels {
        if let Some(c) = counts.get_mut(l as usize) {
            *c += 1;
        }
    }
    let total: usize = counts.iter().sum();
    let mut best: Option<(usize, usize)> = None;
    for (c, &n) in counts.iter().enumerate() {
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((c, n));
        }
    }
    let (c, n) = best?;
    Some((c as u32, ratio(n, total)?))
}

fn ratio(a: usize, b: usize) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::{Class, NonFinite, NotAClass};

    /// Three classes, hand-counted:
    /// true 0: predicted 0, 0, 1, NaN   → recall 2/4
    /// true 1: predicted 1, 1, 2        → recall 2/3
    /// true 2: predicted 0, 2, not-a-class → recall 1/3
    fn three_classes() -> Confusion {
        let labels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
        let decisions = [
            Class(0),
            Class(0),
            Class(1),
            NonFinite,
            Class(1),
            Class(1),
            Class(2),
            Class(0),
            Class(2),
            NotAClass,
        ];
        Confusion::new(&labels, &decisions, 3)
    }

    #[test]
    fn confusion_counts_and_unscored_rows() {
        let c = three_classes();
        assert_eq!(c.counts, [[2, 1, 0], [0, 2, 1], [1, 0, 1]]);
        assert_eq!(c.unscored, [1, 0, 1]);
        assert_eq!((c.total(), c.correct()), (10, 5));
        assert_eq!(c.support(0), 4);
        assert_eq!(c.predicted(0), 3);
    }

    #[test]
    fn accuracy_recall_precision_by_hand() {
        let c = three_classes();
        assert_eq!(c.accuracy(), Some(0.5));
        assert_eq!(c.recall(0), Some(0.5));
        assert_eq!(c.recall(1), Some(2.0 / 3.0));
        assert_eq!(c.recall(2), Some(1.0 / 3.0));
        // Predicted 0: 2 right of 3; 1: 2 of 3; 2: 1 of 2. Unscored rows
        // count for no class.
        assert_eq!(c.precision(0), Some(2.0 / 3.0));
        assert_eq!(c.precision(1), Some(2.0 / 3.0));
        assert_eq!(c.precision(2), Some(0.5));
        let bacc = c.balanced_accuracy().unwrap();
        assert!((bacc - (0.5 + 2.0 / 3.0 + 1.0 / 3.0) / 3.0).abs() < 1e-15);
    }

    #[test]
    fn undefined_ratios_are_none() {
        // Class 2 has no example and is never predicted.
        let c = Confusion::new(&[0, 1, 1], &[Class(0), Class(0), Class(1)], 3);
        assert_eq!(c.recall(2), None);
        assert_eq!(c.precision(2), None);
        // Balanced accuracy leaves the absent class out: (1 + 1/2) / 2.
        assert_eq!(c.balanced_accuracy(), Some(0.75));
        assert_eq!(c.classes_present(), 2);
        let empty = Confusion::new(&[], &[], 2);
        assert_eq!(empty.accuracy(), None);
        assert_eq!(empty.balanced_accuracy(), None);
        assert_eq!(c.recall(7), None);
    }

    #[test]
    fn majority_is_the_first_largest_class() {
        assert_eq!(majority_baseline(&[1, 1, 0, 2, 2], 3), Some((1, 0.4)));
        assert_eq!(majority_baseline(&[0, 0, 0, 1], 2), Some((0, 0.75)));
        assert_eq!(majority_baseline(&[], 2), None);
    }
}
