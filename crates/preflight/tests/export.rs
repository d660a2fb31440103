//! The tensor plan and the batch reader on a small synthetic study with two
//! detached contacts: the audit's exclusions applied (the faulty
//! recording's windows absent at recording level, masked at channel
//! level), normalized channels of mean 0 and std 1 over the kept windows,
//! labels as events.tsv gives them, and each window's values those an
//! independent decode gives after `(x − mean) / std`.

use std::path::Path;

use preflight::audit::plan::ExcludeLevel;
use preflight::audit::{audit, Audit, AuditConfig};
use preflight::dataset::{discover, Dataset, DiscoverConfig};
use preflight::export::{Batch, BatchReader, Preparation, TensorPlan};
use preflight::synth::generate;
use preflight::window::{windows, Locator, Windows};

mod common;

/// The faulty recording of [`study`].
const FAULTY: &str = "sub-02/eeg/sub-02_task-oddball_run-2_eeg.edf";

/// 4 subjects × 2 runs, 1 minute each; sub-02 run 2 has P3 and P4 detached.
fn study(dir: &Path) -> Dataset {
    generate(&common::small_demo(4, 2, &["P3", "P4"], 3), dir).unwrap();
    discover(dir, &DiscoverConfig::default()).unwrap()
}

/// An audit of every window (so that the normalization is measured on
/// exactly the windows kept) at `level`.
fn audited(dataset: &Dataset, level: ExcludeLevel) -> (Audit, AuditConfig) {
    let config = AuditConfig {
        full: true,
        exclude: level,
        ..AuditConfig::default()
    };
    (audit(dataset, &config, &|_, _| {}), config)
}

fn planned(dataset: &Dataset, prep: &Preparation) -> (Windows, TensorPlan) {
    let w = windows(dataset, &prep.windows);
    prep.check(&w).unwrap();
    let plan = TensorPlan::new(dataset, &w, prep);
    (w, plan)
}

fn read_all(dataset: &Dataset, w: &Windows, plan: &TensorPlan) -> Batch {
    let all: Vec<usize> = (0..plan.kept.len()).collect();
    let batch = BatchReader::new(dataset, w, plan).read(&all);
    assert!(batch.errors.is_empty(), "{:?}", batch.errors);
    assert_eq!(batch.len(), plan.kept.len());
    batch
}

/// Mean and std (ddof 0) of channel `k` over the unmasked cells.
fn channel_moments(batch: &Batch, plan: &TensorPlan, k: usize) -> (f64, f64, usize) {
    let (c, t) = (plan.channels.len(), plan.samples);
    let (mut n, mut sum, mut sq) = (0usize, 0f64, 0f64);
    for row in 0..batch.len() {
        if batch.mask[row * c + k] == 0 {
            continue;
        }
        for &v in &batch.x[(row * c + k) * t..(row * c + k + 1) * t] {
            n += 1;
            sum += f64::from(v);
            sq += f64::from(v) * f64::from(v);
        }
    }
    let mean = sum / n as f64;
    (mean, (sq / n as f64 - mean * mean).sqrt(), n)
}

fn assert_standardized(batch: &Batch, plan: &TensorPlan) {
    for k in 0..plan.channels.len() {
        let (mean, std, n) = channel_moments(batch, plan, k);
        assert!(n > 0, "{}", plan.channels[k]);
        assert!(mean.abs() < 1e-3, "{} mean {mean}", plan.channels[k]);
        assert!((std - 1.0).abs() < 1e-3, "{} std {std}", plan.channels[k]);
    }
}

/// Every row's class is the trial_type of the event at its onset.
fn assert_labels_match_events(dataset: &Dataset, w: &Windows, batch: &Batch) {
    for row in 0..batch.len() {
        let r = &dataset.recordings[batch.recordings[row] as usize];
        let onset = batch.onsets_s[row].expect("event windows have onsets");
        let event = r
            .events
            .iter()
            .find(|e| (e.onset_s - onset).abs() < 1e-6)
            .unwrap_or_else(|| panic!("no event at {onset} s in {}", r.path.display()));
        assert_eq!(event.label, w.classes[batch.labels[row] as usize]);
        assert_eq!(r.subject, w.subjects[batch.subjects[row] as usize]);
    }
}

#[test]
fn recording_exclusions_drop_the_faulty_recordings_windows() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = study(dir.path());
    let (report, config) = audited(&dataset, ExcludeLevel::Recording);
    assert_eq!(report.exclusions.recordings, [FAULTY]);
    let prep = Preparation::from_audit(&report, &config);
    let (w, plan) = planned(&dataset, &prep);

    let faulty = w.recordings.iter().position(|r| r == FAULTY).unwrap() as u32;
    let of_faulty = w.windows.iter().filter(|x| x.recording == faulty).count();
    assert!(of_faulty > 0);
    assert_eq!(plan.kept.len(), w.windows.len() - of_faulty);
    assert!(plan.kept.iter().all(|&i| w.windows[i].recording != faulty));
    assert_eq!(plan.excluded, [(FAULTY.to_string(), of_faulty)]);
    assert!(plan.left_out.is_empty());
    assert_eq!(
        (plan.channels.len(), plan.samples, plan.sfreq_hz),
        (32, 256, 256.0)
    );

    let batch = read_all(&dataset, &w, &plan);
    assert!(batch.mask.iter().all(|&m| m == 1));
    assert!(batch.non_finite.iter().all(|&n| n == 0));
    assert_standardized(&batch, &plan);
    assert_labels_match_events(&dataset, &w, &batch);
}

#[test]
fn channel_exclusions_mask_the_cells_and_keep_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = study(dir.path());
    let (report, config) = audited(&dataset, ExcludeLevel::Channel);
    let prep = Preparation::from_audit(&report, &config);
    let (w, plan) = planned(&dataset, &prep);
    assert_eq!(plan.kept.len(), w.windows.len());
    assert_eq!(plan.masked_channels, 2);

    let batch = read_all(&dataset, &w, &plan);
    let c = plan.channels.len();
    let faulty = w.recordings.iter().position(|r| r == FAULTY).unwrap() as u32;
    let p3 = plan.channels.iter().position(|n| n == "P3").unwrap();
    let p4 = plan.channels.iter().position(|n| n == "P4").unwrap();
    for row in 0..batch.len() {
        for k in 0..c {
            let masked = batch.recordings[row] == faulty && (k == p3 || k == p4);
            assert_eq!(
                batch.mask[row * c + k],
                u8::from(!masked),
                "row {row} channel {k}"
            );
            if masked {
                let t = plan.samples;
                assert!(batch.x[(row * c + k) * t..(row * c + k + 1) * t]
                    .iter()
                    .all(|&v| v == 0.0));
            }
        }
    }
    assert_standardized(&batch, &plan);
    assert_labels_match_events(&dataset, &w, &batch);
}

#[test]
fn an_exported_window_is_the_decoded_window_normalized() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = study(dir.path());
    let (report, config) = audited(&dataset, ExcludeLevel::Recording);
    let prep = Preparation::from_audit(&report, &config);
    let (w, plan) = planned(&dataset, &prep);
    let positions = [0, plan.kept.len() / 2, plan.kept.len() - 1];
    let batch = BatchReader::new(&dataset, &w, &plan).read(&positions);
    assert_eq!(batch.positions, positions);

    let (c, t) = (plan.channels.len(), plan.samples);
    for (row, &p) in positions.iter().enumerate() {
        let window = w.windows[plan.kept[p]];
        let Locator::Time { start_s } = window.locator else {
            panic!("a file window")
        };
        let path = dir.path().join(&w.recordings[window.recording as usize]);
        let file = edf::Edf::open(&path).unwrap();
        let first = (start_s * 256.0).round() as u64;
        for (k, name) in plan.channels.iter().enumerate() {
            let signal = (0..file.header().signals.len())
                .find(|&s| file.header().signals[s].label == *name)
                .unwrap();
            let mut raw = vec![0f32; t];
            file.read_physical(signal, first, &mut raw).unwrap();
            let stats = report
                .normalization
                .iter()
                .find(|n| &n.channel == name)
                .unwrap();
            let (mean, std) = (stats.mean.unwrap(), stats.std.unwrap());
            let expected: Vec<f32> = raw
                .iter()
                .map(|&v| ((f64::from(v) - mean) / std) as f32)
                .collect();
            assert_eq!(
                &batch.x[(row * c + k) * t..(row * c + k + 1) * t],
                expected.as_slice(),
                "{} {name} at {start_s} s",
                path.display()
            );
        }
    }
}

#[test]
fn a_report_read_back_plans_the_same_tensor_as_the_audit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let dataset = study(&data);
    for level in [
        ExcludeLevel::Recording,
        ExcludeLevel::Channel,
        ExcludeLevel::Window,
    ] {
        let (report, config) = audited(&dataset, level);
        let path = dir.path().join(format!("report-{level}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&report).unwrap()).unwrap();
        let from_audit = Preparation::from_audit(&report, &config);
        let from_report = Preparation::from_report(&path).unwrap();
        assert_eq!(from_report.windows, from_audit.windows);
        assert_eq!(from_report.normalization, from_audit.normalization);
        assert_eq!(from_report.class_weights, from_audit.class_weights);
        let (_, a) = planned(&dataset, &from_audit);
        let (_, b) = planned(&dataset, &from_report);
        assert_eq!(a, b, "{level}");
        if level == ExcludeLevel::Window {
            assert!(
                a.masked_windows.0 > 0 && a.masked_windows.1 == 0,
                "{:?}",
                a.masked_windows
            );
        }
    }
}

#[test]
fn a_report_without_the_window_definition_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.json");
    std::fs::write(
        &path,
        r#"{"schema": "preflight.audit/1", "sample": {"size": "full"}}"#,
    )
    .unwrap();
    let e = Preparation::from_report(&path).unwrap_err().to_string();
    assert!(
        e.contains("settings.window_source") && e.contains("run preflight audit again"),
        "{e}"
    );
    std::fs::write(&path, r#"{"schema": "preflight.scan/1"}"#).unwrap();
    let e = Preparation::from_report(&path).unwrap_err().to_string();
    assert!(
        e.contains("schema") && e.contains("preflight.audit/1"),
        "{e}"
    );
}

#[test]
fn a_recording_without_a_channel_of_the_tensor_is_left_out_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut dataset = study(dir.path());
    dataset.recordings[1].channels.retain(|c| c.name != "Cz");
    let prep = Preparation::raw(Default::default(), Default::default());
    let (w, plan) = planned(&dataset, &prep);
    assert_eq!(plan.left_out.len(), 1, "{:?}", plan.left_out);
    let l = &plan.left_out[0];
    assert_eq!(l.recording, w.recordings[1]);
    assert!(l.reason.contains("lacks channel Cz"), "{}", l.reason);
    assert!(plan.kept.iter().all(|&i| w.windows[i].recording != 1));
}

#[test]
fn without_an_audit_every_window_is_kept_in_microvolts() {
    let dir = tempfile::tempdir().unwrap();
    let dataset = study(dir.path());
    let prep = Preparation::raw(Default::default(), Default::default());
    let (w, plan) = planned(&dataset, &prep);
    assert_eq!(plan.kept.len(), w.windows.len());
    assert!(!plan.normalized);
    assert!(plan.mean.iter().all(|&m| m == 0.0) && plan.std.iter().all(|&s| s == 1.0));
    // The detached contacts are there, tens of mV off.
    let faulty = w.recordings.iter().position(|r| r == FAULTY).unwrap() as u32;
    let p = plan
        .kept
        .iter()
        .position(|&i| w.windows[i].recording == faulty)
        .unwrap();
    let batch = BatchReader::new(&dataset, &w, &plan).read(&[p, p]);
    let (c, t) = (plan.channels.len(), plan.samples);
    let p3 = plan.channels.iter().position(|n| n == "P3").unwrap();
    let peak = batch.x[p3 * t..(p3 + 1) * t]
        .iter()
        .fold(0f32, |m, v| m.max(v.abs()));
    assert!(peak > 10_000.0, "{peak}");
    // A repeated position gives the same row twice.
    assert_eq!(batch.x[..c * t], batch.x[c * t..]);
}

#[test]
fn nan_samples_of_a_numpy_dataset_are_counted_not_hidden() {
    use preflight::synth::{Fault, FaultKind, FaultPlan, OutputFormat};
    let dir = tempfile::tempdir().unwrap();
    let mut config = common::small_demo(3, 1, &["Cz"], 2);
    config.format = OutputFormat::Npy;
    config.faults = FaultPlan::List(vec![Fault {
        kind: FaultKind::Nan,
        subject: 1,
        run: 1,
        channels: vec!["Cz".to_string()],
        onset_s: 10.0,
        duration_s: Some(5.0),
    }]);
    generate(&config, dir.path()).unwrap();
    let dataset = discover(dir.path(), &DiscoverConfig::default()).unwrap();
    let prep = Preparation::raw(Default::default(), Default::default());
    let (w, plan) = planned(&dataset, &prep);
    assert_eq!(plan.channels.len(), 32);
    assert_eq!((plan.channels[0].as_str(), plan.samples), ("ch0", 256));
    assert_eq!(plan.kept.len(), w.windows.len());

    let batch = read_all(&dataset, &w, &plan);
    let nan = batch.x.iter().filter(|v| v.is_nan()).count() as u64;
    assert!(nan > 0);
    assert_eq!(batch.non_finite.iter().sum::<u64>(), nan);
    assert_eq!(batch.non_finite.iter().filter(|&&n| n > 0).count(), 1);
    assert!(batch.onsets_s.iter().all(Option::is_none));
}
