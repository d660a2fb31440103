//! Random number streams: one independent ChaCha8 stream per (seed,
//! subject, run, purpose).
//!
//! Deriving every stream from its coordinates, rather than drawing from one
//! generator in order, makes each recording's content depend only on the
//! seed and its own place in the dataset: recordings can be generated in
//! any order, in parallel, and planting a fault leaves every other channel
//! of the dataset as it was.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// What a stream is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stream {
    /// Choices for the whole dataset (control subject, fault places).
    Plan,
    /// A subject's head model: gain, sources, alpha frequency.
    Subject,
    /// A recording's background activity.
    Background,
    /// A recording's stimuli and their responses.
    Events,
    /// The `k`-th fault of the plan in one recording.
    Fault(u32),
}

impl Stream {
    fn code(self) -> u64 {
        match self {
            Stream::Plan => 1,
            Stream::Subject => 2,
            Stream::Background => 3,
            Stream::Events => 4,
            Stream::Fault(k) => 16 + u64::from(k),
        }
    }
}

/// The stream of `purpose` for `subject` and `run` under `seed`.
pub(crate) fn stream(seed: u64, subject: u32, run: u32, purpose: Stream) -> ChaCha8Rng {
    let mut h = splitmix64(seed);
    h = splitmix64(h ^ u64::from(subject));
    h = splitmix64(h ^ u64::from(run));
    h = splitmix64(h ^ purpose.code());
    ChaCha8Rng::seed_from_u64(h)
}

/// SplitMix64 finaliser (Steele, Lea and Flood 2014): a bijective mix of
/// all 64 bits.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_differ_by_every_coordinate() {
        let first = |seed, subject, run, s| stream(seed, subject, run, s).random::<u64>();
        let base = first(1, 2, 3, Stream::Background);
        assert_eq!(base, first(1, 2, 3, Stream::Background));
        assert_ne!(base, first(2, 2, 3, Stream::Background));
        assert_ne!(base, first(1, 3, 3, Stream::Background));
        assert_ne!(base, first(1, 2, 4, Stream::Background));
        assert_ne!(base, first(1, 2, 3, Stream::Events));
        assert_ne!(
            first(1, 2, 3, Stream::Fault(0)),
            first(1, 2, 3, Stream::Fault(1))
        );
    }
}
