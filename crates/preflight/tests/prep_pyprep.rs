//! PyPREP's filters and channel criteria, against PyPREP itself.
//!
//! `tests/reference/make_prep.py` wrote `prep_filters.json` (PyPREP's
//! detrend and low-pass at several rates, on a synthetic signal made here
//! bit for bit), `prep_planted.json` (PyPREP's `NoisyChannels` on a
//! synthetic recording with one planted fault per criterion, with and
//! without the detrend) and `prep_expected/*.json` (the same on the 14 runs
//! of eegmmidb_S001). RANSAC is off throughout.

use std::path::Path;

use preflight::measure::filter::{filtfilt, highpass_kernel, prep_lowpass_kernel, zero_phase, Fir};
use preflight::measure::prep::{noisy_channels, ChannelCriteria, PrepConfig, PrepReport};
use serde_json::Value;

mod common;
use common::{data_root, planted, synthetic};

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

/// Runs [`noisy_channels`] on the data signals of one recording.
fn run(path: &Path) -> (Vec<String>, PrepReport) {
    let edf = edf::Edf::open(path).expect("readable recording");
    let header = edf.header();
    let signals: Vec<usize> = header.data_signals().collect();
    let sfreq = header.sfreq_hz(signals[0]).expect("a rate");
    let names = signals
        .iter()
        .map(|&s| header.signals[s].label.clone())
        .collect();
    let channels = signals
        .iter()
        .map(|&s| edf.read_signal(s).expect("readable"))
        .collect();
    (
        names,
        noisy_channels(channels, sfreq, &PrepConfig::default()),
    )
}

/// A channel's flags, sorted.
fn sorted_flags(criteria: &ChannelCriteria) -> Vec<&'static str> {
    let mut flags: Vec<&str> = criteria.reasons().collect();
    flags.sort_unstable();
    flags
}

/// The flags PyPREP gave a channel of a reference file, sorted.
fn pyprep_flags(channel: &Value) -> Vec<&str> {
    let mut flags: Vec<&str> = channel["flags"]
        .as_array()
        .expect("flags")
        .iter()
        .map(|f| f.as_str().expect("a flag"))
        .collect();
    flags.sort_unstable();
    flags
}

/// Compares one recording's report with PyPREP's channels: flags exactly,
/// z-scores to 1e-6 relative, window fractions to rounding, except the
/// `(channel, statistic)` pairs of `exempt`. Returns the number of flags
/// and the largest z-score difference.
fn compare(
    what: &str,
    names: &[String],
    report: &PrepReport,
    expected: &Value,
    exempt: &[(&str, &str)],
) -> (usize, f64) {
    let channels = expected["channels"].as_array().expect("channels");
    assert_eq!(channels.len(), report.channels.len(), "{what}");
    let mut flags = 0;
    let mut worst = 0.0_f64;
    for ((want, got), label) in channels.iter().zip(&report.channels).zip(names) {
        assert_eq!(want["name"].as_str(), Some(label.as_str()), "{what}");
        let (ours, theirs) = (sorted_flags(got), pyprep_flags(want));
        assert_eq!(ours, theirs, "{what} {label}");
        flags += ours.len();

        // PyPREP reports 0 where it does not compute a statistic.
        for (key, value) in [
            ("deviation_z", got.deviation_z),
            ("hf_noise_z", got.hf_noise_z),
        ] {
            let want = want[key].as_f64().expect("a z-score");
            let got = value.unwrap_or(0.0);
            let err = (got - want).abs() / want.abs().max(1.0);
            worst = worst.max(err);
            assert!(err < 1e-6, "{what} {label} {key}: {got} vs {want}");
        }
        for (key, value) in [
            ("bad_correlation_fraction", got.bad_correlation_fraction),
            ("dropout_fraction", got.dropout_fraction),
        ] {
            if exempt.contains(&(label.as_str(), key)) {
                continue;
            }
            // Window counts over the same total: equal up to numpy's
            // rounding of the mean.
            let (got, want) = (
                value.unwrap_or(0.0),
                want[key].as_f64().expect("a fraction"),
            );
            assert!(
                (got - want).abs() < 1e-12,
                "{what} {label} {key}: {got} vs {want}"
            );
        }
    }
    (flags, worst)
}

#[test]
fn criteria_match_pyprep_on_eegmmidb() {
    let Some(root) = data_root() else { return };
    let mut worst_z = 0.0_f64;
    let mut flags = 0;
    for r in 1..=14 {
        let name = format!("S001R{r:02}.edf");
        let expected = reference(&format!("prep_expected/{name}.json"));
        let (names, report) = run(&root.join("eegmmidb_S001").join(&name));
        let (n, worst) = compare(&name, &names, &report, &expected, &[]);
        flags += n;
        worst_z = worst_z.max(worst);
    }
    assert!(flags > 0, "no flags compared");
    eprintln!("{flags} flags agree; largest z-score difference {worst_z:.3e}");
}

#[test]
fn planted_faults_get_pyprep_flags_with_and_without_detrend() {
    let expected = reference("prep_planted.json");
    let names: Vec<String> = (0..16).map(|c| format!("c{c}")).collect();
    let mut seen = Vec::new();
    for run in expected["runs"].as_array().expect("runs") {
        let detrend = run["do_detrend"].as_bool().expect("do_detrend");
        let config = PrepConfig {
            detrend,
            ..PrepConfig::default()
        };
        let report = noisy_channels(planted(), 256.0, &config);
        // After the high-pass, the middle of c6's flat stretch holds only
        // floating-point residue (about 1e-15 µV in PyPREP's windows 12 to
        // 17); its correlations with the other channels are correlations of
        // rounding noise, which differ between MNE's filter and this one,
        // so the count of bad windows may differ (7 of 29 in PyPREP, 8
        // here). The flag itself must agree.
        let exempt: &[(&str, &str)] = if detrend {
            &[("c6", "bad_correlation_fraction")]
        } else {
            &[]
        };
        compare(
            &format!("planted, detrend {detrend}"),
            &names,
            &report,
            run,
            exempt,
        );
        seen.extend(report.channels.iter().flat_map(|c| c.reasons()));
    }
    // Every criterion fires somewhere, so each is compared at least once.
    for criterion in [
        "nan",
        "flat",
        "deviation",
        "hf_noise",
        "correlation",
        "SNR",
        "dropout",
    ] {
        assert!(seen.contains(&criterion), "{criterion} never fired");
    }
}

/// `scan` with `prep` set gives each recording of eegmmidb_S001 the flags
/// PyPREP gives it, channel by channel, and leaves them out by default.
#[test]
fn scan_judges_every_recording_as_pyprep_does() {
    use preflight::dataset::{discover, DiscoverConfig};
    use preflight::scan::{samples_to_scan, scan, ScanConfig};

    let Some(root) = data_root() else { return };
    let dataset = discover(&root.join("eegmmidb_S001"), &DiscoverConfig::default()).expect("found");
    let config = ScanConfig {
        prep: Some(PrepConfig::default()),
        ..ScanConfig::default()
    };
    let done = std::sync::atomic::AtomicU64::new(0);
    let progress = |n: u64| {
        done.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    };
    let report = scan(&dataset, &config, &progress).expect("scanned");
    assert_eq!(report.recordings.len(), 14);
    // The progress reaches the total announced, the criteria's reading
    // included (64 channels, twice).
    let total = samples_to_scan(&dataset, &config);
    assert_eq!(done.into_inner(), total);
    assert_eq!(total, 2 * samples_to_scan(&dataset, &ScanConfig::default()));
    let mut flags = 0;
    for r in &report.recordings {
        let name = r.path.to_str().expect("UTF-8");
        let expected = reference(&format!("prep_expected/{name}.json"));
        let prep = r.prep.as_ref().expect("judged");
        assert_eq!(prep.sfreq_hz, 160.0);
        let want = expected["channels"].as_array().expect("channels");
        assert_eq!(prep.channels.len(), want.len(), "{name}");
        for (got, want) in prep.channels.iter().zip(want) {
            assert_eq!(Some(got.name.as_str()), want["name"].as_str(), "{name}");
            let (ours, theirs) = (sorted_flags(&got.criteria), pyprep_flags(want));
            assert_eq!(ours, theirs, "{name} {}", got.name);
            flags += ours.len();
        }
    }
    assert!(flags > 0, "no flags compared");
    assert_eq!(report.settings.prep, Some(PrepConfig::default()));

    // Without `prep`, nothing is judged and the report says nothing of it.
    let one = discover(
        &root.join("eegmmidb_S001/S001R01.edf"),
        &DiscoverConfig::default(),
    )
    .expect("found");
    let plain = scan(&one, &ScanConfig::default(), &|_| {}).expect("scanned");
    assert!(plain.recordings.iter().all(|r| r.prep.is_none()));
    let json = String::from_utf8(plain.to_json_bytes()).expect("UTF-8");
    assert!(!json.contains("\"prep\""));
}
