//! `preflight audit`: checks the arguments, runs the library's audit,
//! writes report.json, normalization.json and exclusions.tsv, and prints
//! one screen that says what was found and what to do next.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use preflight::audit::detect::DetectConfig;
use preflight::audit::finding::Cause;
use preflight::audit::normalize::NormalizationFile;
use preflight::audit::plan::ExcludeLevel;
use preflight::audit::{audit, Audit, AuditConfig, Stage};
use preflight::dataset::Dataset;
use preflight::export::Preparation;
use preflight::read::ReadConfig;
use preflight::sample::{SampleConfig, SampleSize};
use preflight::window::{ClassMap, FixedLabel, WindowSource};

use crate::cli::{AuditArgs, AuditRunArgs, AuditSource};
use crate::commands::inspect::load_with;
use crate::output::write_atomic;
use crate::Outcome;

/// Every cause `--fail-on` accepts.
const CAUSES: [Cause; 11] = [
    Cause::Nan,
    Cause::Inf,
    Cause::Flat,
    Cause::Clipping,
    Cause::Detached,
    Cause::Mains,
    Cause::DcOffset,
    Cause::HfNoise,
    Cause::Bursts,
    Cause::HighAmplitude,
    Cause::LowAmplitude,
];

/// The checked settings of one run.
struct Settings {
    config: AuditConfig,
    fail_on: BTreeSet<Cause>,
}

/// Runs `audit`.
pub fn run(args: &AuditArgs) -> Result<Outcome> {
    let settings = settings(args)?;
    let clock = std::time::Instant::now();
    // The audit decodes a sample: records are checked as they are read.
    let dataset = load_with(&args.dataset, false)?;
    let report = run_audit(&dataset, &settings.config);
    tracing::info!("audited: {:.3} s", clock.elapsed().as_secs_f64());
    let written = write_outputs(
        &dataset,
        &report,
        &args.out,
        args.bids_derivative.as_deref(),
        args.html.as_deref(),
        &settings.config,
    )?;
    tracing::info!("outputs written: {:.3} s", clock.elapsed().as_secs_f64());
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", summary(&report, &written, &settings.config));
    }
    let failing = report
        .findings
        .iter()
        .any(|f| settings.fail_on.contains(&f.cause));
    // The process ends next: its memory goes back whole, without freeing
    // the dataset's and the report's allocations one by one.
    std::mem::forget(report);
    std::mem::forget(dataset);
    Ok(if failing {
        Outcome::Findings
    } else {
        Outcome::Clean
    })
}

/// Runs the audit with stage messages on stderr when it is a terminal.
pub fn run_audit(dataset: &Dataset, config: &AuditConfig) -> Audit {
    let show = std::io::stderr().is_terminal();
    audit(dataset, config, &|stage, windows| {
        if show {
            let what = match stage {
                Stage::Sample => "measuring the sample",
                Stage::Confirm => "measuring implicated recordings in full",
                Stage::Normalize => "measuring normalization statistics",
            };
            let _ = writeln!(std::io::stderr(), "{what}: {windows} windows");
        }
    })
}

/// What the audit decided for `dataset`, from the source the arguments
/// name: a report read back, an audit run now (returned too, with its
/// config, for writing), or no audit.
pub fn preparation(
    dataset: &Dataset,
    source: &AuditSource,
) -> Result<(Preparation, Option<(Audit, AuditConfig)>)> {
    if let Some(path) = &source.audit {
        let prep = Preparation::from_report(path).context("--audit")?;
        return Ok((prep, None));
    }
    let config = audit_config(&source.run)?;
    if source.no_audit {
        return Ok((Preparation::raw(config.windows, config.read), None));
    }
    let report = run_audit(dataset, &config);
    let prep = Preparation::from_audit(&report, &config);
    Ok((prep, Some((report, config))))
}

fn settings(args: &AuditArgs) -> Result<Settings> {
    let config = audit_config(&args.run)?;
    let fail_on = match args.fail_on.as_str() {
        "any" => CAUSES.into_iter().collect(),
        "none" => BTreeSet::new(),
        list => list
            .split(',')
            .map(|name| {
                CAUSES
                    .into_iter()
                    .find(|c| c.name() == name.trim())
                    .with_context(|| {
                        let names: Vec<&str> = CAUSES.iter().map(|c| c.name()).collect();
                        format!(
                            "--fail-on: {name:?} is not a cause; expected any, none or a \
                             comma list of {}",
                            names.join(", ")
                        )
                    })
            })
            .collect::<Result<_>>()?,
    };
    Ok(Settings { config, fail_on })
}

/// The checked audit configuration of the audit's flags.
pub fn audit_config(args: &AuditRunArgs) -> Result<AuditConfig> {
    let windows = match args.fixed {
        Some(length_s) => {
            if !(length_s.is_finite() && length_s > 0.0) {
                bail!("--fixed {length_s}: expected a positive number of seconds");
            }
            let label = match (&args.label_participants, &args.labels) {
                (Some(column), _) => FixedLabel::Participants(column.clone()),
                (None, Some(path)) => FixedLabel::Table(read_labels(path)?),
                (None, None) => FixedLabel::None,
            };
            WindowSource::Fixed { length_s, label }
        }
        None => WindowSource::Events {
            offset_s: parse_window(&args.window)?,
            classes: args
                .classes
                .as_deref()
                .map(str::parse::<ClassMap>)
                .transpose()
                .context("--classes")?,
        },
    };
    if !(args.fraction > 0.0 && args.fraction <= 1.0) {
        bail!("--fraction {}: expected a share in (0, 1]", args.fraction);
    }
    if !(args.z.is_finite() && args.z > 0.0) {
        bail!("--z {}: expected a positive number", args.z);
    }
    let exclude: ExcludeLevel = args
        .exclude
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--exclude: {e}"))?;
    let size = match (args.full, args.count) {
        (true, _) => SampleSize::Full,
        (false, Some(n)) => SampleSize::Count(n),
        (false, None) => SampleSize::Fraction(args.fraction),
    };
    let z = args.z;
    let mut detect = DetectConfig {
        amplitude_z: z,
        offset_z: z,
        line_z: z,
        hf_z: z,
        ..DetectConfig::default()
    };
    for (name, value) in &args.thresholds {
        detect
            .set(name, *value)
            .map_err(|e| anyhow::anyhow!("--threshold: {e}"))?;
    }
    Ok(AuditConfig {
        windows,
        sample: SampleConfig {
            size,
            min_per_stratum: args.min_per_stratum,
            min_per_recording: args.min_per_recording,
            seed: args.seed,
        },
        full: args.full,
        read: ReadConfig {
            numpy_sfreq_hz: args.sfreq,
            numpy_to_uv: args.numpy_to_uv,
        },
        detect,
        exclude,
        ..AuditConfig::default()
    })
}

/// `START:END` in seconds, START < END.
fn parse_window(text: &str) -> Result<(f64, f64)> {
    let parsed = text
        .split_once(':')
        .and_then(|(a, b)| Some((a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?)));
    match parsed {
        Some((a, b)) if a.is_finite() && b.is_finite() && a < b => Ok((a, b)),
        _ => bail!(
            "--window {text:?}: expected START:END in seconds with START < END, e.g. -0.2:0.8"
        ),
    }
}

/// A labels table: `key,label` (or tab-separated) rows, where key is a
/// subject or a recording path; a first row naming the columns is skipped.
fn read_labels(path: &Path) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --labels {}", path.display()))?;
    let mut table = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let sep = if line.contains('\t') { '\t' } else { ',' };
        let Some((key, label)) = line.split_once(sep) else {
            bail!(
                "{} line {}: expected `subject,label` or `recording,label`, found {line:?}",
                path.display(),
                n + 1
            );
        };
        let key = key.trim().trim_start_matches("sub-");
        if n == 0 && matches!(key, "subject" | "recording" | "participant_id") {
            continue;
        }
        table.insert(key.to_string(), label.trim().to_string());
    }
    if table.is_empty() {
        bail!("{}: no labels", path.display());
    }
    Ok(table)
}

/// Paths of the files written.
pub struct Written {
    report: PathBuf,
    normalization: PathBuf,
    exclusions: PathBuf,
    html: Option<PathBuf>,
    derivative: Vec<PathBuf>,
}

/// Writes report.json, normalization.json and exclusions.tsv into `out`,
/// the HTML report to `html` and the derivative channels.tsv files into
/// `derivative` when given.
pub fn write_outputs(
    dataset: &Dataset,
    report: &Audit,
    out: &Path,
    derivative: Option<&Path>,
    html: Option<&Path>,
    config: &AuditConfig,
) -> Result<Written> {
    refuse_inside_inputs(dataset, out, "--out")?;
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let written = Written {
        report: out.join("report.json"),
        normalization: out.join("normalization.json"),
        exclusions: out.join("exclusions.tsv"),
        html: html.map(Path::to_path_buf),
        derivative: Vec::new(),
    };
    write_atomic(&written.report, |w| {
        serde_json::to_writer_pretty(&mut *w, report)?;
        writeln!(w)?;
        Ok(())
    })?;
    let normalization = NormalizationFile::new(
        &report.normalization,
        config.full,
        &config.exclude.to_string(),
    );
    write_atomic(&written.normalization, |w| {
        serde_json::to_writer_pretty(&mut *w, &normalization)?;
        writeln!(w)?;
        Ok(())
    })?;
    write_atomic(&written.exclusions, |w| {
        w.write_all(report.exclusions.to_tsv().as_bytes())?;
        Ok(())
    })?;
    if let Some(path) = &written.html {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let page = preflight::report::html::render(report);
        write_atomic(path, |w| {
            w.write_all(page.as_bytes())?;
            Ok(())
        })?;
    }
    let derivative = match derivative {
        Some(dir) => write_derivative(dataset, report, dir)?,
        None => Vec::new(),
    };
    Ok(Written {
        derivative,
        ..written
    })
}

/// Refuses an output folder that is a recording's own folder, so no input
/// is ever overwritten.
fn refuse_inside_inputs(dataset: &Dataset, out: &Path, flag: &str) -> Result<()> {
    let out_abs = std::fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf());
    // The folder of each input, resolved once per folder: a dataset has
    // hundreds of recordings in a few folders, and resolving a path asks
    // the file system once per component. A recording that is itself a
    // link is resolved on its own.
    let mut folders: BTreeMap<PathBuf, Option<PathBuf>> = BTreeMap::new();
    for r in &dataset.recordings {
        let file = dataset.root_of(&r.path);
        let is_link = std::fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_symlink());
        let dir = if is_link {
            std::fs::canonicalize(&file)
                .ok()
                .and_then(|f| f.parent().map(Path::to_path_buf))
        } else {
            let parent = match file.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            folders
                .entry(parent)
                .or_insert_with_key(|p| std::fs::canonicalize(p).ok())
                .clone()
        };
        if dir.as_deref() == Some(out_abs.as_path()) {
            bail!(
                "{flag} {} is the folder of input {}; choose another folder \
                 (inputs are never written)",
                out.display(),
                file.display()
            );
        }
    }
    Ok(())
}

/// Whether `path` is an existing file of the dataset (under its root but
/// not under `derivatives/`).
fn is_input(dataset: &Dataset, path: &Path) -> bool {
    match std::fs::canonicalize(path) {
        Ok(file) => is_under_root(dataset, &file),
        Err(_) => false,
    }
}

/// Refuses an output folder inside the dataset (except under
/// `derivatives/`), existing or not yet, so that outputs never mix with
/// inputs.
pub fn refuse_inside_dataset(dataset: &Dataset, out: &Path, what: &str) -> Result<()> {
    if resolved(out).is_some_and(|p| is_under_root(dataset, &p)) {
        bail!(
            "{what} {} is inside the dataset {}; choose a folder outside it (or under its \
             derivatives/): inputs are never written",
            out.display(),
            dataset.root.display()
        );
    }
    Ok(())
}

/// Whether the absolute, resolved `path` lies under the dataset's root
/// folder but not under its `derivatives/`.
fn is_under_root(dataset: &Dataset, path: &Path) -> bool {
    let root = if dataset.root.is_file() {
        dataset
            .root
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
    } else {
        dataset.root.clone()
    };
    let root = if root.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        root
    };
    match std::fs::canonicalize(root) {
        Ok(root) => path
            .strip_prefix(&root)
            .is_ok_and(|rel| !rel.starts_with("derivatives")),
        Err(_) => false,
    }
}

/// `path` absolute, its existing part resolved (links, `..`), the rest
/// appended, so that a folder not created yet compares with the dataset's.
fn resolved(path: &Path) -> Option<PathBuf> {
    let mut rest = Vec::new();
    let mut at = path.to_path_buf();
    loop {
        let probe = if at.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            at.clone()
        };
        if let Ok(mut p) = std::fs::canonicalize(&probe) {
            p.extend(rest.iter().rev());
            return Some(p);
        }
        rest.push(at.file_name()?.to_os_string());
        at = at.parent()?.to_path_buf();
    }
}

/// Writes `<recording>_channels.tsv` with status and status_description
/// for every recording with findings, at the recording's relative path
/// under `dir`.
fn write_derivative(dataset: &Dataset, report: &Audit, dir: &Path) -> Result<Vec<PathBuf>> {
    refuse_inside_inputs(dataset, dir, "--bids-derivative")?;
    let mut bad: BTreeMap<&str, BTreeMap<&str, Vec<&'static str>>> = BTreeMap::new();
    for f in &report.findings {
        bad.entry(f.recording.as_str())
            .or_default()
            .entry(f.channel.as_str())
            .or_default()
            .push(f.cause.describe());
    }
    let mut written = Vec::new();
    for r in &dataset.recordings {
        let rel = r
            .path
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        let Some(channels) = bad.get(rel.as_str()) else {
            continue;
        };
        let name = r
            .path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let stem = name
            .rsplit_once('_')
            .map_or(name.as_str(), |(stem, _)| stem)
            .to_string();
        let target = dir
            .join(r.path.parent().unwrap_or(Path::new("")))
            .join(format!("{stem}_channels.tsv"));
        if is_input(dataset, &target) {
            bail!(
                "{} is an input; refusing to write over it",
                target.display()
            );
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let mut tsv = String::from("name\ttype\tunits\tstatus\tstatus_description\n");
        for c in &r.channels {
            let (status, description) = match channels.get(c.name.as_str()) {
                Some(causes) => ("bad", format!("preflight: {}", causes.join("; "))),
                None => (
                    c.status.as_deref().unwrap_or("good"),
                    c.status_description
                        .clone()
                        .unwrap_or_else(|| "n/a".to_string()),
                ),
            };
            let _ = writeln!(
                tsv,
                "{}\t{}\t{}\t{status}\t{description}",
                c.name, c.kind, c.unit
            );
        }
        write_atomic(&target, |w| {
            w.write_all(tsv.as_bytes())?;
            Ok(())
        })?;
        written.push(target);
    }
    Ok(written)
}

/// The one-screen summary.
pub fn summary(report: &Audit, written: &Written, config: &AuditConfig) -> String {
    let mut s = String::new();
    let d = &report.dataset;
    let _ = writeln!(
        s,
        "{}  ({} subjects, {} recordings, {} windows of {:.2} s)",
        d.root,
        d.subjects,
        d.recordings,
        thousands(d.windows),
        d.window_s
    );
    if !d.unreadable.is_empty() {
        let _ = writeln!(
            s,
            "  {} files could not be read (see `preflight inspect`)",
            d.unreadable.len()
        );
    }

    // What was looked at.
    let sm = &report.sample;
    let how = match sm.size {
        SampleSize::Full => "every window".to_string(),
        SampleSize::Count(n) => format!("{n} asked"),
        SampleSize::Fraction(f) => format!("1 in {:.0} asked: {}", 1.0 / f, sm.requested),
    };
    let _ = writeln!(
        s,
        "sample      {} windows ({how}; at least {} per recording, {} per subject × class)",
        thousands(sm.sampled),
        config.sample.min_per_recording,
        config.sample.min_per_stratum
    );
    if d.bytes > 0 {
        let _ = writeln!(
            s,
            "read        {:.1} MB of {:.1} MB ({:.2}%): only the data records holding \
             measured windows",
            sm.bytes_read as f64 / 1e6,
            d.bytes as f64 / 1e6,
            100.0 * sm.bytes_read as f64 / d.bytes as f64
        );
    }
    if !sm.confirmed_recordings.is_empty() {
        let _ = writeln!(
            s,
            "confirmed   {} implicated recordings measured in full ({} windows in all)",
            sm.confirmed_recordings.len(),
            thousands(sm.measured)
        );
    }

    // What was found.
    let recordings: BTreeSet<&str> = report
        .findings
        .iter()
        .map(|f| f.recording.as_str())
        .collect();
    let channels: BTreeSet<&str> = report.findings.iter().map(|f| f.channel.as_str()).collect();
    if report.findings.is_empty() {
        let _ = writeln!(s, "found       nothing to exclude");
    } else {
        let _ = writeln!(
            s,
            "found       {} problems on {} channels of {} recordings",
            report.findings.len(),
            channels.len(),
            recordings.len()
        );
    }
    let _ = writeln!(s, "            {}", report.attribution.summary);
    for (cause, group) in group_findings(report) {
        let _ = writeln!(s, "  {}", group_line(cause, &group));
    }
    for note in &report.notes {
        let _ = writeln!(s, "note        {}", note.text);
    }

    // What to do.
    let e = &report.exclusions;
    let excluded = match e.level {
        ExcludeLevel::Recording => format!("{} recordings", e.recordings.len()),
        ExcludeLevel::Channel => format!("{} channels of recordings", e.channels.len()),
        ExcludeLevel::Window => format!("{} channel windows", e.windows.len()),
    };
    if !e.is_empty() {
        let _ = writeln!(
            s,
            "exclude     {excluded} (--exclude {}) → {}",
            e.level,
            written.exclusions.display()
        );
    }
    let worst = report
        .normalization
        .iter()
        .filter_map(|c| c.compression.map(|k| (k, c)))
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let _ = write!(
        s,
        "normalize   per-channel mean and std of the clean data → {}",
        written.normalization.display()
    );
    match worst {
        Some((k, c)) if k >= 2.0 => {
            let _ = writeln!(
                s,
                "\n            left in, the outliers would inflate the std of {} {:.0}×: \
                 the clean signal would fill {:.2}% of the normalized range",
                c.channel,
                k,
                100.0 * c.clean_share.unwrap_or(0.0)
            );
        }
        _ => {
            let _ = writeln!(s);
        }
    }
    let b = &report.balance;
    let unlabelled = b.majority_class.as_deref() == Some(preflight::window::UNLABELLED);
    match (&b.warning, b.majority_baseline.filter(|_| !unlabelled)) {
        (Some(w), _) => {
            let _ = writeln!(s, "balance     {w}");
        }
        (None, Some(base)) => {
            let shares: Vec<String> = b
                .classes
                .iter()
                .map(|c| format!("{} {:.1}%", c.class, 100.0 * c.share))
                .collect();
            let _ = writeln!(
                s,
                "balance     {}; majority baseline {:.1}%",
                shares.join(", "),
                100.0 * base
            );
        }
        _ => {}
    }
    if report.read_problem_count > 0 {
        let _ = writeln!(
            s,
            "problems    {} windows could not be decoded (listed in report.json)",
            report.read_problem_count
        );
    }
    let _ = writeln!(s, "report      {}", written.report.display());
    if let Some(html) = &written.html {
        let _ = writeln!(s, "html        {}", html.display());
    }
    for p in &written.derivative {
        let _ = writeln!(s, "derivative  {}", p.display());
    }

    // The next step.
    let next = if report.findings.is_empty() {
        "next        normalize with normalization.json and train; report balanced accuracy"
            .to_string()
    } else {
        format!(
            "next        look at the findings in {}, then train without what \
             exclusions.tsv lists, normalized with normalization.json",
            written.report.display()
        )
    };
    let _ = writeln!(s, "{next}");
    s
}

/// Findings grouped by cause and recording, for one line each.
fn group_findings(report: &Audit) -> Vec<(Cause, Vec<&preflight::audit::finding::Finding>)> {
    let mut groups: BTreeMap<(Cause, &str), Vec<&preflight::audit::finding::Finding>> =
        BTreeMap::new();
    for f in &report.findings {
        groups
            .entry((f.cause, f.recording.as_str()))
            .or_default()
            .push(f);
    }
    groups
        .into_iter()
        .map(|((c, _), g)| (c, g))
        .take(12)
        .collect()
}

fn group_line(cause: Cause, group: &[&preflight::audit::finding::Finding]) -> String {
    let first = group[0];
    let mut names: Vec<String> = group.iter().take(8).map(|f| f.channel.clone()).collect();
    if group.len() > names.len() {
        names.push(format!("{} more", group.len() - names.len()));
    }
    let e = &first.evidence;
    let mut why = Vec::new();
    if let (Some(hz), Some(r)) = (e.line_hz, e.line_ratio) {
        if matches!(cause, Cause::Detached | Cause::Mains) {
            why.push(format!(
                "{hz:.0} Hz at {:.0} dB over its flanks",
                10.0 * r.log10()
            ));
        }
    }
    if let (Some(s), Some(c)) = (e.std_uv, e.channel_std_uv) {
        if s > 3.0 * c {
            why.push(format!(
                "{} µV std against {:.0} µV",
                thousands(s.round() as usize),
                c
            ));
        }
    }
    if let Some(m) = e.mean_uv {
        if m.abs() >= 1000.0 {
            why.push(format!("offset {:.0} mV", m / 1000.0));
        }
    }
    let extent = match first.extent_s {
        Some((a, b)) => format!(", {a:.0}–{b:.0} s"),
        None => String::new(),
    };
    format!(
        "{}  {}  {}: {}{}{} ({}/{} windows{extent})",
        first.subject,
        first.recording,
        names.join(", "),
        cause.describe(),
        if why.is_empty() { "" } else { "; " },
        why.join(", "),
        first.windows_flagged,
        first.windows_measured
    )
}

/// `n` with commas between groups of three digits: 23,322.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
