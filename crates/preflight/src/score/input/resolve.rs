//! Making sense of the cells: which are the true classes, what the
//! predictions are, and the class names that join them.

use std::collections::BTreeSet;

use super::{Cells, KindChoice, Table, MAX_CLASSES};
use crate::score::{Predictions, ScoreError, ScoreKind};

/// The true labels as class indices, and the class names.
pub(super) fn resolve_labels(
    truth: &Table,
    classes: Option<&[String]>,
    predictions: &Table,
) -> Result<(Vec<u32>, Vec<String>), ScoreError> {
    if truth.cols != 1 {
        return Err(ScoreError::file(
            &truth.path,
            "shape",
            "one label per example (1 column or axis)",
            format!("{} columns", truth.cols),
        ));
    }
    let not_a_label =
        |i: usize, v: String, want: String| ScoreError::file(&truth.path, truth.at(i), want, v);

    // Names: the classes are the names, sorted, or the order given.
    let ix: Vec<u64> = match &truth.cells {
        Cells::Names(names) => {
            let classes: Vec<String> = match classes {
                Some(cls) => cls.to_vec(),
                None => names
                    .iter()
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect(),
            };
            let labels = names
                .iter()
                .enumerate()
                .map(|(i, name)| {
                    classes
                        .iter()
                        .position(|c| c == name)
                        .map(|c| c as u32)
                        .ok_or_else(|| {
                            not_a_label(
                                i,
                                format!("unknown class name {name:?}"),
                                format!(
                                    "one of the classes given by --classes ({})",
                                    classes.join(", ")
                                ),
                            )
                        })
                })
                .collect::<Result<_, _>>()?;
            return Ok((labels, classes));
        }
        Cells::Ints(v) => v
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                u64::try_from(x)
                    .map_err(|_| not_a_label(i, x.to_string(), "a class index ≥ 0".into()))
            })
            .collect::<Result<_, _>>()?,
        Cells::Floats(v) => v
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                if x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x < 4.0e9 {
                    Ok(x as u64)
                } else {
                    Err(not_a_label(
                        i,
                        x.to_string(),
                        "a whole class index ≥ 0 (labels cannot be NaN)".into(),
                    ))
                }
            })
            .collect::<Result<_, _>>()?,
    };

    // Indices into the classes given.
    if let Some(cls) = classes {
        let k = cls.len() as u64;
        let labels = ix
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                if x < k {
                    Ok(x as u32)
                } else {
                    Err(not_a_label(
                        i,
                        x.to_string(),
                        format!("a class index below {k} (--classes names {k} classes)"),
                    ))
                }
            })
            .collect::<Result<_, _>>()?;
        return Ok((labels, cls.to_vec()));
    }

    // Indices alone: classes 0..k, wide enough for the labels and the
    // predictions.
    let top = ix.iter().copied().max().unwrap_or(0);
    let width = match (&predictions.cells, predictions.cols) {
        (Cells::Ints(p), 1) => {
            // A predicted index beyond any plausible class names no class.
            let plausible = |x: &i64| (0..MAX_CLASSES as i64).contains(x);
            p.iter().copied().filter(plausible).max().unwrap_or(0) as u64 + 1
        }
        (_, 1) => 2,
        (_, w) => w as u64,
    };
    let k = (top + 1).max(width).max(2);
    if k > MAX_CLASSES {
        return Err(not_a_label(
            ix.iter().position(|&x| x == top).unwrap_or(0),
            top.to_string(),
            format!("class indices below {MAX_CLASSES}"),
        ));
    }
    let names = (0..k).map(|c| c.to_string()).collect();
    Ok((ix.iter().map(|&x| x as u32).collect(), names))
}

/// The predictions as the kind asked for.
pub(super) fn resolve_predictions(
    raw: &Table,
    kind: KindChoice,
    classes: &[String],
) -> Result<Predictions, ScoreError> {
    let wrong = |expected: &str, found: &str| {
        let field = if raw.is_npy { "dtype" } else { "content" };
        ScoreError::file(&raw.path, field, expected, found)
    };
    let score_kind = |values: &[f64], width: usize| match kind {
        KindChoice::Logits => ScoreKind::Logits,
        KindChoice::Probabilities => ScoreKind::Probabilities,
        _ => {
            let inferred = ScoreKind::infer(values, width);
            tracing::debug!(path = %raw.path.display(), kind = inferred.name(), "kind inferred");
            inferred
        }
    };
    match (&raw.cells, raw.cols) {
        (Cells::Ints(v), 1) => match kind {
            KindChoice::Auto | KindChoice::Labels => Ok(Predictions::Labels(
                v.iter().map(|&x| u32::try_from(x).ok()).collect(),
            )),
            _ => Err(wrong(
                "float scores for --kind logits or probabilities",
                "integers (predicted labels: use --kind labels or auto)",
            )),
        },
        (Cells::Ints(_), _) => Err(wrong(
            "float32 or float64 scores for a 2-D array (or a 1-D integer array of labels)",
            "a 2-D integer array",
        )),
        (Cells::Floats(v), 1) => match kind {
            KindChoice::Labels => Ok(Predictions::Labels(
                v.iter()
                    .map(|&x| {
                        (x.is_finite() && x >= 0.0 && x.fract() == 0.0 && x <= u32::MAX as f64)
                            .then_some(x as u32)
                    })
                    .collect(),
            )),
            _ => Ok(Predictions::Positive {
                kind: score_kind(v, 1),
                values: v.clone(),
            }),
        },
        (Cells::Floats(v), w) => match kind {
            KindChoice::Labels => Err(wrong(
                "one column of labels for --kind labels",
                &format!("{w} columns of scores"),
            )),
            _ => Ok(Predictions::Scores {
                kind: score_kind(v, w),
                classes: w,
                values: v.clone(),
            }),
        },
        (Cells::Names(names), 1) => match kind {
            KindChoice::Auto | KindChoice::Labels => Ok(Predictions::Labels(
                names
                    .iter()
                    .map(|n| classes.iter().position(|c| c == n).map(|c| c as u32))
                    .collect(),
            )),
            _ => Err(wrong(
                "float scores for --kind logits or probabilities",
                "class names (predicted labels: use --kind labels or auto)",
            )),
        },
        (Cells::Names(_), w) => Err(wrong(
            "numbers in a table of several columns",
            &format!("strings in {w} columns"),
        )),
    }
}
