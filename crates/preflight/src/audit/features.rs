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
//! window (Welch's method with a single segment, mean removed, see
//! [`super::periodogram`]), so a 1 s window has 1 Hz resolution: enough
//! for the line-noise ratio, whose flanks lie 1 to 3 Hz from the line.
//!
//! An audit measures thousands of windows × channels, so the per-window
//! work allocates nothing it could keep: each thread brings a
//! [`FeatureScratch`] (FFT buffers, and which spectrum bins are high or
//! low frequency for the given window length and rate), and the moments
//! computed here are handed on to the normalization instead of computed
//! again.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use realfft::RealFftPlanner;
use serde::Serialize;

use crate::measure::line_noise::{line_ratio, LineNoiseConfig};
use crate::measure::moments::Moments;
use crate::measure::spectrum::Psd;
use crate::read::WindowSignals;

use super::periodogram::{Periodogram, PeriodogramPlan};

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
    /// Whether every finite sample has the same value, with at least
    /// [`FLAT_MIN_SAMPLES`] of them; with fewer, whether the channel holds
    /// one value across its recording's windows (set by
    /// [`FeatureTable::judge_slow_flatness`]).
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
/// window length; each thread brings its own [`FeatureScratch`].
#[derive(Debug)]
pub struct FeatureMaker {
    plans: HashMap<usize, Arc<PeriodogramPlan>>,
    line: LineNoiseConfig,
}

/// One thread's working memory for a [`FeatureMaker`]: periodogram
/// buffers per window length, and which bins of a spectrum count as high
/// and low frequency in [`ChannelFeatures::hf_ratio`], per window length
/// and sampling rate. Made by [`FeatureMaker::scratch`], kept across
/// windows, so that a window costs no allocation beyond its spectrum.
#[derive(Debug, Default)]
pub struct FeatureScratch {
    periodograms: Vec<Periodogram>,
    bands: Vec<HfBands>,
}

/// The band of each bin of a spectrum in the high-frequency ratio.
#[derive(Debug)]
struct HfBands {
    segment_len: usize,
    sfreq_hz: f64,
    /// Per bin: [`Band::High`], [`Band::Low`] or [`Band::Out`].
    bins: Vec<Band>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Band {
    Out,
    Low,
    High,
}

impl FeatureScratch {
    /// The periodogram buffers for windows of `len` samples, if the maker
    /// has a plan for them.
    fn periodogram(&mut self, maker: &FeatureMaker, len: usize) -> Option<&mut Periodogram> {
        match self.periodograms.iter().position(|p| p.len() == len) {
            Some(k) => self.periodograms.get_mut(k),
            None => {
                let plan = maker.plans.get(&len)?;
                self.periodograms.push(Periodogram::new(Arc::clone(plan)));
                self.periodograms.last_mut()
            }
        }
    }

    /// The bands of the spectrum `psd`.
    fn bands(&mut self, psd: &Psd, mains_hz: &[f64]) -> &[Band] {
        let (n, fs) = (psd.segment_len(), psd.sfreq_hz());
        let k = match self
            .bands
            .iter()
            .position(|b| b.segment_len == n && b.sfreq_hz == fs)
        {
            Some(k) => k,
            None => {
                self.bands.push(HfBands {
                    segment_len: n,
                    sfreq_hz: fs,
                    bins: (0..psd.power().len())
                        .map(|k| band(psd.freq_hz(k), mains_hz))
                        .collect(),
                });
                self.bands.len() - 1
            }
        };
        &self.bands[k].bins
    }
}

impl FeatureMaker {
    /// A maker for windows of these sample counts (one per sampling rate
    /// in the dataset).
    pub fn new(lengths: impl IntoIterator<Item = usize>, line: LineNoiseConfig) -> FeatureMaker {
        let mut planner = RealFftPlanner::new();
        let plans = lengths
            .into_iter()
            .filter(|&n| n >= 8)
            .map(|n| (n, Arc::new(PeriodogramPlan::new(&mut planner, n))))
            .collect();
        FeatureMaker { plans, line }
    }

    /// Working memory for one thread.
    pub fn scratch(&self) -> FeatureScratch {
        FeatureScratch::default()
    }

    /// The features of one channel's samples.
    pub fn channel(
        &self,
        samples: &[f32],
        sfreq_hz: f64,
        clip: (Option<f32>, Option<f32>),
    ) -> ChannelFeatures {
        let m = Moments::of(samples);
        self.channel_and_spectrum(&mut self.scratch(), samples, &m, sfreq_hz, clip, true)
            .0
    }

    /// The features of one channel's samples, whose moments are `m`, and
    /// the window's spectrum when it has one. Without `spectrum` no
    /// spectrum is taken, and the features that need one (`line`,
    /// `hf_ratio`) are `None`.
    pub fn channel_and_spectrum(
        &self,
        scratch: &mut FeatureScratch,
        samples: &[f32],
        m: &Moments,
        sfreq_hz: f64,
        clip: (Option<f32>, Option<f32>),
        spectrum: bool,
    ) -> (ChannelFeatures, Option<Psd>) {
        let nan = m.nan_count() as u32;
        let inf = m.inf_count() as u32;
        let max_abs = match (m.min(), m.max()) {
            (Some(lo), Some(hi)) => Some(lo.abs().max(hi.abs()) as f32),
            _ => None,
        };
        // Too few samples to call a window flat by itself: see
        // [`FeatureTable::judge_slow_flatness`].
        let is_flat = m.count() >= u64::from(FLAT_MIN_SAMPLES) && m.ptp() == Some(0.0);
        let clipped = match clip {
            (Some(lo), Some(hi)) => samples.iter().filter(|&&v| v <= lo || v >= hi).count(),
            _ => 0,
        };
        let psd = (spectrum && nan == 0 && inf == 0 && !is_flat && sfreq_hz > 0.0)
            .then(|| scratch.periodogram(self, samples.len()))
            .flatten()
            .and_then(|p| p.psd(samples, sfreq_hz));
        let hf = psd.as_ref().and_then(|p| {
            let bands = scratch.bands(p, &self.line.mains_hz);
            hf_ratio(p, bands)
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
            hf_ratio: hf,
        };
        (features, psd)
    }

    /// The features of every channel of a decoded window, in the order of
    /// its channels, into `features`, with each channel's moments into
    /// `moments` (both cleared first). The channels at the positions where
    /// `wants_spectrum(position)` holds get a spectrum, handed to
    /// `spectrum(position, psd)` on the way; the others go without the
    /// features that need one.
    pub fn window_into(
        &self,
        scratch: &mut FeatureScratch,
        signals: &WindowSignals<'_>,
        features: &mut Vec<ChannelFeatures>,
        moments: &mut Vec<Moments>,
        wants_spectrum: impl Fn(usize) -> bool,
        mut spectrum: impl FnMut(usize, &Psd),
    ) {
        features.clear();
        moments.clear();
        for (c, (info, samples)) in signals.channels.iter().zip(signals.samples).enumerate() {
            let m = Moments::of(samples);
            let clip = (info.clip_low, info.clip_high);
            let wanted = wants_spectrum(c);
            let (f, psd) =
                self.channel_and_spectrum(scratch, samples, &m, info.sfreq_hz, clip, wanted);
            if let Some(psd) = &psd {
                spectrum(c, psd);
            }
            features.push(f);
            moments.push(m);
        }
    }

    /// The features of every channel of a decoded window, with names.
    pub fn window(&self, signals: &WindowSignals<'_>) -> Vec<(String, ChannelFeatures)> {
        let (mut features, mut moments) = (Vec::new(), Vec::new());
        self.window_into(
            &mut self.scratch(),
            signals,
            &mut features,
            &mut moments,
            |_| true,
            |_, _| {},
        );
        signals
            .channels
            .iter()
            .map(|info| info.name.clone())
            .zip(features)
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

/// The band of a bin at `f` Hz in [`ChannelFeatures::hf_ratio`]: out
/// within [`LINE_GUARD_HZ`] of a mains harmonic or below [`LF_EDGE_HZ`],
/// high from [`HF_EDGE_HZ`], low between.
fn band(f: f64, mains_hz: &[f64]) -> Band {
    let near_line = mains_hz.iter().any(|&m| {
        // `f / m` is positive: truncating `+ 0.5` rounds it (halves up).
        let k = ((f / m + 0.5) as u64).max(1) as f64;
        (f - k * m).abs() <= LINE_GUARD_HZ
    });
    if near_line {
        Band::Out
    } else if f >= HF_EDGE_HZ {
        Band::High
    } else if f >= LF_EDGE_HZ {
        Band::Low
    } else {
        Band::Out
    }
}

/// See [`ChannelFeatures::hf_ratio`]; `bands` are those of `psd`'s bins.
fn hf_ratio(psd: &Psd, bands: &[Band]) -> Option<f32> {
    let nyquist = psd.sfreq_hz() / 2.0;
    if nyquist < HF_EDGE_HZ {
        return None;
    }
    let (mut high, mut low) = (0.0f64, 0.0f64);
    for (&p, &b) in psd.power().iter().zip(bands) {
        match b {
            Band::High => high += p,
            Band::Low => low += p,
            Band::Out => {}
        }
    }
    (low > 0.0 && high.is_finite()).then(|| (high / low).sqrt() as f32)
}

/// The features of one recording's measured windows, with the
/// recording's channel names once: what [`FeatureTable::from_recordings`]
/// matches by name.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingRows {
    /// Index into [`crate::window::Windows::recordings`].
    pub recording: u32,
    /// Channel names, in the order of each row's features.
    pub channels: Vec<String>,
    /// (window index, features per channel).
    pub rows: Vec<(usize, Vec<ChannelFeatures>)>,
}

/// Table positions of the channels of a set of rows, in order of first
/// appearance as the rows are taken in window order.
#[derive(Default)]
struct ChannelIndex {
    names: Vec<String>,
    by_name: BTreeMap<String, usize>,
}

impl ChannelIndex {
    fn position(&mut self, name: &str) -> usize {
        if let Some(&k) = self.by_name.get(name) {
            return k;
        }
        let k = self.names.len();
        self.names.push(name.to_string());
        self.by_name.insert(name.to_string(), k);
        k
    }
}

/// Fewer finite samples than this in a window, and whether the window is
/// constant says little about the channel (a temperature at 1-4 Hz, an
/// event channel at 1 Hz): such cells are judged flat across windows, by
/// [`FeatureTable::judge_slow_flatness`].
pub const FLAT_MIN_SAMPLES: u32 = 8;

impl FeatureTable {
    /// Judges the flatness of the cells with fewer than
    /// [`FLAT_MIN_SAMPLES`] finite samples across the windows of their
    /// recording instead of within their window: such a cell is flat when
    /// every such cell of its recording and channel in the table holds one
    /// value (each constant, all with the same mean) and there are at least
    /// two samples in all. `recording_of(window)` gives the recording of a
    /// row's window. Cells with enough samples keep their own verdict; a
    /// second call after rows were added judges again from all of them.
    pub fn judge_slow_flatness(&mut self, recording_of: impl Fn(usize) -> u32) {
        let finite = |c: &ChannelFeatures| c.samples.saturating_sub(c.nan + c.inf);
        let slow = |c: &ChannelFeatures| finite(c) > 0 && finite(c) < FLAT_MIN_SAMPLES;
        // (recording, channel) -> (the one value so far, samples), or None
        // once two values differ.
        let mut verdict: HashMap<(u32, usize), Option<(f32, u32)>> = HashMap::new();
        for row in &self.rows {
            let r = recording_of(row.window);
            for (c, cell) in row.channels.iter().enumerate() {
                let Some(cell) = cell.as_ref().filter(|cell| slow(cell)) else {
                    continue;
                };
                let constant = cell.std_uv == Some(0.0);
                let entry = verdict
                    .entry((r, c))
                    .or_insert(cell.mean_uv.filter(|_| constant).map(|m| (m, 0)));
                *entry = match (*entry, cell.mean_uv) {
                    (Some((m, n)), Some(mean)) if constant && mean == m => {
                        Some((m, n + finite(cell)))
                    }
                    _ => None,
                };
            }
        }
        for row in &mut self.rows {
            let r = recording_of(row.window);
            for (c, cell) in row.channels.iter_mut().enumerate() {
                if let Some(cell) = cell.as_mut().filter(|cell| slow(cell)) {
                    cell.is_flat = matches!(verdict.get(&(r, c)), Some(Some((_, n))) if *n >= 2);
                }
            }
        }
    }

    /// Builds a table from per-window channel features, matching channels
    /// by name.
    pub fn from_windows(rows: Vec<(usize, Vec<(String, ChannelFeatures)>)>) -> FeatureTable {
        let groups = rows
            .into_iter()
            .map(|(window, features)| {
                let (channels, values) = features.into_iter().unzip();
                RecordingRows {
                    recording: 0,
                    channels,
                    rows: vec![(window, values)],
                }
            })
            .collect();
        FeatureTable::from_recordings(groups)
    }

    /// Builds a table from the rows of recordings, matching channels by
    /// name: the table's channels come in order of first appearance, rows
    /// in window order, the channels of a row in its recording's order.
    pub fn from_recordings(groups: Vec<RecordingRows>) -> FeatureTable {
        // Rows in window order, as (window, group, row in group).
        let mut order: Vec<(usize, usize, usize)> = groups
            .iter()
            .enumerate()
            .flat_map(|(g, r)| r.rows.iter().enumerate().map(move |(i, w)| (w.0, g, i)))
            .collect();
        order.sort_by_key(|o| o.0);

        // Each group's channel positions in the table, the first time one
        // of its rows comes.
        let mut index = ChannelIndex::default();
        let mut positions: Vec<Option<Vec<usize>>> = vec![None; groups.len()];
        for &(_, g, _) in &order {
            if positions[g].is_none() {
                let p = groups[g]
                    .channels
                    .iter()
                    .map(|n| index.position(n))
                    .collect();
                positions[g] = Some(p);
            }
        }

        let width = index.names.len();
        let rows = order
            .into_iter()
            .map(|(window, g, i)| {
                let mut values = vec![None; width];
                if let Some(p) = &positions[g] {
                    for (&k, f) in p.iter().zip(&groups[g].rows[i].1) {
                        values[k] = Some(*f);
                    }
                }
                WindowRow {
                    window,
                    channels: values,
                }
            })
            .collect();
        FeatureTable {
            channels: index.names,
            rows,
        }
    }

    /// The rows of both tables in one, channels matched by name (in order
    /// of first appearance as the rows are taken in window order), rows by
    /// window index.
    pub fn merge(self, other: FeatureTable) -> FeatureTable {
        // Tables of the same channels, every window with all of them (one
        // montage across the dataset, the usual case): the general merge
        // below would map every channel to its own place, so the rows move
        // over as they are, in window order.
        let full = |t: &FeatureTable| {
            t.rows
                .iter()
                .all(|r| r.channels.iter().all(Option::is_some))
        };
        if self.channels == other.channels && full(&self) && full(&other) {
            let FeatureTable { channels, mut rows } = self;
            rows.extend(other.rows);
            rows.sort_by_key(|r| r.window);
            return FeatureTable { channels, rows };
        }
        self.merge_by_name(other)
    }

    /// [`FeatureTable::merge`] for tables whose channels differ.
    fn merge_by_name(self, other: FeatureTable) -> FeatureTable {
        let tables = [self, other];
        let mut order: Vec<(usize, usize, usize)> = tables
            .iter()
            .enumerate()
            .flat_map(|(t, table)| {
                table
                    .rows
                    .iter()
                    .enumerate()
                    .map(move |(i, r)| (r.window, t, i))
            })
            .collect();
        order.sort_by_key(|o| o.0);

        // Where each table's channels go, as its rows first show them.
        let mut index = ChannelIndex::default();
        let mut positions: Vec<Vec<Option<usize>>> = tables
            .iter()
            .map(|t| vec![None; t.channels.len()])
            .collect();
        for &(_, t, i) in &order {
            for (c, cell) in tables[t].rows[i].channels.iter().enumerate() {
                if cell.is_some() && positions[t][c].is_none() {
                    positions[t][c] = Some(index.position(&tables[t].channels[c]));
                }
            }
        }

        let width = index.names.len();
        let rows = order
            .into_iter()
            .map(|(window, t, i)| {
                let mut values = vec![None; width];
                for (c, cell) in tables[t].rows[i].channels.iter().enumerate() {
                    if let (Some(f), Some(k)) = (cell, positions[t][c]) {
                        values[k] = Some(*f);
                    }
                }
                WindowRow {
                    window,
                    channels: values,
                }
            })
            .collect();
        FeatureTable {
            channels: index.names,
            rows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_rng::Lcg;
    use std::f64::consts::TAU;

    fn noise(n: usize, seed: u64) -> Vec<f32> {
        let mut rng = Lcg::new(seed);
        (0..n).map(|_| rng.centred() as f32 * 20.0).collect()
    }

    #[test]
    fn channels_too_slow_for_a_window_are_judged_flat_across_windows() {
        let maker = FeatureMaker::new([256], LineNoiseConfig::default());
        // Per 1 s window: a 1 Hz event channel that never changes, a 1 Hz
        // temperature that drifts, and a 4 Hz channel constant within each
        // window but not across them; two recordings of the constant one.
        let cells = |values: &[&[f32]]| -> Vec<Option<ChannelFeatures>> {
            values
                .iter()
                .map(|v| Some(maker.channel(v, v.len() as f64, (None, None))))
                .collect()
        };
        let rows: Vec<WindowRow> = (0..6)
            .map(|w| {
                let t = 36.5 + 0.01 * w as f32;
                let step = [w as f32; 4];
                WindowRow {
                    window: w,
                    channels: cells(&[&[7.0], &[t], &step]),
                }
            })
            .collect();
        let mut table = FeatureTable {
            channels: vec!["events".into(), "temp".into(), "slow".into()],
            rows,
        };
        // One sample is never flat in its own window.
        assert!(table.rows.iter().all(|r| !r.channels[0].unwrap().is_flat));
        // Windows 0-2 are one recording, 3-5 another.
        table.judge_slow_flatness(|w| u32::from(w >= 3));
        for row in &table.rows {
            let [events, temp, slow] = [0, 1, 2].map(|c| row.channels[c].unwrap().is_flat);
            assert!(events, "window {}", row.window);
            assert!(!temp && !slow, "window {}", row.window);
        }
        // A recording whose only window holds one sample: too little to
        // call it flat.
        table.judge_slow_flatness(|w| w as u32);
        assert!(table.rows.iter().all(|r| !r.channels[0].unwrap().is_flat));
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

    /// Tables of one montage merge by moving their rows; the result is
    /// the one matching channels by name gives.
    #[test]
    fn tables_of_one_montage_merge_as_by_name() {
        let maker = FeatureMaker::new([], LineNoiseConfig::default());
        let row = |window: usize, seed: u64| {
            let x = noise(8, seed);
            let channels = ["Fz", "Cz", "Pz"]
                .iter()
                .enumerate()
                .map(|(k, name)| (name.to_string(), maker.channel(&x[k..], 0.0, (None, None))))
                .collect();
            (window, channels)
        };
        let sample = FeatureTable::from_windows(vec![row(2, 1), row(9, 2), row(4, 3)]);
        let more = FeatureTable::from_windows(vec![row(7, 4), row(0, 5), row(11, 6)]);
        let moved = sample.clone().merge(more.clone());
        assert_eq!(moved, sample.merge_by_name(more));
        let windows: Vec<usize> = moved.rows.iter().map(|r| r.window).collect();
        assert_eq!(windows, [0, 2, 4, 7, 9, 11]);
    }
}
