//! Time per training step of the baseline at a given input size:
//! `cargo run --release -p preflight-train --example step_time -- 32 64 64`
//! (channels, samples, batch).

use std::time::Instant;

use candle_core::{Device, Tensor};
use preflight_train::model::{EegNet, NetConfig, NoTaps};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    let (channels, samples, batch) = match args[..] {
        [c, s, b] => (c, s, b),
        _ => (32, 64, 64),
    };
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let config = NetConfig::eegnet(channels, samples, 2, samples as f64);
    let mut net = EegNet::new(config, &mut rng, &Device::Cpu)?;
    let values: Vec<f32> = (0..batch * channels * samples)
        .map(|_| rng.random_range(-1.0..1.0))
        .collect();
    let x = Tensor::from_vec(values, (batch, channels, samples), &Device::Cpu)?;
    let steps = 30;
    let start = Instant::now();
    for _ in 0..steps {
        let logits = net.forward(&x, true, &mut rng, &mut NoTaps)?;
        let grads = logits.sqr()?.sum_all()?.backward()?;
        drop(grads);
    }
    let per = start.elapsed().as_secs_f64() / steps as f64;
    println!(
        "{channels} channels × {samples} samples, batch {batch}: {:.1} ms per step",
        per * 1e3
    );
    Ok(())
}
