//! Guards that watch every training step and say what went wrong, where,
//! and with which windows.
//!
//! - Activations: after each layer, the largest absolute value of each
//!   window in the batch is compared with that layer's level, the median
//!   of the same per-window figure over the first epoch (over the steps so
//!   far while the first epoch runs). A window at [`GuardConfig::spike`]
//!   times the level (default 100) is a spike, recorded and summed up per
//!   recording; at [`GuardConfig::bound`] times (default 1e4), or with any
//!   non-finite value, training stops. The level is per window, not per
//!   batch, because a fault in a few percent of windows is present in
//!   most batches and would set a per-batch level by itself.
//! - Loss: a non-finite loss stops training.
//! - Gradients: a non-finite gradient stops training, naming the
//!   parameters; a global norm (L2 over all parameters) at
//!   [`GuardConfig::explosion`] times the running median of the last
//!   [`GRADIENT_HISTORY`] steps (default 100×) is an explosion, recorded.

use std::collections::BTreeMap;
use std::fmt;

use candle_core::{Result, Tensor};
use serde::Serialize;

use crate::data::Examples;
use crate::model::{Taps, LAYERS};

/// Steps of gradient norms the running median is taken over.
pub const GRADIENT_HISTORY: usize = 100;

/// Steps before gradient explosions are judged (the median of fewer is
/// too noisy).
pub const GRADIENT_WARMUP: usize = 10;

/// Windows named in an incident.
pub const NAMED_WINDOWS: usize = 5;

/// Thresholds of the guards.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardConfig {
    /// Activation spike, times the layer's level.
    pub spike: f64,
    /// Activation bound that stops training, times the layer's level.
    pub bound: f64,
    /// Gradient explosion, times the running median norm.
    pub explosion: f64,
}

impl Default for GuardConfig {
    fn default() -> Self {
        GuardConfig {
            spike: 100.0,
            bound: 1e4,
            explosion: 100.0,
        }
    }
}

/// What a guard saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IncidentKind {
    /// A layer's output held NaN or ±Inf.
    NonFiniteActivation,
    /// A layer's output grew beyond the bound.
    ActivationBeyondBound,
    /// The loss was NaN or ±Inf.
    NonFiniteLoss,
    /// A gradient held NaN or ±Inf.
    NonFiniteGradient,
    /// The gradient norm jumped over its running median.
    GradientExplosion,
}

impl IncidentKind {
    /// Whether training stops on it.
    pub fn stops(self) -> bool {
        !matches!(self, IncidentKind::GradientExplosion)
    }
}

/// One window of a batch, named.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WindowRef {
    /// Index into the examples.
    pub index: usize,
    /// Recording path.
    pub recording: String,
    /// Subject label.
    pub subject: String,
    /// Start in the recording, s (NaN when not known).
    pub onset_s: f64,
    /// Its largest absolute activation (NaN when non-finite).
    pub value: f64,
}

impl WindowRef {
    fn of(examples: &Examples, index: usize, value: f64) -> WindowRef {
        WindowRef {
            index,
            recording: examples.recordings[examples.recording[index] as usize].clone(),
            subject: examples.subjects[examples.subject[index] as usize].clone(),
            onset_s: examples.onset_s[index],
            value,
        }
    }
}

impl fmt::Display for WindowRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.onset_s.is_finite() {
            write!(f, "{} at {:.2} s", self.recording, self.onset_s)
        } else {
            write!(f, "{} window {}", self.recording, self.index)
        }
    }
}

/// Something a guard saw at one step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// What.
    pub kind: IncidentKind,
    /// Epoch, from 1.
    pub epoch: usize,
    /// Step, from 1, counted over the whole run.
    pub step: usize,
    /// The layer (for activations).
    pub layer: Option<String>,
    /// The figure that tripped the guard: a largest absolute activation,
    /// or a gradient norm (NaN when not finite).
    pub value: f64,
    /// What it is compared with: the layer's level or the median norm.
    pub reference: f64,
    /// The windows of the batch that did it, worst first.
    pub windows: Vec<WindowRef>,
    /// Parameters whose gradients were not finite.
    pub parameters: Vec<String>,
    /// Windows in the batch.
    pub batch_size: usize,
}

impl fmt::Display for Incident {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = format!("step {} (epoch {})", self.step, self.epoch);
        let layer = self.layer.as_deref().unwrap_or("?");
        match self.kind {
            IncidentKind::NonFiniteActivation => write!(
                f,
                "{at}: the output of the {layer} became non-finite (NaN or Inf)"
            )?,
            IncidentKind::ActivationBeyondBound => write!(
                f,
                "{at}: activations of the {layer} reached {:.3e}, {:.0}× their level of {:.3e}",
                self.value,
                self.value / self.reference,
                self.reference
            )?,
            IncidentKind::NonFiniteLoss => write!(f, "{at}: the loss became non-finite")?,
            IncidentKind::NonFiniteGradient => write!(
                f,
                "{at}: gradients became non-finite in {}",
                self.parameters.join(", ")
            )?,
            IncidentKind::GradientExplosion => write!(
                f,
                "{at}: the gradient norm jumped to {:.3e}, {:.0}× its running median {:.3e}",
                self.value,
                self.value / self.reference,
                self.reference
            )?,
        }
        if !self.windows.is_empty() {
            let named: Vec<String> = self.windows.iter().map(|w| w.to_string()).collect();
            write!(
                f,
                "; windows of the batch of {}: {}",
                self.batch_size,
                named.join(", ")
            )?;
        }
        Ok(())
    }
}

/// Spikes of one layer over the whole run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Spikes {
    /// Steps with at least one spiking window.
    pub steps: usize,
    /// Spiking windows (counted once per time they were seen).
    pub windows: usize,
    /// Largest ratio to the layer's level.
    pub max_ratio: f64,
    /// Spiking windows per recording path.
    pub by_recording: BTreeMap<String, usize>,
}

/// Per-window largest absolute value of one layer's output.
#[derive(Debug, Clone)]
struct LayerStats {
    name: &'static str,
    /// Per window: the largest |value|, or NaN when any value is not
    /// finite.
    per_window: Vec<f32>,
}

/// Taps that measure every layer of one batch.
#[derive(Debug, Default)]
pub struct StepTaps {
    layers: Vec<LayerStats>,
}

impl Taps for StepTaps {
    fn tap(&mut self, name: &'static str, output: &Tensor) -> Result<()> {
        let (features, b, inner) = output.dims3()?;
        let values = output.flatten_all()?.to_vec1::<f32>()?;
        let mut per_window = vec![0.0f32; b];
        for f in 0..features {
            for (w, m) in per_window.iter_mut().enumerate() {
                let start = (f * b + w) * inner;
                for &v in &values[start..start + inner] {
                    // NaN marks a window with any non-finite value and
                    // stays: NaN.max(x) would drop it.
                    if !v.is_finite() || m.is_nan() {
                        *m = f32::NAN;
                    } else {
                        *m = m.max(v.abs());
                    }
                }
            }
        }
        self.layers.push(LayerStats { name, per_window });
        Ok(())
    }
}

/// The activation and gradient guards of one training run.
#[derive(Debug)]
pub struct Guards {
    config: GuardConfig,
    /// Per layer, the per-window figures of the first epoch.
    first_epoch: Vec<Vec<f32>>,
    /// Per layer, the level once the first epoch has ended.
    levels: Option<Vec<f64>>,
    spikes: BTreeMap<&'static str, Spikes>,
    norms: Vec<f64>,
    explosions: Vec<Incident>,
    held_out: BTreeMap<&'static str, Spikes>,
}

impl Guards {
    /// Guards with `config`.
    pub fn new(config: GuardConfig) -> Guards {
        Guards {
            config,
            first_epoch: vec![Vec::new(); LAYERS.len()],
            levels: None,
            spikes: BTreeMap::new(),
            norms: Vec::new(),
            explosions: Vec::new(),
            held_out: BTreeMap::new(),
        }
    }

    /// Ends the first epoch: its levels hold from now on.
    pub fn end_first_epoch(&mut self) {
        if self.levels.is_none() {
            self.levels = Some(self.first_epoch.iter_mut().map(|v| median(v)).collect());
            self.first_epoch = Vec::new();
        }
    }

    fn level(&mut self, layer: usize) -> f64 {
        match &self.levels {
            Some(levels) => levels[layer],
            None => median(&mut self.first_epoch[layer]),
        }
    }

    /// Judges the activations of one step. `batch` holds the windows'
    /// indices into `examples`. Returns the incident that stops training.
    pub fn activations(
        &mut self,
        taps: StepTaps,
        batch: &[usize],
        examples: &Examples,
        epoch: usize,
        step: usize,
    ) -> Option<Incident> {
        let incident = |kind, layer: &str, value, reference, windows| Incident {
            kind,
            epoch,
            step,
            layer: Some(layer.to_string()),
            value,
            reference,
            windows,
            parameters: Vec::new(),
            batch_size: batch.len(),
        };
        for (l, stats) in taps.layers.iter().enumerate() {
            let bad: Vec<WindowRef> = stats
                .per_window
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_nan())
                .take(NAMED_WINDOWS)
                .map(|(i, _)| WindowRef::of(examples, batch[i], f64::NAN))
                .collect();
            if !bad.is_empty() {
                let kind = IncidentKind::NonFiniteActivation;
                return Some(incident(kind, stats.name, f64::NAN, f64::NAN, bad));
            }
            if self.levels.is_none() {
                if let Some(v) = self.first_epoch.get_mut(l) {
                    v.extend_from_slice(&stats.per_window);
                }
            }
            let level = self.level(l).max(f64::MIN_POSITIVE);
            let mut worst: Vec<(usize, f64)> = stats
                .per_window
                .iter()
                .enumerate()
                .map(|(i, &v)| (i, f64::from(v) / level))
                .filter(|&(_, ratio)| ratio >= self.config.spike)
                .collect();
            if worst.is_empty() {
                continue;
            }
            worst.sort_by(|a, b| b.1.total_cmp(&a.1));
            let spikes = self.spikes.entry(stats.name).or_default();
            spikes.steps += 1;
            spikes.windows += worst.len();
            spikes.max_ratio = spikes.max_ratio.max(worst[0].1);
            for &(i, _) in &worst {
                let r = examples.recording[batch[i]] as usize;
                *spikes
                    .by_recording
                    .entry(examples.recordings[r].clone())
                    .or_default() += 1;
            }
            if worst[0].1 >= self.config.bound {
                let named = worst
                    .iter()
                    .take(NAMED_WINDOWS)
                    .map(|&(i, ratio)| WindowRef::of(examples, batch[i], ratio * level))
                    .collect();
                let kind = IncidentKind::ActivationBeyondBound;
                return Some(incident(kind, stats.name, worst[0].1 * level, level, named));
            }
        }
        None
    }

    /// Judges the gradient norm of one step (`norm` over all parameters,
    /// `non_finite` the parameters whose gradients are not finite).
    /// Returns the incident that stops training; explosions are kept.
    pub fn gradients(
        &mut self,
        norm: f64,
        non_finite: Vec<String>,
        batch_size: usize,
        epoch: usize,
        step: usize,
    ) -> Option<Incident> {
        let incident = |kind, reference, parameters| Incident {
            kind,
            epoch,
            step,
            layer: None,
            value: norm,
            reference,
            windows: Vec::new(),
            parameters,
            batch_size,
        };
        if !non_finite.is_empty() || !norm.is_finite() {
            return Some(incident(
                IncidentKind::NonFiniteGradient,
                f64::NAN,
                non_finite,
            ));
        }
        if self.norms.len() >= GRADIENT_WARMUP {
            let mut recent = self.norms.clone();
            let m = median_f64(&mut recent);
            if m > 0.0 && norm >= self.config.explosion * m {
                let kind = IncidentKind::GradientExplosion;
                self.explosions.push(incident(kind, m, Vec::new()));
            }
        }
        self.norms.push(norm);
        if self.norms.len() > GRADIENT_HISTORY {
            self.norms.remove(0);
        }
        None
    }

    /// Judges held-out windows (`batch`, indices into `examples`) against
    /// the training levels: spikes, and non-finite values (as spikes of
    /// infinite ratio), are counted per layer; nothing stops.
    pub fn held_out(&mut self, taps: StepTaps, batch: &[usize], examples: &Examples) {
        for (l, stats) in taps.layers.iter().enumerate() {
            let level = self.level(l).max(f64::MIN_POSITIVE);
            let spiking: Vec<(usize, f64)> = stats
                .per_window
                .iter()
                .enumerate()
                .map(|(i, &v)| {
                    (
                        i,
                        if v.is_nan() {
                            f64::INFINITY
                        } else {
                            f64::from(v) / level
                        },
                    )
                })
                .filter(|&(_, ratio)| ratio >= self.config.spike)
                .collect();
            if spiking.is_empty() {
                continue;
            }
            let spikes = self.held_out.entry(stats.name).or_default();
            spikes.steps += 1;
            spikes.windows += spiking.len();
            for &(i, ratio) in &spiking {
                spikes.max_ratio = spikes.max_ratio.max(ratio);
                let r = examples.recording[batch[i]] as usize;
                *spikes
                    .by_recording
                    .entry(examples.recordings[r].clone())
                    .or_default() += 1;
            }
        }
    }

    /// Spikes of held-out windows per layer.
    pub fn held_out_spikes(&self) -> &BTreeMap<&'static str, Spikes> {
        &self.held_out
    }

    /// Spikes per layer over the run.
    pub fn spikes(&self) -> &BTreeMap<&'static str, Spikes> {
        &self.spikes
    }

    /// Gradient explosions over the run.
    pub fn explosions(&self) -> &[Incident] {
        &self.explosions
    }

    /// The levels of the first epoch, per layer (once it has ended).
    pub fn levels(&self) -> Option<&[f64]> {
        self.levels.as_deref()
    }
}

fn median(v: &mut [f32]) -> f64 {
    let mut finite: Vec<f64> = v
        .iter()
        .filter(|x| x.is_finite())
        .map(|&x| x.into())
        .collect();
    median_f64(&mut finite)
}

/// Median by selection: the levels are taken at every step of the first
/// epoch over all of its windows so far, so no full sort.
fn median_f64(v: &mut [f64]) -> f64 {
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    let (below, &mut upper, _) = v.select_nth_unstable_by(n / 2, f64::total_cmp);
    if n % 2 == 1 {
        upper
    } else {
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        0.5 * (lower + upper)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(n: usize) -> Examples {
        Examples {
            channels: vec!["Cz".into()],
            sfreq_hz: 10.0,
            samples: 1,
            x: vec![0.0; n],
            y: vec![0; n],
            subject: vec![0; n],
            recording: (0..n).map(|i| u32::from(i == 3)).collect(),
            onset_s: (0..n).map(|i| i as f64).collect(),
            classes: vec!["a".into()],
            subjects: vec!["01".into()],
            recordings: vec!["good.edf".into(), "bad.edf".into()],
        }
    }

    fn taps(values: &[f32]) -> StepTaps {
        let mut t = StepTaps::default();
        let device = candle_core::Device::Cpu;
        let x = Tensor::from_vec(values.to_vec(), (1, values.len(), 1), &device).unwrap();
        t.tap(LAYERS[0], &x).unwrap();
        t
    }

    #[test]
    fn nan_names_layer_and_window() {
        let e = examples(4);
        let mut g = Guards::new(GuardConfig::default());
        let i = g
            .activations(taps(&[1.0, 2.0, 1.0, f32::NAN]), &[0, 1, 2, 3], &e, 1, 7)
            .expect("a NaN stops training");
        assert_eq!(i.kind, IncidentKind::NonFiniteActivation);
        assert_eq!(i.layer.as_deref(), Some("input"));
        assert_eq!(i.windows.len(), 1);
        assert_eq!(i.windows[0].recording, "bad.edf");
        let said = i.to_string();
        assert!(
            said.contains("step 7") && said.contains("bad.edf at 3.00 s"),
            "{said}"
        );
    }

    #[test]
    fn spikes_are_counted_and_the_bound_stops() {
        let e = examples(4);
        let mut g = Guards::new(GuardConfig::default());
        assert!(g
            .activations(taps(&[1.0, 1.0, 1.0, 1.0]), &[0, 1, 2, 0], &e, 1, 1)
            .is_none());
        g.end_first_epoch();
        assert_eq!(g.levels().map(|l| l[0]), Some(1.0));
        // 500× is a spike, not a stop.
        assert!(g
            .activations(taps(&[1.0, 1.0, 1.0, 500.0]), &[0, 1, 2, 3], &e, 2, 2)
            .is_none());
        let s = &g.spikes()["input"];
        assert_eq!((s.steps, s.windows), (1, 1));
        assert_eq!(s.by_recording["bad.edf"], 1);
        let i = g
            .activations(taps(&[1.0, 2e4, 1.0, 1.0]), &[0, 3, 2, 1], &e, 2, 3)
            .expect("2e4× stops training");
        assert_eq!(i.kind, IncidentKind::ActivationBeyondBound);
        assert_eq!(i.windows[0].index, 3);
        assert!(i.to_string().contains("20000×"), "{i}");
    }

    #[test]
    fn gradient_explosion_and_nan() {
        let mut g = Guards::new(GuardConfig::default());
        for step in 1..=20 {
            assert!(g
                .gradients(1.0 + step as f64 * 0.01, vec![], 8, 1, step)
                .is_none());
        }
        assert!(g.gradients(500.0, vec![], 8, 1, 21).is_none());
        assert_eq!(g.explosions().len(), 1);
        assert!(
            g.explosions()[0].to_string().contains("jumped"),
            "{}",
            g.explosions()[0]
        );
        let stop = g.gradients(f64::NAN, vec!["head.weight".into()], 8, 1, 22);
        let stop = stop.expect("a NaN gradient stops training");
        assert_eq!(stop.kind, IncidentKind::NonFiniteGradient);
        assert!(stop.to_string().contains("head.weight"));
    }
}
