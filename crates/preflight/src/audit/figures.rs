//! The aggregated data behind the report's charts: how much of each
//! recording is outliers, per-channel amplitude histograms of clean and
//! flagged windows, and average spectra of flagged channels around the
//! mains frequency against a clean reference.
//!
//! Everything here is aggregated (counts per bin, average power per
//! frequency bin); no sample is kept, so `report.json` stays small
//! whatever the dataset's size. The histograms are filled in the
//! normalization pass ([`super::normalize`]), where each window × channel
//! of the sample is already known to be clean or flagged; the spectra
//! come from the sums of window spectra the measuring passes collect
//! ([`super::spectra::SpectrumSums`]); the outlier map from the feature
//! table and its outlier cells.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::detect::Outlier;
use super::features::FeatureTable;
use super::finding::Finding;
use super::spectra::SpectrumSums;
use crate::measure::histogram::AmplitudeHistogram;
use crate::window::Windows;

/// Half-width of the band drawn around each mains harmonic, Hz.
pub const BAND_HALF_WIDTH_HZ: f64 = 8.0;
/// Harmonics drawn (the fundamental included), below Nyquist.
pub const HARMONICS: u32 = 3;
/// Flagged channels given a spectrum, most windows first.
pub const MAX_SPECTRA: usize = 16;

/// The charts' data.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    /// Per measured recording, its share of outlier windows.
    pub recordings: Vec<RecordingOutliers>,
    /// Per channel, amplitude histograms of the clean and the flagged
    /// windows of the sample.
    pub histograms: Vec<ChannelHistograms>,
    /// Per flagged channel, its average spectrum around the mains
    /// frequency and harmonics, with a clean reference.
    pub spectra: Vec<MainsSpectrum>,
}

/// One cell of the subject × recording map.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingOutliers {
    /// Subject label.
    pub subject: String,
    /// Recording path.
    pub recording: String,
    /// Windows measured (sample and confirmation).
    pub measured: usize,
    /// Of those, windows with at least one outlier channel.
    pub outlier_windows: usize,
}

/// Amplitude histograms of one channel (all recordings).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelHistograms {
    /// Channel name.
    pub channel: String,
    /// Samples of windows in which this channel is neither an outlier nor
    /// part of a finding.
    pub clean: AmplitudeHistogram,
    /// Samples of the channel's outlier windows and of its windows in
    /// recordings where it has a finding.
    pub flagged: AmplitudeHistogram,
}

/// Average spectra of one flagged channel near the mains lines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MainsSpectrum {
    /// Channel name.
    pub channel: String,
    /// The mains frequency the bands are centred on, Hz.
    pub mains_hz: f64,
    /// Sampling rate of the spectra, Hz.
    pub sfreq_hz: f64,
    /// Windows averaged in the flagged spectrum (recordings where the
    /// channel has a finding).
    pub flagged_windows: u64,
    /// Windows averaged in the clean reference (the same channel in
    /// recordings without a finding on it, same rate and length).
    pub clean_windows: u64,
    /// One band per harmonic below Nyquist.
    pub bands: Vec<SpectrumBand>,
}

/// Power around one harmonic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpectrumBand {
    /// The harmonic's frequency, Hz.
    pub harmonic_hz: f64,
    /// Frequency of each bin, Hz.
    pub freq_hz: Vec<f64>,
    /// Average power of the flagged windows, µV²/Hz.
    pub flagged: Vec<f64>,
    /// Average power of the clean reference, µV²/Hz (empty without one).
    pub clean: Vec<f64>,
}

/// The subject × recording map from every measured window.
pub fn recording_outliers(
    windows: &Windows,
    table: &FeatureTable,
    outliers: &[Outlier],
) -> Vec<RecordingOutliers> {
    let mut measured: BTreeMap<u32, usize> = BTreeMap::new();
    for row in &table.rows {
        if let Some(w) = windows.windows.get(row.window) {
            *measured.entry(w.recording).or_insert(0) += 1;
        }
    }
    let mut hit: BTreeMap<u32, BTreeSet<usize>> = BTreeMap::new();
    for o in outliers {
        if let Some(w) = windows.windows.get(o.window) {
            hit.entry(w.recording).or_default().insert(o.window);
        }
    }
    measured
        .into_iter()
        .map(|(r, n)| {
            let subject = windows
                .recording_subject
                .get(r as usize)
                .and_then(|&s| windows.subjects.get(s as usize))
                .cloned()
                .unwrap_or_default();
            RecordingOutliers {
                subject,
                recording: windows.recordings[r as usize].clone(),
                measured: n,
                outlier_windows: hit.get(&r).map_or(0, BTreeSet::len),
            }
        })
        .collect()
}

/// Per channel with a finding that has spectra, its average spectrum in
/// the finding recordings and the clean reference, in bands around the
/// line its findings carry (the frequency most of them name, the lower on
/// a tie) and its harmonics, or around `mains_hz` when none names one. At
/// most [`MAX_SPECTRA`] channels, those with the most flagged windows
/// first.
pub fn mains_spectra(
    windows: &Windows,
    sums: &SpectrumSums,
    findings: &[Finding],
    mains_hz: f64,
) -> Vec<MainsSpectrum> {
    let index: BTreeMap<&str, u32> = windows
        .recordings
        .iter()
        .enumerate()
        .map(|(i, r)| (r.as_str(), i as u32))
        .collect();
    // Per channel: its finding recordings, and how many findings name
    // each line frequency (in mHz, to count equal frequencies together).
    let mut flagged: BTreeMap<&str, (BTreeSet<u32>, BTreeMap<u64, usize>)> = BTreeMap::new();
    for f in findings {
        if let Some(&r) = index.get(f.recording.as_str()) {
            let (recordings, lines) = flagged.entry(f.channel.as_str()).or_default();
            recordings.insert(r);
            if let Some(hz) = f.evidence.line_hz.filter(|hz| *hz > 0.0) {
                *lines.entry((hz * 1000.0).round() as u64).or_insert(0) += 1;
            }
        }
    }

    let mut out = Vec::new();
    for (channel, (recordings, lines)) in flagged {
        let mains_hz = lines
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map_or(mains_hz, |(&mhz, _)| mhz as f64 / 1000.0);
        // The flagged average, at the rate and length most of its windows
        // have; the clean reference at the same.
        let pairs: Vec<_> = sums.channel(channel).collect();
        let mut shapes: BTreeMap<(u64, usize), u64> = BTreeMap::new();
        for p in pairs.iter().filter(|p| recordings.contains(&p.recording)) {
            *shapes
                .entry((p.sfreq_hz.to_bits(), p.segment_len))
                .or_insert(0) += p.windows;
        }
        let Some((&(rate_bits, segment_len), _)) = shapes.iter().max_by_key(|(_, &n)| n) else {
            continue;
        };
        let sfreq_hz = f64::from_bits(rate_bits);
        let bins = segment_len / 2 + 1;
        let average = |flag: bool| {
            let mut acc = vec![0.0; bins];
            let mut n = 0u64;
            for p in &pairs {
                let same = p.sfreq_hz.to_bits() == rate_bits
                    && p.segment_len == segment_len
                    && p.power.len() == bins;
                if same && recordings.contains(&p.recording) == flag {
                    for (a, b) in acc.iter_mut().zip(p.power) {
                        *a += b;
                    }
                    n += p.windows;
                }
            }
            if n > 0 {
                acc.iter_mut().for_each(|a| *a /= n as f64);
            }
            (acc, n)
        };
        let (hot, flagged_windows) = average(true);
        let (cold, clean_windows) = average(false);
        if flagged_windows == 0 || bins < 2 {
            continue;
        }

        // Bands around the harmonics below Nyquist.
        let nyquist = sfreq_hz / 2.0;
        let step = sfreq_hz / segment_len as f64;
        let bands = (1..=HARMONICS)
            .map(|k| f64::from(k) * mains_hz)
            .filter(|&h| h < nyquist)
            .map(|h| {
                let lo = ((h - BAND_HALF_WIDTH_HZ) / step).ceil().max(0.0) as usize;
                let hi = (((h + BAND_HALF_WIDTH_HZ) / step).floor() as usize).min(bins - 1);
                let range = lo..=hi;
                SpectrumBand {
                    harmonic_hz: h,
                    freq_hz: range.clone().map(|i| i as f64 * step).collect(),
                    flagged: hot[range.clone()].to_vec(),
                    clean: if clean_windows > 0 {
                        cold[range].to_vec()
                    } else {
                        Vec::new()
                    },
                }
            })
            .collect::<Vec<_>>();
        if bands.is_empty() {
            continue;
        }
        out.push(MainsSpectrum {
            channel: channel.to_string(),
            mains_hz,
            sfreq_hz,
            flagged_windows,
            clean_windows,
            bands,
        });
    }
    out.sort_by(|a, b| {
        b.flagged_windows
            .cmp(&a.flagged_windows)
            .then(a.channel.cmp(&b.channel))
    });
    out.truncate(MAX_SPECTRA);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::spectrum::Psd;

    #[test]
    fn spectra_split_finding_recordings_from_the_clean_reference() {
        let windows = Windows {
            duration_s: 1.0,
            subjects: vec!["01".into()],
            classes: vec!["a".into()],
            recordings: vec!["r0".into(), "r1".into()],
            recording_subject: vec![0, 0],
            windows: Vec::new(),
            skipped: BTreeMap::new(),
            unlabelled_class: None,
        };
        // 1 Hz bins from 0 to 128 Hz; a line at 60 Hz only in r1.
        let flat = vec![1.0; 129];
        let mut hum = flat.clone();
        hum[60] = 1000.0;
        let mut sums = SpectrumSums::default();
        for _ in 0..3 {
            sums.add(0, "P7", &Psd::from_parts(256.0, 256, flat.clone(), 1));
            sums.add(1, "P7", &Psd::from_parts(256.0, 256, hum.clone(), 1));
        }
        let finding = Finding {
            subject: "01".into(),
            recording: "r1".into(),
            channel: "P7".into(),
            cause: crate::audit::finding::Cause::Detached,
            windows_measured: 3,
            windows_flagged: 3,
            p_value: 0.0,
            extent_s: None,
            evidence: crate::audit::finding::Evidence {
                reasons: BTreeMap::new(),
                std_uv: None,
                channel_std_uv: None,
                mean_uv: None,
                line_hz: None,
                line_ratio: None,
                amplitude_z: None,
            },
        };
        let spectra = mains_spectra(&windows, &sums, std::slice::from_ref(&finding), 60.0);
        assert_eq!(spectra.len(), 1);
        let s = &spectra[0];
        assert_eq!((s.flagged_windows, s.clean_windows), (3, 3));
        // 60 and 120 Hz are below Nyquist, 180 Hz is not.
        assert_eq!(s.bands.len(), 2);
        let band = &s.bands[0];
        let at = band.freq_hz.iter().position(|&f| f == 60.0).unwrap();
        assert_eq!(band.flagged[at], 1000.0);
        assert_eq!(band.clean[at], 1.0);
        assert_eq!(band.freq_hz.len(), 17);

        // A finding that names its line at 50 Hz is drawn around 50 Hz
        // and its harmonics, whatever the dataset's mains.
        let fifty = Finding {
            evidence: crate::audit::finding::Evidence {
                line_hz: Some(50.0),
                ..finding.evidence.clone()
            },
            ..finding
        };
        let spectra = mains_spectra(&windows, &sums, &[fifty], 60.0);
        assert_eq!(spectra[0].mains_hz, 50.0);
        let centres: Vec<f64> = spectra[0].bands.iter().map(|b| b.harmonic_hz).collect();
        assert_eq!(centres, [50.0, 100.0]);
    }
}
