//! `preflight convert`: one EDF/BDF recording decoded to physical units as
//! a float32 NumPy array (channels × samples) plus a JSON sidecar.
//!
//! Memory stays bounded: each channel is decoded and written in blocks.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use edf::Edf;
use npyz::WriterBuilder;
use serde::Serialize;

use crate::cli::ConvertArgs;
use crate::output::write_atomic;
use crate::Outcome;

/// Samples decoded per block.
const BLOCK: usize = 1 << 20;

/// Version of the sidecar.
const SCHEMA: &str = "preflight.convert/1";

/// The JSON written beside the array.
#[derive(Debug, Serialize)]
struct Sidecar {
    schema: &'static str,
    source: PathBuf,
    format: String,
    shape: [usize; 2],
    dtype: &'static str,
    sfreq_hz: f64,
    channels: Vec<String>,
    units: Vec<String>,
    /// Signals of other rates left out.
    skipped_channels: Vec<String>,
    start: Option<String>,
    annotations: Vec<AnnotationOut>,
    gaps: Vec<GapOut>,
    warnings: Vec<String>,
}

#[derive(Debug, Serialize)]
struct AnnotationOut {
    onset_s: f64,
    duration_s: Option<f64>,
    text: String,
}

#[derive(Debug, Serialize)]
struct GapOut {
    after_sample: u64,
    start_s: f64,
    duration_s: f64,
}

/// Runs `convert`.
pub fn run(args: &ConvertArgs) -> Result<Outcome> {
    let file = Edf::open(&args.file)?;
    for w in file.warnings() {
        tracing::warn!("{}: {w}", args.file.display());
    }
    let (signals, skipped) = pick_signals(&file, args.channels.as_deref())?;
    let h = file.header();
    let first = signals[0];
    let n = file.samples(first) as usize;
    let sfreq_hz = h.sfreq_hz(first).unwrap_or(0.0);

    // The array, channel by channel.
    write_atomic(&args.out, |w| {
        let shape = [signals.len() as u64, n as u64];
        let mut npy = npyz::WriteOptions::<f32>::new()
            .default_dtype()
            .shape(&shape)
            .writer(w)
            .begin_nd()
            .context("cannot start the .npy file")?;
        let mut buf = vec![0f32; BLOCK.min(n.max(1))];
        for &signal in &signals {
            let mut start = 0usize;
            while start < n {
                let len = BLOCK.min(n - start);
                file.read_physical(signal, start as u64, &mut buf[..len])?;
                npy.extend(buf[..len].iter().copied())?;
                start += len;
            }
        }
        npy.finish()?;
        Ok(())
    })
    .with_context(|| format!("cannot write {}", args.out.display()))?;

    // The sidecar.
    let spr = h.signals[first].samples_per_record as u64;
    let sidecar = Sidecar {
        schema: SCHEMA,
        source: args.file.clone(),
        format: format!("{:?}{}", h.format, variant_suffix(h.variant)).to_uppercase(),
        shape: [signals.len(), n],
        dtype: "float32",
        sfreq_hz,
        channels: signals
            .iter()
            .map(|&i| h.signals[i].label.clone())
            .collect(),
        units: signals
            .iter()
            .map(|&i| h.signals[i].unit().name().to_string())
            .collect(),
        skipped_channels: skipped,
        start: h.start.map(|t| {
            format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                t.year, t.month, t.day, t.hour, t.minute, t.second
            )
        }),
        annotations: file
            .annotations()
            .iter()
            .map(|a| AnnotationOut {
                onset_s: a.onset_s,
                duration_s: a.duration_s,
                text: a.text.clone(),
            })
            .collect(),
        gaps: file
            .gaps()
            .iter()
            .map(|g| GapOut {
                after_sample: (g.after_record + 1) * spr,
                start_s: g.start_s,
                duration_s: g.duration_s,
            })
            .collect(),
        warnings: file.warnings().iter().map(ToString::to_string).collect(),
    };
    let json_path = sidecar_path(&args.out);
    write_atomic(&json_path, |w| {
        serde_json::to_writer_pretty(&mut *w, &sidecar)?;
        w.write_all(b"\n")?;
        Ok(())
    })?;
    eprintln!(
        "wrote {} ({} channels × {n} samples at {sfreq_hz} Hz) and {}",
        args.out.display(),
        signals.len(),
        json_path.display()
    );
    Ok(Outcome::Clean)
}

fn variant_suffix(v: edf::Variant) -> &'static str {
    match v {
        edf::Variant::Plain => "",
        edf::Variant::Continuous => "+C",
        edf::Variant::Discontinuous => "+D",
    }
}

/// `OUT.npy` → `OUT.json`.
fn sidecar_path(out: &Path) -> PathBuf {
    out.with_extension("json")
}

/// The data signals to convert, and the names of those left out.
fn pick_signals(file: &Edf, names: Option<&[String]>) -> Result<(Vec<usize>, Vec<String>)> {
    let h = file.header();
    let data: Vec<usize> = h.data_signals().collect();
    if data.is_empty() {
        bail!(
            "{}: the file holds no data signals (annotations only)",
            file.path().display()
        );
    }
    let label = |i: usize| h.signals[i].label.clone();
    let rate = |i: usize| h.signals[i].samples_per_record;

    let chosen: Vec<usize> = match names {
        Some(names) => {
            let mut chosen = Vec::new();
            for name in names {
                let Some(&i) = data.iter().find(|&&i| h.signals[i].label == *name) else {
                    let all: Vec<String> = data.iter().map(|&i| label(i)).collect();
                    bail!(
                        "{}: no channel {name:?}; the file has {}",
                        file.path().display(),
                        all.join(", ")
                    );
                };
                chosen.push(i);
            }
            let rates: Vec<usize> = chosen.iter().map(|&i| rate(i)).collect();
            if rates.iter().any(|&r| r != rates[0]) {
                bail!(
                    "{}: the chosen channels have different sampling rates; pick channels of one \
                     rate with --channels",
                    file.path().display()
                );
            }
            chosen
        }
        None => {
            // The rate shared by most channels (the highest on a tie).
            let mut by_rate: BTreeMap<usize, usize> = BTreeMap::new();
            for &i in &data {
                *by_rate.entry(rate(i)).or_default() += 1;
            }
            let common = by_rate
                .iter()
                .max_by_key(|(r, n)| (**n, **r))
                .map(|(r, _)| *r)
                .unwrap_or(0);
            data.iter()
                .copied()
                .filter(|&i| rate(i) == common)
                .collect()
        }
    };
    let skipped: Vec<String> = data
        .iter()
        .filter(|i| !chosen.contains(i))
        .map(|&i| label(i))
        .collect();
    if names.is_none() && !skipped.is_empty() {
        tracing::warn!(
            "{}: {} channel(s) at other sampling rates left out: {} (choose with --channels)",
            file.path().display(),
            skipped.len(),
            skipped.join(", ")
        );
    }
    Ok((chosen, skipped))
}
