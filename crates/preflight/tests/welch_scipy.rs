//! Welch spectra against scipy.signal.welch, bin by bin.
//!
//! `tests/reference/welch_expected.json` holds scipy's output for five
//! synthetic signals (made here from the same formula, bit for bit) and
//! two channels of a real recording; `tests/reference/make_welch.py` made
//! it. Every bin must agree within 1e-6 relative; the largest error seen
//! is printed.

use std::path::Path;

use preflight::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
use serde_json::Value;

mod common;
use common::{data_root, synthetic};

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("an array")
        .iter()
        .map(|x| x.as_f64().expect("a number"))
        .collect()
}

#[test]
fn welch_matches_scipy_bin_by_bin() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference/welch_expected.json");
    let text = std::fs::read_to_string(&path).expect("committed fixture");
    let expected: Value = serde_json::from_str(&text).expect("valid JSON");
    let root = data_root();
    let mut planner = SpectrumPlanner::new();
    let mut compared = 0;
    let mut worst = 0.0_f64;
    for fixture in expected["fixtures"].as_array().expect("fixtures") {
        let name = fixture["name"].as_str().expect("name");
        let sfreq = fixture["sfreq_hz"].as_f64().expect("sfreq");
        let signal = &fixture["signal"];
        let x = match signal["kind"].as_str() {
            Some("synthetic") => synthetic(
                signal["n"].as_u64().expect("n") as usize,
                sfreq,
                signal["offset"].as_f64().expect("offset"),
                signal["seed"].as_u64().expect("seed"),
            ),
            Some("edf") => {
                let Some(root) = &root else { continue };
                let file = root.join(signal["file"].as_str().expect("file"));
                let edf = edf::Edf::open(&file).expect("readable recording");
                let index = signal["signal"].as_u64().expect("signal") as usize;
                let x: Vec<f64> = edf.read_signal(index).expect("readable signal");
                assert_eq!(x.len() as u64, signal["n"].as_u64().expect("n"), "{name}");
                x
            }
            other => panic!("unknown signal kind {other:?}"),
        };
        let config = WelchConfig {
            segment_len: fixture["nperseg"].as_u64().expect("nperseg") as usize,
            overlap: fixture["noverlap"].as_u64().expect("noverlap") as usize,
        };
        let mut welch = Welch::new(planner.plan(config));
        welch.push(&x);
        let psd = welch.psd(sfreq).expect("at least one segment");
        let want = floats(&fixture["psd"]);
        let freqs = floats(&fixture["freqs"]);
        assert_eq!(psd.power().len(), want.len(), "{name}: bins");
        for (k, (&got, &want)) in psd.power().iter().zip(&want).enumerate() {
            assert!(
                (psd.freq_hz(k) - freqs[k]).abs() <= 1e-9 * freqs[k].max(1.0),
                "{name}: f{k}"
            );
            let rel = (got - want).abs() / want.abs();
            worst = worst.max(rel);
            assert!(
                rel <= 1e-6,
                "{name}: bin {k} ({} Hz): {got} vs scipy {want}",
                freqs[k]
            );
        }
        compared += 1;
    }
    assert!(compared >= 5, "only {compared} fixtures compared");
    eprintln!("{compared} fixtures, largest relative error against scipy {worst:.3e}");
}
