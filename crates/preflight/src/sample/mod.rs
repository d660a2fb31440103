//! Which windows to read: a stratified sample of a dataset's windows.
//!
//! An audit does not decode every window. It draws a sample that keeps
//! every subject × class stratum in proportion ([`stratify`]), with floors
//! so that no stratum and no recording goes unseen, and then decodes only
//! the sampled windows. The allocation, stratum by stratum, is part of the
//! report: it says what the audit looked at.

pub mod stratify;

pub use stratify::{stratified_sample, Allocation, Sample, SampleConfig, SampleSize, Stratum};
