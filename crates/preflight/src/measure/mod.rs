//! Measures of decoded signals: the numbers every later step decides on.
//!
//! Each measure works on one channel's samples (a window or a whole
//! recording, in physical units: µV for EEG), is exact where exactness is
//! affordable, and merges across blocks, recordings and shards where a
//! dataset needs it. The streaming summaries are fed blocks of samples as a
//! reader decodes them (`push`) and combine with `merge`; none keeps the
//! samples.
//!
//! - [`summary`]: all the mergeable measures of one channel, fed in one
//!   call: what a scan of a dataset writes per recording and channel;
//! - [`moments`]: count, NaN/Inf counts, extremes, mean and variance;
//! - [`quantiles`]: exact quantiles, MAD and IQR of a window;
//! - [`sketch`]: a mergeable quantile sketch (quantiles, IQR, MAD within a
//!   stated bound) for recordings and datasets;
//! - [`histogram`]: amplitude histogram on log-spaced bins from nV to V;
//! - [`flatness`]: clipping at the digital limits, flat runs and dropout;
//! - [`spectrum`]: Welch power spectral density;
//! - [`line_noise`]: mains line-noise ratios and mains frequency detection;
//! - [`filter`]: the high-pass and low-pass FIR filters PyPREP applies;
//! - [`hf_noise`]: PREP's high-frequency noise ratio;
//! - [`correlation`]: PREP's per-window inter-channel correlation and dropout;
//! - [`prep`]: PREP's per-recording channel criteria, as PyPREP runs them.

pub mod correlation;
pub mod filter;
pub mod flatness;
pub mod hf_noise;
pub mod histogram;
pub mod line_noise;
pub mod moments;
pub mod prep;
pub mod quantiles;
pub mod sketch;
pub mod spectrum;
pub mod summary;
