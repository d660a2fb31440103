//! The training loop: seeded batches, class-weighted cross-entropy, AdamW,
//! guards at every step, validation after every epoch, the best epoch's
//! weights kept, and the held-out subjects predicted at the end.

use std::collections::BTreeMap;
use std::time::Instant;

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use preflight::score::metrics::Confusion;
use preflight::score::{Decision, Predictions, ScoreKind};

use crate::data::Examples;
use crate::error::TrainError;
use crate::guard::{GuardConfig, Guards, Incident, IncidentKind, Spikes, StepTaps};
use crate::model::{EegNet, NetConfig, NoTaps, Snapshot};
use crate::split::{split, Split};

/// Settings of a training run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainConfig {
    /// Passes over the training set at most.
    pub epochs: usize,
    /// Windows per batch.
    pub batch_size: usize,
    /// AdamW learning rate.
    pub learning_rate: f64,
    /// AdamW (decoupled) weight decay.
    pub weight_decay: f64,
    /// Seed of the split, the initial weights, the batches and dropout.
    pub seed: u64,
    /// Share of subjects held out for the test.
    pub test_share: f64,
    /// Share of subjects held out for validation (best epoch, early stop).
    pub validation_share: f64,
    /// Weight of each class in the cross-entropy; `None` weighs all the
    /// same.
    pub class_weights: Option<Vec<f64>>,
    /// Largest global gradient norm; larger gradients are scaled down.
    pub clip_grad: Option<f64>,
    /// Stop after this many steps (batches), whatever the epochs.
    pub max_steps: Option<usize>,
    /// Epochs without a better validation balanced accuracy before
    /// training stops early.
    pub patience: usize,
    /// Thresholds of the guards.
    pub guards: GuardConfig,
    /// Each training window is multiplied by a gain drawn log-uniformly
    /// from `[1/g, g]`: subjects differ in amplitude (skull, impedance,
    /// amplifier) and the network should not learn one subject's scale.
    /// `None` or 1 leaves windows as they are.
    pub gain_augmentation: Option<f64>,
    /// Windows per class of each subject to draw the split from (see
    /// [`split`]); `None` uses the examples'.
    #[serde(skip)]
    pub split_counts: Option<Vec<Vec<usize>>>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 30,
            batch_size: 64,
            learning_rate: 1e-3,
            weight_decay: 1e-2,
            seed: 0,
            test_share: 0.2,
            validation_share: 0.15,
            class_weights: None,
            clip_grad: None,
            max_steps: None,
            patience: 6,
            guards: GuardConfig::default(),
            gain_augmentation: Some(2.0),
            split_counts: None,
        }
    }
}

/// One epoch, as shown while training.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EpochRecord {
    /// Epoch, from 1.
    pub epoch: usize,
    /// Mean training loss of its steps.
    pub train_loss: f64,
    /// Balanced accuracy of the training batches as they were seen
    /// (dropout on).
    pub train_balanced_accuracy: f64,
    /// Balanced accuracy on the validation subjects, after the epoch.
    pub validation_balanced_accuracy: f64,
    /// Steps taken in the epoch.
    pub steps: usize,
    /// Wall time of the epoch, s (not serialized: the same run gives the
    /// same JSON).
    #[serde(skip)]
    pub seconds: f64,
}

/// What training reports while it runs.
#[derive(Debug)]
pub enum Progress<'a> {
    /// Training starts.
    Start {
        /// Batches in one pass over the training set.
        steps_per_epoch: usize,
        /// Epochs at most.
        epochs: usize,
    },
    /// A step ended.
    Step {
        /// Epoch, from 1.
        epoch: usize,
        /// Step within the epoch, from 1.
        step: usize,
        /// Its loss.
        loss: f64,
    },
    /// An epoch ended.
    Epoch(&'a EpochRecord),
    /// A guard saw something.
    Incident(&'a Incident),
}

/// The logits of the held-out windows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldOut {
    /// Window indices into the examples.
    pub windows: Vec<usize>,
    /// True classes.
    pub labels: Vec<u32>,
    /// Logits, `windows × classes`, row-major.
    pub logits: Vec<f32>,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    /// The network's shape.
    pub net: NetConfig,
    /// Trainable parameters.
    pub parameters: usize,
    /// The settings.
    pub config: TrainConfig,
    /// Subjects of each set.
    pub split: Split,
    /// Windows in each set.
    pub windows: SetSizes,
    /// Per epoch.
    pub epochs: Vec<EpochRecord>,
    /// The epoch whose weights were kept (best validation balanced
    /// accuracy); `None` when training stopped before an epoch ended.
    pub best_epoch: Option<usize>,
    /// Steps taken.
    pub steps: usize,
    /// Batches in one pass over the training set.
    pub steps_per_epoch: usize,
    /// Whether at least one whole pass over the training set was made.
    pub full_pass: bool,
    /// The incident that stopped training, if one did.
    pub stopped: Option<Incident>,
    /// Activation spikes per layer.
    pub spikes: BTreeMap<String, Spikes>,
    /// Gradient explosions.
    pub explosions: Vec<Incident>,
    /// Test windows whose activations were spikes against the training
    /// levels, per layer: inputs the network never saw the like of.
    pub test_spikes: BTreeMap<String, Spikes>,
    /// Gradient norm per step.
    pub gradient_norms: Vec<f64>,
    /// Per layer, the typical largest activation of a window in the first
    /// epoch.
    pub levels: Option<Vec<f64>>,
    /// The test subjects' windows, predicted with the kept weights.
    pub test: HeldOut,
    /// Wall time of training, s (not serialized).
    #[serde(skip)]
    pub seconds: f64,
}

/// Windows per set.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SetSizes {
    /// Training windows.
    pub train: usize,
    /// Validation windows.
    pub validation: usize,
    /// Test windows.
    pub test: usize,
}

/// A trained network and the report of its run.
pub struct Trained {
    /// The network, with the kept weights.
    pub net: EegNet,
    /// What happened.
    pub report: TrainReport,
}

/// Trains the baseline on `examples`. See the module documentation.
///
/// # Errors
///
/// [`TrainError`] when the examples or settings do not fit, or a tensor
/// operation fails. A guard that stops training is not an error: the
/// report says what it saw.
pub fn train(
    examples: &Examples,
    config: &TrainConfig,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<Trained, TrainError> {
    examples.check()?;
    check_config(config, examples.classes.len())?;
    let started = Instant::now();
    let device = Device::Cpu;
    let split = split(
        examples,
        config.test_share,
        config.validation_share,
        config.seed,
        config.split_counts.as_deref(),
    )?;
    let k = examples.classes.len();
    let net_config = NetConfig::eegnet(
        examples.channels.len(),
        examples.samples,
        k,
        examples.sfreq_hz,
    );
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut net = EegNet::new(net_config.clone(), &mut rng, &device)?;
    let vars: Vec<Var> = net
        .parameters()
        .into_iter()
        .map(|(_, v)| v.clone())
        .collect();
    let mut optimizer = AdamW::new(
        vars,
        ParamsAdamW {
            lr: config.learning_rate,
            weight_decay: config.weight_decay,
            ..ParamsAdamW::default()
        },
    )?;
    let weights: Vec<f32> = match &config.class_weights {
        Some(w) => w.iter().map(|&v| v as f32).collect(),
        None => vec![1.0; k],
    };
    let weights = Tensor::from_vec(weights, k, &device)?;

    let steps_per_epoch = split.train.len().div_ceil(config.batch_size);
    progress(Progress::Start {
        steps_per_epoch,
        epochs: config.epochs,
    });
    let mut guards = Guards::new(config.guards.clone());
    let mut order = split.train.clone();
    let mut epochs = Vec::new();
    let mut gradient_norms = Vec::new();
    let mut steps = 0usize;
    let mut stopped: Option<Incident> = None;
    let mut best: Option<(f64, usize, Snapshot)> = None;
    let max_steps = config.max_steps.unwrap_or(usize::MAX);

    'epochs: for epoch in 1..=config.epochs {
        let epoch_start = Instant::now();
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        let mut epoch_steps = 0;
        let (mut seen_labels, mut seen) = (Vec::new(), Vec::new());
        for (b, batch) in order.chunks(config.batch_size).enumerate() {
            if steps >= max_steps {
                break 'epochs;
            }
            steps += 1;
            let gains: Vec<f32> = match config.gain_augmentation {
                Some(g) if g > 1.0 => {
                    let span = g.ln();
                    (0..batch.len())
                        .map(|_| rng.random_range(-span..span).exp() as f32)
                        .collect()
                }
                _ => Vec::new(),
            };
            let (x, y) = scaled_batch(examples, batch, &gains, &device)?;
            let mut taps = StepTaps::default();
            let logits = net.forward(&x, true, &mut rng, &mut taps)?;
            if let Some(incident) = guards.activations(taps, batch, examples, epoch, steps) {
                progress(Progress::Incident(&incident));
                stopped = Some(incident);
                break 'epochs;
            }
            seen.extend(decisions(&logits.to_vec2::<f32>()?, k));
            seen_labels.extend(batch.iter().map(|&i| examples.y[i]));
            let loss = weighted_cross_entropy(&logits, &y, &weights)?;
            let loss_value = f64::from(loss.to_scalar::<f32>()?);
            if !loss_value.is_finite() {
                let incident = Incident {
                    kind: IncidentKind::NonFiniteLoss,
                    epoch,
                    step: steps,
                    layer: None,
                    value: loss_value,
                    reference: f64::NAN,
                    windows: Vec::new(),
                    parameters: Vec::new(),
                    batch_size: batch.len(),
                };
                progress(Progress::Incident(&incident));
                stopped = Some(incident);
                break 'epochs;
            }
            let mut grads = loss.backward()?;
            let mut sum_squares = 0.0f64;
            let mut non_finite = Vec::new();
            for (name, var) in net.parameters() {
                if let Some(g) = grads.get(var) {
                    let s = f64::from(g.sqr()?.sum_all()?.to_scalar::<f32>()?);
                    if !s.is_finite() {
                        non_finite.push(name.to_string());
                    }
                    sum_squares += s;
                }
            }
            let norm = sum_squares.sqrt();
            gradient_norms.push(norm);
            let explosions = guards.explosions().len();
            if let Some(incident) = guards.gradients(norm, non_finite, batch.len(), epoch, steps) {
                progress(Progress::Incident(&incident));
                stopped = Some(incident);
                break 'epochs;
            }
            if let Some(explosion) = guards.explosions().get(explosions) {
                progress(Progress::Incident(explosion));
            }
            if let Some(limit) = config.clip_grad {
                if norm > limit {
                    let scale = limit / norm;
                    for (_, var) in net.parameters() {
                        if let Some(g) = grads.get(var) {
                            let scaled = (g * scale)?;
                            grads.insert(var, scaled);
                        }
                    }
                }
            }
            optimizer.step(&grads)?;
            loss_sum += loss_value;
            epoch_steps += 1;
            progress(Progress::Step {
                epoch,
                step: b + 1,
                loss: loss_value,
            });
        }
        guards.end_first_epoch();
        if epoch_steps == 0 {
            break;
        }
        let validation = predict(&mut net, examples, &split.validation, config.batch_size)?;
        let record = EpochRecord {
            epoch,
            train_loss: loss_sum / epoch_steps as f64,
            train_balanced_accuracy: Confusion::new(&seen_labels, &seen, k)
                .balanced_accuracy()
                .unwrap_or(f64::NAN),
            validation_balanced_accuracy: balanced_accuracy(
                &validation,
                &labels_of(examples, &split.validation),
                k,
            ),
            steps: epoch_steps,
            seconds: epoch_start.elapsed().as_secs_f64(),
        };
        progress(Progress::Epoch(&record));
        let score = record.validation_balanced_accuracy;
        let improved = best.as_ref().is_none_or(|(b, _, _)| score > *b);
        if improved && score.is_finite() {
            best = Some((score, epoch, net.snapshot()?));
        }
        epochs.push(record);
        let best_epoch = best.as_ref().map_or(0, |(_, e, _)| *e);
        if epoch >= best_epoch + config.patience {
            break;
        }
        if epoch_steps < steps_per_epoch {
            break;
        }
    }

    // A stopped run is scored with the weights it stopped with: that is
    // the network a user would have had, and the point of the report.
    let best_epoch = match (&stopped, best) {
        (None, Some((_, epoch, state))) => {
            net.restore(&state)?;
            Some(epoch)
        }
        _ => None,
    };
    let test_logits = predict_watched(
        &mut net,
        examples,
        &split.test,
        config.batch_size,
        &mut guards,
    )?;
    let report = TrainReport {
        parameters: net_config.parameter_count(),
        net: net_config,
        config: config.clone(),
        windows: SetSizes {
            train: split.train.len(),
            validation: split.validation.len(),
            test: split.test.len(),
        },
        epochs,
        best_epoch,
        steps,
        steps_per_epoch,
        full_pass: steps >= steps_per_epoch,
        stopped,
        spikes: guards
            .spikes()
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        explosions: guards.explosions().to_vec(),
        test_spikes: guards
            .held_out_spikes()
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
        gradient_norms,
        levels: guards.levels().map(|l| l.to_vec()),
        test: HeldOut {
            windows: split.test.clone(),
            labels: labels_of(examples, &split.test),
            logits: test_logits.into_iter().flatten().collect(),
        },
        seconds: started.elapsed().as_secs_f64(),
        split,
    };
    Ok(Trained { net, report })
}

fn check_config(config: &TrainConfig, classes: usize) -> Result<(), TrainError> {
    let fail = |name, message: String| Err(TrainError::Config { name, message });
    if classes < 2 {
        return fail(
            "classes",
            format!("{classes}; a classifier needs at least 2"),
        );
    }
    if config.batch_size == 0 {
        return fail("batch_size", "0; expected at least 1".into());
    }
    if !(config.learning_rate.is_finite() && config.learning_rate > 0.0) {
        return fail(
            "learning_rate",
            format!("{}; expected > 0", config.learning_rate),
        );
    }
    if let Some(w) = &config.class_weights {
        if w.len() != classes || w.iter().any(|v| !(v.is_finite() && *v >= 0.0)) {
            return fail(
                "class_weights",
                format!("{w:?}; expected {classes} finite weights ≥ 0"),
            );
        }
    }
    if let Some(c) = config.clip_grad {
        if !(c.is_finite() && c > 0.0) {
            return fail("clip_grad", format!("{c}; expected > 0"));
        }
    }
    Ok(())
}

fn batch_tensors(
    examples: &Examples,
    batch: &[usize],
    device: &Device,
) -> Result<(Tensor, Tensor), TrainError> {
    scaled_batch(examples, batch, &[], device)
}

/// The windows of `batch`, each multiplied by its entry of `gains` (by 1
/// where `gains` is shorter).
fn scaled_batch(
    examples: &Examples,
    batch: &[usize],
    gains: &[f32],
    device: &Device,
) -> Result<(Tensor, Tensor), TrainError> {
    let size = examples.channels.len() * examples.samples;
    let mut x = Vec::with_capacity(batch.len() * size);
    for (j, &i) in batch.iter().enumerate() {
        match gains.get(j) {
            Some(&g) => x.extend(examples.window(i).iter().map(|v| v * g)),
            None => x.extend_from_slice(examples.window(i)),
        }
    }
    let x = Tensor::from_vec(
        x,
        (batch.len(), examples.channels.len(), examples.samples),
        device,
    )?;
    let y: Vec<u32> = batch.iter().map(|&i| examples.y[i]).collect();
    let y = Tensor::from_vec(y, batch.len(), device)?;
    Ok((x, y))
}

/// Σ w(yᵢ)·(−log softmax(xᵢ)[yᵢ]) / Σ w(yᵢ), PyTorch's weighted mean.
fn weighted_cross_entropy(
    logits: &Tensor,
    labels: &Tensor,
    weights: &Tensor,
) -> candle_core::Result<Tensor> {
    let log_p = candle_nn::ops::log_softmax(logits, 1)?;
    let picked = log_p.gather(&labels.unsqueeze(1)?, 1)?.squeeze(1)?;
    let w = weights.index_select(labels, 0)?;
    let total = w.sum_all()?;
    (picked * &w)?.sum_all()?.neg()?.broadcast_div(&total)
}

/// Logits of `windows`, in eval mode (running statistics, no dropout).
pub fn predict(
    net: &mut EegNet,
    examples: &Examples,
    windows: &[usize],
    batch_size: usize,
) -> Result<Vec<Vec<f32>>, TrainError> {
    predict_with(net, examples, windows, batch_size, None)
}

/// [`predict`], with every layer's activations judged against the
/// training levels.
fn predict_watched(
    net: &mut EegNet,
    examples: &Examples,
    windows: &[usize],
    batch_size: usize,
    guards: &mut Guards,
) -> Result<Vec<Vec<f32>>, TrainError> {
    predict_with(net, examples, windows, batch_size, Some(guards))
}

fn predict_with(
    net: &mut EegNet,
    examples: &Examples,
    windows: &[usize],
    batch_size: usize,
    mut guards: Option<&mut Guards>,
) -> Result<Vec<Vec<f32>>, TrainError> {
    let device = Device::Cpu;
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut out = Vec::with_capacity(windows.len());
    for batch in windows.chunks(batch_size.max(1)) {
        let (x, _) = batch_tensors(examples, batch, &device)?;
        let logits = match guards.as_deref_mut() {
            Some(g) => {
                let mut taps = StepTaps::default();
                let logits = net.forward(&x, false, &mut rng, &mut taps)?;
                g.held_out(taps, batch, examples);
                logits
            }
            None => net.forward(&x, false, &mut rng, &mut NoTaps)?,
        };
        out.extend(logits.to_dtype(DType::F32)?.to_vec2::<f32>()?);
    }
    Ok(out)
}

fn labels_of(examples: &Examples, windows: &[usize]) -> Vec<u32> {
    windows.iter().map(|&i| examples.y[i]).collect()
}

/// What rows of logits decide, as the scorecard reads them: a row with a
/// NaN or Inf names no class and is wrong, instead of landing on class 0.
fn decisions(logits: &[Vec<f32>], classes: usize) -> Vec<Decision> {
    Predictions::Scores {
        kind: ScoreKind::Logits,
        classes,
        values: logits.iter().flatten().map(|&v| f64::from(v)).collect(),
    }
    .decide(classes)
}

/// Mean recall over the classes present in `labels`, as the scorecard
/// computes it; NaN without labels.
pub fn balanced_accuracy(logits: &[Vec<f32>], labels: &[u32], classes: usize) -> f64 {
    Confusion::new(labels, &decisions(logits, classes), classes)
        .balanced_accuracy()
        .unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_non_finite_row_is_wrong_not_class_0() {
        let logits = vec![vec![1.0, 0.0], vec![f32::NAN, 0.0], vec![0.0, 1.0]];
        // Class 0: one of two right; class 1: one of one.
        assert_eq!(balanced_accuracy(&logits, &[0, 0, 1], 2), 0.75);
        assert!(balanced_accuracy(&[], &[], 2).is_nan());
    }
}
