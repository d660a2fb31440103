//! `scan` on small EDF/BDF datasets written here with planted faults: the
//! streamed summaries equal the measures fed every decoded sample, the
//! report does not depend on the number of threads, and merging the
//! reports of shards gives the report of one pass.

use std::f64::consts::PI;
use std::path::Path;

use edf::{Edf, FileSpec, Format, SignalSpec, StartTime, Writer};
use preflight::dataset::{discover, DiscoverConfig};
use preflight::measure::flatness::{Clipping, FlatRuns, FlatWindows};
use preflight::measure::histogram::AmplitudeHistogram;
use preflight::measure::moments::Moments;
use preflight::measure::sketch::QuantileSketch;
use preflight::measure::spectrum::{SpectrumPlanner, Welch};
use preflight::scan::{scan, ScanConfig, ScanReport, Shard};

const SFREQ: usize = 256;
const CHANNELS: [&str; 4] = ["Fz", "Cz", "T7", "O1"];

/// A tiny pseudo-random generator, so the files do not depend on a crate.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 - 0.5
    }
}

/// What to plant in a recording.
#[derive(Clone, Copy, Default)]
struct Faults {
    /// 60 Hz of 40 µV on T7.
    line: bool,
    /// Cz constant from second 10 to 30.
    flat: bool,
    /// Fz saturating at ±100 µV.
    clip: bool,
}

/// Writes a 60 s recording of four channels at 256 Hz.
fn write_recording(path: &Path, seed: u64, format: Format, faults: Faults) {
    let start = StartTime {
        year: 2024,
        month: 5,
        day: 6,
        hour: 7,
        minute: 8,
        second: 9,
    };
    let seconds = 60;
    let mut spec = FileSpec::new(format, false, start, 1.0);
    spec.records = seconds;
    spec.signals = CHANNELS
        .iter()
        .map(|&name| {
            let range = if name == "Fz" && faults.clip {
                100.0
            } else {
                3276.7
            };
            SignalSpec::new(name, "uV", -range, range, format, SFREQ)
        })
        .collect();
    let mut writer = Writer::new(Vec::new(), &spec, &[]).unwrap();
    let mut rng = Lcg(seed);
    for r in 0..seconds {
        let record: Vec<Vec<f64>> = CHANNELS
            .iter()
            .map(|&name| {
                (0..SFREQ)
                    .map(|k| {
                        let t = (r as usize * SFREQ + k) as f64 / SFREQ as f64;
                        let mut x = 20.0 * rng.next() + 10.0 * (2.0 * PI * 10.0 * t).sin();
                        if name == "T7" && faults.line {
                            x += 40.0 * (2.0 * PI * 60.0 * t).sin();
                        }
                        if name == "Cz" && faults.flat && (10..30).contains(&r) {
                            x = 5.0;
                        }
                        if name == "Fz" && faults.clip {
                            x *= 20.0;
                        }
                        x
                    })
                    .collect()
            })
            .collect();
        writer.write_record(&record).unwrap();
    }
    std::fs::write(path, writer.finish().unwrap()).unwrap();
}

/// Three subjects of two runs each; subject 02 run 2 has every fault, and
/// one file is not an EDF file at all.
fn write_dataset(root: &Path) {
    for s in 1..=3 {
        let dir = root.join(format!("sub-0{s}"));
        std::fs::create_dir_all(&dir).unwrap();
        for run in 1..=2 {
            let faults = if s == 2 && run == 2 {
                Faults {
                    line: true,
                    flat: true,
                    clip: true,
                }
            } else {
                Faults::default()
            };
            let path = dir.join(format!("sub-0{s}_run-{run}_eeg.edf"));
            write_recording(&path, 10 * s + run, Format::Edf, faults);
        }
    }
    std::fs::write(root.join("sub-03/sub-03_run-3_eeg.edf"), b"not an EDF file").unwrap();
}

fn scan_with_threads(root: &Path, threads: usize, config: &ScanConfig) -> ScanReport {
    let dataset = discover(root, &DiscoverConfig::default()).unwrap();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| scan(&dataset, config, &|_| {})).unwrap()
}

#[test]
fn streamed_summary_equals_the_measures_of_every_sample() {
    let dir = tempfile::tempdir().unwrap();
    for format in [Format::Edf, Format::Bdf] {
        let path = dir.path().join(match format {
            Format::Edf => "one.edf",
            Format::Bdf => "one.bdf",
        });
        let faults = Faults {
            line: true,
            flat: true,
            clip: true,
        };
        write_recording(&path, 5, format, faults);
        let report = scan_with_threads(&path, 2, &ScanConfig::default());
        assert_eq!(report.recordings.len(), 1);
        let file = Edf::open(&path).unwrap();
        let config = ScanConfig::default();
        let mut planner = SpectrumPlanner::new();
        for (i, c) in report.recordings[0].channels.iter().enumerate() {
            let x: Vec<f32> = file.read_signal(i).unwrap();
            let mut d = vec![0_i32; x.len()];
            file.read_digital(i, 0, &mut d).unwrap();
            let s = &file.header().signals[i];

            let m = Moments::of(&x);
            assert_eq!(c.moments.count(), m.count());
            assert_eq!((c.moments.min(), c.moments.max()), (m.min(), m.max()));
            let rel = |a: f64, b: f64| (a - b).abs() / b.abs().max(1e-300);
            let scale = m.max().unwrap().abs().max(m.min().unwrap().abs());
            assert!((c.moments.mean().unwrap() - m.mean().unwrap()).abs() < 1e-12 * scale);
            assert!(rel(c.moments.variance(0).unwrap(), m.variance(0).unwrap()) < 1e-12);
            let mut sketch = QuantileSketch::new();
            sketch.push(&x);
            assert_eq!(c.sketch, sketch, "{}", c.name);
            let mut hist = AmplitudeHistogram::new();
            hist.push(&x);
            assert_eq!(c.histogram, hist);
            let mut clip = Clipping::new();
            clip.push_digital(&d, s.digital_min, s.digital_max);
            assert_eq!(c.clipping, clip);
            let mut runs = FlatRuns::new(0.0);
            runs.push(&x);
            assert_eq!(c.flat.longest_run, runs.longest());
            let mut windows = FlatWindows::new(SFREQ as u64, 0, 0.0);
            windows.push(&x);
            assert_eq!(
                (c.flat.windows, c.flat.flat_windows),
                (windows.windows(), windows.flat())
            );
            let mut welch = Welch::new(planner.plan(config.welch(SFREQ as f64)));
            welch.push(&x);
            let psd = welch.psd(SFREQ as f64).unwrap();
            let spectrum = c.spectrum.as_ref().unwrap();
            assert_eq!(spectrum.segments, psd.segments());
            let peak = psd.power().iter().cloned().fold(0.0, f64::max);
            for (a, b) in spectrum.power.iter().zip(psd.power()) {
                // Digital input against f32-rounded physical input.
                assert!((a - b).abs() <= 1e-6 * peak, "{a} vs {b}");
            }
        }

        // The planted faults show.
        let ch = |name: &str| {
            report.recordings[0]
                .channels
                .iter()
                .find(|c| c.name == name)
                .unwrap()
        };
        assert_eq!(report.recordings[0].mains.mains_hz, Some(60.0));
        assert!(ch("T7").worst_line_ratio(Some(60.0)).unwrap().ratio > 20.0);
        assert!(ch("O1").worst_line_ratio(Some(60.0)).unwrap().ratio < 3.0);
        assert_eq!(ch("Cz").flat_fraction, Some(20.0 / 60.0));
        assert!(ch("Cz").longest_flat_s >= 20.0);
        assert!(ch("Fz").clipped_fraction.unwrap() > 0.3);
        assert_eq!(ch("O1").clipped_fraction, Some(0.0));
        let mad = ch("O1").mad.unwrap();
        assert!(mad > 3.0 && mad < 12.0, "{mad}");
    }
}

#[test]
fn report_is_the_same_for_any_number_of_threads() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let config = ScanConfig::default();
    let one = scan_with_threads(dir.path(), 1, &config).to_json();
    for threads in [2, 3, 16] {
        assert_eq!(
            scan_with_threads(dir.path(), threads, &config).to_json(),
            one
        );
    }
    // A single file split into channel groups gives its one-thread result.
    let file = dir.path().join("sub-02/sub-02_run-2_eeg.edf");
    let single = scan_with_threads(&file, 1, &config).to_json();
    assert_eq!(scan_with_threads(&file, 4, &config).to_json(), single);
}

#[test]
fn unreadable_files_are_listed_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let report = scan_with_threads(dir.path(), 2, &ScanConfig::default());
    assert_eq!(report.recordings.len(), 6);
    assert_eq!(report.unreadable.len(), 1);
    assert!(report.unreadable[0].path.ends_with("sub-03_run-3_eeg.edf"));
    assert!(!report.unreadable[0].reason.is_empty());
    assert_eq!(report.subjects.len(), 3);
    // One recording of six has mains; the others detect none.
    assert_eq!(report.dataset.mains_votes.votes(), &[(60.0, 1)]);
    assert_eq!(report.dataset.mains_votes.none(), 5);
    assert_eq!(report.dataset.mains_hz, Some(60.0));
}

#[test]
fn to_json_bytes_is_serde_json() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let report = scan_with_threads(dir.path(), 2, &ScanConfig::default());
    assert!(report.subjects.len() > 1 && report.recordings.len() > 1);
    assert!(!report.unreadable.is_empty());
    let bytes = report.to_json_bytes();
    assert_eq!(bytes, serde_json::to_vec(&report).unwrap());
    // And it reads back as the same report: the same recordings, and the
    // same bytes when written again (in memory, merged spectra keep double
    // precision until written).
    let back = ScanReport::from_json(&bytes, Path::new("report.json")).unwrap();
    assert_eq!(back.recordings, report.recordings);
    assert_eq!(back.to_json_bytes(), bytes);
    // A report of the earlier schema reads, and is then of this one.
    let earlier = String::from_utf8(bytes)
        .unwrap()
        .replace("\"preflight.scan/2\"", "\"preflight.scan/1\"");
    let back = ScanReport::from_json(earlier.as_bytes(), Path::new("old.json")).unwrap();
    assert_eq!(back.schema, "preflight.scan/2");
    assert_eq!(back.recordings, report.recordings);
}

#[test]
fn merged_shards_equal_one_pass() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let whole = scan_with_threads(dir.path(), 2, &ScanConfig::default());
    for n in [2, 3] {
        let mut parts = Vec::new();
        for k in (1..=n).rev() {
            let config = ScanConfig {
                shard: Some(Shard::new(k, n).unwrap()),
                ..ScanConfig::default()
            };
            let part = scan_with_threads(dir.path(), 2, &config);
            assert_eq!(part.shards, vec![Shard::new(k, n).unwrap()]);
            // Through JSON, as `preflight merge` reads them.
            let json = part.to_json();
            parts.push(ScanReport::from_json(json.as_bytes(), Path::new("part.json")).unwrap());
        }
        let names: Vec<String> = (1..=n).map(|k| format!("part{k}.json")).collect();
        let merged = ScanReport::merge(parts, &names).unwrap();
        assert_eq!(merged.to_json(), whole.to_json(), "{n} shards");
    }
}

#[test]
fn dataset_summary_is_the_summary_of_all_samples() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let report = scan_with_threads(dir.path(), 2, &ScanConfig::default());

    // Every sample of O1 over the dataset, decoded directly.
    let mut all: Vec<f32> = Vec::new();
    for r in &report.recordings {
        let file = Edf::open(dir.path().join(&r.path)).unwrap();
        all.extend(file.read_signal::<f32>(3).unwrap());
    }
    let o1 = report
        .dataset
        .channels
        .iter()
        .find(|c| c.name == "O1")
        .unwrap();
    let m = Moments::of(&all);
    assert_eq!(o1.moments.count(), m.count());
    assert_eq!(o1.samples, all.len() as u64);
    let rel = |a: f64, b: f64| (a - b).abs() / b.abs();
    assert!(rel(o1.moments.variance(0).unwrap(), m.variance(0).unwrap()) < 1e-12);
    assert!((o1.moments.mean().unwrap() - m.mean().unwrap()).abs() < 1e-9);

    // Quantiles within the sketch's bound of the exact order statistics.
    let mut sorted: Vec<f64> = all.iter().map(|&x| f64::from(x)).collect();
    sorted.sort_by(f64::total_cmp);
    let alpha = o1.sketch.config().relative_accuracy;
    let at = |q: f64| sorted[(q * (sorted.len() - 1) as f64).floor() as usize];
    for q in [0.25, 0.5, 0.75] {
        let got = o1.sketch.quantile(q).unwrap();
        assert!((got - at(q)).abs() <= alpha * at(q).abs() + 1e-12, "q={q}");
    }
    let median = at(0.5);
    let mut dev: Vec<f64> = sorted.iter().map(|x| (x - median).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let mad = dev[(dev.len() - 1) / 2];
    let bound = alpha * (2.0 * median.abs() + mad) + 1e-12;
    assert!(
        (o1.mad.unwrap() - mad).abs() <= bound,
        "{:?} vs {mad}",
        o1.mad
    );

    // The subject with the planted recording carries its faults.
    let sub02 = report
        .subjects
        .iter()
        .find(|s| s.subject.as_deref() == Some("02"))
        .unwrap();
    let cz = sub02.channels.iter().find(|c| c.name == "Cz").unwrap();
    assert_eq!(cz.flat.flat_windows, 20);
    assert_eq!(cz.flat.windows, 120);
}

#[test]
fn merging_refuses_overlapping_reports() {
    let dir = tempfile::tempdir().unwrap();
    write_dataset(dir.path());
    let whole = scan_with_threads(dir.path(), 2, &ScanConfig::default());
    let names = ["a.json".to_string(), "b.json".to_string()];
    let err = ScanReport::merge(vec![whole.clone(), whole], &names).unwrap_err();
    assert!(
        err.to_string().contains("in both a.json and b.json"),
        "{err}"
    );
    let bad = ScanReport::from_json(br#"{"schema": "other/1"}"#, Path::new("x.json"));
    assert!(bad.unwrap_err().to_string().contains("preflight.scan/2"));
}
