//! Deterministic shares of a dataset's recordings, so a scan can be split
//! across machines and merged again ([`super::ScanReport::merge`]).

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// Shard `index` of `count` (1-based, as `--shard K/N` writes it).
///
/// A recording belongs to shard `1 + h mod N`, with `h` the 64-bit FNV-1a
/// hash of its path relative to the dataset root, written with `/`
/// separators. The assignment depends on the path only: it is the same on
/// every machine and does not move when other files are added or removed.
/// Shares are about `1/N` each, not exactly.
///
/// ```
/// use preflight::scan::Shard;
/// use std::path::Path;
///
/// let shards: Vec<Shard> = (1..=3).map(|k| Shard::new(k, 3).unwrap()).collect();
/// let path = Path::new("sub-01/eeg/sub-01_task-rest_eeg.edf");
/// assert_eq!(shards.iter().filter(|s| s.contains(path)).count(), 1);
/// assert_eq!("2/3".parse::<Shard>().unwrap(), shards[1]);
/// assert!("0/3".parse::<Shard>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, `1..=count`.
    pub index: u32,
    /// How many shards.
    pub count: u32,
}

impl Shard {
    /// Shard `index` of `count`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] unless `1 <= index <= count`.
    pub fn new(index: u32, count: u32) -> Result<Shard, Error> {
        if count == 0 || index == 0 || index > count {
            return Err(Error::Config {
                option: "--shard".into(),
                reason: format!("{index}/{count}: expected K/N with 1 <= K <= N, e.g. 1/4"),
            });
        }
        Ok(Shard { index, count })
    }

    /// Whether the recording at `relative` (to the dataset root) is in
    /// this shard.
    pub fn contains(&self, relative: &Path) -> bool {
        let key: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        fnv1a(key.join("/").as_bytes()) % u64::from(self.count) == u64::from(self.index - 1)
    }
}

impl std::str::FromStr for Shard {
    type Err = Error;

    fn from_str(s: &str) -> Result<Shard, Error> {
        let bad = || Error::Config {
            option: "--shard".into(),
            reason: format!("{s:?}: expected K/N with 1 <= K <= N, e.g. 1/4"),
        };
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let k = k.trim().parse().map_err(|_| bad())?;
        let n = n.trim().parse().map_err(|_| bad())?;
        Shard::new(k, n)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// 64-bit FNV-1a.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recording_is_in_exactly_one_shard() {
        for n in [1, 2, 3, 7] {
            let shards: Vec<Shard> = (1..=n).map(|k| Shard::new(k, n).unwrap()).collect();
            let mut sizes = vec![0; n as usize];
            for i in 0..700 {
                let path = format!(
                    "sub-{:02}/eeg/sub-{:02}_run-{}_eeg.edf",
                    i / 7,
                    i / 7,
                    i % 7
                );
                let hits: Vec<usize> = (0..n as usize)
                    .filter(|&k| shards[k].contains(Path::new(&path)))
                    .collect();
                assert_eq!(hits.len(), 1, "{path}");
                sizes[hits[0]] += 1;
            }
            // Roughly even: each within half of its fair share.
            assert!(sizes.iter().all(|&s| s * 2 * n as usize > 700), "{sizes:?}");
        }
    }

    #[test]
    fn fnv1a_matches_published_values() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn bad_shards_are_refused() {
        for s in ["", "1", "0/2", "3/2", "a/b", "1/0"] {
            assert!(s.parse::<Shard>().is_err(), "{s}");
        }
    }
}
