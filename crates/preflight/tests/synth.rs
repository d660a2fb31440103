//! The synthetic datasets hold what `truth.json` says, checked on the files
//! themselves: EDF files read back through the `edf` reader, events through
//! dataset discovery, NumPy arrays byte by byte.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use edf::Edf;
use preflight::dataset::{self, DiscoverConfig, Layout};
use preflight::synth::{
    generate, montage, ControlPlan, Fault, FaultKind, FaultPlan, OutputFormat, SynthConfig, Truth,
};

/// Power of `x` at `hz` (Goertzel's recurrence; the squared magnitude of
/// the DFT at that frequency, not restricted to bins).
fn power_at(x: &[f64], hz: f64, sfreq_hz: f64) -> f64 {
    let w = std::f64::consts::TAU * hz / sfreq_hz;
    let c = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    let mean = x.iter().sum::<f64>() / x.len() as f64;
    for &v in x {
        let s = (v - mean) + c * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - c * s1 * s2
}

fn sd(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / x.len() as f64).sqrt()
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len() as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let (ma, mb) = (mean(a), mean(b));
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    cov / (a.len() as f64 * sd(a) * sd(b))
}

/// Every channel of a recording, by label, in µV.
fn channels(root: &Path, recording: &str) -> BTreeMap<String, Vec<f64>> {
    let file = Edf::open(root.join(recording)).expect("EDF opens");
    let h = file.header();
    h.data_signals()
        .map(|i| {
            let x = file.read_signal::<f64>(i).expect("signal decodes");
            (h.signals[i].label.clone(), x)
        })
        .collect()
}

fn recording_of(truth: &Truth, subject: &str, run: &str) -> String {
    truth
        .recordings
        .iter()
        .find(|r| r.subject == subject && r.run == run)
        .expect("recording in truth")
        .recording
        .clone()
}

fn fault(kind: FaultKind, subject: u32, channels: &[&str], span: Option<(f64, f64)>) -> Fault {
    Fault {
        kind,
        subject,
        run: 1,
        channels: channels.iter().map(|c| c.to_string()).collect(),
        onset_s: span.map_or(0.0, |s| s.0),
        duration_s: span.map(|s| s.1),
    }
}

/// Three subjects, one 60 s run each; subject 3 is the control.
fn faulty_config() -> SynthConfig {
    SynthConfig {
        subjects: 3,
        runs: 1,
        minutes: 1.0,
        seed: 11,
        mains_hz: 60.0,
        control: ControlPlan::Subject(3),
        faults: FaultPlan::List(vec![
            fault(
                FaultKind::Mains {
                    frequency_hz: None,
                    amplitude_uv: 40.0,
                },
                1,
                &["Cz"],
                None,
            ),
            fault(
                FaultKind::Detached {
                    frequency_hz: Some(60.0),
                    amplitude_uv: 50_000.0,
                    offset_uv: 80_000.0,
                },
                1,
                &["P3", "P4"],
                None,
            ),
            fault(
                FaultKind::Bursts {
                    count: 4,
                    amplitude_uv: 500.0,
                },
                1,
                &["O1"],
                None,
            ),
            fault(
                FaultKind::Flat { value_uv: 0.0 },
                2,
                &["Fz"],
                Some((10.0, 20.0)),
            ),
            fault(
                FaultKind::Clipping { limit_uv: 300.0 },
                2,
                &["C3"],
                Some((20.0, 20.0)),
            ),
            fault(
                FaultKind::DcOffset {
                    offset_uv: 30_000.0,
                },
                2,
                &["T7"],
                None,
            ),
        ]),
        ..SynthConfig::default()
    }
}

fn generated(config: &SynthConfig) -> (tempfile::TempDir, PathBuf, Truth) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("data");
    let truth = generate(config, &root).expect("generates");
    let read = Truth::read(&root.join("truth.json")).expect("truth.json reads back");
    assert_eq!(read, truth);
    (dir, root, truth)
}

#[test]
fn planted_faults_show_in_the_files() {
    let (_dir, root, truth) = generated(&faulty_config());
    let fs = truth.sfreq_hz;
    let sub1 = channels(&root, &recording_of(&truth, "01", "1"));
    let sub2 = channels(&root, &recording_of(&truth, "02", "1"));
    let faulty = ["Cz", "P3", "P4", "O1"];
    let clean_sd = median(
        sub1.iter()
            .filter(|(n, _)| !faulty.contains(&n.as_str()))
            .map(|(_, x)| sd(x))
            .collect(),
    );
    assert!((8.0..40.0).contains(&clean_sd), "EEG sd {clean_sd} µV");

    // Mains: the spectrum of Cz peaks at 60 Hz, far above a clean channel.
    let cz = &sub1["Cz"];
    let peak = (2..128)
        .map(|f| (f, power_at(cz, f as f64, fs)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("frequencies");
    assert_eq!(peak.0, 60, "Cz peaks at {} Hz", peak.0);
    let ratio = power_at(cz, 60.0, fs) / power_at(&sub1["Fz"], 60.0, fs);
    assert!(ratio > 1000.0, "mains power ratio {ratio}");

    // Detached: three orders of magnitude above the EEG, large offset,
    // mains pickup.
    for ch in ["P3", "P4"] {
        let x = &sub1[ch];
        let r = sd(x) / clean_sd;
        assert!(r >= 1000.0, "{ch}: {r}× the EEG");
        assert!(mean(x).abs() > 50_000.0, "{ch}: offset {}", mean(x));
        assert!(
            power_at(x, 60.0, fs) > 100.0 * power_at(x, 45.0, fs),
            "{ch}"
        );
    }

    // Bursts: where truth.json says, far above the rest of the channel.
    let bursts = truth
        .faults
        .iter()
        .find(|f| f.kind == "bursts")
        .and_then(|f| f.bursts.clone())
        .expect("bursts in truth");
    assert_eq!(bursts.len(), 4);
    let o1 = &sub1["O1"];
    let inside = |i: usize| {
        let t = i as f64 / fs;
        bursts.iter().any(|b| t >= b[0] && t < b[0] + b[1])
    };
    let (mut burst, mut rest) = (Vec::new(), Vec::new());
    for (i, &v) in o1.iter().enumerate() {
        if inside(i) {
            burst.push(v);
        } else {
            rest.push(v);
        }
    }
    let rms = |v: &[f64]| (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt();
    assert!(
        rms(&burst) > 5.0 * rms(&rest),
        "{} vs {}",
        rms(&burst),
        rms(&rest)
    );

    // Flat: constant digital values during the fault only.
    let file = Edf::open(root.join(recording_of(&truth, "02", "1"))).expect("opens");
    let fz = file
        .header()
        .signals
        .iter()
        .position(|s| s.label == "Fz")
        .expect("Fz");
    let mut digital = vec![0i32; 20 * fs as usize];
    file.read_digital(fz, 10 * fs as u64, &mut digital)
        .expect("reads");
    assert!(digital.iter().all(|&d| d == digital[0]), "flat span varies");
    file.read_digital(fz, 40 * fs as u64, &mut digital)
        .expect("reads");
    assert!(
        digital.iter().any(|&d| d != digital[0]),
        "after the span it is EEG"
    );

    // Clipping: saturated at the digital limits during the fault only.
    let c3 = file
        .header()
        .signals
        .iter()
        .position(|s| s.label == "C3")
        .expect("C3");
    let h = &file.header().signals[c3];
    let (lo, hi) = (h.digital_min, h.digital_max);
    assert_eq!((h.physical_min, h.physical_max), (-300.0, 300.0));
    let at_limit = |start_s: u64| {
        let mut d = vec![0i32; 20 * fs as usize];
        file.read_digital(c3, start_s * fs as u64, &mut d)
            .expect("reads");
        d.iter().filter(|&&v| v == lo || v == hi).count() as f64 / d.len() as f64
    };
    let during = at_limit(20);
    assert!(during > 0.3, "{during} of samples at the limits");
    assert!(at_limit(0) < 0.001, "clipped before the fault");
    let x = &sub2["C3"];
    let top = x.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    assert!((top - 300.0).abs() < 0.01, "{top}");

    // DC offset: tens of mV, as planted.
    let t7 = mean(&sub2["T7"]);
    assert!((10_000.0..100_000.0).contains(&t7), "T7 mean {t7} µV");
    assert!((t7 - 30_000.0).abs() < 100.0, "{t7}");

    // Clean channels keep a fine resolution.
    let fp1 = &file.header().signals[0];
    assert!(fp1.step() <= 0.11, "clean step {} µV", fp1.step());

    // Every entry names an existing recording and channel.
    assert_eq!(truth.faults.len(), 7);
    for f in &truth.faults {
        assert!(root.join(&f.recording).is_file(), "{}", f.recording);
        assert!(truth.channels.contains(&f.channel));
    }
}

/// Share of power in the delta, theta, alpha, beta and gamma bands:
/// powers at 0.5 Hz steps, each averaged over 2 s segments (Welch's method
/// without overlap or window), summed per band.
fn band_shares(x: &[f64], fs: f64) -> [f64; 5] {
    let bands = [
        (1.0, 4.0),
        (4.0, 8.0),
        (8.0, 13.0),
        (13.0, 30.0),
        (30.0, 45.0),
    ];
    let segment = 2 * fs as usize;
    let power = |f: f64| -> f64 {
        x.chunks_exact(segment)
            .map(|seg| power_at(seg, f, fs))
            .sum()
    };
    let p: Vec<f64> = bands
        .iter()
        .map(|&(a, b)| {
            let steps = ((b - a) / 0.5) as usize;
            (0..steps).map(|k| power(a + 0.5 * k as f64)).sum()
        })
        .collect();
    let total: f64 = p.iter().sum();
    [0, 1, 2, 3, 4].map(|k| p[k] / total)
}

#[test]
fn control_subject_is_three_times_larger_with_the_same_spectrum() {
    let (_dir, root, truth) = generated(&faulty_config());
    let fs = truth.sfreq_hz;
    assert_eq!(truth.controls.len(), 1);
    let control = &truth.controls[0];
    assert_eq!(
        (control.subject.as_str(), control.kind.as_str()),
        ("03", "control")
    );
    assert!(control.must_not_be_flagged);
    assert!(truth.faults.iter().all(|f| f.subject != "03"));

    let gain = |s: &str| {
        truth
            .subjects
            .iter()
            .find(|x| x.subject == s)
            .expect("subject")
            .gain
    };
    let ctrl = channels(&root, &control.recording);
    let other = channels(&root, &recording_of(&truth, "02", "1"));
    let skip = ["Fz", "C3", "T7"];
    let mut ratios = Vec::new();
    let (mut a, mut b) = ([0.0; 5], [0.0; 5]);
    for (name, x) in &ctrl {
        if skip.contains(&name.as_str()) {
            continue;
        }
        ratios.push(sd(x) / sd(&other[name]) * gain("02"));
        let (sa, sb) = (band_shares(x, fs), band_shares(&other[name], fs));
        for k in 0..5 {
            a[k] += sa[k] / ctrl.len() as f64;
            b[k] += sb[k] / ctrl.len() as f64;
        }
    }
    // The spectrum's shape (band shares averaged over channels) is a
    // typical head's.
    for k in 0..5 {
        assert!(
            (a[k] - b[k]).abs() < 0.06,
            "band {k}: control {:.3}, other {:.3}",
            a[k],
            b[k]
        );
    }
    // Measured against a gain-1 head, the control is 3× larger.
    let ratio = median(ratios);
    assert!(
        (2.5..3.6).contains(&ratio),
        "control is {ratio}× a typical head"
    );
}

#[test]
fn neighbouring_channels_correlate_more_than_distant_ones() {
    let config = SynthConfig {
        subjects: 2,
        runs: 1,
        minutes: 1.0,
        faults: FaultPlan::List(Vec::new()),
        control: ControlPlan::None,
        ..SynthConfig::default()
    };
    let (_dir, root, truth) = generated(&config);
    for r in &truth.recordings {
        let x = channels(&root, &r.recording);
        let names: Vec<&String> = x.keys().collect();
        let (mut near, mut far) = (Vec::new(), Vec::new());
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                let d2 = montage::distance2(
                    &montage::position(a).expect("10-10"),
                    &montage::position(b).expect("10-10"),
                );
                let r = correlation(&x[*a], &x[*b]);
                if d2 < 0.15 {
                    near.push(r);
                } else if d2 > 1.5 {
                    far.push(r);
                }
            }
        }
        let (near, far) = (mean(&near), mean(&far));
        assert!(
            near > 0.5 && near > far + 0.3,
            "near {near:.2}, far {far:.2}"
        );
    }
}

#[test]
fn targets_evoke_a_parietal_positivity_near_300_ms() {
    let config = SynthConfig {
        subjects: 2,
        runs: 1,
        minutes: 2.0,
        target_share: 0.5,
        faults: FaultPlan::List(Vec::new()),
        control: ControlPlan::None,
        ..SynthConfig::default()
    };
    let (_dir, root, _truth) = generated(&config);
    let data = dataset::discover(&root, &DiscoverConfig::default()).expect("discovers");
    let fs = 256.0;
    let (before, after) = (51usize, 154usize); // -0.2 s to +0.6 s
    let mut waves: BTreeMap<(&str, &str), Vec<f64>> = BTreeMap::new();
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for rec in &data.recordings {
        let x = channels(&root, &rec.path.to_string_lossy());
        for e in &rec.events {
            let onset = (e.onset_s * fs).round() as usize;
            for ch in ["Pz", "Fp1"] {
                let seg = &x[ch][onset - before..onset + after];
                let base = mean(&seg[..before]);
                let key = (
                    ch,
                    if e.label == "target" {
                        "target"
                    } else {
                        "standard"
                    },
                );
                let acc = waves
                    .entry(key)
                    .or_insert_with(|| vec![0.0; before + after]);
                for (a, v) in acc.iter_mut().zip(seg) {
                    *a += v - base;
                }
                *counts.entry(key).or_default() += 1;
            }
        }
    }
    let average = |ch, kind| -> Vec<f64> {
        let n = counts[&(ch, kind)] as f64;
        waves[&(ch, kind)].iter().map(|v| v / n).collect()
    };
    let difference = |ch| -> Vec<f64> {
        average(ch, "target")
            .iter()
            .zip(average(ch, "standard"))
            .map(|(t, s)| t - s)
            .collect()
    };
    let pz = difference("Pz");
    let (peak_at, peak) = pz
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .expect("samples");
    let latency = (peak_at as f64 - before as f64) / fs;
    assert!((0.22..0.42).contains(&latency), "peak at {latency} s");
    assert!(*peak > 5.0, "Pz target − standard peak {peak} µV");
    let window = |w: &[f64]| mean(&w[before + 64..before + 103]); // 250-400 ms
    assert!(window(&pz) > 4.0 * window(&difference("Fp1")).abs().max(0.5));

    // Single trials: the mean of Pz over 250-400 ms, the crudest of
    // classifiers, separates targets from standards well above chance
    // (area under the ROC curve by counting pairs; about 0.78 here), so a
    // network that combines channels and time has something to learn.
    let (mut t, mut s) = (Vec::new(), Vec::new());
    for rec in &data.recordings {
        let x = channels(&root, &rec.path.to_string_lossy());
        for e in &rec.events {
            let onset = (e.onset_s * fs).round() as usize;
            let seg = &x["Pz"][onset - before..onset + after];
            let v = window(seg) - mean(&seg[..before]);
            if e.label == "target" {
                t.push(v);
            } else {
                s.push(v);
            }
        }
    }
    let wins: usize = t.iter().map(|a| s.iter().filter(|b| a > b).count()).sum();
    let auc = wins as f64 / (t.len() * s.len()) as f64;
    assert!(auc > 0.7, "single-trial AUC {auc:.3}");
}

#[test]
fn same_seed_gives_the_same_bytes_and_another_seed_other_bytes() {
    let config = SynthConfig {
        subjects: 3,
        runs: 2,
        channels: 8,
        minutes: 0.25,
        seed: 5,
        ..SynthConfig::default()
    };
    let (_a, root_a, _) = generated(&config);
    // On one thread the recordings are written in another order.
    let (_b, root_b, _) = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| generated(&config));
    let (_c, root_c, _) = generated(&SynthConfig { seed: 6, ..config });
    let files = |root: &Path| -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = walkdir(root)
            .into_iter()
            .map(|p| p.strip_prefix(root).expect("inside").to_path_buf())
            .collect();
        out.sort();
        out
    };
    let names = files(&root_a);
    assert!(names.len() > 20, "{names:?}");
    assert_eq!(names, files(&root_b));
    let mut edf_differ = 0;
    for n in &names {
        let a = std::fs::read(root_a.join(n)).expect("reads");
        assert_eq!(
            a,
            std::fs::read(root_b.join(n)).expect("reads"),
            "{}",
            n.display()
        );
        if n.extension().is_some_and(|e| e == "edf") {
            let c = std::fs::read(root_c.join(n)).expect("same layout");
            edf_differ += usize::from(a != c);
        }
    }
    assert_eq!(edf_differ, 6, "every EDF file differs under another seed");
}

fn walkdir(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("lists").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn discovery_sees_subjects_runs_events_and_channels() {
    let config = SynthConfig {
        subjects: 4,
        runs: 2,
        channels: 16,
        minutes: 0.5,
        target_share: 0.1,
        ..SynthConfig::default()
    };
    let (_dir, root, truth) = generated(&config);
    let d = dataset::discover(&root, &DiscoverConfig::default()).expect("discovers");
    assert_eq!(d.layout, Layout::Bids);
    assert!(d.unreadable.is_empty(), "{:?}", d.unreadable);
    assert_eq!(d.subjects().len(), 4);
    assert_eq!(d.recordings.len(), 8);
    assert_eq!(d.participants.len(), 4);
    let mut targets = 0;
    for r in &d.recordings {
        assert!(r.warnings.is_empty(), "{:?}", r.warnings);
        assert_eq!(r.format, "EDF+C");
        assert_eq!(r.duration_s, 30.0);
        assert_eq!(r.channels.len(), 16);
        assert!(r.channels.iter().all(|c| c.kind == "EEG" && c.unit == "uV"));
        let t = truth
            .recordings
            .iter()
            .find(|t| Path::new(&t.recording) == r.path)
            .expect("in truth");
        assert_eq!(r.events.len(), t.stimuli);
        let n = r.event_counts().get("target").copied().unwrap_or(0);
        assert_eq!(n, t.targets);
        targets += n;
    }
    let stimuli: usize = truth.recordings.iter().map(|r| r.stimuli).sum();
    assert_eq!(targets, (0.1 * stimuli as f64).round() as usize);
    // One fault of each EDF kind, none on the control.
    let kinds: Vec<&str> = truth.faults.iter().map(|f| f.kind.as_str()).collect();
    assert_eq!(kinds.len(), 6, "{kinds:?}");
    let control = &truth.controls[0].subject;
    assert!(truth.faults.iter().all(|f| &f.subject != control));
}

#[test]
fn npy_layout_reads_back_with_nan_and_inf_where_planted() {
    let config = SynthConfig {
        subjects: 3,
        runs: 1,
        channels: 8,
        minutes: 0.5,
        format: OutputFormat::Npy,
        seed: 9,
        ..SynthConfig::default()
    };
    let (_dir, root, truth) = generated(&config);
    let d = dataset::discover(&root, &DiscoverConfig::default()).expect("discovers");
    assert_eq!(d.layout, Layout::Numpy);
    let n = d.numpy.expect("arrays");
    let stimuli: usize = truth.recordings.iter().map(|r| r.stimuli).sum();
    assert_eq!((n.examples, n.channels, n.samples), (stimuli, 8, 256));
    let targets: usize = truth.recordings.iter().map(|r| r.targets).sum();
    assert_eq!(n.class_counts.get("1").copied().unwrap_or(0), targets);
    assert_eq!(n.group_counts.expect("groups").len(), 3);

    // Non-finite values exactly in the examples and channel truth names.
    let bytes = std::fs::read(root.join("X.npy")).expect("reads");
    let data = &bytes[n.data_offset as usize..];
    let value = |e: usize, c: usize, s: usize| {
        let i = 4 * ((e * n.channels + c) * n.samples + s);
        f32::from_le_bytes([data[i], data[i + 1], data[i + 2], data[i + 3]])
    };
    for kind in ["nan", "inf"] {
        let f = truth
            .faults
            .iter()
            .find(|f| f.kind == kind)
            .expect("planted by default");
        let c = truth
            .channels
            .iter()
            .position(|x| x == &f.channel)
            .expect("channel");
        let [first, end] = f.examples.expect("examples");
        let bad = |e: usize| (0..n.samples).any(|s| !value(e, c, s).is_finite());
        assert!((first..end).all(bad), "{kind}");
        assert!(!bad(first.saturating_sub(1)) || first == 0, "{kind} before");
        assert!(end >= n.examples || !bad(end), "{kind} after");
        let kind_ok = |v: f32| {
            if kind == "nan" {
                v.is_nan()
            } else {
                v.is_infinite()
            }
        };
        assert!((0..n.samples).any(|s| kind_ok(value(first, c, s))));
    }
    let index = std::fs::read_to_string(root.join("recordings.tsv")).expect("index");
    assert_eq!(index.lines().count(), 4);
}

#[test]
fn a_folder_with_files_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("keep.txt"), "mine").expect("writes");
    let e = generate(&SynthConfig::default(), dir.path()).expect_err("not empty");
    assert!(e.to_string().contains("not empty"), "{e}");
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("lists").collect();
    assert_eq!(left.len(), 1);
}

#[test]
fn a_planted_fault_leaves_every_other_channel_as_it_was() {
    let clean = SynthConfig {
        subjects: 2,
        runs: 1,
        channels: 8,
        minutes: 0.25,
        faults: FaultPlan::List(Vec::new()),
        control: ControlPlan::None,
        ..SynthConfig::default()
    };
    let faulty = SynthConfig {
        faults: FaultPlan::List(vec![fault(
            FaultKind::DcOffset {
                offset_uv: 20_000.0,
            },
            1,
            &["Cz"],
            None,
        )]),
        ..clean.clone()
    };
    let (_a, root_a, truth) = generated(&clean);
    let (_b, root_b, _) = generated(&faulty);
    for r in &truth.recordings {
        let (a, b) = (
            channels(&root_a, &r.recording),
            channels(&root_b, &r.recording),
        );
        for (name, x) in &a {
            let same = x == &b[name];
            let planted = r.subject == "01" && name == "Cz";
            assert_eq!(same, !planted, "{} {name}", r.recording);
        }
    }
}

#[test]
fn the_demo_holds_its_story() {
    // The demo with 12 s runs: everything but the length is the demo's.
    let config = SynthConfig {
        minutes: 0.2,
        ..SynthConfig::demo()
    };
    let (_dir, root, truth) = generated(&config);
    assert_eq!(truth.recordings.len(), 80);
    let stimuli: usize = truth.recordings.iter().map(|r| r.stimuli).sum();
    let targets: usize = truth.recordings.iter().map(|r| r.targets).sum();
    let share = targets as f64 / stimuli as f64;
    assert!((share - 0.076).abs() < 0.0005, "{share}");
    assert_eq!(truth.controls.len(), 4);
    assert!(truth.controls.iter().all(|c| c.subject == "14"));

    // Four detached contacts in runs 2 and 3 of sub-07, 60 Hz mains three
    // orders of magnitude above the EEG; nothing anywhere else.
    assert_eq!(truth.faults.len(), 8);
    for run in ["2", "3"] {
        let recording = recording_of(&truth, "07", run);
        let x = channels(&root, &recording);
        let detached: Vec<&str> = truth
            .faults_in(&recording)
            .map(|f| f.channel.as_str())
            .collect();
        assert_eq!(detached, ["P7", "P3", "PO3", "O1"]);
        let eeg = median(
            x.iter()
                .filter(|(n, _)| !detached.contains(&n.as_str()))
                .map(|(_, v)| sd(v))
                .collect(),
        );
        for ch in &detached {
            let v = &x[*ch];
            let ratio = sd(v) / eeg;
            assert!(ratio >= 1000.0, "{recording} {ch}: {ratio:.0}× the EEG");
            let peak = (2..128)
                .map(|f| (f, power_at(v, f as f64, 256.0)))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .expect("frequencies");
            assert_eq!(peak.0, 60, "{ch}");
        }
    }
    assert!(truth.faults.iter().all(|f| f.subject == "07"));
}
