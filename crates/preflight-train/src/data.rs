//! The examples a network trains on, held in memory as one float32 array.
//!
//! Windows arrive already cut, cleaned and normalized (or raw, in µV, for a
//! run without the audit). Before training they are brought to a lower
//! sampling rate: event-related responses live below about 30 Hz, and a
//! window of 1 s at 256 Hz costs four times the compute of the same window
//! at 64 Hz for no information the network can use there.

use std::f64::consts::PI;

use crate::error::TrainError;

/// Labelled windows, `n × channels × samples`, with where each came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Examples {
    /// Channel names, in the order of the channel axis.
    pub channels: Vec<String>,
    /// Sampling rate of the samples, Hz.
    pub sfreq_hz: f64,
    /// Samples per channel of one window.
    pub samples: usize,
    /// The values, window-major, then channel, then time.
    pub x: Vec<f32>,
    /// Class of each window (index into `classes`).
    pub y: Vec<u32>,
    /// Subject of each window (index into `subjects`).
    pub subject: Vec<u32>,
    /// Recording of each window (index into `recordings`).
    pub recording: Vec<u32>,
    /// Start of each window in its recording, s (NaN when not known).
    pub onset_s: Vec<f64>,
    /// Class names.
    pub classes: Vec<String>,
    /// Subject labels.
    pub subjects: Vec<String>,
    /// Recording paths relative to the dataset root.
    pub recordings: Vec<String>,
}

impl Examples {
    /// Number of windows.
    pub fn len(&self) -> usize {
        self.y.len()
    }

    /// Whether there is no window.
    pub fn is_empty(&self) -> bool {
        self.y.is_empty()
    }

    /// Values of one window (`channels × samples`).
    pub fn window(&self, i: usize) -> &[f32] {
        let size = self.channels.len() * self.samples;
        &self.x[i * size..(i + 1) * size]
    }

    /// Checks that every per-window table has one entry per window and
    /// that every index points into its table.
    ///
    /// # Errors
    ///
    /// [`TrainError::Data`] naming the table that does not fit.
    pub fn check(&self) -> Result<(), TrainError> {
        let n = self.y.len();
        let size = self.channels.len() * self.samples;
        let fail = |what: String| Err(TrainError::Data(what));
        if self.channels.is_empty() || self.samples == 0 {
            return fail(format!(
                "windows have {} channels of {} samples; expected at least one of each",
                self.channels.len(),
                self.samples
            ));
        }
        if self.x.len() != n * size {
            return fail(format!(
                "x holds {} values; expected {n} windows × {} channels × {} samples",
                self.x.len(),
                self.channels.len(),
                self.samples
            ));
        }
        for (name, len) in [
            ("subject", self.subject.len()),
            ("recording", self.recording.len()),
            ("onset_s", self.onset_s.len()),
        ] {
            if len != n {
                return fail(format!(
                    "{name} has {len} entries; expected {n}, one per window"
                ));
            }
        }
        let within = |values: &[u32], table: &[String], name: &str| match values
            .iter()
            .find(|&&v| v as usize >= table.len())
        {
            Some(v) => fail(format!(
                "{name} index {v} is outside the {} {name}s",
                table.len()
            )),
            None => Ok(()),
        };
        within(&self.y, &self.classes, "class")?;
        within(&self.subject, &self.subjects, "subject")?;
        within(&self.recording, &self.recordings, "recording")?;
        if !(self.sfreq_hz.is_finite() && self.sfreq_hz > 0.0) {
            return fail(format!(
                "sampling rate {} Hz; expected a positive rate",
                self.sfreq_hz
            ));
        }
        Ok(())
    }

    /// The same windows at `sfreq_hz / factor`: low-pass filtered below the
    /// new Nyquist frequency, then every `factor`-th sample kept. A factor
    /// of 1 returns a copy.
    ///
    /// The filter is a linear-phase windowed-sinc FIR (Hamming window,
    /// `16 × factor + 1` taps, cut-off at 0.8 × the new Nyquist
    /// frequency), applied with the window's ends mirrored so that its
    /// edges are not pulled towards zero.
    pub fn decimate(&self, factor: usize) -> Examples {
        Examples {
            sfreq_hz: self.sfreq_hz / factor.max(1) as f64,
            samples: self.samples.div_ceil(factor.max(1)),
            x: decimate_rows(&self.x, self.samples, factor),
            channels: self.channels.clone(),
            y: self.y.clone(),
            subject: self.subject.clone(),
            recording: self.recording.clone(),
            onset_s: self.onset_s.clone(),
            classes: self.classes.clone(),
            subjects: self.subjects.clone(),
            recordings: self.recordings.clone(),
        }
    }

    /// Number of windows of each class.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes.len()];
        for &c in &self.y {
            counts[c as usize] += 1;
        }
        counts
    }
}

/// Rows of `samples` values each (`x` holds whole rows), decimated as
/// [`Examples::decimate`] does: `samples.div_ceil(factor)` values a row.
pub fn decimate_rows(x: &[f32], samples: usize, factor: usize) -> Vec<f32> {
    let factor = factor.max(1);
    if factor == 1 || samples == 0 {
        return x.to_vec();
    }
    let out_samples = samples.div_ceil(factor);
    let taps = lowpass_taps(factor);
    let half = taps.len() / 2;
    let mut out = Vec::with_capacity(x.len() / samples * out_samples);
    for row in x.chunks_exact(samples) {
        for j in 0..out_samples {
            let centre = (j * factor) as isize;
            let mut acc = 0.0f64;
            for (k, &h) in taps.iter().enumerate() {
                let i = mirror(centre + k as isize - half as isize, row.len());
                acc += h * f64::from(row[i]);
            }
            out.push(acc as f32);
        }
    }
    out
}

/// The largest whole factor that brings `sfreq_hz` down to no less than
/// `target_hz` (1 when it already is at or below it).
pub fn decimation_factor(sfreq_hz: f64, target_hz: f64) -> usize {
    if !(sfreq_hz.is_finite() && target_hz.is_finite() && target_hz > 0.0) {
        return 1;
    }
    ((sfreq_hz / target_hz).floor() as usize).max(1)
}

/// Index `i` reflected into `0..len` about the ends (without repeating the
/// end sample).
fn mirror(mut i: isize, len: usize) -> usize {
    let len = len as isize;
    if len == 1 {
        return 0;
    }
    let period = 2 * (len - 1);
    i = i.rem_euclid(period);
    if i >= len {
        i = period - i;
    }
    i as usize
}

/// Windowed-sinc low-pass taps for decimation by `factor`, summing to 1.
fn lowpass_taps(factor: usize) -> Vec<f64> {
    if factor == 1 {
        return vec![1.0];
    }
    let n = 16 * factor + 1;
    let cutoff = 0.8 * 0.5 / factor as f64; // cycles per input sample
    let mid = (n / 2) as f64;
    let mut taps: Vec<f64> = (0..n)
        .map(|k| {
            let t = k as f64 - mid;
            let sinc = if t == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * PI * cutoff * t).sin() / (PI * t)
            };
            let hamming = 0.54 - 0.46 * (2.0 * PI * k as f64 / (n - 1) as f64).cos();
            sinc * hamming
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    for t in &mut taps {
        *t /= sum;
    }
    taps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(samples: usize, sfreq_hz: f64, f: impl Fn(usize) -> f32) -> Examples {
        Examples {
            channels: vec!["Cz".into()],
            sfreq_hz,
            samples,
            x: (0..samples).map(f).collect(),
            y: vec![0],
            subject: vec![0],
            recording: vec![0],
            onset_s: vec![0.0],
            classes: vec!["a".into()],
            subjects: vec!["01".into()],
            recordings: vec!["r".into()],
        }
    }

    #[test]
    fn decimation_keeps_slow_waves_and_removes_mains() {
        let fs = 256.0;
        let tone = |hz: f64| move |i: usize| (2.0 * PI * hz * i as f64 / fs).sin() as f32;
        let slow = examples(256, fs, tone(5.0)).decimate(4);
        assert_eq!(slow.samples, 64);
        assert_eq!(slow.sfreq_hz, 64.0);
        // Away from the mirrored ends the 5 Hz wave passes unchanged.
        for (j, v) in slow.x.iter().enumerate().skip(8).take(48) {
            let want = (2.0 * PI * 5.0 * (4 * j) as f64 / fs).sin() as f32;
            assert!((v - want).abs() < 0.01, "sample {j}: {v} vs {want}");
        }
        let mains = examples(256, fs, tone(60.0)).decimate(4);
        let peak = mains.x[8..56].iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(peak < 0.01, "60 Hz left at {peak} of its amplitude");
    }

    #[test]
    fn a_constant_stays_constant_up_to_the_edges() {
        let d = examples(100, 100.0, |_| 3.0).decimate(3);
        assert_eq!(d.samples, 34);
        assert!(d.x.iter().all(|v| (v - 3.0).abs() < 1e-5), "{:?}", d.x);
    }

    #[test]
    fn factors_and_checks() {
        assert_eq!(decimation_factor(256.0, 64.0), 4);
        assert_eq!(decimation_factor(250.0, 64.0), 3);
        assert_eq!(decimation_factor(64.0, 128.0), 1);
        assert_eq!(mirror(-2, 5), 2);
        assert_eq!(mirror(6, 5), 2);
        let mut e = examples(4, 100.0, |i| i as f32);
        assert!(e.check().is_ok());
        e.y = vec![3];
        let err = e.check().unwrap_err().to_string();
        assert!(err.contains("class index 3"), "{err}");
    }
}
