//! Reading batches of the tensor: given positions into
//! [`TensorPlan::kept`], contiguous normalized float32 windows with their
//! labels, subjects, recordings and onsets.
//!
//! Windows are decoded by random access ([`crate::read::map_windows`]),
//! recordings in parallel, and written straight into their row of the
//! batch, so a batch costs its own size and one decoded window per thread.
//! Each sample becomes `((x − mean) / std) as f32`, computed in f64, with
//! the plan's per-channel mean and standard deviation; masked cells are 0.
//!
//! Non-finite samples are not hidden: a NaN or an infinity stays what it
//! is (a NaN after normalization too) and is counted per channel in
//! [`Batch::non_finite`], so the caller can report or refuse them.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::plan::TensorPlan;
use crate::dataset::Dataset;
use crate::read::{map_windows, ReadError, WindowSignals};
use crate::window::{Locator, Windows};

/// Windows of the tensor, read. Row `i` is position `positions[i]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Batch {
    /// Positions (into [`TensorPlan::kept`]) read, in the order asked,
    /// without those that failed.
    pub positions: Vec<usize>,
    /// Samples, rows × channels × samples, C order.
    pub x: Vec<f32>,
    /// Rows × channels: 1 where the cell holds data, 0 where it is
    /// excluded and filled with 0.
    pub mask: Vec<u8>,
    /// Class of each row (index into [`Windows::classes`]).
    pub labels: Vec<u32>,
    /// Subject of each row (index into [`Windows::subjects`]).
    pub subjects: Vec<u32>,
    /// Recording of each row (index into [`Windows::recordings`]).
    pub recordings: Vec<u32>,
    /// Where each row's samples are.
    pub locators: Vec<Locator>,
    /// Event onset of each row, s from the recording's first sample
    /// (the window's start for fixed-length windows; `None` for NumPy
    /// rows).
    pub onsets_s: Vec<Option<f64>>,
    /// Non-finite samples in unmasked cells, per tensor channel.
    pub non_finite: Vec<u64>,
    /// Positions that could not be read, with the reason.
    pub errors: Vec<(usize, ReadError)>,
}

impl Batch {
    /// Rows.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether it has no row.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }
}

/// Reads batches of one plan's tensor.
#[derive(Debug, Clone, Copy)]
pub struct BatchReader<'a> {
    dataset: &'a Dataset,
    windows: &'a Windows,
    plan: &'a TensorPlan,
}

impl<'a> BatchReader<'a> {
    /// A reader of `plan`, made for `windows` of `dataset`.
    pub fn new(dataset: &'a Dataset, windows: &'a Windows, plan: &'a TensorPlan) -> Self {
        BatchReader {
            dataset,
            windows,
            plan,
        }
    }

    /// Reads the windows at `positions` (into [`TensorPlan::kept`]; they
    /// may repeat).
    ///
    /// # Panics
    ///
    /// When a position is not below `plan.kept.len()`.
    pub fn read(&self, positions: &[usize]) -> Batch {
        self.read_with_progress(positions, &|_| {})
    }

    /// As [`BatchReader::read`], calling `progress(1)` after each window
    /// (from the reading threads).
    ///
    /// # Panics
    ///
    /// When a position is not below `plan.kept.len()`.
    pub fn read_with_progress(
        &self,
        positions: &[usize],
        progress: &(dyn Fn(u64) + Sync),
    ) -> Batch {
        let plan = self.plan;
        let (c, t) = (plan.channels.len(), plan.samples);
        let mut x = vec![0f32; positions.len() * c * t];
        let mut mask = vec![0u8; positions.len() * c];

        // Each distinct window is decoded once and written to every row
        // that asks for it.
        let mut rows_of: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (row, &p) in positions.iter().enumerate() {
            rows_of.entry(plan.kept[p]).or_default().push(row);
        }
        let unique: Vec<usize> = rows_of.keys().copied().collect();
        let rows: Vec<Mutex<(&mut [f32], &mut [u8])>> = x
            .chunks_mut((c * t).max(1))
            .zip(mask.chunks_mut(c.max(1)))
            .map(Mutex::new)
            .collect();
        let results = map_windows(self.dataset, self.windows, &unique, &plan.read, |s| {
            let result = rows_of[&s.index]
                .iter()
                .try_fold(vec![0u64; c], |mut n, &row| {
                    let mut cell = rows[row].lock().expect("a row is written by one thread");
                    let (xs, ms) = &mut *cell;
                    let counts = fill(plan, self.windows, s, xs, ms)?;
                    for (a, b) in n.iter_mut().zip(counts) {
                        *a += b;
                    }
                    Ok(n)
                });
            progress(1);
            result
        });
        drop(rows);

        // Rows of windows that failed are dropped, the rest moved up.
        let mut failed: BTreeMap<usize, ReadError> = BTreeMap::new();
        let mut non_finite = vec![0u64; c];
        for (index, result) in unique.iter().zip(results) {
            match result {
                Ok(Ok(n)) => non_finite.iter_mut().zip(n).for_each(|(a, b)| *a += b),
                Ok(Err(reason)) => {
                    let w = self.windows.windows[*index];
                    let path = self.windows.recordings[w.recording as usize].clone();
                    failed.insert(
                        *index,
                        ReadError {
                            path: path.into(),
                            reason,
                        },
                    );
                }
                Err(e) => {
                    failed.insert(*index, e);
                }
            }
        }
        let mut batch = Batch {
            non_finite,
            ..Batch::default()
        };
        let mut to = 0;
        for (row, &p) in positions.iter().enumerate() {
            let index = plan.kept[p];
            if let Some(e) = failed.get(&index) {
                batch.errors.push((p, e.clone()));
                continue;
            }
            if to != row {
                x.copy_within(row * c * t..(row + 1) * c * t, to * c * t);
                mask.copy_within(row * c..(row + 1) * c, to * c);
            }
            to += 1;
            let w = self.windows.windows[index];
            batch.positions.push(p);
            batch.labels.push(w.class);
            batch.subjects.push(w.subject);
            batch.recordings.push(w.recording);
            batch.locators.push(w.locator);
            batch.onsets_s.push(match (w.locator, plan.onset_shift_s) {
                (Locator::Time { start_s }, Some(shift)) => Some(start_s + shift),
                _ => None,
            });
        }
        x.truncate(to * c * t);
        mask.truncate(to * c);
        batch.x = x;
        batch.mask = mask;
        batch
    }
}

/// Writes one decoded window into its row: normalized samples and the mask.
/// Returns the non-finite samples per tensor channel, or why the window
/// does not fit the plan.
fn fill(
    plan: &TensorPlan,
    windows: &Windows,
    s: &WindowSignals<'_>,
    xs: &mut [f32],
    ms: &mut [u8],
) -> Result<Vec<u64>, String> {
    let t = plan.samples;
    let Some(source) = plan.source_channels(s.window.recording) else {
        return Err("the recording is not in the tensor".to_string());
    };
    let mut non_finite = vec![0u64; plan.channels.len()];
    for (k, &from) in source.iter().enumerate() {
        let name = &plan.channels[k];
        let (Some(info), Some(samples)) = (s.channels.get(from), s.samples.get(from)) else {
            return Err(format!("channel {name} is missing from the file"));
        };
        if &info.name != name {
            return Err(format!(
                "channel {} of the file is {:?}, expected {name:?} (the file changed since \
                 discovery)",
                from + 1,
                info.name
            ));
        }
        if samples.len() != t {
            return Err(format!(
                "channel {name} has {} samples in the window, expected {t}",
                samples.len()
            ));
        }
        let out = &mut xs[k * t..(k + 1) * t];
        if plan.is_masked(windows, s.index, k) {
            out.fill(0.0);
            ms[k] = 0;
            continue;
        }
        ms[k] = 1;
        let (mean, std) = (plan.mean[k], plan.std[k]);
        for (o, &v) in out.iter_mut().zip(samples) {
            if !v.is_finite() {
                non_finite[k] += 1;
            }
            *o = ((f64::from(v) - mean) / std) as f32;
        }
    }
    Ok(non_finite)
}
