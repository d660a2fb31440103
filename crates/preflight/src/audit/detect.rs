//! Which (window, channel) cells are outliers, and by which criterion.
//!
//! Two kinds of criteria, both documented on [`DetectConfig`]:
//!
//! - absolute: any NaN or Inf, a flat window, samples at the digital
//!   limits;
//! - relative, by robust z-scores per channel across the sample:
//!   `z = (v − median) / (1.4826 · MAD)` of the log standard deviation
//!   (amplitude, both ways), of the mean (offset), of the log line-noise
//!   ratio and of the log high-frequency ratio. Logs make a gain of 3×
//!   between people a shift of 1.1 rather than a factor, so a subject who
//!   is larger everywhere is far less extreme than an electrode that is
//!   1000× larger.
//!
//! The reference (medians and MADs) comes from the sample and is kept in a
//! [`Reference`], so that a later full pass over implicated recordings is
//! judged against the same yardstick.

use serde::Serialize;

use super::features::{ChannelFeatures, FeatureTable};
use crate::measure::quantiles::Scratch;

/// Thresholds of the detection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DetectConfig {
    /// |robust z| of the log standard deviation above which a cell's
    /// amplitude is an outlier (default 5, PREP's deviation threshold).
    pub amplitude_z: f64,
    /// Robust z of the mean above which a cell carries an offset (default
    /// 5) …
    pub offset_z: f64,
    /// … provided the mean is also this far from the channel's median, µV
    /// (default 1000: a 1 mV offset; EEG itself swings tens of µV).
    pub offset_min_uv: f64,
    /// Robust z of the log line-noise ratio above which a cell has mains
    /// noise (default 5) …
    pub line_z: f64,
    /// … provided the ratio is also at least this (default 10, i.e. 10 dB).
    pub line_min_ratio: f64,
    /// Robust z of the log high-frequency ratio (default 5).
    pub hf_z: f64,
    /// Share of samples at the digital limits that makes a clipped cell
    /// (default 0.01).
    pub clip_share: f64,
    /// Smallest spread a robust z divides by, as a share of the log scale
    /// (default 0.05): keeps a channel that barely varies across the
    /// sample from turning noise into outliers.
    pub min_log_spread: f64,
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            amplitude_z: 5.0,
            offset_z: 5.0,
            offset_min_uv: 1000.0,
            line_z: 5.0,
            line_min_ratio: 10.0,
            hf_z: 5.0,
            clip_share: 0.01,
            min_log_spread: 0.05,
        }
    }
}

/// Why a cell is an outlier: a set of reasons.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Reasons(u16);

impl Reasons {
    /// Any NaN sample.
    pub const NAN: Reasons = Reasons(1);
    /// Any ±Inf sample.
    pub const INF: Reasons = Reasons(1 << 1);
    /// Every sample the same.
    pub const FLAT: Reasons = Reasons(1 << 2);
    /// Samples at the digital limits.
    pub const CLIPPED: Reasons = Reasons(1 << 3);
    /// Amplitude far above the channel's.
    pub const HIGH_AMPLITUDE: Reasons = Reasons(1 << 4);
    /// Amplitude far below the channel's.
    pub const LOW_AMPLITUDE: Reasons = Reasons(1 << 5);
    /// Mean far from the channel's.
    pub const OFFSET: Reasons = Reasons(1 << 6);
    /// Mains line noise far above the channel's.
    pub const LINE_NOISE: Reasons = Reasons(1 << 7);
    /// High-frequency content far above the channel's.
    pub const HF_NOISE: Reasons = Reasons(1 << 8);

    /// Whether no reason is set.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every reason of `other` is set.
    pub fn contains(self, other: Reasons) -> bool {
        self.0 & other.0 == other.0
    }

    /// Adds the reasons of `other`.
    pub fn insert(&mut self, other: Reasons) {
        self.0 |= other.0;
    }

    /// Whether the reasons include an absolute criterion (NaN, Inf, flat,
    /// clipped), which needs no comparison with other windows.
    pub fn is_absolute(self) -> bool {
        self.0 & (Self::NAN.0 | Self::INF.0 | Self::FLAT.0 | Self::CLIPPED.0) != 0
    }

    /// Names of the reasons set, in a fixed order.
    pub fn names(self) -> Vec<&'static str> {
        [
            (Self::NAN, "nan"),
            (Self::INF, "inf"),
            (Self::FLAT, "flat"),
            (Self::CLIPPED, "clipped"),
            (Self::HIGH_AMPLITUDE, "high_amplitude"),
            (Self::LOW_AMPLITUDE, "low_amplitude"),
            (Self::OFFSET, "offset"),
            (Self::LINE_NOISE, "line_noise"),
            (Self::HF_NOISE, "hf_noise"),
        ]
        .into_iter()
        .filter(|(r, _)| self.contains(*r))
        .map(|(_, n)| n)
        .collect()
    }
}

/// Median and scaled MAD of one measure on one channel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Location {
    /// Median.
    pub median: f64,
    /// `1.4826 · MAD`, floored (see [`DetectConfig::min_log_spread`]).
    pub spread: f64,
}

impl Location {
    fn z(&self, v: f64) -> f64 {
        (v - self.median) / self.spread
    }
}

/// The yardstick of one channel: where its measures lie in the sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ChannelReference {
    /// Of `ln(std_uv)`.
    pub log_std: Option<Location>,
    /// Of `mean_uv`.
    pub mean: Option<Location>,
    /// Of `ln(line ratio)`.
    pub log_line: Option<Location>,
    /// Of `ln(hf_ratio)`.
    pub log_hf: Option<Location>,
}

/// The yardstick of every channel of a [`FeatureTable`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reference {
    /// Channel names, as in the table.
    pub channels: Vec<String>,
    /// Per channel.
    pub per_channel: Vec<ChannelReference>,
}

/// One outlier cell.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Outlier {
    /// Index into [`crate::window::Windows::windows`].
    pub window: usize,
    /// Index into the table's channels.
    pub channel: u32,
    /// Why.
    pub reasons: Reasons,
    /// Robust z of the log standard deviation (0 when undefined).
    pub amplitude_z: f32,
}

impl Reference {
    /// The yardstick of `table`: per channel, medians and spreads of the
    /// measures over all its windows.
    pub fn of(table: &FeatureTable, config: &DetectConfig) -> Reference {
        let mut scratch = Scratch::new();
        let per_channel = (0..table.channels.len())
            .map(|c| {
                let cells = || table.rows.iter().filter_map(move |r| r.channels[c]);
                let log_std: Vec<f64> = cells()
                    .filter(|f| !f.is_flat)
                    .filter_map(|f| f.std_uv)
                    .filter(|&s| s > 0.0)
                    .map(|s| f64::from(s).ln())
                    .collect();
                let mean: Vec<f64> = cells().filter_map(|f| f.mean_uv).map(f64::from).collect();
                let log_line: Vec<f64> = cells()
                    .filter_map(|f| f.line)
                    .filter(|&(_, r)| r > 0.0)
                    .map(|(_, r)| f64::from(r).ln())
                    .collect();
                let log_hf: Vec<f64> = cells()
                    .filter_map(|f| f.hf_ratio)
                    .filter(|&h| h > 0.0)
                    .map(|h| f64::from(h).ln())
                    .collect();
                let floor = config.min_log_spread;
                ChannelReference {
                    log_std: locate(&mut scratch, &log_std, floor),
                    // The mean's spread is floored at 1 µV: a channel whose
                    // means barely move must not make µV offsets extreme.
                    mean: locate(&mut scratch, &mean, 1.0),
                    log_line: locate(&mut scratch, &log_line, floor),
                    log_hf: locate(&mut scratch, &log_hf, floor),
                }
            })
            .collect();
        Reference {
            channels: table.channels.clone(),
            per_channel,
        }
    }

    /// The reasons one cell of channel `c` is an outlier, and its
    /// amplitude z.
    pub fn judge(&self, c: usize, f: &ChannelFeatures, config: &DetectConfig) -> (Reasons, f32) {
        let mut r = Reasons::default();
        if f.nan > 0 {
            r.insert(Reasons::NAN);
        }
        if f.inf > 0 {
            r.insert(Reasons::INF);
        }
        if f.is_flat {
            r.insert(Reasons::FLAT);
        }
        if f64::from(f.clip_share) >= config.clip_share {
            r.insert(Reasons::CLIPPED);
        }
        let Some(reference) = self.per_channel.get(c) else {
            return (r, 0.0);
        };
        let mut amplitude_z = 0.0;
        if let (Some(loc), Some(s)) = (reference.log_std, f.std_uv.filter(|&s| s > 0.0)) {
            let z = loc.z(f64::from(s).ln());
            amplitude_z = z as f32;
            if z > config.amplitude_z {
                r.insert(Reasons::HIGH_AMPLITUDE);
            } else if z < -config.amplitude_z && !f.is_flat {
                r.insert(Reasons::LOW_AMPLITUDE);
            }
        }
        if let (Some(loc), Some(m)) = (reference.mean, f.mean_uv) {
            let m = f64::from(m);
            if loc.z(m).abs() > config.offset_z && (m - loc.median).abs() >= config.offset_min_uv {
                r.insert(Reasons::OFFSET);
            }
        }
        if let (Some(loc), Some((_, ratio))) = (reference.log_line, f.line) {
            let ratio = f64::from(ratio);
            if ratio >= config.line_min_ratio && loc.z(ratio.ln()) > config.line_z {
                r.insert(Reasons::LINE_NOISE);
            }
        }
        if let (Some(loc), Some(h)) = (reference.log_hf, f.hf_ratio.filter(|&h| h > 0.0)) {
            if loc.z(f64::from(h).ln()) > config.hf_z {
                r.insert(Reasons::HF_NOISE);
            }
        }
        (r, amplitude_z)
    }

    /// Every outlier cell of `table`.
    pub fn outliers(&self, table: &FeatureTable, config: &DetectConfig) -> Vec<Outlier> {
        let mut out = Vec::new();
        for row in &table.rows {
            for (c, cell) in row.channels.iter().enumerate() {
                let Some(f) = cell else { continue };
                let (reasons, amplitude_z) = self.judge(c, f, config);
                if !reasons.is_empty() {
                    out.push(Outlier {
                        window: row.window,
                        channel: c as u32,
                        reasons,
                        amplitude_z,
                    });
                }
            }
        }
        out
    }
}

/// Median and floored scaled MAD of `values`, or `None` when empty.
fn locate(scratch: &mut Scratch, values: &[f64], floor: f64) -> Option<Location> {
    scratch.load(values);
    let median = scratch.median()?;
    let mad = scratch.mad()?;
    Some(Location {
        median,
        spread: (1.4826 * mad).max(floor),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::features::WindowRow;

    fn cell(std_uv: f32, mean_uv: f32, line: f32) -> ChannelFeatures {
        ChannelFeatures {
            samples: 256,
            nan: 0,
            inf: 0,
            mean_uv: Some(mean_uv),
            std_uv: Some(std_uv),
            max_abs_uv: Some(mean_uv.abs() + 3.0 * std_uv),
            clip_share: 0.0,
            is_flat: false,
            line: Some((60.0, line)),
            hf_ratio: Some(0.3),
        }
    }

    /// 200 windows of one channel, with amplitude varying between 8 and
    /// 24 µV (people differ up to 3×), mean within ±20 µV, line ratio 1-2.
    fn table(extra: Vec<ChannelFeatures>) -> FeatureTable {
        let mut rows: Vec<WindowRow> = (0..200)
            .map(|i| {
                let t = i as f32 / 199.0;
                WindowRow {
                    window: i,
                    channels: vec![Some(cell(8.0 * 3f32.powf(t), 40.0 * t - 20.0, 1.0 + t))],
                }
            })
            .collect();
        for (k, f) in extra.into_iter().enumerate() {
            rows.push(WindowRow {
                window: 200 + k,
                channels: vec![Some(f)],
            });
        }
        FeatureTable {
            channels: vec!["T7".into()],
            rows,
        }
    }

    #[test]
    fn a_detached_electrode_is_high_offset_and_line_noise_at_once() {
        let config = DetectConfig::default();
        let t = table(vec![cell(35_000.0, 80_000.0, 5_000.0)]);
        let reference = Reference::of(&t, &config);
        let outliers = reference.outliers(&t, &config);
        assert_eq!(outliers.len(), 1, "{outliers:?}");
        let o = outliers[0];
        assert_eq!(o.window, 200);
        assert_eq!(
            o.reasons.names(),
            ["high_amplitude", "offset", "line_noise"]
        );
        assert!(o.amplitude_z > 15.0);
    }

    #[test]
    fn a_subject_three_times_larger_is_not_an_outlier() {
        let config = DetectConfig::default();
        // Three times the largest clean window, with a clean spectrum.
        let t = table(vec![cell(72.0, 0.0, 1.5)]);
        let reference = Reference::of(&t, &config);
        assert!(reference.outliers(&t, &config).is_empty());
    }

    #[test]
    fn absolute_criteria_need_no_reference() {
        let config = DetectConfig::default();
        let mut flat = cell(0.0, 5.0, 1.0);
        flat.is_flat = true;
        flat.line = None;
        let mut nan = cell(10.0, 0.0, 1.0);
        nan.nan = 3;
        let mut clipped = cell(10.0, 0.0, 1.0);
        clipped.clip_share = 0.2;
        let t = table(vec![flat, nan, clipped]);
        let reference = Reference::of(&t, &config);
        let names: Vec<Vec<&str>> = reference
            .outliers(&t, &config)
            .iter()
            .map(|o| o.reasons.names())
            .collect();
        assert_eq!(names, [vec!["flat"], vec!["nan"], vec!["clipped"]]);
    }

    #[test]
    fn an_offset_needs_both_z_and_microvolts() {
        let config = DetectConfig::default();
        let t = table(vec![cell(12.0, 600.0, 1.0), cell(12.0, 30_000.0, 1.0)]);
        let reference = Reference::of(&t, &config);
        let o = reference.outliers(&t, &config);
        assert_eq!(o.len(), 1);
        assert_eq!((o[0].window, o[0].reasons.names()), (201, vec!["offset"]));
    }
}
