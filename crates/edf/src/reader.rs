//! Opening a file and decoding samples: memory-mapped random access to any
//! sample range of any signal.
//!
//! [`Edf::open`] maps the file, validates the header, works out how many
//! data records are complete, and for EDF+/BDF+ reads every record's
//! time-keeping annotation (to find gaps and to prove the records line up
//! with the header) and every annotation. Samples are decoded on request
//! only: [`Edf::read_physical`] touches just the records that hold the
//! requested range.
//!
//! [`Edf::open_lazily`] is for readers that need a few records of a file
//! whose annotations come from elsewhere: it checks the time-keeping
//! annotations of the first and last record of an EDF+C file only, and
//! [`Edf::check_records`] checks those of the records actually read.

use std::fs::File;
use std::ops::Deref;
use std::path::{Path, PathBuf};

use memmap2::Mmap;

use crate::annotations::{parse_tals, Annotation, Tal};
use crate::error::{Error, Warning};
use crate::header::{self, Format, Header, Variant};

/// A sample type physical values can be decoded into.
pub trait Sample: Copy + Default {
    /// Converts from the f64 the scaling is computed in.
    fn from_f64(v: f64) -> Self;
}

impl Sample for f64 {
    #[inline]
    fn from_f64(v: f64) -> Self {
        v
    }
}

impl Sample for f32 {
    #[inline]
    fn from_f64(v: f64) -> Self {
        v as f32
    }
}

/// A stretch of time between two data records of an EDF+D file in which
/// nothing was recorded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// The record after which the gap lies.
    pub after_record: u64,
    /// Time at which the preceding record ends, in seconds after the first
    /// sample.
    pub start_s: f64,
    /// Length of the gap in seconds.
    pub duration_s: f64,
}

/// The bytes of a file: mapped from disk or held in memory.
enum Bytes {
    Mapped(Mmap),
    Owned(Vec<u8>),
}

impl Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m) => m,
            Bytes::Owned(v) => v,
        }
    }
}

/// An open EDF, EDF+, BDF or BDF+ file.
pub struct Edf {
    path: PathBuf,
    bytes: Bytes,
    /// The open file of a mapped one, for [`Edf::read_records`].
    file: Option<File>,
    header: Header,
    warnings: Vec<Warning>,
    records: u64,
    record_bytes: usize,
    signal_offsets: Vec<usize>,
    /// Start of each record in seconds after the first sample (EDF+ only).
    record_onsets_s: Option<Vec<f64>>,
    /// Start of the first record after the header's start time (EDF+
    /// sub-second start), in seconds.
    start_offset_s: f64,
    annotations: Vec<Annotation>,
    /// Whether the records between the first and the last were left
    /// unchecked at opening ([`Edf::open_lazily`]): their time-keeping
    /// annotations are then checked by [`Edf::check_records`].
    lazy: bool,
}

impl std::fmt::Debug for Edf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Edf")
            .field("path", &self.path)
            .field("header", &self.header)
            .field("records", &self.records)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

/// Tolerance when comparing record onsets, in seconds: onsets are written
/// with a limited number of decimals.
const ONSET_TOLERANCE_S: f64 = 1e-4;

impl Edf {
    /// Opens and validates a file. The file is memory-mapped and never
    /// written.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] if the file cannot be opened; [`Error::Field`],
    /// [`Error::Size`] or [`Error::Record`] if it is not a valid EDF/BDF
    /// file (see [`Edf::from_bytes`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Edf, Error> {
        Edf::open_with(path.as_ref(), Reading::Every)
    }

    /// Opens a file reading the annotation signals of as few records as
    /// continuity allows, for readers whose events come from elsewhere (a
    /// BIDS `events.tsv`) and who decode a few records.
    ///
    /// - EDF and BDF without time-keeping: the header only.
    /// - EDF+D and BDF+D: every record, as [`Edf::open`] (the gaps are
    ///   needed to place samples in time).
    /// - EDF+C and BDF+C: the time-keeping annotations of the first and the
    ///   last record. When the last starts where continuity puts it, the
    ///   file is taken as continuous and the records in between are left
    ///   for [`Edf::check_records`] to check when they are read; otherwise
    ///   every record is read, as [`Edf::open`] does (which then finds the
    ///   gap, or refuses overlapping records).
    ///
    /// [`Edf::annotations`] is empty after a lazy opening: only
    /// [`Edf::open`] collects the annotations' texts.
    ///
    /// Touching two records instead of all of them matters for a
    /// memory-mapped file: reading the annotation bytes of every record
    /// faults in pages across the whole file, which for a sampled reader
    /// costs more than the samples it decodes.
    ///
    /// # Errors
    ///
    /// As [`Edf::open`], for the records read.
    pub fn open_lazily(path: impl AsRef<Path>) -> Result<Edf, Error> {
        Edf::open_with(path.as_ref(), Reading::Ends)
    }

    /// Opens a file without reading its annotation signals: only the
    /// header is parsed and checked against the file's size.
    /// [`Edf::annotations`] is then empty, [`Edf::gaps`] too, and record
    /// `k` is taken to start at `k × record duration`, which is right only
    /// for files whose records follow one another (EDF, BDF, EDF+C/BDF+C
    /// that [`Edf::open`] has read without finding a gap).
    ///
    /// Opening reads the header alone, where [`Edf::open`] reads the
    /// annotation bytes of every record: for a reader that needs a few
    /// records of a file already checked, this is the difference between
    /// touching a few pages and touching the whole file.
    ///
    /// # Errors
    ///
    /// As [`Edf::open`], except that annotation records are not checked.
    pub fn open_without_annotations(path: impl AsRef<Path>) -> Result<Edf, Error> {
        Edf::open_with(path.as_ref(), Reading::None)
    }

    fn open_with(path: &Path, reading: Reading) -> Result<Edf, Error> {
        let io = |error| Error::Io {
            path: path.to_path_buf(),
            error,
        };
        let file = File::open(path).map_err(io)?;
        let len = file.metadata().map_err(io)?.len();
        let bytes = if len == 0 {
            Bytes::Owned(Vec::new())
        } else {
            // SAFETY: the map is read-only. Another process truncating or
            // rewriting the file while it is open is outside what this
            // crate can guard against, as for every memory-mapped reader.
            let map = unsafe { Mmap::map(&file) }.map_err(io)?;
            // A file opened for a few of its records is read where it is
            // needed, not from start to end: without this advice a page
            // fault reads the device's whole read-ahead window around it
            // (8 MiB on some virtual disks, most of a 10 MB recording for
            // one header page). The pages a caller will read are asked for
            // with [`Edf::prefetch_records`].
            #[cfg(unix)]
            if reading != Reading::Every {
                let _ = map.advise(memmap2::Advice::Random);
                // The header in one read instead of a fault per page.
                if let Some(head) = crate::header::header_len_hint(&map) {
                    let _ = map.advise_range(memmap2::Advice::WillNeed, 0, head.min(len as usize));
                }
            }
            Bytes::Mapped(map)
        };
        let mut edf = Edf::from_parts(bytes, path.to_path_buf(), reading)?;
        edf.file = Some(file);
        Ok(edf)
    }

    /// Reads a file held in memory; `name` names it in errors.
    ///
    /// # Errors
    ///
    /// [`Error::Field`] for an invalid header field, [`Error::Size`] when
    /// the bytes are shorter than the header or hold no complete record of
    /// an announced non-empty file, [`Error::Record`] when an EDF+ record's
    /// time-keeping annotation is missing, malformed, or places the record
    /// before the end of the previous one.
    pub fn from_bytes(bytes: Vec<u8>, name: impl Into<PathBuf>) -> Result<Edf, Error> {
        Edf::from_parts(Bytes::Owned(bytes), name.into(), Reading::Every)
    }

    /// As [`Edf::from_bytes`], reading annotations as [`Edf::open_lazily`]
    /// does.
    ///
    /// # Errors
    ///
    /// As [`Edf::from_bytes`], for the records read.
    pub fn from_bytes_lazily(bytes: Vec<u8>, name: impl Into<PathBuf>) -> Result<Edf, Error> {
        Edf::from_parts(Bytes::Owned(bytes), name.into(), Reading::Ends)
    }

    fn from_parts(bytes: Bytes, path: PathBuf, reading: Reading) -> Result<Edf, Error> {
        let (header, mut warnings) = header::parse(&bytes, &path)?;
        let record_bytes = header.record_bytes();
        let records = complete_records(&header, bytes.len() as u64, &path, &mut warnings)?;
        let signal_offsets = header.signal_offsets();
        let mut edf = Edf {
            path,
            bytes,
            file: None,
            header,
            warnings,
            records,
            record_bytes,
            signal_offsets,
            record_onsets_s: None,
            start_offset_s: 0.0,
            annotations: Vec::new(),
            lazy: false,
        };
        match reading {
            Reading::Every => edf.read_annotations()?,
            Reading::Ends => edf.read_ends()?,
            Reading::None => {}
        }
        Ok(edf)
    }

    /// The lazy opening of [`Edf::open_lazily`]: the first and last
    /// record's time-keeping annotations of an EDF+C file, or every
    /// record when those do not prove the file continuous.
    fn read_ends(&mut self) -> Result<(), Error> {
        let Some(first_signal) = self.header.annotation_signals().next() else {
            return Ok(());
        };
        match self.header.variant {
            Variant::Plain => return Ok(()),
            Variant::Discontinuous => return self.read_annotations(),
            Variant::Continuous => {}
        }
        let Some(last) = self.records.checked_sub(1) else {
            return Ok(());
        };
        let first_onset = self.time_keeping_onset(0, first_signal)?;
        let last_onset = self.time_keeping_onset(last, first_signal)?;
        let expected = first_onset + last as f64 * self.header.record_duration_s;
        if (last_onset - expected).abs() > ONSET_TOLERANCE_S {
            return self.read_annotations();
        }
        self.start_offset_s = first_onset;
        self.lazy = last > 1;
        Ok(())
    }

    /// The TALs of annotation signal `signal` in `record`; a malformed one
    /// is an error naming the record and the byte offset in the file.
    fn record_tals(&self, record: u64, signal: usize) -> Result<Vec<Tal>, Error> {
        let bytes = self.all_records().signal_bytes(record, signal);
        let base = self.record_offset(record) + self.signal_offsets[signal] as u64;
        parse_tals(bytes).map_err(|e| Error::Record {
            path: self.path.clone(),
            record,
            offset: base + e.position as u64,
            reason: format!(
                "invalid annotation in signal {signal} ({}): {}",
                self.header.signals[signal].label, e.reason
            ),
        })
    }

    /// The onset of a record from its time-keeping annotation (the first
    /// TAL of the first annotation signal), in seconds after the header's
    /// start time.
    fn time_keeping_onset(&self, record: u64, signal: usize) -> Result<f64, Error> {
        let tals = self.record_tals(record, signal)?;
        tals.first()
            .map(|t| t.onset_s)
            .ok_or_else(|| self.no_time_keeping(record, signal))
    }

    /// The error of a record whose annotation signal lacks the time-keeping
    /// annotation an EDF+ record starts with.
    fn no_time_keeping(&self, record: u64, signal: usize) -> Error {
        Error::Record {
            path: self.path.clone(),
            record,
            offset: self.record_offset(record) + self.signal_offsets[signal] as u64,
            reason: "the annotation signal holds no time-keeping annotation \
                     (an EDF+ record must start with one)"
                .into(),
        }
    }

    /// Checks the time-keeping annotations of records `start..end` of a
    /// file opened with [`Edf::open_lazily`]: each must parse and start
    /// where continuity puts it, `record × duration` after the first.
    /// Call it before trusting samples decoded from those records. Does
    /// nothing for files whose records were all checked at opening, or
    /// that keep no time (EDF, BDF).
    ///
    /// # Errors
    ///
    /// [`Error::Record`] for the first record whose time-keeping
    /// annotation is missing, malformed, or off its continuous place (the
    /// header's EDF+C is then wrong, and [`Edf::open`] reads the file as
    /// discontinuous or refuses it).
    pub fn check_records(&self, start: u64, end: u64) -> Result<(), Error> {
        if !self.lazy {
            return Ok(());
        }
        let Some(signal) = self.header.annotation_signals().next() else {
            return Ok(());
        };
        let duration = self.header.record_duration_s;
        for record in start..end.min(self.records) {
            let onset = self.time_keeping_onset(record, signal)?;
            let expected = self.start_offset_s + record as f64 * duration;
            if (onset - expected).abs() > ONSET_TOLERANCE_S {
                return Err(Error::Record {
                    path: self.path.clone(),
                    record,
                    offset: self.record_offset(record),
                    reason: format!(
                        "record starts at {onset} s, where an EDF+C (continuous) file puts it at \
                         {expected} s: the records are not contiguous though the header says so"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Reads the annotation signals of every record: record onsets (EDF+)
    /// and annotations.
    fn read_annotations(&mut self) -> Result<(), Error> {
        let annotation_signals: Vec<usize> = self.header.annotation_signals().collect();
        if annotation_signals.is_empty() {
            return Ok(());
        }
        let keeps_time = self.header.variant != Variant::Plain;
        let mut onsets = Vec::with_capacity(self.records as usize);
        let mut annotations = Vec::new();
        let duration = self.header.record_duration_s;

        for record in 0..self.records {
            for (k, &signal) in annotation_signals.iter().enumerate() {
                let tals = self.record_tals(record, signal)?;
                let mut tals = tals.into_iter();

                // Time-keeping TAL: first TAL of the first annotation signal.
                if keeps_time && k == 0 {
                    let Some(mut first) = tals.next() else {
                        return Err(self.no_time_keeping(record, signal));
                    };
                    if first.texts.first().is_some_and(|t| t.is_empty()) {
                        first.texts.remove(0);
                    }
                    onsets.push(first.onset_s);
                    push_annotations(
                        &mut annotations,
                        first.onset_s,
                        first.duration_s,
                        first.texts,
                    );
                }
                for tal in tals {
                    push_annotations(&mut annotations, tal.onset_s, tal.duration_s, tal.texts);
                }
            }
        }

        if keeps_time {
            self.check_onsets(&mut onsets, duration)?;
        }
        // Onsets relative to the first sample.
        let start = self.start_offset_s;
        for a in &mut annotations {
            a.onset_s -= start;
        }
        self.annotations = annotations;
        Ok(())
    }

    /// Validates record onsets against the variant and stores them relative
    /// to the first sample.
    fn check_onsets(&mut self, onsets: &mut [f64], duration: f64) -> Result<(), Error> {
        let Some(&first) = onsets.first() else {
            return Ok(());
        };
        let mut continuous = self.header.variant == Variant::Continuous;
        for k in 1..onsets.len() {
            let (prev, now) = (onsets[k - 1], onsets[k]);
            if now < prev + duration - ONSET_TOLERANCE_S {
                return Err(Error::Record {
                    path: self.path.clone(),
                    record: k as u64,
                    offset: self.record_offset(k as u64),
                    reason: format!(
                        "record starts at {now} s, before the previous record ends at {} s",
                        prev + duration
                    ),
                });
            }
            let expected = first + k as f64 * duration;
            if continuous && (now - expected).abs() > ONSET_TOLERANCE_S {
                self.warnings.push(Warning::NotContinuous {
                    record: k as u64,
                    onset_s: now,
                    expected_s: expected,
                });
                continuous = false;
            }
        }
        if !continuous {
            self.header.variant = Variant::Discontinuous;
        }
        self.start_offset_s = first;
        for o in onsets.iter_mut() {
            *o -= first;
        }
        self.record_onsets_s = Some(onsets.to_vec());
        Ok(())
    }

    /// The file's path (or the name given to [`Edf::from_bytes`]).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The validated header. Its `variant` is `Discontinuous` when an EDF+C
    /// file turned out not to be continuous.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Warnings found while opening.
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }

    /// Complete data records available (may be fewer than announced).
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Samples of a signal over all complete records.
    pub fn samples(&self, signal: usize) -> u64 {
        self.header
            .signals
            .get(signal)
            .map_or(0, |s| s.samples_per_record as u64 * self.records)
    }

    /// Recorded time in seconds: records × record duration (gaps of an
    /// EDF+D file not included).
    pub fn duration_s(&self) -> f64 {
        self.records as f64 * self.header.record_duration_s
    }

    /// Start of the first record after the header's start time, in seconds
    /// (the EDF+ sub-second start; 0 for plain files).
    pub fn start_offset_s(&self) -> f64 {
        self.start_offset_s
    }

    /// All annotations, time-keeping ones excluded, in file order, onsets
    /// relative to the first sample.
    pub fn annotations(&self) -> &[Annotation] {
        &self.annotations
    }

    /// Start of a record in seconds after the first sample: from the
    /// time-keeping annotation in EDF+, else `record × duration`.
    pub fn record_onset_s(&self, record: u64) -> f64 {
        match &self.record_onsets_s {
            Some(onsets) => onsets
                .get(record as usize)
                .copied()
                .unwrap_or(record as f64 * self.header.record_duration_s),
            None => record as f64 * self.header.record_duration_s,
        }
    }

    /// Whether every record directly follows the previous one.
    pub fn is_continuous(&self) -> bool {
        self.gaps().is_empty()
    }

    /// Gaps between records (EDF+D only; empty for continuous files).
    pub fn gaps(&self) -> Vec<Gap> {
        let Some(onsets) = &self.record_onsets_s else {
            return Vec::new();
        };
        let d = self.header.record_duration_s;
        onsets
            .windows(2)
            .enumerate()
            .filter(|(_, w)| w[1] - (w[0] + d) > ONSET_TOLERANCE_S)
            .map(|(k, w)| Gap {
                after_record: k as u64,
                start_s: w[0] + d,
                duration_s: w[1] - (w[0] + d),
            })
            .collect()
    }

    /// Time of a sample of a signal in seconds after the first sample,
    /// accounting for EDF+D gaps.
    pub fn sample_time_s(&self, signal: usize, index: u64) -> Option<f64> {
        let spr = self.header.signals.get(signal)?.samples_per_record as u64;
        if spr == 0 || index >= self.samples(signal) {
            return None;
        }
        let record = index / spr;
        let within = (index % spr) as f64 / spr as f64 * self.header.record_duration_s;
        Some(self.record_onset_s(record) + within)
    }

    fn record_offset(&self, record: u64) -> u64 {
        self.header.header_bytes as u64 + record * self.record_bytes as u64
    }

    /// Every complete record, as they lie in the file: what
    /// [`Edf::read_digital`] and [`Edf::read_physical`] decode from.
    fn all_records(&self) -> Records<'_> {
        let data = self.header.header_bytes;
        let end = data + self.records as usize * self.record_bytes;
        Records {
            edf: self,
            first: 0,
            end: self.records,
            bytes: self.bytes.get(data..end).unwrap_or(&[]),
        }
    }

    /// Checks a read request and returns the signal's samples per record.
    fn check_range(&self, signal: usize, start: u64, len: usize) -> Result<usize, Error> {
        let out_of_range = |reason: String| Error::OutOfRange {
            path: self.path.clone(),
            reason,
        };
        let Some(s) = self.header.signals.get(signal) else {
            return Err(out_of_range(format!(
                "signal {signal} requested, the file has {}",
                self.header.signals.len()
            )));
        };
        let available = self.samples(signal);
        if start
            .checked_add(len as u64)
            .is_none_or(|end| end > available)
        {
            return Err(out_of_range(format!(
                "samples {start}..{} of signal {signal} ({}) requested, it has {available}",
                start.saturating_add(len as u64),
                s.label
            )));
        }
        Ok(s.samples_per_record)
    }

    /// Decodes digital values of `signal` from sample `start` into `out`.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if the signal does not exist or the range
    /// exceeds its complete records.
    pub fn read_digital(&self, signal: usize, start: u64, out: &mut [i32]) -> Result<(), Error> {
        self.all_records().read_digital(signal, start, out)
    }

    /// Decodes physical values of `signal` from sample `start` into `out`:
    /// `physical = (digital - digital_min) * (physical_max - physical_min) /
    /// (digital_max - digital_min) + physical_min`, computed in f64, then
    /// scaled to µV for voltage channels (see [`crate::Unit`]).
    ///
    /// Only the records holding the range are read. In an EDF+D file the
    /// range runs across gaps without marking them: see [`Edf::gaps`].
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if the signal does not exist or the range
    /// exceeds its complete records.
    pub fn read_physical<T: Sample>(
        &self,
        signal: usize,
        start: u64,
        out: &mut [T],
    ) -> Result<(), Error> {
        self.all_records().read_physical(signal, start, out)
    }

    /// Reads the whole data records `start..end` into memory at once, for
    /// a reader that streams through a file block by block. A mapped file
    /// is read with one positioned read into `buf`, which grows to the
    /// block's size and is best reused from block to block; a file held in
    /// memory is not copied. Decode from the block with
    /// [`Records::read_digital`] and [`Records::read_physical`].
    ///
    /// Streaming a file this way copies each byte once instead of mapping
    /// its pages into the process: no page faults, no page tables to tear
    /// down, and resident memory bounded by `buf` without
    /// [`Edf::release_records`].
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if `start..end` is not a range of complete
    /// records; [`Error::Io`] if the read fails.
    pub fn read_records<'a>(
        &'a self,
        start: u64,
        end: u64,
        buf: &'a mut Vec<u8>,
    ) -> Result<Records<'a>, Error> {
        if start > end || end > self.records {
            return Err(Error::OutOfRange {
                path: self.path.clone(),
                reason: format!(
                    "records {start}..{end} requested, the file has {} complete records",
                    self.records
                ),
            });
        }
        let offset = self.record_offset(start) as usize;
        let len = (end - start) as usize * self.record_bytes;
        let bytes: &[u8] = match (&self.bytes, &self.file) {
            #[cfg(unix)]
            (Bytes::Mapped(_), Some(file)) => {
                use std::os::unix::fs::FileExt;
                if buf.len() < len {
                    buf.resize(len, 0);
                }
                file.read_exact_at(&mut buf[..len], offset as u64)
                    .map_err(|error| Error::Io {
                        path: self.path.clone(),
                        error,
                    })?;
                &buf[..len]
            }
            _ => &self.bytes[offset..offset + len],
        };
        Ok(Records {
            edf: self,
            first: start,
            end,
            bytes,
        })
    }

    /// Tells the operating system that records `start..end` will be read
    /// soon, so that it starts reading them from the device while the
    /// caller does other work (`madvise(MADV_WILLNEED)`). For a sampled
    /// reader of a file not in the page cache this turns one wait per
    /// window into reads that overlap. A no-op for files held in memory
    /// and on platforms without `madvise`.
    pub fn prefetch_records(&self, start: u64, end: u64) {
        let end = end.min(self.records);
        if start >= end {
            return;
        }
        let offset = self.record_offset(start) as usize;
        let len = self.record_offset(end) as usize - offset;
        #[cfg(unix)]
        if let Bytes::Mapped(map) = &self.bytes {
            let _ = map.advise_range(memmap2::Advice::WillNeed, offset, len);
        }
        #[cfg(not(unix))]
        let _ = (offset, len);
    }

    /// Tells the operating system that records `start..end` will not be
    /// read again soon, so that their pages leave this process's resident
    /// memory (they stay in the page cache). Call it after each block when
    /// streaming through a file: resident memory then stays bounded by the
    /// block, not the file. A no-op for files held in memory and on
    /// platforms without `madvise`.
    pub fn release_records(&self, start: u64, end: u64) {
        let end = end.min(self.records);
        if start >= end {
            return;
        }
        // The kernel maps pages around each fault ("fault-around", 64 KiB by
        // default), so reading a record maps a few pages of the record
        // before it again; include a margin before `start` so those go too.
        const FAULT_AROUND_MARGIN: usize = 256 * 1024;
        let end_offset = self.record_offset(end) as usize;
        let offset = (self.record_offset(start) as usize).saturating_sub(FAULT_AROUND_MARGIN);
        let len = end_offset - offset;
        #[cfg(unix)]
        if let Bytes::Mapped(map) = &self.bytes {
            // SAFETY: the map is read-only and file-backed; MADV_DONTNEED
            // only drops this process's page-table entries, and a later
            // access faults the same file contents back in. No reference
            // into the range outlives this call's caller's decoding.
            let _ = unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, offset, len)
            };
        }
        #[cfg(not(unix))]
        let _ = (offset, len);
    }

    /// Decodes a whole signal into a new vector of physical values.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if the signal does not exist.
    pub fn read_signal<T: Sample>(&self, signal: usize) -> Result<Vec<T>, Error> {
        let mut out = vec![T::default(); self.samples(signal) as usize];
        self.read_physical(signal, 0, &mut out)?;
        Ok(out)
    }
}

/// Whole data records of a file, and the one place samples are decoded
/// from: a block read into memory by [`Edf::read_records`], or every
/// record of the file in place, which [`Edf::read_digital`] and
/// [`Edf::read_physical`] read.
pub struct Records<'a> {
    edf: &'a Edf,
    first: u64,
    end: u64,
    /// Records `first..end`, one after the other.
    bytes: &'a [u8],
}

impl<'a> Records<'a> {
    /// The records held.
    pub fn records(&self) -> std::ops::Range<u64> {
        self.first..self.end
    }

    /// As [`Edf::read_digital`], for a range within these records.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if the signal does not exist or the range is
    /// not within these records.
    pub fn read_digital(&self, signal: usize, start: u64, out: &mut [i32]) -> Result<(), Error> {
        let format = self.edf.header.format;
        self.for_each_chunk(signal, start, out.len(), |bytes, at| {
            let dst = &mut out[at..at + bytes.len() / format.sample_bytes()];
            match format {
                Format::Edf => decode_i16_digital(bytes, dst),
                Format::Bdf => decode_i24(bytes, dst, |d| d),
            }
        })
    }

    /// As [`Edf::read_physical`], for a range within these records.
    ///
    /// # Errors
    ///
    /// [`Error::OutOfRange`] if the signal does not exist or the range is
    /// not within these records.
    pub fn read_physical<T: Sample>(
        &self,
        signal: usize,
        start: u64,
        out: &mut [T],
    ) -> Result<(), Error> {
        let header = &self.edf.header;
        let Some(s) = header.signals.get(signal) else {
            return self.edf.check_range(signal, start, out.len()).map(|_| ());
        };
        let scale = s.unit().scale();
        let gain = s.gain() * scale;
        let offset = s.offset() * scale;
        let format = header.format;
        self.for_each_chunk(signal, start, out.len(), |bytes, at| {
            let dst = &mut out[at..at + bytes.len() / format.sample_bytes()];
            let phys = |d: i32| T::from_f64(gain * f64::from(d) + offset);
            match format {
                Format::Edf => decode_i16(bytes, dst, phys),
                Format::Bdf => decode_i24(bytes, dst, phys),
            }
        })
    }

    /// Calls `f(chunk_bytes, out_offset)` for each record's part of the
    /// range `start..start + len` of `signal`, after checking that the
    /// range is the file's and within these records.
    fn for_each_chunk(
        &self,
        signal: usize,
        start: u64,
        len: usize,
        mut f: impl FnMut(&[u8], usize),
    ) -> Result<(), Error> {
        let spr = self.edf.check_range(signal, start, len)?;
        self.check_holds(signal, spr, start, len)?;
        let width = self.edf.header.format.sample_bytes();
        let mut done = 0usize;
        while done < len {
            let at = start + done as u64;
            let record = at / spr as u64;
            let within = (at % spr as u64) as usize;
            let n = (spr - within).min(len - done);
            let bytes = self.signal_bytes(record, signal);
            f(&bytes[within * width..(within + n) * width], done);
            done += n;
        }
        Ok(())
    }

    /// Checks that samples `start..start + len` of a signal with `spr`
    /// samples per record lie in these records.
    fn check_holds(&self, signal: usize, spr: usize, start: u64, len: usize) -> Result<(), Error> {
        if len == 0 {
            return Ok(());
        }
        let spr = spr as u64;
        let (first, last) = (start / spr, (start + len as u64 - 1) / spr);
        if first < self.first || last >= self.end {
            return Err(Error::OutOfRange {
                path: self.edf.path.clone(),
                reason: format!(
                    "samples {start}..{} of signal {signal} lie in records {first}..={last}, \
                     records {}..{} were read",
                    start + len as u64,
                    self.first,
                    self.end
                ),
            });
        }
        Ok(())
    }

    /// The raw bytes of one signal in one of these records.
    fn signal_bytes(&self, record: u64, signal: usize) -> &'a [u8] {
        let edf = self.edf;
        let start = (record - self.first) as usize * edf.record_bytes + edf.signal_offsets[signal];
        let len = edf.header.signals[signal].samples_per_record * edf.header.format.sample_bytes();
        &self.bytes[start..start + len]
    }
}

/// How much of the annotation signals an opening reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Every record ([`Edf::open`]).
    Every,
    /// The first and last record of an EDF+C file ([`Edf::open_lazily`]).
    Ends,
    /// None ([`Edf::open_without_annotations`]).
    None,
}

/// Complete records in a file of `len` bytes, with a warning when the file
/// is shorter or longer than the header announces.
fn complete_records(
    header: &Header,
    len: u64,
    path: &Path,
    warnings: &mut Vec<Warning>,
) -> Result<u64, Error> {
    let record_bytes = header.record_bytes() as u64;
    let data_len = len - header.header_bytes as u64;
    if record_bytes == 0 {
        // Only zero-length signals: any number of records fits in no bytes.
        return Ok(header.records.unwrap_or(0));
    }
    let available = data_len / record_bytes;
    match header.records {
        Some(announced) if available < announced => {
            if available == 0 {
                return Err(Error::Size {
                    path: path.to_path_buf(),
                    reason: format!(
                        "header announces {announced} data records of {record_bytes} bytes, \
                         the file holds {data_len} bytes after the header: no complete record"
                    ),
                });
            }
            warnings.push(Warning::Truncated {
                expected_records: announced,
                complete_records: available,
                missing_bytes: announced * record_bytes - data_len,
            });
            Ok(available)
        }
        Some(announced) => {
            let extra = data_len - announced * record_bytes;
            if extra > 0 {
                warnings.push(Warning::TrailingBytes { bytes: extra });
            }
            Ok(announced)
        }
        None => {
            let extra = data_len % record_bytes;
            if extra > 0 {
                warnings.push(Warning::TrailingBytes { bytes: extra });
            }
            Ok(available)
        }
    }
}

/// Adds the non-empty texts of a TAL as annotations.
fn push_annotations(
    out: &mut Vec<Annotation>,
    onset_s: f64,
    duration_s: Option<f64>,
    texts: Vec<String>,
) {
    for text in texts.into_iter().filter(|t| !t.is_empty()) {
        out.push(Annotation {
            onset_s,
            duration_s,
            text,
        });
    }
}

/// Digital values of EDF samples, with AVX2 where the processor has it
/// (eight widenings per instruction instead of four); the same values.
fn decode_i16_digital(bytes: &[u8], out: &mut [i32]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2, checked just above.
        unsafe { decode_i16_digital_avx2(bytes, out) };
        return;
    }
    decode_i16(bytes, out, |d| d);
}

/// # Safety
///
/// The processor must have AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn decode_i16_digital_avx2(bytes: &[u8], out: &mut [i32]) {
    decode_i16(bytes, out, |d| d);
}

#[inline(always)]
fn decode_i16<T>(bytes: &[u8], out: &mut [T], f: impl Fn(i32) -> T) {
    for (o, c) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        *o = f(i32::from(i16::from_le_bytes([c[0], c[1]])));
    }
}

#[inline]
fn decode_i24<T>(bytes: &[u8], out: &mut [T], f: impl Fn(i32) -> T) {
    for (o, c) in out.iter_mut().zip(bytes.chunks_exact(3)) {
        // Place the 24 bits in the top of an i32, then shift back with sign.
        let v = i32::from_le_bytes([0, c[0], c[1], c[2]]) >> 8;
        *o = f(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{FileSpec, SignalSpec, StartTime, Writer};

    /// The start time of the files these tests write.
    fn test_start() -> StartTime {
        StartTime {
            year: 2024,
            month: 1,
            day: 2,
            hour: 3,
            minute: 4,
            second: 5,
        }
    }

    /// An EDF+C file of `records` 1 s records of one 10 Hz signal, with an
    /// annotation long enough that every record's annotation signal has
    /// room for a rewritten time-keeping onset.
    fn edf_plus_c(records: u64) -> Vec<u8> {
        let start = test_start();
        let mut spec = FileSpec::new(Format::Edf, true, start, 1.0);
        spec.records = records;
        spec.signals = vec![SignalSpec::new("Cz", "uV", -100.0, 100.0, Format::Edf, 10)];
        let note = Annotation {
            onset_s: 0.5,
            duration_s: None,
            text: "a text long enough to leave room".to_string(),
        };
        let mut writer = Writer::new(Vec::new(), &spec, &[note]).expect("spec");
        for _ in 0..records {
            writer.write_record(&[vec![0.0; 10]]).expect("record");
        }
        writer.finish().expect("finish")
    }

    /// Rewrites the time-keeping onset `+from` as `+to` (the bytes after it
    /// are padding).
    fn retime(bytes: &mut [u8], from: &str, to: &str) {
        let old = format!("+{from}\x14\x14\0");
        let new = format!("+{to}\x14\x14\0");
        let at = bytes
            .windows(old.len())
            .position(|w| w == old.as_bytes())
            .expect("time-keeping TAL");
        assert!(bytes[at + old.len()..at + new.len()]
            .iter()
            .all(|&b| b == 0));
        bytes[at..at + new.len()].copy_from_slice(new.as_bytes());
    }

    /// An EDF of 7 records of 0.5 s, signals of 4 and 6 samples per record
    /// whose every sample differs.
    fn two_signals() -> Vec<u8> {
        let start = test_start();
        let mut spec = FileSpec::new(Format::Edf, false, start, 0.5);
        spec.records = 7;
        spec.signals = vec![
            SignalSpec::new("A", "uV", -1000.0, 1000.0, Format::Edf, 4),
            SignalSpec::new("B", "mV", -10.0, 10.0, Format::Edf, 6),
        ];
        let mut writer = Writer::new(Vec::new(), &spec, &[]).expect("spec");
        for r in 0..7 {
            let a: Vec<f64> = (0..4).map(|k| f64::from(r * 4 + k) * 7.0 - 90.0).collect();
            let b: Vec<f64> = (0..6).map(|k| f64::from(r * 6 + k) * 0.2 - 4.0).collect();
            writer.write_record(&[a, b]).expect("record");
        }
        writer.finish().expect("finish")
    }

    #[test]
    fn records_read_into_memory_decode_as_the_file_does() {
        let bytes = two_signals();
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("two.edf");
        std::fs::write(&path, &bytes).expect("write");
        let mapped = Edf::open(&path).expect("valid");
        let owned = Edf::from_bytes(bytes, "two.edf").expect("valid");
        for file in [&mapped, &owned] {
            let mut buf = Vec::new();
            for (start, end) in [(0, 7), (2, 5), (6, 7), (3, 3)] {
                let block = file.read_records(start, end, &mut buf).expect("in range");
                assert_eq!(block.records(), start..end);
                for (signal, spr) in [(0, 4), (1, 6)] {
                    let n = ((end - start) * spr) as usize;
                    let (mut want, mut got) = (vec![0; n], vec![0; n]);
                    file.read_digital(signal, start * spr, &mut want).unwrap();
                    block.read_digital(signal, start * spr, &mut got).unwrap();
                    assert_eq!(got, want);
                    let (mut want, mut got) = (vec![0.0f64; n], vec![0.0f64; n]);
                    file.read_physical(signal, start * spr, &mut want).unwrap();
                    block.read_physical(signal, start * spr, &mut got).unwrap();
                    assert_eq!(got, want);
                    // A range within the block, across a record bound.
                    if n > spr as usize {
                        let mut part = vec![0.0f64; spr as usize];
                        block
                            .read_physical(signal, start * spr + 1, &mut part)
                            .unwrap();
                        assert_eq!(part, want[1..=spr as usize]);
                    }
                }
            }
            // Samples outside the records read, and records past the end.
            let block = file.read_records(2, 4, &mut buf).expect("in range");
            let mut one = [0i32; 1];
            let e = block.read_digital(0, 7, &mut one).expect_err("record 1");
            assert!(e.to_string().contains("records 2..4 were read"), "{e}");
            assert!(block.read_digital(1, 24, &mut one).is_err());
            block
                .read_digital(1, 23, &mut one)
                .expect("last sample of record 3");
            let e = file
                .read_records(5, 8, &mut buf)
                .err()
                .expect("8 > 7 records");
            assert!(e.to_string().contains("7 complete records"), "{e}");
            assert!(file.read_records(4, 3, &mut buf).is_err());
        }
    }

    #[test]
    fn lazy_opening_of_a_continuous_file_matches_the_full_one() {
        let bytes = edf_plus_c(5);
        let full = Edf::from_bytes(bytes.clone(), "c.edf").expect("valid");
        let lazy = Edf::from_bytes_lazily(bytes, "c.edf").expect("valid");
        assert_eq!(lazy.header(), full.header());
        assert_eq!(lazy.records(), full.records());
        assert!(lazy.is_continuous());
        assert_eq!(lazy.start_offset_s(), full.start_offset_s());
        assert_eq!(lazy.record_onset_s(3), full.record_onset_s(3));
        assert!(lazy.annotations().is_empty());
        assert_eq!(full.annotations().len(), 1);
        lazy.check_records(0, 5).expect("contiguous records");
    }

    #[test]
    fn lazy_opening_reads_every_record_when_the_last_is_out_of_place() {
        // A gap before the last record: the ends disagree with continuity,
        // so the lazy opening falls back to reading every record and finds
        // what the full opening finds.
        let mut bytes = edf_plus_c(4);
        retime(&mut bytes, "3", "4.5");
        let full = Edf::from_bytes(bytes.clone(), "c.edf").expect("valid");
        let lazy = Edf::from_bytes_lazily(bytes, "c.edf").expect("valid");
        assert_eq!(lazy.header().variant, Variant::Discontinuous);
        assert_eq!(lazy.gaps(), full.gaps());
        assert_eq!(lazy.warnings(), full.warnings());
        assert_eq!(lazy.gaps().len(), 1);
    }

    #[test]
    fn a_displaced_middle_record_of_an_edf_plus_c_file_is_caught_when_read() {
        // Record 2 starts 0.5 s late and record 3 where continuity puts it,
        // so record 3 overlaps record 2: the full opening refuses the file;
        // the lazy one sees consistent ends and must catch record 2 when
        // its samples are read, not trust it.
        let mut bytes = edf_plus_c(4);
        retime(&mut bytes, "2", "2.5");
        let refused = Edf::from_bytes(bytes.clone(), "c.edf").expect_err("overlap");
        assert!(refused
            .to_string()
            .contains("before the previous record ends"));
        let lazy = Edf::from_bytes_lazily(bytes, "c.edf").expect("ends agree");
        lazy.check_records(0, 2)
            .expect("records 0 and 1 are in place");
        let e = lazy.check_records(1, 3).expect_err("record 2 is displaced");
        assert!(matches!(e, Error::Record { record: 2, .. }), "{e}");
        assert!(e.to_string().contains("not contiguous"), "{e}");
    }

    #[test]
    fn a_malformed_time_keeping_annotation_is_caught_when_read() {
        let mut bytes = edf_plus_c(4);
        let at = bytes
            .windows(5)
            .position(|w| w == b"+1\x14\x14\0")
            .expect("time-keeping TAL");
        bytes[at] = b'x';
        assert!(Edf::from_bytes(bytes.clone(), "c.edf").is_err());
        let lazy = Edf::from_bytes_lazily(bytes, "c.edf").expect("ends are valid");
        let e = lazy.check_records(1, 2).expect_err("record 1 is damaged");
        assert!(matches!(e, Error::Record { record: 1, .. }), "{e}");
    }
}
