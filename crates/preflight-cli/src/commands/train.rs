//! `preflight train`: the guarded baseline. Takes the windows the audit
//! leaves (or all of them, raw, with `--no-audit`), normalized with its
//! statistics, trains the network of `preflight_train` on the subjects of
//! the training set, watches every step, and scores the held-out subjects
//! with the same scorecard as `preflight evaluate`.
//!
//! Writes into `--out`: `model.safetensors` (weights, batch-norm
//! statistics and the input normalization), `model.json`, and
//! `train.json` (schema `preflight.train/1`: the run, the guards'
//! incidents and the scorecard; no wall times, so the same inputs and seed
//! give the same file).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use preflight::dataset::Dataset;
use preflight::export::{BatchReader, Origin, Preparation, TensorPlan};
use preflight::score::{Predictions, ScoreKind, Scorecard};
use preflight::window::{windows, WindowSource, Windows};
use preflight_train::align::align_subjects;
use preflight_train::data::{decimate_rows, decimation_factor, Examples};
use preflight_train::save::{save, InputNormalization, ModelCard};
use preflight_train::train::{train, Progress, TrainConfig, TrainReport};
use serde::Serialize;

use crate::cli::{AuditSource, DatasetArgs};
use crate::commands::audit::{preparation, refuse_inside_dataset, thousands};
use crate::commands::inspect::load;
use crate::output::write_atomic;
use crate::Outcome;

/// Schema of `train.json`.
pub const SCHEMA: &str = "preflight.train/1";

/// Windows decoded at once while loading.
const LOAD_CHUNK: usize = 2048;

/// Arguments of `preflight train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The dataset.
    #[command(flatten)]
    pub dataset: DatasetArgs,

    /// The audit (its `--seed` also seeds the split, the initial weights,
    /// the batches and dropout).
    #[command(flatten)]
    pub source: AuditSource,

    /// Folder for model.safetensors, model.json and train.json. Never
    /// inside the dataset.
    #[arg(long, default_value = "preflight-model", value_name = "DIR")]
    pub out: PathBuf,

    /// Passes over the training set at most.
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub epochs: usize,

    /// Windows per batch.
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub batch_size: usize,

    /// AdamW learning rate.
    #[arg(long, default_value_t = 1e-3, value_name = "RATE")]
    pub lr: f64,

    /// AdamW weight decay.
    #[arg(long, default_value_t = 1e-2, value_name = "DECAY")]
    pub weight_decay: f64,

    /// Share of subjects held out for the test.
    #[arg(long, default_value_t = 0.2, value_name = "SHARE")]
    pub test_share: f64,

    /// Share of subjects held out for validation (best epoch, early stop).
    #[arg(long, default_value_t = 0.15, value_name = "SHARE")]
    pub validation_share: f64,

    /// Epochs without a better validation balanced accuracy before
    /// stopping.
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub patience: usize,

    /// Largest global gradient norm; larger gradients are scaled down.
    #[arg(long, value_name = "NORM")]
    pub clip_grad: Option<f64>,

    /// Stop after this many steps (batches).
    #[arg(long, value_name = "N")]
    pub max_steps: Option<usize>,

    /// Windows are decimated by the largest whole factor that keeps their
    /// rate at or above this (event-related responses lie below 30 Hz).
    #[arg(long, default_value_t = 64.0, value_name = "HZ")]
    pub rate: f64,

    /// Unweighted cross-entropy even when the audit gives class weights.
    #[arg(long)]
    pub no_class_weights: bool,

    /// Leave each subject's windows as the normalization gives them,
    /// instead of whitening them with the inverse square root of the
    /// subject's mean spatial covariance (Euclidean alignment, computed
    /// without labels; only for normalized windows).
    #[arg(long)]
    pub no_align: bool,

    /// Exit with code 1 when these hold: a comma list of stop (a guard
    /// stopped training), chance (balanced accuracy on the test subjects
    /// within noise of chance: nothing learned), trap (the accuracy trap:
    /// accuracy not above the majority baseline) and nan (non-finite test
    /// outputs), any, or none. The trap is not in the default: the
    /// class-weighted cross-entropy aims at balanced accuracy and moves
    /// accuracy under the majority baseline by design (the summary says
    /// so whenever accuracy is no measure of the model).
    #[arg(long, default_value = "stop,chance,nan", value_name = "LIST")]
    pub fail_on: String,
}

/// `train.json`.
#[derive(Debug, Serialize)]
struct TrainFile<'a> {
    schema: &'static str,
    dataset: String,
    audit: String,
    normalized: bool,
    aligned: bool,
    excluded_recordings: usize,
    decimation: usize,
    sfreq_hz: f64,
    run: &'a TrainReport,
    test_subjects: Vec<&'a str>,
    scorecard: &'a Scorecard,
    failing: Vec<&'static str>,
}

/// The settings of a run, as the flags give them.
#[derive(Debug, Clone)]
pub struct Options {
    /// Training settings (class weights filled from the audit).
    pub config: TrainConfig,
    /// Lowest rate after decimation, Hz.
    pub rate: f64,
    /// Unweighted cross-entropy even with the audit's weights.
    pub no_class_weights: bool,
    /// Align each subject's normalized windows (see `--no-align`).
    pub align: bool,
    /// Conditions that make the outcome [`Outcome::Findings`].
    pub fail_on: Vec<&'static str>,
}

impl Options {
    fn of(args: &TrainArgs) -> Result<Options> {
        Ok(Options {
            config: TrainConfig {
                epochs: args.epochs,
                batch_size: args.batch_size,
                learning_rate: args.lr,
                weight_decay: args.weight_decay,
                seed: args.source.run.seed,
                test_share: args.test_share,
                validation_share: args.validation_share,
                class_weights: None,
                clip_grad: args.clip_grad,
                max_steps: args.max_steps,
                patience: args.patience,
                ..TrainConfig::default()
            },
            rate: args.rate,
            no_class_weights: args.no_class_weights,
            align: !args.no_align,
            fail_on: parse_fail_on(&args.fail_on)?,
        })
    }
}

impl Default for Options {
    /// The defaults of the flags.
    fn default() -> Self {
        Options {
            config: TrainConfig::default(),
            rate: 64.0,
            no_class_weights: false,
            align: true,
            fail_on: vec!["stop", "chance", "nan"],
        }
    }
}

/// What a run wrote and found.
pub struct Trained {
    /// The run.
    pub report: TrainReport,
    /// The test subjects' scorecard.
    pub scorecard: Scorecard,
    /// The `--fail-on` conditions that hold.
    pub failing: Vec<&'static str>,
    /// Whether each subject's windows were aligned.
    pub aligned: bool,
    /// The summary to print.
    pub summary: String,
    /// Files written.
    pub written: Vec<PathBuf>,
}

/// Runs `train`.
pub fn run(args: &TrainArgs) -> Result<Outcome> {
    let options = Options::of(args)?;
    let dataset = load(&args.dataset)?;
    refuse_inside_dataset(&dataset, &args.out, "--out")?;
    let (prep, _) = preparation(&dataset, &args.source)?;
    let trained = train_dataset(&dataset, &prep, &options, &args.out)?;
    println!("{}", trained.summary);
    let names: Vec<String> = trained
        .written
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    println!("written: {}", names.join(", "));
    Ok(if trained.failing.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

/// Trains on the windows `prep` leaves of `dataset` and writes the model
/// and `train.json` into `out`.
///
/// # Errors
///
/// When no window can be read, a setting is out of range, or a file
/// cannot be written.
pub fn train_dataset(
    dataset: &Dataset,
    prep: &Preparation,
    options: &Options,
    out: &Path,
) -> Result<Trained> {
    let windows = windows(dataset, &prep.windows);
    prep.check(&windows)?;
    let plan = TensorPlan::new(dataset, &windows, prep);
    for l in &plan.left_out {
        eprintln!(
            "warning: {}: left out ({} windows): {}",
            l.recording, l.windows, l.reason
        );
    }
    if plan.kept.is_empty() {
        bail!("{}: no window to train on", dataset.root.display());
    }
    let factor = decimation_factor(plan.sfreq_hz, options.rate);
    let mut examples = load_examples(dataset, &windows, &plan, factor)?;
    // Raw windows stay raw: a run without the audit shows what the data
    // does to a network as it is.
    let alignment = if options.align && plan.normalized {
        Some(align_subjects(&mut examples)?)
    } else {
        None
    };

    let mut config = options.config.clone();
    // The split is drawn from all labelled windows, so that runs with and
    // without the audit's exclusions hold out the same subjects.
    let mut counts = vec![vec![0usize; windows.classes.len()]; windows.subjects.len()];
    for w in &windows.windows {
        counts[w.subject as usize][w.class as usize] += 1;
    }
    config.split_counts = Some(counts);
    config.class_weights = if options.no_class_weights {
        None
    } else {
        class_weights(prep, &windows)
    };
    eprintln!(
        "{}",
        header(
            dataset,
            prep,
            &plan,
            &examples,
            factor,
            &config,
            alignment.is_some()
        )
    );
    let trained = train_with_progress(&examples, &config)?;
    let report = trained.report;

    let k = examples.classes.len();
    let predictions = Predictions::Scores {
        kind: ScoreKind::Logits,
        classes: k,
        values: report.test.logits.iter().map(|&v| f64::from(v)).collect(),
    };
    let scorecard = Scorecard::new(&report.test.labels, &predictions, &examples.classes)
        .context("scoring the test subjects")?;

    let fail_on = &options.fail_on;
    let mut failing = Vec::new();
    if fail_on.contains(&"stop") && report.stopped.is_some() {
        failing.push("stop");
    }
    if fail_on.contains(&"chance") && scorecard.verdict.balanced_at_chance {
        failing.push("chance");
    }
    if fail_on.contains(&"trap") && scorecard.is_trap() {
        failing.push("trap");
    }
    if fail_on.contains(&"nan") && scorecard.has_non_finite() {
        failing.push("nan");
    }

    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let card = ModelCard {
        schema: "preflight.model/1".into(),
        net: report.net.clone(),
        channels: examples.channels.clone(),
        classes: examples.classes.clone(),
        input_sfreq_hz: plan.sfreq_hz,
        decimation: factor,
        window_s: match prep.windows {
            WindowSource::Events { offset_s, .. } => Some(offset_s),
            _ => None,
        },
        normalized: plan.normalized,
        aligned: alignment.is_some(),
    };
    let normalization = plan.normalized.then(|| InputNormalization {
        mean: plan.mean.iter().map(|&v| v as f32).collect(),
        std: plan.std.iter().map(|&v| v as f32).collect(),
    });
    let model_path = out.join("model.safetensors");
    save(
        &trained.net,
        &card,
        normalization.as_ref(),
        alignment
            .as_ref()
            .map(|a| (a, examples.subjects.as_slice())),
        &model_path,
    )?;
    let file = TrainFile {
        schema: SCHEMA,
        dataset: dataset.root.display().to_string(),
        audit: origin(prep),
        normalized: plan.normalized,
        aligned: alignment.is_some(),
        excluded_recordings: plan.excluded.len(),
        decimation: factor,
        sfreq_hz: examples.sfreq_hz,
        run: &report,
        test_subjects: report
            .split
            .test_subjects
            .iter()
            .map(|&s| examples.subjects[s as usize].as_str())
            .collect(),
        scorecard: &scorecard,
        failing: failing.clone(),
    };
    let json_path = out.join("train.json");
    write_atomic(&json_path, |w| {
        serde_json::to_writer_pretty(&mut *w, &file)?;
        Ok(())
    })?;
    let summary = summary(&report, &examples, &scorecard);
    Ok(Trained {
        summary,
        written: vec![model_path, out.join("model.json"), json_path],
        report,
        scorecard,
        failing,
        aligned: alignment.is_some(),
    })
}

fn parse_fail_on(text: &str) -> Result<Vec<&'static str>> {
    const ALL: [&str; 4] = ["stop", "chance", "trap", "nan"];
    match text {
        "any" => return Ok(ALL.to_vec()),
        "none" => return Ok(Vec::new()),
        _ => {}
    }
    text.split(',')
        .map(|name| {
            ALL.into_iter()
                .find(|c| *c == name.trim())
                .with_context(|| {
                    format!(
                        "--fail-on: {name:?} is not a condition; expected any, none or a comma \
                     list of stop, chance, trap, nan"
                    )
                })
        })
        .collect()
}

fn origin(prep: &Preparation) -> String {
    match &prep.origin {
        Origin::Audit => "in-process".into(),
        Origin::Report(p) => p.display().to_string(),
        Origin::None => "none".into(),
    }
}

/// The audit's balanced class weights, in the order of the classes.
fn class_weights(prep: &Preparation, windows: &Windows) -> Option<Vec<f64>> {
    let balance = prep.class_weights.as_ref()?;
    windows
        .classes
        .iter()
        .map(|c| balance.iter().find(|b| &b.class == c).map(|b| b.weight))
        .collect()
}

/// Decodes every kept window, a chunk at a time, decimating each chunk
/// as it comes so that only the lower-rate copy is held.
fn load_examples(
    dataset: &Dataset,
    windows: &Windows,
    plan: &TensorPlan,
    factor: usize,
) -> Result<Examples> {
    let bar = bar(
        plan.kept.len() as u64,
        "loading {bar:30} {human_pos}/{human_len} windows",
    )?;
    let reader = BatchReader::new(dataset, windows, plan);
    let mut examples = Examples {
        channels: plan.channels.clone(),
        sfreq_hz: plan.sfreq_hz / factor as f64,
        samples: plan.samples.div_ceil(factor),
        x: Vec::new(),
        y: Vec::new(),
        subject: Vec::new(),
        recording: Vec::new(),
        onset_s: Vec::new(),
        classes: windows.classes.clone(),
        subjects: windows.subjects.clone(),
        recordings: windows.recordings.clone(),
    };
    let positions: Vec<usize> = (0..plan.kept.len()).collect();
    let mut errors = 0usize;
    let mut non_finite = 0u64;
    for chunk in positions.chunks(LOAD_CHUNK) {
        let batch = reader.read_with_progress(chunk, &|n| bar.inc(n));
        for (_, e) in batch.errors.iter().take(3) {
            bar.println(format!("warning: {e}"));
        }
        errors += batch.errors.len();
        non_finite += batch.non_finite.iter().sum::<u64>();
        examples
            .x
            .extend(decimate_rows(&batch.x, plan.samples, factor));
        examples.y.extend_from_slice(&batch.labels);
        examples.subject.extend_from_slice(&batch.subjects);
        examples.recording.extend_from_slice(&batch.recordings);
        examples
            .onset_s
            .extend(batch.onsets_s.iter().map(|o| o.unwrap_or(f64::NAN)));
    }
    bar.finish_and_clear();
    if errors > 0 {
        eprintln!("warning: {errors} windows could not be read and are left out");
    }
    if non_finite > 0 {
        eprintln!(
            "warning: {non_finite} non-finite samples in the windows kept; the guards will stop \
             training at the first batch that holds one"
        );
    }
    if examples.is_empty() {
        bail!("{}: no window could be read", dataset.root.display());
    }
    examples.check()?;
    Ok(examples)
}

fn header(
    dataset: &Dataset,
    prep: &Preparation,
    plan: &TensorPlan,
    examples: &Examples,
    factor: usize,
    config: &TrainConfig,
    aligned: bool,
) -> String {
    let counts = examples.class_counts();
    let classes: Vec<String> = examples
        .classes
        .iter()
        .zip(&counts)
        .map(|(c, n)| format!("{c} {}", thousands(*n)))
        .collect();
    let audit = match &prep.origin {
        Origin::None => "no audit: raw values in µV, nothing excluded".to_string(),
        o => format!(
            "audit {}: {} recordings excluded, {} channel exclusions masked, normalized{}",
            match o {
                Origin::Report(p) => p.display().to_string(),
                _ => "run now".into(),
            },
            plan.excluded.len(),
            plan.masked_channels,
            if aligned {
                ", each subject aligned (whitened by its mean spatial covariance)"
            } else {
                ""
            }
        ),
    };
    let weights = match &config.class_weights {
        Some(w) => {
            let named: Vec<String> = examples
                .classes
                .iter()
                .zip(w)
                .map(|(c, w)| format!("{c} {w:.2}"))
                .collect();
            format!("class-weighted cross-entropy ({})", named.join(", "))
        }
        None => "unweighted cross-entropy".into(),
    };
    format!(
        "preflight train {}\n  {} windows of {} channels × {} samples at {} Hz (decimated by \
         {factor}); {}\n  {audit}\n  {weights}, AdamW lr {}, batch {}",
        dataset.root.display(),
        thousands(examples.len()),
        examples.channels.len(),
        examples.samples,
        examples.sfreq_hz,
        classes.join(", "),
        config.learning_rate,
        config.batch_size,
    )
}

fn train_with_progress(
    examples: &Examples,
    config: &TrainConfig,
) -> Result<preflight_train::train::Trained> {
    let bar = bar(
        0,
        "{spinner} epoch {prefix} [{bar:30}] {pos}/{len} batches, {msg}",
    )?;
    let mut epochs = 0;
    let trained = train(examples, config, &mut |p| match p {
        Progress::Start {
            steps_per_epoch,
            epochs: e,
        } => {
            bar.set_length(steps_per_epoch as u64);
            epochs = e;
            bar.set_prefix(format!("1/{e}"));
        }
        Progress::Step { epoch, step, loss } => {
            bar.set_prefix(format!("{epoch}/{epochs}"));
            bar.set_position(step as u64);
            bar.set_message(format!("loss {loss:.4}"));
        }
        Progress::Epoch(r) => say(
            &bar,
            format!(
                "epoch {:>2}: loss {:.4}, balanced accuracy {:.3} (training batches), {:.3} \
             (validation subjects), {:.1} s",
                r.epoch,
                r.train_loss,
                r.train_balanced_accuracy,
                r.validation_balanced_accuracy,
                r.seconds
            ),
        ),
        Progress::Incident(i) => say(&bar, format!("guard: {i}")),
    })?;
    bar.finish_and_clear();
    Ok(trained)
}

/// The recordings with the most spiking windows, with their counts (four,
/// then how many more), and the number of recordings.
fn worst_recordings(spikes: &preflight_train::guard::Spikes) -> (String, usize) {
    let mut recordings: Vec<(&String, &usize)> = spikes.by_recording.iter().collect();
    recordings.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut named: Vec<String> = recordings
        .iter()
        .take(4)
        .map(|(r, n)| format!("{r} ({n})"))
        .collect();
    if recordings.len() > 4 {
        named.push(format!("and {} more", recordings.len() - 4));
    }
    (named.join(", "), recordings.len())
}

/// A line above the progress bar, or on stderr when there is no bar.
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() {
        eprintln!("{line}");
    } else {
        bar.println(line);
    }
}

fn summary(report: &TrainReport, examples: &Examples, scorecard: &Scorecard) -> String {
    let mut s = String::new();
    let names = |subjects: &[u32]| -> String {
        let v: Vec<&str> = subjects
            .iter()
            .map(|&i| examples.subjects[i as usize].as_str())
            .collect();
        v.join(", ")
    };
    s.push_str(&format!(
        "split by subject: training {} subjects ({} windows), validation {} ({}), test {} ({}): \
         {}\n",
        report.split.train_subjects.len(),
        thousands(report.windows.train),
        report.split.validation_subjects.len(),
        thousands(report.windows.validation),
        report.split.test_subjects.len(),
        thousands(report.windows.test),
        names(&report.split.test_subjects)
    ));
    s.push_str(&format!(
        "network: EEGNet-like, {} parameters; {} epochs, {} steps of {} per epoch, {:.0} s",
        thousands(report.parameters),
        report.epochs.len(),
        thousands(report.steps),
        thousands(report.steps_per_epoch),
        report.seconds
    ));
    if let Some(best) = report.best_epoch {
        s.push_str(&format!(
            "; weights of epoch {best} (best validation balanced accuracy)"
        ));
    }
    s.push('\n');
    if !report.full_pass {
        s.push_str(&format!(
            "trained on {} batches of {}: less than one pass over the training set\n",
            thousands(report.steps),
            thousands(report.steps_per_epoch)
        ));
    }
    match &report.stopped {
        Some(i) => s.push_str(&format!("STOPPED by a guard: {i}\n")),
        None => s.push_str("guards: no non-finite loss, activation or gradient\n"),
    }
    for (layer, spikes) in &report.spikes {
        let (named, count) = worst_recordings(spikes);
        s.push_str(&format!(
            "activation spikes at the {layer}: {} windows over {} steps, up to {:.0}× the \
             first epoch's level, from {count} recordings: {named}\n",
            thousands(spikes.windows),
            thousands(spikes.steps),
            spikes.max_ratio,
        ));
    }
    for (layer, spikes) in &report.test_spikes {
        let (named, _) = worst_recordings(spikes);
        s.push_str(&format!(
            "test windows beyond {:.0}× the training level at the {layer}: {} windows, up to \
             {:.0}×, from {}: the network never saw the like in training\n",
            report.config.guards.spike,
            thousands(spikes.windows),
            spikes.max_ratio,
            named
        ));
    }
    if !report.explosions.is_empty() {
        s.push_str(&format!(
            "gradient explosions: {} (first: {})\n",
            report.explosions.len(),
            report.explosions[0]
        ));
    }
    s.push_str("\ntest subjects:\n");
    s.push_str(&scorecard.to_string());
    s
}

fn bar(len: u64, template: &str) -> Result<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return Ok(ProgressBar::hidden());
    }
    let style = ProgressStyle::with_template(template)
        .context("progress bar template")?
        .progress_chars("=> ");
    Ok(ProgressBar::new(len).with_style(style))
}
