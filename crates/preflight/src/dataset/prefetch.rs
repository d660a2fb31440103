//! Asking the operating system for the start of many small files at once.
//!
//! Discovery reads a little of every file: a recording's header, its
//! `events.tsv` and `channels.tsv`. From the page cache that costs
//! microseconds a file; from a disk it is one wait per file, and two
//! threads waiting in turn leave the disk idle between requests.
//! [`ask_for`] tells the kernel about all of them first
//! (`posix_fadvise(POSIX_FADV_WILLNEED)`, which queues the reads and
//! returns), so the reads that follow find most of them there.

use std::path::Path;

use rayon::prelude::*;

/// Bytes asked for at the start of a recording: its header, for up to 63
/// signals (the reader asks for the rest of a longer one when it opens the
/// file).
pub const HEADER_BYTES: u64 = 16 * 1024;

/// Bytes asked for at the end of a recording: its last data record, whose
/// time-keeping annotation a lazy opening of an EDF+/BDF+ file reads, for
/// records of up to 32 KiB (one second of 64 channels at 256 Hz).
pub const LAST_RECORD_BYTES: u64 = 32 * 1024;

/// What to ask for of one file.
#[derive(Clone, Copy, Debug)]
pub enum Part {
    /// The whole file.
    All,
    /// The header and the last record of a recording.
    Ends,
}

/// Asks for the given part of each file. A file that cannot be opened is
/// passed over: reading it will report the error. A no-op where
/// `posix_fadvise` is not available.
pub fn ask_for<'a>(files: impl IntoParallelIterator<Item = (&'a Path, Part)>) {
    #[cfg(target_os = "linux")]
    files.into_par_iter().for_each(|(path, part)| {
        use std::os::fd::AsRawFd;
        let Ok(file) = std::fs::File::open(path) else {
            return;
        };
        let fd = file.as_raw_fd();
        let advise = |offset: u64, len: u64| {
            if let (Ok(offset), Ok(len)) =
                (libc::off_t::try_from(offset), libc::off_t::try_from(len))
            {
                // SAFETY: advice on a descriptor open for the call's
                // duration; no memory is touched.
                unsafe { libc::posix_fadvise(fd, offset, len, libc::POSIX_FADV_WILLNEED) };
            }
        };
        match part {
            Part::All => advise(0, 0),
            Part::Ends => {
                let size = file.metadata().map_or(0, |m| m.len());
                advise(0, HEADER_BYTES.min(size));
                if size > HEADER_BYTES {
                    let tail = LAST_RECORD_BYTES.min(size - HEADER_BYTES);
                    advise(size - tail, tail);
                }
            }
        }
    });
    #[cfg(not(target_os = "linux"))]
    drop(files.into_par_iter());
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// The page-cache probes of the `edf` crate's tests.
    #[allow(dead_code)]
    mod cache {
        include!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../edf/tests/common/page_cache.rs"
        ));
    }
    use cache::{arrives, evict, resident, PAGE};

    /// Writes `len` bytes and takes them out of the page cache; false
    /// where that is not possible (tmpfs).
    fn cold_file(path: &Path, len: usize) -> bool {
        std::fs::write(path, vec![7u8; len]).expect("write");
        evict(path)
    }

    #[test]
    fn the_ends_of_a_recording_and_whole_sidecars_are_read_ahead() {
        let dir = tempfile::tempdir().expect("tempdir");
        let recording = dir.path().join("run_eeg.edf");
        let events = dir.path().join("run_events.tsv");
        // 1 MiB: 256 pages, of which the first 4 and the last 8 are asked for.
        if !cold_file(&recording, 1 << 20) || !cold_file(&events, 5 * PAGE) {
            eprintln!("the page cache cannot be emptied here; nothing to measure");
            return;
        }
        let missing = dir.path().join("missing.tsv");
        ask_for(vec![
            (recording.as_path(), Part::Ends),
            (events.as_path(), Part::All),
            (missing.as_path(), Part::All),
        ]);
        let head = HEADER_BYTES as usize / PAGE;
        let tail = LAST_RECORD_BYTES as usize / PAGE;
        assert!(arrives(&recording, |p| p[..head].iter().all(|&r| r)
            && p[p.len() - tail..].iter().all(|&r| r)));
        let pages = resident(&recording);
        let middle = pages[head..pages.len() - tail]
            .iter()
            .filter(|&&r| r)
            .count();
        assert!(
            middle < 16,
            "{middle} pages between the header and the last record read"
        );
        assert!(arrives(&events, |p| p.iter().all(|&r| r)));
    }
}
