//! The spectrum of one audit window: a single Hann-windowed periodogram,
//! with its buffers kept from one window to the next.
//!
//! An audit takes one spectrum per window × channel, thousands of short
//! transforms of the same length. [`Welch`] would do the same arithmetic,
//! but it is built for streaming a recording: each accumulator carries
//! sample buffers, running sums and FFT buffers of its own, which an audit
//! would allocate and free once per window × channel. A
//! [`PeriodogramPlan`] holds what every window of one length shares
//! (window, FFT, scaling), as [`crate::measure::spectrum::WelchPlan`]
//! does, and a [`Periodogram`] holds one thread's buffers for it.
//!
//! The result is [`Welch`] with one segment of the whole window and no
//! overlap, to rounding (the tests compare the two within 1e-12
//! relative): the same mean, window and scaling, shared with it. Welch
//! transforms its segments two at a time through one complex FFT, this
//! one window through a real FFT, so the last bits may differ.
//!
//! [`Welch`]: crate::measure::spectrum::Welch

use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{RealFftPlanner, RealToComplex};

use crate::measure::spectrum::{hann, one_sided, segment_mean, Psd};

/// What every window of one length shares: the periodic Hann window, its
/// power and the real FFT.
pub struct PeriodogramPlan {
    window: Vec<f64>,
    /// `Σ w²`.
    window_power: f64,
    fft: Arc<dyn RealToComplex<f64>>,
}

impl std::fmt::Debug for PeriodogramPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeriodogramPlan")
            .field("len", &self.window.len())
            .finish()
    }
}

impl PeriodogramPlan {
    /// The plan for windows of `len` samples, made with `planner`.
    ///
    /// # Panics
    ///
    /// If `len < 2`.
    pub fn new(planner: &mut RealFftPlanner<f64>, len: usize) -> PeriodogramPlan {
        assert!(len >= 2, "periodogram of {len} samples");
        let window = hann(len);
        let window_power = window.iter().map(|w| w * w).sum();
        PeriodogramPlan {
            window,
            window_power,
            fft: planner.plan_fft_forward(len),
        }
    }

    /// Samples per window.
    pub fn len(&self) -> usize {
        self.window.len()
    }

    /// Whether the plan is for empty windows (never: see
    /// [`PeriodogramPlan::new`]).
    pub fn is_empty(&self) -> bool {
        self.window.is_empty()
    }
}

/// One thread's buffers for the periodograms of one [`PeriodogramPlan`].
pub struct Periodogram {
    plan: Arc<PeriodogramPlan>,
    input: Vec<f64>,
    output: Vec<Complex<f64>>,
    scratch: Vec<Complex<f64>>,
}

impl std::fmt::Debug for Periodogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Periodogram")
            .field("len", &self.plan.len())
            .finish()
    }
}

impl Periodogram {
    /// Buffers for `plan`.
    pub fn new(plan: Arc<PeriodogramPlan>) -> Periodogram {
        Periodogram {
            input: plan.fft.make_input_vec(),
            output: plan.fft.make_output_vec(),
            scratch: plan.fft.make_scratch_vec(),
            plan,
        }
    }

    /// Samples per window.
    pub fn len(&self) -> usize {
        self.plan.len()
    }

    /// Whether the plan is for empty windows (never).
    pub fn is_empty(&self) -> bool {
        self.plan.is_empty()
    }

    /// The one-sided density of `samples` (mean removed, Hann-windowed) at
    /// `sfreq_hz`, in squared units per hertz, written into a new [`Psd`]
    /// (the only allocation); `None` when `samples` is not the plan's
    /// length or holds a non-finite value. The definition is
    /// [`crate::measure::spectrum::Welch`]'s with one segment.
    pub fn psd(&mut self, samples: &[f32], sfreq_hz: f64) -> Option<Psd> {
        let n = self.plan.len();
        if samples.len() != n {
            return None;
        }

        // Constant detrend, with Welch's own mean, so that the two agree to
        // the last bit.
        let mean = segment_mean(samples)?;
        for ((x, &s), &w) in self.input.iter_mut().zip(samples).zip(&self.plan.window) {
            *x = (f64::from(s) - mean) * w;
        }

        // The buffers are the plan's own, so the lengths always fit.
        self.plan
            .fft
            .process_with_scratch(&mut self.input, &mut self.output, &mut self.scratch)
            .ok()?;

        // Scaling to a one-sided density.
        let scale = 1.0 / (sfreq_hz * self.plan.window_power);
        let power = self
            .output
            .iter()
            .enumerate()
            .map(|(k, c)| c.norm_sqr() * scale * one_sided(k, n))
            .collect();
        Some(Psd::from_parts(sfreq_hz, n, power, 1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
    use crate::test_rng::Lcg;

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = Lcg::new(seed);
        (0..n).map(|_| rng.centred() as f32 * 40.0 + 7.0).collect()
    }

    #[test]
    fn periodogram_equals_welch_with_one_segment_to_rounding() {
        let mut fft = RealFftPlanner::new();
        let mut welch_planner = SpectrumPlanner::new();
        for (n, fs) in [(256, 256.0), (160, 160.0), (513, 512.0), (100, 100.0)] {
            let plan = Arc::new(PeriodogramPlan::new(&mut fft, n));
            let mut p = Periodogram::new(plan);
            let welch_plan = welch_planner.plan(WelchConfig {
                segment_len: n,
                overlap: 0,
            });
            // The same buffers for several windows in a row.
            for seed in 0..5 {
                let x = noise(n, seed);
                let mut welch = Welch::new(Arc::clone(&welch_plan));
                welch.push(&x);
                let (a, b) = (p.psd(&x, fs), welch.psd(fs));
                let (a, b) = (a.expect("a periodogram"), b.expect("a Welch spectrum"));
                assert_eq!(
                    (a.segment_len(), a.segments(), a.skipped_segments()),
                    (b.segment_len(), b.segments(), b.skipped_segments())
                );
                assert_eq!(a.sfreq_hz(), b.sfreq_hz());
                assert_eq!(a.power().len(), b.power().len());
                let top = b.power().iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (k, (u, v)) in a.power().iter().zip(b.power()).enumerate() {
                    assert!(
                        (u - v).abs() <= 1e-12 * top,
                        "n {n} seed {seed} bin {k}: {u} against {v}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_window_of_another_length_or_with_nan_has_no_periodogram() {
        let mut fft = RealFftPlanner::new();
        let mut p = Periodogram::new(Arc::new(PeriodogramPlan::new(&mut fft, 64)));
        assert_eq!(p.psd(&noise(63, 1), 64.0), None);
        let mut x = noise(64, 2);
        x[10] = f32::NAN;
        assert_eq!(p.psd(&x, 64.0), None);
        assert!(p.psd(&noise(64, 3), 64.0).is_some());
    }
}
