//! A compact convolutional network for windows of multichannel signals, in
//! the spirit of EEGNet (Lawhern et al., 2018): a temporal convolution
//! that learns frequency filters shared by all electrodes, a depthwise
//! spatial convolution that learns a few spatial filters per frequency
//! filter, a separable convolution (depthwise in time, then pointwise),
//! batch normalization, ELU, average pooling, dropout and a linear head.
//!
//! The temporal and the depthwise spatial convolution are computed as one
//! linear map: for each temporal filter `f` and spatial filter `d`, the
//! combined kernel is the outer product of `f`'s taps and `d`'s channel
//! weights, applied as one matrix product to the input unfolded in time.
//! That never builds the (temporal filters × channels × time) activation
//! of the original layout, which dominated a step's time and memory. It
//! leaves out EEGNet's batch-norm between the two: the spatial
//! convolution is linear and per temporal filter, and the batch-norm after
//! it normalizes each of its outputs, so the first one's scale and shift
//! cancel and the network computes the same family of functions.
//!
//! Parameters are created and initialized here, from the seed, instead of
//! through `candle_nn::VarMap`: candle's CPU random numbers cannot be
//! seeded, and its batch-norm keeps running statistics outside the map, so
//! a saved model would lose them. Dropout masks come from the same seeded
//! generator for the same reason.
//!
//! Every layer's output can be handed to an observer ([`Taps`]) during the
//! forward pass; the guards use it to find the first layer whose
//! activations became non-finite or grew out of bounds.

use std::collections::HashMap;

use candle_core::{DType, Device, Result, Tensor, Var};
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// The shape of the network.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetConfig {
    /// Input channels (electrodes).
    pub channels: usize,
    /// Input samples per channel.
    pub samples: usize,
    /// Output classes.
    pub classes: usize,
    /// Temporal filters.
    pub temporal_filters: usize,
    /// Spatial filters per temporal filter.
    pub spatial_per_temporal: usize,
    /// Filters of the separable convolution.
    pub separable_filters: usize,
    /// Length of the temporal kernel, samples.
    pub temporal_kernel: usize,
    /// Length of the separable convolution's depthwise kernel, samples.
    pub separable_kernel: usize,
    /// Average-pooling factor after the spatial convolution.
    pub pool1: usize,
    /// Average-pooling factor after the separable convolution.
    pub pool2: usize,
    /// Dropout probability.
    pub dropout: f32,
}

impl NetConfig {
    /// EEGNet-8,2 sized for `samples` at `sfreq_hz`: 8 temporal filters of
    /// half a second, 2 spatial filters each, 16 separable filters, pooling
    /// by 4 and 8 (by less when the window is short), dropout 0.25 as
    /// recommended for generalization across subjects.
    pub fn eegnet(channels: usize, samples: usize, classes: usize, sfreq_hz: f64) -> NetConfig {
        let half_second = ((sfreq_hz / 2.0).round() as usize).clamp(3, samples.max(3));
        let pool1 = if samples >= 32 { 4 } else { 1 };
        let pool2 = if samples / pool1 >= 16 { 8 } else { 1 };
        NetConfig {
            channels,
            samples,
            classes,
            temporal_filters: 8,
            spatial_per_temporal: 2,
            separable_filters: 16,
            temporal_kernel: half_second,
            separable_kernel: 16.min((samples / pool1).max(1)),
            pool1,
            pool2,
            dropout: 0.25,
        }
    }

    fn spatial_filters(&self) -> usize {
        self.temporal_filters * self.spatial_per_temporal
    }

    fn flat_features(&self) -> usize {
        self.separable_filters * (self.samples / self.pool1 / self.pool2).max(1)
    }

    /// Number of trainable parameters.
    pub fn parameter_count(&self) -> usize {
        let (f1, f12, f2) = (
            self.temporal_filters,
            self.spatial_filters(),
            self.separable_filters,
        );
        f1 * self.temporal_kernel
            + f12 * self.channels
            + 2 * f12
            + f12 * self.separable_kernel
            + f2 * f12
            + 2 * f2
            + self.classes * self.flat_features()
            + self.classes
    }
}

/// Receives each layer's output during a forward pass.
pub trait Taps {
    /// `name` is the layer, `output` its activations as
    /// `(features, batch, values)`.
    fn tap(&mut self, name: &'static str, output: &Tensor) -> Result<()>;
}

/// Taps that ignore everything.
pub struct NoTaps;

impl Taps for NoTaps {
    fn tap(&mut self, _: &'static str, _: &Tensor) -> Result<()> {
        Ok(())
    }
}

/// Names of the layers handed to [`Taps`], in order.
pub const LAYERS: [&str; 4] = [
    "input",
    "temporal and spatial convolution",
    "separable convolution",
    "linear head (logits)",
];

/// Batch normalization over the feature axis (axis 1), with running
/// statistics for evaluation, as PyTorch's `BatchNorm1d/2d` (momentum
/// 0.1, unbiased running variance, eps 1e-5).
struct BatchNorm {
    weight: Var,
    bias: Var,
    running_mean: Tensor,
    running_var: Tensor,
    features: usize,
}

impl BatchNorm {
    const MOMENTUM: f64 = 0.1;
    const EPS: f64 = 1e-5;

    fn new(features: usize, device: &Device) -> Result<BatchNorm> {
        Ok(BatchNorm {
            weight: Var::ones(features, DType::F32, device)?,
            bias: Var::zeros(features, DType::F32, device)?,
            running_mean: Tensor::zeros(features, DType::F32, device)?,
            running_var: Tensor::ones(features, DType::F32, device)?,
            features,
        })
    }

    /// `x` is feature-major, `(features, values)`: candle reduces along
    /// the last axis fast and along others element by element, and the
    /// backward pass of every broadcast is such a reduction.
    fn forward(&mut self, x: &Tensor, train: bool) -> Result<Tensor> {
        let (features, n) = x.dims2()?;
        if features != self.features {
            candle_core::bail!("batch-norm of {} features given {features}", self.features);
        }
        let (mean, var) = if train {
            let mean = x.mean_keepdim(1)?;
            let var = x.broadcast_sub(&mean)?.sqr()?.mean_keepdim(1)?;
            let unbiased = n as f64 / (n.max(2) - 1) as f64;
            let m = Self::MOMENTUM;
            self.running_mean =
                ((&self.running_mean * (1.0 - m))? + (mean.detach().flatten_all()? * m)?)?;
            self.running_var = ((&self.running_var * (1.0 - m))?
                + (var.detach().flatten_all()? * (m * unbiased))?)?;
            (mean, var)
        } else {
            (
                self.running_mean.reshape((features, 1))?,
                self.running_var.reshape((features, 1))?,
            )
        };
        let scale = (var + Self::EPS)?.sqrt()?;
        x.broadcast_sub(&mean)?
            .broadcast_div(&scale)?
            .broadcast_mul(&self.weight.reshape((features, 1))?)?
            .broadcast_add(&self.bias.reshape((features, 1))?)
    }
}

/// The network and its parameters.
pub struct EegNet {
    config: NetConfig,
    temporal: Var,
    spatial: Var,
    bn2: BatchNorm,
    separable_depth: Var,
    separable_point: Var,
    bn3: BatchNorm,
    head_weight: Var,
    head_bias: Var,
}

/// Uniform in ±1/√fan_in, PyTorch's default for convolutions and linear
/// layers.
fn init(shape: &[usize], fan_in: usize, rng: &mut impl Rng, device: &Device) -> Result<Var> {
    let bound = 1.0 / (fan_in.max(1) as f32).sqrt();
    let n: usize = shape.iter().product();
    let values: Vec<f32> = (0..n).map(|_| rng.random_range(-bound..bound)).collect();
    Var::from_tensor(&Tensor::from_vec(values, shape, device)?)
}

impl EegNet {
    /// A network of shape `config` with parameters drawn from `rng`.
    pub fn new(config: NetConfig, rng: &mut impl Rng, device: &Device) -> Result<EegNet> {
        let c = &config;
        let (f1, f12, f2) = (c.temporal_filters, c.spatial_filters(), c.separable_filters);
        Ok(EegNet {
            temporal: init(&[f1, c.temporal_kernel], c.temporal_kernel, rng, device)?,
            spatial: init(
                &[f1, c.spatial_per_temporal, c.channels],
                c.channels,
                rng,
                device,
            )?,
            bn2: BatchNorm::new(f12, device)?,
            separable_depth: init(
                &[f12, 1, c.separable_kernel],
                c.separable_kernel,
                rng,
                device,
            )?,
            separable_point: init(&[f2, f12, 1], f12, rng, device)?,
            bn3: BatchNorm::new(f2, device)?,
            head_weight: init(
                &[c.classes, c.flat_features()],
                c.flat_features(),
                rng,
                device,
            )?,
            head_bias: init(&[c.classes], c.flat_features(), rng, device)?,
            config,
        })
    }

    /// The network's shape.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// The trainable parameters, with names.
    pub fn parameters(&self) -> Vec<(&'static str, &Var)> {
        vec![
            ("temporal.weight", &self.temporal),
            ("spatial.weight", &self.spatial),
            ("bn2.weight", &self.bn2.weight),
            ("bn2.bias", &self.bn2.bias),
            ("separable.depthwise.weight", &self.separable_depth),
            ("separable.pointwise.weight", &self.separable_point),
            ("bn3.weight", &self.bn3.weight),
            ("bn3.bias", &self.bn3.bias),
            ("head.weight", &self.head_weight),
            ("head.bias", &self.head_bias),
        ]
    }

    /// Every tensor needed to run the network again: the parameters and
    /// the batch-norm running statistics.
    pub fn state(&self) -> HashMap<String, Tensor> {
        let mut out: HashMap<String, Tensor> = self
            .parameters()
            .into_iter()
            .map(|(name, var)| (name.to_string(), var.as_tensor().clone()))
            .collect();
        for (name, bn) in [("bn2", &self.bn2), ("bn3", &self.bn3)] {
            out.insert(format!("{name}.running_mean"), bn.running_mean.clone());
            out.insert(format!("{name}.running_var"), bn.running_var.clone());
        }
        out
    }

    /// A deep copy of every tensor that training changes.
    pub fn snapshot(&self) -> Result<Snapshot> {
        let mut tensors = Vec::new();
        for (_, var) in self.parameters() {
            tensors.push(var.as_tensor().copy()?);
        }
        for bn in [&self.bn2, &self.bn3] {
            tensors.push(bn.running_mean.copy()?);
            tensors.push(bn.running_var.copy()?);
        }
        Ok(Snapshot(tensors))
    }

    /// Puts back a [`EegNet::snapshot`].
    pub fn restore(&mut self, snapshot: &Snapshot) -> Result<()> {
        let params = self.parameters().len();
        for ((_, var), saved) in self.parameters().into_iter().zip(&snapshot.0) {
            var.set(saved)?;
        }
        let mut stats = snapshot.0[params..].iter();
        for bn in [&mut self.bn2, &mut self.bn3] {
            if let (Some(mean), Some(var)) = (stats.next(), stats.next()) {
                bn.running_mean = mean.clone();
                bn.running_var = var.clone();
            }
        }
        Ok(())
    }

    /// Logits for a batch `x` of shape `(batch, channels, samples)`.
    /// With `train`, batch statistics are used (and the running ones
    /// updated) and dropout masks are drawn from `rng`.
    pub fn forward(
        &mut self,
        x: &Tensor,
        train: bool,
        rng: &mut impl Rng,
        taps: &mut dyn Taps,
    ) -> Result<Tensor> {
        let c = self.config.clone();
        let (b, channels, t) = x.dims3()?;
        if channels != c.channels || t != c.samples {
            candle_core::bail!(
                "input of {channels} channels × {t} samples; the network expects {} × {}",
                c.channels,
                c.samples
            );
        }
        taps.tap(LAYERS[0], &x.reshape((1, b, channels * t))?)?;
        let (f1, d, f12, f2) = (
            c.temporal_filters,
            c.spatial_per_temporal,
            c.spatial_filters(),
            c.separable_filters,
        );

        // Every layer works feature-major, (features, batch, time), so
        // that batch-norm reductions run along the last axis.
        //
        // Temporal and depthwise spatial convolution in one product:
        // kernel[(f, d), (j, c)] = temporal[f, j] · spatial[f, d, c], on
        // the input unfolded outside the graph (it needs no gradient).
        let k = c.temporal_kernel;
        let kernel = self
            .temporal
            .as_tensor()
            .reshape((f1, 1, k, 1))?
            .broadcast_mul(&self.spatial.as_tensor().reshape((f1, d, 1, channels))?)?
            .reshape((f12, k * channels))?;
        let h = kernel.apply_op1(TimesConstant(unfold(x, k)?))?; // (F12, B·T)
        taps.tap(LAYERS[1], &h.reshape((f12, b, t))?)?;
        let h = self.bn2.forward(&h, train)?.elu(1.0)?;
        let h = pool(&h.reshape((f12, b, t))?, c.pool1)?; // (F12, B, T1)
        let h = dropout(&h, c.dropout, train, rng)?;

        // Separable convolution: depthwise in time (a batched product
        // over the unfolded series of each feature), then pointwise.
        let t1 = h.dim(2)?;
        let k2 = c.separable_kernel;
        let left = (k2 - 1) / 2;
        let padded = h.pad_with_zeros(2, left, k2 - 1 - left)?;
        let shifted: Vec<Tensor> = (0..k2)
            .map(|j| padded.narrow(2, j, t1))
            .collect::<Result<_>>()?;
        let h = Tensor::stack(&shifted, 3)? // (F12, B, T1, K2)
            .reshape((f12, b * t1, k2))?
            .matmul(&self.separable_depth.as_tensor().reshape((f12, k2, 1))?)?
            .reshape((f12, b * t1))?;
        let h = self
            .separable_point
            .as_tensor()
            .reshape((f2, f12))?
            .matmul(&h)?; // (F2, B·T1)
        taps.tap(LAYERS[2], &h.reshape((f2, b, t1))?)?;
        let h = self.bn3.forward(&h, train)?.elu(1.0)?;
        let h = pool(&h.reshape((f2, b, t1))?, c.pool2)?; // (F2, B, T2)
        let h = dropout(&h, c.dropout, train, rng)?;

        let logits = h
            .permute((1, 0, 2))?
            .contiguous()?
            .flatten_from(1)?
            .matmul(&self.head_weight.as_tensor().t()?)?
            .broadcast_add(self.head_bias.as_tensor())?;
        taps.tap(LAYERS[3], &logits.unsqueeze(0)?)?;
        Ok(logits)
    }
}

/// The state of a network at one moment, to go back to.
pub struct Snapshot(Vec<Tensor>);

/// The input `(B, C, T)` unfolded for a "same" convolution of length
/// `k` in time: row `j·C + c` holds channel `c` shifted by `j − (k−1)/2`
/// samples (zero beyond the window's ends), column `b·T + t` the sample,
/// `(k·C, B·T)`.
fn unfold(x: &Tensor, k: usize) -> Result<Tensor> {
    let (b, c, t) = x.dims3()?;
    let values = x.flatten_all()?.to_vec1::<f32>()?;
    let left = (k - 1) / 2;
    let mut out = vec![0.0f32; k * c * b * t];
    for j in 0..k {
        // Output sample i reads input sample i + j - left, where it exists.
        let from = left.saturating_sub(j);
        let to = (t + left).saturating_sub(j).min(t);
        for ch in 0..c {
            let row = &mut out[(j * c + ch) * b * t..(j * c + ch + 1) * b * t];
            for w in 0..b {
                let series = &values[(w * c + ch) * t..(w * c + ch + 1) * t];
                let dst = &mut row[w * t..(w + 1) * t];
                for i in from..to {
                    dst[i] = series[i + j - left];
                }
            }
        }
    }
    Tensor::from_vec(out, (k * c, b * t), x.device())
}

/// `kernel × U` for a constant `U`, with a gradient for `kernel` only.
///
/// candle's matrix product computes the gradient of both factors; for the
/// unfolded input that is a `(K·C) × (B·T)` matrix nobody needs, and
/// allocating, zeroing and adding it was a third of a training step.
struct TimesConstant(Tensor);

impl candle_core::CustomOp1 for TimesConstant {
    fn name(&self) -> &'static str {
        "times-constant"
    }

    fn cpu_fwd(
        &self,
        storage: &candle_core::CpuStorage,
        layout: &candle_core::Layout,
    ) -> Result<(candle_core::CpuStorage, candle_core::Shape)> {
        let Some((start, end)) = layout.contiguous_offsets() else {
            candle_core::bail!("times-constant: the kernel must be contiguous");
        };
        let values = &storage.as_slice::<f32>()?[start..end];
        let kernel = Tensor::from_slice(values, layout.shape(), &Device::Cpu)?;
        let out = kernel.matmul(&self.0)?;
        let shape = out.shape().clone();
        let values = out.flatten_all()?.to_vec1::<f32>()?;
        Ok((candle_core::CpuStorage::F32(values), shape))
    }

    fn bwd(&self, _kernel: &Tensor, _out: &Tensor, grad: &Tensor) -> Result<Option<Tensor>> {
        Ok(Some(grad.matmul(&self.0.t()?)?))
    }
}

/// Average pooling by `factor` along the last axis of `(F, B, T)`
/// (a trailing remainder is dropped).
fn pool(h: &Tensor, factor: usize) -> Result<Tensor> {
    if factor <= 1 {
        return Ok(h.clone());
    }
    let (f, b, t) = h.dims3()?;
    let kept = t / factor;
    h.narrow(2, 0, kept * factor)?
        .reshape((f, b, kept, factor))?
        .mean(3)
}

/// Inverted dropout with a mask from the seeded generator.
fn dropout(h: &Tensor, p: f32, train: bool, rng: &mut impl Rng) -> Result<Tensor> {
    if !train || p <= 0.0 {
        return Ok(h.clone());
    }
    let keep = 1.0 - p;
    let mask: Vec<f32> = (0..h.elem_count())
        .map(|_| {
            if rng.random::<f32>() < keep {
                1.0 / keep
            } else {
                0.0
            }
        })
        .collect();
    h.mul(&Tensor::from_vec(mask, h.shape(), h.device())?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    struct Names(Vec<(&'static str, Vec<usize>)>);
    impl Taps for Names {
        fn tap(&mut self, name: &'static str, output: &Tensor) -> Result<()> {
            self.0.push((name, output.dims().to_vec()));
            Ok(())
        }
    }

    #[test]
    fn shapes_through_the_network() {
        let config = NetConfig::eegnet(32, 64, 2, 64.0);
        assert_eq!(config.temporal_kernel, 32);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut net = EegNet::new(config.clone(), &mut rng, &Device::Cpu).unwrap();
        let x = Tensor::zeros((5, 32, 64), DType::F32, &Device::Cpu).unwrap();
        let mut names = Names(Vec::new());
        let logits = net.forward(&x, true, &mut rng, &mut names).unwrap();
        assert_eq!(logits.dims(), &[5, 2]);
        let layers: Vec<_> = names.0.iter().map(|(n, _)| *n).collect();
        assert_eq!(layers, LAYERS);
        assert_eq!(names.0[0].1, vec![1, 5, 32 * 64]);
        assert_eq!(names.0[1].1, vec![16, 5, 64]);
        assert_eq!(names.0[2].1, vec![16, 5, 16]);
        assert_eq!(names.0[3].1, vec![1, 5, 2]);
        let counted: usize = net.parameters().iter().map(|(_, v)| v.elem_count()).sum();
        assert_eq!(counted, config.parameter_count());
        assert_eq!(net.state().len(), 10 + 4);
    }

    struct First(Option<Tensor>);
    impl Taps for First {
        fn tap(&mut self, name: &'static str, output: &Tensor) -> Result<()> {
            if name == LAYERS[1] {
                self.0 = Some(output.clone());
            }
            Ok(())
        }
    }

    #[test]
    fn first_layer_equals_a_temporal_then_a_spatial_convolution() {
        let config = NetConfig::eegnet(3, 40, 2, 10.0);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mut net = EegNet::new(config.clone(), &mut rng, &Device::Cpu).unwrap();
        let values: Vec<f32> = (0..2 * 3 * 40)
            .map(|_| rng.random_range(-1.0..1.0))
            .collect();
        let x = Tensor::from_vec(values, (2, 3, 40), &Device::Cpu).unwrap();
        let mut first = First(None);
        net.forward(&x, false, &mut rng, &mut first).unwrap();
        let ours = first
            .0
            .unwrap()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        // candle's own convolution over the zero-padded input, then the
        // spatial weights summed by hand.
        let (f1, d, c, t, k) = (8, 2, 3, 40, config.temporal_kernel);
        let (left, right) = ((k - 1) / 2, k - 1 - (k - 1) / 2);
        let temporal = x
            .reshape((2, 1, c, t))
            .unwrap()
            .pad_with_zeros(3, left, right)
            .unwrap()
            .conv2d(
                &net.temporal.as_tensor().reshape((f1, 1, 1, k)).unwrap(),
                0,
                1,
                1,
                1,
            )
            .unwrap() // (B, F1, C, T)
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let spatial = net
            .spatial
            .as_tensor()
            .flatten_all()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        for f in 0..f1 {
            for dd in 0..d {
                for b in 0..2 {
                    for i in 0..t {
                        let want: f32 = (0..c)
                            .map(|ch| {
                                spatial[(f * d + dd) * c + ch]
                                    * temporal[((b * f1 + f) * c + ch) * t + i]
                            })
                            .sum();
                        let got = ours[((f * d + dd) * 2 + b) * t + i];
                        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
                    }
                }
            }
        }
    }

    #[test]
    fn same_seed_same_network() {
        let config = NetConfig::eegnet(4, 32, 3, 32.0);
        let weights = |seed| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let net = EegNet::new(config.clone(), &mut rng, &Device::Cpu).unwrap();
            net.temporal
                .as_tensor()
                .flatten_all()
                .unwrap()
                .to_vec1::<f32>()
                .unwrap()
        };
        assert_eq!(weights(3), weights(3));
        assert_ne!(weights(3), weights(4));
    }

    #[test]
    fn wrong_input_shape_is_an_error() {
        let config = NetConfig::eegnet(4, 32, 2, 32.0);
        let mut rng = ChaCha8Rng::seed_from_u64(0);
        let mut net = EegNet::new(config, &mut rng, &Device::Cpu).unwrap();
        let x = Tensor::zeros((2, 5, 32), DType::F32, &Device::Cpu).unwrap();
        let err = net
            .forward(&x, false, &mut rng, &mut NoTaps)
            .unwrap_err()
            .to_string();
        assert!(err.contains("expects 4 × 32"), "{err}");
    }
}
