//! The EDF+ annotation (TAL) parser, reached directly: the input becomes the
//! annotation signal of a small valid EDF+ or BDF+ file written by
//! `edf::Writer`, so nearly every input gets past the header.
//!
//! Input layout: one control byte, then the annotation bytes, split evenly
//! over the records (each record's share padded with 0x00).
//!
//! - bits 0-1: number of records minus one (1 to 4 records);
//! - bit 2: BDF+ instead of EDF+;
//! - bit 3: mark the file EDF+D / BDF+D instead of EDF+C / BDF+C;
//! - bit 4: start each record's share with a valid time-keeping TAL, so that
//!   the input itself only holds events;
//! - bits 5-6: record duration, 1, 0.5, 2 or 0.1 s.

#![no_main]

use std::path::Path;

use edf::{Annotation, Edf, FileSpec, Format, SignalSpec, StartTime};
use libfuzzer_sys::fuzz_target;

const DURATIONS_S: [f64; 4] = [1.0, 0.5, 2.0, 0.1];
/// Samples per record of the one data signal.
const DATA_SAMPLES: usize = 2;

/// Writes a file of `records` records whose annotation signal holds at
/// least `annotation_bytes` bytes per record, and returns it.
fn template(format: Format, records: u64, duration_s: f64, annotation_bytes: usize) -> Vec<u8> {
    let start = StartTime {
        year: 2020,
        month: 1,
        day: 2,
        hour: 3,
        minute: 4,
        second: 5,
    };
    let mut spec = FileSpec::new(format, true, start, duration_s);
    spec.records = records;
    spec.signals = vec![SignalSpec::new(
        "Fz",
        "uV",
        -100.0,
        100.0,
        format,
        DATA_SAMPLES,
    )];
    // The writer sizes the annotation signal to its longest record, so a
    // long enough annotation in record 0 reserves the room.
    let filler = Annotation {
        onset_s: 0.0,
        duration_s: None,
        text: "x".repeat(annotation_bytes),
    };
    let mut writer = edf::Writer::new(Vec::new(), &spec, &[filler]).expect("valid spec");
    for _ in 0..records {
        writer
            .write_record(&[[0.0; DATA_SAMPLES]])
            .expect("valid record");
    }
    writer.finish().expect("all records written")
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, content)) = data.split_first() else {
        return;
    };
    let records = usize::from(control & 0b11) + 1;
    let format = if control & 0b100 != 0 {
        Format::Bdf
    } else {
        Format::Edf
    };
    let discontinuous = control & 0b1000 != 0;
    let time_keeping = control & 0b1_0000 != 0;
    let duration_s = DURATIONS_S[usize::from((control >> 5) & 0b11)];

    // Each record's share of the input, with its time-keeping TAL if asked.
    let share = content.len().div_ceil(records);
    let chunks: Vec<Vec<u8>> = (0..records)
        .map(|k| {
            let mut chunk = Vec::new();
            if time_keeping {
                chunk.extend_from_slice(format!("+{}\x14\x14\0", k as f64 * duration_s).as_bytes());
            }
            let from = (k * share).min(content.len());
            let to = ((k + 1) * share).min(content.len());
            chunk.extend_from_slice(&content[from..to]);
            chunk
        })
        .collect();
    let longest = chunks.iter().map(Vec::len).max().unwrap_or(0);

    let mut bytes = template(format, records as u64, duration_s, longest);
    let (header, _) = edf::parse_header(&bytes, Path::new("template")).expect("valid template");
    if discontinuous {
        bytes[192..197].copy_from_slice(if format == Format::Edf {
            b"EDF+D"
        } else {
            b"BDF+D"
        });
    }
    let signal = header
        .annotation_signals()
        .next()
        .expect("an annotation signal");
    let at = header.signal_offsets()[signal];
    let room = header.signals[signal].samples_per_record * format.sample_bytes();
    assert!(room >= longest);
    for (k, chunk) in chunks.iter().enumerate() {
        let start = header.header_bytes + k * header.record_bytes() + at;
        let dst = &mut bytes[start..start + room];
        dst.fill(0);
        dst[..chunk.len()].copy_from_slice(chunk);
    }

    let edf = match Edf::from_bytes(bytes, "fuzz.edf") {
        Ok(edf) => edf,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    for w in edf.warnings() {
        let _ = w.to_string();
    }
    assert_eq!(edf.records(), records as u64);
    for a in edf.annotations() {
        assert!(!a.text.is_empty());
    }
    for g in edf.gaps() {
        assert!(g.duration_s > 0.0, "{g:?}");
    }
    let n = edf.samples(0);
    for index in [0, n / 2, n - 1] {
        assert!(edf.sample_time_s(0, index).is_some());
    }
    let mut out = vec![0f64; n as usize];
    edf.read_physical(0, 0, &mut out)
        .expect("data signal in range");
});
