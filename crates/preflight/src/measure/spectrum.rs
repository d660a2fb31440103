//! Power spectral density of one channel by Welch's method.
//!
//! [`SpectrumPlanner`] makes one [`WelchPlan`] (Hann window, real FFT,
//! scaling) per segment length and overlap and hands out shared copies, as
//! RustFFT's planner does for FFTs. A [`Welch`] accumulator per channel is
//! fed blocks of samples, carries the samples of an unfinished segment
//! from one block to the next, and yields a [`Psd`]: streaming a recording
//! block by block gives the same spectrum as one call on the whole of it.
//! [`super::line_noise`] reads the mains peaks off the [`Psd`].

use std::collections::HashMap;
use std::sync::Arc;

use rustfft::num_complex::Complex;
use rustfft::{Fft, FftPlanner};

/// Segment length and overlap of a Welch estimate, in samples.
///
/// The default, 256 samples with 128 of overlap, is scipy's default for
/// `nperseg=256`. [`WelchConfig::for_sfreq`] chooses a resolution fine
/// enough to separate the mains peaks from their flanks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct WelchConfig {
    /// Samples per segment (`nperseg`); also the FFT length (`nfft`).
    pub segment_len: usize,
    /// Samples shared by consecutive segments (`noverlap`), below
    /// `segment_len`.
    pub overlap: usize,
}

impl Default for WelchConfig {
    fn default() -> WelchConfig {
        WelchConfig {
            segment_len: 256,
            overlap: 128,
        }
    }
}

impl WelchConfig {
    /// Segments of the smallest power of two at least two seconds long
    /// (resolution `sfreq / segment_len <= 0.5` Hz; 512 samples at 160 Hz,
    /// 1024 at 500 Hz), with 50 % overlap.
    pub fn for_sfreq(sfreq_hz: f64) -> WelchConfig {
        let two_seconds = (2.0 * sfreq_hz).ceil().max(2.0) as usize;
        let segment_len = two_seconds.next_power_of_two();
        WelchConfig {
            segment_len,
            overlap: segment_len / 2,
        }
    }

    /// Samples between the starts of consecutive segments.
    pub fn step(&self) -> usize {
        self.segment_len - self.overlap
    }
}

/// The periodic Hann window of `n` samples, as
/// `scipy.signal.get_window("hann", n)`.
pub(crate) fn hann(n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * k as f64 / n as f64).cos())
        .collect()
}

/// The mean of a segment (constant detrend) if it is finite.
#[inline(always)]
pub(crate) fn segment_mean<T: Copy + Into<f64>>(segment: &[T]) -> Option<f64> {
    // Eight partial sums: a single running sum is one dependent add
    // per sample, which the compiler may not reorder into vector adds.
    let mut lanes = [0.0f64; 8];
    let mut chunks = segment.chunks_exact(8);
    for c in &mut chunks {
        for (l, &x) in lanes.iter_mut().zip(c) {
            *l += x.into();
        }
    }
    let rest: f64 = chunks.remainder().iter().map(|&x| x.into()).sum();
    let mean = (lanes.iter().sum::<f64>() + rest) / segment.len() as f64;
    mean.is_finite().then_some(mean)
}

/// The factor of bin `k` of a one-sided density of a segment of `n`
/// samples: 1 for the zero frequency and, for even `n`, for Nyquist; 2
/// for the others, which stand for their negative frequencies too.
#[inline]
pub(crate) fn one_sided(k: usize, n: usize) -> f64 {
    if k == 0 || (n % 2 == 0 && k == n / 2) {
        1.0
    } else {
        2.0
    }
}

/// What every segment of a given length needs: window, FFT and scaling.
pub struct WelchPlan {
    config: WelchConfig,
    window: Vec<f64>,
    /// `Σ w²`.
    window_power: f64,
    /// A complex FFT of the segment length, for two segments at a time
    /// (see [`Welch`]).
    fft: Arc<dyn Fft<f64>>,
}

impl std::fmt::Debug for WelchPlan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WelchPlan")
            .field("config", &self.config)
            .finish()
    }
}

impl WelchPlan {
    /// The segment length and overlap planned for.
    pub fn config(&self) -> WelchConfig {
        self.config
    }

    /// Frequency bins of the one-sided spectrum: `segment_len / 2 + 1`.
    pub fn bins(&self) -> usize {
        self.config.segment_len / 2 + 1
    }
}

/// Makes [`WelchPlan`]s and keeps them, one per configuration.
pub struct SpectrumPlanner {
    fft: FftPlanner<f64>,
    plans: HashMap<WelchConfig, Arc<WelchPlan>>,
}

impl std::fmt::Debug for SpectrumPlanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let configs: Vec<_> = self.plans.keys().collect();
        f.debug_struct("SpectrumPlanner")
            .field("plans", &configs)
            .finish()
    }
}

impl Default for SpectrumPlanner {
    fn default() -> SpectrumPlanner {
        SpectrumPlanner {
            fft: FftPlanner::new(),
            plans: HashMap::new(),
        }
    }
}

impl SpectrumPlanner {
    /// A planner with no plans yet.
    pub fn new() -> SpectrumPlanner {
        SpectrumPlanner::default()
    }

    /// The plan for `config`, made on first use.
    ///
    /// # Panics
    ///
    /// If `segment_len < 2` or `overlap >= segment_len`.
    pub fn plan(&mut self, config: WelchConfig) -> Arc<WelchPlan> {
        assert!(
            config.segment_len >= 2,
            "segment of {} samples",
            config.segment_len
        );
        assert!(
            config.overlap < config.segment_len,
            "overlap {} not below segment length {}",
            config.overlap,
            config.segment_len
        );
        if let Some(plan) = self.plans.get(&config) {
            return Arc::clone(plan);
        }

        let n = config.segment_len;
        let window = hann(n);
        let window_power = window.iter().map(|w| w * w).sum();
        let plan = Arc::new(WelchPlan {
            config,
            window,
            window_power,
            fft: self.fft.plan_fft_forward(n),
        });
        self.plans.insert(config, Arc::clone(&plan));
        plan
    }
}

/// A Welch power spectral density estimate, accumulated block by block.
///
/// # Definition
///
/// Segments of `L = segment_len` samples start every `L - overlap`
/// samples from the first; samples after the last complete segment are
/// not used (scipy does the same). Each segment `s` has its mean removed
/// (constant detrend), is multiplied by the periodic Hann window `w_n =
/// 1/2 - 1/2 cos(2πn/L)`, and transformed: `X_k = Σ_n w_n (s_n - s̄)
/// e^(-2πikn/L)`. The estimate at `f_k = k fs / L`, `k = 0..=L/2`, is the
/// mean over segments of
///
/// ```text
/// P_k = c_k |X_k|² / (fs Σ w_n²),   c_k = 2 except c_0 = 1 and, for even L, c_(L/2) = 1,
/// ```
///
/// a one-sided density in squared units per hertz (µV²/Hz for EEG). This is
/// `scipy.signal.welch(x, fs, window="hann", nperseg=L, noverlap=overlap,
/// detrend="constant", scaling="density", average="mean")`; the committed
/// fixtures agree with scipy to 1e-9 relative. MNE's `compute_psd` differs:
/// its Welch defaults are a Hamming window, `n_fft=256` and no overlap.
///
/// # Algorithm
///
/// Segments are transformed two at a time: the windowed segments `x` and
/// `y` go into one complex FFT of length `L` as `z = x + iy`, and since
/// `X_k = (Z_k + conj Z_(L-k)) / 2` and `Y_k = (Z_k - conj Z_(L-k)) / 2i`,
/// the parallelogram law gives `|X_k|² + |Y_k|² = (|Z_k|² + |Z_(L-k)|²) / 2`:
/// the sum the estimate needs, with no real-to-complex post-processing and
/// no cancellation (every term is a square). A segment left without a
/// partner at the end is transformed with `y = 0`. The result equals
/// transforming each segment alone within floating-point rounding.
///
/// # Edge cases
///
/// A segment holding NaN or ±Inf is skipped and counted in
/// [`Psd::skipped_segments`] (scipy would return NaN everywhere). With no
/// usable segment (input shorter than one segment, or all skipped),
/// [`Welch::psd`] is `None`; scipy instead shortens the segment to the
/// input. A flat channel gives an all-zero spectrum.
///
/// # Merging
///
/// Segments sit at fixed places in the recording (starts `0, step, 2 step,
/// …` from its first sample), and an accumulator knows where its first
/// sample is ([`Welch::starting_at`]). It keeps its first and last
/// `L - 1` samples, so [`Welch::append`] of the accumulator of the samples
/// that follow forms the segments that straddle the bound: a recording cut
/// into parts at arbitrary points and appended back gives the spectrum of
/// one pass, within floating-point rounding of the sum (the tests see
/// 1e-12 relative). [`Welch::pool`] instead averages the segments of
/// unrelated accumulators of the same plan (other channels, other
/// recordings at the same rate).
///
/// # Example
///
/// ```
/// use preflight::measure::spectrum::{SpectrumPlanner, Welch, WelchConfig};
///
/// let fs = 160.0;
/// let x: Vec<f32> = (0..1600)
///     .map(|n| (2.0 * std::f32::consts::PI * 20.0 * n as f32 / fs as f32).sin())
///     .collect();
/// let mut planner = SpectrumPlanner::new();
/// let mut welch = Welch::new(planner.plan(WelchConfig::default()));
/// welch.push(&x[..1000]);
/// welch.push(&x[1000..]);
/// let psd = welch.psd(fs).unwrap();
/// assert_eq!(psd.segments(), 11);
/// let peak = (0..psd.power().len()).max_by(|&a, &b| psd.power()[a].total_cmp(&psd.power()[b]));
/// assert_eq!(psd.freq_hz(peak.unwrap()), 20.0);
/// ```
#[derive(Clone)]
pub struct Welch {
    plan: Arc<WelchPlan>,
    /// Index in the recording of the first sample.
    start: u64,
    /// Index of the next sample to come.
    next: u64,
    /// Start of the next segment to form.
    next_segment: u64,
    /// The first `L - 1` samples (fewer while fewer were seen).
    head: Vec<f64>,
    /// Samples from `pending_start` to `next`: at least the last `L - 1`
    /// (or all) and everything from `next_segment` on.
    pending: Vec<f64>,
    pending_start: u64,
    sums: Sums,
}

/// The running sums of a [`Welch`] estimate and its FFT buffers.
#[derive(Clone)]
struct Sums {
    /// `Σ 2 |X_k|²` over the segments, `k = 0..=L/2` (see [`Welch`]'s
    /// algorithm: each pair adds `|Z_k|² + |Z_(L-k)|²`).
    power: Vec<f64>,
    /// Segments added, the one waiting for its partner included.
    segments: u64,
    skipped: u64,
    /// The windowed segments of a pair: the first in the real parts, the
    /// second in the imaginary parts.
    pair: Vec<Complex<f64>>,
    /// Whether the real parts of `pair` hold a segment waiting for its
    /// partner.
    waiting: bool,
    scratch: Vec<Complex<f64>>,
}

impl Sums {
    fn new(plan: &WelchPlan) -> Sums {
        let n = plan.config.segment_len;
        Sums {
            power: vec![0.0; plan.bins()],
            segments: 0,
            skipped: 0,
            pair: vec![Complex::new(0.0, 0.0); n],
            waiting: false,
            scratch: vec![Complex::new(0.0, 0.0); plan.fft.get_inplace_scratch_len()],
        }
    }

    /// Adds one segment of `plan.config.segment_len` samples, converted to
    /// f64 as they are read (exactly, for the integer and f32 samples the
    /// measures take), so a segment taken straight from a caller's block
    /// sums as one copied first would.
    #[inline(always)]
    fn add<T: Copy + Into<f64>>(&mut self, plan: &WelchPlan, segment: &[T]) {
        let Some(mean) = self.finite_mean(segment) else {
            return;
        };

        // Windowed, into the free half of the pair.
        let windowed = segment
            .iter()
            .zip(&plan.window)
            .map(|(&s, &w)| (s.into() - mean) * w);
        self.enter(plan, windowed);
        self.segments += 1;
    }

    /// Adds two segments, as [`Sums::add`] of one then the other does when
    /// no segment is waiting, in one pass that fills both halves of the
    /// pair.
    #[inline(always)]
    fn add_two<T: Copy + Into<f64>>(&mut self, plan: &WelchPlan, x: &[T], y: &[T]) {
        let (Some(mean_x), Some(mean_y)) = (segment_mean(x), segment_mean(y)) else {
            self.add(plan, x);
            self.add(plan, y);
            return;
        };
        let mean = Complex::new(mean_x, mean_y);
        let samples = x.iter().zip(y).zip(&plan.window);
        for (z, ((&a, &b), &w)) in self.pair.iter_mut().zip(samples) {
            *z = (Complex::new(a.into(), b.into()) - mean) * w;
        }
        self.transform(plan);
        self.segments += 2;
    }

    /// The mean of a segment (constant detrend), or `None`, counted as a
    /// skipped segment, when a sample is NaN or infinite.
    #[inline(always)]
    fn finite_mean<T: Copy + Into<f64>>(&mut self, segment: &[T]) -> Option<f64> {
        let mean = segment_mean(segment);
        self.skipped += u64::from(mean.is_none());
        mean
    }

    /// Puts a windowed segment into the pair, and transforms the pair once
    /// it is complete.
    #[inline(always)]
    fn enter(&mut self, plan: &WelchPlan, windowed: impl Iterator<Item = f64>) {
        if self.waiting {
            for (z, x) in self.pair.iter_mut().zip(windowed) {
                z.im = x;
            }
            self.transform(plan);
        } else {
            for (z, x) in self.pair.iter_mut().zip(windowed) {
                *z = Complex::new(x, 0.0);
            }
            self.waiting = true;
        }
    }

    /// Transforms the pair and adds `|Z_k|² + |Z_(L-k)|²` to the sums.
    #[inline(always)]
    fn transform(&mut self, plan: &WelchPlan) {
        plan.fft
            .process_with_scratch(&mut self.pair, &mut self.scratch);
        let z = &self.pair;
        self.power[0] += 2.0 * z[0].norm_sqr();
        // Bin k and bin L - k, for k = 1..=L/2: `z[1..]` forwards and
        // backwards.
        let mirrored = z[1..].iter().zip(z[1..].iter().rev());
        for (acc, (a, b)) in self.power[1..].iter_mut().zip(mirrored) {
            *acc += a.norm_sqr() + b.norm_sqr();
        }
        self.waiting = false;
    }

    /// The sums with a segment still waiting transformed alone.
    fn completed(&self, plan: &WelchPlan) -> Sums {
        let mut sums = self.clone();
        if sums.waiting {
            for z in &mut sums.pair {
                z.im = 0.0;
            }
            sums.transform(plan);
        }
        sums
    }

    fn merge(&mut self, plan: &WelchPlan, other: &Sums) {
        for (a, b) in self.power.iter_mut().zip(&other.power) {
            *a += b;
        }
        self.segments += other.segments;
        self.skipped += other.skipped;
        if other.waiting {
            self.enter(plan, other.pair.iter().map(|z| z.re));
        }
    }
}

impl std::fmt::Debug for Welch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Welch")
            .field("config", &self.plan.config)
            .field("start", &self.start)
            .field("next", &self.next)
            .field("segments", &self.sums.segments)
            .field("skipped", &self.sums.skipped)
            .finish()
    }
}

impl Welch {
    /// An empty accumulator for `plan`, for a recording's first sample.
    pub fn new(plan: Arc<WelchPlan>) -> Welch {
        Welch::starting_at(plan, 0)
    }

    /// An empty accumulator whose first sample will be sample `start` of
    /// the recording.
    pub fn starting_at(plan: Arc<WelchPlan>, start: u64) -> Welch {
        let n = plan.config.segment_len;
        let step = plan.config.step() as u64;
        Welch {
            start,
            next: start,
            next_segment: start.div_ceil(step) * step,
            head: Vec::with_capacity(n - 1),
            pending: Vec::with_capacity(2 * n),
            pending_start: start,
            sums: Sums::new(&plan),
            plan,
        }
    }

    /// Adds a block of samples following the ones seen so far.
    ///
    /// Segments that lie wholly in `samples` are transformed from it
    /// directly; only the samples of segments that begin before it, and
    /// the last `L - 1` (for the next block or [`Welch::append`]), go
    /// through the carried buffer.
    pub fn push<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the processor has AVX2, checked just above.
            unsafe { self.push_avx2(samples) };
            return;
        }
        self.push_portable(samples);
    }

    /// [`Welch::push`] compiled with AVX2 instructions: the loops around the
    /// FFT (means, window, power sums) work on four values at a time
    /// instead of two. The operations and their order are those of the
    /// portable code (no fused multiply-add), so the sums are the same.
    ///
    /// # Safety
    ///
    /// The processor must have AVX2.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn push_avx2<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        self.push_portable(samples);
    }

    #[inline(always)]
    fn push_portable<T: Copy + Into<f64>>(&mut self, samples: &[T]) {
        let n = self.plan.config.segment_len;
        let step = self.plan.config.step() as u64;
        if self.head.len() < n - 1 {
            let take = (n - 1 - self.head.len()).min(samples.len());
            self.head.extend(samples[..take].iter().map(|&x| x.into()));
        }
        let base = self.next;
        let end = base + samples.len() as u64;

        // Segments begun before this block: complete them in `pending`,
        // extended only as far as the last of them needs.
        let mut carried = 0;
        if self.next_segment < base {
            let last = self.next_segment + (base - 1 - self.next_segment) / step * step;
            carried = ((last + n as u64).min(end) - base) as usize;
            self.pending
                .extend(samples[..carried].iter().map(|&x| x.into()));
            self.next = base + carried as u64;
            self.form_segments();
        }

        // Segments that lie in this block, straight from it, two at a
        // time while none waits for a partner.
        while self.next_segment >= base && self.next_segment + n as u64 <= end {
            let at = (self.next_segment - base) as usize;
            let second = at + step as usize;
            if !self.sums.waiting && second + n <= samples.len() {
                let (x, y) = (&samples[at..at + n], &samples[second..second + n]);
                self.sums.add_two(&self.plan, x, y);
                self.next_segment += 2 * step;
            } else {
                self.sums.add(&self.plan, &samples[at..at + n]);
                self.next_segment += step;
            }
        }

        // Carry the last L - 1 samples and everything from the next
        // segment on (see the field's invariant).
        let keep = self
            .next_segment
            .min(self.start.max(end.saturating_sub(n as u64 - 1)));
        if keep >= base {
            let from = (keep - base) as usize;
            self.pending.clear();
            self.pending
                .extend(samples[from..].iter().map(|&x| x.into()));
        } else {
            self.pending
                .extend(samples[carried..].iter().map(|&x| x.into()));
            self.pending.drain(..(keep - self.pending_start) as usize);
        }
        self.pending_start = keep;
        self.next = end;
    }

    /// Forms every segment that `pending` now completes, then drops the
    /// samples no longer needed.
    #[inline(always)]
    fn form_segments(&mut self) {
        let n = self.plan.config.segment_len as u64;
        let step = self.plan.config.step() as u64;
        while self.next_segment + n <= self.next {
            let at = (self.next_segment - self.pending_start) as usize;
            self.sums
                .add(&self.plan, &self.pending[at..at + n as usize]);
            self.next_segment += step;
        }
        // Keep the last L - 1 samples; `next_segment > next - L` is in them.
        let keep = self.start.max(self.next.saturating_sub(n - 1));
        let drop = (keep.min(self.next_segment) - self.pending_start) as usize;
        self.pending.drain(..drop);
        self.pending_start += drop as u64;
    }

    /// Appends the accumulator of the samples that follow these in the
    /// same recording, forming the segments across the bound.
    ///
    /// # Panics
    ///
    /// If `later` does not start where `self` ends or has another plan.
    pub fn append(&mut self, later: &Welch) {
        assert_eq!(
            self.plan.config, later.plan.config,
            "appending spectra of different plans"
        );
        if later.next == later.start {
            return;
        }
        if self.next == self.start {
            *self = later.clone();
            return;
        }
        assert_eq!(
            self.next, later.start,
            "appended spectra are not consecutive"
        );

        // The first samples of `later` complete the segments across the
        // bound (all of them when `later` holds at least L - 1 samples).
        let n = self.plan.config.segment_len;
        if self.head.len() < n - 1 {
            let take = (n - 1 - self.head.len()).min(later.head.len());
            self.head.extend_from_slice(&later.head[..take]);
        }
        let later_all = later.pending_start == later.start;
        self.pending.extend_from_slice(if later_all {
            &later.pending
        } else {
            &later.head
        });
        let bound = self.next;
        self.next = later.start
            + if later_all {
                later.pending.len()
            } else {
                later.head.len()
            } as u64;
        let step = self.plan.config.step() as u64;
        while self.next_segment < bound && self.next_segment + n as u64 <= self.next {
            let at = (self.next_segment - self.pending_start) as usize;
            self.sums.add(&self.plan, &self.pending[at..at + n]);
            self.next_segment += step;
        }

        // Then everything `later` formed, and its state.
        self.sums.merge(&self.plan, &later.sums);
        if later_all {
            // `next_segment` is the first segment not yet formed: a
            // straddler still short of samples, or `later`'s first.
            self.form_segments();
        } else {
            self.next = later.next;
            self.next_segment = later.next_segment;
            self.pending.clear();
            self.pending.extend_from_slice(&later.pending);
            self.pending_start = later.pending_start;
        }
    }

    /// Pools the segments of `other` (another channel or recording, same
    /// plan) with these: the estimate becomes the mean over all segments.
    ///
    /// # Panics
    ///
    /// If the two accumulators have different configurations.
    pub fn pool(&mut self, other: &Welch) {
        assert_eq!(
            self.plan.config, other.plan.config,
            "pooling spectra of different plans"
        );
        self.sums.merge(&self.plan, &other.sums);
    }

    /// The estimate for a sampling rate of `sfreq_hz`; `None` before the
    /// first usable segment.
    pub fn psd(&self, sfreq_hz: f64) -> Option<Psd> {
        if self.sums.segments == 0 {
            return None;
        }
        let Sums {
            power: sum,
            segments,
            skipped,
            ..
        } = &self.sums.completed(&self.plan);
        let n = self.plan.config.segment_len;
        // The sums hold twice the power (see `Sums::power`).
        let scale = 0.5 / (sfreq_hz * self.plan.window_power * *segments as f64);
        let power = sum
            .iter()
            .enumerate()
            .map(|(k, &s)| s * scale * one_sided(k, n))
            .collect();
        Some(Psd {
            sfreq_hz,
            segment_len: n,
            power,
            segments: *segments,
            skipped: *skipped,
        })
    }
}

/// A one-sided power spectral density: `power()[k]` at `k · sfreq_hz /
/// segment_len` Hz, in squared units of the samples per hertz.
#[derive(Clone, Debug, PartialEq)]
pub struct Psd {
    sfreq_hz: f64,
    segment_len: usize,
    power: Vec<f64>,
    segments: u64,
    skipped: u64,
}

impl Psd {
    /// A spectrum from its parts: `power[k]` at `k · sfreq_hz / segment_len`.
    pub(crate) fn from_parts(
        sfreq_hz: f64,
        segment_len: usize,
        power: Vec<f64>,
        segments: u64,
    ) -> Psd {
        Psd {
            sfreq_hz,
            segment_len,
            power,
            segments,
            skipped: 0,
        }
    }

    /// Samples per segment (the FFT length).
    pub fn segment_len(&self) -> usize {
        self.segment_len
    }

    /// Power per bin, DC first, up to the Nyquist frequency (µV²/Hz for
    /// EEG).
    pub fn power(&self) -> &[f64] {
        &self.power
    }

    /// Frequency of bin `k` in Hz.
    pub fn freq_hz(&self, k: usize) -> f64 {
        k as f64 * self.resolution_hz()
    }

    /// Bin spacing in Hz, `sfreq_hz / segment_len`.
    pub fn resolution_hz(&self) -> f64 {
        self.sfreq_hz / self.segment_len as f64
    }

    /// Sampling rate the estimate was made for.
    pub fn sfreq_hz(&self) -> f64 {
        self.sfreq_hz
    }

    /// Segments averaged.
    pub fn segments(&self) -> u64 {
        self.segments
    }

    /// Segments skipped because they held NaN or ±Inf.
    pub fn skipped_segments(&self) -> u64 {
        self.skipped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// Welch by the definition with a naive O(n²) DFT.
    fn naive_welch(x: &[f64], fs: f64, n: usize, overlap: usize) -> Vec<f64> {
        let w: Vec<f64> = (0..n)
            .map(|k| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * k as f64 / n as f64).cos())
            .collect();
        let u: f64 = w.iter().map(|v| v * v).sum();
        let mut sum = vec![0.0; n / 2 + 1];
        let mut segments = 0;
        let mut start = 0;
        while start + n <= x.len() {
            let s = &x[start..start + n];
            let mean = s.iter().sum::<f64>() / n as f64;
            for (k, acc) in sum.iter_mut().enumerate() {
                let (mut re, mut im) = (0.0, 0.0);
                for (j, &v) in s.iter().enumerate() {
                    let phase = -2.0 * std::f64::consts::PI * (k * j) as f64 / n as f64;
                    re += (v - mean) * w[j] * phase.cos();
                    im += (v - mean) * w[j] * phase.sin();
                }
                *acc += re * re + im * im;
            }
            segments += 1;
            start += n - overlap;
        }
        let last = n / 2;
        sum.iter()
            .enumerate()
            .map(|(k, s)| {
                let c = if k == 0 || (n % 2 == 0 && k == last) {
                    1.0
                } else {
                    2.0
                };
                c * s / (fs * u * segments as f64)
            })
            .collect()
    }

    fn noise(seed: u64, n: usize) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| rng.random::<f64>() - 0.5 + 3.0).collect()
    }

    #[test]
    fn fft_matches_naive_dft() {
        let x = noise(41, 1500);
        let mut planner = SpectrumPlanner::new();
        for (n, overlap) in [(64, 32), (100, 0), (127, 60)] {
            let mut welch = Welch::new(planner.plan(WelchConfig {
                segment_len: n,
                overlap,
            }));
            welch.push(&x);
            let got = welch.psd(200.0).unwrap();
            let want = naive_welch(&x, 200.0, n, overlap);
            for (g, w) in got.power().iter().zip(&want) {
                assert!((g - w).abs() <= 1e-10 * w.abs().max(1e-12), "{g} vs {w}");
            }
        }
    }

    #[test]
    fn streaming_in_blocks_equals_one_call() {
        let x = noise(42, 5000);
        let mut planner = SpectrumPlanner::new();
        let plan = planner.plan(WelchConfig::for_sfreq(160.0));
        let mut whole = Welch::new(Arc::clone(&plan));
        whole.push(&x);
        let mut blocks = Welch::new(plan);
        let mut rng = ChaCha8Rng::seed_from_u64(43);
        let mut at = 0;
        while at < x.len() {
            let len = rng.random_range(1..700).min(x.len() - at);
            blocks.push(&x[at..at + len]);
            at += len;
        }
        assert_eq!(blocks.psd(160.0), whole.psd(160.0));
    }

    #[test]
    fn appending_parts_cut_anywhere_equals_one_pass() {
        let x = noise(44, 6000);
        let mut planner = SpectrumPlanner::new();
        let mut rng = ChaCha8Rng::seed_from_u64(45);
        for config in [
            WelchConfig::default(),
            WelchConfig {
                segment_len: 100,
                overlap: 0,
            },
            WelchConfig {
                segment_len: 64,
                overlap: 60,
            },
        ] {
            let plan = planner.plan(config);
            let mut whole = Welch::new(Arc::clone(&plan));
            whole.push(&x);
            let want = whole.psd(250.0).unwrap();
            for parts in [2, 5, 40, 300] {
                let mut cuts: Vec<usize> = (0..parts - 1)
                    .map(|_| rng.random_range(0..=x.len()))
                    .collect();
                cuts.extend([0, x.len()]);
                cuts.sort_unstable();
                let mut merged = Welch::new(Arc::clone(&plan));
                for w in cuts.windows(2) {
                    let mut part = Welch::starting_at(Arc::clone(&plan), w[0] as u64);
                    part.push(&x[w[0]..w[1]]);
                    merged.append(&part);
                }
                let got = merged.psd(250.0).unwrap();
                assert_eq!(got.segments(), want.segments(), "{config:?}, {parts} parts");
                for (g, w) in got.power().iter().zip(want.power()) {
                    assert!(
                        (g - w).abs() <= 1e-12 * w.abs(),
                        "{config:?}, {parts} parts: {g} vs {w}"
                    );
                }
                // The merged accumulator streams on like the whole one.
                let mut more_merged = merged.clone();
                more_merged.push(&x[..1000]);
                let mut more_whole = whole.clone();
                more_whole.push(&x[..1000]);
                assert_eq!(
                    more_merged.psd(250.0).unwrap().segments(),
                    more_whole.psd(250.0).unwrap().segments()
                );
            }
        }
    }

    #[test]
    fn nan_segments_are_skipped_and_short_input_is_none() {
        let mut planner = SpectrumPlanner::new();
        let plan = planner.plan(WelchConfig {
            segment_len: 10,
            overlap: 0,
        });
        let mut welch = Welch::new(Arc::clone(&plan));
        welch.push(&[1.0_f32; 9]);
        assert_eq!(welch.psd(100.0), None);
        let mut x = vec![1.0_f64; 30];
        x[15] = f64::NAN;
        let mut welch = Welch::new(plan);
        welch.push(&x);
        let psd = welch.psd(100.0).unwrap();
        assert_eq!((psd.segments(), psd.skipped_segments()), (2, 1));
        assert!(psd.power().iter().all(|&p| p == 0.0));
    }

    #[test]
    fn plans_are_shared() {
        let mut planner = SpectrumPlanner::new();
        let a = planner.plan(WelchConfig::default());
        let b = planner.plan(WelchConfig::default());
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(WelchConfig::for_sfreq(160.0).segment_len, 512);
        assert_eq!(WelchConfig::for_sfreq(500.0).segment_len, 1024);
    }
}
