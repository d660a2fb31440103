//! Errors of the preflight library.
//!
//! Problems with one file of a dataset do not stop a run: they become
//! [`crate::dataset::Unreadable`] entries. An [`Error`] is returned only when
//! nothing useful can be done, e.g. the dataset path does not exist or a
//! NumPy dataset's arrays contradict each other, or when a generator setting
//! is out of range.

use std::path::PathBuf;

/// What stops the library from loading a dataset or a file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said (shown in the message, so not
        /// chained as a source).
        error: std::io::Error,
    },

    /// An EDF/BDF file is invalid.
    #[error(transparent)]
    Edf(#[from] edf::Error),

    /// A file's content is not what its format requires.
    #[error("{}: {field}: {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The part of the file (column, header key, array).
        field: String,
        /// What was found and what was expected.
        reason: String,
    },

    /// A setting is out of range or contradicts another.
    #[error("{option}: {reason}")]
    Config {
        /// The setting (as the config field or command-line option names it).
        option: String,
        /// The value found and what is expected.
        reason: String,
    },

    /// An output folder already holds files.
    #[error(
        "{}: the folder is not empty; give a new or empty folder (nothing is overwritten)",
        path.display()
    )]
    OutputNotEmpty {
        /// The folder.
        path: PathBuf,
    },

    /// The path holds nothing preflight can read.
    #[error("{}: {reason}", path.display())]
    NotADataset {
        /// The path given.
        path: PathBuf,
        /// What was looked for.
        reason: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            error,
        }
    }

    pub(crate) fn invalid(
        path: impl Into<PathBuf>,
        field: impl Into<String>,
        reason: impl Into<String>,
    ) -> Error {
        Error::Invalid {
            path: path.into(),
            field: field.into(),
            reason: reason.into(),
        }
    }
}
