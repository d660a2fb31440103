//! Which (window, channel) cells are outliers, and by which criterion.
//!
//! Two kinds of criteria, both documented on [`DetectConfig`]:
//!
//! - absolute: any NaN or Inf, a flat window, samples at the digital
//!   limits;
//! - relative, by robust z-scores per channel across the sample:
//!   `z = (v − median) / (1.4826 · MAD)` of the amplitude, of the mean
//!   (offset), of the log line-noise ratio and of the log high-frequency
//!   ratio.
//!
//! Amplitude is judged relative to the window's own level: the median,
//! over the window's channels, of the log standard deviation. A person
//! whose signal is three times larger everywhere raises every channel and
//! the level with them, so the residual `ln std − level` stays ordinary,
//! while one electrode a thousand times larger stands out of its window.
//! The level itself is judged across the sample too, but only a level at
//! least [`DetectConfig::level_min_ratio`] times the sample's median
//! counts (a broken amplifier, not a large head). Windows with fewer than
//! [`MIN_CHANNELS_FOR_LEVEL`] channels have no level of their own and are
//! judged on the raw log standard deviation.
//!
//! The reference (medians and MADs) comes from the sample and is kept in a
//! [`Reference`], so that a later full pass over implicated recordings is
//! judged against the same yardstick.

use rayon::prelude::*;
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
    /// A line-noise ratio at least this is mains noise whatever the other
    /// windows show (default 1000, i.e. 30 dB). The ratio of one 1 s
    /// window scatters widely (its peak and flank bins are single
    /// periodogram values, four flank bins at 1 Hz resolution): clean
    /// windows of the synthetic EEG reach 20 dB about once in 4,000 cells,
    /// while none of 20,000 reached 25 dB.
    pub line_abs_ratio: f64,
    /// Robust z of the log high-frequency ratio (default 5).
    pub hf_z: f64,
    /// Share of samples at the digital limits that makes a clipped cell
    /// (default 0.01).
    pub clip_share: f64,
    /// Smallest spread a robust z divides by, as a share of the log scale
    /// (default 0.05): keeps a channel that barely varies across the
    /// sample from turning noise into outliers.
    pub min_log_spread: f64,
    /// A window whose level (median log std over its channels) is above
    /// the sample's by `amplitude_z` spreads is high-amplitude on every
    /// channel only if it is also this many times the median (default 10).
    pub level_min_ratio: f64,
}

/// Channels a window needs for its own amplitude level.
pub const MIN_CHANNELS_FOR_LEVEL: usize = 4;

/// The median log standard deviation over a window's channels, or `None`
/// with fewer than [`MIN_CHANNELS_FOR_LEVEL`] usable channels.
pub fn window_level(cells: &[Option<ChannelFeatures>]) -> Option<f64> {
    let mut logs: Vec<f64> = cells
        .iter()
        .flatten()
        .filter(|f| !f.is_flat)
        .filter_map(|f| f.std_uv)
        .filter(|&s| s > 0.0 && s.is_finite())
        .map(|s| f64::from(s).ln())
        .collect();
    if logs.len() < MIN_CHANNELS_FOR_LEVEL {
        return None;
    }
    logs.sort_by(f64::total_cmp);
    let n = logs.len();
    Some(if n % 2 == 1 {
        logs[n / 2]
    } else {
        0.5 * (logs[n / 2 - 1] + logs[n / 2])
    })
}

impl Default for DetectConfig {
    fn default() -> Self {
        DetectConfig {
            amplitude_z: 5.0,
            offset_z: 5.0,
            offset_min_uv: 1000.0,
            line_z: 5.0,
            line_min_ratio: 10.0,
            line_abs_ratio: 1000.0,
            hf_z: 5.0,
            clip_share: 0.01,
            min_log_spread: 0.05,
            level_min_ratio: 10.0,
        }
    }
}

/// What values a threshold may take.
#[derive(Debug, Clone, Copy)]
enum Bound {
    /// A finite number above 0.
    Positive,
    /// A share above 0 and at most 1.
    Share,
    /// A ratio of at least 1.
    Ratio,
}

impl Bound {
    fn holds(self, v: f64) -> bool {
        v.is_finite()
            && match self {
                Bound::Positive => v > 0.0,
                Bound::Share => v > 0.0 && v <= 1.0,
                Bound::Ratio => v >= 1.0,
            }
    }

    fn words(self) -> &'static str {
        match self {
            Bound::Positive => "a finite number above 0",
            Bound::Share => "a share above 0 and at most 1",
            Bound::Ratio => "a ratio of at least 1",
        }
    }
}

/// Each threshold [`DetectConfig::set`] takes: its name (the field's),
/// its bound, and the field.
type Threshold = (&'static str, Bound, fn(&mut DetectConfig) -> &mut f64);

const THRESHOLDS: [Threshold; 10] = [
    ("amplitude_z", Bound::Positive, |c| &mut c.amplitude_z),
    ("offset_z", Bound::Positive, |c| &mut c.offset_z),
    ("offset_min_uv", Bound::Positive, |c| &mut c.offset_min_uv),
    ("line_z", Bound::Positive, |c| &mut c.line_z),
    ("line_min_ratio", Bound::Ratio, |c| &mut c.line_min_ratio),
    ("line_abs_ratio", Bound::Ratio, |c| &mut c.line_abs_ratio),
    ("hf_z", Bound::Positive, |c| &mut c.hf_z),
    ("clip_share", Bound::Share, |c| &mut c.clip_share),
    ("min_log_spread", Bound::Positive, |c| &mut c.min_log_spread),
    ("level_min_ratio", Bound::Ratio, |c| &mut c.level_min_ratio),
];

impl DetectConfig {
    /// Sets the threshold `name` (the name of one of its fields) to
    /// `value`.
    ///
    /// # Errors
    ///
    /// When the name is none of the fields, or the value is not a finite
    /// number above 0 (`clip_share` at most 1, the ratios at least 1).
    ///
    /// ```
    /// use preflight::audit::detect::DetectConfig;
    /// let mut c = DetectConfig::default();
    /// c.set("line_min_ratio", 20.0).unwrap();
    /// assert_eq!(c.line_min_ratio, 20.0);
    /// assert!(c.set("clip_share", 2.0).is_err());
    /// assert!(c.set("flatness", 1.0).unwrap_err().contains("amplitude_z"));
    /// ```
    pub fn set(&mut self, name: &str, value: f64) -> Result<(), String> {
        let Some(&(_, bound, field)) = THRESHOLDS.iter().find(|t| t.0 == name) else {
            let names: Vec<&str> = THRESHOLDS.iter().map(|t| t.0).collect();
            return Err(format!(
                "unknown threshold {name:?}; expected one of {}",
                names.join(", ")
            ));
        };
        if !bound.holds(value) {
            return Err(format!("{name} = {value}: expected {}", bound.words()));
        }
        *field(self) = value;
        Ok(())
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
    /// Of `ln(std_uv) − level` over windows with a level.
    pub residual: Option<Location>,
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
    /// Of the window levels.
    pub level: Option<Location>,
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
        let levels: Vec<Option<f64>> = table
            .rows
            .par_iter()
            .map(|r| window_level(&r.channels))
            .collect();
        let floor = config.min_log_spread;
        // Channels in parallel, each thread with its own scratch.
        let per_channel = (0..table.channels.len())
            .into_par_iter()
            .map_init(Scratch::new, |scratch, c| {
                let cells = || table.rows.iter().filter_map(move |r| r.channels[c]);
                let log_std_of = |f: &ChannelFeatures| {
                    f.std_uv
                        .filter(|&s| s > 0.0 && !f.is_flat)
                        .map(|s| f64::from(s).ln())
                };
                let log_std: Vec<f64> = cells().filter_map(|f| log_std_of(&f)).collect();
                let residual: Vec<f64> = table
                    .rows
                    .iter()
                    .zip(&levels)
                    .filter_map(|(r, level)| Some(log_std_of(&r.channels[c]?)? - (*level)?))
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
                ChannelReference {
                    log_std: locate(scratch, &log_std, floor),
                    residual: locate(scratch, &residual, floor),
                    // The mean's spread is floored at 1 µV: a channel whose
                    // means barely move must not make µV offsets extreme.
                    mean: locate(scratch, &mean, 1.0),
                    log_line: locate(scratch, &log_line, floor),
                    log_hf: locate(scratch, &log_hf, floor),
                }
            })
            .collect();
        let level_values: Vec<f64> = levels.iter().flatten().copied().collect();
        Reference {
            channels: table.channels.clone(),
            level: locate(&mut Scratch::new(), &level_values, floor),
            per_channel,
        }
    }

    /// The reasons one cell of channel `c` is an outlier, and its
    /// amplitude z; `level` is its window's [`window_level`].
    pub fn judge(
        &self,
        c: usize,
        f: &ChannelFeatures,
        level: Option<f64>,
        config: &DetectConfig,
    ) -> (Reasons, f32) {
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
        if let Some(log_s) = f.std_uv.filter(|&s| s > 0.0).map(|s| f64::from(s).ln()) {
            // Against the window's level where it has one, else raw.
            let z = match (level, reference.residual, reference.log_std) {
                (Some(l), Some(loc), _) => Some(loc.z(log_s - l)),
                (None, _, Some(loc)) => Some(loc.z(log_s)),
                _ => None,
            };
            if let Some(z) = z {
                amplitude_z = z as f32;
                if z > config.amplitude_z {
                    r.insert(Reasons::HIGH_AMPLITUDE);
                } else if z < -config.amplitude_z && !f.is_flat {
                    r.insert(Reasons::LOW_AMPLITUDE);
                }
            }
            // A whole window far above the sample: every channel is high.
            if let (Some(l), Some(loc)) = (level, self.level) {
                if loc.z(l) > config.amplitude_z && l - loc.median >= config.level_min_ratio.ln() {
                    r.insert(Reasons::HIGH_AMPLITUDE);
                }
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
            let relative = ratio >= config.line_min_ratio && loc.z(ratio.ln()) > config.line_z;
            if relative || ratio >= config.line_abs_ratio {
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
        // Rows in parallel; the collected order is the rows' order.
        table
            .rows
            .par_iter()
            .flat_map_iter(|row| {
                let level = window_level(&row.channels);
                row.channels
                    .iter()
                    .enumerate()
                    .filter_map(move |(c, cell)| {
                        let (reasons, amplitude_z) = self.judge(c, cell.as_ref()?, level, config);
                        (!reasons.is_empty()).then_some(Outlier {
                            window: row.window,
                            channel: c as u32,
                            reasons,
                            amplitude_z,
                        })
                    })
            })
            .collect()
    }
}

/// Median and floored scaled MAD of the finite `values`, or `None` when
/// there is none.
fn locate(scratch: &mut Scratch, values: &[f64], floor: f64) -> Option<Location> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    scratch.load(&finite);
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

#[cfg(test)]
mod level_tests {
    use super::*;
    use crate::audit::features::WindowRow;

    fn cell(std_uv: f32) -> ChannelFeatures {
        ChannelFeatures {
            samples: 256,
            nan: 0,
            inf: 0,
            mean_uv: Some(0.0),
            std_uv: Some(std_uv),
            max_abs_uv: Some(3.0 * std_uv),
            clip_share: 0.0,
            is_flat: false,
            line: Some((50.0, 1.2)),
            hf_ratio: Some(0.3),
        }
    }

    /// 100 windows of 8 channels from people whose gain is 10 µV give or
    /// take 10%, then one window of a person 3× larger everywhere and one
    /// window with channel 5 at 2,000 µV.
    fn table() -> FeatureTable {
        let mut rows: Vec<WindowRow> = (0..100)
            .map(|i| {
                let gain = 10.0 * (0.9 + 0.2 * (i as f32 / 99.0));
                WindowRow {
                    window: i,
                    channels: (0..8)
                        .map(|c| Some(cell(gain * (1.0 + 0.02 * c as f32))))
                        .collect(),
                }
            })
            .collect();
        rows.push(WindowRow {
            window: 100,
            channels: (0..8).map(|_| Some(cell(30.0))).collect(),
        });
        rows.push(WindowRow {
            window: 101,
            channels: (0..8)
                .map(|c| Some(cell(if c == 5 { 2000.0 } else { 10.0 })))
                .collect(),
        });
        FeatureTable {
            channels: (0..8).map(|c| format!("E{c}")).collect(),
            rows,
        }
    }

    #[test]
    fn a_larger_person_is_not_an_outlier_but_one_loud_channel_is() {
        let config = DetectConfig::default();
        let t = table();
        let reference = Reference::of(&t, &config);
        let outliers = reference.outliers(&t, &config);
        let cells: Vec<(usize, u32)> = outliers.iter().map(|o| (o.window, o.channel)).collect();
        assert_eq!(cells, [(101, 5)]);
    }

    #[test]
    fn a_window_loud_on_every_channel_is_flagged_when_far_enough() {
        let config = DetectConfig::default();
        let mut t = table();
        t.rows.push(WindowRow {
            window: 102,
            channels: (0..8).map(|_| Some(cell(500.0))).collect(),
        });
        let reference = Reference::of(&t, &config);
        let flagged: Vec<(usize, u32)> = reference
            .outliers(&t, &config)
            .iter()
            .filter(|o| o.window == 102)
            .map(|o| (o.window, o.channel))
            .collect();
        assert_eq!(flagged.len(), 8, "{flagged:?}");
    }
}
