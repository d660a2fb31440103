//! Errors of scoring: input files that cannot be read or do not fit
//! together, and inputs given in memory that contradict each other.

use std::path::PathBuf;

/// Why a scorecard could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// A file could not be read.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        error: std::io::Error,
    },

    /// A file's content is not what was expected.
    #[error("{}: {field}: expected {expected}, found {found}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// The part of the file: `dtype`, `shape`, `line 5`, `header`.
        field: String,
        /// What would have been accepted.
        expected: String,
        /// What the file holds.
        found: String,
    },

    /// The predictions and the labels are not one per example.
    #[error(
        "{} holds {predictions} predictions but {} holds {labels} labels; expected one \
         prediction per label, in the same order",
        predictions_path.display(),
        labels_path.display()
    )]
    Lengths {
        /// The predictions file.
        predictions_path: PathBuf,
        /// Its number of examples.
        predictions: usize,
        /// The labels file.
        labels_path: PathBuf,
        /// Its number of examples.
        labels: usize,
    },

    /// Inputs given in memory contradict each other.
    #[error("{field}: expected {expected}, found {found}")]
    Input {
        /// The argument or setting: `labels`, `predictions`, `classes`.
        field: String,
        /// What would have been accepted.
        expected: String,
        /// What was given.
        found: String,
    },
}

impl ScoreError {
    pub(crate) fn file(
        path: impl Into<PathBuf>,
        field: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> ScoreError {
        ScoreError::File {
            path: path.into(),
            field: field.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }

    pub(crate) fn input(
        field: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> ScoreError {
        ScoreError::Input {
            field: field.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}
