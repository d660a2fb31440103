//! The fixed-width ASCII header: parsing and validation of every field.
//!
//! An EDF header is 256 bytes for the file followed by 256 bytes per signal,
//! with each per-signal field stored for all signals in turn (all labels,
//! then all transducers, ...). Every field is checked here; a field whose
//! value would make decoding ambiguous is an [`Error::Field`], a field that
//! deviates from the specification harmlessly is a [`Warning`].
//!
//! Reference: Kemp et al., "A simple format for exchange of digitized
//! polygraphic recordings", 1992, and the EDF+ specification (Kemp & Olivan
//! 2003); BDF as BioSemi defines it (24-bit samples, version byte 0xFF).

use std::path::Path;

use crate::error::{escape, Error, Warning};
use crate::unit::Unit;

/// Length of the fixed part of the header.
pub const FIXED_HEADER_BYTES: usize = 256;
/// Length of the header part of one signal.
pub const SIGNAL_HEADER_BYTES: usize = 256;

/// The two sample encodings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// European Data Format: 16-bit little-endian two's complement samples.
    Edf,
    /// BioSemi Data Format: 24-bit little-endian two's complement samples.
    Bdf,
}

impl Format {
    /// Bytes per stored sample.
    pub fn sample_bytes(self) -> usize {
        match self {
            Format::Edf => 2,
            Format::Bdf => 3,
        }
    }

    /// The smallest and largest digital value a sample can hold.
    pub fn digital_limits(self) -> (i32, i32) {
        match self {
            Format::Edf => (i16::MIN as i32, i16::MAX as i32),
            Format::Bdf => (-(1 << 23), (1 << 23) - 1),
        }
    }

    /// Label of the annotation signal in the "plus" variant.
    pub fn annotation_label(self) -> &'static str {
        match self {
            Format::Edf => "EDF Annotations",
            Format::Bdf => "BDF Annotations",
        }
    }
}

/// The variant announced by the header's reserved field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// Plain EDF or BDF: no time-keeping annotations.
    Plain,
    /// EDF+C / BDF+C: data records are contiguous in time.
    Continuous,
    /// EDF+D / BDF+D: each data record carries its own start time; there
    /// may be gaps between records.
    Discontinuous,
}

/// The recording's start as written in the header (`dd.mm.yy`, `hh.mm.ss`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StartTime {
    /// Four-digit year: `yy` 85–99 is 1985–1999, 00–84 is 2000–2084.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of month, 1–31.
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–59.
    pub second: u8,
}

impl StartTime {
    /// Midnight at the start of a day.
    pub const fn midnight(year: u16, month: u8, day: u8) -> StartTime {
        StartTime {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
        }
    }
}

/// The header of one signal.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalHeader {
    /// Label, e.g. `EEG Fp1`, trailing spaces removed.
    pub label: String,
    /// Transducer type.
    pub transducer: String,
    /// Physical dimension as written, e.g. `uV`.
    pub physical_dimension: String,
    /// Physical value of `digital_min`.
    pub physical_min: f64,
    /// Physical value of `digital_max`.
    pub physical_max: f64,
    /// Smallest digital value.
    pub digital_min: i32,
    /// Largest digital value.
    pub digital_max: i32,
    /// Prefiltering, e.g. `HP:0.1Hz LP:75Hz`.
    pub prefilter: String,
    /// Samples of this signal in each data record.
    pub samples_per_record: usize,
    /// Per-signal reserved field.
    pub reserved: String,
    /// Whether this is an `EDF Annotations` / `BDF Annotations` signal.
    pub is_annotation: bool,
}

impl SignalHeader {
    /// Physical units per digital step, in the header's unit:
    /// `(physical_max - physical_min) / (digital_max - digital_min)`.
    pub fn gain(&self) -> f64 {
        (self.physical_max - self.physical_min) / f64::from(self.digital_max - self.digital_min)
    }

    /// Physical value of digital zero, in the header's unit, so that
    /// `physical = gain * digital + offset`.
    pub fn offset(&self) -> f64 {
        self.physical_min - self.gain() * f64::from(self.digital_min)
    }

    /// The unit values are reported in (µV for voltages).
    pub fn unit(&self) -> Unit {
        Unit::parse(&self.physical_dimension)
    }

    /// One digital step in the reported unit.
    pub fn step(&self) -> f64 {
        self.gain().abs() * self.unit().scale()
    }
}

/// The whole header.
#[derive(Debug, Clone, PartialEq)]
pub struct Header {
    /// EDF or BDF.
    pub format: Format,
    /// Plain, continuous or discontinuous.
    pub variant: Variant,
    /// Local patient identification.
    pub patient: String,
    /// Local recording identification.
    pub recording: String,
    /// Start date field as written.
    pub start_date: String,
    /// Start time field as written.
    pub start_time: String,
    /// The parsed start, when both fields are valid.
    pub start: Option<StartTime>,
    /// Header length in bytes, `256 * (signals + 1)`.
    pub header_bytes: usize,
    /// Reserved field, e.g. `EDF+C`, `24BIT`.
    pub reserved: String,
    /// Data records announced by the header; `None` for `-1` (unknown).
    pub records: Option<u64>,
    /// Duration of one data record in seconds (0 for annotation-only files).
    pub record_duration_s: f64,
    /// The signals, annotation signals included, in file order.
    pub signals: Vec<SignalHeader>,
}

impl Header {
    /// Bytes of one data record.
    pub fn record_bytes(&self) -> usize {
        let samples: usize = self.signals.iter().map(|s| s.samples_per_record).sum();
        samples * self.format.sample_bytes()
    }

    /// Sampling rate of a signal in Hz; `None` when the record duration is 0.
    pub fn sfreq_hz(&self, signal: usize) -> Option<f64> {
        let s = self.signals.get(signal)?;
        (self.record_duration_s > 0.0).then(|| s.samples_per_record as f64 / self.record_duration_s)
    }

    /// Indices of the annotation signals.
    pub fn annotation_signals(&self) -> impl Iterator<Item = usize> + '_ {
        self.signals
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_annotation)
            .map(|(i, _)| i)
    }

    /// Indices of the data (non-annotation) signals.
    pub fn data_signals(&self) -> impl Iterator<Item = usize> + '_ {
        self.signals
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_annotation)
            .map(|(i, _)| i)
    }

    /// Byte offset of each signal within a data record.
    pub fn signal_offsets(&self) -> Vec<usize> {
        let mut offsets = Vec::with_capacity(self.signals.len());
        let mut at = 0;
        for s in &self.signals {
            offsets.push(at);
            at += s.samples_per_record * self.format.sample_bytes();
        }
        offsets
    }
}

/// Field widths of the per-signal header, in file order.
const SIGNAL_FIELDS: [(&str, usize); 10] = [
    ("label", 16),
    ("transducer type", 80),
    ("physical dimension", 8),
    ("physical minimum", 8),
    ("physical maximum", 8),
    ("digital minimum", 8),
    ("digital maximum", 8),
    ("prefiltering", 80),
    ("samples per data record", 8),
    ("reserved", 32),
];

/// Most signals a header may declare.
const MAX_SIGNALS: usize = 100_000;

/// The header's length as its signal count (bytes 252..256 of the first
/// page) gives it, before anything else is read or checked; `None` when
/// the field is not a positive count. For read-ahead advice only: parsing
/// the header checks it against the stated header size.
pub(crate) fn header_len_hint(bytes: &[u8]) -> Option<usize> {
    let ns = bytes
        .get(252..256)
        .and_then(|b| std::str::from_utf8(b).ok())?
        .trim()
        .parse::<usize>()
        .ok()
        .filter(|&ns| ns > 0)?;
    Some(FIXED_HEADER_BYTES + ns.min(MAX_SIGNALS) * SIGNAL_HEADER_BYTES)
}

/// Reads fields of a header, collecting warnings and turning failures into
/// errors that name the file.
struct FieldReader<'a> {
    bytes: &'a [u8],
    path: &'a Path,
    warnings: Vec<Warning>,
}

impl<'a> FieldReader<'a> {
    fn raw(&self, offset: usize, len: usize) -> &'a [u8] {
        let bytes: &'a [u8] = self.bytes;
        &bytes[offset..offset + len]
    }

    fn error(&self, field: &str, offset: usize, len: usize, expected: &str) -> Error {
        Error::Field {
            path: self.path.to_path_buf(),
            field: field.to_string(),
            offset: offset as u64,
            found: escape(self.raw(offset, len)),
            expected: expected.to_string(),
        }
    }

    /// A text field, trailing spaces (and NULs) removed. Bytes outside
    /// printable ASCII are a warning; the text is decoded as UTF-8 when
    /// valid and as Latin-1 otherwise (so a lone 0xB5 reads as µ).
    fn text(&mut self, field: &str, offset: usize, len: usize) -> String {
        let raw = self.raw(offset, len);
        if raw.iter().any(|&b| !(0x20..0x7f).contains(&b)) {
            self.warnings.push(Warning::NonAscii {
                field: field.to_string(),
                offset: offset as u64,
            });
        }
        let text = match std::str::from_utf8(raw) {
            Ok(s) => s.to_string(),
            Err(_) => raw.iter().map(|&b| b as char).collect(),
        };
        text.trim_end_matches([' ', '\0']).to_string()
    }

    fn integer(
        &mut self,
        field: &str,
        offset: usize,
        len: usize,
        expected: &str,
    ) -> Result<i64, Error> {
        let text = self.text(field, offset, len);
        text.trim()
            .parse::<i64>()
            .map_err(|_| self.error(field, offset, len, expected))
    }

    fn number(&mut self, field: &str, offset: usize, len: usize) -> Result<f64, Error> {
        let text = self.text(field, offset, len);
        match text.trim().parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error(field, offset, len, "a finite decimal number")),
        }
    }
}

/// Parses and validates a header.
///
/// `bytes` must hold at least the header; the data records are not read.
/// `path` only names the file in errors and warnings.
///
/// # Errors
///
/// [`Error::Size`] when `bytes` is shorter than the header, [`Error::Field`]
/// for the first field that is unreadable or inconsistent.
pub fn parse(bytes: &[u8], path: &Path) -> Result<(Header, Vec<Warning>), Error> {
    if bytes.len() < FIXED_HEADER_BYTES {
        return Err(Error::Size {
            path: path.to_path_buf(),
            reason: format!(
                "file is {} bytes long, shorter than the {FIXED_HEADER_BYTES}-byte EDF header",
                bytes.len()
            ),
        });
    }
    let mut r = FieldReader {
        bytes,
        path,
        warnings: Vec::new(),
    };

    // Version: "0" padded with spaces for EDF, 0xFF "BIOSEMI" for BDF.
    let format = match r.raw(0, 8) {
        b"0       " => Format::Edf,
        [0xff, b'B', b'I', b'O', b'S', b'E', b'M', b'I'] => Format::Bdf,
        v if v[0] == b'0' && v[1..].iter().all(|&b| b == b' ' || b == 0) => Format::Edf,
        _ => {
            return Err(r.error(
                "version",
                0,
                8,
                "\"0\" followed by 7 spaces (EDF) or byte 0xFF followed by \"BIOSEMI\" (BDF)",
            ))
        }
    };

    // Identification and start.
    let patient = r.text("local patient identification", 8, 80);
    let recording = r.text("local recording identification", 88, 80);
    let start_date = r.text("startdate of recording", 168, 8);
    let start_time = r.text("starttime of recording", 176, 8);
    let start = parse_start(&start_date, &start_time);
    if start.is_none() {
        r.warnings.push(Warning::Field {
            field: "startdate/starttime of recording".into(),
            offset: 168,
            reason: format!(
                "found {start_date:?} {start_time:?}, expected dd.mm.yy and hh.mm.ss; \
                 the start time is unknown"
            ),
        });
    }

    // Sizes.
    let header_bytes = r.integer("number of bytes in header record", 184, 8, "an integer")?;
    let reserved = r.text("reserved", 192, 44);
    let records = r.integer(
        "number of data records",
        236,
        8,
        "a non-negative integer, or -1 when unknown",
    )?;
    let records = match records {
        -1 => None,
        n if n >= 0 => Some(n as u64),
        _ => {
            return Err(r.error(
                "number of data records",
                236,
                8,
                "a non-negative integer, or -1 when unknown",
            ))
        }
    };
    let record_duration_s = r.number("duration of a data record", 244, 8)?;
    if record_duration_s < 0.0 {
        return Err(r.error(
            "duration of a data record",
            244,
            8,
            "a duration of 0 s or more",
        ));
    }
    let ns = r.integer("number of signals", 252, 4, "a non-negative integer")?;
    if !(0..=MAX_SIGNALS as i64).contains(&ns) {
        return Err(r.error(
            "number of signals",
            252,
            4,
            "an integer between 0 and 100000",
        ));
    }
    let ns = ns as usize;
    let expected_header = FIXED_HEADER_BYTES + ns * SIGNAL_HEADER_BYTES;
    if header_bytes != expected_header as i64 {
        return Err(r.error(
            "number of bytes in header record",
            184,
            8,
            &format!("256 × (1 + {ns} signals) = {expected_header}"),
        ));
    }
    if bytes.len() < expected_header {
        return Err(Error::Size {
            path: path.to_path_buf(),
            reason: format!(
                "file is {} bytes long, shorter than its {expected_header}-byte header \
                 ({ns} signals)",
                bytes.len()
            ),
        });
    }

    // Signal headers.
    let mut signals = Vec::with_capacity(ns);
    for i in 0..ns {
        signals.push(parse_signal(&mut r, format, ns, i)?);
    }

    // Variant, from the reserved field.
    let label = format.annotation_label();
    let has_annotations = signals.iter().any(|s| s.is_annotation);
    let variant = match reserved.get(..5) {
        Some("EDF+C" | "BDF+C") => Variant::Continuous,
        Some("EDF+D" | "BDF+D") => Variant::Discontinuous,
        _ => Variant::Plain,
    };
    if variant != Variant::Plain && !has_annotations {
        r.warnings.push(Warning::Field {
            field: "reserved".into(),
            offset: 192,
            reason: format!(
                "says {reserved:?} but the file has no \"{label}\" signal; read as plain {}",
                if format == Format::Edf { "EDF" } else { "BDF" }
            ),
        });
    }
    let variant = if has_annotations {
        variant
    } else {
        Variant::Plain
    };

    // A record with data but no duration has no time base.
    let data_samples: usize = signals
        .iter()
        .filter(|s| !s.is_annotation)
        .map(|s| s.samples_per_record)
        .sum();
    if record_duration_s == 0.0 && data_samples > 0 {
        return Err(r.error(
            "duration of a data record",
            244,
            8,
            "a positive duration (0 is only allowed for annotation-only files)",
        ));
    }

    let header = Header {
        format,
        variant,
        patient,
        recording,
        start_date,
        start_time,
        start,
        header_bytes: expected_header,
        reserved,
        records,
        record_duration_s,
        signals,
    };
    Ok((header, r.warnings))
}

/// Parses and validates the header of signal `i` of `ns`.
fn parse_signal(
    r: &mut FieldReader<'_>,
    format: Format,
    ns: usize,
    i: usize,
) -> Result<SignalHeader, Error> {
    // Offset of field `k` for this signal.
    let offset = |k: usize| -> (usize, usize) {
        let before: usize = SIGNAL_FIELDS[..k].iter().map(|(_, w)| w).sum();
        let width = SIGNAL_FIELDS[k].1;
        (FIXED_HEADER_BYTES + before * ns + i * width, width)
    };
    let (o, w) = offset(0);
    let label = r.text(&format!("signal {i} label"), o, w);
    let name = |k: usize| format!("signal {i} ({label}) {}", SIGNAL_FIELDS[k].0);

    let (o, w) = offset(1);
    let transducer = r.text(&name(1), o, w);
    let (o, w) = offset(2);
    let physical_dimension = r.text(&name(2), o, w);
    let (o, w) = offset(3);
    let physical_min = r.number(&name(3), o, w)?;
    let (o, w) = offset(4);
    let physical_max = r.number(&name(4), o, w)?;

    let (lo, hi) = format.digital_limits();
    let mut digital = |k: usize| -> Result<(i32, usize, usize), Error> {
        let (o, w) = offset(k);
        let v = r.integer(&name(k), o, w, "an integer")?;
        let v = i32::try_from(v).map_err(|_| r.error(&name(k), o, w, "a 32-bit integer"))?;
        Ok((v, o, w))
    };
    let (digital_min, dmin_at, dmin_w) = digital(5)?;
    let (digital_max, dmax_at, dmax_w) = digital(6)?;
    if digital_max <= digital_min {
        return Err(r.error(
            &name(6),
            dmax_at,
            dmax_w,
            &format!("a value greater than the digital minimum {digital_min}"),
        ));
    }
    for (v, at, field) in [(digital_min, dmin_at, 5), (digital_max, dmax_at, 6)] {
        if v < lo || v > hi {
            r.warnings.push(Warning::Field {
                field: name(field),
                offset: at as u64,
                reason: format!("{v} lies outside the format's range {lo}..={hi}"),
            });
        }
    }
    let _ = dmin_w;

    let (o, w) = offset(7);
    let prefilter = r.text(&name(7), o, w);
    let (o, w) = offset(8);
    let spr = r.integer(&name(8), o, w, "a non-negative integer")?;
    let samples_per_record = usize::try_from(spr)
        .ok()
        .filter(|&n| n <= 1 << 28)
        .ok_or_else(|| r.error(&name(8), o, w, "a non-negative integer below 2^28"))?;
    let (o, w) = offset(9);
    let reserved = r.text(&name(9), o, w);

    let is_annotation = label == "EDF Annotations" || label == "BDF Annotations";
    if physical_min == physical_max && !is_annotation {
        let (o, _) = offset(4);
        r.warnings.push(Warning::Field {
            field: name(4),
            offset: o as u64,
            reason: format!(
                "equals the physical minimum ({physical_min}); every sample decodes to that value"
            ),
        });
    }
    Ok(SignalHeader {
        label,
        transducer,
        physical_dimension,
        physical_min,
        physical_max,
        digital_min,
        digital_max,
        prefilter,
        samples_per_record,
        reserved,
        is_annotation,
    })
}

/// Parses `dd.mm.yy` and `hh.mm.ss`; `None` if either is malformed.
fn parse_start(date: &str, time: &str) -> Option<StartTime> {
    fn three(s: &str) -> Option<[u8; 3]> {
        let b = s.as_bytes();
        if b.len() != 8 || b[2] != b'.' || b[5] != b'.' {
            return None;
        }
        let two = |i: usize| -> Option<u8> {
            let (a, b) = (b[i], b[i + 1]);
            (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
        };
        Some([two(0)?, two(3)?, two(6)?])
    }
    let [day, month, yy] = three(date)?;
    let [hour, minute, second] = three(time)?;
    let year = if yy >= 85 { 1900 } else { 2000 } + u16::from(yy);
    let valid = (1..=31).contains(&day)
        && (1..=12).contains(&month)
        && hour < 24
        && minute < 60
        && second < 60;
    valid.then_some(StartTime {
        year,
        month,
        day,
        hour,
        minute,
        second,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_time_maps_two_digit_years_around_1985() {
        let s = parse_start("02.03.85", "10.20.30").expect("valid");
        assert_eq!((s.year, s.month, s.day), (1985, 3, 2));
        let s = parse_start("31.12.84", "23.59.59").expect("valid");
        assert_eq!(s.year, 2084);
        assert!(parse_start("32.01.20", "00.00.00").is_none());
        assert!(parse_start("01/01/20", "00.00.00").is_none());
    }
}
