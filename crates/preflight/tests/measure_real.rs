//! The measures on real recordings of the shared test data.
//!
//! - moments against the count, sum, sum of squares and extremes MNE
//!   decodes (`crates/edf/tests/reference/expected`, made by that crate's
//!   `make_expected.py`), for the 14 files of eegmmidb_S001;
//! - mains detection: 60 Hz in the eegmmidb runs (recorded in New York,
//!   unfiltered), 50 Hz in BioSemi's sample file (Europe, reference-free).
//!
//! The recordings are read from `../shared/data` (or
//! `PREFLIGHT_TEST_DATA`); without them the tests are skipped with a
//! message, except under `CI=true`, where they fail.

use std::path::{Path, PathBuf};

use preflight::measure::line_noise::{LineNoiseConfig, MainsVotes, MeanLogSpectrum};
use preflight::measure::moments::Moments;
use preflight::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
use serde_json::Value;

mod common;
use common::data_root;

fn eegmmidb(root: &Path) -> Vec<PathBuf> {
    (1..=14)
        .map(|r| root.join(format!("eegmmidb_S001/S001R{r:02}.edf")))
        .collect()
}

/// Detects the mains frequency of a recording from its data signals at the
/// rate of the first one, reading one record-sized block at a time.
fn detect(path: &Path) -> Option<f64> {
    let edf = edf::Edf::open(path).expect("readable recording");
    let header = edf.header().clone();
    let mut planner = SpectrumPlanner::new();
    let mut mean: Option<MeanLogSpectrum> = None;
    let first = header.data_signals().next()?;
    let rate = header.sfreq_hz(first);
    for signal in header.data_signals() {
        if header.sfreq_hz(signal) != rate {
            continue;
        }
        let sfreq = header.sfreq_hz(signal).expect("a rate");
        let mut welch = Welch::new(planner.plan(WelchConfig::for_sfreq(sfreq)));
        let total = edf.samples(signal);
        let block = header.signals[signal].samples_per_record;
        let mut buf = vec![0.0_f32; block];
        let mut at = 0;
        while at < total {
            let n = block.min((total - at) as usize);
            edf.read_physical(signal, at, &mut buf[..n])
                .expect("in range");
            welch.push(&buf[..n]);
            at += n as u64;
        }
        let Some(psd) = welch.psd(sfreq) else {
            continue;
        };
        mean.get_or_insert_with(|| MeanLogSpectrum::new(&psd))
            .push(&psd);
    }
    mean?.detect(&LineNoiseConfig::default()).mains_hz
}

#[test]
fn moments_match_mne_sums_on_eegmmidb() {
    let Some(root) = data_root() else { return };
    let expected_dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../edf/tests/reference/expected");
    for path in eegmmidb(&root) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let json = expected_dir.join(format!("eegmmidb_S001__{name}.json"));
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(&json).expect("committed"))
                .expect("valid JSON");
        let edf = edf::Edf::open(&path).expect("readable recording");
        for channel in expected["channels"].as_array().expect("channels") {
            let index = channel["index"].as_u64().expect("index") as usize;
            let x: Vec<f32> = edf.read_signal(index).expect("readable signal");
            let m = Moments::of(&x);
            let n = channel["n"].as_f64().expect("n");
            let sum = channel["sum"].as_f64().expect("sum");
            let sum_sq = channel["sum_sq"].as_f64().expect("sum_sq");
            let mean = sum / n;
            let var = sum_sq / n - mean * mean;
            assert_eq!(m.count() as f64, n, "{name} {index}");
            // MNE scales to volts and back: extremes agree to rounding.
            let close = |a: Option<f64>, b: Option<f64>| (a.unwrap() - b.unwrap()).abs() <= 1e-9;
            assert!(close(m.min(), channel["min"].as_f64()), "{name} {index}");
            assert!(close(m.max(), channel["max"].as_f64()), "{name} {index}");
            assert!(
                (m.mean().unwrap() - mean).abs() <= 1e-9 * (1.0 + mean.abs()),
                "{name} {index}"
            );
            assert!(
                (m.variance(0).unwrap() - var).abs() <= 1e-9 * var,
                "{name} {index}"
            );
        }
    }
}

#[test]
fn mains_is_60_hz_in_every_eegmmidb_run_and_in_the_dataset() {
    let Some(root) = data_root() else { return };
    let mut votes = MainsVotes::default();
    for path in eegmmidb(&root) {
        let mains = detect(&path);
        assert_eq!(mains, Some(60.0), "{}", path.display());
        votes.add(mains);
    }
    assert_eq!(votes.mains_hz(), Some(60.0));
}

#[test]
fn mains_is_50_hz_in_the_biosemi_sample() {
    let Some(root) = data_root() else { return };
    let path = root.join("eegUtils-testdata/tests/testthat/Newtest17-256.bdf");
    assert_eq!(detect(&path), Some(50.0));
}
