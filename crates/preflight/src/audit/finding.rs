//! From outlier cells to findings: one per recording × channel that holds
//! more outliers than chance, with its cause and evidence.
//!
//! For each recording × channel, the outlier windows among its measured
//! windows are tested against the share of outlier cells elsewhere (the
//! hypergeometric tail of [`crate::attribute::enrichment`], Bonferroni
//! over all recording × channel pairs). Pairs that are outliers in most of
//! their windows are left out of that share, so that a detached electrode
//! does not make the bursts of another channel look like chance. An absolute criterion (NaN, Inf,
//! flat, clipped) needs one window; the others need
//! [`FindingConfig::min_windows`] and significance.
//!
//! The cause is decided from the reasons of its outlier windows, in this
//! order: NaN, Inf, flat, clipped (when they mark at least half of them);
//! then a detached or floating electrode (line noise, in half the windows
//! or as a median ratio of [`FindingConfig::mains_median_ratio`], with an
//! offset or an amplitude a hundred times the channel's); mains line noise;
//! a DC offset; high amplitude, called bursts when it marks under half of
//! the recording's windows (broadband bursts raise the high-frequency ratio
//! too, so amplitude is asked first); high-frequency noise alone; low
//! amplitude.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use super::detect::{Outlier, Reasons, Reference};
use super::features::FeatureTable;
use crate::attribute::enrichment::{hypergeometric_upper_tail, LogFactorials};
use crate::window::{Locator, Windows};

/// What is wrong, in the words of synth's `truth.json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    /// NaN samples.
    Nan,
    /// Infinite samples.
    Inf,
    /// A constant signal.
    Flat,
    /// Samples saturating at the digital limits.
    Clipping,
    /// A contact that has come loose or floats: mains pickup with a large
    /// offset or an amplitude orders of magnitude above the EEG.
    Detached,
    /// Mains line noise.
    Mains,
    /// A constant offset of the signal.
    DcOffset,
    /// High-frequency noise (muscle, a bad contact).
    HfNoise,
    /// Short bursts of high amplitude.
    Bursts,
    /// High amplitude throughout, with no other explanation.
    HighAmplitude,
    /// Amplitude far below the channel's elsewhere (bridged or dead).
    LowAmplitude,
}

impl Cause {
    /// The snake_case name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            Cause::Nan => "nan",
            Cause::Inf => "inf",
            Cause::Flat => "flat",
            Cause::Clipping => "clipping",
            Cause::Detached => "detached",
            Cause::Mains => "mains",
            Cause::DcOffset => "dc_offset",
            Cause::HfNoise => "hf_noise",
            Cause::Bursts => "bursts",
            Cause::HighAmplitude => "high_amplitude",
            Cause::LowAmplitude => "low_amplitude",
        }
    }

    /// Plain words for a person.
    pub fn describe(self) -> &'static str {
        match self {
            Cause::Nan => "NaN samples",
            Cause::Inf => "infinite samples",
            Cause::Flat => "a flat (constant) signal",
            Cause::Clipping => "clipping at the amplifier's digital limits",
            Cause::Detached => "a detached or floating electrode (mains pickup on a large offset)",
            Cause::Mains => "mains line noise",
            Cause::DcOffset => "a DC offset",
            Cause::HfNoise => "high-frequency noise",
            Cause::Bursts => "bursts of high-amplitude artefact",
            Cause::HighAmplitude => "unexplained high amplitude",
            Cause::LowAmplitude => "unusually low amplitude",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Settings of [`findings`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingConfig {
    /// Family-wise significance level over recording × channel pairs
    /// (default 0.01).
    pub alpha: f64,
    /// Outlier windows a pair needs when no absolute criterion marks it
    /// (default 2).
    pub min_windows: usize,
    /// A median line-noise ratio over a pair's outlier windows of at least
    /// this makes mains pickup part of its cause even where single windows
    /// did not pass the per-window rule (default 100, i.e. 20 dB): the
    /// median of many windows is far steadier than one window's ratio.
    pub mains_median_ratio: f64,
}

impl Default for FindingConfig {
    fn default() -> Self {
        FindingConfig {
            alpha: 0.01,
            min_windows: 2,
            mains_median_ratio: 100.0,
        }
    }
}

/// What the measures showed, for one finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// Outlier windows per reason.
    pub reasons: BTreeMap<&'static str, usize>,
    /// Median standard deviation of the outlier windows, µV.
    pub std_uv: Option<f64>,
    /// The channel's median standard deviation across the sample, µV.
    pub channel_std_uv: Option<f64>,
    /// Median mean of the outlier windows, µV.
    pub mean_uv: Option<f64>,
    /// Mains frequency of the strongest line in the outlier windows, Hz.
    pub line_hz: Option<f64>,
    /// Median line-noise ratio of the outlier windows at that frequency.
    pub line_ratio: Option<f64>,
    /// Median robust z of the log amplitude.
    pub amplitude_z: Option<f64>,
}

/// One recording × channel with a problem.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// Subject label.
    pub subject: String,
    /// Recording path relative to the dataset root.
    pub recording: String,
    /// Channel name.
    pub channel: String,
    /// What is wrong.
    pub cause: Cause,
    /// Windows of this recording measured.
    pub windows_measured: usize,
    /// Of those, outlier windows on this channel.
    pub windows_flagged: usize,
    /// `P(X ≥ windows_flagged)` under random placement, uncorrected.
    pub p_value: f64,
    /// Earliest start and latest end of the outlier windows, seconds.
    pub extent_s: Option<(f64, f64)>,
    /// The numbers behind the cause.
    pub evidence: Evidence,
}

/// Findings of a measured set of windows. `measured` lists every window
/// whose features are in `table`; `outliers` are the table's outlier
/// cells judged against `reference`.
pub fn findings(
    windows: &Windows,
    table: &FeatureTable,
    reference: &Reference,
    outliers: &[Outlier],
    config: &FindingConfig,
) -> Vec<Finding> {
    // Windows measured per recording, cells measured in all.
    let mut measured: BTreeMap<u32, usize> = BTreeMap::new();
    let mut cells = 0usize;
    let mut row_of: BTreeMap<usize, usize> = BTreeMap::new();
    for (r, row) in table.rows.iter().enumerate() {
        if let Some(w) = windows.windows.get(row.window) {
            *measured.entry(w.recording).or_insert(0) += 1;
            cells += row.channels.iter().filter(|c| c.is_some()).count();
            row_of.insert(row.window, r);
        }
    }
    let outlier_cells = outliers.len();
    let pairs = (measured.len() * table.channels.len()).max(1);

    // Outlier cells per recording × channel.
    let mut by_pair: BTreeMap<(u32, u32), Vec<&Outlier>> = BTreeMap::new();
    for o in outliers {
        if let Some(w) = windows.windows.get(o.window) {
            by_pair.entry((w.recording, o.channel)).or_default().push(o);
        }
    }

    // Pairs that are outliers in most of their windows are explained
    // already; their cells would only inflate what chance gives the rest.
    let is_dominant = |recording: &u32, hits: &Vec<&Outlier>| {
        let draws = measured.get(recording).copied().unwrap_or(0);
        hits.len() >= config.min_windows && 2 * hits.len() >= draws
    };
    let (mut null_cells, mut null_outliers) = (cells, outlier_cells);
    for ((recording, _), hits) in &by_pair {
        if is_dominant(recording, hits) {
            let draws = measured.get(recording).copied().unwrap_or(0);
            null_cells -= draws.min(null_cells);
            null_outliers -= hits.len().min(null_outliers);
        }
    }

    let table_lf = LogFactorials::up_to(cells);
    let mut out = Vec::new();
    for ((recording, channel), hits) in by_pair {
        let draws = measured.get(&recording).copied().unwrap_or(0);
        let k = hits.len();
        let (population, successes) = if is_dominant(&recording, &hits) {
            (cells, outlier_cells)
        } else {
            (null_cells, null_outliers)
        };
        let p =
            hypergeometric_upper_tail(k, population, successes, draws, &table_lf).unwrap_or(1.0);
        let absolute = hits.iter().any(|o| o.reasons.is_absolute());
        let significant = k >= config.min_windows && p * (pairs as f64) < config.alpha;
        if !(absolute || significant) {
            continue;
        }

        // Evidence from the outlier windows' features.
        let feats: Vec<_> = hits
            .iter()
            .filter_map(|o| {
                let row = row_of.get(&o.window)?;
                table.rows[*row].channels[channel as usize]
            })
            .collect();
        let mut reasons: BTreeMap<&'static str, usize> = BTreeMap::new();
        for o in &hits {
            for name in o.reasons.names() {
                *reasons.entry(name).or_insert(0) += 1;
            }
        }
        let med = |mut v: Vec<f64>| -> Option<f64> {
            if v.is_empty() {
                return None;
            }
            v.sort_by(f64::total_cmp);
            Some(v[v.len() / 2])
        };
        let std_uv = med(feats
            .iter()
            .filter_map(|f| f.std_uv)
            .map(f64::from)
            .collect());
        let mean_uv = med(feats
            .iter()
            .filter_map(|f| f.mean_uv)
            .map(f64::from)
            .collect());
        let channel_std_uv = reference
            .per_channel
            .get(channel as usize)
            .and_then(|r| r.log_std)
            .map(|l| l.median.exp());
        let mut line_votes: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
        for f in &feats {
            if let Some((hz, ratio)) = f.line {
                line_votes
                    .entry(hz as u32)
                    .or_default()
                    .push(f64::from(ratio));
            }
        }
        let line = line_votes
            .into_iter()
            .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(&a.0)));
        let (line_hz, line_ratio) = match line {
            Some((hz, ratios)) => (Some(f64::from(hz)), med(ratios)),
            None => (None, None),
        };
        let amplitude_z = med(hits.iter().map(|o| f64::from(o.amplitude_z)).collect());

        let count = |r: Reasons| hits.iter().filter(|o| o.reasons.contains(r)).count();
        let half = k.div_ceil(2);
        let amplitude_ratio = match (std_uv, channel_std_uv) {
            (Some(s), Some(c)) if c > 0.0 => s / c,
            _ => 1.0,
        };
        let has_mains = count(Reasons::LINE_NOISE) >= half
            || line_ratio.is_some_and(|r| r >= config.mains_median_ratio);
        let cause = if count(Reasons::NAN) > 0 {
            Cause::Nan
        } else if count(Reasons::INF) > 0 {
            Cause::Inf
        } else if count(Reasons::FLAT) >= half {
            Cause::Flat
        } else if count(Reasons::CLIPPED) >= half {
            Cause::Clipping
        } else if has_mains && (count(Reasons::OFFSET) >= half || amplitude_ratio >= 100.0) {
            Cause::Detached
        } else if has_mains {
            Cause::Mains
        } else if count(Reasons::OFFSET) >= half {
            Cause::DcOffset
        } else if count(Reasons::HIGH_AMPLITUDE) >= half {
            if 2 * k < draws {
                Cause::Bursts
            } else if count(Reasons::HF_NOISE) >= half {
                // The added amplitude is high-frequency: noise on the
                // channel, not a larger signal.
                Cause::HfNoise
            } else {
                Cause::HighAmplitude
            }
        } else if count(Reasons::HF_NOISE) >= half {
            Cause::HfNoise
        } else if count(Reasons::LOW_AMPLITUDE) >= half {
            Cause::LowAmplitude
        } else {
            // Reasons split with no majority: the most frequent one.
            match reasons.iter().max_by_key(|(_, &n)| n).map(|(&r, _)| r) {
                Some("flat") => Cause::Flat,
                Some("clipped") => Cause::Clipping,
                Some("line_noise") => Cause::Mains,
                Some("offset") => Cause::DcOffset,
                Some("hf_noise") => Cause::HfNoise,
                Some("low_amplitude") => Cause::LowAmplitude,
                _ => Cause::Bursts,
            }
        };

        let extent_s = hits
            .iter()
            .filter_map(|o| match windows.windows.get(o.window)?.locator {
                Locator::Time { start_s } => Some((start_s, start_s + windows.duration_s)),
                Locator::Row { .. } => None,
            })
            .fold(None, |acc: Option<(f64, f64)>, (a, b)| match acc {
                None => Some((a, b)),
                Some((lo, hi)) => Some((lo.min(a), hi.max(b))),
            });
        let subject = windows
            .recording_subject
            .get(recording as usize)
            .and_then(|&s| windows.subjects.get(s as usize))
            .cloned()
            .unwrap_or_default();
        out.push(Finding {
            subject,
            recording: windows
                .recordings
                .get(recording as usize)
                .cloned()
                .unwrap_or_default(),
            channel: table
                .channels
                .get(channel as usize)
                .cloned()
                .unwrap_or_default(),
            cause,
            windows_measured: draws,
            windows_flagged: k,
            p_value: p,
            extent_s,
            evidence: Evidence {
                reasons,
                std_uv,
                channel_std_uv,
                mean_uv,
                line_hz,
                line_ratio,
                amplitude_z,
            },
        });
    }
    out
}
