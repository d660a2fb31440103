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

#[path = "common/page_cache.rs"]
mod cache;
mod common;

use cache::{arrives, evict, resident, PAGE};

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
    let arrived = arrives(&path, |now| now[first..=last].iter().all(|&r| r));
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
