//! Tab-separated tables as BIDS writes them (`events.tsv`, `channels.tsv`,
//! `participants.tsv`): a header row, then one row per entry, `n/a` for a
//! missing value.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// A whole table, held in memory (BIDS tables are small). The cells'
/// text sits in one string, so that reading a table of thousands of
/// events does not allocate once per cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Where it was read from.
    pub path: PathBuf,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Row>,
    /// Every cell, trimmed, row after row.
    text: String,
    /// Byte range of each cell in `text`.
    cells: Vec<(usize, usize)>,
}

/// One row of a [`Table`]: read its cells with [`Table::cell`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// Index of its first cell in the table's cells.
    first: usize,
    /// Cells in the row.
    len: usize,
}

impl Table {
    /// Reads a table and checks that `required` columns are present.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if unreadable, [`Error::Invalid`] naming the missing
    /// column or the row whose cell count differs from the header's.
    pub fn read(path: &Path, required: &[&str]) -> Result<Table, Error> {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(b'\t')
            .flexible(true)
            .quoting(false)
            .from_path(path)
            .map_err(|e| csv_error(path, e))?;
        let columns: Vec<String> = reader
            .headers()
            .map_err(|e| csv_error(path, e))?
            .iter()
            .map(|c| c.trim().to_string())
            .collect();
        for name in required {
            if !columns.iter().any(|c| c == name) {
                return Err(Error::invalid(
                    path,
                    format!("column `{name}`"),
                    format!(
                        "missing; the header has {}, and BIDS requires {}",
                        quote_list(&columns),
                        quote_list(required)
                    ),
                ));
            }
        }
        let (mut rows, mut text, mut cells) = (Vec::new(), String::new(), Vec::new());
        let mut record = csv::StringRecord::new();
        for i in 0.. {
            if !reader
                .read_record(&mut record)
                .map_err(|e| csv_error(path, e))?
            {
                break;
            }
            if record.len() != columns.len() {
                return Err(Error::invalid(
                    path,
                    format!("row {}", i + 2),
                    format!(
                        "has {} cells, the header has {}",
                        record.len(),
                        columns.len()
                    ),
                ));
            }
            rows.push(Row {
                first: cells.len(),
                len: record.len(),
            });
            for c in &record {
                let start = text.len();
                text.push_str(c.trim());
                cells.push((start, text.len()));
            }
        }
        Ok(Table {
            path: path.to_path_buf(),
            columns,
            rows,
            text,
            cells,
        })
    }

    /// Index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// The cells of a row as written (trimmed; `n/a` and empty kept), in
    /// column order.
    pub fn values<'a>(&'a self, row: &Row) -> impl Iterator<Item = &'a str> + 'a {
        self.cells[row.first..row.first + row.len]
            .iter()
            .map(|&(a, b)| &self.text[a..b])
    }

    /// A cell, `None` when the column is absent or the value is `n/a` or
    /// empty.
    pub fn cell(&self, row: &Row, column: Option<usize>) -> Option<&str> {
        let column = column.filter(|&c| c < row.len)?;
        let &(a, b) = self.cells.get(row.first + column)?;
        let v = self.text.get(a..b)?;
        (!v.is_empty() && v != "n/a").then_some(v)
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(error) => Error::io(path, error),
        // Rows counted from the header's 1, as everywhere in this module.
        csv::ErrorKind::Utf8 { pos, err } => Error::invalid(
            path,
            match pos {
                Some(p) => format!("row {}", p.record() + 1),
                None => "table".to_string(),
            },
            format!("cell {} is not UTF-8 text", err.field() + 1),
        ),
        other => Error::invalid(path, "table", format!("{other:?}")),
    }
}

fn quote_list<S: AsRef<str>>(items: &[S]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("`{}`", s.as_ref())).collect();
    if quoted.is_empty() {
        "no columns".to_string()
    } else {
        quoted.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_required_column_names_file_and_column() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub-01_task-x_events.tsv");
        std::fs::write(&path, "onset\ttrial_type\n1.0\ttarget\n").expect("write");
        let e = Table::read(&path, &["onset", "duration"]).expect_err("duration is missing");
        let msg = e.to_string();
        assert!(msg.contains("sub-01_task-x_events.tsv"), "{msg}");
        assert!(msg.contains("`duration`"), "{msg}");
    }

    #[test]
    fn line_ends_blank_lines_and_a_byte_order_mark_are_read_as_bids_writes_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.tsv");
        std::fs::write(
            &path,
            "\u{feff}onset\tduration\r\n1.5\t0\r\n\r\n2.5 \tn/a\n3.5\t1\r4.5\t2",
        )
        .expect("write");
        let t = Table::read(&path, &["onset", "duration"]).expect("valid");
        assert_eq!(t.columns, ["onset", "duration"]);
        let onsets: Vec<_> = t.rows.iter().map(|r| t.cell(r, Some(0))).collect();
        assert_eq!(onsets, [Some("1.5"), Some("2.5"), Some("3.5"), Some("4.5")]);
        assert_eq!(t.cell(&t.rows[1], Some(1)), None);
        let values: Vec<_> = t.values(&t.rows[3]).collect();
        assert_eq!(values, ["4.5", "2"]);
    }

    #[test]
    fn a_short_row_or_bytes_that_are_not_text_name_the_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.tsv");
        std::fs::write(&path, "onset\tduration\n1.5\t0\n2.5\n").expect("write");
        let msg = Table::read(&path, &["onset"])
            .expect_err("short")
            .to_string();
        assert!(
            msg.contains("row 3") && msg.contains("has 1 cells, the header has 2"),
            "{msg}"
        );
        std::fs::write(&path, b"onset\tduration\n1.5\t\xff\n").expect("write");
        let msg = Table::read(&path, &["onset"])
            .expect_err("not UTF-8")
            .to_string();
        assert!(msg.contains("row 2") && msg.contains("UTF-8"), "{msg}");
        let empty = dir.path().join("empty.tsv");
        std::fs::write(&empty, "").expect("write");
        let msg = Table::read(&empty, &["onset"])
            .expect_err("no header")
            .to_string();
        assert!(
            msg.contains("`onset`") && msg.contains("no columns"),
            "{msg}"
        );
    }

    #[test]
    fn cells_read_n_a_as_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.tsv");
        std::fs::write(&path, "onset\tduration\tvalue\n1.5\tn/a\t3\n").expect("write");
        let t = Table::read(&path, &["onset"]).expect("valid");
        let row = &t.rows[0];
        assert_eq!(t.cell(row, t.column("onset")), Some("1.5"));
        assert_eq!(t.cell(row, t.column("duration")), None);
        assert_eq!(t.cell(row, t.column("absent")), None);
    }
}
