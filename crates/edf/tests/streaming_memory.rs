//! Streaming through a file with `release_records` keeps resident memory
//! bounded by the block, not the file (Linux only: reads /proc).
//!
//! Alone in its test binary: resident memory is per process, and other
//! tests mapping files would disturb the measurement.

#[cfg(target_os = "linux")]
mod common;

#[cfg(target_os = "linux")]
#[test]
fn streaming_with_release_keeps_resident_file_pages_flat() {
    fn rss_file_kb() -> u64 {
        let status = std::fs::read_to_string("/proc/self/status").expect("procfs");
        status
            .lines()
            .find_map(|l| l.strip_prefix("RssFile:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("RssFile in /proc/self/status")
    }

    // 32 channels × 256 Hz × 1200 s of EDF: 19.7 MB.
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("long.edf");
    common::write_32_channels(&path, 1200);

    let file = edf::Edf::open(&path).expect("readable");
    let before = rss_file_kb();
    let mut buf = vec![0f32; 256];
    let mut peak = before;
    for r in 0..file.records() {
        for s in 0..32 {
            file.read_physical(s, r * 256, &mut buf).expect("in range");
        }
        file.release_records(r, r + 1);
        peak = peak.max(rss_file_kb());
    }
    let grown = peak.saturating_sub(before);
    assert!(
        grown < 4 * 1024,
        "resident file pages grew by {grown} kB over a 19.7 MB file"
    );
}

/// Opening without annotations decodes the same samples as a full open of
/// an EDF+C file, and reads no annotation.
#[test]
fn open_without_annotations_decodes_the_same_samples() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("plus.edf");
    let start = edf::StartTime {
        year: 2021,
        month: 3,
        day: 4,
        hour: 5,
        minute: 6,
        second: 7,
    };
    let mut spec = edf::FileSpec::new(edf::Format::Edf, true, start, 1.0);
    spec.records = 5;
    spec.signals = vec![edf::SignalSpec::new(
        "Cz",
        "uV",
        -500.0,
        500.0,
        edf::Format::Edf,
        50,
    )];
    let events = [edf::Annotation {
        onset_s: 1.5,
        duration_s: None,
        text: "stimulus".to_string(),
    }];
    let mut writer = edf::Writer::new(Vec::new(), &spec, &events).expect("writer");
    for r in 0..5 {
        let record: Vec<f64> = (0..50).map(|k| f64::from(r * 50 + k) - 100.0).collect();
        writer.write_record(&[record]).expect("record");
    }
    std::fs::write(&path, writer.finish().expect("finish")).expect("write");

    let full = edf::Edf::open(&path).expect("open");
    let bare = edf::Edf::open_without_annotations(&path).expect("open without annotations");
    assert_eq!(full.annotations().len(), 1);
    assert!(bare.annotations().is_empty());
    assert_eq!(bare.records(), full.records());
    let a: Vec<f64> = full.read_signal(0).expect("decode");
    let b: Vec<f64> = bare.read_signal(0).expect("decode");
    assert_eq!(a, b);
    assert_eq!(bare.sample_time_s(0, 120), full.sample_time_s(0, 120));
}
