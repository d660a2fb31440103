//! PREP's inter-channel correlation of one window: each channel's highest
//! absolute correlation with the other channels, and dropout.
//!
//! [`WindowCorrelation`] holds the buffers for one recording's channel
//! count and window length and is reused window after window;
//! [`super::prep`] runs it over consecutive one-second windows of the
//! low-passed channels ([`super::filter`]) to decide bad-by-correlation and
//! bad-by-dropout.

use super::quantiles::{quantile_in_place, QuantileMethod, Scratch};

/// What one window says about one channel.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum WindowVerdict {
    /// The channel does not move in this window (zero MAD): PREP calls it
    /// dropout and gives it a maximal correlation of 0.
    Dropout,
    /// PREP's "maximal correlation": the 98th percentile (MATLAB method) of
    /// the channel's absolute correlations with the channels not in
    /// dropout, its own entry counted as 0.
    MaxCorrelation(f64),
}

/// Correlations of one window across channels, PREP's way.
///
/// # Definition
///
/// Channels with zero MAD in the window are in dropout. For the others,
/// `r_ij` is Pearson's correlation over the window (as `numpy.corrcoef`),
/// clipped to `[-1, 1]`; `|r_ii|` is set to 0; channel `i`'s maximal
/// correlation is the 98th percentile (MATLAB's method, see
/// [`QuantileMethod::Matlab`]) of `|r_ij|` over those channels, its own 0
/// included. With 64 channels that is an interpolation between the two
/// largest correlations; a channel that correlates with no other is near
/// 0. Reference: PyPREP's `find_bad_by_correlation`.
///
/// A channel that moves but has no other non-dropout channel to compare
/// with gets `MaxCorrelation(0.0)`. A window holding NaN gives NaN
/// correlations for its channel, which never count as below a threshold;
/// PREP removes NaN channels before this step.
///
/// # Example
///
/// ```
/// use preflight::measure::correlation::{WindowCorrelation, WindowVerdict};
///
/// let a: Vec<f64> = (0..160).map(|n| (n as f64 * 0.3).sin()).collect();
/// let b: Vec<f64> = a.iter().map(|v| 2.0 * v + 1.0).collect();
/// let c: Vec<f64> = (0..160).map(|n| ((n * n % 17) as f64) - 8.0).collect();
/// let flat = vec![5.0; 160];
/// let mut wc = WindowCorrelation::new();
/// let v = wc.verdicts(&[&a, &b, &c, &flat]);
/// assert!(matches!(v[0], WindowVerdict::MaxCorrelation(r) if r > 0.99));
/// assert!(matches!(v[2], WindowVerdict::MaxCorrelation(r) if r < 0.4));
/// assert_eq!(v[3], WindowVerdict::Dropout);
/// ```
#[derive(Debug, Default)]
pub struct WindowCorrelation {
    centred: Vec<Vec<f64>>,
    norms: Vec<f64>,
    column: Vec<f64>,
    scratch: Scratch,
}

impl WindowCorrelation {
    /// Empty buffers, grown on first use.
    pub fn new() -> WindowCorrelation {
        WindowCorrelation::default()
    }

    /// The verdict for each channel of a window, one slice per channel (all
    /// of one length).
    ///
    /// # Panics
    ///
    /// If the slices differ in length.
    pub fn verdicts(&mut self, window: &[&[f64]]) -> Vec<WindowVerdict> {
        let len = window.first().map_or(0, |w| w.len());
        assert!(
            window.iter().all(|w| w.len() == len),
            "window slices differ in length"
        );

        // Dropout: zero MAD.
        let mut active = Vec::with_capacity(window.len());
        for (i, w) in window.iter().enumerate() {
            self.scratch.load(w);
            if self.scratch.mad().is_some_and(|m| m > 0.0) {
                active.push(i);
            }
        }

        // Centre the active channels and take their norms.
        self.centred.resize_with(active.len(), Vec::new);
        self.norms.clear();
        for (slot, &i) in self.centred.iter_mut().zip(&active) {
            let w = window[i];
            let mean = w.iter().sum::<f64>() / len as f64;
            slot.clear();
            slot.extend(w.iter().map(|v| v - mean));
            self.norms
                .push(slot.iter().map(|v| v * v).sum::<f64>().sqrt());
        }

        // Absolute correlations, column by column, then the percentile.
        let mut verdicts = vec![WindowVerdict::Dropout; window.len()];
        let k = active.len();
        let mut matrix = vec![0.0; k * k];
        for a in 0..k {
            for b in a + 1..k {
                let dot: f64 = self.centred[a]
                    .iter()
                    .zip(&self.centred[b])
                    .map(|(x, y)| x * y)
                    .sum();
                let r = (dot / (self.norms[a] * self.norms[b]))
                    .clamp(-1.0, 1.0)
                    .abs();
                matrix[a * k + b] = r;
                matrix[b * k + a] = r;
            }
        }
        for (a, &i) in active.iter().enumerate() {
            self.column.clear();
            self.column.extend_from_slice(&matrix[a * k..(a + 1) * k]);
            let q = quantile_in_place(&mut self.column, 0.98, QuantileMethod::Matlab);
            verdicts[i] = WindowVerdict::MaxCorrelation(q.unwrap_or(0.0));
        }
        verdicts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Pearson's r straight from its definition.
    fn pearson(x: &[f64], y: &[f64]) -> f64 {
        let n = x.len() as f64;
        let (mx, my) = (x.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let cov: f64 = x.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let vx: f64 = x.iter().map(|a| (a - mx).powi(2)).sum();
        let vy: f64 = y.iter().map(|b| (b - my).powi(2)).sum();
        cov / (vx * vy).sqrt()
    }

    #[test]
    fn max_correlation_is_the_matlab_98th_percentile_of_abs_r() {
        let mut rng = ChaCha8Rng::seed_from_u64(81);
        let base: Vec<f64> = (0..160).map(|_| rng.random::<f64>()).collect();
        let channels: Vec<Vec<f64>> = (0..10)
            .map(|c| {
                base.iter()
                    .map(|b| b * c as f64 * 0.1 + rng.random::<f64>())
                    .collect()
            })
            .collect();
        let refs: Vec<&[f64]> = channels.iter().map(|c| c.as_slice()).collect();
        let got = WindowCorrelation::new().verdicts(&refs);
        for i in 0..10 {
            let mut col: Vec<f64> = (0..10)
                .map(|j| {
                    if i == j {
                        0.0
                    } else {
                        pearson(&channels[i], &channels[j]).abs()
                    }
                })
                .collect();
            col.sort_by(f64::total_cmp);
            // MATLAB position n q - 1/2 = 9.3 for n = 10.
            let want = col[9];
            let WindowVerdict::MaxCorrelation(r) = got[i] else {
                panic!("channel {i} in dropout")
            };
            assert!((r - want).abs() < 1e-12, "{i}: {r} vs {want}");
        }
    }

    #[test]
    fn a_lone_moving_channel_has_zero_correlation() {
        let moving: Vec<f64> = (0..50).map(|n| n as f64).collect();
        let v = WindowCorrelation::new().verdicts(&[&moving, &[1.0; 50]]);
        assert_eq!(
            v,
            [WindowVerdict::MaxCorrelation(0.0), WindowVerdict::Dropout]
        );
    }
}
