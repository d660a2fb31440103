//! Output files of the generator: an empty folder to write into, and
//! atomic writes (a temporary name in the same folder, then a rename), so
//! that no reader ever sees half a file.
//!
//! Files are not synced to disk before the rename: a dataset that is lost
//! in a crash is regenerated from its seed.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::Error;

/// Buffer of each file writer.
const BUFFER: usize = 1 << 20;

/// Creates `dir` (and its parents) if missing, and checks that it is empty.
///
/// # Errors
///
/// [`Error::OutputNotEmpty`] when it holds anything; [`Error::Io`] when it
/// cannot be created or listed, or is a file.
pub(crate) fn prepare_empty_dir(dir: &Path) -> Result<(), Error> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        if entries.next().is_some() {
            return Err(Error::OutputNotEmpty {
                path: dir.to_path_buf(),
            });
        }
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))
}

/// Writes `path` through a buffered writer into `.NAME.tmp` beside it, then
/// renames it into place. On failure the temporary file is removed.
///
/// # Errors
///
/// [`Error::Io`] naming `path`, or the error `write` returns.
pub(crate) fn write_atomic(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<File>) -> Result<(), Error>,
) -> Result<(), Error> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| Error::io(path, e))?;
        let mut w = BufWriter::with_capacity(BUFFER, file);
        write(&mut w)?;
        w.flush().map_err(|e| Error::io(path, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Creates the folders above `path`.
pub(crate) fn create_parent(path: &Path) -> Result<(), Error> {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => {
            std::fs::create_dir_all(p).map_err(|e| Error::io(p, e))
        }
        _ => Ok(()),
    }
}

/// Writes all of `bytes`, naming `path` on failure.
pub(crate) fn put(w: &mut impl Write, path: &Path, bytes: &[u8]) -> Result<(), Error> {
    w.write_all(bytes).map_err(|e| Error::io(path, e))
}

/// An error of the EDF writer, naming the file being written.
pub(crate) fn edf_error(path: &Path, e: edf::Error) -> Error {
    match e {
        edf::Error::Io { error, .. } => Error::io(path, error),
        edf::Error::Write { what, reason } => Error::invalid(path, what, reason),
        other => Error::Edf(other),
    }
}
