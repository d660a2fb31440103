//! Decoding windows, and only windows: random access into the recordings.
//!
//! [`map_windows`] takes the indices of sampled windows ([`crate::sample`]),
//! decodes each to physical units (f32, µV for voltage channels) and hands
//! it to a function that turns it into whatever the caller needs, such as
//! per-channel measures. Samples live only while that function runs, so
//! memory is bounded by one window per thread whatever the sample's size.
//!
//! Recordings are processed in parallel (rayon), each opened once and
//! memory-mapped: only the data records that hold a sampled window are
//! touched, so a 1/1000 sample reads a small share of a dataset's bytes.
//! A recording that fails to open or whose window lies outside its records
//! gives an error for its windows and the others go on.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::dataset::numpy::{NumpyDataset, SampleType};
use crate::dataset::{Dataset, Layout};
use crate::window::{Locator, Window, Windows};

/// Settings of [`map_windows`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadConfig {
    /// Sampling rate of a NumPy dataset's samples, which the arrays do not
    /// say. Needed for spectra; `None` leaves it at 0.
    pub numpy_sfreq_hz: Option<f64>,
    /// Factor from a NumPy dataset's values to µV (1 when they already are
    /// in µV, 1e6 when they are in volts).
    pub numpy_to_uv: f64,
}

impl Default for ReadConfig {
    fn default() -> Self {
        ReadConfig {
            numpy_sfreq_hz: None,
            numpy_to_uv: 1.0,
        }
    }
}

/// What is known about one channel of a decoded window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelInfo {
    /// Name (EDF label, or `ch<N>` for NumPy arrays).
    pub name: String,
    /// Sampling rate in Hz (0 when unknown).
    pub sfreq_hz: f64,
    /// Unit of the values (`uV` for voltages).
    pub unit: String,
    /// The value the lowest digital code decodes to, exactly as decoded
    /// samples hold it; `None` for NumPy arrays.
    pub clip_low: Option<f32>,
    /// The value the highest digital code decodes to.
    pub clip_high: Option<f32>,
}

/// One decoded window, lent to the function of [`map_windows`].
#[derive(Debug)]
pub struct WindowSignals<'a> {
    /// Index of the window in [`Windows::windows`].
    pub index: usize,
    /// The window.
    pub window: Window,
    /// The recording's channels, in the order of `samples`.
    pub channels: &'a [ChannelInfo],
    /// Per channel, the window's samples in physical units.
    pub samples: &'a [Vec<f32>],
    /// Byte range `[start, end)` of the file the samples were decoded from:
    /// the whole data records that hold them, or the NumPy row.
    pub span: (u64, u64),
}

/// Why a window could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {reason}", path.display())]
pub struct ReadError {
    /// The recording (relative to the dataset root).
    pub path: PathBuf,
    /// What went wrong.
    pub reason: String,
}

/// Decodes the windows `indices` (into [`Windows::windows`]) of `dataset`
/// and maps each with `f`. Results come back in the order of `indices`.
///
/// Channels are the recording's data channels (annotation signals left
/// out), each at its own sampling rate, so the sample counts of a window's
/// channels may differ in a mixed-rate file.
pub fn map_windows<T, F>(
    dataset: &Dataset,
    windows: &Windows,
    indices: &[usize],
    config: &ReadConfig,
    f: F,
) -> Vec<Result<T, ReadError>>
where
    T: Send,
    F: Fn(&WindowSignals<'_>) -> T + Sync,
{
    let mut done = fold_groups(
        dataset,
        windows,
        indices,
        config,
        Vec::new,
        |acc: &mut Vec<(usize, Result<T, ReadError>)>, place, signals| {
            acc.push((place, signals.map(&f)));
        },
        |total, part| total.extend(part),
    );

    // Back in the order of `indices`; an index that names no window has
    // no result yet.
    done.sort_by_key(|(place, _)| *place);
    let mut done = done.into_iter().peekable();
    (0..indices.len())
        .map(|place| match done.next_if(|(p, _)| *p == place) {
            Some((_, result)) => result,
            None => Err(ReadError {
                path: PathBuf::new(),
                reason: format!("window {} does not exist", indices[place]),
            }),
        })
        .collect()
}

/// Decodes the windows `indices` and folds them into one accumulator.
///
/// Each recording's windows are folded, in the order given, into a fresh
/// accumulator from `init`; the recordings' accumulators are then merged
/// in recording order with `merge`, so the result does not depend on the
/// number of threads. Recordings are processed in batches of a few per
/// thread, so at most that many accumulators are alive at once. Windows
/// that cannot be decoded are returned as errors, one per window.
pub fn fold_windows<A, I, F, M>(
    dataset: &Dataset,
    windows: &Windows,
    indices: &[usize],
    config: &ReadConfig,
    init: I,
    fold: F,
    merge: M,
) -> (A, Vec<ReadError>)
where
    A: Send,
    I: Fn() -> A + Sync,
    F: Fn(&mut A, &WindowSignals<'_>) + Sync,
    M: Fn(&mut A, A) + Sync,
{
    fold_groups(
        dataset,
        windows,
        indices,
        config,
        || (init(), Vec::new()),
        |acc: &mut (A, Vec<ReadError>), _, signals| match signals {
            Ok(s) => fold(&mut acc.0, s),
            Err(e) => acc.1.push(e),
        },
        |total, part| {
            merge(&mut total.0, part.0);
            total.1.extend(part.1);
        },
    )
}

/// The loop under [`map_windows`] and [`fold_windows`]: windows grouped by
/// recording, each recording opened once and its windows decoded in the
/// order given, `visit(acc, place in indices, window or error)` called for
/// each, the recordings' accumulators merged in recording order. Recordings
/// run in parallel in batches of a few per thread, which bounds the
/// accumulators alive at once.
fn fold_groups<A, I, V, M>(
    dataset: &Dataset,
    windows: &Windows,
    indices: &[usize],
    config: &ReadConfig,
    init: I,
    visit: V,
    merge: M,
) -> A
where
    A: Send,
    I: Fn() -> A + Sync,
    V: Fn(&mut A, usize, Result<&WindowSignals<'_>, ReadError>) + Sync,
    M: Fn(&mut A, A) + Sync,
{
    let mut groups: BTreeMap<u32, Vec<(usize, usize)>> = BTreeMap::new();
    for (place, &index) in indices.iter().enumerate() {
        if let Some(w) = windows.windows.get(index) {
            groups.entry(w.recording).or_default().push((place, index));
        }
    }
    let groups: Vec<(u32, Vec<(usize, usize)>)> = groups.into_iter().collect();
    let batch = 4 * rayon::current_num_threads().max(1);

    // Each batch's accumulators are merged, in order, while the next batch
    // is read: merging on one thread between batches left the others idle
    // for a quarter of an audit's sample pass. The recordings of the batch
    // after are opened at the same time, and the records of their windows
    // asked of the operating system, so that a dataset that is not in the
    // page cache is read while this batch is decoded, many reads at once
    // instead of one wait per window.
    let open = |chunk: &[(u32, Vec<(usize, usize)>)]| -> Vec<Result<Source, ReadError>> {
        chunk
            .par_iter()
            .map(|(recording, members)| {
                let source = Source::open(dataset, windows, *recording, config)?;
                for &(_, index) in members {
                    source.prefetch(&windows.windows[index], windows.duration_s);
                }
                Ok(source)
            })
            .collect()
    };
    let mut chunks = groups.chunks(batch);
    let mut total = init();
    let mut ready: Vec<A> = Vec::new();
    let mut opened = chunks.next().map(open).unwrap_or_default();
    for chunk in groups.chunks(batch) {
        let merging = std::mem::take(&mut ready);
        let sources = std::mem::take(&mut opened);
        let next = chunks.next();
        let read = || -> Vec<A> {
            chunk
                .par_iter()
                .zip(sources)
                .map(|((_, members), source)| {
                    let mut acc = init();
                    // The channels' buffers, reused from window to window.
                    let mut samples = Vec::new();
                    for &(place, index) in members {
                        let window = windows.windows[index];
                        let decoded = source.as_ref().map_err(Clone::clone).and_then(|s| {
                            Ok((s, s.decode(&window, windows.duration_s, &mut samples)?))
                        });
                        match decoded {
                            Ok((s, span)) => visit(
                                &mut acc,
                                place,
                                Ok(&WindowSignals {
                                    index,
                                    window,
                                    channels: s.channels(),
                                    samples: &samples,
                                    span,
                                }),
                            ),
                            Err(e) => visit(&mut acc, place, Err(e)),
                        }
                    }
                    acc
                })
                .collect()
        };
        let (done, following) = rayon::join(read, || {
            for acc in merging {
                merge(&mut total, acc);
            }
            next.map(open).unwrap_or_default()
        });
        ready = done;
        opened = following;
    }
    for acc in ready {
        merge(&mut total, acc);
    }
    total
}

/// An open recording or NumPy array.
enum Source {
    Edf {
        file: Box<edf::Edf>,
        /// Path as opened, which the reader's errors start with.
        full: PathBuf,
        /// Path relative to the dataset root, which ours start with.
        path: PathBuf,
        signals: Vec<usize>,
        channels: Vec<ChannelInfo>,
    },
    Numpy {
        map: Mmap,
        path: PathBuf,
        array: Box<NumpyDataset>,
        channels: Vec<ChannelInfo>,
        to_uv: f32,
    },
}

impl Source {
    fn open(
        dataset: &Dataset,
        windows: &Windows,
        recording: u32,
        config: &ReadConfig,
    ) -> Result<Source, ReadError> {
        if dataset.layout == Layout::Numpy {
            return Self::open_numpy(dataset, config);
        }
        let index = recording as usize;
        let Some(r) = dataset.recordings.get(index) else {
            let name = windows.recordings.get(index).cloned().unwrap_or_default();
            return Err(ReadError {
                path: PathBuf::from(name),
                reason: "not a recording of this dataset".to_string(),
            });
        };
        let fail = |reason: String| ReadError {
            path: r.path.clone(),
            reason,
        };
        let full = dataset.root_of(&r.path);
        // The events are known already; the lazy opening reads the first
        // and last record's time-keeping annotations of an EDF+C file (all
        // of them for EDF+D), and `decode` checks those of the records it
        // reads: a few pages of the file instead of every one.
        let file = edf::Edf::open_lazily(&full).map_err(|e| fail(without_path(&e, &full)))?;
        let h = file.header();
        let signals: Vec<usize> = h.data_signals().collect();
        let channels = signals
            .iter()
            .map(|&i| {
                let s = &h.signals[i];
                let unit = s.unit();
                let gain = s.gain() * unit.scale();
                let offset = s.offset() * unit.scale();
                let code = |d: i32| (gain * f64::from(d) + offset) as f32;
                let (a, b) = (code(s.digital_min), code(s.digital_max));
                ChannelInfo {
                    name: s.label.clone(),
                    sfreq_hz: h.sfreq_hz(i).unwrap_or(0.0),
                    unit: unit.name().to_string(),
                    clip_low: Some(a.min(b)),
                    clip_high: Some(a.max(b)),
                }
            })
            .collect();
        Ok(Source::Edf {
            file: Box::new(file),
            full,
            path: r.path.clone(),
            signals,
            channels,
        })
    }

    fn open_numpy(dataset: &Dataset, config: &ReadConfig) -> Result<Source, ReadError> {
        let Some(array) = &dataset.numpy else {
            return Err(ReadError {
                path: dataset.root.clone(),
                reason: "NumPy dataset without arrays".to_string(),
            });
        };
        let path = dataset.root_of(&array.x);
        let fail = |reason: String| ReadError {
            path: array.x.clone(),
            reason,
        };
        let file = std::fs::File::open(&path).map_err(|e| fail(e.to_string()))?;
        // SAFETY: the map is read-only; preflight never writes its inputs.
        // Another process truncating X.npy while it is read could fault, as
        // with any memory-mapped reader.
        let map = unsafe { Mmap::map(&file) }.map_err(|e| fail(e.to_string()))?;
        // Rows are read where the sample falls, each asked for ahead of
        // its decoding (`prefetch`), not with read-ahead around every
        // fault.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Random);
        let channels = (0..array.channels)
            .map(|c| ChannelInfo {
                name: format!("ch{c}"),
                sfreq_hz: config.numpy_sfreq_hz.unwrap_or(0.0),
                unit: "uV".to_string(),
                clip_low: None,
                clip_high: None,
            })
            .collect();
        Ok(Source::Numpy {
            map,
            path: array.x.clone(),
            array: Box::new(array.clone()),
            channels,
            to_uv: config.numpy_to_uv as f32,
        })
    }

    fn channels(&self) -> &[ChannelInfo] {
        match self {
            Source::Edf { channels, .. } | Source::Numpy { channels, .. } => channels,
        }
    }

    /// Asks the operating system to read the file bytes of `window` ahead
    /// of [`Source::decode`] (see [`edf::Edf::prefetch_records`]).
    fn prefetch(&self, window: &Window, duration_s: f64) {
        #[cfg(unix)]
        if let (Source::Numpy { map, array, .. }, Locator::Row { row }) = (self, window.locator) {
            let per_row = array.channels * array.samples * array.sample_type.size();
            let start = usize::try_from(array.data_offset)
                .ok()
                .zip(usize::try_from(row).ok())
                .and_then(|(offset, row)| offset.checked_add(row.checked_mul(per_row)?));
            if let Some(start) = start.filter(|&s| s.saturating_add(per_row) <= map.len()) {
                let _ = map.advise_range(memmap2::Advice::WillNeed, start, per_row);
            }
        }
        if let (Source::Edf { file, signals, .. }, Locator::Time { start_s }) =
            (self, window.locator)
        {
            let h = file.header();
            let mut records: Option<(u64, u64)> = None;
            for &signal in signals {
                let n = (duration_s * h.sfreq_hz(signal).unwrap_or(0.0)).round() as u64;
                let Some(first) = first_sample(file, signal, start_s) else {
                    continue;
                };
                if let Some(range) = record_range(h, signal, first, n) {
                    records = Some(records.map_or(range, |r| union(r, range)));
                }
            }
            if let Some((a, b)) = records {
                file.prefetch_records(a, b);
            }
        }
    }

    /// The window's samples per channel into `samples` (one buffer per
    /// channel, kept from call to call), and the byte range of the file
    /// they were decoded from (whole data records for EDF/BDF).
    fn decode(
        &self,
        window: &Window,
        duration_s: f64,
        samples: &mut Vec<Vec<f32>>,
    ) -> Result<(u64, u64), ReadError> {
        match (self, window.locator) {
            (
                Source::Edf {
                    file,
                    full,
                    path,
                    signals,
                    channels,
                },
                Locator::Time { start_s },
            ) => {
                let h = file.header();
                samples.resize_with(signals.len(), Vec::new);
                let mut records: Option<(u64, u64)> = None;
                for ((&signal, info), out) in signals.iter().zip(channels).zip(samples.iter_mut()) {
                    let n = (duration_s * info.sfreq_hz).round() as usize;
                    let first = first_sample(file, signal, start_s).ok_or_else(|| ReadError {
                        path: path.clone(),
                        reason: format!("no sample of {} at {start_s:.3} s", info.name),
                    })?;
                    out.resize(n, 0.0);
                    file.read_physical(signal, first, out)
                        .map_err(|e| ReadError {
                            path: path.clone(),
                            reason: without_path(&e, full),
                        })?;
                    if let Some(range) = record_range(h, signal, first, n as u64) {
                        records = Some(records.map_or(range, |r| union(r, range)));
                    }
                }
                // Samples from records whose time-keeping contradicts the
                // header's continuity would sit at the wrong time.
                if let Some((a, b)) = records {
                    file.check_records(a, b).map_err(|e| ReadError {
                        path: path.clone(),
                        reason: without_path(&e, full),
                    })?;
                }
                let record_bytes = h.record_bytes() as u64;
                Ok(records.map_or((0, 0), |(a, b)| {
                    let at = h.header_bytes as u64;
                    (at + a * record_bytes, at + b * record_bytes)
                }))
            }
            (
                Source::Numpy {
                    map,
                    path,
                    array,
                    to_uv,
                    ..
                },
                Locator::Row { row },
            ) => {
                let per_row = (array.channels * array.samples * array.sample_type.size()) as u64;
                let start = array.data_offset + row * per_row;
                decode_row(map, array, row, *to_uv)
                    .map(|decoded| {
                        *samples = decoded;
                        (start, start + per_row)
                    })
                    .ok_or_else(|| ReadError {
                        path: path.clone(),
                        reason: format!("row {row} lies beyond the end of the file"),
                    })
            }
            _ => Err(ReadError {
                path: PathBuf::new(),
                reason: "window does not match its dataset's layout".to_string(),
            }),
        }
    }
}

/// A reader error's message without the path it starts with.
fn without_path(e: &edf::Error, path: &Path) -> String {
    crate::dataset::reason_without_path(&e.to_string(), path)
}

/// The records `a..b` that hold samples `first..first + n` of `signal`,
/// or `None` for no samples.
fn record_range(h: &edf::Header, signal: usize, first: u64, n: u64) -> Option<(u64, u64)> {
    let spr = h.signals.get(signal)?.samples_per_record.max(1) as u64;
    (n > 0).then(|| (first / spr, (first + n - 1) / spr + 1))
}

/// The smallest range of records holding both.
fn union((a, b): (u64, u64), (x, y): (u64, u64)) -> (u64, u64) {
    (a.min(x), b.max(y))
}

/// Index of the sample of `signal` at `start_s` seconds after the first
/// sample, following EDF+D record onsets.
fn first_sample(file: &edf::Edf, signal: usize, start_s: f64) -> Option<u64> {
    let spr = file.header().signals.get(signal)?.samples_per_record as u64;
    let sfreq = file.header().sfreq_hz(signal)?;
    if !start_s.is_finite() || start_s < -1e-9 || spr == 0 {
        return None;
    }
    if file.is_continuous() {
        return Some((start_s * sfreq).round().max(0.0) as u64);
    }
    // The last record starting at or before `start_s` (onsets increase).
    let tolerance_s = 0.5 / sfreq;
    let (mut lo, mut hi) = (0u64, file.records());
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if file.record_onset_s(mid) <= start_s + tolerance_s {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let within = ((start_s - file.record_onset_s(lo)) * sfreq)
        .round()
        .max(0.0) as u64;
    Some(lo * spr + within)
}

/// One example of `X.npy` as f32 channels, or `None` past the end.
fn decode_row(map: &[u8], array: &NumpyDataset, row: u64, to_uv: f32) -> Option<Vec<Vec<f32>>> {
    let size = array.sample_type.size();
    let per_row = array.channels * array.samples * size;
    let start = usize::try_from(array.data_offset).ok()? + usize::try_from(row).ok()? * per_row;
    let bytes = map.get(start..start.checked_add(per_row)?)?;
    let value = |b: &[u8]| -> f32 {
        let v = match (array.sample_type, array.big_endian) {
            (SampleType::Float32, false) => f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            (SampleType::Float32, true) => f32::from_be_bytes([b[0], b[1], b[2], b[3]]),
            (SampleType::Float64, big) => {
                let a: [u8; 8] = [b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]];
                (if big {
                    f64::from_be_bytes(a)
                } else {
                    f64::from_le_bytes(a)
                }) as f32
            }
            (SampleType::Int16, false) => f32::from(i16::from_le_bytes([b[0], b[1]])),
            (SampleType::Int16, true) => f32::from(i16::from_be_bytes([b[0], b[1]])),
        };
        v * to_uv
    };
    Some(
        bytes
            .chunks_exact(array.samples * size)
            .map(|channel| channel.chunks_exact(size).map(value).collect())
            .collect(),
    )
}

impl Dataset {
    /// The full path of a file given relative to the dataset root.
    pub fn root_of(&self, relative: &Path) -> PathBuf {
        if self.root.is_file() {
            self.root.clone()
        } else {
            self.root.join(relative)
        }
    }
}
