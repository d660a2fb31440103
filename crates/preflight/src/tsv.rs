//! Tab-separated tables as BIDS writes them (`events.tsv`, `channels.tsv`,
//! `participants.tsv`): a header row, then one row per entry, `n/a` for a
//! missing value.

use std::path::{Path, PathBuf};

use crate::error::Error;

/// A whole table, held in memory (BIDS tables are small).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Where it was read from.
    pub path: PathBuf,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows, each with one cell per column.
    pub rows: Vec<Vec<String>>,
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
        let mut rows = Vec::new();
        for (i, record) in reader.records().enumerate() {
            let record = record.map_err(|e| csv_error(path, e))?;
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
            rows.push(record.iter().map(|c| c.trim().to_string()).collect());
        }
        Ok(Table {
            path: path.to_path_buf(),
            columns,
            rows,
        })
    }

    /// Index of a column.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// A cell, `None` when the column is absent or the value is `n/a` or
    /// empty.
    pub fn cell<'a>(&'a self, row: &'a [String], column: Option<usize>) -> Option<&'a str> {
        let v = row.get(column?)?.as_str();
        (!v.is_empty() && v != "n/a").then_some(v)
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(error) => Error::io(path, error),
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
