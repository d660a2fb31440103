//! Exact quantiles, median, MAD and IQR of a window of samples.
//!
//! A window (one second, one epoch, one channel of a short recording) fits
//! in memory, so its quantiles are computed exactly by selection
//! (`select_nth_unstable`, O(n) on average) in a reusable [`Scratch`]
//! buffer, with no allocation once the buffer has grown. For recordings and
//! datasets that do not fit, [`super::sketch`] gives mergeable estimates
//! with a stated error bound. The PREP criteria of [`super::prep`] use
//! these functions with [`QuantileMethod::Matlab`], as PyPREP does.

/// How a quantile between two order statistics is interpolated.
///
/// For `n` sorted values `x_0 <= … <= x_{n-1}` and a probability `q`, both
/// methods take the position `h` below and return
/// `x_⌊h⌋ + (h - ⌊h⌋)(x_⌈h⌉ - x_⌊h⌋)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum QuantileMethod {
    /// `h = (n - 1) q`: numpy's default (`method="linear"`), type 7 of
    /// Hyndman and Fan (1996).
    #[default]
    Linear,
    /// `h = n q - 1/2`, clamped to `[0, n - 1]`: MATLAB's `quantile`, type 5
    /// of Hyndman and Fan, and PyPREP's `_mat_quantile` (which writes it as
    /// `(n - 1) clip((q - 1/2) n / (n - 1) + 1/2, 0, 1)`). With one value,
    /// that value.
    Matlab,
}

impl QuantileMethod {
    /// The fractional position `h` of quantile `q` among `n >= 1` values.
    fn position(self, q: f64, n: usize) -> f64 {
        let last = (n - 1) as f64;
        match self {
            QuantileMethod::Linear => last * q,
            QuantileMethod::Matlab => (n as f64 * q - 0.5).clamp(0.0, last),
        }
    }
}

/// A reusable buffer for exact quantiles of windows.
///
/// [`Scratch::load`] copies a window into the buffer as f64, dropping NaN
/// (as numpy's `nanquantile` does); ±Inf stay and sort to the ends. The
/// buffer keeps its capacity, so a loop over windows allocates only while
/// the buffer grows.
///
/// # Example
///
/// ```
/// use preflight::measure::quantiles::{QuantileMethod, Scratch};
///
/// let mut s = Scratch::new();
/// s.load(&[4.0_f32, 1.0, f32::NAN, 3.0, 2.0]);
/// assert_eq!(s.len(), 4);
/// assert_eq!(s.median(), Some(2.5));
/// assert_eq!(s.quantile(0.25, QuantileMethod::Linear), Some(1.75));
/// assert_eq!(s.quantile(0.25, QuantileMethod::Matlab), Some(1.5));
/// ```
#[derive(Clone, Debug, Default)]
pub struct Scratch {
    buf: Vec<f64>,
}

impl Scratch {
    /// An empty buffer.
    pub fn new() -> Scratch {
        Scratch::default()
    }

    /// Replaces the buffer's contents by the non-NaN values of `samples`.
    pub fn load<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        self.buf.clear();
        self.buf
            .extend(samples.iter().map(|&x| x.into()).filter(|x| !x.is_nan()));
    }

    /// Values held (NaN excluded).
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether no value is held.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Quantile `q` (in `[0, 1]`) of the loaded values; `None` when no
    /// value is loaded. Reorders the buffer, never changes its contents.
    ///
    /// # Panics
    ///
    /// If `q` is outside `[0, 1]` or NaN.
    pub fn quantile(&mut self, q: f64, method: QuantileMethod) -> Option<f64> {
        quantile_in_place(&mut self.buf, q, method)
    }

    /// Median (`q = 0.5`; both methods agree).
    pub fn median(&mut self) -> Option<f64> {
        self.quantile(0.5, QuantileMethod::Linear)
    }

    /// Interquartile range `Q(0.75) - Q(0.25)`, in the units of the samples.
    pub fn iqr(&mut self, method: QuantileMethod) -> Option<f64> {
        let hi = self.quantile(0.75, method)?;
        let lo = self.quantile(0.25, method)?;
        Some(hi - lo)
    }

    /// Median absolute deviation `median(|x - median(x)|)`, unscaled (multiply
    /// by 1.4826 for the standard deviation of a normal), in the units of the
    /// samples. Overwrites the buffer with the absolute deviations, so load
    /// again before asking for other quantiles.
    pub fn mad(&mut self) -> Option<f64> {
        let median = self.median()?;
        for x in &mut self.buf {
            *x = (*x - median).abs();
        }
        self.median()
    }
}

/// Quantile `q` of `values` (NaN must not be present), reordering them.
/// `None` for an empty slice. See [`QuantileMethod`] for the formula.
///
/// # Panics
///
/// If `q` is outside `[0, 1]` or NaN.
///
/// ```
/// use preflight::measure::quantiles::{quantile_in_place, QuantileMethod};
///
/// let mut x = [10.0, 0.0, 5.0];
/// assert_eq!(quantile_in_place(&mut x, 0.5, QuantileMethod::Linear), Some(5.0));
/// assert_eq!(quantile_in_place(&mut [], 0.5, QuantileMethod::Linear), None);
/// ```
pub fn quantile_in_place(values: &mut [f64], q: f64, method: QuantileMethod) -> Option<f64> {
    assert!((0.0..=1.0).contains(&q), "quantile {q} outside [0, 1]");
    if values.is_empty() {
        return None;
    }
    let h = method.position(q, values.len());
    let lo = h.floor() as usize;
    let frac = h - lo as f64;

    // Select the lower order statistic; the upper one is the smallest
    // value to its right.
    let (_, &mut x_lo, right) = values.select_nth_unstable_by(lo, f64::total_cmp);
    if frac == 0.0 || right.is_empty() {
        return Some(x_lo);
    }
    let x_hi = right.iter().copied().fold(f64::INFINITY, f64::min);
    Some(x_lo + frac * (x_hi - x_lo))
}

/// Median absolute deviation of `samples` (NaN dropped), unscaled; `None`
/// without a non-NaN value. Allocates; use [`Scratch::mad`] in loops.
///
/// ```
/// use preflight::measure::quantiles::mad;
///
/// assert_eq!(mad(&[1.0_f64, 2.0, 3.0, 4.0, 100.0]), Some(1.0));
/// assert_eq!(mad(&[7.0_f32; 4]), Some(0.0));
/// assert_eq!(mad::<f64>(&[]), None);
/// ```
pub fn mad<T: Copy + Into<f64>>(samples: &[T]) -> Option<f64> {
    let mut s = Scratch::new();
    s.load(samples);
    s.mad()
}

/// Interquartile range of `samples` (NaN dropped); `None` without a non-NaN
/// value. Allocates; use [`Scratch::iqr`] in loops.
///
/// ```
/// use preflight::measure::quantiles::{iqr, QuantileMethod};
///
/// assert_eq!(iqr(&[1.0_f64, 2.0, 3.0, 4.0, 5.0], QuantileMethod::Linear), Some(2.0));
/// ```
pub fn iqr<T: Copy + Into<f64>>(samples: &[T], method: QuantileMethod) -> Option<f64> {
    let mut s = Scratch::new();
    s.load(samples);
    s.iqr(method)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Quantile by full sort, straight from the definition.
    fn sorted_quantile(x: &[f64], q: f64, method: QuantileMethod) -> f64 {
        let mut s = x.to_vec();
        s.sort_by(f64::total_cmp);
        let h = method.position(q, s.len());
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        s[lo] + (h - lo as f64) * (s[hi] - s[lo])
    }

    #[test]
    fn selection_matches_sorting() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut s = Scratch::new();
        for n in [1, 2, 3, 10, 101, 1000] {
            let x: Vec<f64> = (0..n).map(|_| rng.random::<f64>() * 100.0 - 50.0).collect();
            for q in [0.0, 0.02, 0.25, 0.5, 0.75, 0.98, 1.0] {
                for method in [QuantileMethod::Linear, QuantileMethod::Matlab] {
                    s.load(&x);
                    let got = s.quantile(q, method).unwrap();
                    assert_eq!(
                        got,
                        sorted_quantile(&x, q, method),
                        "n={n} q={q} {method:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn mad_matches_sorting() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let x: Vec<f64> = (0..999)
            .map(|_| rng.random::<f64>().powi(3) * 40.0)
            .collect();
        let med = sorted_quantile(&x, 0.5, QuantileMethod::Linear);
        let dev: Vec<f64> = x.iter().map(|v| (v - med).abs()).collect();
        assert_eq!(
            mad(&x),
            Some(sorted_quantile(&dev, 0.5, QuantileMethod::Linear))
        );
    }

    #[test]
    fn matlab_quantiles_match_pyprep() {
        // _mat_quantile([1, 2, 3, 4], [0.25, 0.75, 0.98]) in PyPREP 0.9.
        let x = [4.0, 1.0, 3.0, 2.0];
        let mut s = Scratch::new();
        s.load(&x);
        assert_eq!(s.quantile(0.25, QuantileMethod::Matlab), Some(1.5));
        assert_eq!(s.quantile(0.75, QuantileMethod::Matlab), Some(3.5));
        assert_eq!(s.quantile(0.98, QuantileMethod::Matlab), Some(4.0));
    }

    #[test]
    fn nan_is_dropped_and_empty_is_none() {
        let mut s = Scratch::new();
        s.load(&[f64::NAN, f64::NAN]);
        assert!(s.is_empty());
        assert_eq!(s.median(), None);
        assert_eq!(s.mad(), None);
        s.load(&[f64::NAN, 2.0]);
        assert_eq!(s.median(), Some(2.0));
        assert_eq!(s.iqr(QuantileMethod::Matlab), Some(0.0));
    }

    #[test]
    fn flat_window_has_zero_mad_and_iqr() {
        let mut s = Scratch::new();
        s.load(&[3.5_f32; 160]);
        assert_eq!(s.iqr(QuantileMethod::Linear), Some(0.0));
        assert_eq!(s.mad(), Some(0.0));
    }
}
