//! `preflight synth`: a synthetic dataset with planted faults, and a
//! summary of what was written and planted.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use preflight::synth::{self, ControlPlan, FaultPlan, OutputFormat, SynthConfig, Truth};

use crate::cli::{FormatArg, SynthArgs};
use crate::Outcome;

/// Faults listed on screen before "… N more".
const LIST_LIMIT: usize = 12;

/// Runs `synth`.
pub fn run(args: &SynthArgs) -> Result<Outcome> {
    let config = config(args)?;
    let (truth, elapsed) = write(&config, &args.out)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&truth)?);
    } else {
        print!("{}", summary(&truth, &args.out, elapsed));
    }
    Ok(Outcome::Clean)
}

/// Turns the arguments into a config.
fn config(args: &SynthArgs) -> Result<SynthConfig> {
    let control = match args.control.as_deref() {
        None => ControlPlan::Drawn,
        Some("none") => ControlPlan::None,
        Some(s) => ControlPlan::Subject(s.parse().with_context(|| {
            format!("--control {s:?}: expected a subject number (e.g. 3) or `none`")
        })?),
    };
    let faults = if args.no_faults {
        FaultPlan::List(Vec::new())
    } else if args.faults.is_empty() {
        FaultPlan::OneOfEach
    } else {
        FaultPlan::List(args.faults.clone())
    };
    Ok(SynthConfig {
        subjects: args.subjects,
        runs: args.runs,
        channels: args.channels,
        sfreq_hz: args.sfreq,
        minutes: args.minutes,
        target_share: args.target_share,
        isi_s: args.isi,
        seed: args.seed,
        mains_hz: args.mains,
        faults,
        control,
        format: match args.format {
            FormatArg::Edf => OutputFormat::Edf,
            FormatArg::Npy => OutputFormat::Npy,
        },
    })
}

/// Generates into `out`, timing it; errors name the option to change.
pub fn write(config: &SynthConfig, out: &Path) -> Result<(Truth, Duration)> {
    let start = Instant::now();
    match synth::generate(config, out) {
        Ok(truth) => Ok((truth, start.elapsed())),
        Err(preflight::Error::Config { option, reason }) => {
            bail!("{}: {reason}", flag(&option))
        }
        Err(e) => Err(e).with_context(|| format!("cannot write the dataset to {}", out.display())),
    }
}

/// The command-line option that sets a config field.
fn flag(option: &str) -> String {
    let name = match option {
        "sfreq_hz" => "sfreq",
        "isi_s" => "isi",
        "mains_hz" => "mains",
        other if other.starts_with("fault ") => return format!("--{other}"),
        other => other,
    };
    format!("--{}", name.replace('_', "-"))
}

/// What was written and planted, on one screen.
pub fn summary(truth: &Truth, out: &Path, elapsed: Duration) -> String {
    let mut s = String::new();
    let files: BTreeSet<&str> = truth
        .recordings
        .iter()
        .map(|r| r.recording.as_str())
        .collect();
    let bytes: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(out.join(f)).ok())
        .map(|m| m.len())
        .sum();
    let stimuli: usize = truth.recordings.iter().map(|r| r.stimuli).sum();
    let targets: usize = truth.recordings.iter().map(|r| r.targets).sum();
    let runs: BTreeSet<&str> = truth.recordings.iter().map(|r| r.run.as_str()).collect();
    let layout = if truth.format == "npy" {
        "NumPy arrays"
    } else {
        "BIDS dataset"
    };
    let secs = elapsed.as_secs_f64();
    let _ = writeln!(s, "wrote {}  ({layout})", out.display());
    let _ = writeln!(
        s,
        "  {} subjects × {} runs × {} channels at {} Hz, {} s per run",
        truth.subjects.len(),
        runs.len(),
        truth.channels.len(),
        truth.sfreq_hz,
        truth.duration_s
    );
    let _ = writeln!(
        s,
        "  {stimuli} stimuli, {targets} targets ({:.1}%)",
        100.0 * targets as f64 / stimuli.max(1) as f64
    );
    let _ = writeln!(
        s,
        "  {} {} file(s), {:.1} MB in {secs:.1} s ({:.0} MB/s)",
        files.len(),
        truth.format.to_uppercase(),
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs.max(1e-9)
    );

    // Faults.
    let _ = writeln!(
        s,
        "\n  planted faults ({}, one per recording and channel)",
        truth.faults.len()
    );
    if truth.faults.is_empty() {
        let _ = writeln!(s, "    none");
    }
    for f in truth.faults.iter().take(LIST_LIMIT) {
        let mut what = f.kind.clone();
        if let Some(hz) = f.frequency_hz {
            let _ = write!(what, " {hz} Hz");
        }
        if let Some(a) = f.amplitude_uv {
            let _ = write!(what, " {a} µV");
        }
        if let Some(o) = f.offset_uv {
            let _ = write!(what, " offset {o} µV");
        }
        if let Some(l) = f.limit_uv {
            let _ = write!(what, " limit ±{l} µV");
        }
        let _ = writeln!(
            s,
            "    sub-{} run {}  {:<5} {what}, {}-{} s",
            f.subject,
            f.run,
            f.channel,
            f.onset_s,
            f.onset_s + f.duration_s
        );
    }
    if truth.faults.len() > LIST_LIMIT {
        let _ = writeln!(s, "    … {} more", truth.faults.len() - LIST_LIMIT);
    }
    match truth.controls.first() {
        Some(c) => {
            let _ = writeln!(
                s,
                "  control: sub-{}, clean but {}× larger; it must never be flagged",
                c.subject, c.gain
            );
        }
        None => {
            let _ = writeln!(s, "  control: none");
        }
    }
    let _ = writeln!(
        s,
        "\n  {} lists every fault (subject, recording, channel, kind, time, parameters).",
        out.join("truth.json").display()
    );
    s
}
