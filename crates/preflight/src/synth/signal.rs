//! The clean EEG of one recording: spatially correlated 1/f background,
//! alpha rhythm, sensor noise, and the responses to stimuli.
//!
//! # Model
//!
//! Each subject has [`SOURCES`] latent sources at random places on the
//! upper half of the head. Each source is a sum of four first-order
//! autoregressive processes of equal variance with corner frequencies 0.5,
//! 2, 8 and 32 Hz; a sum of Lorentzians with log-spaced corners has a
//! spectrum close to 1/f between the corners (the usual way to make
//! 1/f-like noise with recursive filters). Channel `c` sees source `k`
//! with weight `exp(-d²/(2 w²))`, `d` the chord distance between electrode
//! and source on the unit sphere and `w² =` [`SOURCE_WIDTH2`], the weights
//! of a channel scaled to unit norm: every channel has the same background
//! variance, and neighbouring channels, which see the same sources,
//! correlate more than distant ones.
//!
//! Alpha is one narrow-band source (a second-order resonator, 1.5 Hz wide,
//! at the subject's alpha frequency, 9 to 11 Hz) seen most strongly over
//! the occipital channels. Sensor noise is white and independent per
//! channel.
//!
//! Every stimulus evokes a negative wave near 100 ms over central channels
//! (N1, 3 µV); targets also evoke a positive wave at the subject's P300
//! latency (280 to 340 ms, ±20 ms from trial to trial, 80 ms standard
//! deviation) of 15 µV (0.6 to 1.4 times that from trial to trial),
//! strongest at Pz and falling off with distance from it. On one channel
//! a single trial's mean over 250-400 ms tells a target from a standard
//! with an area under the ROC curve near 0.78.
//!
//! The sum is scaled by the subject's gain. Amplitudes in µV at gain 1:
//! background [`BACKGROUND_UV`] RMS, alpha up to [`ALPHA_UV`] RMS, sensor
//! noise [`SENSOR_UV`] RMS; about 15 to 17 µV RMS per channel in all.
//!
//! # Cost
//!
//! Per sample of one channel: one Gaussian draw and [`SOURCES`]
//! multiply-adds, plus a share of the sources' own updates; work is done
//! in blocks of [`BLOCK`] samples so the inner loops run over contiguous
//! memory. No transforms of whole recordings.

use std::f64::consts::TAU;

use rand::{Rng, RngExt};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::events::Stimulus;
use super::montage;

/// Latent sources of the background.
pub const SOURCES: usize = 16;

/// Squared width (on the unit sphere) of a source's reach.
pub const SOURCE_WIDTH2: f64 = 0.12;

/// RMS of the background at gain 1, µV.
pub const BACKGROUND_UV: f64 = 14.0;

/// RMS of alpha on the channel nearest its centre at gain 1, µV.
pub const ALPHA_UV: f64 = 8.0;

/// RMS of the sensor noise at gain 1, µV.
pub const SENSOR_UV: f64 = 1.5;

/// Amplitude of the P300 at Pz at gain 1, µV.
pub const P300_UV: f64 = 15.0;

/// Amplitude of the N1 at Cz at gain 1, µV (negative).
pub const N1_UV: f64 = 3.0;

/// Samples generated per block.
pub const BLOCK: usize = 256;

/// Corner frequencies of the background's autoregressive parts, Hz.
const CORNERS_HZ: [f64; 4] = [0.5, 2.0, 8.0, 32.0];

/// A subject's head: gain, source geometry and rhythms.
#[derive(Debug, Clone)]
pub struct SubjectModel {
    /// Scale of the whole signal.
    pub gain: f64,
    /// Alpha peak frequency, Hz.
    pub alpha_hz: f64,
    /// Mean latency of the P300, s.
    pub p300_latency_s: f64,
    /// Per channel, the weight of each source (unit norm).
    mixing: Vec<[f64; SOURCES]>,
    /// Per channel, the weight of alpha (1 at its centre).
    alpha: Vec<f64>,
    /// Per channel, the weight of the P300 (1 at Pz).
    p300: Vec<f64>,
    /// Per channel, the weight of the N1 (1 at Cz).
    n1: Vec<f64>,
}

impl SubjectModel {
    /// Draws a subject's head for channels `names` with `gain`.
    pub fn new(names: &[String], gain: f64, rng: &mut ChaCha8Rng) -> SubjectModel {
        let positions: Vec<[f64; 3]> = names
            .iter()
            .map(|n| montage::position(n).unwrap_or_else(|| upper_point(rng)))
            .collect();
        let sources: Vec<[f64; 3]> = (0..SOURCES).map(|_| upper_point(rng)).collect();
        let mixing = positions
            .iter()
            .map(|p| {
                let mut w = [0.0; SOURCES];
                for (wk, s) in w.iter_mut().zip(&sources) {
                    *wk = (-montage::distance2(p, s) / (2.0 * SOURCE_WIDTH2)).exp();
                }
                let norm = w.iter().map(|v| v * v).sum::<f64>().sqrt().max(1e-12);
                w.iter_mut().for_each(|v| *v /= norm);
                w
            })
            .collect();
        let near = |centre: &str, width2: f64| -> Vec<f64> {
            let c = montage::position(centre).expect("a 10-10 label");
            positions
                .iter()
                .map(|p| (-montage::distance2(p, &c) / (2.0 * width2)).exp())
                .collect()
        };
        SubjectModel {
            gain,
            alpha_hz: rng.random_range(9.0..11.0),
            p300_latency_s: rng.random_range(0.28..0.34),
            mixing,
            alpha: near("Oz", 0.4),
            p300: near("Pz", 0.2),
            n1: near("Cz", 0.4),
        }
    }

    /// The background (sources, alpha, sensor noise) of `samples` samples
    /// per channel, scaled by the gain, in µV.
    pub fn background(&self, samples: usize, sfreq_hz: f64, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
        let channels = self.mixing.len();
        let mut out = vec![vec![0.0f64; samples]; channels];

        // Source processes, started from their stationary distribution.
        let coef: [f64; 4] = CORNERS_HZ.map(|fc| (-TAU * fc / sfreq_hz).exp());
        let part_sd = (1.0 / CORNERS_HZ.len() as f64).sqrt();
        let innovation: [f64; 4] = coef.map(|a| part_sd * (1.0 - a * a).sqrt());
        let mut state = [[0.0f64; 4]; SOURCES];
        for s in state.iter_mut().flatten() {
            *s = part_sd * rng.sample::<f64, _>(StandardNormal);
        }
        let mut alpha = Resonator::new(self.alpha_hz, 1.5, sfreq_hz);
        for _ in 0..(2.0 * sfreq_hz) as usize {
            alpha.step(rng.sample(StandardNormal));
        }

        let mut src = vec![[0.0f64; BLOCK]; SOURCES];
        let mut alpha_block = [0.0f64; BLOCK];
        let mut start = 0;
        while start < samples {
            let len = BLOCK.min(samples - start);

            // Sources and alpha for this block.
            for (k, block) in src.iter_mut().enumerate() {
                for v in block.iter_mut().take(len) {
                    let mut sum = 0.0;
                    for j in 0..4 {
                        let e = normal(rng);
                        state[k][j] = coef[j] * state[k][j] + innovation[j] * e;
                        sum += state[k][j];
                    }
                    *v = sum;
                }
            }
            for v in alpha_block.iter_mut().take(len) {
                *v = alpha.step(rng.sample(StandardNormal));
            }

            // Channels: noise + alpha + mixed sources, times the gain.
            for (c, channel) in out.iter_mut().enumerate() {
                let x = &mut channel[start..start + len];
                let a = ALPHA_UV * self.alpha[c];
                for (v, al) in x.iter_mut().zip(&alpha_block) {
                    *v = SENSOR_UV * normal(rng) + a * al;
                }
                for (k, block) in src.iter().enumerate() {
                    let w = BACKGROUND_UV * self.mixing[c][k];
                    for (v, s) in x.iter_mut().zip(block) {
                        *v += w * s;
                    }
                }
                x.iter_mut().for_each(|v| *v *= self.gain);
            }
            start += len;
        }
        out
    }

    /// Adds the responses to `stimuli` (N1 for all, P300 for targets).
    pub fn add_responses(
        &self,
        out: &mut [Vec<f64>],
        stimuli: &[Stimulus],
        sfreq_hz: f64,
        rng: &mut ChaCha8Rng,
    ) {
        let len = (0.7 * sfreq_hz) as usize;
        let mut n1 = vec![0.0; len];
        let mut p3 = vec![0.0; len];
        for s in stimuli {
            let latency = self.p300_latency_s + rng.random_range(-0.02..0.02);
            let size = rng.random_range(0.6..1.4);
            for (j, (a, b)) in n1.iter_mut().zip(p3.iter_mut()).enumerate() {
                let t = j as f64 / sfreq_hz;
                *a = -N1_UV * gauss(t, 0.1, 0.025);
                *b = if s.is_target {
                    P300_UV * size * gauss(t, latency, 0.08)
                } else {
                    0.0
                };
            }
            for (c, channel) in out.iter_mut().enumerate() {
                let (wn, wp) = (self.gain * self.n1[c], self.gain * self.p300[c]);
                let end = (s.sample + len).min(channel.len());
                let Some(x) = channel.get_mut(s.sample..end) else {
                    continue;
                };
                for ((v, a), b) in x.iter_mut().zip(&n1).zip(&p3) {
                    *v += wn * a + wp * b;
                }
            }
        }
    }
}

/// An approximately standard normal draw: the sum of the four 16-bit
/// parts of one 64-bit draw, centred and scaled (the Irwin–Hall
/// distribution with n = 4): mean 0, variance 1 (to 1 part in 4·10⁹),
/// bounded at ±√12 ≈ ±3.46. About three times cheaper than an exact normal
/// draw; the background filters and sums many of them, so its
/// distribution is Gaussian to within what any check can see. The sensor
/// noise, one draw per sample, has no values beyond 3.46 of its standard
/// deviation, where a Gaussian has 5 in 10,000.
#[inline]
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u = rng.next_u64();
    let s = (u & 0xffff) + ((u >> 16) & 0xffff) + ((u >> 32) & 0xffff) + (u >> 48);
    // Each part is (k + 0.5) / 65536 with k uniform on 0..65536: mean 1/2,
    // variance 1/12.
    ((s as f64 + 2.0) / 65536.0 - 2.0) * 12f64.sqrt() / 2.0
}

/// `exp(-(t - mu)² / (2 sd²))`.
fn gauss(t: f64, mu: f64, sd: f64) -> f64 {
    (-(t - mu).powi(2) / (2.0 * sd * sd)).exp()
}

/// A uniformly drawn point of the unit sphere with z above -0.2 (the upper
/// head and a little below the ears).
fn upper_point(rng: &mut ChaCha8Rng) -> [f64; 3] {
    loop {
        let p: [f64; 3] = [
            rng.sample(StandardNormal),
            rng.sample(StandardNormal),
            rng.sample(StandardNormal),
        ];
        let n = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt();
        if n > 1e-9 && p[2] / n > -0.2 {
            return [p[0] / n, p[1] / n, p[2] / n];
        }
    }
}

/// A second-order resonator `y[n] = a1 y[n-1] + a2 y[n-2] + g e[n]` with
/// poles at radius `r = exp(-π bw / fs)` and angle `2π f / fs`, its input
/// gain chosen for unit output variance under unit white input.
struct Resonator {
    a1: f64,
    a2: f64,
    g: f64,
    y1: f64,
    y2: f64,
}

impl Resonator {
    fn new(frequency_hz: f64, bandwidth_hz: f64, sfreq_hz: f64) -> Resonator {
        let r = (-std::f64::consts::PI * bandwidth_hz / sfreq_hz).exp();
        let (a1, a2) = (2.0 * r * (TAU * frequency_hz / sfreq_hz).cos(), -r * r);
        // Stationary variance of an AR(2) process under unit input.
        let var = (1.0 - a2) / ((1.0 + a2) * ((1.0 - a2).powi(2) - a1 * a1));
        Resonator {
            a1,
            a2,
            g: 1.0 / var.sqrt(),
            y1: 0.0,
            y2: 0.0,
        }
    }

    #[inline]
    fn step(&mut self, e: f64) -> f64 {
        let y = self.a1 * self.y1 + self.a2 * self.y2 + self.g * e;
        self.y2 = self.y1;
        self.y1 = y;
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn rms(x: &[f64]) -> f64 {
        (x.iter().map(|v| v * v).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn background_has_the_documented_amplitude_and_scales_with_gain() {
        let names = montage::channel_names(8);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let m = SubjectModel::new(&names, 1.0, &mut rng);
        let x = m.background(256 * 60, 256.0, &mut ChaCha8Rng::seed_from_u64(6));
        for ch in &x {
            let r = rms(ch);
            assert!((12.0..20.0).contains(&r), "{r}");
        }
        let big = SubjectModel { gain: 3.0, ..m };
        let y = big.background(256 * 60, 256.0, &mut ChaCha8Rng::seed_from_u64(6));
        assert!((rms(&y[0]) / rms(&x[0]) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn fast_normal_draws_have_unit_variance() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let x: Vec<f64> = (0..400_000).map(|_| normal(&mut rng)).collect();
        let m = x.iter().sum::<f64>() / x.len() as f64;
        assert!(m.abs() < 0.01, "{m}");
        assert!((rms(&x).powi(2) - 1.0).abs() < 0.01, "{}", rms(&x));
        assert!(x.iter().all(|v| v.abs() <= 12f64.sqrt() / 2.0 * 2.0));
    }

    #[test]
    fn resonator_has_unit_variance() {
        let mut r = Resonator::new(10.0, 1.5, 256.0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let y: Vec<f64> = (0..200_000)
            .map(|_| r.step(rng.sample(StandardNormal)))
            .collect();
        let v = rms(&y[1000..]).powi(2);
        assert!((v - 1.0).abs() < 0.1, "{v}");
    }
}
