//! `preflight evaluate`: reads a model's predictions and the true labels,
//! prints the scorecard (or its JSON), and exits 1 when a `--fail-on`
//! condition holds.
//!
//! The JSON (`--json`, schema `preflight.evaluate/1`) is one object:
//!
//! - `schema`: `"preflight.evaluate/1"`;
//! - `predictions`, `labels`: the paths as given;
//! - `failing`: the `--fail-on` conditions that hold (`trap`, `chance`,
//!   `nan`);
//! - `scorecard`: `examples`, `classes`, `kind` (`logits`, `probabilities`,
//!   `labels`), `confusion` (rows true, columns predicted), `unscored` (per
//!   true class, rows whose output named no class), `correct`, `accuracy`,
//!   `balanced_accuracy`, `per_class` (`class`, `support`, `predicted`,
//!   `recall`, `precision`, null when undefined), `roc_auc` and
//!   `roc_auc_note`, `majority_class`, `majority_baseline`, `non_finite` and
//!   `not_a_class` (`count`, `share`), `plain_argmax` (`correct`,
//!   `accuracy`, `thresholded`; null for labels), `verdict` (`trap`,
//!   `accuracy_at_baseline`, `accuracy_below_baseline`, `accuracy_p_value`, `balanced_at_chance`,
//!   `chance`, `chance_se`, `non_finite`, `lines`) and `verdict_config`
//!   (`alpha`, `min_margin`, `z`, `below_margin`).
//!
//! The same inputs give byte-identical JSON.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use clap::Args;
use preflight::score::input::{read_inputs, InputConfig, KindChoice};
use preflight::score::{Scorecard, VerdictConfig, SCHEMA};
use serde::Serialize;

use crate::Outcome;

/// Arguments of `preflight evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The model's outputs: .npy (1-D integer labels, 2-D float scores
    /// examples × classes, or 1-D float positive-class scores) or
    /// .csv/.tsv/text (one column of labels, or one column per class).
    #[arg(long, value_name = "FILE")]
    pub predictions: PathBuf,

    /// The true labels, in the same order: .npy of integers, or one
    /// column of a .csv/.tsv/text file (integers or class names).
    #[arg(long, value_name = "FILE")]
    pub labels: PathBuf,

    /// What the predictions are: logits, probabilities, labels or auto
    /// (labels if integers; probabilities if every finite row is in [0, 1]
    /// and sums to 1; logits otherwise).
    #[arg(long, default_value = "auto", value_name = "KIND")]
    pub kind: String,

    /// Class names in index order (score columns, integer labels).
    /// Default: the sorted names of the labels, or 0, 1, ... for integers.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub classes: Option<Vec<String>>,

    /// Exit with code 1 when these hold: a comma list of trap (the
    /// accuracy trap), chance (balanced accuracy within noise of chance:
    /// the model separates nothing; part of the trap) and nan (NaN/Inf
    /// outputs), any, or none.
    #[arg(long, default_value = "any", value_name = "CONDITIONS")]
    pub fail_on: String,

    /// Significance level of the binomial test of accuracy against the
    /// majority baseline.
    #[arg(long, default_value_t = VerdictConfig::default().alpha, value_name = "P")]
    pub alpha: f64,

    /// Smallest gain of accuracy over the baseline that counts (0.01: one
    /// percentage point).
    #[arg(long, default_value_t = VerdictConfig::default().min_margin, value_name = "SHARE")]
    pub margin: f64,

    /// Shortfall of accuracy under the majority baseline (a share) from
    /// which it no longer counts as the baseline's accuracy.
    #[arg(long, default_value_t = VerdictConfig::default().below_margin, value_name = "SHARE")]
    pub below_margin: f64,

    /// Standard errors above chance that balanced accuracy must be.
    #[arg(long, default_value_t = VerdictConfig::default().z, value_name = "Z")]
    pub z: f64,

    /// Print JSON (schema preflight.evaluate/1) instead of the scorecard.
    #[arg(long)]
    pub json: bool,
}

/// A condition `--fail-on` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Condition {
    Trap,
    Chance,
    Nan,
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    predictions: String,
    labels: String,
    failing: Vec<Condition>,
    scorecard: &'a Scorecard,
}

/// Runs `evaluate`.
pub fn run(args: &EvaluateArgs) -> Result<Outcome> {
    // Checked settings.
    let kind: KindChoice = args
        .kind
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--kind {e}"))?;
    let fail_on = parse_fail_on(&args.fail_on)?;
    if !(args.alpha > 0.0 && args.alpha <= 1.0) {
        bail!(
            "--alpha {}: expected a significance level in (0, 1]",
            args.alpha
        );
    }
    if !(args.margin.is_finite() && args.z.is_finite()) {
        bail!("--margin and --z: expected finite numbers");
    }
    let config = InputConfig {
        kind,
        classes: args.classes.clone(),
    };
    let verdict = VerdictConfig {
        alpha: args.alpha,
        min_margin: args.margin,
        z: args.z,
        below_margin: args.below_margin,
    };

    // Read, score, judge.
    let inputs = read_inputs(&args.predictions, &args.labels, &config)
        .context("cannot read the predictions and labels")?;
    tracing::debug!(
        examples = inputs.labels.len(),
        classes = inputs.classes.len(),
        kind = inputs.predictions.kind_name(),
        "inputs read"
    );
    let card = Scorecard::with_config(
        &inputs.labels,
        &inputs.predictions,
        &inputs.classes,
        &verdict,
    )
    .context("cannot score the predictions")?;
    let failing: Vec<Condition> = fail_on
        .into_iter()
        .filter(|c| match c {
            Condition::Trap => card.is_trap(),
            Condition::Chance => card.verdict.balanced_at_chance,
            Condition::Nan => card.has_non_finite(),
        })
        .collect();

    if args.json {
        let doc = Document {
            schema: SCHEMA,
            predictions: args.predictions.display().to_string(),
            labels: args.labels.display().to_string(),
            failing: failing.clone(),
            scorecard: &card,
        };
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        print!("{card}");
    }
    Ok(if failing.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Findings
    })
}

fn parse_fail_on(text: &str) -> Result<Vec<Condition>> {
    match text {
        "any" => return Ok(vec![Condition::Trap, Condition::Chance, Condition::Nan]),
        "none" => return Ok(Vec::new()),
        _ => {}
    }
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim) {
        let c = match name {
            "trap" => Condition::Trap,
            "chance" => Condition::Chance,
            "nan" => Condition::Nan,
            other => {
                bail!(
                    "--fail-on: {other:?} is not a condition; expected any, none or a comma \
                     list of trap, chance, nan"
                )
            }
        };
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}
