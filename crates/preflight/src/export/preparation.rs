//! What an audit decided about a dataset, in the form a trainer or an
//! export needs it: how the windows are made, what to leave out, what to
//! normalize with, how to weight the classes.
//!
//! A [`Preparation`] comes from an [`Audit`] run in the same process
//! ([`Preparation::from_audit`]), from the `report.json` that `preflight
//! audit` wrote ([`Preparation::from_report`]), or from nothing at all
//! ([`Preparation::raw`]: every window, in µV, unweighted). The report
//! holds the window definition (`settings.window_source`) and the NumPy
//! read settings (`settings.read`) since the fields were added to schema
//! `preflight.audit/1`; a report written before then cannot say how its
//! windows were made and is refused with a message that says so.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::audit::normalize::{ChannelNormalization, NormalizationFile};
use crate::audit::plan::Exclusions;
use crate::audit::{Audit, AuditConfig, SCHEMA};
use crate::balance::ClassBalance;
use crate::error::Error;
use crate::read::ReadConfig;
use crate::sample::SampleSize;
use crate::window::{WindowSource, Windows};

/// Where a [`Preparation`] came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// An audit run in this process.
    Audit,
    /// A `report.json` file.
    Report(PathBuf),
    /// No audit: nothing excluded, nothing normalized.
    None,
}

/// The per-channel statistics to normalize with, and how they were
/// measured.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalization {
    /// Per channel, by name, as the audit measured them.
    pub channels: Vec<ChannelNormalization>,
    /// Measured on every window (`--full`) rather than the sample.
    pub full: bool,
}

impl Normalization {
    /// Mean and standard deviation to normalize `channel` with, as
    /// `normalization.json` gives them: mean 0 when unmeasured, std 1 when
    /// unmeasured or 0. `None` when the channel was not measured at all.
    pub fn of(&self, channel: &str) -> Option<(f64, f64)> {
        let c = self.channels.iter().find(|c| c.channel == channel)?;
        let file = NormalizationFile::new(std::slice::from_ref(c), self.full, "");
        Some((file.mean[0], file.std[0]))
    }
}

/// Everything a trainer takes from an audit. See the module documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Preparation {
    /// Where it came from.
    pub origin: Origin,
    /// How the windows are made and labelled.
    pub windows: WindowSource,
    /// How NumPy samples are read.
    pub read: ReadConfig,
    /// What to leave out; `None` without an audit.
    pub exclusions: Option<Exclusions>,
    /// What to normalize with; `None` without an audit (values stay in
    /// µV).
    pub normalization: Option<Normalization>,
    /// The audit's balanced class weights over all windows; `None` without
    /// an audit (the plan's own [`super::TensorPlan::class_weights`] are
    /// those of the windows kept).
    pub class_weights: Option<Vec<ClassBalance>>,
    /// Labelled windows the audit made, to check that the same windows
    /// are made again; `None` without an audit.
    pub expected_windows: Option<usize>,
}

impl Preparation {
    /// From an audit just run with `config`.
    pub fn from_audit(audit: &Audit, config: &AuditConfig) -> Preparation {
        Preparation {
            origin: Origin::Audit,
            windows: audit.settings.window_source.clone(),
            read: config.read.clone(),
            exclusions: Some(audit.exclusions.clone()),
            normalization: Some(Normalization {
                channels: audit.normalization.clone(),
                full: audit.sample.size == SampleSize::Full,
            }),
            class_weights: Some(audit.balance.classes.clone()),
            expected_windows: Some(audit.dataset.windows),
        }
    }

    /// Without an audit: windows made by `windows`, nothing left out,
    /// values in µV.
    pub fn raw(windows: WindowSource, read: ReadConfig) -> Preparation {
        Preparation {
            origin: Origin::None,
            windows,
            read,
            exclusions: None,
            normalization: None,
            class_weights: None,
            expected_windows: None,
        }
    }

    /// From a `report.json` written by `preflight audit`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, [`Error::Invalid`]
    /// naming the field when it is not a report of schema
    /// [`SCHEMA`] or lacks a field (`settings.window_source` is missing
    /// from reports written before it was added).
    pub fn from_report(path: &Path) -> Result<Preparation, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::invalid(path, "(the file)", format!("not JSON: {e}")))?;
        let schema = value.get("schema").and_then(|s| s.as_str());
        if schema != Some(SCHEMA) {
            return Err(Error::invalid(
                path,
                "schema",
                format!("found {schema:?}, expected {SCHEMA:?} (a report of preflight audit)"),
            ));
        }
        let field = |pointer: &str| -> Result<&serde_json::Value, Error> {
            value.pointer(pointer).ok_or_else(|| {
                let name = pointer.trim_start_matches('/').replace('/', ".");
                let hint = if name.starts_with("settings.") {
                    "; the report predates the field: run preflight audit again"
                } else {
                    ""
                };
                Error::invalid(path, name, format!("missing{hint}"))
            })
        };
        fn parse<T: for<'de> Deserialize<'de>>(
            path: &Path,
            pointer: &str,
            v: &serde_json::Value,
        ) -> Result<T, Error> {
            T::deserialize(v).map_err(|e| {
                let name = pointer.trim_start_matches('/').replace('/', ".");
                Error::invalid(path, name, e.to_string())
            })
        }
        let size: SampleSizeField = parse(path, "/sample/size", field("/sample/size")?)?;
        Ok(Preparation {
            origin: Origin::Report(path.to_path_buf()),
            windows: parse(
                path,
                "/settings/window_source",
                field("/settings/window_source")?,
            )?,
            read: parse(path, "/settings/read", field("/settings/read")?)?,
            exclusions: Some(parse(path, "/exclusions", field("/exclusions")?)?),
            normalization: Some(Normalization {
                channels: parse(path, "/normalization", field("/normalization")?)?,
                full: matches!(size, SampleSizeField::Word(ref w) if w == "full"),
            }),
            class_weights: Some(parse(path, "/balance/classes", field("/balance/classes")?)?),
            expected_windows: Some(parse(path, "/dataset/windows", field("/dataset/windows")?)?),
        })
    }

    /// Checks that `windows`, made by [`Preparation::windows`], are the
    /// windows the audit judged: as many, and of the classes it weighted.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] saying what differs; the usual cause is a
    /// different `--label-column` or `--subject-pattern`, or a dataset
    /// changed since the audit.
    pub fn check(&self, windows: &Windows) -> Result<(), Error> {
        let origin = match &self.origin {
            Origin::Report(p) => p.display().to_string(),
            Origin::Audit => "the audit".to_string(),
            Origin::None => return Ok(()),
        };
        if let Some(n) = self.expected_windows {
            if n != windows.windows.len() {
                return Err(Error::Config {
                    option: "--audit".to_string(),
                    reason: format!(
                        "{origin} judged {n} windows, but the dataset now gives {}: the \
                         dataset changed since, or --label-column/--subject-pattern differ \
                         from the audit's",
                        windows.windows.len()
                    ),
                });
            }
        }
        for c in self.class_weights.iter().flatten() {
            if !windows.classes.contains(&c.class) {
                return Err(Error::Config {
                    option: "--audit".to_string(),
                    reason: format!(
                        "{origin} has class {:?}, which the dataset's windows do not \
                         (classes now: {})",
                        c.class,
                        windows.classes.join(", ")
                    ),
                });
            }
        }
        Ok(())
    }
}

/// `sample.size` as the report writes a [`SampleSize`]: `"full"` or an
/// object.
#[derive(Deserialize)]
#[serde(untagged)]
enum SampleSizeField {
    Word(String),
    #[allow(dead_code)]
    Object(serde_json::Value),
}
