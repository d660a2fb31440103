//! Reading and writing EDF, EDF+ and BDF/BDF+ recordings.
//!
//! The European Data Format stores multichannel signals as a fixed-width
//! ASCII header followed by data records, each holding a fixed number of
//! samples of every signal. EDF+ adds annotation signals (events and record
//! start times, allowing discontinuous recordings); BDF stores 24-bit
//! samples instead of 16-bit ones.
//!
//! This crate:
//!
//! - validates every header field, and names the file, field, byte offset,
//!   found and expected value when one is wrong ([`Error`]);
//! - memory-maps the file and decodes any sample range of any signal
//!   without reading the rest ([`Edf::read_physical`]);
//! - reports physical values in µV for voltage channels, whatever prefix
//!   the header uses ([`Unit`]);
//! - reads EDF+ annotations and exposes EDF+D gaps ([`Edf::annotations`],
//!   [`Edf::gaps`]);
//! - reads truncated files up to their last complete record with a
//!   [`Warning`], and refuses files whose annotation records prove the bytes
//!   damaged;
//! - writes EDF, EDF+C, BDF and BDF+C ([`Writer`]).
//!
//! ```no_run
//! let edf = edf::Edf::open("recording.edf")?;
//! for w in edf.warnings() {
//!     eprintln!("warning: {w}");
//! }
//! let first_second: Vec<f32> = {
//!     let n = edf.header().sfreq_hz(0).unwrap_or(0.0) as usize;
//!     let mut buf = vec![0.0f32; n];
//!     edf.read_physical(0, 0, &mut buf)?;
//!     buf
//! };
//! # Ok::<(), edf::Error>(())
//! ```
#![warn(missing_docs)]

mod annotations;
mod error;
mod header;
mod reader;
mod unit;
mod writer;

pub use annotations::Annotation;
pub use error::{Error, Warning};
pub use header::{Format, Header, SignalHeader, StartTime, Variant};
pub use reader::{Edf, Gap, Records, Sample};
pub use unit::Unit;
pub use writer::{fit_number, FileSpec, SignalSpec, Writer};

/// Parses a header from bytes; for fuzzing and for tools that only need the
/// header. See [`Edf::from_bytes`] for the whole file.
///
/// # Errors
///
/// As [`Edf::from_bytes`] for header problems.
pub fn parse_header(bytes: &[u8], name: &std::path::Path) -> Result<(Header, Vec<Warning>), Error> {
    header::parse(bytes, name)
}
