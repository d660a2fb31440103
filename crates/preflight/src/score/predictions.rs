//! What a model said about each example, and how that becomes a predicted
//! class.
//!
//! A model's output reaches preflight in one of three shapes: an n × k
//! array of scores (logits or probabilities, one column per class), one
//! score per example for the positive class of two, or one predicted class
//! per example. [`Predictions`] holds any of them; [`Predictions::decide`]
//! turns each row into a class or into "no usable output", and
//! [`Predictions::plain_argmax`] into what NumPy's `argmax` would have said,
//! so that the two can be compared.

use serde::Serialize;

/// What the numbers of a score array are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ScoreKind {
    /// Unbounded scores, larger meaning more likely (logits, decision
    /// values). For one score per example, above 0 means the positive
    /// class.
    Logits,
    /// Probabilities in [0, 1]. For one score per example, above 0.5 means
    /// the positive class.
    Probabilities,
}

impl ScoreKind {
    /// The kind a score array most likely holds: probabilities if every
    /// row whose scores are all finite lies in [0, 1] and, with two or more
    /// columns, sums to 1 within `1e-3`; logits otherwise, and also when no
    /// row is finite (raw network outputs are where NaN usually appears).
    ///
    /// `values` is row-major with `width` columns; `width` 0 gives logits.
    ///
    /// ```
    /// use preflight::score::ScoreKind;
    /// assert_eq!(ScoreKind::infer(&[0.2, 0.8, 1.0, 0.0], 2), ScoreKind::Probabilities);
    /// assert_eq!(ScoreKind::infer(&[2.0, -1.0, f64::NAN, 0.0], 2), ScoreKind::Logits);
    /// assert_eq!(ScoreKind::infer(&[f64::NAN, f64::NAN], 2), ScoreKind::Logits);
    /// ```
    pub fn infer(values: &[f64], width: usize) -> ScoreKind {
        if width == 0 {
            return ScoreKind::Logits;
        }
        let mut finite_rows = 0usize;
        for row in values.chunks_exact(width) {
            if !row.iter().all(|v| v.is_finite()) {
                continue;
            }
            finite_rows += 1;
            let in_range = row.iter().all(|v| (0.0..=1.0).contains(v));
            let sums_to_one = width == 1 || (row.iter().sum::<f64>() - 1.0).abs() <= 1e-3;
            if !(in_range && sums_to_one) {
                return ScoreKind::Logits;
            }
        }
        if finite_rows == 0 {
            ScoreKind::Logits
        } else {
            ScoreKind::Probabilities
        }
    }

    /// The name used in output: `logits` or `probabilities`.
    pub fn name(self) -> &'static str {
        match self {
            ScoreKind::Logits => "logits",
            ScoreKind::Probabilities => "probabilities",
        }
    }
}

/// A model's output for every example, in the order of the labels.
#[derive(Debug, Clone, PartialEq)]
pub enum Predictions {
    /// One score per example and class, row-major: `values[i * classes + c]`
    /// is example `i`'s score for class `c`.
    Scores {
        /// Logits or probabilities.
        kind: ScoreKind,
        /// Columns per row.
        classes: usize,
        /// `n × classes` values.
        values: Vec<f64>,
    },
    /// One score per example for the second of two classes (the positive
    /// class): a probability, or a logit or decision value.
    Positive {
        /// Logits or probabilities (which sets the threshold: 0 or 0.5).
        kind: ScoreKind,
        /// One value per example.
        values: Vec<f64>,
    },
    /// One predicted class index per example; `None` where the output names
    /// no class at all (a NaN, a negative or fractional number, a name that
    /// is not a class). Indices at or above the number of classes are kept
    /// and scored as naming no class.
    Labels(Vec<Option<u32>>),
}

/// What one row of predictions amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// A predicted class.
    Class(u32),
    /// A score is NaN or infinite: no class can honestly be read from it.
    NonFinite,
    /// A predicted label that is not one of the classes.
    NotAClass,
}

impl Predictions {
    /// Number of examples.
    pub fn len(&self) -> usize {
        match self {
            Predictions::Scores {
                classes, values, ..
            } => {
                if *classes == 0 {
                    0
                } else {
                    values.len() / classes
                }
            }
            Predictions::Positive { values, .. } => values.len(),
            Predictions::Labels(labels) => labels.len(),
        }
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `logits`, `probabilities` or `labels`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Predictions::Scores { kind, .. } | Predictions::Positive { kind, .. } => kind.name(),
            Predictions::Labels(_) => "labels",
        }
    }

    /// The class of every row, out of `classes` classes.
    ///
    /// A score row is decided by its largest score (the first, on a tie) and
    /// only when every score in it is finite: a row holding NaN or Inf is
    /// [`Decision::NonFinite`], never passed through an argmax. One score
    /// per example means the positive class (1) above the threshold (0.5
    /// for probabilities, 0 for logits) and class 0 otherwise.
    pub fn decide(&self, classes: usize) -> Vec<Decision> {
        match self {
            Predictions::Scores {
                classes: width,
                values,
                ..
            } => values
                .chunks_exact((*width).max(1))
                .map(|row| {
                    if row.iter().all(|v| v.is_finite()) {
                        Decision::Class(first_max(row))
                    } else {
                        Decision::NonFinite
                    }
                })
                .collect(),
            Predictions::Positive { kind, values } => {
                let threshold = positive_threshold(*kind);
                values
                    .iter()
                    .map(|&v| {
                        if v.is_finite() {
                            Decision::Class(u32::from(v > threshold))
                        } else {
                            Decision::NonFinite
                        }
                    })
                    .collect()
            }
            Predictions::Labels(labels) => labels
                .iter()
                .map(|l| match l {
                    Some(c) if (*c as usize) < classes => Decision::Class(*c),
                    _ => Decision::NotAClass,
                })
                .collect(),
        }
    }

    /// What `numpy.argmax(scores, axis=1)` returns for every row, NaN and
    /// all: NumPy propagates NaN through its maximum, so a row holding a
    /// NaN yields the index of its first NaN, and an all-NaN row class 0.
    /// `+inf` wins a row as any largest value does. One score per example
    /// gives what `scores > threshold` does: a NaN compares false, class 0.
    /// `None` for predicted labels, where no argmax is involved.
    pub fn plain_argmax(&self) -> Option<Vec<u32>> {
        match self {
            Predictions::Scores {
                classes: width,
                values,
                ..
            } => Some(
                values
                    .chunks_exact((*width).max(1))
                    .map(|row| match row.iter().position(|v| v.is_nan()) {
                        Some(i) => i as u32,
                        None => first_max(row),
                    })
                    .collect(),
            ),
            Predictions::Positive { kind, values } => {
                let threshold = positive_threshold(*kind);
                Some(values.iter().map(|&v| u32::from(v > threshold)).collect())
            }
            Predictions::Labels(_) => None,
        }
    }

    /// Per example, the score of the positive class (class 1) against the
    /// negative: the probability of class 1, or the logit difference
    /// `s1 - s0`, or the single score given. `None` unless the output is
    /// scores of exactly two classes.
    pub fn positive_scores(&self) -> Option<Vec<f64>> {
        match self {
            Predictions::Scores {
                kind,
                classes: 2,
                values,
            } => Some(
                values
                    .chunks_exact(2)
                    .map(|row| {
                        // A row decided non-finite must rank as non-finite here
                        // too, even when its positive column alone is finite.
                        if !row.iter().all(|v| v.is_finite()) {
                            return f64::NAN;
                        }
                        match kind {
                            ScoreKind::Probabilities => row[1],
                            ScoreKind::Logits => row[1] - row[0],
                        }
                    })
                    .collect(),
            ),
            Predictions::Positive { values, .. } => Some(values.clone()),
            _ => None,
        }
    }
}

fn positive_threshold(kind: ScoreKind) -> f64 {
    match kind {
        ScoreKind::Logits => 0.0,
        ScoreKind::Probabilities => 0.5,
    }
}

/// Index of the first largest value; the row must be finite and not empty.
fn first_max(row: &[f64]) -> u32 {
    let mut best = 0usize;
    for (i, v) in row.iter().enumerate() {
        if *v > row[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scores(values: Vec<f64>) -> Predictions {
        Predictions::Scores {
            kind: ScoreKind::Logits,
            classes: 3,
            values,
        }
    }

    #[test]
    fn a_row_with_nan_is_never_argmaxed() {
        let nan = f64::NAN;
        let p = scores(vec![0.0, 2.0, 1.0, 5.0, nan, 9.0, nan, nan, nan]);
        assert_eq!(
            p.decide(3),
            [Decision::Class(1), Decision::NonFinite, Decision::NonFinite]
        );
        // NumPy: the first NaN wins its row; an all-NaN row is class 0.
        assert_eq!(p.plain_argmax(), Some(vec![1, 1, 0]));
    }

    #[test]
    fn infinity_is_non_finite_but_wins_a_plain_argmax() {
        let p = scores(vec![0.0, f64::INFINITY, 1.0, f64::NEG_INFINITY, 0.0, 0.0]);
        assert_eq!(p.decide(3), [Decision::NonFinite, Decision::NonFinite]);
        assert_eq!(p.plain_argmax(), Some(vec![1, 1]));
    }

    #[test]
    fn ties_go_to_the_first_class() {
        assert_eq!(scores(vec![1.0, 3.0, 3.0]).decide(3), [Decision::Class(1)]);
    }

    #[test]
    fn one_score_per_example_thresholds_by_kind() {
        let values = vec![0.3, 0.5, 0.7, -1.0, f64::NAN];
        let prob = Predictions::Positive {
            kind: ScoreKind::Probabilities,
            values: values.clone(),
        };
        use Decision::*;
        assert_eq!(
            prob.decide(2),
            [Class(0), Class(0), Class(1), Class(0), NonFinite]
        );
        let logit = Predictions::Positive {
            kind: ScoreKind::Logits,
            values,
        };
        assert_eq!(
            logit.decide(2),
            [Class(1), Class(1), Class(1), Class(0), NonFinite]
        );
        assert_eq!(logit.plain_argmax(), Some(vec![1, 1, 1, 0, 0]));
    }

    #[test]
    fn labels_outside_the_classes_name_no_class() {
        let p = Predictions::Labels(vec![Some(0), Some(2), None, Some(1)]);
        use Decision::*;
        assert_eq!(p.decide(2), [Class(0), NotAClass, NotAClass, Class(1)]);
        assert_eq!(p.plain_argmax(), None);
    }

    #[test]
    fn positive_scores_are_the_logit_difference_or_the_probability() {
        let logits = Predictions::Scores {
            kind: ScoreKind::Logits,
            classes: 2,
            values: vec![1.0, 3.0, f64::NAN, 0.0],
        };
        let s = logits.positive_scores().unwrap();
        assert_eq!(s[0], 2.0);
        assert!(s[1].is_nan());
        let prob = Predictions::Scores {
            kind: ScoreKind::Probabilities,
            classes: 2,
            values: vec![0.1, 0.9],
        };
        assert_eq!(prob.positive_scores(), Some(vec![0.9]));
        assert_eq!(scores(vec![0.0; 3]).positive_scores(), None);
    }
}
