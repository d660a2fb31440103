//! Throughput of the streaming measures on one recording, per measure.
//!
//! ```text
//! cargo run --release -p preflight --example measure_speed -- FILE.edf [REPEATS]
//! ```

use std::time::Instant;

use anyhow::{Context, Result};
use preflight::measure::flatness::{FlatRuns, FlatWindows};
use preflight::measure::histogram::AmplitudeHistogram;
use preflight::measure::moments::Moments;
use preflight::measure::sketch::QuantileSketch;
use preflight::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
use preflight::measure::summary::{ChannelSummary, SummaryConfig};

fn main() -> Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: measure_speed FILE [REPEATS]")?;
    let repeats: usize = std::env::args().nth(2).map_or(Ok(20), |r| r.parse())?;
    let edf = edf::Edf::open(&path).with_context(|| format!("opening {path}"))?;
    let header = edf.header().clone();
    let signals: Vec<usize> = header.data_signals().collect();
    let first = *signals.first().context("no data signal")?;
    let sfreq = header.sfreq_hz(first).context("no rate")?;
    let record = header.signals[first].samples_per_record.max(1);
    let data: Vec<Vec<f32>> = signals
        .iter()
        .map(|&s| edf.read_signal(s))
        .collect::<Result<_, _>>()?;
    let samples: usize = data.iter().map(Vec::len).sum::<usize>() * repeats;

    let time = |name: &str, f: &mut dyn FnMut(&[f32])| {
        let t = Instant::now();
        for _ in 0..repeats {
            for c in &data {
                for block in c.chunks(record) {
                    f(block);
                }
            }
        }
        let s = t.elapsed().as_secs_f64();
        println!(
            "{name:>12}: {:8.1} Msamples/s ({:.2} ns/sample)",
            samples as f64 / s / 1e6,
            s / samples as f64 * 1e9
        );
    };

    let mut sink = 0.0;
    let mut m = Moments::new();
    time("moments", &mut |b| m.push(b));
    sink += m.mean().unwrap_or(0.0);
    let mut sk = QuantileSketch::new();
    time("sketch", &mut |b| sk.push(b));
    sink += sk.quantile(0.5).unwrap_or(0.0);
    let mut h = AmplitudeHistogram::new();
    time("histogram", &mut |b| h.push(b));
    sink += h.zero() as f64;
    let mut r = FlatRuns::new(0.0);
    time("flat runs", &mut |b| r.push(b));
    sink += r.longest() as f64;
    let mut w = FlatWindows::new(160, 0, 0.0);
    time("flat windows", &mut |b| w.push(b));
    sink += w.flat() as f64;
    let mut planner = SpectrumPlanner::new();
    let mut welch = Welch::new(planner.plan(WelchConfig::for_sfreq(sfreq)));
    time("welch", &mut |b| welch.push(b));
    sink += welch.psd(sfreq).map_or(0.0, |p| p.power()[3]);
    let mut all = ChannelSummary::new(
        &SummaryConfig::for_sfreq(sfreq).with_edf_limits(&header.signals[first]),
        0,
    );
    time("summary", &mut |b| all.push(b));
    sink += all.moments.count() as f64;
    println!("(checksum {sink})");
    Ok(())
}
