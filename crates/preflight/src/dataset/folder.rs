//! Plain folders of EDF/BDF files, and single files.
//!
//! Every `.edf`/`.bdf` file below the root is a recording (hidden folders
//! skipped). The subject comes from `--subject-pattern` when given, else
//! from a BIDS `sub-` entity in the file name, else from the name of the
//! folder holding the file. Events are the files' EDF+ annotations.

use std::path::{Path, PathBuf};

use rayon::prelude::*;
use walkdir::WalkDir;

use super::{
    bids, is_edf_or_bdf, open_recording, reason_without_path, recording::open_recording_with,
    relative, Dataset, DiscoverConfig, Layout, Recording, Unreadable,
};
use crate::error::Error;

/// Extensions of recording formats preflight does not read, reported so
/// that a user knows why those recordings are missing.
const UNSUPPORTED: [(&str, &str); 6] = [
    ("vhdr", "BrainVision"),
    ("set", "EEGLAB"),
    ("fif", "FIF (MNE/Elekta)"),
    ("cnt", "Neuroscan CNT"),
    ("mff", "EGI MFF"),
    ("gdf", "GDF"),
];

/// Discovers a plain folder.
///
/// # Errors
///
/// [`Error::NotADataset`] when the folder holds no EDF/BDF file and no
/// unsupported recording either.
pub fn discover(root: &Path, config: &DiscoverConfig) -> Result<Dataset, Error> {
    let Walk {
        recordings: files,
        unsupported: mut unreadable,
        ..
    } = walk(root)?;
    if files.is_empty() && unreadable.is_empty() {
        return Err(Error::NotADataset {
            path: root.to_path_buf(),
            reason: "no .edf or .bdf files, no X.npy, and no BIDS sub-* folders found".into(),
        });
    }
    // Events are the files' annotations: every record is read.
    let (recordings, bad) = open_all(root, &files, |rel| subject_of(rel, root, config), |_| false);
    unreadable.extend(bad);
    Ok(Dataset {
        root: root.to_path_buf(),
        layout: Layout::Folder,
        recordings,
        numpy: None,
        participants: Default::default(),
        unreadable,
    })
}

/// Describes a single EDF/BDF file as a one-recording dataset.
///
/// # Errors
///
/// The file's error if it cannot be read (a single file has nothing else to
/// report).
pub fn single_file(path: &Path, config: &DiscoverConfig) -> Result<Dataset, Error> {
    let name = PathBuf::from(path.file_name().unwrap_or(path.as_os_str()));
    let mut recording = open_recording(path, &name)?;
    let root = path.parent().unwrap_or(Path::new(""));
    recording.subject = subject_of(&name, root, config);
    bids::fill_entities(&mut recording);
    Ok(Dataset {
        root: path.to_path_buf(),
        layout: Layout::File,
        recordings: vec![recording],
        numpy: None,
        participants: Default::default(),
        unreadable: Vec::new(),
    })
}

/// What [`walk`] found below a root, each list sorted by path.
pub(crate) struct Walk {
    /// EDF/BDF files.
    pub recordings: Vec<PathBuf>,
    /// Recordings in formats that are not read.
    pub unsupported: Vec<Unreadable>,
    /// `.tsv` and `.json` files: the BIDS metadata that may apply.
    pub metadata: Vec<PathBuf>,
}

/// All EDF/BDF files below `root`, unsupported recordings and metadata
/// files.
pub(crate) fn walk(root: &Path) -> Result<Walk, Error> {
    let mut files = Vec::new();
    let mut unsupported = Vec::new();
    let mut metadata = Vec::new();
    let walker = WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.to_path_buf());
                unsupported.push(Unreadable {
                    path: relative(&path, root),
                    reason: format!("cannot be listed: {e}"),
                });
                continue;
            }
        };
        let path = entry.path();
        // A link to a file counts as the file: DataLad and git-annex
        // datasets hold every recording as a link into the annex. A link
        // to nothing is a recording whose content is not there.
        if entry.file_type().is_symlink() {
            match std::fs::metadata(path) {
                Ok(m) if m.is_file() => {}
                Ok(_) => continue,
                Err(e) => {
                    if is_edf_or_bdf(path) {
                        unsupported.push(Unreadable {
                            path: relative(path, root),
                            reason: format!(
                                "a link whose target cannot be read ({e}); for a DataLad or \
                                 git-annex dataset, fetch the content first (`datalad get`)"
                            ),
                        });
                    }
                    continue;
                }
            }
        } else if !entry.file_type().is_file() {
            continue;
        }
        if is_edf_or_bdf(path) {
            files.push(path.to_path_buf());
        } else if is_metadata(path) {
            metadata.push(path.to_path_buf());
        } else if let Some(name) = unsupported_format(path) {
            unsupported.push(Unreadable {
                path: relative(path, root),
                reason: format!("{name} recordings are not supported; convert them to EDF or BDF"),
            });
        }
    }
    Ok(Walk {
        recordings: files,
        unsupported,
        metadata,
    })
}

fn is_metadata(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e == "tsv" || e == "json")
}

fn unsupported_format(path: &Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    UNSUPPORTED
        .iter()
        .find(|(e, _)| *e == ext)
        .map(|(_, name)| *name)
}

/// Opens files in parallel, those where `lazily(path)` holds with
/// [`edf::Edf::open_lazily`]; returns recordings in file order and the
/// files that failed.
pub(crate) fn open_all(
    root: &Path,
    files: &[PathBuf],
    subject: impl Fn(&Path) -> String + Sync,
    lazily: impl Fn(&Path) -> bool + Sync,
) -> (Vec<Recording>, Vec<Unreadable>) {
    let results: Vec<_> = files
        .par_iter()
        .map(|path| {
            let rel = relative(path, root);
            open_recording_with(path, &rel, lazily(path))
                .map(|mut r| {
                    r.subject = subject(&rel);
                    bids::fill_entities(&mut r);
                    r
                })
                .map_err(|e| Unreadable {
                    reason: reason_without_path(&e.to_string(), path),
                    path: rel,
                })
        })
        .collect();
    let mut recordings = Vec::new();
    let mut unreadable = Vec::new();
    for r in results {
        match r {
            Ok(rec) => {
                tracing::debug!(path = %rec.path.display(), subject = %rec.subject, "recording");
                recordings.push(rec);
            }
            Err(u) => {
                tracing::debug!(path = %u.path.display(), reason = %u.reason, "unreadable");
                unreadable.push(u);
            }
        }
    }
    (recordings, unreadable)
}

/// The subject of a file given by its path relative to the root.
fn subject_of(rel: &Path, root: &Path, config: &DiscoverConfig) -> String {
    let rel_text = rel.to_string_lossy().replace('\\', "/");
    if let Some(re) = &config.subject_pattern {
        if let Some(m) = re.captures(&rel_text).and_then(|c| c.name("subject")) {
            return m.as_str().to_string();
        }
    }
    let name = rel
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if let Some(sub) = bids::entity(&name, "sub") {
        return sub.to_string();
    }
    match rel.parent().and_then(|p| p.file_name()) {
        Some(parent) => parent.to_string_lossy().into_owned(),
        None => root
            .canonicalize()
            .ok()
            .and_then(|r| r.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| {
                rel.file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default()
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_comes_from_pattern_then_bids_entity_then_folder() {
        let root = Path::new("/data/study");
        let plain = DiscoverConfig::default();
        assert_eq!(subject_of(Path::new("p01/night1.edf"), root, &plain), "p01");
        assert_eq!(
            subject_of(Path::new("x/sub-07_task-a_eeg.edf"), root, &plain),
            "07"
        );
        let pattern = DiscoverConfig {
            subject_pattern: Some(regex::Regex::new(r"S(?P<subject>\d+)R").expect("regex")),
            ..DiscoverConfig::default()
        };
        assert_eq!(subject_of(Path::new("S001R03.edf"), root, &pattern), "001");
    }

    /// One second of one channel.
    #[cfg(unix)]
    fn write_edf(path: &Path) {
        let start = edf::StartTime::midnight(2020, 1, 1);
        let mut spec = edf::FileSpec::new(edf::Format::Edf, false, start, 1.0);
        spec.records = 1;
        spec.signals = vec![edf::SignalSpec::new(
            "Cz",
            "uV",
            -500.0,
            500.0,
            edf::Format::Edf,
            100,
        )];
        let mut w = edf::Writer::new(Vec::new(), &spec, &[]).expect("writer");
        w.write_record(&[vec![0.0; 100]]).expect("record");
        std::fs::write(path, w.finish().expect("finish")).expect("write");
    }

    /// Links to files are recordings (as in DataLad datasets); a link to
    /// nothing is reported with what to do, and links to folders are not
    /// followed.
    #[cfg(unix)]
    #[test]
    fn links_to_files_are_recordings_and_broken_links_are_reported() {
        let dir = tempfile::tempdir().expect("tempdir");
        let annex = dir.path().join("annex");
        let root = dir.path().join("study");
        for d in [&annex, &root.join("p01"), &root.join("p02")] {
            std::fs::create_dir_all(d).expect("mkdir");
        }
        write_edf(&annex.join("content"));
        write_edf(&root.join("p01/night1.edf"));
        std::os::unix::fs::symlink(annex.join("content"), root.join("p02/night1.edf"))
            .expect("link");
        std::os::unix::fs::symlink(annex.join("missing"), root.join("p02/night2.edf"))
            .expect("link");
        std::os::unix::fs::symlink(&annex, root.join("p03")).expect("link");

        let Walk {
            recordings: files,
            unsupported: unreadable,
            ..
        } = walk(&root).expect("walk");
        let names: Vec<PathBuf> = files.iter().map(|f| relative(f, &root)).collect();
        assert_eq!(
            names,
            [
                PathBuf::from("p01/night1.edf"),
                PathBuf::from("p02/night1.edf")
            ]
        );
        assert_eq!(unreadable.len(), 1, "{unreadable:?}");
        assert_eq!(unreadable[0].path, PathBuf::from("p02/night2.edf"));
        assert!(
            unreadable[0].reason.contains("datalad get"),
            "{}",
            unreadable[0].reason
        );
    }
}
