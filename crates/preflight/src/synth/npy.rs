//! The NumPy layout of a synthetic dataset: event-locked windows as deep
//! learning code keeps them.
//!
//! ```text
//! X.npy           float32, examples × channels × samples, µV; one window per
//!                 stimulus, from 0.2 s before its onset to 0.8 s after
//! y.npy           int64, 1 for a target, 0 for a standard
//! groups.npy      unicode, the subject of each example (`07`)
//! recordings.tsv  recording, subject, run, first_example, examples
//! channels.tsv    name, type, units (the order of X's second axis)
//! truth.json
//! ```
//!
//! Examples follow the recordings in subject and run order, and the stimuli
//! in time order. Values beyond a channel's physical range are clipped to
//! it, as the digital limits of an EDF file would; NaN and Inf faults stay
//! as they are. Recordings are generated in parallel a few at a time and
//! written in order, so memory holds a few recordings, not the dataset.

use std::fmt::Write as _;
use std::path::Path;

use rayon::prelude::*;

use super::files::{self, put};
use super::{RecordingPlan, Resolved, SynthConfig, Synthesized, TruthFault, TruthRecording};
use crate::error::Error;
use crate::export::npy::header;

/// Start of each window relative to its stimulus, s.
pub const WINDOW_START_S: f64 = -0.2;

/// Length of each window, s.
pub const WINDOW_S: f64 = 1.0;

/// Writes the arrays and tables; returns what each recording holds.
pub(crate) fn write(
    root: &Path,
    config: &SynthConfig,
    plan: &Resolved,
    recordings: &[RecordingPlan],
    synthesize: impl Fn(&RecordingPlan) -> Synthesized + Sync,
) -> Result<Vec<(TruthRecording, Vec<TruthFault>)>, Error> {
    let fs = config.sfreq_hz;
    let samples = (WINDOW_S * fs).round() as usize;
    let offset = (WINDOW_START_S * fs).round() as isize;
    let examples = recordings.len() * plan.events;
    let channels = plan.names.len();
    let mut labels: Vec<i64> = Vec::with_capacity(examples);
    let mut out = Vec::with_capacity(recordings.len());

    // X, a few recordings at a time.
    let x_path = root.join("X.npy");
    files::write_atomic(&x_path, |w| {
        let header = header("<f4", &[examples, channels, samples]);
        put(w, &x_path, &header)?;
        let batch = 2 * rayon::current_num_threads().max(1);
        for chunk in recordings.chunks(batch) {
            let done: Vec<(Vec<u8>, Vec<i64>, Vec<TruthFault>)> = chunk
                .par_iter()
                .map(|r| {
                    let s = synthesize(r);
                    let mut bytes = Vec::with_capacity(s.stimuli.len() * channels * samples * 4);
                    for st in &s.stimuli {
                        let start = (st.sample as isize + offset).max(0) as usize;
                        for (x, &(lo, hi)) in s.signals.iter().zip(&s.ranges) {
                            for &v in &x[start..start + samples] {
                                let v = if v.is_finite() { v.clamp(lo, hi) } else { v };
                                bytes.extend_from_slice(&(v as f32).to_le_bytes());
                            }
                        }
                    }
                    let y = s.stimuli.iter().map(|st| i64::from(st.is_target)).collect();
                    (bytes, y, s.faults)
                })
                .collect();
            for ((bytes, y, faults), r) in done.into_iter().zip(chunk) {
                put(w, &x_path, &bytes)?;
                labels.extend(y);
                out.push((r.truth(), faults));
            }
        }
        Ok(())
    })?;

    // y and groups.
    let y_path = root.join("y.npy");
    files::write_atomic(&y_path, |w| {
        put(w, &y_path, &header("<i8", &[examples]))?;
        let bytes: Vec<u8> = labels.iter().flat_map(|v| v.to_le_bytes()).collect();
        put(w, &y_path, &bytes)
    })?;
    let g_path = root.join("groups.npy");
    let width = recordings
        .iter()
        .map(|r| r.subject_label.chars().count())
        .max()
        .unwrap_or(1);
    files::write_atomic(&g_path, |w| {
        put(w, &g_path, &header(&format!("<U{width}"), &[examples]))?;
        let mut bytes = Vec::with_capacity(examples * width * 4);
        for r in recordings {
            let mut one = Vec::with_capacity(width * 4);
            let chars: Vec<char> = r.subject_label.chars().collect();
            for k in 0..width {
                let c = chars.get(k).map_or(0, |&c| c as u32);
                one.extend_from_slice(&c.to_le_bytes());
            }
            for _ in 0..r.stimuli {
                bytes.extend_from_slice(&one);
            }
        }
        put(w, &g_path, &bytes)
    })?;

    // The recording index and the channel order.
    let mut index = String::from("recording\tsubject\trun\tfirst_example\texamples\n");
    for r in recordings {
        let first = r.examples.map_or(0, |e| e[0]);
        let _ = writeln!(
            index,
            "{}\t{}\t{}\t{first}\t{}",
            r.stem(),
            r.subject_label,
            r.run,
            r.stimuli
        );
    }
    let path = root.join("recordings.tsv");
    files::write_atomic(&path, |w| put(w, &path, index.as_bytes()))?;
    let mut chans = String::from("name\ttype\tunits\n");
    for n in &plan.names {
        let _ = writeln!(chans, "{n}\tEEG\tuV");
    }
    let path = root.join("channels.tsv");
    files::write_atomic(&path, |w| put(w, &path, chans.as_bytes()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_padded_to_64_bytes() {
        let h = header("<f4", &[3, 2, 256]);
        assert_eq!(h.len() % 64, 0);
        assert!(h.ends_with(b"\n"));
        let text = String::from_utf8_lossy(&h[10..]);
        assert!(text.contains("'shape': (3, 2, 256)"), "{text}");
        assert!(String::from_utf8_lossy(&header("<i8", &[5])).contains("(5,)"));
    }
}
