//! Mains line noise per recording × channel, from the average spectrum of
//! its measured windows.
//!
//! One window's line-noise ratio scatters widely (see
//! [`super::detect::DetectConfig::line_abs_ratio`]); averaging the
//! periodograms of a recording's measured windows, as Welch's method
//! averages segments, steadies it enough to apply zapline-plus's 4 dB rule
//! to each channel and to say which recordings, and the dataset as a
//! whole, were recorded near mains. [`SpectrumSums`] collects the sums as
//! windows are measured; [`SpectrumSums::lines`] reads the ratios.

use std::collections::BTreeMap;

use rayon::prelude::*;

use serde::Serialize;

use crate::measure::line_noise::{line_ratio, LineNoiseConfig};
use crate::measure::spectrum::Psd;

/// Sums of window spectra per recording × channel.
#[derive(Debug, Clone, Default)]
pub struct SpectrumSums {
    /// By recording, then channel name: a window's channels are looked up
    /// by name without making a key.
    sums: BTreeMap<u32, BTreeMap<String, Sum>>,
}

#[derive(Debug, Clone)]
struct Sum {
    sfreq_hz: f64,
    segment_len: usize,
    power: Vec<f64>,
    windows: u64,
}

/// The summed spectrum of one recording × channel.
#[derive(Debug, Clone, Copy)]
pub struct PairSum<'a> {
    /// Index into [`crate::window::Windows::recordings`].
    pub recording: u32,
    /// Sampling rate, Hz.
    pub sfreq_hz: f64,
    /// Samples per window spectrum: bin `k` is at `k · sfreq_hz /
    /// segment_len`.
    pub segment_len: usize,
    /// Sum of the windows' power per bin, µV²/Hz, DC to Nyquist.
    pub power: &'a [f64],
    /// Windows summed.
    pub windows: u64,
}

/// The line noise of one recording × channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelLine {
    /// Index into [`crate::window::Windows::recordings`].
    pub recording: u32,
    /// Channel name.
    pub channel: String,
    /// Windows averaged.
    pub windows: u64,
    /// Ratio at each mains candidate (Hz, ratio), where defined.
    pub ratios: Vec<(f64, f64)>,
}

impl SpectrumSums {
    /// Adds one window's spectrum of `channel` in `recording`. Spectra of
    /// another rate or length than the first one seen are ignored.
    pub fn add(&mut self, recording: u32, channel: &str, psd: &Psd) {
        let channels = self.sums.entry(recording).or_default();
        let sum = match channels.get_mut(channel) {
            Some(sum) => sum,
            None => channels.entry(channel.to_string()).or_insert_with(|| Sum {
                sfreq_hz: psd.sfreq_hz(),
                segment_len: psd.segment_len(),
                power: vec![0.0; psd.power().len()],
                windows: 0,
            }),
        };
        if sum.segment_len != psd.segment_len() || sum.sfreq_hz != psd.sfreq_hz() {
            return;
        }
        for (acc, p) in sum.power.iter_mut().zip(psd.power()) {
            *acc += p;
        }
        sum.windows += 1;
    }

    /// Adds all sums of `other` (the same recording × channel pairs add).
    pub fn merge(&mut self, other: SpectrumSums) {
        for (recording, channels) in other.sums {
            let mine = self.sums.entry(recording).or_default();
            for (channel, sum) in channels {
                merge_sum(mine, channel, sum);
            }
        }
    }

    /// Every pair, in recording then channel order.
    fn pairs(&self) -> impl Iterator<Item = (u32, &String, &Sum)> + '_ {
        self.sums
            .iter()
            .flat_map(|(&r, channels)| channels.iter().map(move |(c, s)| (r, c, s)))
    }

    /// The sums of `channel` in every recording.
    pub fn channel<'a>(&'a self, channel: &'a str) -> impl Iterator<Item = PairSum<'a>> + 'a {
        self.pairs()
            .filter(move |(_, c, s)| *c == channel && s.windows > 0)
            .map(|(recording, _, s)| PairSum {
                recording,
                sfreq_hz: s.sfreq_hz,
                segment_len: s.segment_len,
                power: &s.power,
                windows: s.windows,
            })
    }

    /// Line-noise ratios of the average spectrum of every pair.
    pub fn lines(&self, config: &LineNoiseConfig) -> Vec<ChannelLine> {
        // One line ratio per recording × channel: thousands of them in a
        // dataset, each independent.
        let pairs: Vec<_> = self.pairs().filter(|(_, _, s)| s.windows > 0).collect();
        pairs
            .into_par_iter()
            .map(|(recording, channel, s)| {
                let mean: Vec<f64> = s.power.iter().map(|p| p / s.windows as f64).collect();
                let psd = Psd::from_parts(s.sfreq_hz, s.segment_len, mean, s.windows);
                ChannelLine {
                    recording,
                    channel: channel.clone(),
                    windows: s.windows,
                    ratios: config
                        .mains_hz
                        .iter()
                        .filter_map(|&f| line_ratio(&psd, f, config).map(|r| (f, r)))
                        .collect(),
                }
            })
            .collect()
    }
}

/// Adds `sum` to the sum of `channel` in `mine`; a sum of another window
/// length is ignored.
fn merge_sum(mine: &mut BTreeMap<String, Sum>, channel: String, sum: Sum) {
    match mine.get_mut(&channel) {
        Some(m) if m.segment_len == sum.segment_len => {
            for (a, b) in m.power.iter_mut().zip(&sum.power) {
                *a += b;
            }
            m.windows += sum.windows;
        }
        Some(_) => {}
        None => {
            mine.insert(channel, sum);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
    use crate::test_rng::Lcg;
    use std::f64::consts::TAU;

    #[test]
    fn averaging_windows_finds_a_line_no_single_window_shows() {
        // 5 µV of 60 Hz in 20 µV of white noise: in one 1 s window the
        // line is lost among the bins; over 60 windows it stands out.
        let fs = 256.0;
        let plan = SpectrumPlanner::new().plan(WelchConfig {
            segment_len: 256,
            overlap: 0,
        });
        let mut rng = Lcg::new(7);
        let mut noise = || rng.centred() * 69.0;
        let mut sums = SpectrumSums::default();
        for w in 0..60 {
            let x: Vec<f64> = (0..256)
                .map(|k| {
                    let t = (w * 256 + k) as f64 / fs;
                    noise() + 5.0 * (TAU * 60.0 * t).sin()
                })
                .collect();
            let mut welch = Welch::new(plan.clone());
            welch.push(&x);
            sums.add(0, "Cz", &welch.psd(fs).unwrap());
        }
        let lines = sums.lines(&LineNoiseConfig::default());
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].windows, 60);
        let at = |hz: f64| lines[0].ratios.iter().find(|r| r.0 == hz).unwrap().1;
        assert!(at(60.0) > 2.5, "60 Hz: {}", at(60.0));
        assert!(at(50.0) < 2.0, "50 Hz: {}", at(50.0));
    }
}
