//! `preflight inspect`: a one-screen summary of what a dataset holds, or
//! its JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{bail, Context, Result};
use preflight::dataset::{self, Dataset, DiscoverConfig, Layout, Recording};

use crate::cli::{DatasetArgs, InspectArgs};
use crate::Outcome;

/// Version of the `--json` output.
const SCHEMA: &str = "preflight.inspect/1";

/// Lines of each list shown before "… N more".
const LIST_LIMIT: usize = 10;

/// Runs `inspect`.
pub fn run(args: &InspectArgs) -> Result<Outcome> {
    let dataset = load(&args.dataset)?;
    if args.json {
        let out = serde_json::json!({ "schema": SCHEMA, "dataset": dataset });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", summary(&dataset));
    }
    Ok(if dataset.unreadable.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// Turns the dataset arguments into a config and discovers the dataset,
/// checking every data record of every EDF+/BDF+ file.
pub fn load(args: &DatasetArgs) -> Result<Dataset> {
    load_with(args, true)
}

/// As [`load`]; with `read_every_record` false, recordings whose events
/// come from an `events.tsv` have only their first and last record checked
/// now, and the others when they are decoded
/// ([`DiscoverConfig::read_every_record`]).
pub fn load_with(args: &DatasetArgs, read_every_record: bool) -> Result<Dataset> {
    let subject_pattern = match &args.subject_pattern {
        Some(p) => {
            let re = regex::Regex::new(p)
                .with_context(|| format!("--subject-pattern {p:?} is not a valid regex"))?;
            if !re.capture_names().any(|n| n == Some("subject")) {
                bail!("--subject-pattern {p:?} needs a named group, e.g. 'S(?P<subject>\\d+)R'");
            }
            Some(re)
        }
        None => None,
    };
    let config = DiscoverConfig {
        subject_pattern,
        label_column: args.label_column.clone(),
        read_every_record,
    };
    // Every discovery error names its file already.
    let dataset = dataset::discover(&args.path, &config)?;
    if args.strict {
        if let Some(u) = dataset.unreadable.first() {
            bail!(
                "{}: {} (--strict stops at the first unreadable file)",
                dataset.root.join(&u.path).display(),
                u.reason
            );
        }
    }
    Ok(dataset)
}

/// The one-screen summary.
pub fn summary(d: &Dataset) -> String {
    let mut s = String::new();
    let layout = match d.layout {
        Layout::Bids => "BIDS dataset",
        Layout::Folder => "folder of EDF/BDF files",
        Layout::File => "single file",
        Layout::Numpy => "NumPy arrays",
    };
    let _ = writeln!(s, "{}  ({layout})", d.root.display());
    if let Some(n) = &d.numpy {
        numpy_summary(&mut s, n);
    } else {
        recordings_summary(&mut s, d);
    }
    list(
        &mut s,
        "unreadable",
        d.unreadable
            .iter()
            .map(|u| format!("{}: {}", u.path.display(), u.reason)),
    );
    if !d.unreadable.is_empty() {
        let _ = writeln!(
            s,
            "\nUnreadable files are left out of every later step; --strict makes them fatal."
        );
    }
    s
}

fn recordings_summary(s: &mut String, d: &Dataset) {
    let subjects = d.subjects();
    let bytes: u64 = d.recordings.iter().map(|r| r.bytes).sum();
    let seconds: f64 = d.recordings.iter().map(|r| r.duration_s).sum();
    let mut formats: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &d.recordings {
        *formats.entry(r.format.as_str()).or_default() += 1;
    }
    let formats: Vec<String> = formats.iter().map(|(f, n)| format!("{f} ×{n}")).collect();
    let _ = writeln!(s, "  subjects    {}", subjects.len());
    let _ = writeln!(
        s,
        "  recordings  {} ({}), {}, {} recorded",
        d.recordings.len(),
        formats.join(", "),
        human_bytes(bytes),
        human_duration(seconds)
    );
    channels_summary(s, &d.recordings);
    events_summary(s, &d.recordings);
    declared_mains_summary(s, &d.recordings);

    // Per subject.
    if !subjects.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<20} {:>10} {:>10} {:>8}",
            "subject", "recordings", "duration", "events"
        );
        let rows: Vec<String> = subjects
            .iter()
            .map(|(sub, recs)| {
                let secs: f64 = recs.iter().map(|r| r.duration_s).sum();
                let events: usize = recs.iter().map(|r| r.events.len()).sum();
                format!(
                    "{sub:<20} {:>10} {:>10} {events:>8}",
                    recs.len(),
                    human_duration(secs)
                )
            })
            .collect();
        for row in rows.iter().take(LIST_LIMIT) {
            let _ = writeln!(s, "  {row}");
        }
        if rows.len() > LIST_LIMIT {
            let _ = writeln!(
                s,
                "  … {} more subjects (--json lists all)",
                rows.len() - LIST_LIMIT
            );
        }
    }
    list(
        s,
        "warnings",
        d.recordings.iter().flat_map(|r| {
            r.warnings
                .iter()
                .map(move |w| format!("{}: {w}", r.path.display()))
        }),
    );
}

/// Channel sets: the most common set in detail, and how many differ.
fn channels_summary(s: &mut String, recordings: &[Recording]) {
    let mut sets: BTreeMap<Vec<&str>, Vec<&Recording>> = BTreeMap::new();
    for r in recordings {
        sets.entry(r.channels.iter().map(|c| c.name.as_str()).collect())
            .or_default()
            .push(r);
    }
    let Some((names, recs)) = sets.iter().max_by_key(|(_, recs)| recs.len()) else {
        return;
    };
    let example = recs[0];
    let mut groups: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for c in &example.channels {
        let key = (c.kind.clone(), format_rate(c.sfreq_hz), c.unit.clone());
        *groups.entry(key).or_default() += 1;
    }
    let mut groups: Vec<_> = groups.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let parts: Vec<String> = groups
        .iter()
        .take(4)
        .map(|((kind, rate, unit), n)| {
            let unit = if unit.is_empty() { "no unit" } else { unit };
            format!("{n} {kind} at {rate} Hz ({unit})")
        })
        .collect();
    let rest: usize = groups.iter().skip(4).map(|(_, n)| n).sum();
    let rest = if rest > 0 {
        format!(
            ", {rest} more in {} other type/rate groups",
            groups.len() - 4
        )
    } else {
        String::new()
    };
    let _ = writeln!(s, "  channels    {}{rest}", parts.join(", "));
    let shown: Vec<&str> = names.iter().take(8).copied().collect();
    let more = if names.len() > shown.len() {
        format!(", … {} more", names.len() - shown.len())
    } else {
        String::new()
    };
    let _ = writeln!(s, "              {}{more}", shown.join(", "));
    if sets.len() > 1 {
        let _ = writeln!(
            s,
            "              {} distinct channel sets; this one in {} of {} recordings",
            sets.len(),
            recs.len(),
            recordings.len()
        );
    }
}

/// The `PowerLineFrequency` the BIDS sidecars declare, when any does.
fn declared_mains_summary(s: &mut String, recordings: &[Recording]) {
    let mut counts: BTreeMap<u64, usize> = BTreeMap::new();
    for hz in recordings.iter().filter_map(|r| r.power_line_hz) {
        *counts.entry((hz * 10.0).round() as u64).or_default() += 1;
    }
    if counts.is_empty() {
        return;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(&tenths, n)| format!("{} Hz in {n}", tenths as f64 / 10.0))
        .collect();
    let _ = writeln!(
        s,
        "  mains       declared (PowerLineFrequency) {} of {} recordings",
        parts.join(", "),
        recordings.len()
    );
}

fn events_summary(s: &mut String, recordings: &[Recording]) {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for r in recordings {
        for (label, n) in r.event_counts() {
            *counts.entry(label).or_default() += n;
        }
    }
    if counts.is_empty() {
        let _ = writeln!(s, "  events      none");
        return;
    }
    let mut sorted: Vec<(&str, usize)> = counts.into_iter().collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let total: usize = sorted.iter().map(|(_, n)| n).sum();
    let parts: Vec<String> = sorted
        .iter()
        .take(8)
        .map(|(label, n)| format!("{label} ×{n} ({:.1}%)", 100.0 * *n as f64 / total as f64))
        .collect();
    let more = if sorted.len() > 8 {
        format!(", … {} more types", sorted.len() - 8)
    } else {
        String::new()
    };
    let _ = writeln!(s, "  events      {total}: {}{more}", parts.join(", "));
}

fn numpy_summary(s: &mut String, n: &dataset::numpy::NumpyDataset) {
    let _ = writeln!(
        s,
        "  X           {} examples × {} channels × {} samples, {:?}{}",
        n.examples,
        n.channels,
        n.samples,
        n.sample_type,
        if n.big_endian { " (big-endian)" } else { "" }
    );
    let total = n.examples.max(1) as f64;
    let classes: Vec<String> = n
        .class_counts
        .iter()
        .map(|(c, k)| format!("{c} ×{k} ({:.1}%)", 100.0 * *k as f64 / total))
        .collect();
    let _ = writeln!(
        s,
        "  y           {} classes: {}",
        n.class_counts.len(),
        classes.join(", ")
    );
    match &n.group_counts {
        Some(g) => {
            let _ = writeln!(s, "  groups      {} subjects", g.len());
        }
        None => {
            let _ = writeln!(s, "  groups      none (no groups.npy: subjects unknown)");
        }
    }
}

/// Prints a titled list, at most [`LIST_LIMIT`] lines.
fn list(s: &mut String, title: &str, items: impl Iterator<Item = String>) {
    let items: Vec<String> = items.collect();
    if items.is_empty() {
        return;
    }
    let _ = writeln!(s, "\n  {title} ({})", items.len());
    for item in items.iter().take(LIST_LIMIT) {
        let _ = writeln!(s, "    {item}");
    }
    if items.len() > LIST_LIMIT {
        let _ = writeln!(
            s,
            "    … {} more (--json lists all)",
            items.len() - LIST_LIMIT
        );
    }
}

fn format_rate(hz: f64) -> String {
    if hz.fract() == 0.0 {
        format!("{hz:.0}")
    } else {
        format!("{hz:.3}").trim_end_matches('0').to_string()
    }
}

pub fn human_bytes(b: u64) -> String {
    let b = b as f64;
    if b >= 1e9 {
        format!("{:.1} GB", b / 1e9)
    } else if b >= 1e6 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.1} kB", b / 1e3)
    }
}

pub fn human_duration(s: f64) -> String {
    if s >= 3600.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 60.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.1} s")
    }
}
