//! The numbers an audit decides on, per window and channel.
//!
//! [`ChannelFeatures`] condenses one channel of one decoded window into a
//! few measures from [`crate::measure`]: NaN and Inf counts, mean and
//! standard deviation, the share of samples at the digital limits,
//! whether the window is flat, the mains line-noise ratio and the
//! high-frequency noise ratio. [`FeatureTable`] holds them for every
//! sampled window, with channels matched by name across recordings.
//!
//! The spectrum of a window is one Hann-windowed segment of the whole
//! window (Welch's method with a single segment, mean removed), so a 1 s
//! window has 1 Hz resolution: enough for the line-noise ratio, whose
//! flanks lie 1 to 3 Hz from the line.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Serialize;

use crate::measure::line_noise::{line_ratio, LineNoiseConfig};
use crate::measure::moments::Moments;
use crate::measure::spectrum::{Psd, SpectrumPlanner, Welch, WelchConfig, WelchPlan};
use crate::read::WindowSignals;

/// Lower edge of the high-frequency band, Hz (PREP's 50 Hz).
pub const HF_EDGE_HZ: f64 = 50.0;
/// Lower edge of the band the high-frequency power is compared with, Hz.
pub const LF_EDGE_HZ: f64 = 1.0;
/// Half-width of the band left out around each mains line in the
/// high-frequency ratio, Hz.
pub const LINE_GUARD_HZ: f64 = 2.0;

/// One channel of one window, condensed.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChannelFeatures {
    /// Samples in the window.
    pub samples: u32,
    /// NaN samples.
    pub nan: u32,
    /// ±Inf samples.
    pub inf: u32,
    /// Mean of the finite samples, µV (`None` when none is finite).
    pub mean_uv: Option<f32>,
    /// Standard deviation (ddof 0) of the finite samples, µV.
    pub std_uv: Option<f32>,
    /// Largest |sample| among the finite ones, µV.
    pub max_abs_uv: Option<f32>,
    /// Share of samples at the lowest or highest digital value.
    pub clip_share: f32,
    /// Whether every finite sample has the same value (and there are at
    /// least two).
    pub is_flat: bool,
    /// The mains frequency with the strongest line in this window, Hz, and
    /// its ratio to the flanks (fundamentals only); `None` when the
    /// spectrum cannot resolve it (short window, low rate, flat channel).
    pub line: Option<(f32, f32)>,
    /// `sqrt(P(50 Hz–Nyquist) / P(1–50 Hz))` with ±2 Hz around each mains
    /// harmonic left out: the amplitude ratio of high- to low-frequency
    /// content, in the spirit of PREP's HF noise; `None` below 100 Hz
    /// sampling or for a flat channel.
    pub hf_ratio: Option<f32>,
}

/// Features of one window: one entry per channel of the table (`None`
/// where the window's recording lacks the channel).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowRow {
    /// Index into [`crate::window::Windows::windows`].
    pub window: usize,
    /// Per channel of [`FeatureTable::channels`].
    pub channels: Vec<Option<ChannelFeatures>>,
}

/// Features of a set of windows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct FeatureTable {
    /// Channel names, in order of first appearance.
    pub channels: Vec<String>,
    /// One row per window.
    pub rows: Vec<WindowRow>,
}

/// Computes [`ChannelFeatures`] for windows, reusing one spectrum plan per
/// window length.
#[derive(Debug)]
pub struct FeatureMaker {
    plans: HashMap<usize, Arc<WelchPlan>>,
    line: LineNoiseConfig,
}

impl FeatureMaker {
    /// A maker for windows of these sample counts (one per sampling rate
    /// in the dataset).
    pub fn new(lengths: impl IntoIterator<Item = usize>, line: LineNoiseConfig) -> FeatureMaker {
        let mut planner = SpectrumPlanner::new();
        let plans = lengths
            .into_iter()
            .filter(|&n| n >= 8)
            .map(|n| {
                let config = WelchConfig {
                    segment_len: n,
                    overlap: 0,
                };
                (n, planner.plan(config))
            })
            .collect();
        FeatureMaker { plans, line }
    }

    /// The features of one channel's samples.
    pub fn channel(
        &self,
        samples: &[f32],
        sfreq_hz: f64,
        clip: (Option<f32>, Option<f32>),
    ) -> ChannelFeatures {
        self.channel_and_spectrum(samples, sfreq_hz, clip).0
    }

    /// The features of one channel's samples, and the window's spectrum
    /// when it has one.
    pub fn channel_and_spectrum(
        &self,
        samples: &[f32],
        sfreq_hz: f64,
        clip: (Option<f32>, Option<f32>),
    ) -> (ChannelFeatures, Option<Psd>) {
        let m = Moments::of(samples);
        let nan = m.nan_count() as u32;
        let inf = m.inf_count() as u32;
        let max_abs = match (m.min(), m.max()) {
            (Some(lo), Some(hi)) => Some(lo.abs().max(hi.abs()) as f32),
            _ => None,
        };
        let is_flat = m.count() >= 2 && m.ptp() == Some(0.0);
        let clipped = match clip {
            (Some(lo), Some(hi)) => samples.iter().filter(|&&v| v <= lo || v >= hi).count(),
            _ => 0,
        };
        let psd = (nan == 0 && inf == 0 && !is_flat && sfreq_hz > 0.0)
            .then(|| self.plans.get(&samples.len()))
            .flatten()
            .and_then(|plan| {
                let mut welch = Welch::new(Arc::clone(plan));
                welch.push(samples);
                welch.psd(sfreq_hz)
            });
        let features = ChannelFeatures {
            samples: samples.len() as u32,
            nan,
            inf,
            mean_uv: m.mean().map(|v| v as f32),
            std_uv: m.variance(0).map(|v| v.sqrt() as f32),
            max_abs_uv: max_abs,
            clip_share: if samples.is_empty() {
                0.0
            } else {
                clipped as f32 / samples.len() as f32
            },
            is_flat,
            line: psd.as_ref().and_then(|p| strongest_line(p, &self.line)),
            hf_ratio: psd.as_ref().and_then(|p| hf_ratio(p, &self.line.mains_hz)),
        };
        (features, psd)
    }

    /// The features of every channel of a decoded window.
    pub fn window(&self, signals: &WindowSignals<'_>) -> Vec<(String, ChannelFeatures)> {
        self.window_and_spectra(signals, |_, _| {})
    }

    /// As [`FeatureMaker::window`], handing each channel's spectrum to
    /// `spectrum(channel name, psd)` on the way.
    pub fn window_and_spectra(
        &self,
        signals: &WindowSignals<'_>,
        mut spectrum: impl FnMut(&str, &Psd),
    ) -> Vec<(String, ChannelFeatures)> {
        signals
            .channels
            .iter()
            .zip(signals.samples)
            .map(|(info, samples)| {
                let clip = (info.clip_low, info.clip_high);
                let (f, psd) = self.channel_and_spectrum(samples, info.sfreq_hz, clip);
                if let Some(psd) = &psd {
                    spectrum(&info.name, psd);
                }
                (info.name.clone(), f)
            })
            .collect()
    }
}

/// The mains candidate with the largest ratio, as (Hz, ratio).
fn strongest_line(psd: &Psd, config: &LineNoiseConfig) -> Option<(f32, f32)> {
    config
        .mains_hz
        .iter()
        .filter_map(|&f| line_ratio(psd, f, config).map(|r| (f as f32, r as f32)))
        .filter(|(_, r)| r.is_finite())
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// See [`ChannelFeatures::hf_ratio`].
fn hf_ratio(psd: &Psd, mains_hz: &[f64]) -> Option<f32> {
    let nyquist = psd.sfreq_hz() / 2.0;
    if nyquist < HF_EDGE_HZ {
        return None;
    }
    let near_line = |f: f64| {
        mains_hz.iter().any(|&m| {
            // `f / m` is positive: truncating `+ 0.5` rounds it as
            // `round` does, without the library call `round` is on
            // baseline x86-64 (this runs per bin of every window's
            // spectrum).
            let k = ((f / m + 0.5) as u64).max(1) as f64;
            (f - k * m).abs() <= LINE_GUARD_HZ
        })
    };
    let (mut high, mut low) = (0.0f64, 0.0f64);
    for (k, &p) in psd.power().iter().enumerate() {
        let f = psd.freq_hz(k);
        if near_line(f) {
            continue;
        }
        if f >= HF_EDGE_HZ {
            high += p;
        } else if f >= LF_EDGE_HZ {
            low += p;
        }
    }
    (low > 0.0 && high.is_finite()).then(|| (high / low).sqrt() as f32)
}

impl FeatureTable {
    /// Builds a table from per-window channel features, matching channels
    /// by name.
    pub fn from_windows(rows: Vec<(usize, Vec<(String, ChannelFeatures)>)>) -> FeatureTable {
        let mut index: BTreeMap<String, usize> = BTreeMap::new();
        let mut channels = Vec::new();
        for (_, features) in &rows {
            for (name, _) in features {
                if !index.contains_key(name) {
                    index.insert(name.clone(), channels.len());
                    channels.push(name.clone());
                }
            }
        }
        let rows = rows
            .into_iter()
            .map(|(window, features)| {
                let mut values = vec![None; channels.len()];
                for (name, f) in features {
                    values[index[&name]] = Some(f);
                }
                WindowRow {
                    window,
                    channels: values,
                }
            })
            .collect();
        FeatureTable { channels, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64 - 0.5) as f32 * 20.0
            })
            .collect()
    }

    #[test]
    fn mains_shows_in_the_line_and_not_in_the_hf_ratio() {
        let fs = 256.0;
        let maker = FeatureMaker::new([256], LineNoiseConfig::default());
        let clean = noise(256, 1);
        let hum: Vec<f32> = clean
            .iter()
            .enumerate()
            .map(|(k, v)| v + 200.0 * (TAU * 60.0 * k as f64 / fs).sin() as f32)
            .collect();
        let a = maker.channel(&clean, fs, (None, None));
        let b = maker.channel(&hum, fs, (None, None));
        let (freq, ratio) = b.line.unwrap();
        assert_eq!(freq, 60.0);
        assert!(ratio > 100.0, "{ratio}");
        assert!(a.line.unwrap().1 < 10.0, "{:?}", a.line);
        // White noise has about sqrt(78/49) of its amplitude above 50 Hz,
        // and the guard bands keep the hum out of the ratio.
        let (ha, hb) = (a.hf_ratio.unwrap(), b.hf_ratio.unwrap());
        assert!((ha - hb).abs() < 0.05 * ha, "{ha} {hb}");
        assert!((0.9..1.6).contains(&ha), "{ha}");
    }

    #[test]
    fn flat_clipped_and_non_finite_windows_are_told_apart() {
        let maker = FeatureMaker::new([100], LineNoiseConfig::default());
        let flat = vec![5.0f32; 100];
        let f = maker.channel(&flat, 100.0, (None, None));
        assert!(f.is_flat && f.line.is_none() && f.std_uv == Some(0.0));

        let mut clipped = noise(100, 2);
        for v in clipped.iter_mut().take(30) {
            *v = 300.0;
        }
        let c = maker.channel(&clipped, 100.0, (Some(-300.0), Some(300.0)));
        assert!((c.clip_share - 0.3).abs() < 1e-6 && !c.is_flat);

        let mut bad = noise(100, 3);
        bad[3] = f32::NAN;
        bad[7] = f32::INFINITY;
        let b = maker.channel(&bad, 100.0, (None, None));
        assert_eq!((b.nan, b.inf), (1, 1));
        assert!(b.mean_uv.is_some() && b.line.is_none());
    }

    #[test]
    fn table_matches_channels_by_name() {
        let f = FeatureMaker::new([], LineNoiseConfig::default()).channel(
            &[1.0, 2.0],
            0.0,
            (None, None),
        );
        let t = FeatureTable::from_windows(vec![
            (0, vec![("Fz".into(), f), ("Cz".into(), f)]),
            (5, vec![("Cz".into(), f), ("Pz".into(), f)]),
        ]);
        assert_eq!(t.channels, ["Fz", "Cz", "Pz"]);
        assert_eq!(t.rows[1].window, 5);
        assert!(t.rows[1].channels[0].is_none() && t.rows[1].channels[2].is_some());
    }
}
