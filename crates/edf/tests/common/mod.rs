//! Files the integration tests write.

use std::path::Path;

use edf::{FileSpec, Format, SignalSpec, StartTime, Writer};

/// An EDF file of `records` one-second records of 32 channels at 256 Hz
/// (16,384 bytes a record), channel `c` holding `(k (c + 1)) mod 200 - 100`
/// µV at sample `k` of each record.
pub fn write_32_channels(path: &Path, records: u64) {
    let mut spec = FileSpec::new(Format::Edf, false, StartTime::midnight(2020, 1, 1), 1.0);
    spec.records = records;
    spec.signals = (0..32)
        .map(|i| SignalSpec::new(&format!("E{i}"), "uV", -500.0, 500.0, Format::Edf, 256))
        .collect();
    let out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut w = Writer::new(out, &spec, &[]).expect("header");
    let record: Vec<Vec<f64>> = (0..32)
        .map(|c| {
            (0..256)
                .map(|k| ((k * (c + 1)) % 200) as f64 - 100.0)
                .collect()
        })
        .collect();
    for _ in 0..records {
        w.write_record(&record).expect("record");
    }
    w.finish().expect("finish");
}
