//! `preflight demo`: writes the demo dataset (the story of the design: a
//! classifier that looks 92% right while most of its outputs are NaN),
//! audits it, writes the report under `derivatives/preflight/`, trains the
//! baseline on what the audit left (`derivatives/preflight/model/`), and
//! says what to look at next.
//!
//! The dataset itself is [`SynthConfig::demo`]; this file only prints.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{bail, Result};
use preflight::audit::AuditConfig;
use preflight::dataset::{self, DiscoverConfig};
use preflight::synth::{config::DEMO_DETACHED, SynthConfig, Truth};

use crate::cli::DemoArgs;
#[cfg(feature = "train")]
use crate::commands::train;
use crate::commands::{audit, synth};
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

    // The audit, with its outputs where BIDS keeps derivatives.
    let config = AuditConfig::default();
    let started = std::time::Instant::now();
    let report = audit::run_audit(&dataset, &config);
    let report_dir = out.join("derivatives").join("preflight");
    let html = report_dir.join("report.html");
    let written = audit::write_outputs(&dataset, &report, &report_dir, None, Some(&html), &config)?;
    eprintln!("audited in {:.1} s", started.elapsed().as_secs_f64());

    print!("{}", story(&truth));
    print!("{}", audit::summary(&report, &written, &config));

    #[cfg(feature = "train")]
    if !args.no_train {
        use preflight::export::Preparation;
        // The baseline on what the audit left, normalized with its
        // statistics: the other half of the story.
        let prep = Preparation::from_audit(&report, &config);
        let options = train::Options {
            fail_on: Vec::new(),
            ..train::Options::default()
        };
        let started = std::time::Instant::now();
        let trained = train::train_dataset(&dataset, &prep, &options, &report_dir.join("model"))?;
        eprintln!("trained in {:.0} s", started.elapsed().as_secs_f64());
        print!("{}", baseline(&trained));
    }
    print!("{}", next_steps(out, &report_dir));
    Ok(Outcome::Clean)
}

/// The baseline's result on the held-out subjects, in a few lines.
#[cfg(feature = "train")]
fn baseline(trained: &train::Trained) -> String {
    let card = &trained.scorecard;
    let report = &trained.report;
    let mut s = format!(
        "
The baseline (preflight train), on the windows the audit left, normalized with its
statistics{}, tested on {} subjects it never saw: balanced accuracy {:.3} (chance
0.500), accuracy {:.3} against {:.3} for always answering {}, {} NaN/Inf outputs.
",
        if trained.aligned {
            " and aligned subject by subject"
        } else {
            ""
        },
        report.split.test_subjects.len(),
        card.balanced_accuracy,
        card.accuracy,
        card.majority_baseline,
        card.majority_class,
        card.non_finite.count
    );
    if let Some(stop) = &report.stopped {
        s.push_str(&format!("A guard stopped training: {stop}\n"));
    }
    for line in &card.verdict.lines {
        s.push_str(&format!("  - {line}\n"));
    }
    if card.is_trap() && !card.verdict.balanced_at_chance && report.config.class_weights.is_some() {
        s.push_str(
            "  - The loss weighs both classes equally (the audit's class weights), so the model \
             gives up standard hits for target ones and its accuracy sits under the majority \
             baseline by design: balanced accuracy is its measure.\n",
        );
    }
    s
}

/// What the demo dataset is, in plain words.
fn story(truth: &Truth) -> String {
    let stimuli: usize = truth.recordings.iter().map(|r| r.stimuli).sum();
    let targets: usize = truth.recordings.iter().map(|r| r.targets).sum();
    let share = 100.0 * targets as f64 / stimuli.max(1) as f64;
    let mut runs: Vec<&str> = truth.faults.iter().map(|f| f.run.as_str()).collect();
    runs.dedup();
    let subject = truth.faults.first().map_or("07", |f| f.subject.as_str());
    let control = truth.controls.first().map_or("14", |c| c.subject.as_str());
    let mains = truth
        .faults
        .first()
        .and_then(|f| f.frequency_hz)
        .unwrap_or(60.0);
    format!(
        "The demo: an EEG study of {} subjects in which {share:.1}% of the events are targets,
so answering \"standard\" every time scores {:.1}%. In runs {} of sub-{subject} the
contacts of {} came loose and pick up {mains} Hz mains three orders of
magnitude above the EEG. sub-{control} is clean but three times larger: not a fault.
This is what preflight audit made of it:

",
        truth.subjects.len(),
        100.0 - share,
        runs.join(" and "),
        DEMO_DETACHED.join(", "),
    )
}

/// Where to look next.
fn next_steps(out: &Path, report: &Path) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "
Look next at
  {}/report.html   the report to open in a browser: histograms, spectra, the outlier map
  {}/report.json   every finding with its evidence, the sample, the plan
  {}/truth.json    what was planted, to compare with what was found
  preflight audit {} --exclude channel   to keep the recordings and drop channels
  preflight train {} --no-audit          to see what training on the raw data does",
        report.display(),
        report.display(),
        out.display(),
        out.display(),
        out.display()
    );
    s
}
