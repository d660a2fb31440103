//! Flat runs and flat windows of one channel, with the windows measured only
//! where a flat window is possible.
//!
//! A window is flat when all its samples are equal, so it lies inside a run
//! of at least one window's length. [`FlatTracker`] feeds every block to a
//! [`FlatRuns`] and, as long as the longest run so far is shorter than a
//! window, only counts the windows (none of them can be flat). From the
//! block in which a run first reaches a window's length, it hands the
//! samples to a [`FlatWindows`] that starts at the first window the run may
//! cover, replaying those samples from the tail it keeps. The counts are
//! those of a [`FlatWindows`] fed every sample (tested), at a fraction of
//! the cost for the channels that have no long run, which is nearly all.

use crate::measure::flatness::{FlatRuns, FlatWindows};

/// The flat runs and flat windows of one channel of one recording.
#[derive(Debug)]
pub(crate) struct FlatTracker {
    len: u64,
    runs: FlatRuns,
    /// Set from the first possible flat window on.
    windows: Option<FlatWindows>,
    /// Sample at which `windows` starts (a multiple of `len`).
    windows_from: u64,
    /// Samples seen.
    seen: u64,
    /// The last samples seen (at most `2 len`), to replay.
    tail: Vec<f64>,
}

impl FlatTracker {
    /// Windows of `len` samples from the first sample; runs and windows
    /// with exact equality.
    pub fn new(len: u64) -> FlatTracker {
        FlatTracker {
            len: len.max(1),
            runs: FlatRuns::new(0.0),
            windows: None,
            windows_from: 0,
            seen: 0,
            tail: Vec::new(),
        }
    }

    /// Adds the next block of samples.
    pub fn push<T: Copy + Into<f64>>(&mut self, block: &[T]) {
        let mut runs = FlatRuns::new(0.0);
        runs.push(block);
        self.follow(&runs, block);
    }

    /// Adds the next block of digital codes: as [`FlatTracker::push`], with
    /// the runs found by [`FlatRuns::push_codes`].
    pub fn push_codes(&mut self, block: &[i32]) {
        let mut runs = FlatRuns::new(0.0);
        runs.push_codes(block);
        self.follow(&runs, block);
    }

    /// Takes in a block whose runs are `runs`.
    fn follow<T: Copy + Into<f64>>(&mut self, runs: &FlatRuns, block: &[T]) {
        self.runs.merge(runs);

        // The first run as long as a window: start measuring windows at
        // the first one it may cover (it began at most `len - 1` samples
        // before this block).
        if self.windows.is_none() && self.runs.longest() >= self.len {
            let from = self.seen.saturating_sub(self.len - 1) / self.len * self.len;
            let mut w = FlatWindows::new(self.len, from, 0.0);
            let replay = (self.seen - from) as usize;
            w.push(&self.tail[self.tail.len() - replay..]);
            self.windows = Some(w);
            self.windows_from = from;
        }
        match &mut self.windows {
            Some(w) => w.push(block),
            None => {
                // Keep at least the last `2 len` samples for a later replay:
                // of a block that long, only them; shorter blocks are
                // appended and trimmed only past `8 len`, so that the copy
                // of what stays happens once every few blocks, not after
                // each.
                let keep = 2 * self.len as usize;
                if block.len() >= keep {
                    self.tail.clear();
                    let last = &block[block.len() - keep..];
                    self.tail.extend(last.iter().map(|&x| x.into()));
                } else {
                    self.tail.extend(block.iter().map(|&x| x.into()));
                    if self.tail.len() > 4 * keep {
                        self.tail.drain(..self.tail.len() - keep);
                    }
                }
            }
        }
        self.seen += block.len() as u64;
    }

    /// Longest run of equal samples.
    pub fn longest_run(&self) -> u64 {
        self.runs.longest()
    }

    /// Complete windows and flat windows among them.
    pub fn windows(&self) -> (u64, u64) {
        match &self.windows {
            Some(w) => (self.windows_from / self.len + w.windows(), w.flat()),
            None => (self.seen / self.len, 0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn counts_equal_flat_windows_fed_every_sample() {
        let mut rng = ChaCha8Rng::seed_from_u64(81);
        for trial in 0..200 {
            let len = rng.random_range(1..40_u64);
            let n = rng.random_range(0..2000);
            // Noise with planted constant stretches of random lengths.
            let mut x: Vec<i32> = (0..n).map(|_| rng.random_range(-3..=3)).collect();
            for _ in 0..rng.random_range(0..4) {
                if n == 0 {
                    break;
                }
                let at = rng.random_range(0..n);
                let run = rng.random_range(1..3 * len as usize);
                let v = rng.random_range(-3..=3);
                for s in x.iter_mut().skip(at).take(run) {
                    *s = v;
                }
            }
            let mut whole_runs = FlatRuns::new(0.0);
            whole_runs.push(&x);
            let mut whole = FlatWindows::new(len, 0, 0.0);
            whole.push(&x);

            let mut t = FlatTracker::new(len);
            let mut at = 0;
            while at < x.len() {
                let b = rng.random_range(1..100).min(x.len() - at);
                // Blocks of digital codes take the integer path.
                if rng.random::<bool>() {
                    t.push_codes(&x[at..at + b]);
                } else {
                    t.push(&x[at..at + b]);
                }
                at += b;
            }
            assert_eq!(t.longest_run(), whole_runs.longest(), "trial {trial}");
            assert_eq!(
                t.windows(),
                (whole.windows(), whole.flat()),
                "trial {trial}"
            );
        }
    }
}
