//! What a sampled reader makes the operating system read (Linux only):
//! a lazy opening of a file that is not in the page cache brings in its
//! header, not the device's whole read-ahead window, and
//! `prefetch_records` brings in the records asked for before they are
//! touched.
//!
//! The file is taken out of the page cache with
//! `posix_fadvise(POSIX_FADV_DONTNEED)` and its resident pages counted
//! with `mincore`. On a file system that keeps files in memory (tmpfs)
//! pages cannot be evicted, and the test says so and checks nothing.

#![cfg(target_os = "linux")]

use std::os::fd::AsRawFd;
use std::path::Path;

mod common;

const PAGE: usize = 4096;

/// Whether each page of `path` is in the page cache.
fn resident(path: &Path) -> Vec<bool> {
    let file = std::fs::File::open(path).expect("open");
    let len = file.metadata().expect("metadata").len() as usize;
    let pages = len.div_ceil(PAGE);
    // SAFETY: a read-only shared mapping of `len` bytes of an open file,
    // unmapped below; mincore writes one byte per page into `vec`.
    unsafe {
        let map = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        );
        assert_ne!(map, libc::MAP_FAILED, "mmap");
        let mut vec = vec![0u8; pages];
        let rc = libc::mincore(map, len, vec.as_mut_ptr());
        libc::munmap(map, len);
        assert_eq!(rc, 0, "mincore");
        vec.iter().map(|b| b & 1 == 1).collect()
    }
}

/// Takes the file's pages out of the page cache; false where that is not
/// possible.
fn evict(path: &Path) -> bool {
    let file = std::fs::File::open(path).expect("open");
    // Dirty pages are not dropped: written back first.
    file.sync_all().expect("fsync");
    // SAFETY: advice on an open descriptor; no memory is touched.
    let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    rc == 0 && resident(path).iter().all(|r| !r)
}

#[test]
fn lazy_opening_reads_the_header_and_prefetch_reads_the_records_asked_for() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("sampled.edf");
    // 600 records: 9.8 MB.
    common::write_32_channels(&path, 600);
    if !evict(&path) {
        eprintln!(
            "the page cache of {} cannot be emptied here; nothing to measure",
            dir.path().display()
        );
        return;
    }

    let file = edf::Edf::open_lazily(&path).expect("readable");
    let header_bytes = file.header().header_bytes;
    let record_bytes = file.header().record_bytes();
    let after_open = resident(&path);
    let pages = after_open.len();
    let opened = after_open.iter().filter(|&&r| r).count();
    // The header's 8,448 bytes are 3 pages; the whole read-ahead window
    // would be hundreds.
    assert!(
        opened <= header_bytes.div_ceil(PAGE) + 1,
        "opening brought in {opened} of {pages} pages"
    );

    // Records 300..310 lie far from the header; ask for them, then wait
    // (the read is asynchronous) without touching them.
    file.prefetch_records(300, 310);
    let first = (header_bytes + 300 * record_bytes) / PAGE;
    let last = (header_bytes + 310 * record_bytes - 1) / PAGE;
    let mut arrived = false;
    for _ in 0..200 {
        let now = resident(&path);
        if now[first..=last].iter().all(|&r| r) {
            arrived = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert!(
        arrived,
        "records 300..310 not read within 2 s of the prefetch"
    );
    let now = resident(&path);
    let total = now.iter().filter(|&&r| r).count();
    assert!(
        total < pages / 4,
        "prefetching 10 of 600 records brought in {total} of {pages} pages"
    );

    // A record read without a prefetch brings in its own pages only, not
    // a read-ahead window around them (32 pages at the smallest usual
    // setting of 128 KiB).
    let mut buf = vec![0f32; 256];
    for s in 0..32 {
        file.read_physical(s, 450 * 256, &mut buf)
            .expect("in range");
    }
    let grown = resident(&path).iter().filter(|&&r| r).count() - total;
    assert!(
        grown <= record_bytes.div_ceil(PAGE) + 1,
        "reading one record of {record_bytes} bytes brought in {grown} pages"
    );

    // Ranges past the end, empty or reversed, are ignored.
    file.prefetch_records(590, 10_000);
    file.prefetch_records(5, 5);
    file.prefetch_records(9, 3);
    file.read_physical(3, 305 * 256, &mut buf)
        .expect("in range");
    let expected: Vec<f32> = (0..256).map(|k| ((k * 4) % 200) as f32 - 100.0).collect();
    for (got, want) in buf.iter().zip(&expected) {
        assert!((got - want).abs() < 0.02, "{got} against {want}");
    }
}
