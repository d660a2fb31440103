//! Every channel of every recording measured in one streaming pass: the
//! library behind `preflight scan` and `preflight merge`.
//!
//! [`scan`] takes a discovered [`Dataset`] and streams each recording
//! ([`recording`]) through the measures of [`crate::measure`]: moments,
//! quantile sketch (median, IQR, MAD), amplitude histogram, clipping, flat
//! runs and flat windows, the Welch spectrum and its line-noise ratios,
//! and the recording's mains frequency. Recordings merge into subject and
//! dataset summaries ([`report`]), and reports of shards ([`Shard`]) merge
//! into the report of the whole dataset ([`ScanReport::merge`]).
//!
//! Work is spread with rayon over recordings, and over groups of channels
//! of a recording when there are fewer recordings than threads. Memory is
//! bounded by the number of threads times about a megabyte of records (and
//! at least one block) plus each channel's fixed-size state (spectrum,
//! sketch, a 256 KiB code table);
//! no recording is ever held whole. Each channel's result depends on its
//! samples only, and summaries are merged in path order, so the report is
//! the same, byte for byte, whatever the number of threads.

mod channel;
mod codes;
mod flat;
mod mad;
pub mod prep;
pub mod recording;
pub mod report;
mod shard;

use std::ops::Range;
use std::path::Path;

use rayon::prelude::*;

use crate::dataset::{Dataset, Layout, Recording};
use crate::error::Error;
use crate::measure::line_noise::LineNoiseConfig;
use crate::measure::prep::PrepConfig;
use crate::measure::sketch::SketchConfig;
use crate::measure::spectrum::WelchConfig;

pub use channel::{ChannelSummary, Flat, Spectrum};
pub use mad::sketch_mad;
pub use recording::RecordingSummary;
pub use report::{GroupSummary, ScanReport, ScanSettings, UnreadableFile, SCHEMA};
pub use shard::Shard;

/// Settings of [`scan`].
#[derive(Clone, Debug, PartialEq)]
pub struct ScanConfig {
    /// Seconds of records read per block (rounded to whole records, at
    /// least one). Only memory and speed depend on it. Default 16: at 4,
    /// the per-block work (a call per channel, Welch's carried tail, the
    /// flat tracker's replay) cost set (b) 12% more wall time for the same
    /// report; a block of 64 channels at 512 Hz is then 4 MB of decoded
    /// samples per thread.
    pub block_s: f64,
    /// Window of the flat-window share, seconds. Default 1.
    pub flat_window_s: f64,
    /// Overlap of Welch segments as a share of the segment, in `[0, 1)`.
    /// Segments are the smallest power of two of at least two seconds
    /// ([`WelchConfig::for_sfreq`]), Hann-windowed. Default 0: the
    /// transforms are half the 50 % overlap of scipy's default, the
    /// largest cost of a scan, while over the hundreds of segments of a
    /// recording the estimate's spread differs little (a 10-minute
    /// recording at 256 Hz averages 300 segments instead of 599).
    pub welch_overlap: f64,
    /// Where line noise is looked for.
    pub line: LineNoiseConfig,
    /// Only the recordings of this shard; `None` for all.
    pub shard: Option<Shard>,
    /// PyPREP's channel criteria for each recording ([`prep`]), with
    /// these thresholds; `None` (the default) leaves them out.
    pub prep: Option<PrepConfig>,
}

impl Default for ScanConfig {
    fn default() -> ScanConfig {
        ScanConfig {
            block_s: 16.0,
            flat_window_s: 1.0,
            welch_overlap: 0.0,
            line: LineNoiseConfig::default(),
            shard: None,
            prep: None,
        }
    }
}

impl ScanConfig {
    /// The Welch segments for a channel sampled at `sfreq_hz`.
    pub fn welch(&self, sfreq_hz: f64) -> WelchConfig {
        let segment_len = WelchConfig::for_sfreq(sfreq_hz).segment_len;
        let overlap = (self.welch_overlap * segment_len as f64).round() as usize;
        WelchConfig {
            segment_len,
            overlap: overlap.min(segment_len - 1),
        }
    }

    /// The settings recorded in the report.
    pub fn settings(&self) -> ScanSettings {
        ScanSettings {
            flat_window_s: self.flat_window_s,
            welch_overlap: self.welch_overlap,
            sketch: SketchConfig::default(),
            line_noise: self.line.clone(),
            prep: self.prep.clone(),
        }
    }

    fn check(&self) -> Result<(), Error> {
        let bad = |option: &str, reason: String| {
            Err(Error::Config {
                option: option.into(),
                reason,
            })
        };
        if !(self.block_s > 0.0 && self.block_s.is_finite()) {
            return bad(
                "block_s",
                format!("{}: expected seconds above 0", self.block_s),
            );
        }
        if !(self.flat_window_s > 0.0 && self.flat_window_s.is_finite()) {
            return bad(
                "flat_window_s",
                format!("{}: expected seconds above 0", self.flat_window_s),
            );
        }
        if !(0.0..1.0).contains(&self.welch_overlap) {
            return bad(
                "welch_overlap",
                format!("{}: expected a share in [0, 1)", self.welch_overlap),
            );
        }
        Ok(())
    }
}

/// One unit of parallel work: some channels of one recording.
struct Task {
    recording: usize,
    channels: Range<usize>,
}

/// Measures every channel of every recording of `dataset` (of the shard
/// of `config`, if any). `progress` is called from the worker threads with
/// the channel-samples of each block as they are done; their total is
/// [`samples_to_scan`].
///
/// A recording that cannot be opened or read becomes an
/// [`UnreadableFile`] with its reason, as do the files discovery could not
/// read; the others go on.
///
/// # Errors
///
/// [`Error::Config`] for settings out of range, or a NumPy dataset (which
/// holds examples, not recordings, and is not scanned).
pub fn scan(
    dataset: &Dataset,
    config: &ScanConfig,
    progress: &(dyn Fn(u64) + Sync),
) -> Result<ScanReport, Error> {
    config.check()?;
    let clock = std::time::Instant::now();
    if dataset.layout == Layout::Numpy {
        return Err(Error::Config {
            option: "PATH".into(),
            reason: format!(
                "{} is a NumPy dataset; scan reads EDF/BDF recordings",
                dataset.root.display()
            ),
        });
    }
    let in_shard = |p: &Path| config.shard.is_none_or(|s| s.contains(p));
    let chosen: Vec<&Recording> = dataset
        .recordings
        .iter()
        .filter(|r| in_shard(&r.path))
        .collect();

    // Split files into channel groups when files are fewer than threads.
    let threads = rayon::current_num_threads().max(1);
    let groups = threads.div_ceil(chosen.len().max(1));
    let tasks: Vec<Task> = chosen
        .iter()
        .enumerate()
        .flat_map(|(i, r)| {
            split(r.channels.len(), groups).map(move |channels| Task {
                recording: i,
                channels,
            })
        })
        .collect();
    tracing::debug!(
        recordings = chosen.len(),
        tasks = tasks.len(),
        threads,
        "scan planned"
    );

    let done: Vec<Result<recording::PartResult, String>> = tasks
        .par_iter()
        .map(|t| {
            let full = dataset.root_of(&chosen[t.recording].path);
            let file = edf::Edf::open(&full).map_err(|e| recording::reason(&e, &full))?;
            recording::scan_part(&file, t.channels.clone(), config, progress)
        })
        .collect();

    // Join the channel groups of each recording, in order.
    let mut unreadable: Vec<UnreadableFile> = dataset
        .unreadable
        .iter()
        .filter(|u| in_shard(&u.path))
        .map(|u| UnreadableFile {
            path: u.path.clone(),
            reason: u.reason.clone(),
        })
        .collect();
    let mut parts = tasks.iter().zip(done).peekable();
    let mut joined = Vec::new();
    while let Some((task, first)) = parts.next() {
        let mut result = first.map(|p| (p.records, vec![p]));
        while let Some((_, next)) = parts.next_if(|(t, _)| t.recording == task.recording) {
            result = match (result, next) {
                (Ok((n, mut v)), Ok(p)) => {
                    v.push(p);
                    Ok((n, v))
                }
                (Err(e), _) | (_, Err(e)) => Err(e),
            };
        }
        let r = chosen[task.recording];
        match result {
            Ok((records, parts)) => joined.push((r, records, parts)),
            Err(reason) => {
                tracing::debug!(path = %r.path.display(), %reason, "recording skipped");
                unreadable.push(UnreadableFile {
                    path: r.path.clone(),
                    reason,
                });
            }
        }
    }

    tracing::info!(
        "recordings measured: {:.3} s",
        clock.elapsed().as_secs_f64()
    );
    // Each recording's mains detection, and PyPREP's criteria when asked
    // (the recording read whole again), in parallel.
    let recordings: Vec<RecordingSummary> = joined
        .into_par_iter()
        .map(|(r, records, parts)| {
            let mut summary = summarise(r, records, parts, config);
            if let Some(prep_config) = &config.prep {
                let full = dataset.root_of(&r.path);
                let judged = edf::Edf::open(&full)
                    .map_err(|e| recording::reason(&e, &full))
                    .and_then(|file| prep::judge(r, &file, prep_config));
                progress(prep::samples(r));
                match judged {
                    Ok(p) => summary.prep = p,
                    Err(reason) => tracing::warn!(
                        path = %r.path.display(),
                        %reason,
                        "PyPREP criteria not judged"
                    ),
                }
            }
            summary
        })
        .collect();
    tracing::info!(
        "recordings summarised: {:.3} s",
        clock.elapsed().as_secs_f64()
    );
    let shards = config.shard.into_iter().collect();
    Ok(ScanReport::new(
        dataset.root.clone(),
        shards,
        config.settings(),
        recordings,
        unreadable,
    ))
}

/// Channel-samples [`scan`] will read for `config`'s shard (twice for
/// those PyPREP's criteria read again): the total of its progress calls.
pub fn samples_to_scan(dataset: &Dataset, config: &ScanConfig) -> u64 {
    dataset
        .recordings
        .iter()
        .filter(|r| config.shard.is_none_or(|s| s.contains(&r.path)))
        .map(|r| {
            let streamed: u64 = r
                .channels
                .iter()
                .map(|c| (c.sfreq_hz * r.duration_s).round() as u64)
                .sum();
            let judged = if config.prep.is_some() {
                prep::samples(r)
            } else {
                0
            };
            streamed + judged
        })
        .sum()
}

/// `n` channels in at most `groups` contiguous, nearly equal ranges.
fn split(n: usize, groups: usize) -> impl Iterator<Item = Range<usize>> {
    let g = groups.clamp(1, n.max(1));
    (0..g).map(move |k| (k * n / g)..((k + 1) * n / g))
}

fn summarise(
    r: &Recording,
    records: u64,
    parts: Vec<recording::PartResult>,
    config: &ScanConfig,
) -> RecordingSummary {
    let mut channels = Vec::new();
    let mut spectra = Vec::new();
    for p in parts {
        channels.extend(p.channels);
        spectra.extend(p.spectra);
    }
    let mains = recording::detect_mains(&channels, &spectra, config);
    RecordingSummary {
        path: r.path.clone(),
        subject: r.subject.clone(),
        session: r.session.clone(),
        task: r.task.clone(),
        run: r.run.clone(),
        format: r.format.clone(),
        duration_s: r.duration_s,
        records,
        bytes: r.bytes,
        mains,
        declared_mains_hz: r.power_line_hz,
        channels,
        prep: None,
    }
}
