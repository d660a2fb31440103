//! Errors and warnings of the EDF reader and writer.
//!
//! An [`Error`] means the file cannot be decoded faithfully: it names the
//! file, the header field or data record, the byte offset, what was found and
//! what was expected. A [`Warning`] means the file can be decoded, but
//! something about it deserves the user's attention (for example a file
//! shorter than its header claims, read up to its last complete record).

use std::fmt;
use std::io;
use std::path::PathBuf;

/// Everything that stops a file from being read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The file could not be opened, mapped or written.
    #[error("{}: {error}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said (shown in the message, so not
        /// chained as a source).
        error: io::Error,
    },

    /// A fixed-width header field does not hold what the specification
    /// requires.
    #[error(
        "{}: header field `{field}` at byte {offset}: found {found:?}, expected {expected}",
        path.display()
    )]
    Field {
        /// The file.
        path: PathBuf,
        /// The field, e.g. `number of signals` or `signal 3 (Fp1) digital minimum`.
        field: String,
        /// Byte offset of the field from the start of the file.
        offset: u64,
        /// The field's text as found (non-printable bytes escaped).
        found: String,
        /// What the specification allows there.
        expected: String,
    },

    /// A data record contradicts the header, e.g. an EDF+ annotation signal
    /// that does not start with a valid time-keeping annotation.
    #[error("{}: data record {record} (byte {offset}): {reason}", path.display())]
    Record {
        /// The file.
        path: PathBuf,
        /// Zero-based index of the data record.
        record: u64,
        /// Byte offset of the offending byte (or of the record) in the file.
        offset: u64,
        /// What is wrong.
        reason: String,
    },

    /// The file is shorter than its header or holds no complete data record
    /// although the header announces some.
    #[error("{}: {reason}", path.display())]
    Size {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the sizes involved.
        reason: String,
    },

    /// A read asked for a signal or sample range the file does not have.
    #[error("{}: {reason}", path.display())]
    OutOfRange {
        /// The file.
        path: PathBuf,
        /// The request and what the file holds.
        reason: String,
    },

    /// A value given to the writer cannot be stored in the format.
    #[error("cannot write {what}: {reason}")]
    Write {
        /// The value or field being written.
        what: String,
        /// Why it cannot be written.
        reason: String,
    },
}

/// Something a file does that the specification does not allow, or that
/// loses data, but which still leaves the samples well defined.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Warning {
    /// The file ends before the last data record the header announces; the
    /// complete records are readable.
    Truncated {
        /// Records the header announces.
        expected_records: u64,
        /// Complete records present.
        complete_records: u64,
        /// Bytes missing to the announced size.
        missing_bytes: u64,
    },
    /// The file holds bytes after the last announced data record.
    TrailingBytes {
        /// How many bytes follow the last record.
        bytes: u64,
    },
    /// A header text field holds bytes outside printable ASCII.
    NonAscii {
        /// The field.
        field: String,
        /// Its byte offset.
        offset: u64,
    },
    /// A header field deviates from the specification in a way the reader
    /// can work around.
    Field {
        /// The field.
        field: String,
        /// Its byte offset.
        offset: u64,
        /// What is unusual about it.
        reason: String,
    },
    /// An EDF+C (continuous) file whose data records are not contiguous in
    /// time; it is read as discontinuous.
    NotContinuous {
        /// First record that does not follow its predecessor.
        record: u64,
        /// Its start time from the time-keeping annotation.
        onset_s: f64,
        /// The start time continuity requires.
        expected_s: f64,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Truncated {
                expected_records,
                complete_records,
                missing_bytes,
            } => write!(
                f,
                "file is {missing_bytes} bytes shorter than its header claims: \
                 {complete_records} of {expected_records} data records are complete, \
                 {} missing",
                expected_records - complete_records
            ),
            Warning::TrailingBytes { bytes } => {
                write!(
                    f,
                    "{bytes} bytes follow the last data record the header announces"
                )
            }
            Warning::NonAscii { field, offset } => write!(
                f,
                "header field `{field}` at byte {offset} holds bytes outside printable ASCII"
            ),
            Warning::Field {
                field,
                offset,
                reason,
            } => write!(f, "header field `{field}` at byte {offset}: {reason}"),
            Warning::NotContinuous {
                record,
                onset_s,
                expected_s,
            } => write!(
                f,
                "the header says EDF+C (continuous) but data record {record} starts at \
                 {onset_s} s instead of {expected_s} s; read as discontinuous"
            ),
        }
    }
}

/// Escapes a byte string for an error message: printable ASCII as is,
/// everything else as `\xNN`.
pub(crate) fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}
