//! Predictions and labels read from files, as `preflight evaluate` takes
//! them.
//!
//! Predictions:
//!
//! - `.npy`: a 1-D integer (or boolean) array of predicted classes; a 2-D
//!   float32/float64 array of scores, examples × classes; a 1-D float array
//!   of one score per example for the positive class of two. An `n × 1`
//!   array counts as 1-D. Either byte order, C or Fortran order.
//! - `.csv`, `.tsv` or text: one row per example, an optional header; one
//!   column of labels (integers or class names) or of positive-class
//!   scores, or one column of scores per class. An empty cell is a NaN, as
//!   pandas writes it.
//!
//! Labels: `.npy` of integers (or strings), or one column of a text file:
//! integers or class names. Class names are sorted unless
//! [`InputConfig::classes`] gives their order, which integer labels index.
//!
//! Which kind of scores a file holds is [`KindChoice::Auto`] unless said:
//! labels if integers (or names), else [`ScoreKind::infer`]. A text file's
//! first row is a header when it is not numeric and the rows below are;
//! in a column of names, when it is not one of the classes given, or
//! (without them) when its value appears nowhere else in the column.
//!
//! Every problem is a [`ScoreError`] naming the file, the field (`dtype`,
//! `shape`, `line 7`, `index 6`) and what was expected; nothing read from a
//! file can make this module panic.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::str::FromStr;

mod npy;
mod resolve;
mod text;

use super::{Predictions, ScoreError};

/// More classes than this, from integer labels alone, is taken for a
/// mistake (a column of ids, not classes) rather than allocated.
const MAX_CLASSES: u64 = 100_000;

/// What the predictions are, as the user says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KindChoice {
    /// Labels if integers or names; probabilities if every finite row is in
    /// [0, 1] and sums to 1 within 1e-3; logits otherwise.
    #[default]
    Auto,
    /// Scores, unbounded.
    Logits,
    /// Scores in [0, 1].
    Probabilities,
    /// Predicted classes.
    Labels,
}

impl FromStr for KindChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<KindChoice, String> {
        match s {
            "auto" => Ok(KindChoice::Auto),
            "logits" => Ok(KindChoice::Logits),
            "probabilities" => Ok(KindChoice::Probabilities),
            "labels" => Ok(KindChoice::Labels),
            other => Err(format!(
                "{other:?}: expected logits, probabilities, labels or auto"
            )),
        }
    }
}

/// How to read the inputs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputConfig {
    /// What the predictions are.
    pub kind: KindChoice,
    /// The class names in index order; default: the sorted names of the
    /// labels file, or `0, 1, ...` for integer labels.
    pub classes: Option<Vec<String>>,
}

/// Labels, predictions and class names that fit together, ready for
/// [`super::Scorecard::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct Inputs {
    /// True class of every example.
    pub labels: Vec<u32>,
    /// What the model said.
    pub predictions: Predictions,
    /// Class names in index order.
    pub classes: Vec<String>,
}

/// Reads `predictions` and `labels` and checks that they fit together.
///
/// # Errors
///
/// A [`ScoreError`] naming the file and field: unreadable files, a dtype or
/// shape that is not accepted, a label that is not a class, a number of
/// score columns that is not the number of classes, or not one prediction
/// per label ([`ScoreError::Lengths`]).
pub fn read_inputs(
    predictions: &Path,
    labels: &Path,
    config: &InputConfig,
) -> Result<Inputs, ScoreError> {
    if let Some(classes) = &config.classes {
        check_class_list(classes)?;
    }
    let truth = read_table(labels, config.classes.as_deref(), false)?;
    let raw = read_table(predictions, config.classes.as_deref(), true)?;

    // The true labels and the class names.
    let (labels_ix, classes) = resolve::resolve_labels(&truth, config.classes.as_deref(), &raw)?;
    let k = classes.len();

    // The predictions, of the kind asked for.
    let predictions = resolve::resolve_predictions(&raw, config.kind, &classes)?;
    match &predictions {
        Predictions::Scores { classes: width, .. } if *width != k => {
            let hint = if config.classes.is_none() {
                "; give every class, in column order, with --classes"
            } else {
                ""
            };
            return Err(ScoreError::file(
                &raw.path,
                "shape",
                format!(
                    "{k} score columns, one per class ({}){hint}",
                    classes.join(", ")
                ),
                format!("{width} columns"),
            ));
        }
        Predictions::Positive { .. } if k != 2 => {
            return Err(ScoreError::file(
                &raw.path,
                "shape",
                format!("one score column per class ({k}); one score per example needs 2 classes"),
                "1 column",
            ));
        }
        _ => {}
    }
    if predictions.len() != labels_ix.len() {
        return Err(ScoreError::Lengths {
            predictions_path: raw.path.clone(),
            predictions: predictions.len(),
            labels_path: truth.path.clone(),
            labels: labels_ix.len(),
        });
    }
    Ok(Inputs {
        labels: labels_ix,
        predictions,
        classes,
    })
}

fn check_class_list(classes: &[String]) -> Result<(), ScoreError> {
    let mut seen = BTreeSet::new();
    for c in classes {
        if c.is_empty() || !seen.insert(c.as_str()) {
            return Err(ScoreError::input(
                "classes",
                "distinct, non-empty class names",
                format!("{:?}", classes.join(",")),
            ));
        }
    }
    if classes.is_empty() {
        return Err(ScoreError::input("classes", "at least one name", "none"));
    }
    Ok(())
}

/// The cells of a file: numbers or names, row-major.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Cells {
    Ints(Vec<i64>),
    Floats(Vec<f64>),
    Names(Vec<String>),
}

/// A file read as rows × columns.
#[derive(Debug, Clone)]
pub(super) struct Table {
    pub(super) path: PathBuf,
    pub(super) cells: Cells,
    pub(super) cols: usize,
    /// Line number of every row, for text files.
    pub(super) lines: Option<Vec<usize>>,
    /// An `.npy` file, whose dtype is a contract (a CSV's is a guess).
    pub(super) is_npy: bool,
}

impl Table {
    /// Where row `i` is, in the file's own terms.
    pub(super) fn at(&self, i: usize) -> String {
        match &self.lines {
            Some(lines) => format!("line {}", lines.get(i).copied().unwrap_or(i + 1)),
            None => format!("index {i}"),
        }
    }
}

fn read_table(path: &Path, classes: Option<&[String]>, scores: bool) -> Result<Table, ScoreError> {
    let bytes = std::fs::read(path).map_err(|error| ScoreError::Io {
        path: path.to_path_buf(),
        error,
    })?;
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("npy") => npy::read_npy(path, &bytes),
        Some("npz") => Err(ScoreError::file(
            path,
            "format",
            "a .npy array, or a .csv/.tsv/text table",
            ".npz archive (save one array with numpy.save)",
        )),
        _ => text::read_text(path, &bytes, ext.as_deref(), classes, scores),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::score::ScoreKind;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    fn npy_f64(dir: &Path, name: &str, shape: &[u64], values: &[f64]) -> PathBuf {
        let p = dir.join(name);
        let mut buf = Vec::new();
        {
            use npyz::WriterBuilder;
            let mut w = npyz::WriteOptions::<f64>::new()
                .default_dtype()
                .shape(shape)
                .writer(&mut buf)
                .begin_nd()
                .unwrap();
            w.extend(values.iter().copied()).unwrap();
            w.finish().unwrap();
        }
        std::fs::write(&p, buf).unwrap();
        p
    }

    #[test]
    fn a_csv_with_header_and_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "p.csv", "a,b\n0.9,0.1\n0.2,0.8\n,0.5\n");
        let l = write(dir.path(), "l.txt", "label\nyes\nno\nyes\n");
        let inputs = read_inputs(&p, &l, &InputConfig::default()).unwrap();
        assert_eq!(inputs.classes, ["no", "yes"]);
        assert_eq!(inputs.labels, [1, 0, 1]);
        let Predictions::Scores { kind, values, .. } = &inputs.predictions else {
            panic!("scores expected");
        };
        // The empty cell is a NaN, and the rows do not all sum to 1.
        assert!(values[4].is_nan());
        assert_eq!(*kind, ScoreKind::Probabilities);
    }

    #[test]
    fn classes_given_set_the_order_and_catch_unknown_names() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "p.txt", "yes\nno\nmaybe\n");
        let l = write(dir.path(), "l.tsv", "yes\nno\nno\n");
        let config = InputConfig {
            kind: KindChoice::Auto,
            classes: Some(vec!["yes".into(), "no".into()]),
        };
        let inputs = read_inputs(&p, &l, &config).unwrap();
        assert_eq!(inputs.labels, [0, 1, 1]);
        assert_eq!(
            inputs.predictions,
            Predictions::Labels(vec![Some(0), Some(1), None])
        );
        let bad = write(dir.path(), "bad.tsv", "yes\nno\nnope\n");
        let e = read_inputs(&p, &bad, &config).unwrap_err().to_string();
        assert!(e.contains("bad.tsv") && e.contains("line 3"), "{e}");
        assert!(e.contains("unknown class name \"nope\""), "{e}");
    }

    #[test]
    fn npy_shapes_and_lengths_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let l = write(dir.path(), "l.csv", "0\n1\n1\n");
        let cube = npy_f64(dir.path(), "cube.npy", &[3, 2, 1], &[0.0; 6]);
        let e = read_inputs(&cube, &l, &InputConfig::default())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("cube.npy: shape") && e.contains("3 axes (3, 2, 1)"),
            "{e}"
        );
        let short = npy_f64(dir.path(), "short.npy", &[2, 2], &[0.0; 4]);
        let e = read_inputs(&short, &l, &InputConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("short.npy holds 2 predictions but"), "{e}");
        assert!(e.contains("l.csv holds 3 labels"), "{e}");
        let wide = npy_f64(dir.path(), "wide.npy", &[3, 3], &[0.0; 9]);
        let config = InputConfig {
            classes: Some(vec!["a".into(), "b".into()]),
            ..InputConfig::default()
        };
        let e = read_inputs(&wide, &l, &config).unwrap_err().to_string();
        assert!(
            e.contains("2 score columns") && e.contains("3 columns"),
            "{e}"
        );
    }

    #[test]
    fn one_float_per_example_is_the_positive_class() {
        let dir = tempfile::tempdir().unwrap();
        let p = npy_f64(dir.path(), "p.npy", &[3], &[0.2, 0.7, f64::NAN]);
        let l = write(dir.path(), "l.csv", "0\n1\n1\n");
        let inputs = read_inputs(&p, &l, &InputConfig::default()).unwrap();
        assert_eq!(inputs.classes, ["0", "1"]);
        assert!(matches!(
            inputs.predictions,
            Predictions::Positive {
                kind: ScoreKind::Probabilities,
                ..
            }
        ));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let l = write(dir.path(), "l.csv", "0\n1\n");
        for (name, bytes) in [
            ("a.npy", &b"\x93NUMPY\x01\x00"[..]),
            ("b.npy", &b"not numpy at all"[..]),
            ("c.csv", &b"\xff\xfe\x00"[..]),
            ("d.csv", &b""[..]),
            ("e.csv", &b"1,2\n3\n"[..]),
            ("f.csv", &b"x,y\na,b\n"[..]),
        ] {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            let e = read_inputs(&p, &l, &InputConfig::default()).unwrap_err();
            assert!(e.to_string().contains(name), "{e}");
        }
        // A header claiming more data than the file holds.
        let p = raw_npy(
            dir.path(),
            "huge.npy",
            "<f8",
            false,
            "(1000000000, 2)",
            &[0; 16],
        );
        let e = read_inputs(&p, &l, &InputConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("huge.npy: data"), "{e}");
    }

    /// A .npy file from its header fields and data bytes.
    fn raw_npy(
        dir: &Path,
        name: &str,
        descr: &str,
        fortran: bool,
        shape: &str,
        data: &[u8],
    ) -> PathBuf {
        let order = if fortran { "True" } else { "False" };
        let header =
            format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
        let len = header.len() + 1;
        let pad = (64 - (10 + len) % 64) % 64;
        let mut buf = b"\x93NUMPY\x01\x00".to_vec();
        buf.extend_from_slice(&((len + pad) as u16).to_le_bytes());
        buf.extend_from_slice(header.as_bytes());
        buf.extend(std::iter::repeat_n(b' ', pad));
        buf.push(b'\n');
        buf.extend_from_slice(data);
        let p = dir.join(name);
        std::fs::write(&p, buf).unwrap();
        p
    }

    #[test]
    fn fortran_order_and_big_endian_arrays_read_as_numpy_means_them() {
        let dir = tempfile::tempdir().unwrap();
        let l = write(dir.path(), "l.csv", "0\n1\n1\n");
        // Rows (1, 2), (3, 4), (5, 6) stored column by column, big-endian.
        let data: Vec<u8> = [1.0f64, 3.0, 5.0, 2.0, 4.0, 6.0]
            .iter()
            .flat_map(|v| v.to_be_bytes())
            .collect();
        let p = raw_npy(dir.path(), "f.npy", ">f8", true, "(3, 2)", &data);
        let inputs = read_inputs(&p, &l, &InputConfig::default()).unwrap();
        let Predictions::Scores { values, .. } = inputs.predictions else {
            panic!("scores expected");
        };
        assert_eq!(values, [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        // Big-endian int16 labels, and unsigned bytes.
        let labels = raw_npy(
            dir.path(),
            "y.npy",
            ">i2",
            false,
            "(3,)",
            &[0, 1, 0, 0, 0, 1],
        );
        let pred = raw_npy(dir.path(), "p.npy", "|u1", false, "(3,)", &[1, 0, 1]);
        let inputs = read_inputs(&pred, &labels, &InputConfig::default()).unwrap();
        assert_eq!(inputs.labels, [1, 0, 1]);
        assert_eq!(
            inputs.predictions,
            Predictions::Labels(vec![Some(1), Some(0), Some(1)])
        );
        // Unicode class names.
        let names: Vec<u8> = ["ab", "b"]
            .iter()
            .flat_map(|s| {
                let mut v: Vec<u8> = s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
                v.resize(8, 0);
                v
            })
            .collect();
        let labels = raw_npy(dir.path(), "n.npy", "<U2", false, "(2,)", &names);
        let pred = write(dir.path(), "p.csv", "0\n0\n");
        let inputs = read_inputs(&pred, &labels, &InputConfig::default()).unwrap();
        assert_eq!(inputs.classes, ["ab", "b"]);
        assert_eq!(inputs.labels, [0, 1]);
    }

    proptest::proptest! {
        #[test]
        fn no_input_makes_the_reader_panic(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
            text in "[0-9a-z,.\t\n -]{0,200}",
            header_shape in "\\([0-9, ]{0,12}\\)",
        ) {
            let dir = tempfile::tempdir().unwrap();
            let l = write(dir.path(), "l.csv", "0\n1\n");
            let cases = [
                raw_npy(dir.path(), "a.npy", "<f4", false, &header_shape, &bytes),
                raw_npy(dir.path(), "b.npy", "<U3", true, &header_shape, &bytes),
                raw_npy(dir.path(), "c.npy", ">i8", false, &header_shape, &bytes),
                write(dir.path(), "d.csv", &text),
                write(dir.path(), "e.txt", &text),
            ];
            for p in &cases {
                let _ = read_inputs(p, &l, &InputConfig::default());
                let _ = read_inputs(&l, p, &InputConfig::default());
            }
            let raw = dir.path().join("f.npy");
            std::fs::write(&raw, &bytes).unwrap();
            let _ = read_inputs(&raw, &l, &InputConfig::default());
        }
    }

    #[test]
    fn negative_or_fractional_labels_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "p.csv", "0\n1\n");
        let l = write(dir.path(), "l.csv", "0\n-1\n");
        let e = read_inputs(&p, &l, &InputConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("l.csv: line 2") && e.contains("-1"), "{e}");
        let l = write(dir.path(), "l2.csv", "0.5\n1\n");
        let e = read_inputs(&p, &l, &InputConfig::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("l2.csv: line 1"), "{e}");
    }
}
