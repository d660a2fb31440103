//! The two FIR filters PyPREP applies before its channel criteria, built
//! and applied as PyPREP, MNE and scipy do, so that [`super::prep`] sees
//! the same filtered signals.
//!
//! - [`highpass_kernel`] and [`zero_phase`]: PyPREP's detrend, a 1 Hz
//!   high-pass designed and applied as `mne.filter.filter_data(x, sfreq,
//!   l_freq=1, h_freq=None)` with its defaults (firwin, Hamming window,
//!   one-pass zero phase, `reflect_limited` padding);
//! - [`prep_lowpass_kernel`] and [`filtfilt`]: PyPREP's low-pass for the
//!   HF-noise and correlation criteria, `_filter_design(100, [1, 1, 0, 0],
//!   [0, 90/sfreq, 100/sfreq, 1])` (pass to 45 Hz, stop from 50 Hz) applied
//!   with `scipy.signal.filtfilt`.
//!
//! [`Fir`] convolves by FFT overlap-add (realfft), so long kernels (3,301
//! taps for the high-pass at 1 kHz) stay cheap. The filters work on whole
//! channels held in memory, as PyPREP does.

use std::f64::consts::PI;
use std::sync::Arc;

use realfft::num_complex::Complex;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};

/// An FIR kernel ready for FFT convolution.
pub struct Fir {
    taps: Vec<f64>,
    /// The taps last to first, for direct sums over contiguous samples.
    reversed: Vec<f64>,
    nfft: usize,
    spectrum: Vec<Complex<f64>>,
    forward: Arc<dyn RealToComplex<f64>>,
    inverse: Arc<dyn ComplexToReal<f64>>,
}

impl std::fmt::Debug for Fir {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fir")
            .field("taps", &self.taps.len())
            .field("nfft", &self.nfft)
            .finish()
    }
}

impl Fir {
    /// Plans the convolution with `taps`.
    ///
    /// # Panics
    ///
    /// If `taps` is empty.
    pub fn new(taps: Vec<f64>) -> Fir {
        assert!(!taps.is_empty(), "an FIR kernel needs taps");
        let nfft = (4 * taps.len()).next_power_of_two().max(1024);
        let mut planner = RealFftPlanner::<f64>::new();
        let forward = planner.plan_fft_forward(nfft);
        let inverse = planner.plan_fft_inverse(nfft);
        let mut padded = forward.make_input_vec();
        padded[..taps.len()].copy_from_slice(&taps);
        let mut spectrum = forward.make_output_vec();
        forward
            .process(&mut padded, &mut spectrum)
            .expect("buffers made by the plan have the plan's lengths");
        Fir {
            reversed: taps.iter().rev().copied().collect(),
            taps,
            nfft,
            spectrum,
            forward,
            inverse,
        }
    }

    /// The kernel.
    pub fn taps(&self) -> &[f64] {
        &self.taps
    }

    /// Samples `start..start + len` of the full linear convolution `y_t =
    /// Σ_j h_j x_(t-j)`, `t = 0..x.len() + taps - 1` (zero outside).
    ///
    /// Kernels of up to [`DIRECT_TAPS`] taps are applied by direct sums,
    /// longer ones by FFT overlap-add. Direct sums give bit-identical
    /// outputs over a constant stretch of input, as scipy's `lfilter` does,
    /// which PREP's dropout test (a window of zero MAD) relies on.
    pub fn convolve_range(&self, x: &[f64], start: usize, len: usize) -> Vec<f64> {
        if self.taps.len() <= DIRECT_TAPS {
            return self.convolve_direct(x, start, len);
        }
        let n_taps = self.taps.len();
        let block = self.nfft - n_taps + 1;
        let mut out = vec![0.0; len];
        let mut input = self.forward.make_input_vec();
        let mut spec = self.forward.make_output_vec();
        let mut output = self.inverse.make_output_vec();
        let scale = 1.0 / self.nfft as f64;
        let end = start + len;

        // Overlap-add: each input block contributes to outputs
        // `s..s + block + taps - 1`; skip blocks that miss the range.
        for s in (0..x.len()).step_by(block) {
            let e = (s + block).min(x.len());
            if e + n_taps - 1 <= start || s >= end {
                continue;
            }
            input.fill(0.0);
            input[..e - s].copy_from_slice(&x[s..e]);
            self.forward
                .process(&mut input, &mut spec)
                .expect("buffers made by the plan have the plan's lengths");
            for (a, b) in spec.iter_mut().zip(&self.spectrum) {
                *a *= b * scale;
            }
            // The DC and Nyquist bins of a real signal's spectrum are real;
            // rounding can leave a tiny imaginary part the inverse refuses.
            spec[0].im = 0.0;
            if let Some(last) = spec.last_mut() {
                last.im = 0.0;
            }
            self.inverse
                .process(&mut spec, &mut output)
                .expect("buffers made by the plan have the plan's lengths");
            let lo = s.max(start);
            let hi = (e + n_taps - 1).min(end);
            for t in lo..hi {
                out[t - start] += output[t - s];
            }
        }
        out
    }
}

/// Kernels up to this many taps are applied by direct sums.
pub const DIRECT_TAPS: usize = 128;

/// `Σ a_i b_i` of two slices of one length, in eight interleaved partial
/// sums (which the compiler keeps in vector registers) added pairwise,
/// then the remainder in order.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut lanes = [0.0f64; 8];
    let (a8, a_rest) = a.split_at(a.len() / 8 * 8);
    let (b8, b_rest) = b.split_at(a8.len());
    for (x, y) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        for k in 0..8 {
            lanes[k] += x[k] * y[k];
        }
    }
    let quads = [
        lanes[0] + lanes[4],
        lanes[1] + lanes[5],
        lanes[2] + lanes[6],
        lanes[3] + lanes[7],
    ];
    let mut sum = (quads[0] + quads[2]) + (quads[1] + quads[3]);
    for (x, y) in a_rest.iter().zip(b_rest) {
        sum += x * y;
    }
    sum
}

impl Fir {
    /// Each output is a sum of products in one fixed order for its
    /// position (all taps over the samples `t - n + 1..=t` where they all
    /// fall inside `x`, in the lanes of [`dot`]), so that equal inputs give
    /// equal outputs.
    fn convolve_direct(&self, x: &[f64], start: usize, len: usize) -> Vec<f64> {
        let h = &self.taps;
        let n = h.len();
        (start..start + len)
            .map(|t| {
                if t + 1 >= n && t < x.len() {
                    // y_t = Σ_j h_j x_(t-j) = Σ_i reversed_i x_(t-n+1+i).
                    return dot(&self.reversed, &x[t + 1 - n..=t]);
                }
                // Near the ends: taps j with 0 <= t - j < x.len().
                let lo = (t + 1).saturating_sub(x.len());
                let hi = n.min(t + 1);
                (lo..hi).map(|j| h[j] * x[t - j]).sum()
            })
            .collect()
    }
}

/// The 1 Hz (or `l_freq_hz`) high-pass of `mne.filter.filter_data` with
/// default arguments, as taps: `δ - lowpass`, where the low-pass is
/// scipy's `firwin(N, l - t/2, window="hamming")` normalised to unit DC
/// gain, with transition band `t = min(max(l/4, 2), l)` Hz and length
/// `N = round(3.3 sfreq / t)` made odd (529 taps at 160 Hz for 1 Hz).
///
/// # Panics
///
/// If `l_freq_hz` is not positive or not below Nyquist.
///
/// ```
/// use preflight::measure::filter::{highpass_kernel, zero_phase, Fir};
///
/// let h = highpass_kernel(160.0, 1.0);
/// assert_eq!(h.len(), 529);
/// // An offset of 1e5 µV is removed; the filter has zero DC gain.
/// let y = zero_phase(&Fir::new(h), &vec![1e5; 2000]);
/// assert!(y.iter().all(|v| v.abs() < 1e-6));
/// ```
pub fn highpass_kernel(sfreq_hz: f64, l_freq_hz: f64) -> Vec<f64> {
    assert!(
        l_freq_hz > 0.0 && l_freq_hz < sfreq_hz / 2.0,
        "high-pass at {l_freq_hz} Hz"
    );
    let trans = (0.25 * l_freq_hz).max(2.0).min(l_freq_hz);
    // Python's round() rounds half to even.
    let mut n = (3.3 * sfreq_hz / trans).round_ties_even() as usize;
    n += 1 - n % 2;
    let cutoff = (l_freq_hz - trans / 2.0) / (sfreq_hz / 2.0);

    // firwin: windowed sinc, then scaled to a DC gain of one.
    let centre = (n - 1) as f64 / 2.0;
    let mut h: Vec<f64> = (0..n)
        .map(|k| {
            let m = k as f64 - centre;
            let window = 0.54 - 0.46 * (2.0 * PI * k as f64 / (n - 1) as f64).cos();
            cutoff * sinc(cutoff * m) * window
        })
        .collect();
    let sum: f64 = h.iter().sum();
    for v in &mut h {
        *v = -*v / sum;
    }
    h[n / 2] += 1.0;
    h
}

fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// Applies an odd-length symmetric kernel with zero phase as MNE's
/// `_overlap_add_filter(phase="zero", pad="reflect_limited")`: the signal
/// is extended at each end by `min(taps, n) - 1` samples of its odd
/// reflection (`2 x_0 - x_k`, zero beyond the signal's own length), and
/// the output is the convolution centred on each input sample.
pub fn zero_phase(fir: &Fir, x: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let taps = fir.taps().len();
    let edge = taps.min(n) - 1;

    // Odd reflection, limited to the signal, then zeros.
    let mut padded = Vec::with_capacity(n + 2 * edge);
    let reach = edge.min(n - 1);
    padded.extend(std::iter::repeat_n(0.0, edge - reach));
    padded.extend((1..=reach).rev().map(|k| 2.0 * x[0] - x[k]));
    padded.extend_from_slice(x);
    padded.extend((1..=reach).map(|k| 2.0 * x[n - 1] - x[n - 1 - k]));
    padded.extend(std::iter::repeat_n(0.0, edge - reach));

    fir.convolve_range(&padded, (taps - 1) / 2 + edge, n)
}

/// PyPREP's low-pass for HF noise and correlation: `_filter_design` with
/// order 100, gains `[1, 1, 0, 0]` at normalised frequencies `[0,
/// 90/sfreq, 100/sfreq, 1]` (45 and 50 Hz), by frequency sampling.
///
/// The desired response is sampled on 513 points `k = 0..=512` of a
/// 1024-point grid: 1 up to `k1 = round(512 · 90/sfreq)`, 0 from
/// `k2 = round(512 · 100/sfreq)`, and between them the PCHIP interpolant
/// of the four points, which here is the cubic `1 - 3u² + 2u³` with
/// `u = (k - k1)/(k2 - k1)` (the interior slopes are zero because a flat
/// segment adjoins each). With a linear phase of 50 samples and Hermitian
/// symmetry, the inverse DFT is, for `n = 0..=100`,
///
/// ```text
/// h_n = (1/1024) [H_0 + 2 Σ_(k=1..511) H_k cos(2πk(n - 50)/1024) + H_512 cos(π(n - 50))],
/// ```
///
/// times the Hamming
/// window `0.54 - 0.46 cos(2πn/100)`.
///
/// # Panics
///
/// If `sfreq_hz <= 100` (PyPREP does not filter then).
///
/// ```
/// use preflight::measure::filter::prep_lowpass_kernel;
///
/// let h = prep_lowpass_kernel(256.0);
/// assert_eq!(h.len(), 101);
/// // Unit gain at DC, up to the frequency sampling's ripple.
/// assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-3);
/// ```
pub fn prep_lowpass_kernel(sfreq_hz: f64) -> Vec<f64> {
    assert!(
        sfreq_hz > 100.0,
        "PyPREP filters only above 100 Hz, got {sfreq_hz}"
    );
    const ORDER: usize = 100;
    const NFFT: usize = 512;
    let k1 = (NFFT as f64 * 90.0 / sfreq_hz).round_ties_even();
    let k2 = (NFFT as f64 * 100.0 / sfreq_hz).round_ties_even();
    let gain = |k: usize| {
        let k = k as f64;
        if k <= k1 {
            1.0
        } else if k >= k2 {
            0.0
        } else {
            let u = (k - k1) / (k2 - k1);
            1.0 - 3.0 * u * u + 2.0 * u * u * u
        }
    };
    let delay = ORDER as f64 / 2.0;
    let full = 2 * NFFT;
    (0..=ORDER)
        .map(|n| {
            let t = n as f64 - delay;
            let mut acc = gain(0) + gain(NFFT) * (PI * t).cos();
            for k in 1..NFFT {
                acc += 2.0 * gain(k) * (2.0 * PI * k as f64 * t / full as f64).cos();
            }
            let window = 0.54 - 0.46 * (2.0 * PI * n as f64 / ORDER as f64).cos();
            acc / full as f64 * window
        })
        .collect()
}

/// `scipy.signal.filtfilt(b, 1, x)` with its defaults: odd extension of
/// `3 · taps` samples at each end, a forward and a backward pass each
/// started in the steady state of its first sample (`lfilter_zi`), then
/// the extension cut off. `None` when `x` has no more than `3 · taps`
/// samples (scipy raises).
///
/// ```
/// use preflight::measure::filter::{filtfilt, Fir};
///
/// // A three-tap moving average run forward and backward keeps a line.
/// let fir = Fir::new(vec![1.0 / 3.0; 3]);
/// let x: Vec<f64> = (0..50).map(|n| 2.0 * n as f64 + 1.0).collect();
/// let y = filtfilt(&fir, &x).unwrap();
/// assert!(y.iter().zip(&x).all(|(a, b)| (a - b).abs() < 1e-9));
/// assert_eq!(filtfilt(&fir, &x[..9]), None);
/// ```
pub fn filtfilt(fir: &Fir, x: &[f64]) -> Option<Vec<f64>> {
    let taps = fir.taps().len();
    let pad = 3 * taps;
    let n = x.len();
    if n <= pad {
        return None;
    }

    // Odd extension.
    let mut ext = Vec::with_capacity(n + 2 * pad + taps);
    ext.extend((1..=pad).rev().map(|k| 2.0 * x[0] - x[k]));
    ext.extend_from_slice(x);
    ext.extend((1..=pad).map(|k| 2.0 * x[n - 1] - x[n - 1 - k]));

    // A pass started in steady state equals filtering the signal preceded
    // by `taps - 1` copies of its first sample.
    let pass = |signal: &[f64]| {
        let mut held = Vec::with_capacity(signal.len() + taps - 1);
        held.extend(std::iter::repeat_n(signal[0], taps - 1));
        held.extend_from_slice(signal);
        fir.convolve_range(&held, taps - 1, signal.len())
    };
    let mut forward = pass(&ext);
    forward.reverse();
    let mut backward = pass(&forward);
    backward.reverse();
    Some(backward[pad..pad + n].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn fft_convolution_matches_direct_sums() {
        let mut rng = ChaCha8Rng::seed_from_u64(61);
        let h: Vec<f64> = (0..301).map(|_| rng.random::<f64>() - 0.5).collect();
        let x: Vec<f64> = (0..5000).map(|_| rng.random::<f64>() * 10.0).collect();
        let fir = Fir::new(h.clone());
        let short = Fir::new(h[..37].to_vec());
        let direct = short.convolve_range(&x, 10, 4000);
        for (i, d) in direct.iter().enumerate() {
            let t = i + 10;
            let want: f64 = (0..37).filter(|&j| t >= j).map(|j| h[j] * x[t - j]).sum();
            assert!((d - want).abs() < 1e-12);
        }
        let full = x.len() + h.len() - 1;
        let got = fir.convolve_range(&x, 0, full);
        for (t, g) in got.iter().enumerate() {
            let want: f64 = (0..h.len())
                .filter(|&j| t >= j && t - j < x.len())
                .map(|j| h[j] * x[t - j])
                .sum();
            assert!((g - want).abs() < 1e-10, "t={t}: {g} vs {want}");
        }
        let part = fir.convolve_range(&x, 1234, 777);
        assert_eq!(part.len(), 777);
        for (a, b) in part.iter().zip(&got[1234..]) {
            assert!((a - b).abs() < 1e-12);
        }
    }

    #[test]
    fn highpass_removes_an_offset_and_keeps_10_hz() {
        let fs = 160.0;
        let h = highpass_kernel(fs, 1.0);
        assert_eq!(h.len(), 529);
        assert!(h.iter().sum::<f64>().abs() < 1e-12);
        let x: Vec<f64> = (0..4000)
            .map(|n| 500.0 + (2.0 * PI * 10.0 * n as f64 / fs).sin())
            .collect();
        let y = zero_phase(&Fir::new(h), &x);
        for (i, v) in y.iter().enumerate().skip(600).take(2800) {
            let want = (2.0 * PI * 10.0 * i as f64 / fs).sin();
            assert!((v - want).abs() < 0.01, "{i}: {v} vs {want}");
        }
    }

    #[test]
    fn lowpass_passes_10_hz_and_stops_60_hz() {
        let fs = 256.0;
        let fir = Fir::new(prep_lowpass_kernel(fs));
        let tone = |f: f64| -> Vec<f64> {
            (0..5000)
                .map(|n| (2.0 * PI * f * n as f64 / fs).sin())
                .collect()
        };
        let rms = |v: &[f64]| (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
        let pass = filtfilt(&fir, &tone(10.0)).unwrap();
        let stop = filtfilt(&fir, &tone(60.0)).unwrap();
        assert!((rms(&pass[500..4500]) / rms(&tone(10.0)[500..4500]) - 1.0).abs() < 0.01);
        assert!(rms(&stop[500..4500]) < 1e-3);
        assert_eq!(filtfilt(&fir, &[1.0; 303]), None);
    }
}
