//! One channel's summary: what [`super::recording`] measures while it
//! streams, and what subject and dataset summaries merge.
//!
//! [`ChannelScan`] is the streaming state of one channel of one recording:
//! the code counts of [`super::codes`] (or the order-free measures fed
//! directly, for 24-bit and degenerate channels), the longest flat run,
//! the flat one-second windows and the Welch accumulator. [`ChannelScan::
//! finish`] turns it into a [`ChannelSummary`], which holds the mergeable
//! state of every measure beside the numbers read off it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::codes::{CodeCounts, OrderFree, Scaling};
use super::flat::FlatTracker;
use super::mad::sketch_mad;
use super::ScanConfig;
use crate::measure::flatness::Clipping;
use crate::measure::histogram::AmplitudeHistogram;
use crate::measure::line_noise::{line_ratios, LineNoiseConfig, LineRatio};
use crate::measure::moments::Moments;
use crate::measure::sketch::QuantileSketch;
use crate::measure::spectrum::{Psd, Welch, WelchConfig, WelchPlan};

/// Summary of one channel: of one recording, or merged over a subject's or
/// a dataset's recordings.
///
/// The first fields are read off the measures for people and scripts;
/// `moments`, `sketch`, `histogram`, `clipping`, `flat` and `spectrum` are
/// the measures' mergeable state, which [`ChannelSummary::merge`] combines.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChannelSummary {
    /// Channel name (the EDF label).
    pub name: String,
    /// BIDS channel type (`EEG`, `EOG`, …).
    pub kind: String,
    /// Unit of the values (`uV` for voltages).
    pub unit: String,
    /// Sampling rate, Hz.
    pub sfreq_hz: f64,
    /// Samples seen, finite or not.
    pub samples: u64,
    /// Mean of the finite samples.
    pub mean: Option<f64>,
    /// Population standard deviation (ddof 0) of the finite samples.
    pub std: Option<f64>,
    /// Smallest finite sample.
    pub min: Option<f64>,
    /// Largest finite sample.
    pub max: Option<f64>,
    /// Median estimate from the sketch (within `α |median|`).
    pub median: Option<f64>,
    /// Interquartile range estimate from the sketch (within
    /// `α (|Q1| + |Q3|)`).
    pub iqr: Option<f64>,
    /// MAD estimate from the sketch (within `α (2 |median| + MAD)`, see
    /// [`super::sketch_mad`]).
    pub mad: Option<f64>,
    /// Share of samples at the digital limits.
    pub clipped_fraction: Option<f64>,
    /// Share of one-second windows in which the channel does not move.
    pub flat_fraction: Option<f64>,
    /// Longest run of identical samples, seconds.
    pub longest_flat_s: f64,
    /// Line-noise ratios at each mains candidate and its harmonics below
    /// Nyquist, from `spectrum`.
    pub line_noise: Vec<LineRatio>,
    /// Count, NaN/Inf, extremes, mean and variance.
    pub moments: Moments,
    /// The quantile sketch.
    pub sketch: QuantileSketch,
    /// The amplitude histogram (log-spaced bins, 1 nV to 1 V).
    pub histogram: AmplitudeHistogram,
    /// Samples at the digital limits.
    pub clipping: Clipping,
    /// Flat runs and flat windows.
    pub flat: Flat,
    /// The Welch spectrum averaged over the recording(s); `None` when no
    /// segment was complete.
    pub spectrum: Option<Spectrum>,
}

/// Flatness counts that merge across recordings.
///
/// Within a recording the longest run and the flat windows are found by
/// [`crate::measure::flatness::FlatRuns`] and
/// [`crate::measure::flatness::FlatWindows`]; across recordings runs do not join,
/// so the longest run is the largest of the recordings' and windows add.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flat {
    /// Longest run of identical samples, in samples.
    pub longest_run: u64,
    /// Complete one-second windows.
    pub windows: u64,
    /// Windows in which every sample is the same.
    pub flat_windows: u64,
}

impl Flat {
    fn merge(&mut self, other: &Flat) {
        self.longest_run = self.longest_run.max(other.longest_run);
        self.windows += other.windows;
        self.flat_windows += other.flat_windows;
    }
}

/// A Welch power spectral density, averaged over the segments of one or
/// more recordings of one sampling rate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Spectrum {
    /// Sampling rate, Hz.
    pub sfreq_hz: f64,
    /// Samples per segment (Hann window, FFT length).
    pub segment_len: usize,
    /// Samples shared by consecutive segments.
    pub overlap: usize,
    /// Segments averaged.
    pub segments: u64,
    /// Power per bin, `k · sfreq_hz / segment_len` Hz for `k = 0..=segment_len
    /// / 2`, in squared units per hertz (µV²/Hz). Written in single
    /// precision, the shortest form that reads back to the same f32: nine
    /// digits in place of seventeen, where the estimate's own spread over
    /// hundreds of segments is in the third. A recording's values are
    /// rounded so when measured, so that what is written is what was
    /// merged; merged groups are rounded only when written.
    #[serde(
        serialize_with = "single_precision",
        deserialize_with = "from_single_precision"
    )]
    pub power: Vec<f64>,
}

/// Reads what [`single_precision`] writes: each number as the f32 it
/// stands for (read as an f64, "0.1" would be another value).
fn from_single_precision<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
    let power = Vec::<f32>::deserialize(d)?;
    Ok(power.into_iter().map(f64::from).collect())
}

/// Writes f64 values as the f32 values nearest them.
fn single_precision<S: serde::Serializer>(power: &[f64], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(power.len()))?;
    for &p in power {
        seq.serialize_element(&(p as f32))?;
    }
    seq.end()
}

impl Spectrum {
    /// As a [`Psd`], for the line-noise measures.
    pub fn psd(&self) -> Psd {
        Psd::from_parts(
            self.sfreq_hz,
            self.segment_len,
            self.power.clone(),
            self.segments,
        )
    }

    /// Becomes the segment-weighted mean of the two spectra, in place;
    /// `false`, leaving it as it was, if their rates or segments differ.
    fn merge(&mut self, other: &Spectrum) -> bool {
        let same = self.sfreq_hz == other.sfreq_hz
            && self.segment_len == other.segment_len
            && self.overlap == other.overlap;
        if !same {
            return false;
        }
        let (a, b) = (self.segments as f64, other.segments as f64);
        let n = a + b;
        for (p, q) in self.power.iter_mut().zip(&other.power) {
            *p = (*p * a + q * b) / n;
        }
        self.segments += other.segments;
        true
    }
}

impl ChannelSummary {
    /// Adds the samples summarised by `other`, a channel of the same name
    /// and rate in another recording.
    ///
    /// Counts, extremes, histogram, sketch and clipping merge exactly; mean
    /// and variance within floating-point rounding; spectra are averaged
    /// weighted by their segments (dropped if their rates differ). The
    /// numbers read off the measures are then read again.
    pub fn merge(&mut self, other: &ChannelSummary, line: &LineNoiseConfig) {
        self.merge_state(other);
        self.refresh(line);
    }

    /// [`ChannelSummary::merge`] without reading the numbers off again:
    /// for merging many summaries, followed by one [`Self::refresh`].
    pub(crate) fn merge_state(&mut self, other: &ChannelSummary) {
        self.samples += other.samples;
        self.moments.merge(&other.moments);
        self.sketch.merge(&other.sketch);
        self.histogram.merge(&other.histogram);
        self.clipping.merge(&other.clipping);
        self.flat.merge(&other.flat);
        match (&mut self.spectrum, &other.spectrum) {
            (Some(a), Some(b)) => {
                if !a.merge(b) {
                    self.spectrum = None;
                }
            }
            (Some(_), None) => {}
            (None, b) => self.spectrum.clone_from(b),
        }
    }

    /// Reads the derived numbers off the measures' state.
    pub(crate) fn refresh(&mut self, line: &LineNoiseConfig) {
        let m = &self.moments;
        self.mean = m.mean();
        self.std = m.std(0);
        self.min = m.min();
        self.max = m.max();
        self.median = self.sketch.quantile(0.5);
        self.iqr = self.sketch.iqr();
        self.mad = sketch_mad(&self.sketch);
        self.clipped_fraction = self.clipping.fraction();
        self.flat_fraction = (self.flat.windows > 0)
            .then(|| self.flat.flat_windows as f64 / self.flat.windows as f64);
        self.longest_flat_s = if self.sfreq_hz > 0.0 {
            self.flat.longest_run as f64 / self.sfreq_hz
        } else {
            0.0
        };
        self.line_noise = match &self.spectrum {
            Some(s) => {
                let psd = s.psd();
                line.mains_hz
                    .iter()
                    .flat_map(|&f| line_ratios(&psd, f, line))
                    .collect()
            }
            None => Vec::new(),
        };
    }

    /// The largest line-noise ratio at `mains_hz` or its harmonics; at any
    /// candidate when `mains_hz` is `None`.
    pub fn worst_line_ratio(&self, mains_hz: Option<f64>) -> Option<&LineRatio> {
        self.line_noise
            .iter()
            .filter(|r| {
                mains_hz.is_none_or(|m| (r.freq_hz / f64::from(r.harmonic) - m).abs() < 1e-9)
            })
            .max_by(|a, b| a.ratio.total_cmp(&b.ratio))
    }
}

/// Where a channel sits in its file and how to decode it.
#[derive(Clone, Debug)]
pub(crate) struct ChannelPlan {
    pub signal: usize,
    pub name: String,
    pub kind: String,
    pub unit: String,
    pub sfreq_hz: f64,
    pub samples_per_record: usize,
    pub scaling: Scaling,
    /// Codes are counted (16-bit, non-zero gain) rather than each sample
    /// fed to the order-free measures.
    pub counted: bool,
}

/// The streaming state of one channel of one recording.
pub(crate) struct ChannelScan {
    plan: ChannelPlan,
    order_free: OrderFree,
    flat: FlatTracker,
    welch: Welch,
    welch_config: WelchConfig,
}

impl ChannelScan {
    pub fn new(plan: ChannelPlan, welch: Arc<WelchPlan>, config: &ScanConfig) -> ChannelScan {
        let window = (plan.sfreq_hz * config.flat_window_s).round().max(1.0) as u64;
        ChannelScan {
            order_free: OrderFree::default(),
            flat: FlatTracker::new(window),
            welch_config: welch.config(),
            welch: Welch::new(welch),
            plan,
        }
    }

    pub fn plan(&self) -> &ChannelPlan {
        &self.plan
    }

    /// Adds the next block of the channel: digital values, and for channels
    /// that are not counted also their physical values. Flat runs, flat
    /// windows and the spectrum of counted channels work on the digital
    /// values (which are equal exactly when the physical ones are); the
    /// spectrum is scaled to physical units at the end.
    pub fn push(&mut self, digital: &[i32], physical: &[f32], codes: &mut CodeCounts) {
        let s = &self.plan.scaling;
        if self.plan.counted {
            codes.push(digital, s, &mut self.order_free);
            self.flat.push_codes(digital);
            self.welch.push(digital);
        } else {
            self.order_free
                .push(physical, digital, (s.digital_min, s.digital_max));
            self.flat.push(physical);
            self.welch.push(physical);
        }
    }

    /// The channel's summary, and its spectrum as a [`Psd`] for the
    /// recording's mains detection. `codes` is left clear.
    pub fn finish(
        mut self,
        codes: &mut CodeCounts,
        line: &LineNoiseConfig,
    ) -> (ChannelSummary, Option<Psd>) {
        let p = &self.plan;
        if p.counted {
            codes.flush(&p.scaling, &mut self.order_free);
        }
        let gain2 = if p.counted {
            p.scaling.gain * p.scaling.gain
        } else {
            1.0
        };
        let config = self.welch_config;
        let spectrum = self.welch.psd(p.sfreq_hz).map(|psd| Spectrum {
            sfreq_hz: p.sfreq_hz,
            segment_len: config.segment_len,
            overlap: config.overlap,
            segments: psd.segments(),
            power: psd
                .power()
                .iter()
                .map(|&x| f64::from((x * gain2) as f32))
                .collect(),
        });
        let psd = spectrum.as_ref().map(Spectrum::psd);
        let of = self.order_free;
        let mut summary = ChannelSummary {
            name: p.name.clone(),
            kind: p.kind.clone(),
            unit: p.unit.clone(),
            sfreq_hz: p.sfreq_hz,
            samples: of.moments.total(),
            mean: None,
            std: None,
            min: None,
            max: None,
            median: None,
            iqr: None,
            mad: None,
            clipped_fraction: None,
            flat_fraction: None,
            longest_flat_s: 0.0,
            line_noise: Vec::new(),
            moments: of.moments,
            sketch: of.sketch,
            histogram: of.histogram,
            clipping: of.clipping,
            flat: Flat {
                longest_run: self.flat.longest_run(),
                windows: self.flat.windows().0,
                flat_windows: self.flat.windows().1,
            },
            spectrum,
        };
        summary.refresh(line);
        (summary, psd)
    }
}
