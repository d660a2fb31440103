//! Counts of the digital codes of a 16-bit channel, handed to the
//! order-free measures once per distinct value.
//!
//! A 16-bit EDF channel holds at most 65,536 distinct values, while a
//! recording holds millions of samples. The measures that do not depend on
//! the order of the samples ([`Moments`], [`QuantileSketch`],
//! [`AmplitudeHistogram`], [`Clipping`]) take a logarithm or two passes per
//! sample when fed sample by sample; [`CodeCounts`] instead counts each
//! code while the recording streams (one increment per sample) and, at the
//! end, feeds each distinct physical value to those measures with its
//! multiplicity.
//!
//! Each distinct value goes to the measures' weighted pushes once, with its
//! count: `d` weighted pushes for `d` distinct codes, in place of one push
//! per sample. Integer counts come out identical to feeding every sample
//! (the sketch bucket for bucket, the histogram bin for bin); the mean and
//! variance agree within floating-point rounding (tested below against
//! per-sample feeding).

use crate::measure::flatness::Clipping;
use crate::measure::histogram::AmplitudeHistogram;
use crate::measure::moments::Moments;
use crate::measure::sketch::QuantileSketch;

/// Distinct values of a 16-bit code.
const CODES: usize = 1 << 16;

/// The order-free measures of one channel.
#[derive(Clone, Debug, Default)]
pub(crate) struct OrderFree {
    pub moments: Moments,
    pub sketch: QuantileSketch,
    pub histogram: AmplitudeHistogram,
    pub clipping: Clipping,
}

impl OrderFree {
    /// Adds physical samples and their digital codes directly, one by one.
    pub fn push(&mut self, physical: &[f32], digital: &[i32], limits: (i32, i32)) {
        self.moments.push(physical);
        self.sketch.push(physical);
        self.histogram.push(physical);
        self.clipping.push_digital(digital, limits.0, limits.1);
    }

    /// Adds `n` samples of the digital code `code`.
    fn push_weighted(&mut self, code: i32, n: u64, scaling: &Scaling) {
        let x = f64::from(scaling.physical(code));
        self.moments.push_weighted(x, n);
        self.sketch.push_weighted(x, n);
        self.histogram.push_weighted(x, n);
        self.clipping
            .push_digital_weighted(code, n, scaling.digital_min, scaling.digital_max);
    }
}

/// How a code decodes to a physical value: `(gain · d + offset) as f32`,
/// in the unit values are reported in (µV for voltages), computed exactly
/// as [`edf::Edf::read_physical`] computes it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Scaling {
    /// Physical units per digital step, already in the reported unit.
    pub gain: f64,
    /// Physical value of digital 0, in the reported unit.
    pub offset: f64,
    /// The signal's digital minimum and maximum (clipping limits).
    pub digital_min: i32,
    /// See `digital_min`.
    pub digital_max: i32,
}

impl Scaling {
    /// The scaling of one signal of a header.
    pub fn of(signal: &edf::SignalHeader) -> Scaling {
        let scale = signal.unit().scale();
        Scaling {
            gain: signal.gain() * scale,
            offset: signal.offset() * scale,
            digital_min: signal.digital_min,
            digital_max: signal.digital_max,
        }
    }

    /// The physical value of a code.
    #[inline]
    pub fn physical(&self, code: i32) -> f32 {
        (self.gain * f64::from(code) + self.offset) as f32
    }
}

/// Counts of each 16-bit code of one channel since the last flush.
///
/// The table takes 256 KiB; [`CodeCounts::clear`] resets only the codes
/// that were seen, so one table can be reused for channel after channel
/// without touching fresh memory.
#[derive(Debug)]
pub(crate) struct CodeCounts {
    counts: Box<[u32; CODES]>,
    /// Samples counted since the last flush.
    pending: u64,
}

impl Default for CodeCounts {
    fn default() -> CodeCounts {
        CodeCounts {
            counts: Box::new([0; CODES]),
            pending: 0,
        }
    }
}

impl CodeCounts {
    /// Counts a block of digital values, each within the 16-bit range
    /// (`-32768..=32767`; others would share a count with their value
    /// modulo 2^16).
    /// Flushes into `into` first if the counts could overflow.
    pub fn push(&mut self, digital: &[i32], scaling: &Scaling, into: &mut OrderFree) {
        if self.pending + digital.len() as u64 > u64::from(u32::MAX) {
            self.flush(scaling, into);
        }
        for &d in digital {
            // Two's complement: -1 is 0xFFFF.
            self.counts[usize::from(d as u16)] += 1;
        }
        self.pending += digital.len() as u64;
    }

    /// Feeds the counted values to `into` (see the module documentation)
    /// and clears the counts.
    pub fn flush(&mut self, scaling: &Scaling, into: &mut OrderFree) {
        if self.pending == 0 {
            return;
        }

        // The distinct codes seen, in increasing order (the negative codes
        // sit in the upper half of the table); stretches of unused codes
        // are skipped 64 at a time.
        let mut seen: Vec<(i32, u32)> = Vec::new();
        let (non_negative, negative) = self.counts.split_at_mut(CODES / 2);
        for (half, first) in [(negative, -(CODES as i32) / 2), (non_negative, 0)] {
            for (k, chunk) in half.chunks_exact_mut(64).enumerate() {
                // An OR over the chunk, not a search: it vectorises.
                if chunk.iter().fold(0, |any, &n| any | n) == 0 {
                    continue;
                }
                for (j, n) in chunk.iter_mut().enumerate() {
                    if *n > 0 {
                        seen.push((first + (k * 64 + j) as i32, *n));
                        *n = 0;
                    }
                }
            }
        }
        self.pending = 0;

        // By increasing magnitude, so that each push lands at the far end of
        // the sketch's bucket store instead of shifting it.
        // The key is computed once per code; the bits of a non-negative
        // finite f32 order as its value does. Physical values are monotone
        // in the code, so in code order the keys fall and then rise: two
        // runs, which the stable sort finds and merges in one pass (the
        // triples are distinct, so the order is that of any sort).
        let mut keyed: Vec<(u32, i32, u32)> = seen
            .iter()
            .map(|&(code, n)| (scaling.physical(code).abs().to_bits(), code, n))
            .collect();
        keyed.sort();
        let seen = keyed.into_iter().map(|(_, code, n)| (code, n));

        // Each distinct value once, with its count.
        let mut part = OrderFree::default();
        for (code, n) in seen {
            part.push_weighted(code, u64::from(n), scaling);
        }
        into.moments.merge(&part.moments);
        into.sketch.merge(&part.sketch);
        into.histogram.merge(&part.histogram);
        into.clipping.merge(&part.clipping);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn scaling() -> Scaling {
        Scaling {
            gain: 0.1,
            offset: -3.0,
            digital_min: -32768,
            digital_max: 32767,
        }
    }

    #[test]
    fn counted_codes_give_the_measures_of_every_sample() {
        let mut rng = ChaCha8Rng::seed_from_u64(61);
        let s = scaling();
        let digital: Vec<i32> = (0..200_000)
            .map(|i| match i % 97 {
                0 => 32767,
                1 => -32768,
                _ => (rng.random::<f64>() * 2000.0 - 1000.0).round() as i32,
            })
            .collect();
        let physical: Vec<f32> = digital.iter().map(|&d| s.physical(d)).collect();

        let mut direct = OrderFree::default();
        direct.push(&physical, &digital, (s.digital_min, s.digital_max));
        let mut counted = OrderFree::default();
        let mut codes = CodeCounts::default();
        for block in digital.chunks(777) {
            codes.push(block, &s, &mut counted);
        }
        codes.flush(&s, &mut counted);

        assert_eq!(counted.sketch, direct.sketch);
        assert_eq!(counted.histogram, direct.histogram);
        assert_eq!(counted.clipping, direct.clipping);
        let (a, b) = (&counted.moments, &direct.moments);
        assert_eq!((a.count(), a.min(), a.max()), (b.count(), b.min(), b.max()));
        let rel = |x: f64, y: f64| (x - y).abs() / y.abs();
        assert!(rel(a.mean().unwrap(), b.mean().unwrap()) < 1e-12);
        assert!(rel(a.variance(0).unwrap(), b.variance(0).unwrap()) < 1e-12);
        // The table is left clear for the next channel.
        assert!(codes.counts.iter().all(|&n| n == 0));
    }

    #[test]
    fn empty_counts_feed_nothing() {
        let mut into = OrderFree::default();
        CodeCounts::default().flush(&scaling(), &mut into);
        assert_eq!(into.moments.total(), 0);
        assert_eq!(into.sketch.count(), 0);
    }
}
