//! PREP's per-recording channel criteria, as PyPREP's `NoisyChannels`
//! runs them: NaN, flat, deviation, HF noise, correlation, SNR and
//! dropout, with PyPREP's default thresholds. RANSAC and PyPREP's PSD
//! criterion are not implemented.
//!
//! [`noisy_channels`] takes the EEG channels of one recording (all at one
//! rate, in µV, whole), detrends and low-passes them with [`super::filter`],
//! and combines [`super::quantiles`], [`super::hf_noise`] and
//! [`super::correlation`] into one [`PrepReport`]. Unlike the streaming
//! measures of [`super::moments`] and its neighbours, it holds the
//! recording in memory as f64, twice (detrended and low-passed), as PyPREP
//! does: 64 channels of one hour at 512 Hz take 1.9 GB.

use serde::{Deserialize, Serialize};

use super::correlation::{WindowCorrelation, WindowVerdict};
use super::filter::{filtfilt, highpass_kernel, prep_lowpass_kernel, zero_phase, Fir};
use super::hf_noise::hf_noise_ratio;
use super::moments::Moments;
use super::quantiles::{QuantileMethod, Scratch};

/// Scales an IQR to the standard deviation of a normal, as PREP writes it.
pub const IQR_TO_SD: f64 = 0.7413;
/// Scales a MAD to the standard deviation of a normal, as PREP writes it.
pub const MAD_TO_SD: f64 = 1.4826;

/// Thresholds and options, PyPREP 0.9's defaults.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrepConfig {
    /// High-pass the channels at [`PrepConfig::highpass_hz`] first
    /// (`do_detrend=True`). Default true.
    pub detrend: bool,
    /// Detrend cut-off, Hz. Default 1.
    pub highpass_hz: f64,
    /// Flat when the MAD or the standard deviation is below this, µV.
    /// Default 1e-9 µV (PyPREP's 1e-15 V).
    pub flat_threshold_uv: f64,
    /// Bad by deviation when `|z| >` this. Default 5.
    pub deviation_threshold: f64,
    /// Bad by HF noise when `z >` this. Default 5.
    pub hf_noise_threshold: f64,
    /// Correlation window, s. Default 1.
    pub correlation_window_s: f64,
    /// A window is bad for a channel when its maximal correlation is below
    /// this. Default 0.4.
    pub correlation_threshold: f64,
    /// Bad by correlation (or dropout) when more than this share of the
    /// windows is bad (or in dropout). Default 0.01.
    pub bad_window_fraction: f64,
}

impl Default for PrepConfig {
    fn default() -> PrepConfig {
        PrepConfig {
            detrend: true,
            highpass_hz: 1.0,
            flat_threshold_uv: 1e-9,
            deviation_threshold: 5.0,
            hf_noise_threshold: 5.0,
            correlation_window_s: 1.0,
            correlation_threshold: 0.4,
            bad_window_fraction: 0.01,
        }
    }
}

/// The criteria of one channel: flags and the statistics behind them.
/// Statistics are `None` where PREP does not compute them (unusable
/// channels, rates at or below 100 Hz, no complete window) or where they
/// are undefined.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelCriteria {
    /// Holds NaN or ±Inf.
    pub nan: bool,
    /// MAD or standard deviation below the flat threshold.
    pub flat: bool,
    /// Robust amplitude far from the other channels'.
    pub deviation: bool,
    /// More high-frequency content than the other channels.
    pub hf_noise: bool,
    /// Too many windows without a well-correlated partner.
    pub correlation: bool,
    /// Both `hf_noise` and `correlation` (PREP's low SNR).
    pub snr: bool,
    /// Too many windows in dropout (zero MAD after the low-pass).
    pub dropout: bool,
    /// Robust amplitude `0.7413 · IQR` (MATLAB quantiles), µV.
    pub amplitude_uv: Option<f64>,
    /// `(amplitude - median) / (0.7413 · IQR of amplitudes)` across the
    /// usable channels.
    pub deviation_z: Option<f64>,
    /// [`hf_noise_ratio`].
    pub hf_noise_ratio: Option<f64>,
    /// `(ratio - median) / (1.4826 · MAD of ratios)`.
    pub hf_noise_z: Option<f64>,
    /// Share of windows whose maximal correlation is below the threshold.
    pub bad_correlation_fraction: Option<f64>,
    /// Median over windows of the maximal correlation.
    pub median_max_correlation: Option<f64>,
    /// Share of windows in dropout.
    pub dropout_fraction: Option<f64>,
}

impl ChannelCriteria {
    /// Whether any criterion flags the channel.
    pub fn is_bad(&self) -> bool {
        self.reasons().next().is_some()
    }

    /// The criteria that flag the channel, by PyPREP's names (`nan`,
    /// `flat`, `deviation`, `hf_noise`, `correlation`, `SNR`, `dropout`).
    pub fn reasons(&self) -> impl Iterator<Item = &'static str> {
        [
            (self.nan, "nan"),
            (self.flat, "flat"),
            (self.deviation, "deviation"),
            (self.hf_noise, "hf_noise"),
            (self.correlation, "correlation"),
            (self.snr, "SNR"),
            (self.dropout, "dropout"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
    }
}

/// The criteria of every channel of a recording, with the recording-level
/// statistics they were judged against.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PrepReport {
    /// One entry per input channel, in input order.
    pub channels: Vec<ChannelCriteria>,
    /// Median robust amplitude of the usable channels, µV.
    pub median_amplitude_uv: Option<f64>,
    /// `0.7413 · IQR` of the usable channels' amplitudes, µV.
    pub amplitude_sd_uv: Option<f64>,
    /// Median HF-noise ratio of the usable channels.
    pub median_hf_noise_ratio: Option<f64>,
    /// `1.4826 · MAD` of the usable channels' HF-noise ratios.
    pub hf_noise_ratio_sd: Option<f64>,
    /// Correlation windows examined.
    pub windows: usize,
}

/// Runs PREP's channel criteria on one recording.
///
/// `channels` are the recording's EEG channels, each a whole signal in µV
/// at `sfreq_hz` (all of one length). The steps, as PyPREP 0.9's
/// `NoisyChannels(raw, do_detrend=True, ransac=False)` followed by
/// `find_bad_by_deviation`, `find_bad_by_hfnoise`, `find_bad_by_correlation`
/// and `find_bad_by_SNR`:
///
/// 1. Detrend: the 1 Hz high-pass of [`super::filter::highpass_kernel`].
/// 2. NaN: the channel holds NaN or ±Inf. Flat: MAD or population standard
///    deviation below 1e-9 µV. Both are unusable and skip the rest.
/// 3. Deviation: amplitude `a = 0.7413 · IQR` (MATLAB quantiles), robust
///    z against the median and `0.7413 · IQR` of the usable channels'
///    amplitudes; bad when `|z| > 5` or z is undefined.
/// 4. HF noise, above 100 Hz only: the low-pass of
///    [`super::filter::prep_lowpass_kernel`] by filtfilt, ratio of
///    [`hf_noise_ratio`], robust z against the median and `1.4826 · MAD` of
///    the ratios; bad when `z > 5` (one-sided) or undefined.
/// 5. Correlation and dropout: windows of `⌊sfreq · 1 s⌋` samples of the
///    low-passed channels (the unfiltered channels at or below 100 Hz),
///    PyPREP's count `⌈(n - w - 1) / w⌉` of them from the start;
///    [`WindowCorrelation`] per window; bad by correlation when more than
///    1 % of the windows have a maximal correlation below 0.4 (dropout
///    windows count as 0), bad by dropout when more than 1 % are in
///    dropout.
/// 6. SNR: bad by both HF noise and correlation.
///
/// # Where it differs from PyPREP
///
/// - NaN: any NaN or ±Inf flags the channel; PyPREP tests for NaN in the
///   sum of the detrended channel, which catches ±Inf only through the
///   filter's arithmetic.
/// - HF noise: a channel whose low-passed MAD is zero has no ratio and is
///   flagged alone; PyPREP's 0/0 gives NaN, which makes the spread NaN and
///   flags every channel of the recording.
/// - Dropout, as in PyPREP, needs a window whose low-passed signal has
///   zero MAD. After the default 1 Hz high-pass a flat stretch is no longer
///   exactly flat, so a channel that drops out for seconds is flagged by
///   correlation, not dropout; [`super::flatness`] sees such stretches
///   directly.
/// - Low amplitude: a dead channel's z is `-median / spread`, which need
///   not reach -5 (PyPREP issue 83); this criterion, like PyPREP's, can
///   miss it. Flatness and the amplitude histogram catch such channels.
///
/// # Panics
///
/// If the channels differ in length.
///
/// # Example
///
/// ```
/// use preflight::measure::prep::{noisy_channels, PrepConfig};
///
/// // Eight channels sharing a 10 Hz rhythm; channel 3 dead, channel 5 ten
/// // times too large.
/// let fs = 128.0;
/// let mut seed = 3_u64;
/// let mut noise = move || {
///     seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
///     (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5
/// };
/// let channels: Vec<Vec<f64>> = (0..8)
///     .map(|c| {
///         (0..1280)
///             .map(|n| {
///                 let rhythm = 20.0 * (2.0 * std::f64::consts::PI * 10.0 * n as f64 / fs).sin();
///                 let gain = if c == 5 { 10.0 } else { 1.0 + 0.05 * c as f64 };
///                 if c == 3 { 7.0 } else { gain * rhythm + 4.0 * noise() }
///             })
///             .collect()
///     })
///     .collect();
/// let report = noisy_channels(channels, fs, &PrepConfig::default());
/// assert!(report.channels[3].flat);
/// assert!(report.channels[5].deviation);
/// assert!(!report.channels[0].is_bad());
/// ```
pub fn noisy_channels(
    mut channels: Vec<Vec<f64>>,
    sfreq_hz: f64,
    config: &PrepConfig,
) -> PrepReport {
    let n = channels.first().map_or(0, Vec::len);
    assert!(
        channels.iter().all(|c| c.len() == n),
        "channels differ in length"
    );
    let mut report = PrepReport {
        channels: vec![ChannelCriteria::default(); channels.len()],
        ..PrepReport::default()
    };
    if n == 0 {
        return report;
    }
    let mut scratch = Scratch::new();

    // 1. Detrend.
    if config.detrend {
        let fir = Fir::new(highpass_kernel(sfreq_hz, config.highpass_hz));
        for c in &mut channels {
            *c = zero_phase(&fir, c);
        }
    }

    // 2. NaN and flat channels are unusable.
    let mut usable = Vec::with_capacity(channels.len());
    for (i, c) in channels.iter().enumerate() {
        let m = Moments::of(c);
        let crit = &mut report.channels[i];
        if m.count() < m.total() {
            crit.nan = true;
            continue;
        }
        scratch.load(c);
        let mad = scratch.mad().unwrap_or(0.0);
        let std = m.std(0).unwrap_or(0.0);
        if mad < config.flat_threshold_uv || std < config.flat_threshold_uv {
            crit.flat = true;
            continue;
        }
        usable.push(i);
    }

    // 3. Deviation.
    for &i in &usable {
        scratch.load(&channels[i]);
        report.channels[i].amplitude_uv =
            scratch.iqr(QuantileMethod::Matlab).map(|q| q * IQR_TO_SD);
    }
    let amplitudes: Vec<f64> = usable
        .iter()
        .filter_map(|&i| report.channels[i].amplitude_uv)
        .collect();
    scratch.load(&amplitudes);
    let median = scratch.median();
    let spread = scratch.iqr(QuantileMethod::Matlab).map(|q| q * IQR_TO_SD);
    report.median_amplitude_uv = median;
    report.amplitude_sd_uv = spread;
    for &i in &usable {
        let crit = &mut report.channels[i];
        crit.deviation_z = robust_z(crit.amplitude_uv, median, spread);
        crit.deviation = crit
            .deviation_z
            .is_none_or(|z| z.abs() > config.deviation_threshold);
    }

    // 4. HF noise, on the low-passed channels.
    let filtered: Vec<Vec<f64>> = if sfreq_hz > 100.0 {
        let fir = Fir::new(prep_lowpass_kernel(sfreq_hz));
        usable
            .iter()
            .map(|&i| filtfilt(&fir, &channels[i]).unwrap_or_else(|| channels[i].clone()))
            .collect()
    } else {
        usable.iter().map(|&i| channels[i].clone()).collect()
    };
    if sfreq_hz > 100.0 {
        for (&i, low) in usable.iter().zip(&filtered) {
            report.channels[i].hf_noise_ratio = hf_noise_ratio(&channels[i], low, &mut scratch);
        }
        let ratios: Vec<f64> = usable
            .iter()
            .filter_map(|&i| report.channels[i].hf_noise_ratio)
            .collect();
        scratch.load(&ratios);
        let median = scratch.median();
        let spread = scratch.mad().map(|m| m * MAD_TO_SD);
        report.median_hf_noise_ratio = median;
        report.hf_noise_ratio_sd = spread;
        for &i in &usable {
            let crit = &mut report.channels[i];
            crit.hf_noise_z = robust_z(crit.hf_noise_ratio, median, spread);
            crit.hf_noise = crit
                .hf_noise_z
                .is_none_or(|z| z > config.hf_noise_threshold);
        }
    }

    // 5. Correlation and dropout, window by window.
    let w = (config.correlation_window_s * sfreq_hz) as usize;
    let windows = if w == 0 || n <= w + 1 {
        0
    } else {
        (n - w - 1).div_ceil(w)
    };
    report.windows = windows;
    if windows > 0 {
        let mut wc = WindowCorrelation::new();
        let mut max_corr = vec![Vec::with_capacity(windows); usable.len()];
        let mut dropouts = vec![0_usize; usable.len()];
        for k in 0..windows {
            let slices: Vec<&[f64]> = filtered.iter().map(|f| &f[k * w..(k + 1) * w]).collect();
            for (u, verdict) in wc.verdicts(&slices).into_iter().enumerate() {
                match verdict {
                    WindowVerdict::Dropout => {
                        dropouts[u] += 1;
                        max_corr[u].push(0.0);
                    }
                    WindowVerdict::MaxCorrelation(r) => max_corr[u].push(r),
                }
            }
        }
        for (u, &i) in usable.iter().enumerate() {
            let low = max_corr[u]
                .iter()
                .filter(|&&r| r < config.correlation_threshold)
                .count();
            let bad = low as f64 / windows as f64;
            let drop = dropouts[u] as f64 / windows as f64;
            scratch.load(&max_corr[u]);
            let crit = &mut report.channels[i];
            crit.bad_correlation_fraction = Some(bad);
            crit.dropout_fraction = Some(drop);
            crit.median_max_correlation = scratch.median();
            crit.correlation = bad > config.bad_window_fraction;
            crit.dropout = drop > config.bad_window_fraction;
        }
    }

    // 6. SNR.
    for crit in &mut report.channels {
        crit.snr = crit.hf_noise && crit.correlation;
    }
    report
}

/// `(value - median) / spread`; `None` when any part is missing or the
/// result is not finite (zero spread).
fn robust_z(value: Option<f64>, median: Option<f64>, spread: Option<f64>) -> Option<f64> {
    let z = (value? - median?) / spread?;
    z.is_finite().then_some(z)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use std::f64::consts::PI;

    /// Twenty channels at 256 Hz sharing a 10 Hz rhythm and a common slow
    /// signal, each with its own noise.
    fn recording(seed: u64, seconds: usize) -> Vec<Vec<f64>> {
        let fs = 256.0;
        let n = seconds * 256;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let common: Vec<f64> = (0..n)
            .map(|k| {
                15.0 * (2.0 * PI * 10.0 * k as f64 / fs).sin()
                    + 10.0 * (2.0 * PI * 3.0 * k as f64 / fs).cos()
            })
            .collect();
        (0..20)
            .map(|c| {
                let gain = 0.8 + 0.02 * c as f64;
                common
                    .iter()
                    .map(|v| gain * v + 3.0 * (rng.random::<f64>() - 0.5))
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_clean_recording_has_no_bad_channel() {
        let report = noisy_channels(recording(91, 30), 256.0, &PrepConfig::default());
        assert_eq!(report.windows, 29);
        for (i, c) in report.channels.iter().enumerate() {
            assert!(
                !c.is_bad(),
                "channel {i}: {:?}",
                c.reasons().collect::<Vec<_>>()
            );
        }
    }

    #[test]
    fn planted_faults_are_flagged_by_their_criterion() {
        let fs = 256.0;
        let mut channels = recording(92, 30);
        let n = channels[0].len();
        let mut rng = ChaCha8Rng::seed_from_u64(93);
        channels[1][100] = f64::NAN;
        channels[2] = vec![-120.0; n];
        for v in &mut channels[3] {
            *v *= 20.0;
        }
        for (k, v) in channels[4].iter_mut().enumerate() {
            *v += 60.0 * (2.0 * PI * 60.0 * k as f64 / fs).sin();
        }
        channels[5] = (0..n).map(|_| 30.0 * (rng.random::<f64>() - 0.5)).collect();
        let report = noisy_channels(channels, fs, &PrepConfig::default());
        let c = &report.channels;
        assert!(c[1].nan && !c[1].flat);
        assert!(c[2].flat);
        assert!(c[3].deviation);
        assert!(c[4].hf_noise);
        assert!(c[5].correlation && c[5].hf_noise && c[5].snr);
        for (i, crit) in c.iter().enumerate().skip(6) {
            assert!(
                !crit.is_bad(),
                "channel {i}: {:?}",
                crit.reasons().collect::<Vec<_>>()
            );
        }
    }

    /// PyPREP 0.9 on the same layout (checked when writing this): a 10 s
    /// flat stretch is bad by correlation, not by dropout, with the
    /// default detrend, because the high-pass smears the stretch's edges
    /// over it; without the detrend the low-passed stretch is exactly
    /// constant and it is bad by dropout in 10 of 29 windows.
    #[test]
    fn dropout_needs_exact_flatness_after_filtering() {
        let mut channels = recording(94, 30);
        for v in &mut channels[6][2560..5120] {
            *v = 4.0;
        }
        let report = noisy_channels(channels.clone(), 256.0, &PrepConfig::default());
        let c6 = &report.channels[6];
        assert!(c6.correlation && !c6.dropout, "{c6:?}");
        let raw = PrepConfig {
            detrend: false,
            ..PrepConfig::default()
        };
        let report = noisy_channels(channels, 256.0, &raw);
        let c6 = &report.channels[6];
        assert!(c6.dropout && c6.correlation, "{c6:?}");
        // Windows 10 to 19: window 10 is mostly flat, so its MAD is 0.
        assert_eq!(c6.dropout_fraction, Some(10.0 / 29.0));
    }

    #[test]
    fn empty_recording_reports_nothing() {
        let report = noisy_channels(vec![Vec::new(); 3], 256.0, &PrepConfig::default());
        assert_eq!(report.channels.len(), 3);
        assert!(report.channels.iter().all(|c| !c.is_bad()));
        assert_eq!(report.windows, 0);
    }
}
