//! Planted faults: what each kind does to a channel, and the `--fault`
//! syntax that names one.
//!
//! A fault acts on the physical values (µV) of the channels it names, in
//! one recording, from its onset for its duration (to the end of the
//! recording when none is given). Its effect is drawn from its own random
//! stream, so the rest of the recording is the same with or without it.
//! Values in µV are absolute, not scaled by the subject's gain: they are
//! electrical, not brain, signals.

use std::f64::consts::TAU;
use std::str::FromStr;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use crate::error::Error;

/// What goes wrong on a channel.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Mains interference added to the EEG: a sine at `frequency_hz` of
    /// amplitude `amplitude_uv`, with harmonics of amplitude
    /// `amplitude_uv / k` up to the Nyquist frequency.
    Mains {
        /// Mains frequency; `None` takes the dataset's.
        frequency_hz: Option<f64>,
        /// Amplitude of the fundamental in µV.
        amplitude_uv: f64,
    },
    /// A contact that has come loose: the EEG is gone, replaced by a large
    /// offset of either sign that drifts by up to a fifth of its size, and
    /// mains pickup (as [`FaultKind::Mains`]) orders of magnitude above
    /// the EEG.
    Detached {
        /// Mains frequency; `None` takes the dataset's.
        frequency_hz: Option<f64>,
        /// Amplitude of the mains fundamental in µV.
        amplitude_uv: f64,
        /// Size of the offset in µV.
        offset_uv: f64,
    },
    /// A constant value.
    Flat {
        /// The value in µV.
        value_uv: f64,
    },
    /// An amplifier whose range is `±limit_uv`: the channel's physical
    /// range is set to it, and a slow artefact of three times the limit
    /// drives the signal into saturation at the digital limits during the
    /// fault.
    Clipping {
        /// Physical limit in µV.
        limit_uv: f64,
    },
    /// Bursts of high-amplitude broadband artefact (muscle, movement),
    /// 0.3 to 1 s long, each under a Hann window peaking at an RMS of
    /// `amplitude_uv`, at random times within the fault.
    Bursts {
        /// Number of bursts.
        count: u32,
        /// RMS at the peak of each burst in µV.
        amplitude_uv: f64,
    },
    /// A constant offset added to the EEG.
    DcOffset {
        /// The offset in µV.
        offset_uv: f64,
    },
    /// High-frequency noise added to the EEG (muscle tension, a poor
    /// contact): white noise differenced once, so that its power rises as
    /// `sin²(π f / fs)` and most of it lies above 50 Hz, scaled to an RMS of
    /// `amplitude_uv`.
    HfNoise {
        /// RMS of the added noise in µV.
        amplitude_uv: f64,
    },
    /// The EEG of the channel multiplied by `gain`: clean in shape, far
    /// larger than the same channel elsewhere, with no other sign (a wrong
    /// gain in the header, an unreferenced channel).
    HighAmplitude {
        /// Factor on the EEG.
        gain: f64,
    },
    /// The EEG of the channel multiplied by `gain` below 1: a dead or
    /// bridged contact, far smaller than the same channel elsewhere.
    LowAmplitude {
        /// Factor on the EEG, below 1.
        gain: f64,
    },
    /// NaN values (NumPy layout only).
    Nan,
    /// Infinite values of alternating sign (NumPy layout only).
    Inf,
}

impl FaultKind {
    /// The name used in `truth.json` and by `--fault`.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Mains { .. } => "mains",
            FaultKind::Detached { .. } => "detached",
            FaultKind::Flat { .. } => "flat",
            FaultKind::Clipping { .. } => "clipping",
            FaultKind::Bursts { .. } => "bursts",
            FaultKind::DcOffset { .. } => "dc_offset",
            FaultKind::HfNoise { .. } => "hf_noise",
            FaultKind::HighAmplitude { .. } => "high_amplitude",
            FaultKind::LowAmplitude { .. } => "low_amplitude",
            FaultKind::Nan => "nan",
            FaultKind::Inf => "inf",
        }
    }

    /// The kind of this name with its default parameters.
    pub fn with_defaults(name: &str) -> Option<FaultKind> {
        Some(match name {
            "mains" => FaultKind::Mains {
                frequency_hz: None,
                amplitude_uv: 40.0,
            },
            "detached" => FaultKind::Detached {
                frequency_hz: None,
                amplitude_uv: 50_000.0,
                offset_uv: 80_000.0,
            },
            "flat" => FaultKind::Flat { value_uv: 0.0 },
            "clipping" => FaultKind::Clipping { limit_uv: 300.0 },
            "bursts" => FaultKind::Bursts {
                count: 6,
                amplitude_uv: 500.0,
            },
            "dc_offset" => FaultKind::DcOffset {
                offset_uv: 30_000.0,
            },
            "hf_noise" => FaultKind::HfNoise { amplitude_uv: 20.0 },
            "high_amplitude" => FaultKind::HighAmplitude { gain: 10.0 },
            "low_amplitude" => FaultKind::LowAmplitude { gain: 0.05 },
            "nan" => FaultKind::Nan,
            "inf" => FaultKind::Inf,
            _ => return None,
        })
    }

    /// Names of all kinds.
    pub const NAMES: [&'static str; 11] = [
        "mains",
        "detached",
        "flat",
        "clipping",
        "bursts",
        "dc_offset",
        "hf_noise",
        "high_amplitude",
        "low_amplitude",
        "nan",
        "inf",
    ];

    /// The largest value in µV the kind's parameters name, for range checks.
    pub(crate) fn largest_uv(&self) -> Option<f64> {
        match *self {
            FaultKind::Mains { amplitude_uv, .. } => Some(amplitude_uv),
            FaultKind::Detached {
                amplitude_uv,
                offset_uv,
                ..
            } => Some(amplitude_uv.abs().max(offset_uv.abs())),
            FaultKind::Flat { value_uv } => Some(value_uv),
            FaultKind::Clipping { limit_uv } => Some(limit_uv),
            FaultKind::Bursts { amplitude_uv, .. } => Some(amplitude_uv),
            FaultKind::DcOffset { offset_uv } => Some(offset_uv),
            FaultKind::HfNoise { amplitude_uv } => Some(amplitude_uv),
            // The EEG is tens of µV: a gain of 1000 still stays in range.
            FaultKind::HighAmplitude { gain } => Some(100.0 * gain),
            FaultKind::LowAmplitude { gain } => Some(100.0 * gain),
            FaultKind::Nan | FaultKind::Inf => None,
        }
    }
}

/// One fault: what, where (subject, run, channels) and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// What goes wrong.
    pub kind: FaultKind,
    /// Subject, 1-based.
    pub subject: u32,
    /// Run, 1-based.
    pub run: u32,
    /// Channel labels.
    pub channels: Vec<String>,
    /// Start in seconds from the start of the recording.
    pub onset_s: f64,
    /// Length in seconds; `None` runs to the end of the recording.
    pub duration_s: Option<f64>,
}

impl FromStr for Fault {
    type Err = Error;

    /// Parses `KIND:key=value,...`, e.g.
    /// `detached:subject=7,run=2,channels=P3+P4,frequency=60`.
    ///
    /// Keys: `subject`, `run` and `channels` (joined by `+`) are required;
    /// `onset` and `duration` (seconds), `frequency` (Hz), `amplitude`,
    /// `offset`, `limit` and `value` (µV) and `count` are optional and
    /// default as in [`FaultKind::with_defaults`].
    ///
    /// ```
    /// use preflight::synth::{Fault, FaultKind};
    /// let f: Fault = "flat:subject=2,run=1,channels=Cz+Pz,onset=10,duration=5"
    ///     .parse()
    ///     .expect("valid");
    /// assert_eq!(f.kind, FaultKind::Flat { value_uv: 0.0 });
    /// assert_eq!(f.channels, ["Cz", "Pz"]);
    /// assert_eq!(f.duration_s, Some(5.0));
    /// ```
    fn from_str(spec: &str) -> Result<Fault, Error> {
        let bad = |reason: String| Error::Config {
            option: format!("fault {spec:?}"),
            reason,
        };
        let (name, rest) = spec.split_once(':').unwrap_or((spec, ""));
        let mut kind = FaultKind::with_defaults(name.trim()).ok_or_else(|| {
            bad(format!(
                "unknown kind {name:?}, expected one of {}",
                FaultKind::NAMES.join(", ")
            ))
        })?;
        let (mut subject, mut run, mut channels) = (None, None, None);
        let (mut onset_s, mut duration_s) = (0.0, None);
        for pair in rest.split(',').filter(|p| !p.trim().is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| bad(format!("{pair:?} is not key=value")))?;
            let (key, value) = (key.trim(), value.trim());
            let number = || {
                value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad(format!("{key}={value:?} is not a number")))
            };
            let whole = || {
                value
                    .parse::<u32>()
                    .map_err(|_| bad(format!("{key}={value:?} is not a whole number")))
            };
            match (key, &mut kind) {
                ("subject", _) => subject = Some(whole()?),
                ("run", _) => run = Some(whole()?),
                ("channels" | "channel", _) => {
                    channels = Some(value.split('+').map(|c| c.trim().to_string()).collect())
                }
                ("onset", _) => onset_s = number()?,
                ("duration", _) => duration_s = Some(number()?),
                (
                    "frequency",
                    FaultKind::Mains { frequency_hz, .. }
                    | FaultKind::Detached { frequency_hz, .. },
                ) => *frequency_hz = Some(number()?),
                (
                    "amplitude",
                    FaultKind::Mains { amplitude_uv, .. }
                    | FaultKind::Detached { amplitude_uv, .. }
                    | FaultKind::Bursts { amplitude_uv, .. }
                    | FaultKind::HfNoise { amplitude_uv },
                ) => *amplitude_uv = number()?,
                ("gain", FaultKind::HighAmplitude { gain } | FaultKind::LowAmplitude { gain }) => {
                    *gain = number()?
                }
                (
                    "offset",
                    FaultKind::Detached { offset_uv, .. } | FaultKind::DcOffset { offset_uv },
                ) => *offset_uv = number()?,
                ("limit", FaultKind::Clipping { limit_uv }) => *limit_uv = number()?,
                ("value", FaultKind::Flat { value_uv }) => *value_uv = number()?,
                ("count", FaultKind::Bursts { count, .. }) => *count = whole()?,
                _ => return Err(bad(format!("key {key:?} does not apply to {name}"))),
            }
        }
        let missing = |k: &str| bad(format!("needs {k}=..."));
        Ok(Fault {
            kind,
            subject: subject.ok_or_else(|| missing("subject"))?,
            run: run.ok_or_else(|| missing("run"))?,
            channels: channels.ok_or_else(|| missing("channels"))?,
            onset_s,
            duration_s,
        })
    }
}

/// What planting a fault on one channel did, beyond changing its values.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Planted {
    /// The physical range the channel must be written with, when the fault
    /// dictates it (clipping).
    pub range_uv: Option<(f64, f64)>,
    /// Bursts placed, as (onset, duration) in seconds.
    pub bursts: Vec<(f64, f64)>,
    /// Offset of a detached contact at the fault's onset, in µV.
    pub offset_uv: Option<f64>,
}

/// Plants `kind` on `x` (one channel, µV) over samples `span`.
pub(crate) fn plant(
    kind: &FaultKind,
    x: &mut [f64],
    span: std::ops::Range<usize>,
    sfreq_hz: f64,
    rng: &mut ChaCha8Rng,
) -> Planted {
    let mut planted = Planted::default();
    let t = |i: usize| i as f64 / sfreq_hz;
    let x = &mut x[span.clone()];
    let first = span.start;
    match *kind {
        FaultKind::Mains {
            frequency_hz,
            amplitude_uv,
        } => {
            let hum = Hum::new(frequency_hz.unwrap_or(50.0), amplitude_uv, sfreq_hz, rng);
            for (i, v) in x.iter_mut().enumerate() {
                *v += hum.at(t(first + i));
            }
        }
        FaultKind::Detached {
            frequency_hz,
            amplitude_uv,
            offset_uv,
        } => {
            let hum = Hum::new(frequency_hz.unwrap_or(50.0), amplitude_uv, sfreq_hz, rng);
            let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
            let offset = (sign * offset_uv * rng.random_range(0.8..1.0)).round();
            planted.offset_uv = Some(offset);
            // Drift: a first-order autoregressive walk with a 20 s time
            // constant and a standard deviation of a tenth of the offset.
            let a = (-1.0 / (20.0 * sfreq_hz)).exp();
            let step = 0.1 * offset_uv * (1.0 - a * a).sqrt();
            let mut drift = 0.0;
            for (i, v) in x.iter_mut().enumerate() {
                drift = a * drift + step * rng.sample::<f64, _>(StandardNormal);
                let wander = drift.clamp(-0.2 * offset_uv, 0.2 * offset_uv);
                *v = offset + wander + hum.at(t(first + i));
            }
        }
        FaultKind::Flat { value_uv } => x.fill(value_uv),
        FaultKind::Clipping { limit_uv } => {
            planted.range_uv = Some((-limit_uv, limit_uv));
            let phase = rng.random_range(0.0..TAU);
            for (i, v) in x.iter_mut().enumerate() {
                *v += 3.0 * limit_uv * (TAU * 0.25 * t(first + i) + phase).sin();
            }
        }
        FaultKind::Bursts {
            count,
            amplitude_uv,
        } => {
            for _ in 0..count {
                let len = ((rng.random_range(0.3..1.0) * sfreq_hz) as usize).min(x.len());
                let start = rng.random_range(0..=x.len() - len);
                planted
                    .bursts
                    .push((t(first + start), len as f64 / sfreq_hz));
                for (j, v) in x[start..start + len].iter_mut().enumerate() {
                    // Hann window peaking at 1: sin²(π j / len).
                    let w = (std::f64::consts::PI * j as f64 / len as f64).sin().powi(2);
                    *v += amplitude_uv * w * rng.sample::<f64, _>(StandardNormal);
                }
            }
            planted
                .bursts
                .sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        }
        FaultKind::DcOffset { offset_uv } => x.iter_mut().for_each(|v| *v += offset_uv),
        FaultKind::HfNoise { amplitude_uv } => {
            // The difference of two independent N(0, 1) draws has variance 2.
            let scale = amplitude_uv / std::f64::consts::SQRT_2;
            let mut last: f64 = rng.sample(StandardNormal);
            for v in x.iter_mut() {
                let next: f64 = rng.sample(StandardNormal);
                *v += scale * (next - last);
                last = next;
            }
        }
        FaultKind::HighAmplitude { gain } | FaultKind::LowAmplitude { gain } => {
            x.iter_mut().for_each(|v| *v *= gain);
        }
        FaultKind::Nan => x.fill(f64::NAN),
        FaultKind::Inf => {
            for (i, v) in x.iter_mut().enumerate() {
                *v = if i % 2 == 0 {
                    f64::INFINITY
                } else {
                    f64::NEG_INFINITY
                };
            }
        }
    }
    planted
}

/// Mains interference: the fundamental and its harmonics below the Nyquist
/// frequency, amplitude `a / k` for harmonic `k`, each with its own phase.
struct Hum {
    /// (angular frequency in rad/s, amplitude, phase) per harmonic.
    parts: Vec<(f64, f64, f64)>,
}

impl Hum {
    fn new(frequency_hz: f64, amplitude_uv: f64, sfreq_hz: f64, rng: &mut ChaCha8Rng) -> Hum {
        let parts = (1..)
            .map(|k| (k, frequency_hz * k as f64))
            .take_while(|&(_, f)| f < sfreq_hz / 2.0)
            .map(|(k, f)| (TAU * f, amplitude_uv / k as f64, rng.random_range(0.0..TAU)))
            .collect();
        Hum { parts }
    }

    #[inline]
    fn at(&self, t: f64) -> f64 {
        self.parts
            .iter()
            .map(|&(w, a, p)| a * (w * t + p).sin())
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn fault_syntax_errors_say_what_is_wrong() {
        let e = |s: &str| s.parse::<Fault>().expect_err(s).to_string();
        assert!(e("hum:subject=1,run=1,channels=Cz").contains("unknown kind"));
        assert!(e("flat:subject=1,channels=Cz").contains("needs run"));
        assert!(e("flat:subject=x,run=1,channels=Cz").contains("not a whole number"));
        assert!(e("flat:subject=1,run=1,channels=Cz,limit=3").contains("does not apply"));
        let f: Fault = "mains:subject=3,run=2,channels=Oz,frequency=60,amplitude=80"
            .parse()
            .expect("valid");
        assert_eq!(
            f.kind,
            FaultKind::Mains {
                frequency_hz: Some(60.0),
                amplitude_uv: 80.0
            }
        );
    }

    #[test]
    fn hum_stays_below_nyquist_and_bursts_stay_inside_the_span() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let hum = Hum::new(60.0, 10.0, 256.0, &mut rng);
        assert_eq!(hum.parts.len(), 2); // 60 and 120 Hz; 180 Hz would alias
        let mut x = vec![0.0; 2560];
        let kind = FaultKind::Bursts {
            count: 3,
            amplitude_uv: 100.0,
        };
        let p = plant(&kind, &mut x, 512..1536, 256.0, &mut rng);
        assert_eq!(p.bursts.len(), 3);
        for &(onset, duration) in &p.bursts {
            assert!(
                onset >= 2.0 && onset + duration <= 6.0,
                "{onset} {duration}"
            );
        }
        assert!(x[..512].iter().chain(&x[1536..]).all(|&v| v == 0.0));
    }
}
