//! Text tables (`.csv`, `.tsv`, plain text) as [`Table`]s: rows of cells,
//! an optional header, numbers or names.

use std::path::Path;

use super::{Cells, Table};
use crate::score::ScoreError;

pub(super) fn read_text(
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
