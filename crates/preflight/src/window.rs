//! Labelled windows: the examples a classifier would be trained on.
//!
//! A [`Window`] is a stretch of one recording with a class label, or one
//! example of a NumPy dataset. [`windows`] makes them from a [`Dataset`]:
//!
//! - around events ([`WindowSource::Events`]): BIDS `events.tsv` rows or
//!   EDF+ annotations, from `offset_s.0` to `offset_s.1` seconds around
//!   each onset (default −0.2 to 0.8 s), labelled by the event's label or
//!   by a [`ClassMap`] that names and merges labels;
//! - fixed-length windows ([`WindowSource::Fixed`]) tiling each recording,
//!   labelled per subject or per recording (a `participants.tsv` column or
//!   a table);
//! - the examples of a NumPy dataset, labelled by `y.npy`.
//!
//! Windows that do not fit (before the first sample, past the last, across
//! an EDF+D gap) or whose label is unknown are left out and counted in
//! [`Windows::skipped`], so a report can say how many and why. The
//! stratified sample ([`crate::sample`]) draws from the result; only the
//! windows it picks are ever decoded.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::dataset::{Dataset, Layout, Recording};

/// How windows are made and labelled.
///
/// As JSON (`report.json` `settings.window_source`): `{"kind": "events",
/// "offset_s": [-0.2, 0.8], "classes": null}` (or `classes` a map from
/// event label to class name), or `{"kind": "fixed", "length_s": 2.0,
/// "label": "none"}` (or `label` `{"participants": COLUMN}` or `{"table":
/// {KEY: LABEL}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WindowSource {
    /// Around each event: from `offset_s.0` to `offset_s.1` seconds
    /// relative to its onset.
    Events {
        /// Window start and end relative to the onset, in seconds.
        offset_s: (f64, f64),
        /// Which event labels are classes, under which names. `None`: every
        /// label is a class of its own.
        classes: Option<ClassMap>,
    },
    /// Consecutive windows of `length_s` seconds from the first sample.
    Fixed {
        /// Window length in seconds.
        length_s: f64,
        /// Where each window's label comes from.
        label: FixedLabel,
    },
}

impl Default for WindowSource {
    fn default() -> Self {
        WindowSource::Events {
            offset_s: (-0.2, 0.8),
            classes: None,
        }
    }
}

/// Where the label of a fixed-length window comes from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixedLabel {
    /// A column of `participants.tsv`, looked up by subject.
    Participants(String),
    /// A table from subject or recording path (relative, `/`-separated) to
    /// label; a recording's own entry wins over its subject's.
    Table(BTreeMap<String, String>),
    /// No labels: every window is of the one class [`UNLABELLED`].
    None,
}

/// The class of windows that have no label.
pub const UNLABELLED: &str = "unlabelled";

/// Event labels grouped into named classes.
///
/// Parsed from `NAME=LABEL,LABEL;NAME=LABEL` (merges labels under a name)
/// or `LABEL,LABEL` (keeps those labels, each its own class). Labels not
/// named are not classes: their events make no window.
///
/// ```
/// use preflight::window::ClassMap;
/// let map: ClassMap = "target=T1,T2;rest=T0".parse().unwrap();
/// assert_eq!(map.class_of("T2"), Some("target"));
/// assert_eq!(map.class_of("T0"), Some("rest"));
/// assert_eq!(map.class_of("boundary"), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClassMap {
    /// Label → class name.
    by_label: BTreeMap<String, String>,
}

impl ClassMap {
    /// The class an event label belongs to, if any.
    pub fn class_of(&self, label: &str) -> Option<&str> {
        self.by_label.get(label).map(String::as_str)
    }
}

/// Why a `--classes` value cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid class map {text:?}: {reason}; expected NAME=LABEL,LABEL;NAME=LABEL or LABEL,LABEL"
)]
pub struct ClassMapError {
    text: String,
    reason: String,
}

impl std::str::FromStr for ClassMap {
    type Err = ClassMapError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| ClassMapError {
            text: text.to_string(),
            reason,
        };
        let mut by_label = BTreeMap::new();
        let mut add = |label: &str, class: &str| -> Result<(), ClassMapError> {
            let label = label.trim();
            if label.is_empty() {
                return Err(fail(format!("empty label in class {class:?}")));
            }
            if let Some(old) = by_label.insert(label.to_string(), class.to_string()) {
                if old != class {
                    return Err(fail(format!(
                        "label {label:?} is in two classes, {old:?} and {class:?}"
                    )));
                }
            }
            Ok(())
        };
        if text.contains('=') {
            for part in text.split(';').filter(|p| !p.trim().is_empty()) {
                let Some((name, labels)) = part.split_once('=') else {
                    return Err(fail(format!("{part:?} has no '='")));
                };
                let name = name.trim();
                if name.is_empty() {
                    return Err(fail(format!("{part:?} has no class name")));
                }
                for label in labels.split(',') {
                    add(label, name)?;
                }
            }
        } else {
            for label in text.split(',') {
                add(label, label.trim())?;
            }
        }
        if by_label.is_empty() {
            return Err(fail("no class".to_string()));
        }
        Ok(ClassMap { by_label })
    }
}

/// Where a window's samples are.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Locator {
    /// In a recording file, starting this many seconds after its first
    /// sample (on the file's clock, gaps included).
    Time {
        /// Start in seconds.
        start_s: f64,
    },
    /// Row of a NumPy dataset's `X.npy`.
    Row {
        /// Example index.
        row: u64,
    },
}

/// One labelled window. Subjects, classes and recordings are indices into
/// the tables of [`Windows`], so millions of windows stay small.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Window {
    /// Index into [`Windows::recordings`].
    pub recording: u32,
    /// Index into [`Windows::subjects`].
    pub subject: u32,
    /// Index into [`Windows::classes`].
    pub class: u32,
    /// Where its samples are.
    pub locator: Locator,
}

/// Windows left out, with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The window starts before the first sample.
    BeforeStart,
    /// The window ends after the last sample.
    PastEnd,
    /// The window lies in or across an EDF+D gap.
    AcrossGap,
    /// The event's label is not a class (`--classes`), or is `n/a`.
    NotAClass,
    /// A fixed-length window's subject or recording has no label.
    NoLabel,
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SkipReason::BeforeStart => "starts before the first sample",
            SkipReason::PastEnd => "ends after the last sample",
            SkipReason::AcrossGap => "lies in or across a gap of an EDF+D recording",
            SkipReason::NotAClass => "label is not a class",
            SkipReason::NoLabel => "subject or recording has no label",
        })
    }
}

/// The windows of a dataset, with the tables their indices point into.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Windows {
    /// Window length in seconds (0 for NumPy rows, whose length is the
    /// array's).
    pub duration_s: f64,
    /// Subject labels, sorted.
    pub subjects: Vec<String>,
    /// Class names, sorted.
    pub classes: Vec<String>,
    /// Recording paths relative to the dataset root (for NumPy datasets:
    /// one per subject, named after it).
    pub recordings: Vec<String>,
    /// Subject of each recording (index into `subjects`).
    pub recording_subject: Vec<u32>,
    /// The windows, by recording, then time.
    #[serde(skip)]
    pub windows: Vec<Window>,
    /// Windows left out: reason → count.
    pub skipped: BTreeMap<SkipReason, usize>,
    /// The class of the unlabelled windows [`windows_or_tiles`] gave the
    /// recordings that no event made a window in, when other recordings
    /// have labelled windows: index into [`Windows::classes`]. Such windows
    /// are audited like any other but are no class of the balance.
    #[serde(skip)]
    pub unlabelled_class: Option<u32>,
}

impl Windows {
    /// Number of windows per class, in the order of [`Windows::classes`].
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for w in &self.windows {
            counts[w.class as usize] += 1;
        }
        counts
    }
}

/// Makes the labelled windows of a dataset. See the module documentation.
///
/// For a NumPy dataset every example is one window labelled by `y.npy` and
/// `source` is ignored; its recordings are its groups (subjects), or one
/// `all` when it has no `groups.npy`.
pub fn windows(dataset: &Dataset, source: &WindowSource) -> Windows {
    make_windows(dataset, source, false)
}

/// The windows of [`windows`], plus, for windows around events, unlabelled
/// windows of the same length tiling each recording that no event made a
/// window in (no events at all, none of a class, or none that fits), so
/// that a check of the dataset sees every recording. Their class,
/// [`UNLABELLED`], is named in [`Windows::unlabelled_class`] when other
/// windows have labels. Training and export take [`windows`]: a window
/// without a label is nothing to learn from.
pub fn windows_or_tiles(dataset: &Dataset, source: &WindowSource) -> Windows {
    make_windows(dataset, source, true)
}

fn make_windows(dataset: &Dataset, source: &WindowSource, tile_unwindowed: bool) -> Windows {
    if dataset.layout == Layout::Numpy {
        return numpy_windows(dataset);
    }
    let mut out = Windows::default();
    let mut subjects = Interner::default();
    let mut class_ids = Interner::default();
    // (recording, subject id, class id, start): ids in order of first
    // appearance, sorted below.
    let mut raw: Vec<(u32, u32, u32, f64)> = Vec::new();

    for (index, recording) in dataset.recordings.iter().enumerate() {
        let recording_index = index as u32;
        let subject = subjects.id(&recording.subject);
        out.recordings.push(slash_path(recording));
        out.recording_subject.push(subject);
        match source {
            WindowSource::Events { offset_s, classes } => {
                let before = raw.len();
                for event in &recording.events {
                    let class = match classes {
                        Some(map) => map.class_of(&event.label),
                        None if event.label == "n/a" || event.label.is_empty() => None,
                        None => Some(event.label.as_str()),
                    };
                    let Some(class) = class else {
                        *out.skipped.entry(SkipReason::NotAClass).or_insert(0) += 1;
                        continue;
                    };
                    let start_s = event.onset_s + offset_s.0;
                    let length_s = offset_s.1 - offset_s.0;
                    match fits(recording, start_s, length_s) {
                        Ok(()) => {
                            let class = class_ids.id(class);
                            raw.push((recording_index, subject, class, start_s));
                        }
                        Err(reason) => *out.skipped.entry(reason).or_insert(0) += 1,
                    }
                }
                let length_s = offset_s.1 - offset_s.0;
                if tile_unwindowed && raw.len() == before && length_s > 0.0 {
                    for start_s in fixed_starts(recording, length_s) {
                        if fits(recording, start_s, length_s).is_ok() {
                            let class = class_ids.id(UNLABELLED);
                            raw.push((recording_index, subject, class, start_s));
                        }
                    }
                }
            }
            WindowSource::Fixed { length_s, label } => {
                let Some(class) = fixed_label(dataset, recording, label) else {
                    let n = fixed_starts(recording, *length_s).count();
                    *out.skipped.entry(SkipReason::NoLabel).or_insert(0) += n;
                    continue;
                };
                for start_s in fixed_starts(recording, *length_s) {
                    match fits(recording, start_s, *length_s) {
                        Ok(()) => {
                            raw.push((recording_index, subject, class_ids.id(&class), start_s))
                        }
                        Err(reason) => *out.skipped.entry(reason).or_insert(0) += 1,
                    }
                }
            }
        }
    }

    out.duration_s = match source {
        WindowSource::Events { offset_s, .. } => offset_s.1 - offset_s.0,
        WindowSource::Fixed { length_s, .. } => *length_s,
    };
    // Sorted tables make indices independent of the order labels appear in.
    let (subject_names, subject_order) = subjects.sorted();
    let (class_names, class_order) = class_ids.sorted();
    out.subjects = subject_names;
    out.classes = class_names;
    if tile_unwindowed && matches!(source, WindowSource::Events { .. }) && out.classes.len() > 1 {
        out.unlabelled_class = out
            .classes
            .iter()
            .position(|c| c == UNLABELLED)
            .map(|k| k as u32);
    }
    for s in &mut out.recording_subject {
        *s = subject_order[*s as usize];
    }
    out.windows = raw
        .into_iter()
        .map(|(recording, subject, class, start_s)| Window {
            recording,
            subject: subject_order[subject as usize],
            class: class_order[class as usize],
            locator: Locator::Time { start_s },
        })
        .collect();
    out.windows.sort_by(|a, b| {
        let key = |w: &Window| match w.locator {
            Locator::Time { start_s } => start_s,
            Locator::Row { row } => row as f64,
        };
        a.recording
            .cmp(&b.recording)
            .then(key(a).total_cmp(&key(b)))
    });
    out
}

/// Whether a window of `length_s` from `start_s` lies within the recorded
/// samples of `recording`.
fn fits(recording: &Recording, start_s: f64, length_s: f64) -> Result<(), SkipReason> {
    // One part in 10^9 of slack, so that a window ending exactly on the last
    // sample is not lost to rounding of the onset.
    let eps = 1e-9 * (1.0 + start_s.abs());
    let end_s = start_s + length_s;
    let total_s = recording.duration_s + recording.gaps_s;
    if start_s < -eps {
        return Err(SkipReason::BeforeStart);
    }
    if end_s > total_s + eps {
        return Err(SkipReason::PastEnd);
    }
    for gap in &recording.gaps {
        let gap_end = gap.start_s + gap.duration_s;
        if start_s < gap_end - eps && end_s > gap.start_s + eps {
            return Err(SkipReason::AcrossGap);
        }
    }
    Ok(())
}

/// Starts of consecutive fixed-length windows over a recording's clock.
fn fixed_starts(recording: &Recording, length_s: f64) -> impl Iterator<Item = f64> {
    let total_s = recording.duration_s + recording.gaps_s;
    let n = if length_s > 0.0 && total_s.is_finite() {
        (total_s / length_s + 1e-9).floor() as u64
    } else {
        0
    };
    (0..n).map(move |k| k as f64 * length_s)
}

fn fixed_label(dataset: &Dataset, recording: &Recording, label: &FixedLabel) -> Option<String> {
    match label {
        FixedLabel::Participants(column) => dataset
            .participants
            .get(&recording.subject)
            .and_then(|row| row.get(column))
            .filter(|v| !v.is_empty() && v.as_str() != "n/a")
            .cloned(),
        FixedLabel::Table(table) => table
            .get(&slash_path(recording))
            .or_else(|| table.get(&recording.subject))
            .cloned(),
        FixedLabel::None => Some(UNLABELLED.to_string()),
    }
}

fn slash_path(recording: &Recording) -> String {
    recording
        .path
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

fn numpy_windows(dataset: &Dataset) -> Windows {
    let mut out = Windows::default();
    let Some(np) = &dataset.numpy else {
        return out;
    };
    let mut subjects = Interner::default();
    let mut classes = Interner::default();
    let group_of = |row: usize| -> &str {
        np.groups
            .as_ref()
            .and_then(|g| g.get(row))
            .map_or("all", String::as_str)
    };
    for row in 0..np.labels.len() {
        subjects.id(group_of(row));
        classes.id(&np.labels[row]);
    }
    let (subject_names, subject_order) = subjects.sorted();
    let (class_names, class_order) = classes.sorted();
    // One recording per subject: the arrays say nothing finer.
    out.recordings = subject_names.clone();
    out.recording_subject = (0..subject_names.len() as u32).collect();
    out.windows = (0..np.labels.len())
        .map(|row| {
            let subject = subject_order[subjects.lookup(group_of(row)) as usize];
            Window {
                recording: subject,
                subject,
                class: class_order[classes.lookup(&np.labels[row]) as usize],
                locator: Locator::Row { row: row as u64 },
            }
        })
        .collect();
    out.subjects = subject_names;
    out.classes = class_names;
    out
}

/// Gives each distinct string an index in order of first appearance, and
/// renumbers them in sorted order at the end.
#[derive(Default)]
struct Interner {
    ids: BTreeMap<String, u32>,
}

impl Interner {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&id) = self.ids.get(s) {
            return id;
        }
        let next = self.ids.len() as u32;
        self.ids.insert(s.to_string(), next);
        next
    }

    fn lookup(&self, s: &str) -> u32 {
        self.ids[s]
    }

    /// The strings sorted, and for each first-appearance id its sorted
    /// position.
    fn sorted(&self) -> (Vec<String>, Vec<u32>) {
        let mut order = vec![0; self.ids.len()];
        let names: Vec<String> = self.ids.keys().cloned().collect();
        for (position, id) in self.ids.values().enumerate() {
            order[*id as usize] = position as u32;
        }
        (names, order)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dataset::{Event, EventsSource, GapSpan};
    use std::path::PathBuf;

    fn recording(subject: &str, path: &str, duration_s: f64, events: &[(f64, &str)]) -> Recording {
        Recording {
            path: PathBuf::from(path),
            subject: subject.to_string(),
            session: None,
            task: None,
            acquisition: None,
            run: None,
            format: "EDF+C".to_string(),
            channels: Vec::new(),
            duration_s,
            gaps_s: 0.0,
            gaps: Vec::new(),
            bytes: 0,
            events: events
                .iter()
                .map(|&(onset_s, label)| Event {
                    onset_s,
                    duration_s: 0.0,
                    label: label.to_string(),
                })
                .collect(),
            events_source: EventsSource::EventsTsv,
            warnings: Vec::new(),
            power_line_hz: None,
        }
    }

    fn dataset(recordings: Vec<Recording>) -> Dataset {
        Dataset {
            root: PathBuf::from("/data"),
            layout: Layout::Bids,
            recordings,
            numpy: None,
            participants: BTreeMap::new(),
            unreadable: Vec::new(),
        }
    }

    #[test]
    fn event_windows_that_do_not_fit_are_counted_not_kept() {
        let r = recording(
            "02",
            "sub-02/eeg/a.edf",
            10.0,
            &[(0.1, "b"), (1.0, "a"), (9.2, "a"), (9.5, "a"), (5.0, "n/a")],
        );
        let w = windows(&dataset(vec![r]), &WindowSource::default());
        assert_eq!(w.classes, ["a"]);
        assert_eq!(w.windows.len(), 2, "{w:?}");
        assert_eq!(w.skipped[&SkipReason::BeforeStart], 1);
        assert_eq!(w.skipped[&SkipReason::PastEnd], 1);
        assert_eq!(w.skipped[&SkipReason::NotAClass], 1);
        let starts: Vec<f64> = w
            .windows
            .iter()
            .map(|w| match w.locator {
                Locator::Time { start_s } => start_s,
                Locator::Row { .. } => f64::NAN,
            })
            .collect();
        assert!((starts[0] - 0.8).abs() < 1e-12 && (starts[1] - 9.0).abs() < 1e-12);
    }

    #[test]
    fn windows_across_a_gap_are_left_out() {
        let mut r = recording("1", "x.edf", 10.0, &[(2.0, "a"), (4.9, "a"), (8.0, "a")]);
        r.gaps = vec![GapSpan {
            start_s: 5.0,
            duration_s: 1.0,
        }];
        r.gaps_s = 1.0;
        let w = windows(&dataset(vec![r]), &WindowSource::default());
        assert_eq!(w.windows.len(), 2);
        assert_eq!(w.skipped[&SkipReason::AcrossGap], 1);
    }

    #[test]
    fn class_map_merges_labels_and_indices_are_sorted() {
        let a = recording("b", "b.edf", 30.0, &[(1.0, "T2"), (2.0, "T0"), (3.0, "T1")]);
        let b = recording("a", "a.edf", 30.0, &[(1.0, "T0")]);
        let source = WindowSource::Events {
            offset_s: (0.0, 1.0),
            classes: Some("target=T1,T2;rest=T0".parse().unwrap()),
        };
        let w = windows(&dataset(vec![a, b]), &source);
        assert_eq!(w.classes, ["rest", "target"]);
        assert_eq!(w.subjects, ["a", "b"]);
        assert_eq!(w.recording_subject, [1, 0]);
        assert_eq!(w.class_counts(), [2, 2]);
        let first = w.windows[0];
        assert_eq!((first.recording, first.subject, first.class), (0, 1, 1));
    }

    #[test]
    fn fixed_windows_tile_and_take_labels_from_participants() {
        let mut d = dataset(vec![
            recording("01", "sub-01.edf", 10.5, &[]),
            recording("02", "sub-02.edf", 4.0, &[]),
        ]);
        let row = |g: &str| BTreeMap::from([("group".to_string(), g.to_string())]);
        d.participants.insert("01".to_string(), row("patient"));
        d.participants.insert("02".to_string(), row("n/a"));
        let source = WindowSource::Fixed {
            length_s: 2.0,
            label: FixedLabel::Participants("group".to_string()),
        };
        let w = windows(&d, &source);
        assert_eq!(w.windows.len(), 5);
        assert_eq!(w.classes, ["patient"]);
        assert_eq!(w.skipped[&SkipReason::NoLabel], 2);
    }

    #[test]
    fn recordings_without_event_windows_are_tiled_for_an_audit() {
        let d = dataset(vec![
            recording("01", "a.edf", 10.0, &[(1.0, "T1"), (5.0, "T2")]),
            // No events at all, and events of no class.
            recording("01", "b.edf", 3.5, &[]),
            recording("02", "c.edf", 2.0, &[(1.0, "boundary")]),
        ]);
        let source = WindowSource::Events {
            offset_s: (-0.5, 0.5),
            classes: Some("T1,T2".parse().unwrap()),
        };
        // Training sees the labelled windows only.
        let labelled = windows(&d, &source);
        assert_eq!(labelled.windows.len(), 2);
        assert_eq!(labelled.unlabelled_class, None);
        let audited = windows_or_tiles(&d, &source);
        assert_eq!(audited.classes, ["T1", "T2", UNLABELLED]);
        assert_eq!(audited.unlabelled_class, Some(2));
        let tiles: Vec<(u32, f64)> = audited
            .windows
            .iter()
            .filter(|w| w.class == 2)
            .map(|w| match w.locator {
                Locator::Time { start_s } => (w.recording, start_s),
                Locator::Row { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(
            tiles,
            [(1, 0.0), (1, 1.0), (1, 2.0), (2, 0.0), (2, 1.0)],
            "3.5 s give three 1 s tiles, 2 s two"
        );
        // Still by recording, then time.
        let order: Vec<u32> = audited.windows.iter().map(|w| w.recording).collect();
        assert!(order.windows(2).all(|p| p[0] <= p[1]), "{order:?}");
        // Nothing to tile when every recording has a window.
        let full = windows_or_tiles(
            &dataset(vec![recording("01", "a.edf", 10.0, &[(1.0, "T1")])]),
            &source,
        );
        assert_eq!(full.classes, ["T1"]);
        assert_eq!(full.unlabelled_class, None);
    }

    #[test]
    fn window_sources_read_back_from_json_as_written() {
        let sources = [
            WindowSource::default(),
            WindowSource::Events {
                offset_s: (0.0, 4.0),
                classes: Some("target=T1,T2;rest=T0".parse().unwrap()),
            },
            WindowSource::Fixed {
                length_s: 2.0,
                label: FixedLabel::Participants("group".to_string()),
            },
            WindowSource::Fixed {
                length_s: 1.0,
                label: FixedLabel::Table(BTreeMap::from([("01".into(), "patient".into())])),
            },
            WindowSource::Fixed {
                length_s: 1.0,
                label: FixedLabel::None,
            },
        ];
        for source in sources {
            let text = serde_json::to_string(&source).unwrap();
            let back: WindowSource = serde_json::from_str(&text).unwrap();
            assert_eq!(back, source, "{text}");
        }
        let text = serde_json::to_string(&WindowSource::default()).unwrap();
        assert_eq!(
            text,
            r#"{"kind":"events","offset_s":[-0.2,0.8],"classes":null}"#
        );
    }

    #[test]
    fn class_map_errors_name_the_problem() {
        for (text, needle) in [
            ("a=x;b=x", "two classes"),
            ("=x", "no class name"),
            ("a=x,,y", "empty label"),
            ("", "empty label"),
            (" , ", "empty label"),
        ] {
            let e = text.parse::<ClassMap>().unwrap_err().to_string();
            assert!(e.contains(needle), "{text:?}: {e}");
        }
        let keep: ClassMap = "T1, T2".parse().unwrap();
        assert_eq!(keep.class_of("T2"), Some("T2"));
    }
}
