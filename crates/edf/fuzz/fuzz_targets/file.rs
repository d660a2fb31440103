//! `edf::Edf::from_bytes` on arbitrary bytes: header validation, the count
//! of complete records, EDF+ time-keeping and annotations of every record,
//! then reads of several sample ranges of every signal (record boundaries
//! and the last sample included), reads of whole blocks of records, gaps
//! and sample times.

#![no_main]

use edf::Edf;
use libfuzzer_sys::fuzz_target;

/// Reads `len` samples of `signal` from `start` in the three decodings and
/// checks that they succeed exactly when the range lies within the signal.
fn read(edf: &Edf, signal: usize, start: u64, len: usize) {
    let in_range = signal < edf.header().signals.len()
        && start
            .checked_add(len as u64)
            .is_some_and(|end| end <= edf.samples(signal));
    let mut phys = vec![0f64; len];
    let mut phys32 = vec![0f32; len];
    let mut digital = vec![0i32; len];
    let r64 = edf.read_physical(signal, start, &mut phys);
    let r32 = edf.read_physical(signal, start, &mut phys32);
    let rd = edf.read_digital(signal, start, &mut digital);
    assert_eq!(
        r64.is_ok(),
        in_range,
        "read_physical::<f64>({signal}, {start}, {len})"
    );
    assert_eq!(
        r32.is_ok(),
        in_range,
        "read_physical::<f32>({signal}, {start}, {len})"
    );
    assert_eq!(
        rd.is_ok(),
        in_range,
        "read_digital({signal}, {start}, {len})"
    );
    if let Err(e) = r64 {
        let _ = e.to_string();
        return;
    }
    let (lo, hi) = edf.header().format.digital_limits();
    for (&p, &d) in phys.iter().zip(&digital) {
        assert!(p.is_finite(), "physical value {p} from digital {d}");
        assert!(
            (lo..=hi).contains(&d),
            "digital value {d} outside {lo}..={hi}"
        );
    }
}

/// Reads records `start..end` at once ([`Edf::read_records`]): it succeeds
/// exactly for a range of complete records, and decodes every signal as
/// the file does; a sample before the block is refused.
fn read_block(edf: &Edf, start: u64, end: u64) {
    let mut buf = Vec::new();
    let block = edf.read_records(start, end, &mut buf);
    assert_eq!(
        block.is_ok(),
        start <= end && end <= edf.records(),
        "read_records({start}, {end})"
    );
    let Ok(block) = block else {
        return;
    };
    for signal in 0..edf.header().signals.len() {
        let spr = edf.header().signals[signal].samples_per_record as u64;
        let len = ((end - start) * spr).min(1 << 16) as usize;
        let (mut got, mut want) = (vec![0i32; len], vec![0i32; len]);
        let from_block = block.read_digital(signal, start * spr, &mut got);
        let from_file = edf.read_digital(signal, start * spr, &mut want);
        assert_eq!(from_block.is_ok(), from_file.is_ok(), "signal {signal}");
        if from_block.is_ok() {
            assert_eq!(got, want, "signal {signal}");
        }
        if start > 0 && spr > 0 {
            assert!(block.read_digital(signal, start * spr - 1, &mut [0; 1]).is_err());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let edf = match Edf::from_bytes(data.to_vec(), "fuzz.edf") {
        Ok(edf) => edf,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    for w in edf.warnings() {
        let _ = w.to_string();
    }
    let _ = format!("{edf:?}");

    let header = edf.header();
    // One past the last signal checks that a missing signal is refused.
    for signal in 0..=header.signals.len() {
        let n = edf.samples(signal);
        let spr = header
            .signals
            .get(signal)
            .map_or(0, |s| s.samples_per_record as u64);
        let few = n.min(64) as usize;
        read(&edf, signal, 0, few);
        read(&edf, signal, n - few as u64, few);
        read(&edf, signal, n / 2, (n - n / 2).min(300) as usize);
        if n > spr && spr > 0 {
            // Across the boundary between the first two records.
            read(&edf, signal, spr - 1, 2);
        }
        read(&edf, signal, n, 1);
        read(&edf, signal, u64::MAX, 1);

        for index in [0, spr.saturating_sub(1), spr, n / 2, n.saturating_sub(1)] {
            let t = edf.sample_time_s(signal, index);
            assert_eq!(t.is_some(), index < n, "sample_time_s({signal}, {index})");
        }
        assert!(edf.sample_time_s(signal, n).is_none());
    }

    let records = edf.records();
    read_block(&edf, 0, records);
    read_block(&edf, records / 2, records);
    read_block(&edf, records, records);
    read_block(&edf, 0, records + 1);
    if records > 1 {
        read_block(&edf, records - 1, records - 2);
    }

    for a in edf.annotations() {
        assert!(!a.text.is_empty());
        let _ = (a.onset_s, a.duration_s);
    }
    for g in edf.gaps() {
        assert!(g.duration_s > 0.0, "{g:?}");
        assert!(g.after_record + 1 < edf.records());
    }
    let _ = (edf.is_continuous(), edf.duration_s(), edf.start_offset_s());
    for record in [0, edf.records().saturating_sub(1), edf.records()] {
        let _ = edf.record_onset_s(record);
    }
});
