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

use npyz::{DType, Endianness, TypeChar};

use super::{Predictions, ScoreError, ScoreKind};

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
    let (labels_ix, classes) = resolve_labels(&truth, config.classes.as_deref(), &raw)?;
    let k = classes.len();

    // The predictions, of the kind asked for.
    let predictions = resolve_predictions(&raw, config.kind, &classes)?;
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
enum Cells {
    Ints(Vec<i64>),
    Floats(Vec<f64>),
    Names(Vec<String>),
}

/// A file read as rows × columns.
#[derive(Debug, Clone)]
struct Table {
    path: PathBuf,
    cells: Cells,
    cols: usize,
    /// Line number of every row, for text files.
    lines: Option<Vec<usize>>,
    /// An `.npy` file, whose dtype is a contract (a CSV's is a guess).
    is_npy: bool,
}

impl Table {
    /// Where row `i` is, in the file's own terms.
    fn at(&self, i: usize) -> String {
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
        Some("npy") => read_npy(path, &bytes),
        Some("npz") => Err(ScoreError::file(
            path,
            "format",
            "a .npy array, or a .csv/.tsv/text table",
            ".npz archive (save one array with numpy.save)",
        )),
        _ => read_text(path, &bytes, ext.as_deref(), classes, scores),
    }
}

// ---------------------------------------------------------------------------
// .npy

fn read_npy(path: &Path, bytes: &[u8]) -> Result<Table, ScoreError> {
    let mut reader: &[u8] = bytes;
    let header = npyz::NpyHeader::from_reader(&mut reader)
        .map_err(|e| ScoreError::file(path, "header", "a NumPy .npy header", e.to_string()))?;
    let data = reader;
    let file = npyz::NpyFile::with_header(header, data);
    let shape: Vec<u64> = file.shape().to_vec();
    let fortran = file.order() == npyz::Order::Fortran;
    let dtype = file.dtype();
    let DType::Plain(ts) = &dtype else {
        return Err(ScoreError::file(
            path,
            "dtype",
            "integers, float32/float64 or strings",
            dtype.descr(),
        ));
    };
    let shape_text = format!(
        "({})",
        shape
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    );
    let (rows, cols) = match shape.as_slice() {
        [n] => (*n, 1),
        [n, k] => (*n, *k),
        _ => {
            return Err(ScoreError::file(
                path,
                "shape",
                "1 axis (labels, or one score per example) or 2 (examples × classes)",
                format!("{} axes {shape_text}", shape.len()),
            ))
        }
    };
    let (Ok(rows), Ok(cols)) = (usize::try_from(rows), usize::try_from(cols)) else {
        return Err(ScoreError::file(
            path,
            "shape",
            "a shape that fits in memory",
            shape_text,
        ));
    };
    let size = ts.size_field() as usize;
    let item = ts.num_bytes().unwrap_or(0);
    let count = rows.checked_mul(cols);
    let needed = count.and_then(|c| c.checked_mul(item));
    match needed {
        Some(need) if need <= data.len() && item > 0 => {}
        _ => {
            return Err(ScoreError::file(
                path,
                "data",
                format!(
                    "{} bytes for shape {shape_text} of {}",
                    needed.map_or("more than 2^64".into(), |n| n.to_string()),
                    ts
                ),
                format!("{} bytes after the header", data.len()),
            ))
        }
    }
    let count = count.unwrap_or(0);
    let big = ts.endianness() == Endianness::Big;
    let chunk = |i: usize| -> Vec<u8> {
        // The data length was checked above, so the range exists.
        let mut b = data.get(i * item..(i + 1) * item).unwrap_or(&[]).to_vec();
        if big {
            b.reverse();
        }
        b
    };
    let wrong_dtype = || {
        ScoreError::file(
            path,
            "dtype",
            "integers (labels), float32/float64 (scores) or strings (class names)",
            ts.to_string(),
        )
    };

    // Elements in C order, whatever the file's order.
    let index = |i: usize| -> usize {
        if fortran && cols > 1 {
            let (r, c) = (i / cols, i % cols);
            c * rows + r
        } else {
            i
        }
    };
    let cells = match ts.type_char() {
        TypeChar::Bool | TypeChar::Int | TypeChar::Uint => {
            let signed = ts.type_char() == TypeChar::Int;
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                let b = chunk(index(i));
                let v = int_le(&b, signed).ok_or_else(wrong_dtype)?;
                let v = i64::try_from(v).map_err(|_| {
                    ScoreError::file(
                        path,
                        format!("index {i}"),
                        "a class index that fits in 64 bits",
                        v.to_string(),
                    )
                })?;
                out.push(v);
            }
            Cells::Ints(out)
        }
        TypeChar::Float => {
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                let b = chunk(index(i));
                let v = match (size, b.as_slice()) {
                    (4, &[a, b, c, d]) => f64::from(f32::from_le_bytes([a, b, c, d])),
                    (8, b8) => f64::from_le_bytes(b8.try_into().map_err(|_| wrong_dtype())?),
                    _ => return Err(wrong_dtype()),
                };
                out.push(v);
            }
            Cells::Floats(out)
        }
        TypeChar::UnicodeStr | TypeChar::ByteStr => {
            let unicode = ts.type_char() == TypeChar::UnicodeStr;
            let mut out = Vec::with_capacity(count);
            for i in 0..count {
                // Strings are not byte-swapped as a whole: per code unit.
                let raw = data
                    .get(index(i) * item..(index(i) + 1) * item)
                    .unwrap_or(&[]);
                let s = if unicode {
                    raw.chunks_exact(4)
                        .map(|u| {
                            let v = if big {
                                u32::from_be_bytes([u[0], u[1], u[2], u[3]])
                            } else {
                                u32::from_le_bytes([u[0], u[1], u[2], u[3]])
                            };
                            char::from_u32(v).unwrap_or('\u{fffd}')
                        })
                        .collect::<String>()
                } else {
                    String::from_utf8_lossy(raw).into_owned()
                };
                out.push(s.trim_end_matches('\0').to_string());
            }
            Cells::Names(out)
        }
        _ => return Err(wrong_dtype()),
    };
    Ok(Table {
        path: path.to_path_buf(),
        cells,
        cols,
        lines: None,
        is_npy: true,
    })
}

/// A little-endian integer of 1, 2, 4 or 8 bytes, widened.
fn int_le(b: &[u8], signed: bool) -> Option<i128> {
    let mut buf = [0u8; 8];
    buf.get_mut(..b.len())?.copy_from_slice(b);
    let u = u64::from_le_bytes(buf);
    let bits = 8 * b.len() as u32;
    if !matches!(bits, 8 | 16 | 32 | 64) {
        return None;
    }
    if signed && bits < 64 && (u >> (bits - 1)) & 1 == 1 {
        Some(u as i128 - (1i128 << bits))
    } else if signed && bits == 64 {
        Some(i128::from(u as i64))
    } else {
        Some(i128::from(u))
    }
}

// ---------------------------------------------------------------------------
// Text tables

fn read_text(
    path: &Path,
    bytes: &[u8],
    ext: Option<&str>,
    classes: Option<&[String]>,
    scores: bool,
) -> Result<Table, ScoreError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        ScoreError::file(
            path,
            format!("byte {}", e.valid_up_to()),
            "UTF-8 text (or a .npy file)",
            "bytes that are not UTF-8",
        )
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    // Split into rows of cells, keeping line numbers; blank lines are skipped.
    let delimiter = match ext {
        Some("csv") => Some(','),
        Some("tsv") => Some('\t'),
        _ if text.contains('\t') => Some('\t'),
        _ if text.contains(',') => Some(','),
        _ => None,
    };
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut lines = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<String> = match delimiter {
            Some(d) => line.split(d).map(|c| unquote(c.trim())).collect(),
            None => line.split_whitespace().map(str::to_string).collect(),
        };
        rows.push(cells);
        lines.push(i + 1);
    }
    if rows.is_empty() {
        return Err(ScoreError::file(
            path,
            "content",
            "one row per example",
            "no rows",
        ));
    }

    // The header, if any.
    let numeric = |row: &[String]| row.iter().all(|c| c.is_empty() || c.parse::<f64>().is_ok());
    let first_numeric = numeric(&rows[0]);
    let rest_numeric = rows.iter().skip(1).all(|r| numeric(r));
    let has_header = if !first_numeric && rest_numeric && rows.len() > 1 {
        true
    } else if rows.len() > 1 && rows[0].len() == 1 && !first_numeric {
        let first = &rows[0][0];
        match classes {
            Some(cls) => !cls.iter().any(|c| c == first),
            None => !rows.iter().skip(1).any(|r| r.first() == Some(first)),
        }
    } else {
        false
    };
    if has_header {
        tracing::debug!(path = %path.display(), header = ?rows[0], "first line taken as a header");
        rows.remove(0);
        lines.remove(0);
    }
    if rows.is_empty() {
        return Err(ScoreError::file(
            path,
            "content",
            "rows below the header",
            "none",
        ));
    }

    // Every row as wide as the first.
    let cols = rows[0].len();
    if let Some((i, r)) = rows.iter().enumerate().find(|(_, r)| r.len() != cols) {
        return Err(ScoreError::file(
            path,
            format!("line {}", lines[i]),
            format!("{cols} columns, as on line {}", lines[0]),
            format!("{} columns", r.len()),
        ));
    }
    let flat: Vec<String> = rows.into_iter().flatten().collect();

    // Numbers where every cell is one; integers only in a single column
    // (a table of 0/1 columns is scores, one-hot or not).
    let all_numeric = flat
        .iter()
        .all(|c| c.is_empty() || c.parse::<f64>().is_ok());
    let all_int = flat.iter().all(|c| c.parse::<i64>().is_ok());
    let cells = if all_int && (cols == 1 || !scores) {
        Cells::Ints(flat.iter().filter_map(|c| c.parse().ok()).collect())
    } else if all_numeric {
        Cells::Floats(
            flat.iter()
                .map(|c| c.parse::<f64>().unwrap_or(f64::NAN))
                .collect(),
        )
    } else if cols == 1 {
        Cells::Names(flat)
    } else {
        let (i, bad) = flat
            .iter()
            .enumerate()
            .find(|(_, c)| !(c.is_empty() || c.parse::<f64>().is_ok()))
            .map_or((0, String::new()), |(i, c)| (i, c.clone()));
        return Err(ScoreError::file(
            path,
            format!("line {}", lines.get(i / cols).copied().unwrap_or(0)),
            "numbers in a table of several columns",
            format!("{bad:?}"),
        ));
    };
    Ok(Table {
        path: path.to_path_buf(),
        cells,
        cols,
        lines: Some(lines),
        is_npy: false,
    })
}

fn unquote(cell: &str) -> String {
    cell.strip_prefix('"')
        .and_then(|c| c.strip_suffix('"'))
        .unwrap_or(cell)
        .to_string()
}

// ---------------------------------------------------------------------------
// Making sense of the cells

/// The true labels as class indices, and the class names.
fn resolve_labels(
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
fn resolve_predictions(
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn integers_and_big_endian_decode() {
        assert_eq!(int_le(&[0xff], true), Some(-1));
        assert_eq!(int_le(&[0xff], false), Some(255));
        assert_eq!(int_le(&[0xfe, 0xff, 0xff, 0xff], true), Some(-2));
        assert_eq!(
            int_le(&[1, 0, 0, 0, 0, 0, 0, 0x80], true),
            Some(i64::MIN as i128 + 1)
        );
        assert_eq!(int_le(&[0, 0, 0], true), None);
    }
}
