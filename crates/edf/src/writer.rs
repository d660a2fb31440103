//! Writing EDF, EDF+C, BDF and BDF+C files, record by record.
//!
//! The writer needs the number of data records and all annotations up
//! front, so that it can write the header once and stream the records with
//! memory bounded by one record. Annotations are stored in the record that
//! contains their onset, after that record's time-keeping annotation.
//! Physical values are converted to digital ones with the physical and
//! digital extremes exactly as written in the header (after rounding to the
//! 8-character fields), so a reader recovers each value to within half a
//! digital step.

use std::io::Write;

use crate::annotations::{format_tal, Annotation};
use crate::error::Error;
use crate::header::{Format, StartTime, FIXED_HEADER_BYTES, SIGNAL_HEADER_BYTES};

/// One data signal to write.
#[derive(Debug, Clone, PartialEq)]
pub struct SignalSpec {
    /// Label (at most 16 characters), e.g. `EEG Fp1` or `Fp1`.
    pub label: String,
    /// Transducer type (at most 80 characters).
    pub transducer: String,
    /// Physical dimension (at most 8 characters), e.g. `uV`.
    pub physical_dimension: String,
    /// Physical value of `digital_min`.
    pub physical_min: f64,
    /// Physical value of `digital_max`.
    pub physical_max: f64,
    /// Smallest digital value.
    pub digital_min: i32,
    /// Largest digital value.
    pub digital_max: i32,
    /// Prefiltering (at most 80 characters).
    pub prefilter: String,
    /// Samples in each data record.
    pub samples_per_record: usize,
}

impl SignalSpec {
    /// A signal using the format's whole digital range.
    pub fn new(
        label: &str,
        physical_dimension: &str,
        physical_min: f64,
        physical_max: f64,
        format: Format,
        samples_per_record: usize,
    ) -> SignalSpec {
        let (digital_min, digital_max) = format.digital_limits();
        SignalSpec {
            label: label.to_string(),
            transducer: String::new(),
            physical_dimension: physical_dimension.to_string(),
            physical_min,
            physical_max,
            digital_min,
            digital_max,
            prefilter: String::new(),
            samples_per_record,
        }
    }
}

/// The file to write.
#[derive(Debug, Clone, PartialEq)]
pub struct FileSpec {
    /// EDF (16-bit) or BDF (24-bit).
    pub format: Format,
    /// Write EDF+C/BDF+C with an annotation signal (time-keeping and events).
    pub plus: bool,
    /// Local patient identification (EDF+: `code sex birthdate name`).
    pub patient: String,
    /// Local recording identification (EDF+: `Startdate dd-MMM-yyyy ...`).
    pub recording: String,
    /// Start date and time.
    pub start: StartTime,
    /// Duration of a data record in seconds.
    pub record_duration_s: f64,
    /// Number of data records that will be written.
    pub records: u64,
    /// The data signals (the annotation signal is added by the writer).
    pub signals: Vec<SignalSpec>,
}

impl FileSpec {
    /// A spec with EDF+ conventional identification fields filled in.
    pub fn new(format: Format, plus: bool, start: StartTime, record_duration_s: f64) -> FileSpec {
        const MONTHS: [&str; 12] = [
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ];
        let month = MONTHS[usize::from(start.month.clamp(1, 12)) - 1];
        FileSpec {
            format,
            plus,
            patient: "X X X X".to_string(),
            recording: format!("Startdate {:02}-{month}-{} X X X", start.day, start.year),
            start,
            record_duration_s,
            records: 0,
            signals: Vec::new(),
        }
    }
}

/// Per-signal conversion from physical to digital values.
#[derive(Debug, Clone, Copy)]
struct Scaling {
    physical_min: f64,
    per_digit: f64,
    digital_min: i32,
    digital_max: i32,
}

impl Scaling {
    #[inline]
    fn digital(&self, physical: f64) -> i32 {
        let d =
            ((physical - self.physical_min) / self.per_digit).round() + f64::from(self.digital_min);
        d.clamp(f64::from(self.digital_min), f64::from(self.digital_max)) as i32
    }
}

/// Streams data records to `W`.
#[derive(Debug)]
pub struct Writer<W: Write> {
    out: W,
    format: Format,
    signals: Vec<(Scaling, usize)>,
    /// TAL bytes of each record's annotation signal (EDF+ only).
    annotation_tals: Vec<Vec<u8>>,
    annotation_bytes: usize,
    records: u64,
    written: u64,
    record_duration_s: f64,
    buffer: Vec<u8>,
}

impl<W: Write> Writer<W> {
    /// Writes the header and prepares the annotation records.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] when a field does not fit its width or is not
    /// printable ASCII, a signal has an empty digital range, or annotations
    /// are given for a plain (non-plus) file; [`Error::Io`] on write failure.
    pub fn new(
        mut out: W,
        spec: &FileSpec,
        annotations: &[Annotation],
    ) -> Result<Writer<W>, Error> {
        if !annotations.is_empty() && !spec.plus {
            return Err(write_error(
                "annotations",
                "a plain EDF/BDF file cannot hold annotations",
            ));
        }
        if spec.record_duration_s.is_nan() || spec.record_duration_s <= 0.0 {
            return Err(write_error("record duration", "must be positive"));
        }
        let sample_bytes = spec.format.sample_bytes();

        // Annotation TALs per record: time-keeping first, then the events
        // whose onset falls in the record.
        let mut annotation_tals = Vec::new();
        if spec.plus {
            annotation_tals = (0..spec.records)
                .map(|k| {
                    // Rounded to the nanosecond so 0.1 s records read "+0.3", not
                    // "+0.30000000000000004".
                    let onset = (k as f64 * spec.record_duration_s * 1e9).round() / 1e9;
                    format_tal(onset, None, &[""])
                })
                .collect::<Vec<_>>();
            let last = spec.records.saturating_sub(1);
            for a in annotations {
                if !a.onset_s.is_finite() || a.duration_s.is_some_and(|d| d.is_nan() || d < 0.0) {
                    return Err(write_error(
                        "annotation",
                        "onset and duration must be finite",
                    ));
                }
                let k = ((a.onset_s / spec.record_duration_s).floor().max(0.0) as u64).min(last);
                if let Some(tals) = annotation_tals.get_mut(k as usize) {
                    tals.extend(format_tal(a.onset_s, a.duration_s, &[&a.text]));
                }
            }
        }
        let longest = annotation_tals.iter().map(Vec::len).max().unwrap_or(0);
        let annotation_samples = longest.div_ceil(sample_bytes).max(usize::from(spec.plus));
        let annotation_bytes = annotation_samples * sample_bytes;

        // Header.
        let ns = spec.signals.len() + usize::from(spec.plus);
        let mut h = Vec::with_capacity(FIXED_HEADER_BYTES + ns * SIGNAL_HEADER_BYTES);
        match spec.format {
            Format::Edf => field(&mut h, "version", "0", 8)?,
            Format::Bdf => h.extend_from_slice(b"\xffBIOSEMI"),
        }
        field(&mut h, "patient identification", &spec.patient, 80)?;
        field(&mut h, "recording identification", &spec.recording, 80)?;
        let s = spec.start;
        let date = format!("{:02}.{:02}.{:02}", s.day, s.month, s.year % 100);
        let time = format!("{:02}.{:02}.{:02}", s.hour, s.minute, s.second);
        field(&mut h, "start date", &date, 8)?;
        field(&mut h, "start time", &time, 8)?;
        field(
            &mut h,
            "header bytes",
            &(FIXED_HEADER_BYTES + ns * SIGNAL_HEADER_BYTES).to_string(),
            8,
        )?;
        let reserved = match (spec.format, spec.plus) {
            (Format::Edf, false) => "",
            (Format::Edf, true) => "EDF+C",
            (Format::Bdf, false) => "24BIT",
            (Format::Bdf, true) => "BDF+C",
        };
        field(&mut h, "reserved", reserved, 44)?;
        field(
            &mut h,
            "number of data records",
            &spec.records.to_string(),
            8,
        )?;
        field(
            &mut h,
            "record duration",
            &fit_number(spec.record_duration_s, 8)?,
            8,
        )?;
        field(&mut h, "number of signals", &ns.to_string(), 4)?;

        // Signal headers: data signals, then the annotation signal.
        let mut rows: Vec<[String; 9]> = Vec::with_capacity(ns);
        let mut signals = Vec::with_capacity(spec.signals.len());
        let (lo, hi) = spec.format.digital_limits();
        for sig in &spec.signals {
            let what = |f: &str| format!("signal {} {f}", sig.label);
            if sig.digital_max <= sig.digital_min || sig.digital_min < lo || sig.digital_max > hi {
                return Err(write_error(
                    &what("digital range"),
                    &format!("needs {lo} <= minimum < maximum <= {hi}"),
                ));
            }
            let pmin = fit_number(sig.physical_min, 8)?;
            let pmax = fit_number(sig.physical_max, 8)?;
            // Convert with the values as they will be read back.
            let (pmin_v, pmax_v) = (parse_back(&pmin)?, parse_back(&pmax)?);
            if pmin_v == pmax_v {
                return Err(write_error(
                    &what("physical range"),
                    "minimum equals maximum",
                ));
            }
            let per_digit = (pmax_v - pmin_v) / f64::from(sig.digital_max - sig.digital_min);
            signals.push((
                Scaling {
                    physical_min: pmin_v,
                    per_digit,
                    digital_min: sig.digital_min,
                    digital_max: sig.digital_max,
                },
                sig.samples_per_record,
            ));
            rows.push([
                sig.label.clone(),
                sig.transducer.clone(),
                sig.physical_dimension.clone(),
                pmin,
                pmax,
                sig.digital_min.to_string(),
                sig.digital_max.to_string(),
                sig.prefilter.clone(),
                sig.samples_per_record.to_string(),
            ]);
        }
        if spec.plus {
            rows.push([
                spec.format.annotation_label().to_string(),
                String::new(),
                String::new(),
                "-1".into(),
                "1".into(),
                lo.to_string(),
                hi.to_string(),
                String::new(),
                annotation_samples.to_string(),
            ]);
        }
        const WIDTHS: [(&str, usize); 9] = [
            ("label", 16),
            ("transducer", 80),
            ("physical dimension", 8),
            ("physical minimum", 8),
            ("physical maximum", 8),
            ("digital minimum", 8),
            ("digital maximum", 8),
            ("prefiltering", 80),
            ("samples per record", 8),
        ];
        for (k, (name, width)) in WIDTHS.iter().enumerate() {
            for row in &rows {
                field(&mut h, name, &row[k], *width)?;
            }
        }
        for _ in 0..ns {
            field(&mut h, "signal reserved", "", 32)?;
        }
        out.write_all(&h).map_err(io_error)?;

        let record_len: usize =
            signals.iter().map(|(_, n)| n * sample_bytes).sum::<usize>() + annotation_bytes;
        Ok(Writer {
            out,
            format: spec.format,
            signals,
            annotation_tals,
            annotation_bytes,
            records: spec.records,
            written: 0,
            record_duration_s: spec.record_duration_s,
            buffer: Vec::with_capacity(record_len),
        })
    }

    /// Writes the next data record: one slice of physical values per data
    /// signal, each of that signal's `samples_per_record` length. Values
    /// outside the physical range are clipped to the digital limits, as an
    /// amplifier saturates.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] when more records are written than announced, a
    /// slice has the wrong length, or a value is NaN; [`Error::Io`] on
    /// write failure.
    pub fn write_record<S: AsRef<[f64]>>(&mut self, physical: &[S]) -> Result<(), Error> {
        if self.written >= self.records {
            return Err(write_error(
                "data record",
                &format!("the header announced {} records", self.records),
            ));
        }
        if physical.len() != self.signals.len() {
            return Err(write_error(
                "data record",
                &format!(
                    "{} signals given, {} expected",
                    physical.len(),
                    self.signals.len()
                ),
            ));
        }
        self.buffer.clear();
        for (k, ((scaling, n), values)) in self.signals.iter().zip(physical).enumerate() {
            let values = values.as_ref();
            if values.len() != *n {
                return Err(write_error(
                    &format!("signal {k} of data record {}", self.written),
                    &format!("{} samples given, {n} expected", values.len()),
                ));
            }
            for &v in values {
                if v.is_nan() {
                    return Err(write_error(
                        &format!("signal {k} of data record {}", self.written),
                        "NaN cannot be stored in EDF/BDF",
                    ));
                }
                let d = scaling.digital(v);
                match self.format {
                    Format::Edf => self.buffer.extend_from_slice(&(d as i16).to_le_bytes()),
                    Format::Bdf => self.buffer.extend_from_slice(&d.to_le_bytes()[..3]),
                }
            }
        }
        if let Some(tals) = self.annotation_tals.get(self.written as usize) {
            self.buffer.extend_from_slice(tals);
            let pad = self.annotation_bytes - tals.len();
            self.buffer.extend(std::iter::repeat_n(0u8, pad));
        }
        self.out.write_all(&self.buffer).map_err(io_error)?;
        self.written += 1;
        Ok(())
    }

    /// Duration of one record in seconds.
    pub fn record_duration_s(&self) -> f64 {
        self.record_duration_s
    }

    /// Checks that every announced record was written, flushes, and returns
    /// the output.
    ///
    /// # Errors
    ///
    /// [`Error::Write`] if fewer records were written than announced;
    /// [`Error::Io`] on flush failure.
    pub fn finish(mut self) -> Result<W, Error> {
        if self.written != self.records {
            return Err(write_error(
                "file",
                &format!(
                    "{} of {} announced records written",
                    self.written, self.records
                ),
            ));
        }
        self.out.flush().map_err(io_error)?;
        Ok(self.out)
    }
}

fn write_error(what: &str, reason: &str) -> Error {
    Error::Write {
        what: what.to_string(),
        reason: reason.to_string(),
    }
}

fn io_error(error: std::io::Error) -> Error {
    Error::Io {
        path: "<output>".into(),
        error,
    }
}

/// Appends `text` left-aligned and space-padded to `width` bytes.
fn field(out: &mut Vec<u8>, name: &str, text: &str, width: usize) -> Result<(), Error> {
    if !text.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return Err(write_error(
            name,
            &format!("{text:?} is not printable ASCII"),
        ));
    }
    if text.len() > width {
        return Err(write_error(
            name,
            &format!("{text:?} is longer than {width} characters"),
        ));
    }
    out.extend_from_slice(text.as_bytes());
    out.extend(std::iter::repeat_n(b' ', width - text.len()));
    Ok(())
}

/// Formats a number in at most `width` characters, with as many decimals as
/// fit.
///
/// # Errors
///
/// [`Error::Write`] if the integer part alone does not fit.
pub fn fit_number(x: f64, width: usize) -> Result<String, Error> {
    if !x.is_finite() {
        return Err(write_error("number", &format!("{x} is not finite")));
    }
    let plain = format!("{x}");
    if plain.len() <= width {
        return Ok(plain);
    }
    for decimals in (0..width).rev() {
        let s = format!("{x:.decimals$}");
        let s = if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        };
        if s.len() <= width {
            return Ok(s);
        }
    }
    Err(write_error(
        "number",
        &format!("{x} does not fit in {width} characters"),
    ))
}

fn parse_back(s: &str) -> Result<f64, Error> {
    s.parse::<f64>()
        .map_err(|_| write_error("number", &format!("{s:?} does not parse back")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_fit_eight_characters() {
        assert_eq!(fit_number(-3276.8, 8).expect("fits"), "-3276.8");
        assert_eq!(fit_number(0.000_001, 8).expect("fits"), "0.000001");
        assert_eq!(fit_number(1.0 / 3.0, 8).expect("fits"), "0.333333");
        assert_eq!(fit_number(-12345.678, 8).expect("fits"), "-12345.7");
        assert!(fit_number(123_456_789.0, 8).is_err());
    }

    #[test]
    fn physical_to_digital_rounds_and_clips() {
        let s = Scaling {
            physical_min: -100.0,
            per_digit: 200.0 / 65535.0,
            digital_min: -32768,
            digital_max: 32767,
        };
        assert_eq!(s.digital(-100.0), -32768);
        assert_eq!(s.digital(100.0), 32767);
        assert_eq!(s.digital(1e9), 32767);
        assert_eq!(s.digital(-1e9), -32768);
    }
}
