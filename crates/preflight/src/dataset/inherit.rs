//! The BIDS inheritance principle: which metadata files apply to a
//! recording.
//!
//! A metadata file (`*_events.tsv`, `*_channels.tsv`, `*_eeg.json`, …)
//! applies to a recording when it lies in the recording's folder or in one
//! of the folders above it (up to the dataset root), has the suffix and
//! extension asked for, and every entity of its name (`task-oddball`,
//! `sub-07`, …) is one of the recording's, with the same value. So
//! `task-oddball_eeg.json` at the root applies to every oddball recording,
//! and `sub-07/sub-07_channels.tsv` to every run of subject 07.
//!
//! The applicable files are ordered from the root down, and within a
//! folder by the number of entities (fewer first): a JSON sidecar's keys
//! are taken from the last file that has them, and a table is the last
//! file. Two applicable files of one folder with as many entities each
//! cannot be ordered; BIDS forbids that, and the later one by name is
//! left out and named as a problem.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::relative;

/// A metadata file's name, split.
#[derive(Debug, Clone, PartialEq)]
struct MetaFile {
    path: PathBuf,
    entities: Vec<(String, String)>,
    suffix: String,
    extension: String,
}

/// The metadata files of a dataset, by folder (relative to the root).
#[derive(Debug, Default)]
pub(crate) struct Sidecars {
    root: PathBuf,
    by_folder: BTreeMap<PathBuf, Vec<MetaFile>>,
}

/// The files that apply to one recording, and those left out.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Applicable {
    /// From the root down; the last one weighs most.
    pub files: Vec<PathBuf>,
    /// Files that apply as much as another of their folder, left out, each
    /// with the file kept in its place.
    pub ambiguous: Vec<(PathBuf, PathBuf)>,
}

impl Sidecars {
    /// Indexes `files` (absolute paths below `root`); names without a
    /// suffix after their entities are left out.
    pub fn index(root: &Path, files: &[PathBuf]) -> Sidecars {
        let mut by_folder: BTreeMap<PathBuf, Vec<MetaFile>> = BTreeMap::new();
        for path in files {
            if let Some(file) = split(path) {
                let folder = relative(path.parent().unwrap_or(root), root);
                by_folder.entry(folder).or_default().push(file);
            }
        }
        for files in by_folder.values_mut() {
            files.sort_by(|a, b| a.path.cmp(&b.path));
        }
        Sidecars {
            root: root.to_path_buf(),
            by_folder,
        }
    }

    /// The files with `suffix` and `extension` (without the dot) that apply
    /// to `recording` (an absolute path below the root).
    pub fn applicable(&self, recording: &Path, suffix: &str, extension: &str) -> Applicable {
        let mut out = Applicable::default();
        let Some(wanted) = split(recording) else {
            return out;
        };
        let rel = relative(recording, &self.root);
        let mut folders: Vec<&Path> = rel.ancestors().skip(1).collect();
        folders.reverse();
        for folder in folders {
            let Some(files) = self.by_folder.get(folder) else {
                continue;
            };
            let mut level: Vec<&MetaFile> = files
                .iter()
                .filter(|f| {
                    f.suffix == suffix
                        && f.extension == extension
                        && f.entities.iter().all(|e| wanted.entities.contains(e))
                })
                .collect();
            // Fewer entities first; by name among equals (a stable sort).
            level.sort_by_key(|f| f.entities.len());
            let mut kept: Vec<&MetaFile> = Vec::new();
            for f in level {
                match kept.last() {
                    Some(k) if k.entities.len() == f.entities.len() => {
                        out.ambiguous.push((f.path.clone(), k.path.clone()));
                    }
                    _ => kept.push(f),
                }
            }
            out.files.extend(kept.into_iter().map(|f| f.path.clone()));
        }
        out
    }
}

/// The suffix of a BIDS file name (`eeg` of `sub-07_task-a_eeg.edf`).
pub(crate) fn suffix(path: &Path) -> Option<String> {
    split(path).map(|f| f.suffix)
}

/// Entities, suffix and extension of a BIDS file name, e.g.
/// `sub-07_task-a_run-2_eeg.edf` → `[sub 07, task a, run 2]`, `eeg`,
/// `edf`; `None` for a name whose last part before the extension is an
/// entity or empty.
fn split(path: &Path) -> Option<MetaFile> {
    let name = path.file_name()?.to_str()?;
    let (stem, extension) = name.split_once('.')?;
    let mut parts: Vec<&str> = stem.split('_').collect();
    let suffix = parts.pop()?;
    if suffix.is_empty() || suffix.contains('-') {
        return None;
    }
    let mut entities = Vec::with_capacity(parts.len());
    for part in parts {
        let (key, value) = part.split_once('-')?;
        if key.is_empty() || value.is_empty() {
            return None;
        }
        entities.push((key.to_string(), value.to_string()));
    }
    Some(MetaFile {
        path: path.to_path_buf(),
        entities,
        suffix: suffix.to_string(),
        extension: extension.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(root: &str, names: &[&str]) -> Sidecars {
        let files: Vec<PathBuf> = names.iter().map(|n| Path::new(root).join(n)).collect();
        Sidecars::index(Path::new(root), &files)
    }

    fn names(files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .map(|f| relative(f, Path::new("/d")).to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn names_split_into_entities_suffix_and_extension() {
        let f = split(Path::new("/d/sub-07_task-a_run-2_eeg.edf")).expect("a BIDS name");
        assert_eq!(
            f.entities,
            [("sub", "07"), ("task", "a"), ("run", "2")].map(|(k, v)| (k.into(), v.into()))
        );
        assert_eq!((f.suffix.as_str(), f.extension.as_str()), ("eeg", "edf"));
        let top = split(Path::new("/d/task-a_events.tsv")).expect("a BIDS name");
        assert_eq!(top.entities.len(), 1);
        assert_eq!(top.suffix, "events");
        assert_eq!(
            split(Path::new("/d/eeg.json")).map(|f| f.suffix),
            Some("eeg".into())
        );
        assert_eq!(split(Path::new("/d/sub-07_run-2.tsv")), None);
        assert_eq!(split(Path::new("/d/sub-07_eeg")), None);
        assert_eq!(split(Path::new("/d/sub-_eeg.json")), None);
    }

    #[test]
    fn files_apply_from_the_root_down_when_their_entities_are_the_recordings() {
        let s = index(
            "/d",
            &[
                "task-a_eeg.json",
                "task-b_eeg.json",
                "eeg.json",
                "sub-01/sub-01_task-a_eeg.json",
                "sub-01/eeg/sub-01_task-a_run-1_eeg.json",
                "sub-01/eeg/sub-01_task-a_run-2_eeg.json",
                "sub-01/eeg/sub-01_task-a_run-1_channels.tsv",
                "sub-02/sub-02_task-a_eeg.json",
                "sub-01/eeg/sub-01_task-a_run-1_eeg.tsv",
            ],
        );
        let rec = Path::new("/d/sub-01/eeg/sub-01_task-a_run-1_eeg.edf");
        let a = s.applicable(rec, "eeg", "json");
        assert_eq!(
            names(&a.files),
            [
                "eeg.json",
                "task-a_eeg.json",
                "sub-01/sub-01_task-a_eeg.json",
                "sub-01/eeg/sub-01_task-a_run-1_eeg.json"
            ]
        );
        assert!(a.ambiguous.is_empty());
        assert_eq!(
            names(&s.applicable(rec, "channels", "tsv").files),
            ["sub-01/eeg/sub-01_task-a_run-1_channels.tsv"]
        );
        let run3 = Path::new("/d/sub-01/eeg/sub-01_task-a_run-3_eeg.edf");
        assert!(s.applicable(run3, "channels", "tsv").files.is_empty());
        assert_eq!(
            names(&s.applicable(run3, "eeg", "json").files),
            [
                "eeg.json",
                "task-a_eeg.json",
                "sub-01/sub-01_task-a_eeg.json"
            ]
        );
        // Another subject's or task's files never apply.
        let other = Path::new("/d/sub-02/eeg/sub-02_task-b_eeg.edf");
        assert_eq!(
            names(&s.applicable(other, "eeg", "json").files),
            ["eeg.json", "task-b_eeg.json"]
        );
    }

    #[test]
    fn files_of_one_folder_that_cannot_be_ordered_are_named() {
        let s = index(
            "/d",
            &["task-a_channels.tsv", "run-1_channels.tsv", "channels.tsv"],
        );
        let rec = Path::new("/d/sub-01/eeg/sub-01_task-a_run-1_eeg.edf");
        let a = s.applicable(rec, "channels", "tsv");
        assert_eq!(names(&a.files), ["channels.tsv", "run-1_channels.tsv"]);
        assert_eq!(a.ambiguous.len(), 1);
        assert_eq!(
            names(&[a.ambiguous[0].0.clone(), a.ambiguous[0].1.clone()]),
            ["task-a_channels.tsv", "run-1_channels.tsv"]
        );
    }
}
