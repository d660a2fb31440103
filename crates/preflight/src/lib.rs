//! preflight: checks a dataset of electrophysiology recordings (EEG, iEEG,
//! ECoG) before a neural network is trained on it.
//!
//! This crate is the library behind the `preflight` command. Its parts:
//!
//! - [`dataset`]: what a path holds (BIDS folders, plain folders of EDF/BDF
//!   files, NumPy arrays): subjects, recordings, channels, events, and the
//!   files that could not be read;
//! - [`window`]: labelled windows around events, of fixed length, or the
//!   examples of a NumPy dataset;
//! - [`sample`]: the stratified sample of windows an audit reads;
//! - [`read`]: decoding only the sampled windows, in parallel;
//! - [`measure`]: per-channel measures of decoded samples;
//! - [`audit`]: the whole check, from sample to findings, exclusions and
//!   normalization;
//! - [`scan`]: every channel of every recording measured in one streaming
//!   pass, merged into subject and dataset summaries;
//! - [`attribute`]: where outliers come from, with enrichment against
//!   chance;
//! - [`report`]: the audit as a self-contained HTML page;
//! - [`balance`]: class counts, the majority baseline, class weights;
//! - [`score`]: a classifier's predictions judged against the majority
//!   baseline and chance, with NaN outputs scored wrong;
//! - [`export`]: the windows after the audit's exclusions, normalized, as
//!   float32 batches and NumPy shards for a trainer;
//! - [`synth`]: synthetic datasets with planted faults and their ground
//!   truth, and the demo dataset;
//! - [`tsv`]: the BIDS tables.
//!
//! Reading the signals themselves is the job of the [`edf`] crate.
#![warn(missing_docs)]

pub mod attribute;
pub mod audit;
pub mod balance;
pub mod dataset;
mod error;
pub mod export;
pub mod measure;
pub mod read;
pub mod report;
pub mod sample;
pub mod scan;
pub mod score;
pub mod synth;
pub mod tsv;
pub mod window;

#[cfg(test)]
mod test_rng;

pub use error::Error;
