//! Synthetic recordings shared by the reference tests and the comparison
//! example, generated exactly as `tests/reference/make_welch.py` and
//! `make_prep.py` generate them (same formulas, same operation order, so
//! the same doubles), and where the shared real recordings are.

#![allow(dead_code)]

const LCG_A: u64 = 6364136223846793005;
const LCG_C: u64 = 1442695040888963407;

/// The signal of `make_welch.py`'s `synthetic`, in the same operation order.
pub fn synthetic(n: usize, sfreq: f64, offset: f64, seed: u64) -> Vec<f64> {
    use std::f64::consts::PI;
    let mut u = seed;
    (0..n)
        .map(|k| {
            u = u.wrapping_mul(LCG_A).wrapping_add(LCG_C);
            let noise = (u >> 11) as f64 / (1_u64 << 53) as f64 - 0.5;
            let t = k as f64 / sfreq;
            offset
                + 10.0 * (2.0 * PI * 10.0 * t).sin()
                + 3.0 * (2.0 * PI * 60.0 * t + 0.3).sin()
                + 0.5 * (2.0 * PI * 120.0 * t).sin()
                + 4.0 * noise
        })
        .collect()
}

/// The recording of `make_prep.py`'s `planted`, in the same operation order.
pub fn planted() -> Vec<Vec<f64>> {
    use std::f64::consts::PI;
    let fs = 256.0;
    let n = 30 * 256;
    let noise = |seed: u64| -> Vec<f64> {
        let mut u = seed;
        (0..n)
            .map(|_| {
                u = u.wrapping_mul(LCG_A).wrapping_add(LCG_C);
                (u >> 11) as f64 / (1_u64 << 53) as f64 - 0.5
            })
            .collect()
    };
    let common: Vec<f64> = (0..n)
        .map(|k| {
            15.0 * (2.0 * PI * 10.0 * (k as f64 / fs)).sin()
                + 10.0 * (2.0 * PI * 3.0 * (k as f64 / fs)).cos()
        })
        .collect();
    let mut x: Vec<Vec<f64>> = (0..16_u64)
        .map(|c| {
            let gain = 0.8 + 0.02 * c as f64;
            common
                .iter()
                .zip(noise(c + 1))
                .map(|(v, e)| gain * v + 3.0 * e)
                .collect()
        })
        .collect();
    x[1][100] = f64::NAN;
    x[2] = vec![-120.0; n];
    for v in &mut x[3] {
        *v *= 20.0;
    }
    for (k, v) in x[4].iter_mut().enumerate() {
        *v += 60.0 * (2.0 * PI * 60.0 * (k as f64 / fs)).sin();
    }
    x[5] = noise(99).iter().map(|e| 30.0 * e).collect();
    for v in &mut x[6][2560..5120] {
        *v = 4.0;
    }
    x
}

/// The shared real recordings: `PREFLIGHT_TEST_DATA`, else `../shared/data`
/// beside the repository. `None` (with a message) when absent, except
/// under `CI=true`, where their absence fails the test.
pub fn data_root() -> Option<std::path::PathBuf> {
    let root = std::env::var_os("PREFLIGHT_TEST_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        });
    if root.is_dir() {
        return Some(root);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("test data not found at {}; CI requires it", root.display());
    }
    eprintln!(
        "skipped: test data not found at {} (set PREFLIGHT_TEST_DATA)",
        root.display()
    );
    None
}

/// A small version of the demo dataset: `subjects` × 2 runs × 32 channels
/// at 256 Hz, 1 minute each, 7.6% targets, with the contacts `channels` of
/// `subject`'s second run detached (60 Hz pickup on an 80 mV offset) and
/// `control` the clean subject three times larger.
pub fn small_demo(
    subjects: u32,
    subject: u32,
    channels: &[&str],
    control: u32,
) -> preflight::synth::SynthConfig {
    use preflight::synth::{ControlPlan, Fault, FaultKind, FaultPlan, SynthConfig};
    let mut config = SynthConfig::demo();
    config.subjects = subjects;
    config.runs = 2;
    config.minutes = 1.0;
    config.faults = FaultPlan::List(vec![Fault {
        kind: FaultKind::Detached {
            frequency_hz: Some(60.0),
            amplitude_uv: 50_000.0,
            offset_uv: 80_000.0,
        },
        subject,
        run: 2,
        channels: channels.iter().map(|c| c.to_string()).collect(),
        onset_s: 0.0,
        duration_s: None,
    }]);
    config.control = ControlPlan::Subject(control);
    config
}
