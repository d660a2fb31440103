//! PyPREP's per-recording channel criteria within a scan
//! ([`super::ScanConfig::prep`], `preflight scan --prep`).
//!
//! The EEG channels of a recording (by `channels.tsv` type, else by
//! label) at the rate most of them share are read whole, in µV, and
//! judged by [`noisy_channels`]: NaN, flat, deviation, HF noise,
//! correlation, SNR and dropout with PyPREP's defaults. RANSAC and PyPREP's
//! PSD criterion are not run (on the peers' set (b) the PSD criterion makes
//! all 58 of PyPREP's false positives: `tests/reference/prep_comparison_b.md`).
//! Unlike the streaming measures, this holds the recording in memory, as
//! PyPREP does: two f64 copies of those channels per recording being
//! judged, one recording per thread.

use serde::{Deserialize, Serialize};

use super::recording::most_common_rate;
use crate::dataset::{Channel, Recording};
use crate::measure::prep::{noisy_channels, ChannelCriteria, PrepConfig};

/// Channels fewer than this are not judged: deviation and HF noise are
/// z-scores across channels, and correlation needs other channels.
pub const MIN_CHANNELS: usize = 3;

/// PyPREP's criteria for one recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordingPrep {
    /// Rate of the channels judged, Hz.
    pub sfreq_hz: f64,
    /// The channels judged, in file order.
    pub channels: Vec<PrepChannel>,
    /// Median robust amplitude (IQR × 0.7413) over the channels, µV.
    pub median_amplitude_uv: Option<f64>,
    /// Median HF-noise ratio over the channels.
    pub median_hf_noise_ratio: Option<f64>,
    /// Correlation windows.
    pub windows: usize,
}

/// One judged channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrepChannel {
    /// Channel name.
    pub name: String,
    /// Its flags and the statistics behind them.
    #[serde(flatten)]
    pub criteria: ChannelCriteria,
}

impl RecordingPrep {
    /// The channels with at least one flag, with their flags.
    pub fn bad(&self) -> impl Iterator<Item = (&str, Vec<&'static str>)> {
        self.channels
            .iter()
            .filter(|c| c.criteria.is_bad())
            .map(|c| (c.name.as_str(), c.criteria.reasons().collect()))
    }
}

/// Judges the EEG channels of `recording`, open as `file`. `None` when
/// fewer than [`MIN_CHANNELS`] EEG channels share a rate.
///
/// # Errors
///
/// The reader's message when a channel cannot be decoded.
pub(crate) fn judge(
    recording: &Recording,
    file: &edf::Edf,
    config: &PrepConfig,
) -> Result<Option<RecordingPrep>, String> {
    let Some((sfreq_hz, chosen)) = chosen(recording) else {
        return Ok(None);
    };
    let mut signals = Vec::with_capacity(chosen.len());
    for c in &chosen {
        let x: Vec<f64> = file
            .read_signal(c.signal)
            .map_err(|e| format!("{}: {e}", c.name))?;
        signals.push(x);
    }
    // Channels of one rate hold the same number of samples.
    let shortest = signals.iter().map(Vec::len).min().unwrap_or(0);
    signals.iter_mut().for_each(|s| s.truncate(shortest));
    let report = noisy_channels(signals, sfreq_hz, config);
    Ok(Some(RecordingPrep {
        sfreq_hz,
        channels: chosen
            .iter()
            .zip(report.channels)
            .map(|(c, criteria)| PrepChannel {
                name: c.name.clone(),
                criteria,
            })
            .collect(),
        median_amplitude_uv: report.median_amplitude_uv,
        median_hf_noise_ratio: report.median_hf_noise_ratio,
        windows: report.windows,
    }))
}

/// Channel-samples [`judge`] reads of `recording`.
pub(crate) fn samples(recording: &Recording) -> u64 {
    chosen(recording).map_or(0, |(sfreq_hz, channels)| {
        channels.len() as u64 * (sfreq_hz * recording.duration_s).round() as u64
    })
}

/// The EEG channels [`judge`] takes, and their rate: those at the rate
/// most EEG channels have (chosen as the mains detection chooses its
/// rate); `None` when fewer than [`MIN_CHANNELS`].
fn chosen(recording: &Recording) -> Option<(f64, Vec<&Channel>)> {
    let eeg: Vec<&Channel> = recording
        .channels
        .iter()
        .filter(|c| c.kind == "EEG" && c.sfreq_hz > 0.0)
        .collect();
    let (sfreq_hz, n) = most_common_rate(eeg.iter().map(|c| c.sfreq_hz))?;
    (n >= MIN_CHANNELS).then(|| {
        let chosen = eeg.into_iter().filter(|c| c.sfreq_hz == sfreq_hz).collect();
        (sfreq_hz, chosen)
    })
}
