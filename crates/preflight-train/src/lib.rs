//! A small guarded convolutional baseline for labelled windows of
//! multichannel electrode signals (EEG, iEEG, ECoG).
//!
//! [`train::train`] takes windows already cut, cleaned and normalized
//! ([`data::Examples`]; [`align::align_subjects`] whitens each subject's
//! windows beforehand, as `preflight train` does), splits them by subject ([`split`]), trains an
//! EEGNet-like network ([`model`]) with class-weighted cross-entropy and
//! AdamW on the CPU (candle), and watches every step ([`guard`]): a
//! non-finite loss, activation or gradient stops training with the layer,
//! the step and the windows of the batch that did it. [`save`] writes the
//! weights as safetensors with the normalization they need.

pub mod align;
pub mod data;
pub mod error;
pub mod guard;
pub mod model;
pub mod save;
pub mod split;
pub mod train;

pub use error::TrainError;
