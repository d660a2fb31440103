//! The network learns a response hidden in noise, on subjects it has not
//! seen, and the guards name the windows that break training.

use preflight_train::data::Examples;
use preflight_train::guard::IncidentKind;
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
                let response = if target { amplitude * weight * wave } else { 0.0 };
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
    assert!(score > 0.85, "balanced accuracy {score} on held-out subjects");
}

#[test]
fn a_nan_window_stops_training_and_is_named() {
    let mut examples = oddball(6, 40, 1.0, 2);
    // One sample of one window of subject 04.
    let size = examples.channels.len() * examples.samples;
    let bad = 3 * 40 + 7;
    examples.x[bad * size + 100] = f32::NAN;
    let trained = train(&examples, &TrainConfig { epochs: 3, ..config() }, &mut |_| {})
        .expect("training runs");
    let r = &trained.report;
    let in_training = r.split.train.contains(&bad);
    match &r.stopped {
        Some(i) => {
            assert!(in_training);
            assert_eq!(i.kind, IncidentKind::NonFiniteActivation);
            assert_eq!(i.layer.as_deref(), Some("input"));
            assert_eq!(i.windows[0].index, bad);
            assert_eq!(i.windows[0].recording, "sub-04.edf");
            assert!(i.to_string().contains("sub-04.edf at 7.00 s"), "{i}");
        }
        None => assert!(!in_training, "a NaN window was trained on without a word"),
    }
}

#[test]
fn a_huge_window_is_a_spike_and_beyond_the_bound_stops() {
    let mut examples = oddball(6, 40, 1.0, 3);
    let size = examples.channels.len() * examples.samples;
    // Windows of subject 02 (40..80) at 1e3 × and one at 1e6 × the rest.
    for w in 40..80 {
        for v in &mut examples.x[w * size..(w + 1) * size] {
            *v *= if w == 60 { 1e6 } else { 1e3 };
        }
    }
    let trained = train(&examples, &TrainConfig { epochs: 2, ..config() }, &mut |_| {})
        .expect("training runs");
    let r = &trained.report;
    if !r.split.train_subjects.contains(&1) {
        return;
    }
    let stop = r.stopped.as_ref().expect("1e6 × stops training");
    assert_eq!(stop.kind, IncidentKind::ActivationBeyondBound);
    assert_eq!(stop.windows[0].index, 60);
    let spikes = &r.spikes["input"];
    assert!(spikes.by_recording.keys().all(|k| k == "sub-02.edf"), "{spikes:?}");
}
