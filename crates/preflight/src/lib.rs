//! preflight: checks a dataset of electrophysiology recordings (EEG, iEEG,
//! ECoG) before a neural network is trained on it.
//!
//! This crate is the library behind the `preflight` command. Its parts:
//!
//! - [`dataset`]: what a path holds (BIDS folders, plain folders of EDF/BDF
//!   files, NumPy arrays): subjects, recordings, channels, events, and the
//!   files that could not be read;
//! - [`measure`]: per-channel measures of decoded samples;
//! - [`synth`]: synthetic datasets with planted faults and their ground
//!   truth, and the demo dataset;
//! - [`tsv`]: the BIDS tables.
//!
//! Reading the signals themselves is the job of the [`edf`] crate.
#![warn(missing_docs)]

pub mod dataset;
mod error;
pub mod measure;
pub mod synth;
pub mod tsv;

pub use error::Error;
