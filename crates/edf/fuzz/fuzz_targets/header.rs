//! `edf::parse_header` on arbitrary bytes: every fixed and per-signal field,
//! the BDF/EDF version bytes, the EDF+ variant, and the values derived from
//! a header that parses.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let header = match edf::parse_header(data, Path::new("fuzz.edf")) {
        Ok((header, warnings)) => {
            for w in &warnings {
                let _ = w.to_string();
            }
            header
        }
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };

    assert_eq!(header.header_bytes, 256 * (header.signals.len() + 1));
    assert!(header.header_bytes <= data.len());
    assert!(header.record_duration_s.is_finite() && header.record_duration_s >= 0.0);

    let offsets = header.signal_offsets();
    assert_eq!(offsets.len(), header.signals.len());
    let record_bytes = header.record_bytes();
    for (s, &at) in header.signals.iter().zip(&offsets) {
        assert!(at + s.samples_per_record * header.format.sample_bytes() <= record_bytes);
    }
    for (i, s) in header.signals.iter().enumerate() {
        assert!(s.digital_max > s.digital_min);
        let _ = header.sfreq_hz(i);
        let (gain, offset, step) = (s.gain(), s.offset(), s.step());
        assert!(gain.is_finite() && offset.is_finite() && step.is_finite());
        let _ = s.unit().name().len();
    }
    let n = header.annotation_signals().count() + header.data_signals().count();
    assert_eq!(n, header.signals.len());
});
