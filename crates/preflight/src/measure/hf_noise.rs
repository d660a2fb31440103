//! PREP's high-frequency noise ratio of one channel.
//!
//! The ratio compares what PREP's low-pass of [`super::filter`] removes
//! (content above about 50 Hz: muscle, 60 Hz mains, a loose contact) with
//! what it keeps. [`super::prep`] turns the ratios of a recording's
//! channels into robust z-scores and flags outliers; PREP's correlation
//! windows use the same ratio per window.

use super::filter::{filtfilt, prep_lowpass_kernel, Fir};
use super::quantiles::Scratch;

/// PREP's noisiness `MAD(x - x̃) / MAD(x̃)`, where `x̃` is `x` low-passed
/// and MAD is the unscaled median absolute deviation.
///
/// Dimensionless: the amplitude of the content above the low-pass edge
/// relative to the content below it. On the 14 runs of eegmmidb_S001 (160
/// Hz, 64 channels) the median channel's ratio is 0.11 to 0.16, spread
/// (1.4826 MAD) 0.01 to 0.03; a sine at 60 Hz as large as the signal
/// below 45 Hz gives about 1 (see the example).
///
/// Reference: Bigdely-Shamlo et al. (2015), "The PREP pipeline",
/// Frontiers in Neuroinformatics 9:16, and PyPREP's `find_bad_by_hfnoise`.
///
/// `x` and `lowpassed` must have the same length (the caller low-passes,
/// so that the filtered channel can be reused, as PREP does for the
/// correlation windows). NaN samples are dropped from both MADs. `None`
/// when the input is empty or the low-passed channel has zero MAD (a
/// flat channel or one in dropout), where PyPREP would divide by zero.
///
/// # Panics
///
/// If the lengths differ.
///
/// ```
/// use preflight::measure::hf_noise::{hf_noise_ratio, hf_noise_ratio_of};
/// use preflight::measure::quantiles::Scratch;
///
/// let fs = 256.0;
/// let tone = |f: f64, a: f64| {
///     (0..5120).map(move |n| a * (2.0 * std::f64::consts::PI * f * n as f64 / fs).sin())
/// };
/// let clean: Vec<f64> = tone(10.0, 20.0).collect();
/// let hum: Vec<f64> = tone(10.0, 20.0).zip(tone(60.0, 20.0)).map(|(a, b)| a + b).collect();
/// assert!(hf_noise_ratio_of(&clean, fs).unwrap() < 0.01);
/// assert!(hf_noise_ratio_of(&hum, fs).unwrap() > 0.9);
/// let mut scratch = Scratch::new();
/// assert_eq!(hf_noise_ratio(&[1.0; 4], &[1.0; 4], &mut scratch), None);
/// ```
pub fn hf_noise_ratio(x: &[f64], lowpassed: &[f64], scratch: &mut Scratch) -> Option<f64> {
    assert_eq!(
        x.len(),
        lowpassed.len(),
        "channel and low-passed channel differ in length"
    );
    scratch.load(lowpassed);
    let low = scratch.mad()?;
    if low == 0.0 {
        return None;
    }
    let residual: Vec<f64> = x.iter().zip(lowpassed).map(|(a, b)| a - b).collect();
    scratch.load(&residual);
    Some(scratch.mad()? / low)
}

/// [`hf_noise_ratio`] of a whole channel, low-passed here with PREP's
/// filter. `None` at or below 100 Hz (PREP does not measure HF noise there:
/// the 50 Hz edge would pass Nyquist), for a channel too short to filter
/// (303 samples or fewer), or where [`hf_noise_ratio`] is `None`.
pub fn hf_noise_ratio_of(x: &[f64], sfreq_hz: f64) -> Option<f64> {
    if sfreq_hz <= 100.0 {
        return None;
    }
    let fir = Fir::new(prep_lowpass_kernel(sfreq_hz));
    let lowpassed = filtfilt(&fir, x)?;
    hf_noise_ratio(x, &lowpassed, &mut Scratch::new())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::quantiles::mad;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn ratio_is_mad_of_residual_over_mad_of_lowpassed() {
        let mut rng = ChaCha8Rng::seed_from_u64(71);
        let x: Vec<f64> = (0..999).map(|_| rng.random::<f64>() * 50.0).collect();
        let low: Vec<f64> = x.iter().map(|v| 0.8 * v + 3.0).collect();
        let residual: Vec<f64> = x.iter().zip(&low).map(|(a, b)| a - b).collect();
        let want = mad(&residual).unwrap() / mad(&low).unwrap();
        assert_eq!(hf_noise_ratio(&x, &low, &mut Scratch::new()), Some(want));
    }

    #[test]
    fn low_rates_and_short_channels_are_none() {
        assert_eq!(hf_noise_ratio_of(&[0.0; 5000], 100.0), None);
        assert_eq!(hf_noise_ratio_of(&[0.0; 300], 256.0), None);
    }
}
