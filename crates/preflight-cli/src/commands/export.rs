//! `preflight export`: the windows after the audit's exclusions, normalized
//! with its statistics, written as NumPy shards with `index.json`,
//! `windows.tsv` and the `normalization.json` used (layout in
//! `preflight::export::index`).
//!
//! One shard is in memory at a time, so memory is bounded by the shard
//! size whatever the dataset's. Every file goes to a temporary file in OUT
//! and is renamed into place.

use std::fmt::Write as _;
use std::io::{BufWriter, IsTerminal, Write as _};
use std::path::Path;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use preflight::audit::normalize::{ChannelNormalization, NormalizationFile};
use preflight::export::index::{
    default_shard_windows, ShardEntry, EXPORT_SCHEMA, WINDOWS_TSV_HEADER,
};
use preflight::export::{npy, BatchReader, ExportIndex, Origin, Preparation, TensorPlan};
use preflight::window::{windows, Windows};

use crate::cli::ExportArgs;
use crate::commands::audit::{preparation, refuse_inside_dataset};
use crate::commands::inspect::load;
use crate::output::write_atomic;
use crate::Outcome;

/// Read errors printed on stderr before "… N more".
const ERRORS_SHOWN: usize = 10;

/// Runs `export`.
pub fn run(args: &ExportArgs) -> Result<Outcome> {
    if args.shard_size == Some(0) {
        bail!("--shard-size 0: expected at least one window per shard");
    }
    let dataset = load(&args.dataset)?;
    let out = &args.out;
    refuse_inside_dataset(&dataset, out, "OUT")?;
    check_out(out)?;

    // What the audit decided, and the tensor it gives.
    let (prep, audit) = preparation(&dataset, &args.source)?;
    let windows = windows(&dataset, &prep.windows);
    prep.check(&windows)?;
    let plan = TensorPlan::new(&dataset, &windows, &prep);
    for l in &plan.left_out {
        eprintln!(
            "warning: {}: left out ({} windows): {}",
            l.recording, l.windows, l.reason
        );
    }
    if plan.kept.is_empty() {
        bail!(
            "{}: no window to export ({} labelled windows, {} recordings excluded, {} left \
             out)",
            dataset.root.display(),
            windows.windows.len(),
            plan.excluded.len(),
            plan.left_out.len()
        );
    }
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let per_shard = args
        .shard_size
        .unwrap_or_else(|| default_shard_windows(&plan));

    // The shards, one in memory at a time.
    let bar = progress_bar(plan.kept.len() as u64)?;
    let reader = BatchReader::new(&dataset, &windows, &plan);
    let mut table = tempfile::Builder::new()
        .prefix(".preflight-")
        .tempfile_in(out)
        .with_context(|| format!("cannot create a temporary file in {}", out.display()))?;
    let mut tsv = BufWriter::new(table.as_file_mut());
    tsv.write_all(WINDOWS_TSV_HEADER.as_bytes())?;
    let mut shards = Vec::new();
    let mut errors = Vec::new();
    let mut non_finite = vec![0u64; plan.channels.len()];
    let mut masked_cells = 0u64;
    let mut bytes = 0u64;
    let mut rows = 0usize;
    for chunk in (0..plan.kept.len()).collect::<Vec<_>>().chunks(per_shard) {
        let batch = reader.read_with_progress(chunk, &|n| bar.inc(n));
        errors.extend(batch.errors.iter().map(|(_, e)| e.clone()));
        for (a, b) in non_finite.iter_mut().zip(&batch.non_finite) {
            *a += b;
        }
        if batch.is_empty() {
            continue;
        }
        let k = shards.len();
        let entry = ShardEntry::new(k, rows, batch.len());
        bytes += write_shard(out, &entry, &plan, &windows, &batch)?;
        masked_cells += batch.mask.iter().filter(|&&m| m == 0).count() as u64;
        for (row, (&p, onset)) in batch.positions.iter().zip(&batch.onsets_s).enumerate() {
            let line =
                preflight::export::index::windows_tsv_line(&windows, plan.kept[p], *onset, k, row);
            tsv.write_all(line.as_bytes())?;
        }
        rows += batch.len();
        shards.push(entry);
    }
    bar.finish_and_clear();
    tsv.flush()
        .with_context(|| format!("cannot write {}", out.join("windows.tsv").display()))?;
    drop(tsv);
    crate::output::readable_by_all(table.as_file())
        .with_context(|| format!("cannot write {}", out.join("windows.tsv").display()))?;
    table
        .persist(out.join("windows.tsv"))
        .with_context(|| format!("cannot write {}", out.join("windows.tsv").display()))?;
    remove_stale_shards(out, shards.len())?;

    // What the folder holds.
    let normalization = write_normalization(out, &prep, &plan)?;
    let index = ExportIndex {
        schema: EXPORT_SCHEMA,
        dataset: dataset.root.display().to_string(),
        audit: match &prep.origin {
            Origin::Report(p) => p.display().to_string(),
            Origin::Audit => "in-process".to_string(),
            Origin::None => "none".to_string(),
        },
        windows: rows,
        window_shape: [plan.channels.len(), plan.samples],
        dtype: "float32",
        channels: plan.channels.clone(),
        units: plan.units.clone(),
        sfreq_hz: plan.sfreq_hz,
        window_s: windows.duration_s,
        normalized: plan.normalized,
        mean: plan.mean.clone(),
        std: plan.std.clone(),
        normalization,
        classes: windows.classes.clone(),
        class_weights: plan.class_weights(&windows),
        subjects: windows.subjects.clone(),
        shards,
        windows_file: "windows.tsv".to_string(),
        exclusion_level: prep
            .exclusions
            .as_ref()
            .map_or("none".to_string(), |e| e.level.to_string()),
        left_out: ExportIndex::left_out(&plan),
        masked_cells,
        unreadable_windows: errors.len(),
        non_finite,
    };
    write_atomic(&out.join("index.json"), |w| {
        serde_json::to_writer_pretty(&mut *w, &index)?;
        writeln!(w)?;
        Ok(())
    })?;
    if let Some((report, _)) = &audit {
        write_atomic(&out.join("report.json"), |w| {
            serde_json::to_writer_pretty(&mut *w, report)?;
            writeln!(w)?;
            Ok(())
        })?;
    }
    bytes += folder_bytes(out, &["index.json", "windows.tsv", "normalization.json"]);

    // What happened.
    show_errors(&errors);
    print!("{}", summary(out, &index, &plan, bytes, per_shard));
    let total_non_finite: u64 = index.non_finite.iter().sum();
    Ok(
        if errors.is_empty() && plan.left_out.is_empty() && total_non_finite == 0 {
            Outcome::Clean
        } else {
            Outcome::Findings
        },
    )
}

/// OUT must be new, empty, or an earlier export (which is replaced).
fn check_out(out: &Path) -> Result<()> {
    let Ok(mut entries) = std::fs::read_dir(out) else {
        if out.exists() {
            bail!("OUT {} exists and is not a folder", out.display());
        }
        return Ok(());
    };
    if entries.next().is_none() {
        return Ok(());
    }
    let index = out.join("index.json");
    let is_export = std::fs::read_to_string(&index)
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .is_some_and(|v| v.get("schema").and_then(|s| s.as_str()) == Some(EXPORT_SCHEMA));
    if !is_export {
        bail!(
            "OUT {} holds files but no index.json of an earlier export; give a new or empty \
             folder (nothing else is overwritten)",
            out.display()
        );
    }
    Ok(())
}

fn progress_bar(total: u64) -> Result<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return Ok(ProgressBar::hidden());
    }
    let style = ProgressStyle::with_template(
        "{spinner} exporting [{bar:30}] {percent:>3}% {human_pos}/{human_len} windows, ETA {eta}",
    )
    .context("progress bar template")?
    .progress_chars("=> ");
    Ok(ProgressBar::new(total).with_style(style))
}

/// Writes the four arrays of one shard; returns their bytes.
fn write_shard(
    out: &Path,
    entry: &ShardEntry,
    plan: &TensorPlan,
    windows: &Windows,
    batch: &preflight::export::Batch,
) -> Result<u64> {
    let n = batch.len();
    let (c, t) = (plan.channels.len(), plan.samples);
    write_atomic(&out.join(&entry.x), |w| {
        npy::write_f32(w, &[n, c, t], &batch.x)?;
        Ok(())
    })?;
    let labels: Vec<i64> = batch.labels.iter().map(|&l| i64::from(l)).collect();
    write_atomic(&out.join(&entry.y), |w| {
        npy::write_i64(w, &labels)?;
        Ok(())
    })?;
    let groups: Vec<&str> = batch
        .subjects
        .iter()
        .map(|&s| windows.subjects[s as usize].as_str())
        .collect();
    write_atomic(&out.join(&entry.groups), |w| {
        npy::write_unicode(w, &groups)?;
        Ok(())
    })?;
    write_atomic(&out.join(&entry.mask), |w| {
        npy::write_u8(w, &[n, c], &batch.mask)?;
        Ok(())
    })?;
    Ok(folder_bytes(
        out,
        &[&entry.x, &entry.y, &entry.groups, &entry.mask],
    ))
}

/// Shard files of an earlier, longer export, numbered `shards` or more,
/// are removed so the folder holds one export only.
fn remove_stale_shards(out: &Path, shards: usize) -> Result<()> {
    let entries =
        std::fs::read_dir(out).with_context(|| format!("cannot list {}", out.display()))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let number = ["X-", "y-", "groups-", "mask-"]
            .iter()
            .find_map(|p| name.strip_prefix(p))
            .and_then(|rest| rest.strip_suffix(".npy"))
            .filter(|d| d.len() == 5 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<usize>().ok());
        if number.is_some_and(|k| k >= shards) {
            std::fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Writes normalization.json for X's channels, in X's order; without
/// normalization, removes one an earlier export left.
fn write_normalization(
    out: &Path,
    prep: &Preparation,
    plan: &TensorPlan,
) -> Result<Option<String>> {
    let path = out.join("normalization.json");
    let Some(n) = &prep.normalization else {
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("cannot remove {}", path.display()))?;
        }
        return Ok(None);
    };
    let channels: Vec<ChannelNormalization> = plan
        .channels
        .iter()
        .filter_map(|name| n.channels.iter().find(|c| &c.channel == name).cloned())
        .collect();
    let level = prep
        .exclusions
        .as_ref()
        .map_or("none".to_string(), |e| e.level.to_string());
    let file = NormalizationFile::new(&channels, n.full, &level);
    write_atomic(&path, |w| {
        serde_json::to_writer_pretty(&mut *w, &file)?;
        writeln!(w)?;
        Ok(())
    })?;
    Ok(Some("normalization.json".to_string()))
}

fn folder_bytes(out: &Path, names: &[&str]) -> u64 {
    names
        .iter()
        .filter_map(|n| std::fs::metadata(out.join(n)).ok())
        .map(|m| m.len())
        .sum()
}

fn show_errors(errors: &[preflight::read::ReadError]) {
    for e in errors.iter().take(ERRORS_SHOWN) {
        eprintln!("warning: {e} (window not exported)");
    }
    if errors.len() > ERRORS_SHOWN {
        eprintln!(
            "warning: … {} more windows could not be read",
            errors.len() - ERRORS_SHOWN
        );
    }
}

/// The terminal summary.
fn summary(
    out: &Path,
    index: &ExportIndex,
    plan: &TensorPlan,
    bytes: u64,
    per_shard: usize,
) -> String {
    let mut s = String::new();
    let [c, t] = index.window_shape;
    let _ = writeln!(
        s,
        "exported    {} windows of {c} channels × {t} samples ({} Hz, {:.2} s), {} → {}",
        index.windows,
        index.sfreq_hz,
        index.window_s,
        if index.normalized {
            "normalized with the audit's clean statistics"
        } else {
            "in µV, not normalized"
        },
        out.display()
    );
    let _ = writeln!(
        s,
        "shards      {} of at most {per_shard} windows, {:.1} MB in all",
        index.shards.len(),
        bytes as f64 / 1e6
    );
    let excluded: usize = plan.excluded.iter().map(|e| e.1).sum();
    if !plan.excluded.is_empty() {
        let _ = writeln!(
            s,
            "excluded    {} recordings by the audit ({excluded} windows): {}",
            plan.excluded.len(),
            plan.excluded
                .iter()
                .map(|e| e.0.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if index.masked_cells > 0 {
        let _ = writeln!(
            s,
            "masked      {} window × channel cells set to 0 (--exclude {}; mask-*.npy marks them)",
            index.masked_cells, index.exclusion_level
        );
    }
    if !plan.left_out.is_empty() {
        let n: usize = plan.left_out.iter().map(|l| l.windows).sum();
        let _ = writeln!(
            s,
            "left out    {} recordings whose channels do not fit the tensor ({n} windows; \
             listed in index.json)",
            plan.left_out.len()
        );
    }
    if index.unreadable_windows > 0 {
        let _ = writeln!(
            s,
            "unreadable  {} windows could not be decoded and are not exported",
            index.unreadable_windows
        );
    }
    let non_finite: u64 = index.non_finite.iter().sum();
    if non_finite > 0 {
        let worst: Vec<String> = index
            .channels
            .iter()
            .zip(&index.non_finite)
            .filter(|(_, &n)| n > 0)
            .take(8)
            .map(|(c, n)| format!("{c} {n}"))
            .collect();
        let _ = writeln!(
            s,
            "non-finite  {non_finite} NaN/Inf samples left as they are in X ({}): check them \
             before training",
            worst.join(", ")
        );
    }
    let shares: Vec<String> = index
        .class_weights
        .iter()
        .map(|c| {
            format!(
                "{} {:.1}% (weight {:.3})",
                c.class,
                100.0 * c.share,
                c.weight
            )
        })
        .collect();
    let _ = writeln!(s, "classes     {}", shares.join(", "));
    let _ = writeln!(s, "index       {}", out.join("index.json").display());
    s
}
