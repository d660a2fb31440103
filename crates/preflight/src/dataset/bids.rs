//! BIDS EEG and iEEG datasets.
//!
//! Recordings are the `sub-*/[ses-*/]{eeg,ieeg}/*_{eeg,ieeg}.{edf,bdf}`
//! files. Subject, session, task, acquisition and run come from the file
//! name's entities. Each recording's `*_events.tsv` (columns `onset`,
//! `duration`, and the label column, default `trial_type`) and
//! `*_channels.tsv` (`name`, `type`, `units`, optional `status` and
//! `status_description`) are read from beside it; `participants.tsv` from
//! the root.
//!
//! Limitation: sidecars are taken from the recording's own folder with the
//! recording's own entities; the BIDS inheritance principle (a sidecar
//! higher up applying to several recordings) is not followed yet.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

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
    let (files, mut unreadable) = folder::walk(root)?;
    let files: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| is_recording(p, root))
        .collect();
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
    // A recording with an events.tsv needs no annotations; unless asked to
    // check every record now, it is opened lazily and its records are
    // checked when read.
    let lazily = |path: &Path| {
        !config.read_every_record && sidecar(path, "events.tsv").is_some_and(|p| p.is_file())
    };
    // Headers and sidecars asked for together, before any is waited on.
    let sidecars: Vec<PathBuf> = files
        .iter()
        .flat_map(|f| ["events.tsv", "channels.tsv"].map(|s| sidecar(f, s)))
        .flatten()
        .collect();
    {
        use super::prefetch::{ask_for, Part};
        ask_for(
            files
                .par_iter()
                .map(|f| (f.as_path(), Part::Ends))
                .chain(sidecars.par_iter().map(|f| (f.as_path(), Part::All))),
        );
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
            if let Err(e) = read_events(&path, r, config) {
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
            if let Err(e) = read_channels(&path, r) {
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

/// The path of a sidecar: the recording's name with its suffix replaced,
/// e.g. `..._run-1_eeg.edf` → `..._run-1_events.tsv`.
pub fn sidecar(recording: &Path, suffix: &str) -> Option<PathBuf> {
    let name = recording.file_name()?.to_str()?;
    let stem = name.split('.').next()?;
    let (prefix, _) = stem.rsplit_once('_')?;
    Some(recording.with_file_name(format!("{prefix}_{suffix}")))
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

/// Replaces a recording's events with those of its `events.tsv`, if any.
fn read_events(path: &Path, r: &mut Recording, config: &DiscoverConfig) -> Result<(), Error> {
    let Some(tsv) = sidecar(path, "events.tsv").filter(|p| p.is_file()) else {
        return Ok(());
    };
    let table = Table::read(&tsv, &["onset", "duration"])?;
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
                        &tsv,
                        format!("row {} column `{name}`", i + 2),
                        format!("{v:?} is not a number of seconds"),
                    )
                }),
            }
        };
        let Some(onset_s) = number(onset, "onset")? else {
            return Err(Error::invalid(
                &tsv,
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
fn read_channels(path: &Path, r: &mut Recording) -> Result<(), Error> {
    let Some(tsv) = sidecar(path, "channels.tsv").filter(|p| p.is_file()) else {
        return Ok(());
    };
    let table = Table::read(&tsv, &["name", "type", "units"])?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sidecar_replaces_the_suffix() {
        let p = Path::new("/d/sub-01/eeg/sub-01_task-a_run-1_eeg.edf");
        assert_eq!(
            sidecar(p, "events.tsv").expect("has a suffix"),
            Path::new("/d/sub-01/eeg/sub-01_task-a_run-1_events.tsv")
        );
    }
}
