//! The network learns a response hidden in noise, on subjects it has not
//! seen, and the guards name the windows that break training.

use preflight_train::data::Examples;
use preflight_train::guard::IncidentKind;
use preflight_train::split::split;
use preflight_train::train::{balanced_accuracy, train, TrainConfig};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

/// `subjects × per_subject` windows of 8 channels × 64 samples at 64 Hz of
/// unit white noise; one in five is class 1 and carries a positive wave
/// of `amplitude` at 0.3 s on the back half of the channels.
fn oddball(subjects: usize, per_subject: usize, amplitude: f32, seed: u64) -> Examples {
    let (channels, samples) = (8, 64);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = subjects * per_subject;
    let mut x = Vec::with_capacity(n * channels * samples);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let target = rng.random::<f64>() < 0.2;
        y.push(u32::from(target));
        for c in 0..channels {
            let weight = if c >= channels / 2 { 1.0 } else { 0.2 };
            for t in 0..samples {
                let noise: f32 = StandardNormal.sample(&mut rng);
                let time = t as f32 / 64.0;
                let wave = (-((time - 0.3) / 0.08).powi(2) / 2.0).exp();
                let response = if target {
                    amplitude * weight * wave
                } else {
                    0.0
                };
                x.push(noise + response);
            }
        }
    }
    Examples {
        channels: (0..channels).map(|c| format!("E{c}")).collect(),
        sfreq_hz: 64.0,
        samples,
        x,
        y,
        subject: (0..n).map(|i| (i / per_subject) as u32).collect(),
        recording: (0..n).map(|i| (i / per_subject) as u32).collect(),
        onset_s: (0..n).map(|i| (i % per_subject) as f64).collect(),
        classes: vec!["standard".into(), "target".into()],
        subjects: (1..=subjects).map(|s| format!("{s:02}")).collect(),
        recordings: (1..=subjects).map(|s| format!("sub-{s:02}.edf")).collect(),
    }
}

fn config() -> TrainConfig {
    TrainConfig {
        epochs: 12,
        batch_size: 32,
        seed: 5,
        class_weights: Some(vec![0.625, 2.5]),
        ..TrainConfig::default()
    }
}

#[test]
fn learns_a_hidden_response_on_unseen_subjects() {
    let examples = oddball(10, 120, 1.0, 1);
    let mut epochs = Vec::new();
    let trained = train(&examples, &config(), &mut |p| {
        if let preflight_train::train::Progress::Epoch(e) = p {
            epochs.push(e.clone());
        }
    })
    .expect("training runs");
    let r = &trained.report;
    assert!(r.stopped.is_none(), "{:?}", r.stopped);
    assert!(r.full_pass);
    for s in &r.split.test_subjects {
        assert!(!r.split.train_subjects.contains(s));
    }
    let first = epochs.first().expect("an epoch").train_loss;
    let last = epochs.last().expect("an epoch").train_loss;
    assert!(last < 0.8 * first, "loss went from {first} to {last}");
    let rows: Vec<Vec<f32>> = r.test.logits.chunks(2).map(|c| c.to_vec()).collect();
    let score = balanced_accuracy(&rows, &r.test.labels, 2);
    assert!(
        score > 0.85,
        "balanced accuracy {score} on held-out subjects"
    );
}

/// A window of a training subject of the split `config` makes on
/// `examples` (the split depends on subjects and labels, not values).
fn training_window(examples: &Examples, config: &TrainConfig) -> (usize, u32) {
    let s = split(
        examples,
        config.test_share,
        config.validation_share,
        config.seed,
        None,
    )
    .expect("the examples split");
    let subject = s.train_subjects[0];
    let first = examples
        .subject
        .iter()
        .position(|&v| v == subject)
        .expect("its windows");
    (first + 7, subject)
}

#[test]
fn a_nan_window_stops_training_and_is_named() {
    let mut examples = oddball(6, 40, 1.0, 2);
    let config = TrainConfig {
        epochs: 3,
        ..config()
    };
    let (bad, subject) = training_window(&examples, &config);
    let size = examples.channels.len() * examples.samples;
    examples.x[bad * size + 100] = f32::NAN;
    let trained = train(&examples, &config, &mut |_| {}).expect("training runs");
    let stop = trained
        .report
        .stopped
        .as_ref()
        .expect("a NaN stops training");
    assert_eq!(stop.kind, IncidentKind::NonFiniteActivation);
    assert_eq!(stop.layer.as_deref(), Some("input"));
    assert_eq!(stop.windows[0].index, bad);
    let recording = format!("sub-{:02}.edf", subject + 1);
    assert_eq!(stop.windows[0].recording, recording);
    let said = stop.to_string();
    assert!(said.contains(&format!("{recording} at 7.00 s")), "{said}");
    assert!(!trained.report.full_pass || stop.step > trained.report.steps_per_epoch);
}

#[test]
fn a_huge_window_is_a_spike_and_beyond_the_bound_stops() {
    let mut examples = oddball(6, 40, 1.0, 3);
    let config = TrainConfig {
        epochs: 2,
        ..config()
    };
    let (huge, subject) = training_window(&examples, &config);
    let size = examples.channels.len() * examples.samples;
    // The subject's windows at 1e3 × the others, and one at 1e6 ×.
    for w in 0..examples.len() {
        if examples.subject[w] == subject {
            let factor = if w == huge { 1e6 } else { 1e3 };
            for v in &mut examples.x[w * size..(w + 1) * size] {
                *v *= factor;
            }
        }
    }
    let trained = train(&examples, &config, &mut |_| {}).expect("training runs");
    let r = &trained.report;
    let stop = r.stopped.as_ref().expect("1e6 × stops training");
    assert_eq!(stop.kind, IncidentKind::ActivationBeyondBound);
    assert_eq!(stop.layer.as_deref(), Some("input"));
    assert_eq!(stop.windows[0].index, huge);
    let spikes = &r.spikes["input"];
    let recording = format!("sub-{:02}.edf", subject + 1);
    assert!(
        spikes.by_recording.keys().all(|k| *k == recording),
        "{spikes:?}"
    );
    assert!(spikes.windows > 0);
}
