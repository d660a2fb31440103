//! A small deterministic generator for unit tests that need a fixed
//! stream of numbers without a dependency: Knuth's MMIX linear
//! congruential generator.

/// The generator's state.
pub(crate) struct Lcg(u64);

impl Lcg {
    pub(crate) fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }

    /// The next state.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0
    }

    /// Uniform in `[-0.5, 0.5)`, from the top 53 bits of the next state.
    pub(crate) fn centred(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}
