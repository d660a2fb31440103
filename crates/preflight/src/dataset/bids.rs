//! BIDS EEG and iEEG datasets.
//!
//! Recordings are the `sub-*/[ses-*/]{eeg,ieeg}/*_{eeg,ieeg}.{edf,bdf}`
//! files. Subject, session, task, acquisition and run come from the file
//! name's entities. Each recording's `*_events.tsv` (columns `onset`,
//! `duration`, and the label column, default `trial_type`),
//! `*_channels.tsv` (`name`, `type`, `units`, optional `status` and
//! `status_description`) and the `PowerLineFrequency` of its
//! `*_{eeg,ieeg}.json` are found by the BIDS inheritance principle
//! ([`super::inherit`]): beside the recording or in a folder above it,
//! with a subset of its entities; `participants.tsv` is read from the
//! root.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::folder::Walk;
use super::inherit::Sidecars;
use super::Unreadable;
use super::{folder, relative, Dataset, DiscoverConfig, Event, EventsSource, Layout, Recording};
use crate::error::Error;
use crate::tsv::Table;

/// Whether a folder looks like a BIDS dataset: it has a
/// `dataset_description.json` or `sub-*` folders.
pub fn is_bids(root: &Path) -> bool {
    if root.join("dataset_description.json").is_file() {
        return true;
    }
    std::fs::read_dir(root).is_ok_and(|entries| {
        entries.flatten().any(|e| {
            e.file_name().to_string_lossy().starts_with("sub-")
                && e.file_type().is_ok_and(|t| t.is_dir())
        })
    })
}

/// The value of a BIDS entity (`sub`, `ses`, `task`, `acq`, `run`) in a file
/// name, e.g. `entity("sub-07_task-oddball_run-2_eeg.edf", "run")` is `2`.
///
/// ```
/// use preflight::dataset::bids::entity;
/// let name = "sub-07_ses-01_task-oddball_run-2_eeg.edf";
/// assert_eq!(entity(name, "sub"), Some("07"));
/// assert_eq!(entity(name, "run"), Some("2"));
/// assert_eq!(entity(name, "acq"), None);
/// ```
pub fn entity<'a>(file_name: &'a str, key: &str) -> Option<&'a str> {
    let stem = file_name.split('.').next().unwrap_or(file_name);
    stem.split('_').find_map(|part| {
        let (k, v) = part.split_once('-')?;
        (k == key && !v.is_empty()).then_some(v)
    })
}

/// Sets session, task, acquisition and run from the recording's file name.
pub(crate) fn fill_entities(r: &mut Recording) {
    let name = r
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    r.session = entity(&name, "ses").map(str::to_string);
    r.task = entity(&name, "task").map(str::to_string);
    r.acquisition = entity(&name, "acq").map(str::to_string);
    r.run = entity(&name, "run").map(str::to_string);
}

/// Discovers a BIDS dataset.
///
/// # Errors
///
/// [`Error::Io`] if the root cannot be listed; [`Error::NotADataset`] if it
/// holds no EEG/iEEG recordings.
pub fn discover(root: &Path, config: &DiscoverConfig) -> Result<Dataset, Error> {
    let clock = std::time::Instant::now();
    let Walk {
        recordings: files,
        unsupported: mut unreadable,
        metadata,
    } = folder::walk(root)?;
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| is_recording(p, root))
        .collect();
    let sidecars = Sidecars::index(root, &metadata);
    // Unsupported recordings count only inside subject folders.
    unreadable.retain(|u| {
        u.path
            .components()
            .next()
            .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with("sub-"))
    });
    if files.is_empty() && unreadable.is_empty() {
        return Err(Error::NotADataset {
            path: root.to_path_buf(),
            reason: "a BIDS folder, but no sub-*/[ses-*/]{eeg,ieeg}/*_{eeg,ieeg}.{edf,bdf} files"
                .into(),
        });
    }
    let subject_of = |rel: &Path| {
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        match (&config.subject_pattern, entity(&name, "sub")) {
            (Some(re), _) => re
                .captures(&rel.to_string_lossy())
                .and_then(|c| c.name("subject"))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
            (None, Some(sub)) => sub.to_string(),
            (None, None) => String::new(),
        }
    };
    // The metadata of each recording, and the JSON sidecars they share.
    let found: Vec<Found> = files.par_iter().map(|f| Found::of(f, &sidecars)).collect();
    let json: BTreeSet<&Path> = found
        .iter()
        .flat_map(|f| f.json.files.iter().map(PathBuf::as_path))
        .collect();
    let found: BTreeMap<&Path, &Found> = files.iter().map(PathBuf::as_path).zip(&found).collect();
    // A recording with an events.tsv needs no annotations; unless asked to
    // check every record now, it is opened lazily and its records are
    // checked when read.
    let lazily = |path: &Path| {
        !config.read_every_record && found.get(path).is_some_and(|f| f.events.is_some())
    };
    // Headers and sidecars asked for together, before any is waited on.
    {
        use super::prefetch::{ask_for, Part};
        let tables = found
            .values()
            .flat_map(|f| [&f.events, &f.channels])
            .flatten()
            .map(PathBuf::as_path);
        let small: Vec<&Path> = tables.chain(json.iter().copied()).collect();
        ask_for(
            files
                .par_iter()
                .map(|f| (f.as_path(), Part::Ends))
                .chain(small.into_par_iter().map(|f| (f, Part::All))),
        );
    }
    let read: Vec<(&Path, Result<PowerLine, Error>)> = json
        .into_par_iter()
        .map(|f| (f, read_power_line(f)))
        .collect();
    let mut power_lines = BTreeMap::new();
    for (f, r) in read {
        match r {
            Ok(line) => {
                power_lines.insert(f, line);
            }
            Err(e) => unreadable.push(sidecar_problem(e, root)),
        }
    }
    for f in found.values() {
        for (left_out, kept) in &f.ambiguous {
            unreadable.push(Unreadable {
                path: relative(left_out, root),
                reason: format!(
                    "applies to the recordings below its folder as much as {} does, and BIDS \
                     allows one such file per folder: left out",
                    relative(kept, root).display()
                ),
            });
        }
    }
    let (mut recordings, bad) = folder::open_all(root, &files, subject_of, lazily);
    unreadable.extend(bad);

    tracing::info!(
        "{} recordings opened: {:.3} s",
        recordings.len(),
        clock.elapsed().as_secs_f64()
    );

    // Sidecars, read in parallel (a dataset has one events.tsv per
    // recording); their problems are kept in recording order.
    let problems: Vec<Vec<Unreadable>> = recordings
        .par_iter_mut()
        .map(|r| {
            let mut problems = Vec::new();
            let path = root.join(&r.path);
            let Some(found) = found.get(path.as_path()) else {
                return problems;
            };
            r.power_line_hz = found.power_line(&power_lines);
            if let Err(e) = read_events(found.events.as_deref(), r, config) {
                problems.push(sidecar_problem(e, root));
                // Opened lazily for its events.tsv, the recording has no
                // annotations yet; with the table unreadable they are its
                // events.
                if lazily(&path) {
                    if let Ok(full) = super::open_recording(&path, &r.path) {
                        r.events = full.events;
                        r.events_source = full.events_source;
                    }
                }
            }
            if let Err(e) = read_channels(found.channels.as_deref(), r) {
                problems.push(sidecar_problem(e, root));
            }
            problems
        })
        .collect();
    unreadable.extend(problems.into_iter().flatten());
    let participants = match read_participants(root) {
        Ok(p) => p,
        Err(e) => {
            unreadable.push(sidecar_problem(e, root));
            BTreeMap::new()
        }
    };
    unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    // A file left out for several recordings is named once.
    unreadable.dedup();
    tracing::info!("sidecars read: {:.3} s", clock.elapsed().as_secs_f64());
    Ok(Dataset {
        root: root.to_path_buf(),
        layout: Layout::Bids,
        recordings,
        numpy: None,
        participants,
        unreadable,
    })
}

/// Whether a file is a BIDS EEG/iEEG recording inside a subject folder.
fn is_recording(path: &Path, root: &Path) -> bool {
    let rel = relative(path, root);
    let in_subject = rel
        .components()
        .next()
        .is_some_and(|c| c.as_os_str().to_string_lossy().starts_with("sub-"));
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    in_subject && (stem.ends_with("_eeg") || stem.ends_with("_ieeg"))
}

fn sidecar_problem(e: Error, root: &Path) -> Unreadable {
    match e {
        Error::Invalid {
            path,
            field,
            reason,
        } => Unreadable {
            path: relative(&path, root),
            reason: format!("{field}: {reason}"),
        },
        Error::Io { path, error } => Unreadable {
            path: relative(&path, root),
            reason: error.to_string(),
        },
        other => Unreadable {
            path: PathBuf::new(),
            reason: other.to_string(),
        },
    }
}

/// The metadata files that apply to one recording.
struct Found {
    events: Option<PathBuf>,
    channels: Option<PathBuf>,
    /// Its `*_eeg.json` (or `*_ieeg.json`) files, from the root down.
    json: super::inherit::Applicable,
    /// Files left out because another of their folder applies as much.
    ambiguous: Vec<(PathBuf, PathBuf)>,
}

impl Found {
    fn of(recording: &Path, sidecars: &Sidecars) -> Found {
        // `eeg` or `ieeg`, as `is_recording` admits them.
        let suffix = super::inherit::suffix(recording).unwrap_or_else(|| "eeg".to_string());
        let events = sidecars.applicable(recording, "events", "tsv");
        let channels = sidecars.applicable(recording, "channels", "tsv");
        let json = sidecars.applicable(recording, &suffix, "json");
        let ambiguous = [&events, &channels, &json]
            .into_iter()
            .flat_map(|a| a.ambiguous.iter().cloned())
            .collect();
        Found {
            events: events.files.last().cloned(),
            channels: channels.files.last().cloned(),
            json,
            ambiguous,
        }
    }

    /// The `PowerLineFrequency` of the nearest JSON sidecar that states it.
    /// Files that could not be read say nothing.
    fn power_line(&self, read: &BTreeMap<&Path, PowerLine>) -> Option<f64> {
        self.json
            .files
            .iter()
            .rev()
            .find_map(|f| match read.get(f.as_path()) {
                Some(PowerLine::Hz(hz)) => Some(Some(*hz)),
                Some(PowerLine::NotApplicable) => Some(None),
                Some(PowerLine::Absent) | None => None,
            })
            .flatten()
    }
}

/// What a JSON sidecar says of the mains frequency.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PowerLine {
    /// No `PowerLineFrequency` key: a file above or below may say it.
    Absent,
    /// `"n/a"`.
    NotApplicable,
    /// A frequency in Hz.
    Hz(f64),
}

/// The `PowerLineFrequency` of a JSON sidecar. The error's text names the
/// field and what was expected.
fn read_power_line(path: &Path) -> Result<PowerLine, Error> {
    let text = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    let value: serde_json::Value = serde_json::from_slice(&text)
        .map_err(|e| Error::invalid(path, "content", format!("not valid JSON ({e})")))?;
    let serde_json::Value::Object(map) = value else {
        return Err(Error::invalid(
            path,
            "content",
            "expected a JSON object of metadata keys",
        ));
    };
    let field = "PowerLineFrequency";
    match map.get(field) {
        None => Ok(PowerLine::Absent),
        Some(serde_json::Value::String(s)) if s == "n/a" => Ok(PowerLine::NotApplicable),
        Some(v) => match v.as_f64() {
            Some(hz) if hz > 0.0 && hz.is_finite() => Ok(PowerLine::Hz(hz)),
            _ => Err(Error::invalid(
                path,
                field,
                format!("{v} is not a frequency; expected a number of Hz above 0, or \"n/a\""),
            )),
        },
    }
}

/// Replaces a recording's events with those of its `events.tsv`, if any.
fn read_events(
    tsv: Option<&Path>,
    r: &mut Recording,
    config: &DiscoverConfig,
) -> Result<(), Error> {
    let Some(tsv) = tsv else {
        return Ok(());
    };
    let table = Table::read(tsv, &["onset", "duration"])?;
    let onset = table.column("onset");
    let duration = table.column("duration");
    let label = table
        .column(&config.label_column)
        .or_else(|| table.column("value"));
    let mut events = Vec::with_capacity(table.rows.len());
    for (i, row) in table.rows.iter().enumerate() {
        let number = |col: Option<usize>, name: &str| -> Result<Option<f64>, Error> {
            match table.cell(row, col) {
                None => Ok(None),
                Some(v) => v.parse::<f64>().map(Some).map_err(|_| {
                    Error::invalid(
                        tsv,
                        format!("row {} column `{name}`", i + 2),
                        format!("{v:?} is not a number of seconds"),
                    )
                }),
            }
        };
        let Some(onset_s) = number(onset, "onset")? else {
            return Err(Error::invalid(
                tsv,
                format!("row {} column `onset`", i + 2),
                "is n/a; every event needs an onset in seconds",
            ));
        };
        events.push(Event {
            onset_s,
            duration_s: number(duration, "duration")?.unwrap_or(0.0),
            label: table.cell(row, label).unwrap_or("n/a").to_string(),
        });
    }
    r.events = events;
    r.events_source = EventsSource::EventsTsv;
    Ok(())
}

/// Applies a recording's `channels.tsv` (types, units check, status).
fn read_channels(tsv: Option<&Path>, r: &mut Recording) -> Result<(), Error> {
    let Some(tsv) = tsv else {
        return Ok(());
    };
    let table = Table::read(tsv, &["name", "type", "units"])?;
    let (name, kind) = (table.column("name"), table.column("type"));
    let (status, description) = (table.column("status"), table.column("status_description"));
    let mut listed = Vec::new();
    for row in &table.rows {
        let Some(n) = table.cell(row, name) else {
            continue;
        };
        listed.push(n.to_string());
        let Some(ch) = r.channels.iter_mut().find(|c| c.name == n) else {
            r.warnings.push(format!(
                "{} lists channel {n:?}, which the recording does not have",
                tsv.file_name()
                    .map(|f| f.to_string_lossy())
                    .unwrap_or_default()
            ));
            continue;
        };
        if let Some(k) = table.cell(row, kind) {
            ch.kind = k.to_ascii_uppercase();
        }
        ch.status = table.cell(row, status).map(str::to_string);
        ch.status_description = table.cell(row, description).map(str::to_string);
    }
    let missing: Vec<&str> = r
        .channels
        .iter()
        .filter(|c| !listed.contains(&c.name))
        .map(|c| c.name.as_str())
        .collect();
    if !missing.is_empty() {
        r.warnings.push(format!(
            "channels.tsv does not list {} channel(s) of the recording: {}",
            missing.len(),
            missing.join(", ")
        ));
    }
    Ok(())
}

/// Reads `participants.tsv`: participant id (without `sub-`) → column →
/// value.
fn read_participants(root: &Path) -> Result<BTreeMap<String, BTreeMap<String, String>>, Error> {
    let path = root.join("participants.tsv");
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    let table = Table::read(&path, &["participant_id"])?;
    let id = table.column("participant_id");
    let mut out = BTreeMap::new();
    for row in &table.rows {
        let Some(pid) = table.cell(row, id) else {
            continue;
        };
        let values = table
            .columns
            .iter()
            .zip(table.values(row))
            .filter(|(c, _)| c.as_str() != "participant_id")
            .map(|(c, v)| (c.clone(), v.to_string()))
            .collect();
        out.insert(pid.trim_start_matches("sub-").to_string(), values);
    }
    Ok(out)
}
