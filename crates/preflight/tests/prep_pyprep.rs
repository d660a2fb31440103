//! PyPREP's filters and channel criteria, against PyPREP itself.
//!
//! `tests/reference/make_prep.py` wrote `prep_filters.json` (PyPREP's
//! detrend and low-pass at several rates, on a synthetic signal made here
//! bit for bit) and `prep_expected/*.json` (PyPREP's `NoisyChannels` on the
//! 14 runs of eegmmidb_S001, without RANSAC).

use std::path::Path;

use preflight::measure::filter::{filtfilt, highpass_kernel, prep_lowpass_kernel, zero_phase, Fir};
use serde_json::Value;

const LCG_A: u64 = 6364136223846793005;
const LCG_C: u64 = 1442695040888963407;

/// `make_welch.py`'s `synthetic`, in the same operation order.
fn synthetic(n: usize, sfreq: f64, offset: f64, seed: u64) -> Vec<f64> {
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

fn reference(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/reference")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("committed fixture")).expect("JSON")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

#[test]
fn filters_match_pyprep() {
    let expected = reference("prep_filters.json");
    let mut worst = 0.0_f64;
    for entry in expected["filters"].as_array().expect("filters") {
        let sfreq = entry["sfreq_hz"].as_f64().expect("sfreq");
        let n = entry["n"].as_u64().expect("n") as usize;
        let x = synthetic(
            n,
            sfreq,
            entry["offset"].as_f64().expect("offset"),
            entry["seed"].as_u64().expect("seed"),
        );
        let index: Vec<usize> = floats(&entry["index"])
            .iter()
            .map(|&i| i as usize)
            .collect();

        // Detrend: values of tens of µV, compared to 1e-9 µV.
        let detrended = zero_phase(&Fir::new(highpass_kernel(sfreq, 1.0)), &x);
        for (&i, want) in index.iter().zip(floats(&entry["detrended"])) {
            let err = (detrended[i] - want).abs();
            worst = worst.max(err);
            assert!(
                err < 1e-9,
                "{sfreq} Hz detrend at {i}: {} vs {want}",
                detrended[i]
            );
        }
        if entry.get("kernel").is_none() {
            continue;
        }
        let kernel = prep_lowpass_kernel(sfreq);
        for (k, (got, want)) in kernel.iter().zip(floats(&entry["kernel"])).enumerate() {
            assert!(
                (got - want).abs() < 1e-14,
                "{sfreq} Hz kernel tap {k}: {got} vs {want}"
            );
        }
        let lowpassed = filtfilt(&Fir::new(kernel), &detrended).expect("long enough");
        for (&i, want) in index.iter().zip(floats(&entry["lowpassed"])) {
            let err = (lowpassed[i] - want).abs();
            worst = worst.max(err);
            assert!(
                err < 1e-9,
                "{sfreq} Hz low-pass at {i}: {} vs {want}",
                lowpassed[i]
            );
        }
    }
    eprintln!("largest absolute difference from PyPREP's filters: {worst:.3e} µV");
}
