//! The windows of a dataset as a trainer takes them: after the audit's
//! exclusions, normalized with its statistics, as float32 tensors.
//!
//! Three steps, each its own type:
//!
//! 1. [`Preparation`]: what the audit decided (window definition,
//!    exclusions, normalization, class weights), from an [`crate::audit::Audit`]
//!    run in the same process, from its `report.json`, or none at all;
//! 2. [`TensorPlan`]: the channel axis, rate, samples per window, the
//!    windows kept and the cells masked (channel- and window-level
//!    exclusions cannot remove a channel from one window of a tensor, so
//!    they become zeros and a 0 in the mask);
//! 3. [`BatchReader`]: contiguous normalized windows at any positions of
//!    the plan, decoded by random access in parallel ([`crate::read`]).
//!
//! `preflight export` writes the batches as NumPy shards ([`npy`], with the
//! folder layout and `index.json` of [`index`]); a trainer reads batches
//! directly:
//!
//! ```no_run
//! use preflight::dataset::{discover, DiscoverConfig};
//! use preflight::export::{BatchReader, Preparation, TensorPlan};
//! use preflight::window::windows;
//!
//! let dataset = discover("data".as_ref(), &DiscoverConfig::default())?;
//! let prep = Preparation::from_report("report/report.json".as_ref())?;
//! let windows = windows(&dataset, &prep.windows);
//! prep.check(&windows)?;
//! let plan = TensorPlan::new(&dataset, &windows, &prep);
//! let batch = BatchReader::new(&dataset, &windows, &plan).read(&[0, 1, 2]);
//! assert_eq!(batch.x.len(), 3 * plan.channels.len() * plan.samples);
//! # Ok::<(), preflight::Error>(())
//! ```

pub mod batch;
pub mod index;
pub mod npy;
pub mod plan;
pub mod preparation;

pub use batch::{Batch, BatchReader};
pub use index::ExportIndex;
pub use plan::{LeftOut, TensorPlan};
pub use preparation::{Normalization, Origin, Preparation};
