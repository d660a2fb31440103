//! Decoding sampled windows by random access: each window's samples must be
//! those a whole-signal decode holds at the window's place, on real files
//! (continuous and EDF+D) and on a NumPy array.
//!
//! Real recordings come from `../shared/data` (or `PREFLIGHT_TEST_DATA`);
//! tests that need them are skipped with a message when it is absent,
//! except under `CI=true`.

use std::path::Path;

use preflight::dataset::{discover, DiscoverConfig};
use preflight::read::{map_windows, ReadConfig};
use preflight::sample::{stratified_sample, SampleConfig, SampleSize};
use preflight::window::{windows, FixedLabel, Locator, SkipReason, WindowSource};

mod common;
use common::data_root;

#[test]
fn sampled_event_windows_hold_the_samples_at_their_onsets() {
    let Some(root) = data_root() else { return };
    let dataset = discover(&root.join("eegmmidb_S001"), &DiscoverConfig::default()).unwrap();
    let w = windows(&dataset, &WindowSource::default());
    assert_eq!(w.classes, ["T0", "T1", "T2"]);
    let config = SampleConfig {
        size: SampleSize::Fraction(0.1),
        min_per_recording: 2,
        ..SampleConfig::default()
    };
    let sample = stratified_sample(&w, &config);
    assert!(sample.windows.len() >= 28, "{}", sample.windows.len());

    // Channel 0 and the last channel of each window, as decoded.
    let decoded = map_windows(&dataset, &w, &sample.windows, &ReadConfig::default(), |s| {
        let last = s.samples.len() - 1;
        (
            s.index,
            s.samples[0].clone(),
            s.samples[last].clone(),
            s.channels[0].sfreq_hz,
        )
    });

    for (result, &index) in decoded.into_iter().zip(&sample.windows) {
        let (got_index, first, last, sfreq) = result.unwrap();
        assert_eq!(got_index, index);
        assert_eq!(sfreq, 160.0);
        assert_eq!(first.len(), 160, "1 s at 160 Hz");
        let window = w.windows[index];
        let recording = &dataset.recordings[window.recording as usize];
        let Locator::Time { start_s } = window.locator else {
            panic!("a file window")
        };
        let file = edf::Edf::open(root.join("eegmmidb_S001").join(&recording.path)).unwrap();
        let at = (start_s * 160.0).round() as usize;
        let whole0: Vec<f32> = file.read_signal(0).unwrap();
        let signals: Vec<usize> = file.header().data_signals().collect();
        let whole_last: Vec<f32> = file.read_signal(*signals.last().unwrap()).unwrap();
        assert_eq!(
            first,
            whole0[at..at + 160],
            "{} at {start_s}",
            recording.path.display()
        );
        assert_eq!(last, whole_last[at..at + 160]);
    }
}

#[test]
fn edf_plus_d_record_onsets_place_windows_on_a_real_file() {
    let Some(root) = data_root() else { return };
    let path = root.join("mne-testing-data/NihonKohden/MB0400FU.EDF");
    let dataset = discover(&path, &DiscoverConfig::default()).unwrap();
    let recording = &dataset.recordings[0];
    assert_eq!(recording.format, "EDF+D");
    let source = WindowSource::Fixed {
        length_s: 1.0,
        label: FixedLabel::Table([(recording.subject.clone(), "rest".to_string())].into()),
    };
    let w = windows(&dataset, &source);
    assert_eq!(w.windows.len(), 29);
    let file = edf::Edf::open(&path).unwrap();
    let signal = file.header().data_signals().next().unwrap();
    let sfreq = file.header().sfreq_hz(signal).unwrap();
    let whole: Vec<f32> = file.read_signal(signal).unwrap();

    let all: Vec<usize> = (0..w.windows.len()).collect();
    let decoded = map_windows(&dataset, &w, &all, &ReadConfig::default(), |s| {
        s.samples[0].clone()
    });
    for (result, window) in decoded.into_iter().zip(&w.windows) {
        let samples = result.unwrap();
        let Locator::Time { start_s } = window.locator else {
            panic!("a file window")
        };
        // The first sample is the one the reader itself places at the
        // window's start time.
        let at = (0..whole.len())
            .find(|&i| {
                (file.sample_time_s(signal, i as u64).unwrap() - start_s).abs() < 0.5 / sfreq
            })
            .expect("a sample at the window's start");
        assert_eq!(
            samples,
            whole[at..at + samples.len()],
            "window at {start_s} s"
        );
    }
}

/// An EDF+ file spec of `records` 1 s records of one channel, Cz, at
/// 100 Hz, physical range `min..=max` µV, starting 2024-01-02 03:04:05.
fn cz_spec(records: u64, min: f64, max: f64) -> edf::FileSpec {
    use edf::{FileSpec, Format, SignalSpec, StartTime};
    let start = StartTime {
        year: 2024,
        month: 1,
        day: 2,
        hour: 3,
        minute: 4,
        second: 5,
    };
    let mut spec = FileSpec::new(Format::Edf, true, start, 1.0);
    spec.records = records;
    spec.signals = vec![SignalSpec::new("Cz", "uV", min, max, Format::Edf, 100)];
    spec
}

/// An EDF+D file of four 1 s records at 100 Hz whose samples count up
/// (0, 1, 2, ... µV), with 3 s not recorded between records 1 and 2.
fn write_gapped_edf(path: &Path) {
    use edf::Writer;
    let spec = cz_spec(4, -32768.0, 32767.0);
    let mut writer = Writer::new(Vec::new(), &spec, &[]).unwrap();
    for r in 0..4 {
        let record: Vec<f64> = (0..100).map(|k| f64::from(r * 100 + k)).collect();
        writer.write_record(&[record]).unwrap();
    }
    let mut bytes = writer.finish().unwrap();
    // Move records 2 and 3 to 5 s and 6 s on the file's clock.
    for (from, to) in [
        (b"+2\x14\x14", b"+5\x14\x14"),
        (b"+3\x14\x14", b"+6\x14\x14"),
    ] {
        let at = bytes
            .windows(4)
            .position(|w| w == from)
            .expect("time-keeping TAL");
        bytes[at..at + 4].copy_from_slice(to);
    }
    bytes[192..197].copy_from_slice(b"EDF+D");
    std::fs::write(path, bytes).unwrap();
}

#[test]
fn windows_after_an_edf_plus_d_gap_come_from_the_next_record() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("gapped.edf");
    write_gapped_edf(&path);
    let dataset = discover(&path, &DiscoverConfig::default()).unwrap();
    assert_eq!(dataset.recordings[0].gaps_s, 3.0);
    let source = WindowSource::Fixed {
        length_s: 0.5,
        label: FixedLabel::Table([(dataset.recordings[0].subject.clone(), "x".to_string())].into()),
    };
    let w = windows(&dataset, &source);
    // 7 s on the clock: 4 s recorded in 8 windows, 3 s of gap in 6.
    assert_eq!(w.windows.len(), 8);
    assert_eq!(w.skipped[&SkipReason::AcrossGap], 6);

    let all: Vec<usize> = (0..w.windows.len()).collect();
    let decoded = map_windows(&dataset, &w, &all, &ReadConfig::default(), |s| {
        s.samples[0][0]
    });
    let firsts: Vec<f32> = decoded.into_iter().map(Result::unwrap).collect();
    assert_eq!(
        firsts,
        [0.0, 50.0, 100.0, 150.0, 200.0, 250.0, 300.0, 350.0]
    );
}

/// Writes a little-endian float32 `.npy` of the given shape.
fn write_npy_f32(path: &Path, shape: &[usize], data: &[f32]) {
    let dims: Vec<String> = shape.iter().map(ToString::to_string).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let mut dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    while (11 + dict.len()) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    for v in data {
        out.extend_from_slice(&v.to_le_bytes());
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn numpy_rows_decode_in_channel_order_and_scale_to_microvolts() {
    let dir = tempfile::tempdir().unwrap();
    let (n, c, t) = (6, 3, 5);
    let x: Vec<f32> = (0..n * c * t).map(|i| i as f32).collect();
    write_npy_f32(&dir.path().join("X.npy"), &[n, c, t], &x);
    let y: Vec<f32> = (0..n).map(|i| (i % 2) as f32).collect();
    write_npy_f32(&dir.path().join("y.npy"), &[n], &y);

    let dataset = discover(dir.path(), &DiscoverConfig::default()).unwrap();
    let w = windows(&dataset, &WindowSource::default());
    assert_eq!(w.windows.len(), n);
    let config = ReadConfig {
        numpy_sfreq_hz: Some(100.0),
        numpy_to_uv: 1e6,
    };
    let rows = [4, 1];
    let decoded = map_windows(&dataset, &w, &rows, &config, |s| {
        (s.samples.to_vec(), s.channels[2].sfreq_hz)
    });
    for (result, &row) in decoded.into_iter().zip(&rows) {
        let (samples, sfreq) = result.unwrap();
        assert_eq!(sfreq, 100.0);
        assert_eq!(samples.len(), c);
        for (ch, values) in samples.iter().enumerate() {
            let expected: Vec<f32> = (0..t)
                .map(|k| ((row * c + ch) * t + k) as f32 * 1e6)
                .collect();
            assert_eq!(values, &expected, "row {row} channel {ch}");
        }
    }
}

#[test]
fn an_unreadable_recording_fails_only_its_own_windows() {
    let Some(root) = data_root() else { return };
    let dir = tempfile::tempdir().unwrap();
    for name in ["S001R03.edf", "S001R04.edf"] {
        std::fs::copy(root.join("eegmmidb_S001").join(name), dir.path().join(name)).unwrap();
    }
    let dataset = discover(dir.path(), &DiscoverConfig::default()).unwrap();
    let w = windows(&dataset, &WindowSource::default());
    // The file goes away between discovery and decoding.
    std::fs::remove_file(dir.path().join("S001R04.edf")).unwrap();
    let all: Vec<usize> = (0..w.windows.len()).collect();
    let decoded = map_windows(&dataset, &w, &all, &ReadConfig::default(), |s| {
        s.samples.len()
    });
    let mut ok = 0;
    for (result, window) in decoded.iter().zip(&w.windows) {
        match (w.recordings[window.recording as usize].as_str(), result) {
            ("S001R03.edf", Ok(64)) => ok += 1,
            ("S001R04.edf", Err(e)) => assert!(e.to_string().starts_with("S001R04.edf: ")),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(ok > 20);
}

/// A BIDS dataset of one EDF+C recording of four 1 s records at 100 Hz
/// with an events.tsv, whose record 2 starts 0.5 s late so that record 3
/// overlaps it: the header's continuity is wrong in the middle of the
/// file only.
fn write_bids_with_displaced_record(root: &Path) {
    use edf::{Annotation, Writer};
    let spec = cz_spec(4, -500.0, 500.0);
    // A long annotation gives every record's annotation signal room for
    // the longer onset written below.
    let note = Annotation {
        onset_s: 0.5,
        duration_s: None,
        text: "room for a longer onset".to_string(),
    };
    let mut writer = Writer::new(Vec::new(), &spec, &[note]).unwrap();
    for _ in 0..4 {
        writer.write_record(&[vec![0.0; 100]]).unwrap();
    }
    let mut bytes = writer.finish().unwrap();
    let at = bytes
        .windows(5)
        .position(|w| w == b"+2\x14\x14\0")
        .expect("time-keeping TAL");
    bytes[at..at + 7].copy_from_slice(b"+2.5\x14\x14\0");
    let eeg = root.join("sub-01").join("eeg");
    std::fs::create_dir_all(&eeg).unwrap();
    std::fs::write(eeg.join("sub-01_task-x_eeg.edf"), bytes).unwrap();
    std::fs::write(
        eeg.join("sub-01_task-x_events.tsv"),
        "onset\tduration\ttrial_type\n0.5\t0\ta\n2.5\t0\ta\n",
    )
    .unwrap();
}

#[test]
fn a_displaced_edf_plus_c_record_fails_its_windows_when_discovery_skipped_it() {
    // Regression guard for lazy discovery: with every record checked, the
    // file is unreadable; with only its ends checked, the window in the
    // displaced record must fail when decoded instead of being trusted.
    let dir = tempfile::tempdir().unwrap();
    write_bids_with_displaced_record(dir.path());
    let every = discover(dir.path(), &DiscoverConfig::default()).unwrap();
    assert!(every.recordings.is_empty());
    assert_eq!(every.unreadable.len(), 1);

    let lazy = DiscoverConfig {
        read_every_record: false,
        ..DiscoverConfig::default()
    };
    let dataset = discover(dir.path(), &lazy).unwrap();
    assert_eq!(dataset.recordings.len(), 1);
    assert_eq!(dataset.recordings[0].format, "EDF+C");
    let source = WindowSource::Events {
        offset_s: (-0.2, 0.3),
        classes: None,
    };
    let w = windows(&dataset, &source);
    assert_eq!(w.windows.len(), 2);
    let decoded = map_windows(&dataset, &w, &[0, 1], &ReadConfig::default(), |s| {
        s.samples[0].len()
    });
    assert_eq!(decoded[0], Ok(50));
    let e = decoded[1].as_ref().expect_err("record 2 is displaced");
    assert!(e.reason.contains("not contiguous"), "{e}");
}

#[test]
fn an_unreadable_events_tsv_falls_back_to_the_annotations_after_a_lazy_opening() {
    // Lazy discovery skips the annotations of recordings with an
    // events.tsv; when that table cannot be read, the annotations must
    // still become the events, as with every record read.
    use edf::{Annotation, Writer};
    let dir = tempfile::tempdir().unwrap();
    let spec = cz_spec(3, -500.0, 500.0);
    let note = Annotation {
        onset_s: 1.5,
        duration_s: None,
        text: "stimulus".to_string(),
    };
    let mut writer = Writer::new(Vec::new(), &spec, &[note]).unwrap();
    for _ in 0..3 {
        writer.write_record(&[vec![0.0; 100]]).unwrap();
    }
    let eeg = dir.path().join("sub-01").join("eeg");
    std::fs::create_dir_all(&eeg).unwrap();
    std::fs::write(eeg.join("sub-01_task-x_eeg.edf"), writer.finish().unwrap()).unwrap();
    std::fs::write(
        eeg.join("sub-01_task-x_events.tsv"),
        "onset\tduration\ttrial_type\nsoon\t0\ta\n",
    )
    .unwrap();

    for read_every_record in [true, false] {
        let config = DiscoverConfig {
            read_every_record,
            ..DiscoverConfig::default()
        };
        let dataset = discover(dir.path(), &config).unwrap();
        assert_eq!(dataset.unreadable.len(), 1, "{read_every_record}");
        let events = &dataset.recordings[0].events;
        assert_eq!(events.len(), 1, "{read_every_record}");
        assert_eq!(events[0].label, "stimulus");
    }
}
