//! What the per-recording floor of the sample (`--min-per-recording`)
//! buys: for each floor, the share of synth's planted faults a default
//! 1/1000 audit finds, split into faults that span their whole recording
//! and faults that span a quarter of it (flat, clipping), the findings
//! that match nothing planted, and the windows measured. Prints a markdown
//! table for BENCHMARKS.md:
//!
//! ```text
//! cargo run --release -p preflight --example sample_floor -- [SEEDS] [FLOORS]
//! ```
//!
//! SEEDS defaults to 20 (synth's default dataset of 10 subjects × 2 runs
//! of 2 minutes, seeds 0..SEEDS); FLOORS to `1,2,4,8`.

use std::collections::BTreeSet;

use preflight::audit::{audit, AuditConfig};
use preflight::dataset::{discover, DiscoverConfig};
use preflight::synth::{generate, SynthConfig};

/// Counts over all seeds for one floor.
#[derive(Default)]
struct Tally {
    whole: (usize, usize),
    partial: (usize, usize),
    /// Findings on a recording × channel where nothing was planted.
    unplanted: usize,
    /// Findings on a planted place with another cause.
    wrong_cause: usize,
    measured: usize,
    sampled: usize,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let seeds: u64 = args.next().map_or(Ok(20), |a| a.parse())?;
    let floors: Vec<usize> = match args.next() {
        Some(list) => list.split(',').map(str::parse).collect::<Result<_, _>>()?,
        None => vec![1, 2, 4, 8],
    };
    let mut tallies: Vec<Tally> = floors.iter().map(|_| Tally::default()).collect();
    for seed in 0..seeds {
        let dir = tempfile::tempdir()?;
        let config = SynthConfig {
            seed,
            ..SynthConfig::default()
        };
        let truth = generate(&config, dir.path())?;
        let dataset = discover(dir.path(), &DiscoverConfig::default())?;
        for (&floor, tally) in floors.iter().zip(&mut tallies) {
            let mut audit_config = AuditConfig::default();
            audit_config.sample.min_per_recording = floor;
            let report = audit(&dataset, &audit_config, &|_, _| {});
            let found: BTreeSet<(&str, &str, &str)> = report
                .findings
                .iter()
                .map(|f| (f.recording.as_str(), f.channel.as_str(), f.cause.name()))
                .collect();
            let planted: BTreeSet<(&str, &str)> = truth
                .faults
                .iter()
                .map(|f| (f.recording.as_str(), f.channel.as_str()))
                .collect();
            for f in &truth.faults {
                // Bursts are short events inside their span: neither.
                if f.kind == "bursts" {
                    continue;
                }
                let whole = f.onset_s <= 0.0 && f.duration_s >= truth.duration_s - 1e-9;
                let hit =
                    found.contains(&(f.recording.as_str(), f.channel.as_str(), f.kind.as_str()));
                let counts = if whole {
                    &mut tally.whole
                } else {
                    &mut tally.partial
                };
                counts.0 += 1;
                counts.1 += usize::from(hit);
            }
            for (recording, channel, cause) in &found {
                if !planted.contains(&(recording, channel)) {
                    tally.unplanted += 1;
                } else if !truth
                    .faults
                    .iter()
                    .any(|f| f.recording == *recording && f.channel == *channel && f.kind == *cause)
                {
                    tally.wrong_cause += 1;
                }
            }
            tally.sampled += report.sample.sampled;
            tally.measured += report.sample.measured;
        }
    }
    println!(
        "| `--min-per-recording` | whole-recording faults found | quarter-span faults found | \
         findings where nothing was planted | planted places with another cause | windows \
         sampled (measured) per dataset |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    let share = |(n, hit): (usize, usize)| format!("{hit}/{n}");
    for (floor, t) in floors.iter().zip(&tallies) {
        println!(
            "| {floor} | {} | {} | {} | {} | {:.0} ({:.0}) |",
            share(t.whole),
            share(t.partial),
            t.unplanted,
            t.wrong_cause,
            t.sampled as f64 / seeds as f64,
            t.measured as f64 / seeds as f64,
        );
    }
    Ok(())
}
