//! Writing output files atomically: into a temporary file beside the
//! target, then renamed over it, so that a reader never sees half a file and
//! an interrupted run leaves the previous file intact.

use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::{Context, Result};

/// What [`write_atomic`] hands its writer: a buffered file.
pub type Output<'a> = BufWriter<EarlyWriteback<'a>>;

/// Writes `path` atomically with `write`, which receives a buffered writer.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut Output<'_>) -> Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".preflight-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    {
        let mut w = BufWriter::new(EarlyWriteback::new(tmp.as_file_mut()));
        write(&mut w)?;
        w.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    readable_by_all(tmp.as_file())
        .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(())
}

/// Bytes written between two requests to start writing them to disk.
const WRITEBACK_BYTES: u64 = 4 << 20;

/// A file whose written bytes are sent on to the disk every few megabytes
/// (`sync_file_range` on Linux, without waiting), so that the `fsync` that
/// ends [`write_atomic`] waits for the last few megabytes of a large
/// report instead of all of it.
pub struct EarlyWriteback<'a> {
    file: &'a mut std::fs::File,
    written: u64,
    started: u64,
}

impl<'a> EarlyWriteback<'a> {
    fn new(file: &'a mut std::fs::File) -> EarlyWriteback<'a> {
        EarlyWriteback {
            file,
            written: 0,
            started: 0,
        }
    }
}

impl Write for EarlyWriteback<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.file.write(buf)?;
        self.written += n as u64;
        if self.written - self.started >= WRITEBACK_BYTES {
            start_writeback(self.file, self.started, self.written - self.started);
            self.started = self.written;
        }
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(target_os = "linux")]
fn start_writeback(file: &std::fs::File, offset: u64, len: u64) {
    use std::os::fd::AsRawFd;
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: the descriptor is open for the call's duration, and the call
    // reads nothing from this process's memory. A failure only leaves the
    // bytes to the final fsync, which reports its own errors.
    unsafe {
        libc::sync_file_range(file.as_raw_fd(), offset, len, libc::SYNC_FILE_RANGE_WRITE);
    }
}

#[cfg(not(target_os = "linux"))]
fn start_writeback(_file: &std::fs::File, _offset: u64, _len: u64) {}

/// Temporary files are created readable by their owner only; an output is
/// a plain file like any other (rw-r--r--).
pub fn readable_by_all(file: &std::fs::File) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    #[cfg(not(unix))]
    let _ = file;
    Ok(())
}
