//! Mains line noise: the ratio of power at 50 or 60 Hz (and harmonics) to
//! the flanking band, and the mains frequency of a recording and of a
//! dataset.
//!
//! Works on the [`Psd`]s of [`super::spectrum`]. Per channel,
//! [`line_ratios`] gives one [`LineRatio`] per harmonic below Nyquist. Per
//! recording, [`MeanLogSpectrum`] averages the channels' spectra in dB and
//! [`MeanLogSpectrum::detect`] names the mains frequency, or none; per
//! dataset, [`MainsVotes`] merges the recordings' answers.
//!
//! The rule is zapline-plus's (Klug and Kloosterman 2022,
//! `find_next_noisefreq.m`): in a 6 Hz window centred on the candidate, the
//! reference level is the mean, in dB, of the outer thirds of the window,
//! and a line is present when the centre exceeds it by 4 dB (about 2.5
//! times the power).

use serde::{Deserialize, Serialize};

use super::spectrum::Psd;

/// Where the line and its reference band lie, and the detection threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineNoiseConfig {
    /// Candidate mains frequencies, Hz. Default `[50, 60]`.
    pub mains_hz: Vec<f64>,
    /// The line's power is the largest bin within this distance of the
    /// line, Hz, so that a mains drift of a few tenths of a hertz and a
    /// line between two bins are still caught. Default 0.5.
    pub peak_half_width_hz: f64,
    /// Inner edge of the flanks, Hz from the line. Default 1 (the middle
    /// third of zapline-plus's 6 Hz window is excluded).
    pub flank_inner_hz: f64,
    /// Outer edge of the flanks, Hz from the line. Default 3 (half of the
    /// 6 Hz window).
    pub flank_outer_hz: f64,
    /// A line is present when its ratio reaches this, dB. Default 4, as
    /// zapline-plus passes for `threshdiff`.
    pub threshold_db: f64,
}

impl Default for LineNoiseConfig {
    fn default() -> LineNoiseConfig {
        LineNoiseConfig {
            mains_hz: vec![50.0, 60.0],
            peak_half_width_hz: 0.5,
            flank_inner_hz: 1.0,
            flank_outer_hz: 3.0,
            threshold_db: 4.0,
        }
    }
}

/// Line noise at one frequency of one channel.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineRatio {
    /// The line, Hz: `harmonic × mains`.
    pub freq_hz: f64,
    /// 1 for the mains frequency itself, 2 for its first harmonic, …
    pub harmonic: u32,
    /// `P_line / P_flank`, see [`line_ratio`].
    pub ratio: f64,
}

impl LineRatio {
    /// The ratio in decibels, `10 log10(ratio)`.
    pub fn ratio_db(&self) -> f64 {
        10.0 * self.ratio.log10()
    }
}

/// Whether two mains frequencies are the same line (within half a hertz),
/// e.g. a declared `PowerLineFrequency` and a measured one.
pub fn same_mains(a_hz: f64, b_hz: f64) -> bool {
    (a_hz - b_hz).abs() < 0.5
}

/// Ratio of the power at `freq_hz` to its flanking band.
///
/// `P_line` is the largest PSD bin within `peak_half_width_hz` of the
/// line (the nearest bin when none is that close); `P_flank` is the
/// geometric mean (the mean in dB) of the bins with `flank_inner_hz <
/// |f - freq_hz| <= flank_outer_hz`; the ratio is `P_line / P_flank`,
/// dimensionless. About 1 (0 dB) without a line; zapline-plus calls 4 dB
/// (2.5) a line; well below 1 after a notch filter.
///
/// `None` when the flanks reach past 0 Hz or the Nyquist frequency, when a
/// flank holds no bin (resolution coarser than the flank), or when a bin
/// involved is zero (a flat channel) or not finite.
///
/// Zapline-plus compares the middle bin with the outer thirds of a 6 Hz
/// window in the channel-mean dB spectrum; this takes the largest bin near
/// the line instead of the middle one, which biases a clean ratio up by a
/// fraction of a dB (below 1 dB on the channel mean of white noise in the
/// tests, against the 4 dB threshold), and is computed per channel.
///
/// ```
/// use preflight::measure::line_noise::{line_ratio, LineNoiseConfig};
/// use preflight::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
///
/// let fs = 160.0;
/// let mut seed = 1_u64;
/// let x: Vec<f64> = (0..16_000)
///     .map(|n| {
///         seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
///         let noise = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
///         noise + 0.5 * (2.0 * std::f64::consts::PI * 60.0 * n as f64 / fs).sin()
///     })
///     .collect();
/// let mut welch = Welch::new(SpectrumPlanner::new().plan(WelchConfig::for_sfreq(fs)));
/// welch.push(&x);
/// let psd = welch.psd(fs).unwrap();
/// let config = LineNoiseConfig::default();
/// assert!(line_ratio(&psd, 60.0, &config).unwrap() > 10.0);
/// assert!(line_ratio(&psd, 50.0, &config).unwrap() < 2.0);
/// assert_eq!(line_ratio(&psd, 79.0, &config), None); // flank past Nyquist
/// ```
pub fn line_ratio(psd: &Psd, freq_hz: f64, config: &LineNoiseConfig) -> Option<f64> {
    let nyquist = psd.sfreq_hz() / 2.0;
    if freq_hz - config.flank_outer_hz < 0.0 || freq_hz + config.flank_outer_hz > nyquist {
        return None;
    }
    let df = psd.resolution_hz();
    let power = psd.power();
    let tolerance = 1e-9 * df;

    // The line: the largest bin near it, or the nearest bin.
    let nearest = (freq_hz / df).round() as usize;
    let half = config.peak_half_width_hz;
    let lo = ((freq_hz - half) / df).ceil().max(0.0) as usize;
    let hi = (((freq_hz + half) / df).floor() as usize).min(power.len() - 1);
    let peak = (lo.min(nearest)..=hi.max(nearest))
        .filter(|&k| k == nearest || (psd.freq_hz(k) - freq_hz).abs() <= half + tolerance)
        .map(|k| power[k])
        .fold(f64::NEG_INFINITY, f64::max);

    // The flanks: mean of log power over both outer thirds.
    let mut log_sum = 0.0;
    let mut left = 0;
    let mut right = 0;
    let first = ((freq_hz - config.flank_outer_hz) / df).floor().max(0.0) as usize;
    let last = (((freq_hz + config.flank_outer_hz) / df).ceil() as usize).min(power.len() - 1);
    for (k, &p) in power.iter().enumerate().take(last + 1).skip(first) {
        let d = psd.freq_hz(k) - freq_hz;
        let dist = d.abs();
        if dist > config.flank_inner_hz + tolerance && dist <= config.flank_outer_hz + tolerance {
            log_sum += p.ln();
            if d < 0.0 {
                left += 1;
            } else {
                right += 1;
            }
        }
    }
    if left == 0 || right == 0 {
        return None;
    }
    let flank = (log_sum / (left + right) as f64).exp();
    let ratio = peak / flank;
    (ratio.is_finite() && peak > 0.0 && flank > 0.0).then_some(ratio)
}

/// [`line_ratio`] at `mains_hz` and each harmonic `k × mains_hz` whose
/// flanks lie below the Nyquist frequency, lowest first. Harmonics whose
/// ratio is undefined are left out.
pub fn line_ratios(psd: &Psd, mains_hz: f64, config: &LineNoiseConfig) -> Vec<LineRatio> {
    let nyquist = psd.sfreq_hz() / 2.0;
    (1..)
        .map(|k| (k, k as f64 * mains_hz))
        .take_while(|&(_, f)| f + config.flank_outer_hz <= nyquist)
        .filter_map(|(k, f)| {
            line_ratio(psd, f, config).map(|ratio| LineRatio {
                freq_hz: f,
                harmonic: k,
                ratio,
            })
        })
        .collect()
}

/// The channel mean of `10 log10(PSD)` of one recording (or of any set of
/// spectra of one resolution), as zapline-plus averages before detecting.
///
/// Channels whose spectrum holds a zero or non-finite bin (flat, NaN) are
/// left out and counted, so a dead channel does not drag the mean to
/// -Inf. Mergeable: sums and counts add.
#[derive(Clone, Debug, PartialEq)]
pub struct MeanLogSpectrum {
    sfreq_hz: f64,
    segment_len: usize,
    sum_db: Vec<f64>,
    channels: u64,
    left_out: u64,
}

impl MeanLogSpectrum {
    /// An empty mean for spectra like `like` (same rate and resolution).
    pub fn new(like: &Psd) -> MeanLogSpectrum {
        MeanLogSpectrum {
            sfreq_hz: like.sfreq_hz(),
            segment_len: like.segment_len(),
            sum_db: vec![0.0; like.power().len()],
            channels: 0,
            left_out: 0,
        }
    }

    /// Adds one channel's spectrum.
    ///
    /// # Panics
    ///
    /// If `psd` has another number of bins or another rate.
    pub fn push(&mut self, psd: &Psd) {
        assert_eq!(
            psd.power().len(),
            self.sum_db.len(),
            "spectra of different lengths"
        );
        assert_eq!(psd.sfreq_hz(), self.sfreq_hz, "spectra of different rates");
        if psd.power().iter().any(|&p| p <= 0.0 || !p.is_finite()) {
            self.left_out += 1;
            return;
        }
        for (s, &p) in self.sum_db.iter_mut().zip(psd.power()) {
            *s += 10.0 * p.log10();
        }
        self.channels += 1;
    }

    /// Adds the channels of `other` (same bins and rate).
    pub fn merge(&mut self, other: &MeanLogSpectrum) {
        assert_eq!(
            self.sum_db.len(),
            other.sum_db.len(),
            "spectra of different lengths"
        );
        for (a, b) in self.sum_db.iter_mut().zip(&other.sum_db) {
            *a += b;
        }
        self.channels += other.channels;
        self.left_out += other.left_out;
    }

    /// Channels averaged.
    pub fn channels(&self) -> u64 {
        self.channels
    }

    /// Channels left out (zero or non-finite bins).
    pub fn left_out(&self) -> u64 {
        self.left_out
    }

    /// The mean spectrum as a [`Psd`] of powers `10^(mean dB / 10)` (the
    /// geometric mean over channels); `None` without a channel.
    pub fn mean(&self) -> Option<Psd> {
        if self.channels == 0 {
            return None;
        }
        let n = self.channels as f64;
        let power = self
            .sum_db
            .iter()
            .map(|s| 10f64.powf(s / n / 10.0))
            .collect();
        Some(Psd::from_parts(
            self.sfreq_hz,
            self.segment_len,
            power,
            self.channels,
        ))
    }

    /// Detects the mains frequency: the candidate of `config.mains_hz`
    /// whose [`line_ratio`] on the mean spectrum is largest, if it reaches
    /// `config.threshold_db`.
    ///
    /// ```
    /// use preflight::measure::line_noise::{LineNoiseConfig, MeanLogSpectrum};
    /// use preflight::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
    ///
    /// let fs = 250.0;
    /// let mut planner = SpectrumPlanner::new();
    /// let plan = planner.plan(WelchConfig::for_sfreq(fs));
    /// let mut seed = 7_u64;
    /// let mut mean = None;
    /// for channel in 0..4 {
    ///     let x: Vec<f64> = (0..25_000)
    ///         .map(|n| {
    ///             seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
    ///             let noise = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
    ///             let t = n as f64 / fs;
    ///             noise + 0.3 * (2.0 * std::f64::consts::PI * 50.0 * t + channel as f64).sin()
    ///         })
    ///         .collect();
    ///     let mut welch = Welch::new(plan.clone());
    ///     welch.push(&x);
    ///     let psd = welch.psd(fs).unwrap();
    ///     mean.get_or_insert_with(|| MeanLogSpectrum::new(&psd)).push(&psd);
    /// }
    /// let detection = mean.unwrap().detect(&LineNoiseConfig::default());
    /// assert_eq!(detection.mains_hz, Some(50.0));
    /// ```
    pub fn detect(&self, config: &LineNoiseConfig) -> MainsDetection {
        let Some(mean) = self.mean() else {
            return MainsDetection {
                mains_hz: None,
                ratios_db: Vec::new(),
            };
        };
        let ratios_db: Vec<(f64, Option<f64>)> = config
            .mains_hz
            .iter()
            .map(|&f| (f, line_ratio(&mean, f, config).map(|r| 10.0 * r.log10())))
            .collect();
        let best = ratios_db
            .iter()
            .filter_map(|&(f, db)| db.map(|db| (f, db)))
            .filter(|&(_, db)| db >= config.threshold_db)
            .max_by(|a, b| a.1.total_cmp(&b.1));
        MainsDetection {
            mains_hz: best.map(|(f, _)| f),
            ratios_db,
        }
    }
}

/// The mains frequency detected in a recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MainsDetection {
    /// The detected mains frequency, Hz; `None` when no candidate reaches
    /// the threshold (no line noise, a notch-filtered recording, or a rate
    /// too low to see the candidates).
    pub mains_hz: Option<f64>,
    /// Each candidate with its ratio in dB on the channel-mean spectrum
    /// (`None` where undefined).
    pub ratios_db: Vec<(f64, Option<f64>)>,
}

/// The recordings' mains detections, tallied for a subject or a dataset.
///
/// Mergeable: counts add. [`MainsVotes::mains_hz`] is the frequency most
/// recordings detected (ties to the lower frequency), `None` when no
/// recording detected any.
///
/// ```
/// use preflight::measure::line_noise::MainsVotes;
///
/// let mut votes = MainsVotes::default();
/// votes.add(Some(60.0));
/// votes.add(None);
/// let mut other = MainsVotes::default();
/// other.add(Some(60.0));
/// other.add(Some(50.0));
/// votes.merge(&other);
/// assert_eq!(votes.mains_hz(), Some(60.0));
/// assert_eq!(votes.none(), 1);
/// assert_eq!(MainsVotes::default().mains_hz(), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MainsVotes {
    /// (frequency in Hz, recordings that detected it), by frequency.
    votes: Vec<(f64, u64)>,
    none: u64,
}

impl MainsVotes {
    /// Adds one recording's detection.
    pub fn add(&mut self, mains_hz: Option<f64>) {
        match mains_hz {
            None => self.none += 1,
            Some(f) => self.add_count(f, 1),
        }
    }

    fn add_count(&mut self, f: f64, n: u64) {
        match self.votes.iter_mut().find(|(g, _)| *g == f) {
            Some((_, count)) => *count += n,
            None => {
                self.votes.push((f, n));
                self.votes.sort_by(|a, b| a.0.total_cmp(&b.0));
            }
        }
    }

    /// Adds the tallies of `other`.
    pub fn merge(&mut self, other: &MainsVotes) {
        for &(f, n) in &other.votes {
            self.add_count(f, n);
        }
        self.none += other.none;
    }

    /// Recordings without line noise detected.
    pub fn none(&self) -> u64 {
        self.none
    }

    /// (frequency, recordings) pairs, by frequency.
    pub fn votes(&self) -> &[(f64, u64)] {
        &self.votes
    }

    /// The frequency most recordings detected; `None` if none did.
    pub fn mains_hz(&self) -> Option<f64> {
        let mut best: Option<(f64, u64)> = None;
        for &(f, n) in &self.votes {
            if best.is_none_or(|(_, m)| n > m) {
                best = Some((f, n));
            }
        }
        best.map(|(f, _)| f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn channel(seed: u64, fs: f64, seconds: f64, lines: &[(f64, f64)]) -> Psd {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let n = (fs * seconds) as usize;
        let x: Vec<f64> = (0..n)
            .map(|i| {
                let t = i as f64 / fs;
                let hum: f64 = lines
                    .iter()
                    .map(|&(f, a)| a * (2.0 * std::f64::consts::PI * f * t).sin())
                    .sum();
                rng.random::<f64>() - 0.5 + hum
            })
            .collect();
        let mut welch = Welch::new(SpectrumPlanner::new().plan(WelchConfig::for_sfreq(fs)));
        welch.push(&x);
        welch.psd(fs).expect("long enough")
    }

    /// A sine of amplitude A centred on a bin has, with a Hann window of L
    /// samples (Σw = L/2, Σw² = 3L/8), one-sided density 2 (A L/4)² /
    /// (fs 3L/8) = A² L / (3 fs); uniform noise on [-1/2, 1/2] has variance
    /// 1/12, so density 1/(6 fs). Their ratio is 2 A² L.
    #[test]
    fn ratio_of_a_sine_in_white_noise_is_as_computed() {
        let fs = 256.0;
        let psd = channel(51, fs, 600.0, &[(60.0, 1.0)]);
        let config = LineNoiseConfig::default();
        let ratio = line_ratio(&psd, 60.0, &config).unwrap();
        let l = WelchConfig::for_sfreq(fs).segment_len as f64;
        let expected = 2.0 * l;
        assert!(
            (ratio / expected - 1.0).abs() < 0.1,
            "{ratio} vs {expected}"
        );
        assert!(line_ratio(&psd, 50.0, &config).unwrap() < 1.5);
    }

    #[test]
    fn harmonics_below_nyquist_are_reported() {
        let psd = channel(52, 256.0, 120.0, &[(50.0, 1.0), (100.0, 0.3)]);
        let ratios = line_ratios(&psd, 50.0, &LineNoiseConfig::default());
        let freqs: Vec<f64> = ratios.iter().map(|r| r.freq_hz).collect();
        assert_eq!(freqs, [50.0, 100.0]);
        assert!(ratios.iter().all(|r| r.ratio_db() > 10.0));
        let sixty = line_ratios(&psd, 60.0, &LineNoiseConfig::default());
        assert_eq!(sixty.len(), 2);
        assert!(sixty.iter().all(|r| r.ratio_db() < 2.0));
    }

    #[test]
    fn a_clean_recording_has_no_mains() {
        let mut mean: Option<MeanLogSpectrum> = None;
        for seed in 0..8 {
            let psd = channel(seed, 160.0, 60.0, &[]);
            mean.get_or_insert_with(|| MeanLogSpectrum::new(&psd))
                .push(&psd);
        }
        let detection = mean.unwrap().detect(&LineNoiseConfig::default());
        assert_eq!(detection.mains_hz, None);
        assert_eq!(detection.ratios_db.len(), 2);
        // Taking the largest bin near the line biases a clean ratio up a
        // little; it stays far below the 4 dB threshold.
        for (f, db) in &detection.ratios_db {
            let db = db.expect("defined at 160 Hz");
            assert!(db.abs() < 1.0, "{f} Hz: {db} dB");
        }
    }

    #[test]
    fn sixty_hz_on_a_few_channels_is_detected() {
        let mut mean: Option<MeanLogSpectrum> = None;
        for seed in 0..8 {
            let hum = if seed < 3 { vec![(60.0, 0.5)] } else { vec![] };
            let psd = channel(seed + 100, 160.0, 60.0, &hum);
            mean.get_or_insert_with(|| MeanLogSpectrum::new(&psd))
                .push(&psd);
        }
        let detection = mean.unwrap().detect(&LineNoiseConfig::default());
        assert_eq!(detection.mains_hz, Some(60.0));
    }

    #[test]
    fn flat_channels_are_left_out_of_the_mean() {
        let psd = channel(7, 160.0, 30.0, &[(50.0, 1.0)]);
        let flat = {
            let mut welch = Welch::new(SpectrumPlanner::new().plan(WelchConfig::for_sfreq(160.0)));
            welch.push(&[3.0_f32; 4800]);
            welch.psd(160.0).unwrap()
        };
        assert_eq!(line_ratio(&flat, 50.0, &LineNoiseConfig::default()), None);
        let mut mean = MeanLogSpectrum::new(&psd);
        mean.push(&flat);
        mean.push(&psd);
        assert_eq!((mean.channels(), mean.left_out()), (1, 1));
        assert_eq!(
            mean.detect(&LineNoiseConfig::default()).mains_hz,
            Some(50.0)
        );
    }
}
