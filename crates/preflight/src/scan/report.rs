//! The scan report: every recording's summary, merged into subject and
//! dataset summaries, and its JSON form.
//!
//! # JSON format (`preflight.scan/2`)
//!
//! `preflight scan -o OUT.json` writes one JSON object; `preflight merge`
//! reads such objects and writes another. Objects are written with fields
//! in the order below; readers should ignore fields they do not know, and
//! a change that removes or changes the meaning of a field gets a new
//! schema version.
//!
//! - `schema`: the string `"preflight.scan/2"`. Reports of
//!   `preflight.scan/1`, whose sketch counts are dense lists and whose
//!   spectra are in double precision, are read as well.
//! - `root`: the dataset path as given to the scan (of the first input,
//!   for a merge).
//! - `shards`: the shards covered, as `{"index": K, "count": N}` objects;
//!   empty when the report covers the whole dataset (no `--shard`, or a
//!   merge of all `N` shards of one split).
//! - `settings`: what the measures were run with; merging needs equal
//!   settings. `flat_window_s` (window of the flat-window share),
//!   `welch_overlap` (overlap of Welch segments, as a share of the
//!   segment), `sketch` (`relative_accuracy` and `min_magnitude` of the
//!   quantile sketch) and `line_noise` (candidates `mains_hz` and the
//!   peak, flank and threshold settings of the line-noise ratio), and
//!   `prep` (PyPREP's thresholds, only when its criteria were judged).
//! - `dataset`: a *group* (below) over every recording.
//! - `subjects`: one group per subject, by subject label; `subject` names
//!   it.
//! - `recordings`: one object per recording read, by path: `path`
//!   (relative to `root`, `/`-separated), `subject`, `session`, `task`,
//!   `run` (`null` when absent), `format` (`EDF`, `EDF+C`, `BDF`, …),
//!   `duration_s`, `records`, `bytes`, `mains` (`mains_hz`, the detected
//!   mains frequency or `null`, and `ratios_db`, `[candidate_hz, ratio_db
//!   or null]` pairs measured on the channel-mean log spectrum),
//!   `declared_mains_hz` (the `PowerLineFrequency` of its BIDS sidecar;
//!   absent when none declares one), `channels` (channel objects, in
//!   file order) and, when the scan judged them, `prep`: PyPREP's criteria
//!   on the recording's EEG channels at their most common rate
//!   (`sfreq_hz`, `windows`, `median_amplitude_uv`,
//!   `median_hf_noise_ratio`, and `channels`, one object per judged
//!   channel with `name`, the flags `nan`, `flat`, `deviation`,
//!   `hf_noise`, `correlation`, `snr`, `dropout`, and the statistics
//!   behind them: `amplitude_uv`, `deviation_z`, `hf_noise_ratio`,
//!   `hf_noise_z`, `bad_correlation_fraction`, `median_max_correlation`,
//!   `dropout_fraction`).
//! - `unreadable`: `{"path", "reason"}` for each file that could not be
//!   read, by path. These are in no summary.
//!
//! A group has `subject` (`null` for the dataset), `recordings`,
//! `duration_s`, `bytes`, `mains_hz` (the frequency most of its
//! recordings detected, or `null`), `mains_votes` (`votes`,
//! `[frequency_hz, recordings]` pairs, and `none`, recordings without a
//! detected line) and `channels`: one channel object per distinct (name,
//! rate), in order of first appearance, merged over its recordings.
//!
//! A channel object holds, first, numbers read off the measures, in the
//! channel's unit (µV for voltages): `name`, `kind` (BIDS type), `unit`,
//! `sfreq_hz`, `samples` (all samples), `mean`, `std` (ddof 0), `min`,
//! `max` (finite samples), `median`, `iqr`, `mad` (sketch estimates; see
//! [`super::ChannelSummary`] for their bounds), `clipped_fraction`
//! (samples at the digital limits), `flat_fraction` (one-second windows
//! without any change), `longest_flat_s` (longest run of identical
//! samples) and `line_noise` (`{"freq_hz", "harmonic", "ratio"}` for each
//! mains candidate and harmonic below Nyquist: power at the line over the
//! flanking band, 1 without a line). Any of these is `null` when
//! undefined (no finite sample, no complete window). Then the mergeable
//! state of each measure, as the measure serializes it: `moments`
//! (`count` finite, `nan`, `pos_inf`, `neg_inf`, `min`, `max`, `mean`,
//! `m2` the sum of squared deviations), `sketch` (`offset` and
//! `counts` of the quantile sketch's buckets of each sign, a run of
//! `k >= 2` empty buckets written as `-k`), `histogram` (`counts` of the
//! 90 bins of `|x|`, ten per decade from 1e-3 to 1e6 µV, then `zero`,
//! `underflow`, `overflow`, `nan`), `clipping` (`at_min`, `at_max`, `count`), `flat`
//! (`longest_run` in samples, `windows`, `flat_windows`) and `spectrum`
//! (`sfreq_hz`, `segment_len`, `overlap`, `segments`, and `power`, the
//! Welch density in µV²/Hz at `k · sfreq_hz / segment_len` Hz, in single
//! precision), or `null` when the channel is shorter than one segment.
//!
//! Floating-point numbers are written in the shortest form that reads
//! back to the same value (of an f32 for `power`, of an f64 for the
//! others), so a report read and written again is byte-identical; the
//! same inputs and settings give byte-identical reports whatever the
//! number of threads.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::channel::ChannelSummary;
use super::recording::RecordingSummary;
use super::shard::Shard;
use crate::error::Error;
use crate::measure::line_noise::{LineNoiseConfig, MainsVotes};
use crate::measure::prep::PrepConfig;
use crate::measure::sketch::SketchConfig;

/// Version of the JSON format.
pub const SCHEMA: &str = "preflight.scan/2";

/// Earlier schemas [`ScanReport::from_json`] reads.
const READABLE: &[&str] = &[SCHEMA, "preflight.scan/1"];

/// The settings a report was made with; see the module documentation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanSettings {
    /// Length of the windows of the flat-window share, seconds.
    pub flat_window_s: f64,
    /// Overlap of consecutive Welch segments, as a share of a segment.
    pub welch_overlap: f64,
    /// The quantile sketch's accuracy.
    pub sketch: SketchConfig,
    /// Where line noise is looked for.
    pub line_noise: LineNoiseConfig,
    /// PyPREP's thresholds, when its criteria were judged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prep: Option<PrepConfig>,
}

/// A file that could not be read, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnreadableFile {
    /// Path relative to the dataset root.
    pub path: PathBuf,
    /// What went wrong, naming the field or record at fault.
    pub reason: String,
}

/// Channels merged over a set of recordings: a subject or a dataset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// The subject; `None` for the dataset.
    pub subject: Option<String>,
    /// Recordings merged.
    pub recordings: u64,
    /// Their recorded time, seconds.
    pub duration_s: f64,
    /// Their size, bytes.
    pub bytes: u64,
    /// The mains frequency most recordings detected.
    pub mains_hz: Option<f64>,
    /// The recordings' mains detections.
    pub mains_votes: MainsVotes,
    /// One summary per distinct (name, rate), in order of first
    /// appearance.
    pub channels: Vec<ChannelSummary>,
}

impl GroupSummary {
    /// Merges `recordings`, in the order given.
    pub fn of<'a>(
        subject: Option<String>,
        recordings: impl IntoIterator<Item = &'a RecordingSummary>,
        line: &LineNoiseConfig,
    ) -> GroupSummary {
        let mut g = GroupSummary {
            subject,
            recordings: 0,
            duration_s: 0.0,
            bytes: 0,
            mains_hz: None,
            mains_votes: MainsVotes::default(),
            channels: Vec::new(),
        };
        let mut index: HashMap<(String, u64), usize> = HashMap::new();
        for r in recordings {
            g.recordings += 1;
            g.duration_s += r.duration_s;
            g.bytes += r.bytes;
            g.mains_votes.add(r.mains.mains_hz);
            for c in &r.channels {
                let key = (c.name.clone(), c.sfreq_hz.to_bits());
                match index.get(&key) {
                    Some(&i) => g.channels[i].merge_state(c),
                    None => {
                        index.insert(key, g.channels.len());
                        g.channels.push(c.clone());
                    }
                }
            }
        }
        for c in &mut g.channels {
            c.refresh(line);
        }
        g.mains_hz = g.mains_votes.mains_hz();
        g
    }
}

/// Everything a scan found; serializes to the JSON format above.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// [`SCHEMA`].
    pub schema: String,
    /// The dataset path as given.
    pub root: PathBuf,
    /// The shards covered; empty for the whole dataset.
    pub shards: Vec<Shard>,
    /// What the measures were run with.
    pub settings: ScanSettings,
    /// All recordings merged.
    pub dataset: GroupSummary,
    /// Per subject, by subject label.
    pub subjects: Vec<GroupSummary>,
    /// Per recording, by path.
    pub recordings: Vec<RecordingSummary>,
    /// Files that could not be read, by path.
    pub unreadable: Vec<UnreadableFile>,
}

impl ScanReport {
    /// A report of `recordings` and `unreadable`, sorted by path, with the
    /// subject and dataset summaries merged from the recordings in that
    /// order.
    pub fn new(
        root: PathBuf,
        shards: Vec<Shard>,
        settings: ScanSettings,
        mut recordings: Vec<RecordingSummary>,
        mut unreadable: Vec<UnreadableFile>,
    ) -> ScanReport {
        recordings.sort_by(|a, b| a.path.cmp(&b.path));
        unreadable.sort_by(|a, b| a.path.cmp(&b.path));
        let line = &settings.line_noise;
        let mut by_subject: BTreeMap<&str, Vec<&RecordingSummary>> = BTreeMap::new();
        for r in &recordings {
            by_subject.entry(&r.subject).or_default().push(r);
        }

        // The dataset and each subject merged in parallel; each group's
        // merge order is that of its recordings, whatever the threads.
        let groups: Vec<(Option<&str>, Vec<&RecordingSummary>)> =
            std::iter::once((None, recordings.iter().collect()))
                .chain(by_subject.into_iter().map(|(s, rs)| (Some(s), rs)))
                .collect();
        let mut subjects: Vec<GroupSummary> = groups
            .into_par_iter()
            .map(|(s, rs)| GroupSummary::of(s.map(str::to_string), rs, line))
            .collect();
        let dataset = subjects.remove(0);
        ScanReport {
            schema: SCHEMA.to_string(),
            root,
            shards,
            settings,
            dataset,
            subjects,
            recordings,
            unreadable,
        }
    }

    /// Reads a report written by `preflight scan` or `preflight merge`;
    /// `path` names it in errors.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when the bytes are not JSON of this schema or an
    /// earlier one.
    pub fn from_json(bytes: &[u8], path: &Path) -> Result<ScanReport, Error> {
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::invalid(path, "JSON", e.to_string()))?;
        let schema = value.get("schema").and_then(|s| s.as_str());
        if !schema.is_some_and(|s| READABLE.contains(&s)) {
            return Err(Error::invalid(
                path,
                "schema",
                format!("found {schema:?}, expected \"{SCHEMA}\" (a preflight scan output)"),
            ));
        }
        let mut report: ScanReport = serde_json::from_value(value)
            .map_err(|e| Error::invalid(path, "report", e.to_string()))?;
        // Held in memory, it is the current schema's, as it will be written.
        report.schema = SCHEMA.to_string();
        Ok(report)
    }

    /// The report as JSON, on one line.
    pub fn to_json(&self) -> String {
        String::from_utf8(self.to_json_bytes()).expect("serde_json writes UTF-8")
    }

    /// The report as JSON, on one line: the bytes `serde_json::to_vec`
    /// gives.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        // Memory takes every byte; serde_json fails only on a map with
        // non-string keys, and a report holds none.
        self.write_json(&mut out)
            .expect("a report serializes to memory");
        out
    }

    /// Writes the report as JSON, on one line, to `w`: the bytes
    /// `serde_json::to_writer` writes, with the subjects and recordings
    /// serialized in parallel (a scan of 80 recordings of 32 channels is
    /// 22 MB of JSON).
    ///
    /// # Errors
    ///
    /// Those of `w`.
    pub fn write_json(&self, w: &mut (impl std::io::Write + Send)) -> std::io::Result<()> {
        fn put(w: &mut impl std::io::Write, value: &impl Serialize) -> std::io::Result<()> {
            serde_json::to_writer(w, value).map_err(std::io::Error::other)
        }
        fn array<T: Serialize + Sync>(
            w: &mut (impl std::io::Write + Send),
            items: &[T],
        ) -> std::io::Result<()> {
            // A few items per thread at a time, so that the text held at
            // once stays a small part of the report; each batch is
            // written while the next is serialized.
            let batch = 4 * rayon::current_num_threads().max(1);
            let serialize = |chunk: &[T]| -> std::io::Result<Vec<Vec<u8>>> {
                chunk
                    .par_iter()
                    .map(|item| serde_json::to_vec(item).map_err(std::io::Error::other))
                    .collect()
            };
            let mut first = true;
            let mut write = |parts: Vec<Vec<u8>>| -> std::io::Result<()> {
                for part in &parts {
                    if !first {
                        w.write_all(b",")?;
                    }
                    first = false;
                    w.write_all(part)?;
                }
                Ok(())
            };
            let mut ready: Vec<Vec<u8>> = Vec::new();
            for chunk in items.chunks(batch) {
                let written = std::mem::take(&mut ready);
                let (next, done) = rayon::join(|| serialize(chunk), || write(written));
                done?;
                ready = next?;
            }
            write(ready)
        }
        // Every field in declaration order, as the derived Serialize
        // writes them; the test `to_json_bytes_is_serde_json` holds the
        // two equal.
        let ScanReport {
            schema,
            root,
            shards,
            settings,
            dataset,
            subjects,
            recordings,
            unreadable,
        } = self;
        w.write_all(b"{\"schema\":")?;
        put(w, schema)?;
        w.write_all(b",\"root\":")?;
        put(w, root)?;
        w.write_all(b",\"shards\":")?;
        put(w, shards)?;
        w.write_all(b",\"settings\":")?;
        put(w, settings)?;
        w.write_all(b",\"dataset\":")?;
        put(w, dataset)?;
        w.write_all(b",\"subjects\":[")?;
        array(w, subjects)?;
        w.write_all(b"],\"recordings\":[")?;
        array(w, recordings)?;
        w.write_all(b"]")?;
        w.write_all(b",\"unreadable\":")?;
        put(w, unreadable)?;
        w.write_all(b"}")
    }

    /// Merges the reports of the shards of one scan: the union of their
    /// recordings and unreadable files, summarised again. The result does
    /// not depend on the order of `reports`, and merging all shards of a
    /// split gives the report of one pass over the dataset, byte for byte.
    /// `names` name the reports in errors.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when there is no report, when settings differ, or
    /// when a recording appears in two reports (overlapping shards would
    /// count it twice).
    pub fn merge(reports: Vec<ScanReport>, names: &[String]) -> Result<ScanReport, Error> {
        let name = |i: usize| {
            names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("input {i}"))
        };
        let Some(first) = reports.first() else {
            return Err(Error::Config {
                option: "merge".into(),
                reason: "no reports given".into(),
            });
        };
        let root = first.root.clone();
        let settings = first.settings.clone();
        let mut shards: Vec<Shard> = Vec::new();
        let mut seen: HashMap<PathBuf, usize> = HashMap::new();
        let mut recordings = Vec::new();
        let mut unreadable = Vec::new();
        for (i, r) in reports.into_iter().enumerate() {
            if r.settings != settings {
                return Err(Error::Config {
                    option: "merge".into(),
                    reason: format!(
                        "{} was scanned with other settings than {}; scan all shards alike",
                        name(i),
                        name(0)
                    ),
                });
            }
            shards.extend(r.shards);
            let paths = r
                .recordings
                .iter()
                .map(|x| &x.path)
                .chain(r.unreadable.iter().map(|u| &u.path));
            for p in paths {
                if let Some(j) = seen.insert(p.clone(), i) {
                    return Err(Error::Config {
                        option: "merge".into(),
                        reason: format!(
                            "{} is in both {} and {}: merge the outputs of distinct shards",
                            p.display(),
                            name(j),
                            name(i)
                        ),
                    });
                }
            }
            recordings.extend(r.recordings);
            unreadable.extend(r.unreadable);
        }
        Ok(ScanReport::new(
            root,
            covered(shards),
            settings,
            recordings,
            unreadable,
        ))
    }
}

/// The shards a merge covers, sorted; empty when they are all shards of
/// one split (or none).
fn covered(mut shards: Vec<Shard>) -> Vec<Shard> {
    shards.sort_by_key(|s| (s.count, s.index));
    shards.dedup();
    let complete = shards.first().is_some_and(|s| {
        let n = s.count;
        shards.len() == n as usize && shards.iter().all(|t| t.count == n)
    });
    if complete {
        Vec::new()
    } else {
        shards
    }
}
