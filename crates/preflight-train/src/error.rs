//! Errors of training.

use std::path::PathBuf;

/// Why training could not run (a guard that stops training is not an
/// error: it ends the run with a diagnosis, see [`crate::guard`]).
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// The examples do not fit together.
    #[error("examples: {0}")]
    Data(String),
    /// A setting is out of range.
    #[error("setting {name}: {message}")]
    Config {
        /// The setting.
        name: &'static str,
        /// What is wrong and what is expected.
        message: String,
    },
    /// The tensor library failed.
    #[error("tensor computation: {0}")]
    Tensor(#[from] candle_core::Error),
    /// A file could not be written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}
