// What of a file is in the page cache (Linux): `mincore` over a mapping
// of it, eviction with `posix_fadvise(POSIX_FADV_DONTNEED)`, and waiting
// for asynchronous reads. Shared by the tests of this crate and of
// `preflight`'s discovery, which include this file (hence no inner
// attributes or doc comments here).

use std::os::fd::AsRawFd;
use std::path::Path;

/// Bytes of a page.
pub const PAGE: usize = 4096;

/// Whether each page of `path` is in the page cache.
pub fn resident(path: &Path) -> Vec<bool> {
    let file = std::fs::File::open(path).expect("open");
    let len = file.metadata().expect("metadata").len() as usize;
    let mut pages = vec![0u8; len.div_ceil(PAGE)];
    // SAFETY: a read-only shared mapping of `len` bytes of an open file,
    // unmapped below; mincore writes one byte per page into `pages`.
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
        let rc = libc::mincore(map, len, pages.as_mut_ptr());
        libc::munmap(map, len);
        assert_eq!(rc, 0, "mincore");
    }
    pages.iter().map(|b| b & 1 == 1).collect()
}

/// Takes the file's pages out of the page cache; false where that is not
/// possible (tmpfs keeps files in memory).
pub fn evict(path: &Path) -> bool {
    let file = std::fs::File::open(path).expect("open");
    // Dirty pages are not dropped: written back first.
    file.sync_all().expect("fsync");
    // SAFETY: advice on an open descriptor; no memory is touched.
    let rc = unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
    rc == 0 && resident(path).iter().all(|r| !r)
}

/// Polls until `wanted(pages resident)` holds, for up to 2 s.
pub fn arrives(path: &Path, wanted: impl Fn(&[bool]) -> bool) -> bool {
    (0..200).any(|_| {
        let ok = wanted(&resident(path));
        if !ok {
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        ok
    })
}
