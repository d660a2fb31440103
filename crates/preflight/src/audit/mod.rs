//! The audit: sample, measure, detect, attribute, confirm, plan,
//! normalize, balance.
//!
//! [`audit`] runs the whole check on a discovered [`Dataset`]:
//!
//! 1. the dataset's labelled windows ([`crate::window`]) and a stratified
//!    sample of them ([`crate::sample`]), or every window with
//!    [`AuditConfig::full`];
//! 2. features of each sampled window × channel ([`features`]), decoded
//!    by random access ([`crate::read`]);
//! 3. outlier cells by robust z-scores and absolute criteria ([`detect`]);
//! 4. attribution of outlier windows to recordings and subjects
//!    ([`crate::attribute`]) and findings per recording × channel with a
//!    cause ([`finding`]);
//! 5. confirmation: every window of the implicated recordings is measured
//!    and judged against the sample's yardstick, which gives each finding
//!    its extent in time. The spectral features (line noise, HF ratio)
//!    there are taken on every window only for the channels with a
//!    finding in the recording, and on every
//!    [`CONFIRM_SPECTRUM_STRIDE`]-th window for its other channels: a
//!    spectrum costs more than all other features together, and the
//!    other channels' criteria of amplitude, offset, flatness, clipping
//!    and NaN/Inf still see every window;
//! 6. the exclusion plan at the level asked ([`plan`]);
//! 7. normalization statistics of the clean data ([`normalize`]), gathered
//!    in the sample pass and finished once the plan is known, on the
//!    sample (which represents the dataset; the confirmation windows would
//!    over-weight the implicated recordings), and the class balance
//!    ([`crate::balance`]) of all windows.
//!
//! The result, an [`Audit`], is what `report.json` holds.

pub mod detect;
pub mod features;
pub mod figures;
pub mod finding;
pub mod normalize;
pub mod periodogram;
pub mod plan;
pub mod spectra;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::attribute::{attribute, AttributeConfig, Attribution};
use crate::balance::{balance, Balance};
use crate::dataset::{Dataset, Layout};
use crate::measure::line_noise::{same_mains, LineNoiseConfig};
use crate::measure::moments::Moments;
use crate::read::{fold_windows, ReadConfig, WindowSignals};
use crate::sample::{stratified_sample, Allocation, SampleConfig, SampleSize};
use crate::window::{windows_or_tiles, FixedLabel, SkipReason, WindowSource, Windows, UNLABELLED};

use detect::{DetectConfig, Reference};
use features::{ChannelFeatures, FeatureMaker, FeatureScratch, FeatureTable, RecordingRows};
use figures::Figures;
use finding::{Finding, FindingConfig};
use normalize::{ChannelNormalization, NormalizationSums};
use plan::{ExcludeLevel, Exclusions};
use spectra::SpectrumSums;

/// The schema name of [`Audit`] as JSON.
pub const SCHEMA: &str = "preflight.audit/1";

/// Everything an audit can be told.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditConfig {
    /// How windows are made.
    pub windows: WindowSource,
    /// The sample.
    pub sample: SampleConfig,
    /// Measure every window instead of a sample.
    pub full: bool,
    /// Decoding.
    pub read: ReadConfig,
    /// Outlier thresholds.
    pub detect: DetectConfig,
    /// Finding significance.
    pub finding: FindingConfig,
    /// Attribution significance.
    pub attribute: AttributeConfig,
    /// Mains candidates and the line-noise rule.
    pub line: LineNoiseConfig,
    /// What an exclusion removes.
    pub exclude: ExcludeLevel,
}

/// Steps of an audit, for progress reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Measuring the sampled windows.
    Sample,
    /// Measuring every window of the implicated recordings.
    Confirm,
    /// Measuring the normalization statistics.
    Normalize,
}

/// The dataset as the audit saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetSummary {
    /// The path given.
    pub root: String,
    /// `bids`, `folder`, `file` or `numpy`.
    pub layout: Layout,
    /// Subjects.
    pub subjects: usize,
    /// Recordings read.
    pub recordings: usize,
    /// Files that could not be read, with the reason.
    pub unreadable: Vec<(String, String)>,
    /// Bytes of the recordings (or of X.npy).
    pub bytes: u64,
    /// Labelled windows.
    pub windows: usize,
    /// Window length, s.
    pub window_s: f64,
    /// Windows left out, by reason.
    pub windows_skipped: BTreeMap<SkipReason, usize>,
}

/// One row of the allocation table, with names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AllocationRow {
    /// Subject label.
    pub subject: String,
    /// Class name.
    pub class: String,
    /// Windows in the stratum.
    pub available: usize,
    /// Exact proportional share of the requested size.
    pub share: f64,
    /// Windows sampled.
    pub sampled: usize,
    /// Why.
    pub allocation: Allocation,
}

/// What was sampled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleSummary {
    /// `fraction`, `count` or `full`.
    pub size: SampleSize,
    /// The size asked for before floors.
    pub requested: usize,
    /// Windows sampled.
    pub sampled: usize,
    /// Windows measured in all (sample and confirmation).
    pub measured: usize,
    /// Recordings measured in full to confirm findings.
    pub confirmed_recordings: Vec<String>,
    /// Bytes of the files the measured windows were decoded from (whole
    /// data records), confirmation included.
    pub bytes_read: u64,
    /// Per stratum.
    pub strata: Vec<AllocationRow>,
}

/// A dataset-wide observation that is not a fault of one recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Note {
    /// `dataset_mains`, `declared_mains`, `dc_offsets`, `no_events` or
    /// `unwindowed_recordings`.
    pub kind: String,
    /// Subject it concerns, if one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Plain words.
    pub text: String,
}

/// A window that could not be decoded.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReadProblem {
    /// Recording.
    pub recording: String,
    /// Why.
    pub reason: String,
}

/// The result of [`audit`]; `report.json` is its JSON.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Audit {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// The dataset.
    pub dataset: DatasetSummary,
    /// The sample and its allocation table.
    pub sample: SampleSummary,
    /// Where the outliers of the sample are.
    pub attribution: Attribution,
    /// Mains frequency most recordings carry, Hz.
    pub mains_hz: Option<f64>,
    /// Mains line noise per recording.
    pub line_noise: Vec<RecordingMains>,
    /// Findings, by recording then channel.
    pub findings: Vec<Finding>,
    /// Dataset-wide observations.
    pub notes: Vec<Note>,
    /// What to leave out.
    pub exclusions: Exclusions,
    /// Per-channel statistics of the clean data.
    pub normalization: Vec<ChannelNormalization>,
    /// Class balance of all windows.
    pub balance: Balance,
    /// Windows that could not be decoded (at most 100 listed).
    pub read_problems: Vec<ReadProblem>,
    /// Windows that could not be decoded, in all.
    pub read_problem_count: usize,
    /// The aggregated data of the report's charts.
    pub figures: Figures,
    /// The settings the audit ran with.
    pub settings: Settings,
}

/// The settings of an audit, as the report states them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// How windows were made, in words.
    pub windows: String,
    /// The sample size asked for.
    pub sample_size: SampleSize,
    /// Least windows per subject × class stratum.
    pub min_per_stratum: usize,
    /// Least windows per recording.
    pub min_per_recording: usize,
    /// Seed of the sample.
    pub seed: u64,
    /// Outlier thresholds.
    pub detect: DetectConfig,
    /// Finding significance.
    pub finding: FindingConfig,
    /// Attribution significance.
    pub attribute: AttributeConfig,
    /// Mains candidates and the line-noise rule.
    pub line: LineNoiseConfig,
    /// What an exclusion removes.
    pub exclude: ExcludeLevel,
    /// How the windows were made, as [`WindowSource`] reads it back: the
    /// source asked for, or the unlabelled 1 s windows an audit falls back
    /// to when no recording has events.
    pub window_source: WindowSource,
    /// How NumPy samples were read (rate, factor to µV).
    pub read: ReadConfig,
}

impl Settings {
    /// The settings of `config`, with the sample size actually used.
    pub fn of(config: &AuditConfig, size: SampleSize) -> Settings {
        let windows = match &config.windows {
            WindowSource::Events { offset_s, classes } => format!(
                "around events, {:+.3} s to {:+.3} s{}",
                offset_s.0,
                offset_s.1,
                if classes.is_some() {
                    ", labels mapped to classes"
                } else {
                    ", one class per event label"
                }
            ),
            WindowSource::Fixed { length_s, label } => format!(
                "consecutive {length_s} s windows, {}",
                match label {
                    FixedLabel::Participants(column) => {
                        format!("labelled by participants.tsv column {column}")
                    }
                    FixedLabel::Table(t) => format!("labelled by a table of {} entries", t.len()),
                    FixedLabel::None => "unlabelled".to_string(),
                }
            ),
        };
        Settings {
            windows,
            sample_size: size,
            min_per_stratum: config.sample.min_per_stratum,
            min_per_recording: config.sample.min_per_recording,
            seed: config.sample.seed,
            detect: config.detect.clone(),
            finding: config.finding.clone(),
            attribute: config.attribute.clone(),
            line: config.line.clone(),
            exclude: config.exclude,
            window_source: config.windows.clone(),
            read: config.read.clone(),
        }
    }
}

/// Runs the audit. `progress` hears of each stage and the windows it
/// will decode.
pub fn audit(dataset: &Dataset, config: &AuditConfig, progress: &dyn Fn(Stage, usize)) -> Audit {
    // Windows and the sample. Recordings without any event window still
    // get audited, in unlabelled windows of the same length.
    let mut notes = Vec::new();
    let clock = std::time::Instant::now();
    let windows = windows_or_tiles(dataset, &config.windows);
    let mut window_source = config.windows.clone();
    if let Some(class) = windows.unlabelled_class {
        notes.push(tiles_note(&windows, class));
    }
    // No event made a window anywhere: every window is a tile, and the
    // audit is one of fixed-length unlabelled windows, as the report says.
    if let WindowSource::Events { offset_s, .. } = &config.windows {
        let length_s = offset_s.1 - offset_s.0;
        if windows.classes.len() == 1 && windows.classes[0] == UNLABELLED {
            window_source = WindowSource::Fixed {
                length_s,
                label: FixedLabel::None,
            };
            notes.push(Note {
                kind: "no_events".to_string(),
                subject: None,
                text: format!(
                    "No recording has events to make windows from, so the audit used \
                     unlabelled {length_s} s windows; class balance is not known. Give --fixed \
                     with --label-participants or --labels to label them."
                ),
            });
        }
    }
    let sample_config = SampleConfig {
        size: if config.full {
            SampleSize::Full
        } else {
            config.sample.size
        },
        ..config.sample.clone()
    };
    let sample = stratified_sample(&windows, &sample_config);
    tracing::info!("windows and sample: {:.3} s", clock.elapsed().as_secs_f64());
    let maker = FeatureMaker::new(
        window_lengths(dataset, &windows, config),
        config.line.clone(),
    );

    // Features of the sample, and the yardstick they give.
    progress(Stage::Sample, sample.windows.len());
    let mut measured_so_far = Measured::default();
    let mut table = measure(
        dataset,
        &windows,
        &sample.windows,
        config,
        &maker,
        &mut measured_so_far,
        Pass::SAMPLE,
    );
    let recording_of = |w: usize| windows.windows[w].recording;
    table.judge_slow_flatness(recording_of);
    let reference = Reference::of(&table, &config.detect);
    tracing::info!("sample measured: {:.3} s", clock.elapsed().as_secs_f64());
    let mut outliers = reference.outliers(&table, &config.detect);
    let cells: Vec<(usize, u32)> = outliers.iter().map(|o| (o.window, o.channel)).collect();
    let attribution = attribute(
        &windows,
        &sample.windows,
        &cells,
        &table.channels,
        &config.attribute,
    );
    let mut findings = finding::findings(&windows, &table, &reference, &outliers, &config.finding);

    // Confirmation: every window of the implicated recordings, on every
    // channel. The spectrum (line noise, HF ratio), the dearest measure,
    // on every window only for the channels with a finding there, whose
    // cause may rest on it; for the others on every
    // CONFIRM_SPECTRUM_STRIDE-th window, enough for the recording's
    // average spectrum.
    let mut confirmed = BTreeSet::new();
    let mut measured: Vec<usize> = sample.windows.clone();
    if !config.full && !findings.is_empty() {
        let implicated: BTreeSet<String> = findings.iter().map(|f| f.recording.clone()).collect();
        let mut spectra_of = SpectrumChoice::default();
        for (r, name) in windows.recordings.iter().enumerate() {
            for f in findings.iter().filter(|f| &f.recording == name) {
                spectra_of
                    .channels
                    .entry(r as u32)
                    .or_default()
                    .insert(f.channel.clone());
            }
        }
        let in_sample: BTreeSet<usize> = sample.windows.iter().copied().collect();
        let extra: Vec<usize> = (0..windows.windows.len())
            .filter(|&i| {
                spectra_of
                    .channels
                    .contains_key(&windows.windows[i].recording)
            })
            .filter(|i| !in_sample.contains(i))
            .collect();
        let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
        for &i in &extra {
            let n = seen.entry(windows.windows[i].recording).or_insert(0);
            if *n % CONFIRM_SPECTRUM_STRIDE == 0 {
                spectra_of.every_channel.insert(i);
            }
            *n += 1;
        }
        progress(Stage::Confirm, extra.len());
        let more = measure(
            dataset,
            &windows,
            &extra,
            config,
            &maker,
            &mut measured_so_far,
            Pass {
                normalize: false,
                spectra_of: Some(&spectra_of),
            },
        );
        table = table.merge(more);
        table.judge_slow_flatness(recording_of);
        outliers = reference.outliers(&table, &config.detect);
        findings = finding::findings(&windows, &table, &reference, &outliers, &config.finding);
        tracing::info!(
            "confirmation measured: {:.3} s",
            clock.elapsed().as_secs_f64()
        );
        confirmed = implicated;
        measured.extend(extra);
        measured.sort_unstable();
    }
    let Measured {
        spectra,
        spans,
        mut problems,
        normalization: sums,
    } = measured_so_far;
    let (line_noise, mains_hz) = mains_lines(&windows, &spectra, &config.line, &mut notes);
    notes.extend(declared_mains_note(dataset, &windows, &line_noise));
    notes.extend(offsets_note(&table));

    // The plan and the clean statistics.
    let exclusions = plan::plan(&windows, &table, &outliers, &findings, config.exclude);
    tracing::info!("findings and plan: {:.3} s", clock.elapsed().as_secs_f64());
    // The sample, not the confirmation windows: those over-represent the
    // implicated recordings.
    // The same pass sorts every window × channel into clean and flagged
    // (an outlier cell, or a channel with a finding in its recording) for
    // the amplitude histograms.
    progress(Stage::Normalize, sample.windows.len());
    let outlier_cells: BTreeSet<(usize, &str)> = outliers
        .iter()
        .map(|o| (o.window, table.channels[o.channel as usize].as_str()))
        .collect();
    let finding_pairs: BTreeSet<(&str, &str)> = findings
        .iter()
        .map(|f| (f.recording.as_str(), f.channel.as_str()))
        .collect();
    let is_flagged = |window: usize, channel: &str| {
        outlier_cells.contains(&(window, channel))
            || windows.windows.get(window).is_some_and(|w| {
                let recording = windows.recordings[w.recording as usize].as_str();
                finding_pairs.contains(&(recording, channel))
            })
    };
    // The sample pass gathered the statistics; only the windows the plan
    // excludes or flags are decoded again.
    let (normalization, histograms, errors) = sums.finish(
        dataset,
        &windows,
        &config.read,
        |window, channel| exclusions.is_excluded(&windows, window, channel),
        is_flagged,
    );
    // The same windows failed in the feature pass; count them once.
    drop(errors);
    tracing::info!(
        "normalization measured: {:.3} s",
        clock.elapsed().as_secs_f64()
    );
    let spectra_mains = mains_hz.or_else(|| config.line.mains_hz.first().copied());
    let figures = Figures {
        recordings: figures::recording_outliers(&windows, &table, &outliers),
        histograms,
        spectra: spectra_mains.map_or_else(Vec::new, |hz| {
            figures::mains_spectra(&windows, &spectra, &findings, hz)
        }),
    };

    let read_problem_count = problems.len();
    problems.truncate(100);
    Audit {
        schema: SCHEMA,
        dataset: DatasetSummary {
            root: dataset.root.display().to_string(),
            layout: dataset.layout,
            subjects: windows.subjects.len(),
            recordings: windows.recordings.len(),
            unreadable: dataset
                .unreadable
                .iter()
                .map(|u| (u.path.display().to_string(), u.reason.clone()))
                .collect(),
            bytes: dataset_bytes(dataset),
            windows: windows.windows.len(),
            window_s: windows.duration_s,
            windows_skipped: windows.skipped.clone(),
        },
        sample: SampleSummary {
            size: sample_config.size,
            requested: sample.requested,
            sampled: sample.windows.len(),
            measured: measured.len(),
            confirmed_recordings: confirmed.into_iter().collect(),
            bytes_read: bytes_covered(&spans),
            strata: sample
                .strata
                .iter()
                .map(|s| AllocationRow {
                    subject: windows.subjects[s.subject as usize].clone(),
                    class: windows.classes[s.class as usize].clone(),
                    available: s.available,
                    share: s.share,
                    sampled: s.sampled,
                    allocation: s.allocation,
                })
                .collect(),
        },
        attribution,
        mains_hz,
        line_noise,
        findings,
        notes,
        exclusions,
        normalization,
        balance: balance(&windows),
        read_problems: problems,
        read_problem_count,
        figures,
        settings: Settings {
            window_source,
            ..Settings::of(config, sample_config.size)
        },
    }
}

/// Bytes of a dataset's recordings, or of its X.npy.
fn dataset_bytes(dataset: &Dataset) -> u64 {
    match &dataset.numpy {
        Some(np) => std::fs::metadata(dataset.root_of(&np.x)).map_or(0, |m| m.len()),
        None => dataset.recordings.iter().map(|r| r.bytes).sum(),
    }
}

/// Samples per window for every sampling rate of the dataset.
fn window_lengths(dataset: &Dataset, windows: &Windows, config: &AuditConfig) -> BTreeSet<usize> {
    let mut lengths = BTreeSet::new();
    for r in &dataset.recordings {
        for c in &r.channels {
            lengths.insert((windows.duration_s * c.sfreq_hz).round() as usize);
        }
    }
    if let (Some(np), Some(_)) = (&dataset.numpy, config.read.numpy_sfreq_hz) {
        lengths.insert(np.samples);
    }
    lengths
}

/// Of the windows the confirmation measures, every this many of each
/// recording get a spectrum on every channel; the others only on the
/// channels with a finding.
pub const CONFIRM_SPECTRUM_STRIDE: usize = 8;

/// What a measuring pass takes of each window besides its features.
#[derive(Clone, Copy)]
struct Pass<'a> {
    /// Whether the windows feed the normalization sums.
    normalize: bool,
    /// Which window × channel cells get a spectrum (with the line-noise
    /// and HF features it gives); `None` for all.
    spectra_of: Option<&'a SpectrumChoice>,
}

/// The cells of a pass that get a spectrum: every channel of some
/// windows, some channels of every window.
#[derive(Default)]
struct SpectrumChoice {
    /// Window indices whose every channel gets one.
    every_channel: BTreeSet<usize>,
    /// By recording, the channels that get one in every window.
    channels: BTreeMap<u32, BTreeSet<String>>,
}

impl Pass<'_> {
    /// The sample: everything.
    const SAMPLE: Pass<'static> = Pass {
        normalize: true,
        spectra_of: None,
    };
}

/// Features of the windows `indices`, with the spectra summed per
/// recording × channel into `spectra`, and the normalization sums of the
/// windows if `pass` asks.
#[allow(clippy::too_many_arguments)]
fn measure(
    dataset: &Dataset,
    windows: &Windows,
    indices: &[usize],
    config: &AuditConfig,
    maker: &FeatureMaker,
    so_far: &mut Measured,
    pass: Pass<'_>,
) -> FeatureTable {
    let Measured {
        spectra,
        spans,
        problems,
        normalization,
    } = so_far;
    let (acc, errors): (Gathered, _) = fold_windows(
        dataset,
        windows,
        indices,
        &config.read,
        || Gathered::new(maker),
        |acc: &mut Gathered, s| acc.add(maker, s, pass),
        Gathered::merge,
    );
    problems.extend(errors.into_iter().map(|e| ReadProblem {
        recording: e.path.display().to_string(),
        reason: e.reason,
    }));
    spectra.merge(acc.spectra);
    normalization.merge(acc.normalization);
    for (r, v) in acc.spans {
        spans.entry(r).or_default().extend(v);
    }
    FeatureTable::from_recordings(acc.rows)
}

/// What one measuring pass gathers, per recording and then merged.
struct Gathered {
    rows: Vec<RecordingRows>,
    spectra: SpectrumSums,
    spans: Spans,
    normalization: NormalizationSums,
    /// Working memory, kept across the windows of a recording.
    scratch: FeatureScratch,
    features: Vec<ChannelFeatures>,
    moments: Vec<Moments>,
}

impl Gathered {
    fn new(maker: &FeatureMaker) -> Gathered {
        Gathered {
            rows: Vec::new(),
            spectra: SpectrumSums::default(),
            spans: Spans::new(),
            normalization: NormalizationSums::default(),
            scratch: maker.scratch(),
            features: Vec::new(),
            moments: Vec::new(),
        }
    }

    /// Measures one decoded window.
    fn add(&mut self, maker: &FeatureMaker, s: &WindowSignals<'_>, pass: Pass<'_>) {
        let recording = s.window.recording;
        let spectra = &mut self.spectra;
        let some = match pass.spectra_of {
            Some(choice) if !choice.every_channel.contains(&s.index) => {
                Some(choice.channels.get(&recording))
            }
            _ => None,
        };
        maker.window_into(
            &mut self.scratch,
            s,
            &mut self.features,
            &mut self.moments,
            |c| match some {
                None => true,
                Some(channels) => channels.is_some_and(|set| set.contains(&s.channels[c].name)),
            },
            |c, psd| spectra.add(recording, &s.channels[c].name, psd),
        );
        // The windows of one recording share its channels, so their names
        // are kept once per recording (and per change, which cannot happen
        // within one file).
        let same = self.rows.last().is_some_and(|r| {
            r.recording == recording
                && r.channels.len() == s.channels.len()
                && r.channels.iter().zip(s.channels).all(|(a, b)| *a == b.name)
        });
        if !same {
            self.rows.push(RecordingRows {
                recording,
                channels: s.channels.iter().map(|c| c.name.clone()).collect(),
                rows: Vec::new(),
            });
        }
        if let Some(r) = self.rows.last_mut() {
            r.rows.push((s.index, self.features.clone()));
        }
        self.spans.entry(recording).or_default().push(s.span);
        if pass.normalize {
            self.normalization.add_measured(s, &self.moments);
        }
    }

    fn merge(&mut self, part: Gathered) {
        self.rows.extend(part.rows);
        self.spectra.merge(part.spectra);
        for (r, v) in part.spans {
            self.spans.entry(r).or_default().extend(v);
        }
        self.normalization.merge(part.normalization);
    }
}

/// What the measuring passes gather besides the features.
#[derive(Default)]
struct Measured {
    spectra: SpectrumSums,
    spans: Spans,
    problems: Vec<ReadProblem>,
    normalization: NormalizationSums,
}

/// Byte ranges decoded, per recording.
type Spans = BTreeMap<u32, Vec<(u64, u64)>>;

/// Bytes covered by the union of the ranges of each recording.
fn bytes_covered(spans: &Spans) -> u64 {
    let mut total = 0;
    for ranges in spans.values() {
        let mut sorted = ranges.clone();
        sorted.sort_unstable();
        let mut end = 0u64;
        for (a, b) in sorted {
            let a = a.max(end);
            if b > a {
                total += b - a;
                end = b;
            }
        }
    }
    total
}

/// The note on the recordings that no event made a window in, audited in
/// unlabelled windows of `class`.
fn tiles_note(windows: &Windows, class: u32) -> Note {
    let mut tiled: Vec<&str> = windows
        .windows
        .iter()
        .filter(|w| w.class == class)
        .map(|w| windows.recordings[w.recording as usize].as_str())
        .collect();
    tiled.dedup();
    let n = tiled.len();
    let named = match n {
        1..=3 => tiled.join(", "),
        _ => format!("{} and {} more", tiled[..3].join(", "), n - 3),
    };
    Note {
        kind: "unwindowed_recordings".to_string(),
        subject: None,
        text: format!(
            "{n} of {} recordings had no event to make a window from ({named}): {} audited in \
             unlabelled {:.2} s windows, which the class balance leaves out.",
            windows.recordings.len(),
            if n == 1 { "it was" } else { "they were" },
            windows.duration_s
        ),
    }
}

/// Mains line noise of one recording, from its channels' average
/// spectra.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingMains {
    /// Recording path.
    pub recording: String,
    /// The mains candidate most of its channels carry above the 4 dB rule,
    /// if any channel does.
    pub mains_hz: Option<f64>,
    /// Channels whose ratio at `mains_hz` passes the rule.
    pub channels_with_line: usize,
    /// Channels with a spectrum.
    pub channels: usize,
    /// Median ratio over its channels at `mains_hz`, dB.
    pub median_ratio_db: Option<f64>,
    /// The channel with the largest ratio, and that ratio in dB.
    pub worst: Option<(String, f64)>,
}

/// Per recording, which mains its channels carry; and the dataset's mains
/// frequency (the one most recordings carry), with a note when most
/// recordings carry it.
fn mains_lines(
    windows: &Windows,
    spectra: &SpectrumSums,
    config: &LineNoiseConfig,
    notes: &mut Vec<Note>,
) -> (Vec<RecordingMains>, Option<f64>) {
    let threshold = 10f64.powf(config.threshold_db / 10.0);
    let mut by_recording: BTreeMap<u32, Vec<spectra::ChannelLine>> = BTreeMap::new();
    for line in spectra.lines(config) {
        by_recording.entry(line.recording).or_default().push(line);
    }
    let mut out = Vec::new();
    let mut votes: BTreeMap<u64, usize> = BTreeMap::new();
    // Recordings whose spectra reach a mains candidate with its flanks: a
    // recording sampled at 100 Hz can carry no line at 50 or 60 Hz to
    // count, for or against.
    let mut resolving = 0;
    for (recording, lines) in by_recording {
        if lines.iter().any(|l| !l.ratios.is_empty()) {
            resolving += 1;
        }
        // The candidate with the most channels over the rule.
        let mut best: Option<(f64, usize)> = None;
        for &hz in &config.mains_hz {
            let n = lines
                .iter()
                .filter(|l| l.ratios.iter().any(|&(f, r)| f == hz && r >= threshold))
                .count();
            if n > 0 && best.is_none_or(|(_, m)| n > m) {
                best = Some((hz, n));
            }
        }
        let (mains_hz, channels_with_line) = match best {
            Some((hz, n)) => (Some(hz), n),
            None => (None, 0),
        };
        let db = |r: f64| 10.0 * r.log10();
        let at =
            |l: &spectra::ChannelLine, hz: f64| l.ratios.iter().find(|r| r.0 == hz).map(|r| r.1);
        let (median_ratio_db, worst) = match mains_hz {
            Some(hz) => {
                let mut ratios: Vec<(f64, &str)> = lines
                    .iter()
                    .filter_map(|l| at(l, hz).map(|r| (r, l.channel.as_str())))
                    .collect();
                ratios.sort_by(|a, b| a.0.total_cmp(&b.0));
                let median = ratios.get(ratios.len() / 2).map(|r| db(r.0));
                let worst = ratios.last().map(|r| (r.1.to_string(), db(r.0)));
                (median, worst)
            }
            None => (None, None),
        };
        if let Some(hz) = mains_hz {
            *votes.entry(hz as u64).or_insert(0) += 1;
        }
        out.push(RecordingMains {
            recording: windows.recordings[recording as usize].clone(),
            mains_hz,
            channels_with_line,
            channels: lines.len(),
            median_ratio_db,
            worst,
        });
    }
    let dataset_hz = votes
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(&hz, &n)| (hz as f64, n));
    if let Some((hz, n)) = dataset_hz {
        let with: Vec<&RecordingMains> = out.iter().filter(|r| r.mains_hz == Some(hz)).collect();
        let channels: usize = with.iter().map(|r| r.channels_with_line).sum();
        let total: usize = with.iter().map(|r| r.channels).sum();
        if 2 * n >= resolving {
            let of = match out.len() - resolving {
                0 => format!("{resolving} recordings"),
                slow => format!(
                    "the {resolving} recordings sampled fast enough to show it ({slow} more \
                     are not)"
                ),
            };
            notes.push(Note {
                kind: "dataset_mains".to_string(),
                subject: None,
                text: format!(
                    "{n} of {of} carry {hz:.0} Hz line noise, on {channels} of their \
                     {total} channels (zapline-plus's 4 dB rule, on the average spectrum of the \
                     measured windows): the data were recorded near {hz:.0} Hz mains; a notch \
                     or zapline filter at {hz:.0} Hz and its harmonics helps every recording."
                ),
            });
        }
    }
    (out, dataset_hz.map(|(hz, _)| hz))
}

/// How far over its flanks, in dB, the strongest channel's line must be
/// for a recording's mains to be set against its sidecar's.
pub const DECLARED_LINE_MIN_DB: f64 = 10.0;

/// A note when recordings carry their line at another frequency than the
/// `PowerLineFrequency` their BIDS sidecars declare: one sentence per
/// pair of declared and measured frequencies. A recording's line counts
/// when its strongest channel is 10 dB over the flanks
/// ([`DECLARED_LINE_MIN_DB`]): one channel of 32 passes the 4 dB rule at
/// one candidate or the other by chance often enough on a few sampled
/// seconds.
fn declared_mains_note(
    dataset: &Dataset,
    windows: &Windows,
    lines: &[RecordingMains],
) -> Option<Note> {
    let declared: BTreeMap<&str, f64> = windows
        .recordings
        .iter()
        .zip(&dataset.recordings)
        .filter_map(|(name, r)| Some((name.as_str(), r.power_line_hz?)))
        .collect();
    // (declared, measured) in tenths of Hz -> recordings; and how many
    // recordings with both agree.
    let mut differ: BTreeMap<(u64, u64), Vec<&str>> = BTreeMap::new();
    let mut agree = 0;
    for l in lines {
        let (Some(&said), Some(hz)) = (declared.get(l.recording.as_str()), l.mains_hz) else {
            continue;
        };
        if l.worst.as_ref().is_none_or(|w| w.1 < DECLARED_LINE_MIN_DB) {
            continue;
        }
        if same_mains(said, hz) {
            agree += 1;
        } else {
            let tenths = |f: f64| (f * 10.0).round() as u64;
            differ
                .entry((tenths(said), tenths(hz)))
                .or_default()
                .push(&l.recording);
        }
    }
    if differ.is_empty() {
        return None;
    }
    let sentences: Vec<String> = differ
        .iter()
        .map(|(&(said, hz), names)| {
            let (said, hz) = (said as f64 / 10.0, hz as f64 / 10.0);
            let who = match names.len() {
                1 => format!("{} carries", names[0]),
                n => format!("{n} recordings ({} and others) carry", names[0]),
            };
            format!(
                "{who} line noise at {hz} Hz where the BIDS sidecar declares \
                 PowerLineFrequency {said} Hz"
            )
        })
        .collect();
    let agreeing = match agree {
        0 => String::new(),
        1 => " (1 recording agrees with its sidecar)".to_string(),
        n => format!(" ({n} recordings agree with their sidecars)"),
    };
    Some(Note {
        kind: "declared_mains".to_string(),
        subject: None,
        text: format!(
            "{}{agreeing}: a notch or zapline filter set from the sidecars would miss the \
             line; filter at the measured frequency and correct PowerLineFrequency.",
            sentences.join("; ")
        ),
    })
}

/// A note when the signals carry DC offsets large against their
/// variability almost everywhere (unreferenced or DC-coupled recordings).
fn offsets_note(table: &FeatureTable) -> Option<Note> {
    let mut means = Vec::new();
    let mut stds = Vec::new();
    for f in table.rows.iter().flat_map(|r| r.channels.iter().flatten()) {
        if let (Some(m), Some(s)) = (f.mean_uv, f.std_uv) {
            means.push(f64::from(m).abs());
            stds.push(f64::from(s));
        }
    }
    // The middle element, as a sort would place it, without the sort.
    let median = |v: &mut Vec<f64>| {
        let middle = v.len() / 2;
        (middle < v.len()).then(|| *v.select_nth_unstable_by(middle, f64::total_cmp).1)
    };
    let (m, s) = (median(&mut means)?, median(&mut stds)?);
    (m > 100.0 && m > 10.0 * s).then(|| Note {
        kind: "dc_offsets".to_string(),
        subject: None,
        text: format!(
            "Most windows carry a DC offset (median |mean| {m:.0} µV against a median std of \
             {s:.0} µV): the data look unreferenced or DC-coupled; re-reference, high-pass or \
             subtract each window's mean before normalizing."
        ),
    })
}
