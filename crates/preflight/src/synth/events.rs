//! The stimuli of each recording: when they come, and which are targets.
//!
//! Every recording holds the same number of stimuli, one every `isi_s`
//! seconds from 1 s after the start, each onset jittered by up to ±10% of
//! the interval and placed on a sample. Targets are shared out over the
//! recordings so that the whole dataset has exactly
//! `round(target_share × stimuli)` of them; which stimuli of a recording
//! are targets is drawn from its seed.

use rand::seq::SliceRandom;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// Time before the first stimulus, in seconds.
pub const LEAD_S: f64 = 1.0;

/// Time kept free after the last stimulus's latest onset, in seconds: the
/// window of the NumPy layout ends 0.8 s after an onset.
pub const TAIL_S: f64 = 0.8;

/// Label of a target stimulus in `events.tsv` and EDF+ annotations.
pub const TARGET: &str = "target";

/// Label of a non-target stimulus.
pub const STANDARD: &str = "standard";

/// One stimulus.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stimulus {
    /// Onset, as a sample index from the start of the recording.
    pub sample: usize,
    /// Whether it is a target.
    pub is_target: bool,
}

impl Stimulus {
    /// The label written to `events.tsv`.
    pub fn label(&self) -> &'static str {
        if self.is_target {
            TARGET
        } else {
            STANDARD
        }
    }
}

/// Stimuli that fit a run of `duration_s` seconds with onsets every
/// `isi_s` seconds.
pub fn events_per_recording(duration_s: f64, isi_s: f64) -> usize {
    let room = duration_s - LEAD_S - TAIL_S - 0.1 * isi_s;
    if room < 0.0 || isi_s <= 0.0 {
        0
    } else {
        (room / isi_s).floor() as usize + 1
    }
}

/// Targets of recording `index` out of `recordings`, each of `per_recording`
/// stimuli, so that all recordings together hold
/// `round(share × recordings × per_recording)` targets, spread as evenly as
/// whole numbers allow.
///
/// ```
/// use preflight::synth::events::targets_of;
/// let total: usize = (0..80).map(|i| targets_of(i, 80, 299, 0.076)).sum();
/// assert_eq!(total, 1818); // 7.6% of 23,920
/// ```
pub fn targets_of(index: usize, recordings: usize, per_recording: usize, share: f64) -> usize {
    let total = (share * (recordings * per_recording) as f64).round() as usize;
    let upto = |i: usize| (i * total) / recordings.max(1);
    (upto(index + 1) - upto(index)).min(per_recording)
}

/// The stimuli of one recording, in time order.
pub fn schedule(
    count: usize,
    targets: usize,
    isi_s: f64,
    sfreq_hz: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<Stimulus> {
    let mut is_target = vec![false; count];
    for t in is_target.iter_mut().take(targets) {
        *t = true;
    }
    is_target.shuffle(rng);
    is_target
        .into_iter()
        .enumerate()
        .map(|(k, is_target)| {
            let jitter = rng.random_range(-0.1..=0.1) * isi_s;
            let onset_s = LEAD_S + k as f64 * isi_s + jitter;
            Stimulus {
                sample: (onset_s * sfreq_hz).round() as usize,
                is_target,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn stimuli_fit_the_run_and_targets_are_exact() {
        let n = events_per_recording(60.0, 1.0);
        assert_eq!(n, 59);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let s = schedule(n, 5, 1.0, 256.0, &mut rng);
        assert_eq!(s.iter().filter(|s| s.is_target).count(), 5);
        let last = s.last().expect("stimuli").sample as f64 / 256.0;
        assert!(last + 0.8 <= 60.0, "{last}");
        assert!(s.windows(2).all(|w| w[0].sample < w[1].sample));
        assert_eq!(events_per_recording(1.5, 1.0), 0);
    }
}
