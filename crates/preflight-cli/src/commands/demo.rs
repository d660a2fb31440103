//! `preflight demo`: writes the demo dataset (the story of the design: a
//! classifier that looks 92% right while most of its outputs are NaN),
//! shows what it holds, and says what to look at next.
//!
//! The dataset itself is [`SynthConfig::demo`]; this file only prints.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};
use preflight::dataset::{self, DiscoverConfig};
use preflight::synth::{config::DEMO_DETACHED, SynthConfig, Truth};

use crate::cli::DemoArgs;
use crate::commands::{inspect, synth};
use crate::Outcome;

/// Runs `demo`.
pub fn run(args: &DemoArgs) -> Result<Outcome> {
    let out = &args.out;
    if std::fs::read_dir(out).is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{}: already holds files; the demo writes into a new folder, so remove it or \
             give another with --out DIR",
            out.display()
        );
    }
    let mut config = SynthConfig::demo();
    if let Some(m) = args.minutes {
        config.minutes = m;
    }
    eprintln!(
        "writing the demo dataset to {} ({} subjects × {} runs × {} channels, {} min per run)…",
        out.display(),
        config.subjects,
        config.runs,
        config.channels,
        config.minutes
    );
    let (truth, elapsed) = synth::write(&config, out)?;
    let dataset = dataset::discover(out, &DiscoverConfig::default())?;
    let bytes: u64 = dataset.recordings.iter().map(|r| r.bytes).sum();
    eprintln!(
        "wrote {} EDF files, {:.1} MB, in {:.1} s",
        dataset.recordings.len(),
        bytes as f64 / 1e6,
        elapsed.as_secs_f64()
    );

    print!("{}", inspect::summary(&dataset));
    print!("{}", next_steps(&truth, out));
    Ok(Outcome::Clean)
}

/// What the demo holds and what to do next, in plain words.
fn next_steps(truth: &Truth, out: &Path) -> String {
    let mut s = String::new();
    let stimuli: usize = truth.recordings.iter().map(|r| r.stimuli).sum();
    let targets: usize = truth.recordings.iter().map(|r| r.targets).sum();
    let share = 100.0 * targets as f64 / stimuli.max(1) as f64;
    let mut runs: Vec<&str> = truth
        .faults
        .iter()
        .map(|f| f.run.as_str())
        .collect::<Vec<_>>();
    runs.dedup();
    let subject = truth.faults.first().map_or("07", |f| f.subject.as_str());
    let control = truth.controls.first().map_or("14", |c| c.subject.as_str());
    let dir = out.display();
    let _ = writeln!(
        s,
        "
What this dataset is
  An EEG study of {} subjects in which only {share:.1}% of the events are
  targets: a classifier that always answers \"standard\" already scores
  {:.1}%. In runs {} of sub-{subject}, the contacts of
  {} have come loose and pick up {} Hz mains three orders of
  magnitude above the EEG. Those outliers would inflate any normalization
  and squash the real signal. sub-{control} is clean but three times larger
  than the others: a check must not mistake a big head for a fault.

What to look at next
  1. {dir}/truth.json lists every planted fault (subject, file, channel,
     kind, time, frequency, amplitude) and the control subject.
  2. preflight inspect {dir}
     shows the summary above again (--json for everything).
  3. preflight audit {dir}
     is the next step once it exists: it will sample the recordings, find the
     planted faults, and tell you what to remove before normalizing. This
     version of preflight does not include it yet.",
        truth.subjects.len(),
        100.0 - share,
        runs.join(" and "),
        DEMO_DETACHED.join(", "),
        truth
            .faults
            .first()
            .and_then(|f| f.frequency_hz)
            .unwrap_or(60.0),
    );
    s
}
