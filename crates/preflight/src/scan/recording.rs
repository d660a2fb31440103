//! Streaming one recording through the channel measures, block by block.
//!
//! A recording is read in blocks of whole data records (about
//! [`ScanConfig::block_s`] seconds of every channel), each with one
//! positioned read into a reused buffer ([`edf::Edf::read_records`]).
//! Each channel's part of a block is decoded into another reused buffer
//! and handed to its [`ChannelScan`], so the memory a recording takes is
//! a block plus the channels' fixed-size state, whatever its length. A task may cover only some of
//! a file's channels: [`super::scan`] splits a file into channel groups
//! when there are fewer files than threads, and [`RecordingSummary`]
//! joins them again in channel order.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use edf::{Edf, Format};
use serde::{Deserialize, Serialize};

use super::channel::{ChannelPlan, ChannelScan, ChannelSummary};
use super::codes::{CodeCounts, Scaling};
use super::ScanConfig;
use crate::dataset::channel_type_from_label;
use crate::measure::line_noise::{same_mains, MainsDetection, MeanLogSpectrum};
use crate::measure::spectrum::{Psd, SpectrumPlanner};

/// Summary of one recording.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordingSummary {
    /// Path relative to the dataset root.
    pub path: PathBuf,
    /// Subject label (without `sub-`).
    pub subject: String,
    /// BIDS session, when the name has one.
    pub session: Option<String>,
    /// BIDS task.
    pub task: Option<String>,
    /// BIDS run.
    pub run: Option<String>,
    /// `EDF`, `EDF+C`, `EDF+D`, `BDF`, …
    pub format: String,
    /// Recorded time, seconds (complete records; EDF+D gaps excluded).
    pub duration_s: f64,
    /// Complete data records read.
    pub records: u64,
    /// File size, bytes.
    pub bytes: u64,
    /// The recording's mains frequency, detected on the channel-mean
    /// spectrum of the channels at the most common rate.
    pub mains: MainsDetection,
    /// The mains frequency its BIDS sidecar declares
    /// (`PowerLineFrequency`), Hz.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared_mains_hz: Option<f64>,
    /// Data channels, in file order.
    pub channels: Vec<ChannelSummary>,
    /// PyPREP's criteria on its EEG channels, when the scan was asked for
    /// them and the recording has enough EEG channels of one rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prep: Option<super::prep::RecordingPrep>,
}

impl RecordingSummary {
    /// The declared and the detected mains frequency, when the recording's
    /// BIDS sidecar declares one and its line is at another.
    pub fn contradicted_mains(&self) -> Option<(f64, f64)> {
        let (declared, detected) = (self.declared_mains_hz?, self.mains.mains_hz?);
        (!same_mains(declared, detected)).then_some((declared, detected))
    }
}

/// The measured part of one channel group of a file.
pub(crate) struct PartResult {
    pub channels: Vec<ChannelSummary>,
    pub spectra: Vec<Option<Psd>>,
    pub records: u64,
}

thread_local! {
    /// Code tables reused from one task to the next on a thread, so their
    /// 256 KiB each are touched once per thread, not once per channel.
    static TABLES: RefCell<Vec<CodeCounts>> = const { RefCell::new(Vec::new()) };
}

/// The plans of a file's data channels, in file order.
pub(crate) fn channel_plans(file: &Edf) -> Vec<ChannelPlan> {
    let h = file.header();
    h.data_signals()
        .map(|i| {
            let s = &h.signals[i];
            let scaling = Scaling::of(s);
            let gain_ok = scaling.gain != 0.0 && scaling.gain.is_finite();
            ChannelPlan {
                signal: i,
                name: s.label.clone(),
                kind: channel_type_from_label(&s.label, s.unit().is_voltage()).to_string(),
                unit: s.unit().name().to_string(),
                sfreq_hz: h.sfreq_hz(i).unwrap_or(0.0),
                samples_per_record: s.samples_per_record,
                scaling,
                counted: h.format == Format::Edf && gain_ok && scaling.offset.is_finite(),
            }
        })
        .collect()
}

/// Measures channels `channels` (indices into [`channel_plans`]) of the
/// open file, calling `progress` with the channel-samples of each block.
pub(crate) fn scan_part(
    file: &Edf,
    channels: std::ops::Range<usize>,
    config: &ScanConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<PartResult, String> {
    let plans: Vec<ChannelPlan> = channel_plans(file)
        .into_iter()
        .skip(channels.start)
        .take(channels.len())
        .collect();
    let mut planner = SpectrumPlanner::new();
    let mut scans: Vec<ChannelScan> = plans
        .into_iter()
        .map(|p| {
            let plan = planner.plan(config.welch(p.sfreq_hz));
            ChannelScan::new(p, plan, config)
        })
        .collect();

    // Blocks of whole records.
    let record_s = file.header().record_duration_s;
    let per_block = if record_s > 0.0 {
        (config.block_s / record_s).round().max(1.0) as u64
    } else {
        1
    };
    let widest = scans
        .iter()
        .map(|s| s.plan().samples_per_record)
        .max()
        .unwrap_or(0);
    let cap = widest * per_block as usize;
    let mut digital = vec![0_i32; cap];
    let mut physical = vec![0_f32; cap];
    let mut bytes = Vec::new();

    TABLES.with(|tables| {
        let mut tables = tables.borrow_mut();
        if tables.len() < scans.len() {
            tables.resize_with(scans.len(), CodeCounts::default);
        }
        let records = file.records();
        let mut start = 0;
        while start < records {
            let end = (start + per_block).min(records);
            let block = file
                .read_records(start, end, &mut bytes)
                .map_err(|e| e.to_string())?;

            // Each channel's part of the block, decoded and measured.
            let mut samples = 0;
            for (scan, codes) in scans.iter_mut().zip(tables.iter_mut()) {
                let p = scan.plan();
                let spr = p.samples_per_record as u64;
                let n = ((end - start) * spr) as usize;
                let (signal, counted) = (p.signal, p.counted);
                let d = &mut digital[..n];
                block
                    .read_digital(signal, start * spr, d)
                    .map_err(|e| e.to_string())?;
                // Physical values from the codes just decoded, by the
                // scaling `read_physical` applies, rather than a second
                // walk over the block.
                let x = &mut physical[..if counted { 0 } else { n }];
                for (x, &d) in x.iter_mut().zip(d.iter()) {
                    *x = p.scaling.physical(d);
                }
                scan.push(d, x, codes);
                samples += n as u64;
            }
            progress(samples);
            start = end;
        }

        // Read the measures off.
        let mut out = PartResult {
            channels: Vec::with_capacity(scans.len()),
            spectra: Vec::with_capacity(scans.len()),
            records,
        };
        for (scan, codes) in scans.into_iter().zip(tables.iter_mut()) {
            let (summary, psd) = scan.finish(codes, &config.line);
            out.channels.push(summary);
            out.spectra.push(psd);
        }
        Ok(out)
    })
}

/// The mains frequency of a recording: zapline-plus's rule on the
/// channel-mean log spectrum of the channels at the most common rate.
pub(crate) fn detect_mains(
    channels: &[ChannelSummary],
    spectra: &[Option<Psd>],
    config: &ScanConfig,
) -> MainsDetection {
    let rate = most_common_rate(channels.iter().map(|c| c.sfreq_hz)).map(|(r, _)| r);
    let mut mean: Option<MeanLogSpectrum> = None;
    for (c, psd) in channels.iter().zip(spectra) {
        if let (Some(psd), true) = (psd, Some(c.sfreq_hz) == rate) {
            mean.get_or_insert_with(|| MeanLogSpectrum::new(psd))
                .push(psd);
        }
    }
    match mean {
        Some(m) => m.detect(&config.line),
        None => MainsDetection {
            mains_hz: None,
            ratios_db: Vec::new(),
        },
    }
}

/// The rate most of `rates` have and how many have it; of rates equally
/// common, the last to appear. `None` for no rates.
pub(crate) fn most_common_rate(rates: impl IntoIterator<Item = f64>) -> Option<(f64, usize)> {
    let mut counts: Vec<(f64, usize)> = Vec::new();
    for rate in rates {
        match counts.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, n)) => *n += 1,
            None => counts.push((rate, 1)),
        }
    }
    counts.into_iter().max_by_key(|&(_, n)| n)
}

/// The error message of `e` without the full path it starts with.
pub(crate) fn reason(e: &edf::Error, full: &Path) -> String {
    crate::dataset::reason_without_path(&e.to_string(), full)
}

#[cfg(test)]
mod tests {
    use super::most_common_rate;

    #[test]
    fn the_most_common_rate_is_the_last_of_equals() {
        assert_eq!(
            most_common_rate([256.0, 512.0, 256.0, 1.0]),
            Some((256.0, 2))
        );
        assert_eq!(most_common_rate([256.0, 512.0]), Some((512.0, 1)));
        assert_eq!(most_common_rate([]), None);
    }
}
