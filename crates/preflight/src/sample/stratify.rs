//! Stratified sampling of windows over subject × class strata.
//!
//! The allocation follows scikit-learn's `StratifiedShuffleSplit`: each
//! stratum's share of the requested size is proportional to its size, the
//! shares are rounded down and the units left over go to the strata with
//! the largest remainders (ties broken by the seeded generator). Two floors
//! are then applied, in this order:
//!
//! 1. `min_per_recording`: every recording contributes at least that many
//!    windows (or all it has), drawn at random from it, so that a fault
//!    spanning one whole recording cannot be missed;
//! 2. `min_per_stratum`: every non-empty stratum gets at least that many
//!    (or all it has), so that every subject and every class is seen.
//!
//! A stratum's final count is the largest of its proportional share, its
//! floor, and the windows the recording floor already put in it. Where no
//! floor applies, the count is within one of the exact proportional share
//! `size × stratum / total`. Selection within a stratum is uniform without
//! replacement.
//!
//! The generator is ChaCha8 seeded with [`SampleConfig::seed`], and every
//! draw goes through this module's own bounded integer and shuffle code,
//! so the same windows and seed give the same sample whatever version of
//! `rand` is built against.

use std::collections::BTreeMap;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::window::Windows;

/// How many windows to draw.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SampleSize {
    /// This share of all windows, rounded up (at least one).
    Fraction(f64),
    /// This many windows (all, if there are fewer).
    Count(usize),
    /// Every window.
    Full,
}

/// Settings of [`stratified_sample`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleConfig {
    /// Sample size before the floors (default: 1 in 1000).
    pub size: SampleSize,
    /// Least windows per non-empty subject × class stratum (default 1).
    pub min_per_stratum: usize,
    /// Least windows per recording (default 8): enough that a fault
    /// spanning a whole recording shows in several sampled windows, which
    /// the attribution needs to tell a faulty recording from chance.
    pub min_per_recording: usize,
    /// Seed of the generator.
    pub seed: u64,
}

impl Default for SampleConfig {
    fn default() -> Self {
        SampleConfig {
            size: SampleSize::Fraction(0.001),
            min_per_stratum: 1,
            min_per_recording: 8,
            seed: 0,
        }
    }
}

/// Why a stratum has the count it has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Allocation {
    /// Its proportional share, rounded by largest remainders.
    Proportional,
    /// Raised to `min_per_stratum`.
    MinPerStratum,
    /// Raised by windows the per-recording floor drew from it.
    MinPerRecording,
    /// All its windows (the sample is the whole stratum).
    All,
}

/// One subject × class stratum of the allocation table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stratum {
    /// Subject index into [`Windows::subjects`].
    pub subject: u32,
    /// Class index into [`Windows::classes`].
    pub class: u32,
    /// Windows in the stratum.
    pub available: usize,
    /// The exact proportional share `size × available / total`.
    pub share: f64,
    /// Windows sampled.
    pub sampled: usize,
    /// Why `sampled` is what it is.
    pub allocation: Allocation,
}

/// A stratified sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// The size asked for before floors.
    pub requested: usize,
    /// Every non-empty stratum, by subject then class.
    pub strata: Vec<Stratum>,
    /// Indices into [`Windows::windows`] of the sampled windows, ascending.
    #[serde(skip)]
    pub windows: Vec<usize>,
}

/// Draws a stratified sample of `windows`. See the module documentation.
///
/// ```
/// use preflight::sample::{stratified_sample, SampleConfig, SampleSize};
/// use preflight::window::{Locator, Window, Windows};
///
/// // 900 windows of class 0 and 100 of class 1, one subject, one recording.
/// let windows = Windows {
///     subjects: vec!["01".into()],
///     classes: vec!["nontarget".into(), "target".into()],
///     recordings: vec!["sub-01.edf".into()],
///     recording_subject: vec![0],
///     windows: (0..1000)
///         .map(|i| Window {
///             recording: 0,
///             subject: 0,
///             class: u32::from(i >= 900),
///             locator: Locator::Time { start_s: i as f64 },
///         })
///         .collect(),
///     ..Windows::default()
/// };
/// let config = SampleConfig {
///     size: SampleSize::Count(50),
///     min_per_recording: 0,
///     ..SampleConfig::default()
/// };
/// let sample = stratified_sample(&windows, &config);
/// let counts: Vec<usize> = sample.strata.iter().map(|s| s.sampled).collect();
/// assert_eq!(counts, [45, 5]);
/// ```
pub fn stratified_sample(windows: &Windows, config: &SampleConfig) -> Sample {
    let total = windows.windows.len();
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);

    // Strata and recordings, as lists of window indices, in the order of
    // (subject, class) and of recording. Subjects, classes and recordings
    // are numbered densely, so the lists sit in vectors indexed by them
    // rather than in maps looked up once per window.
    let classes = windows
        .windows
        .iter()
        .map(|w| w.class)
        .max()
        .map_or(0, |c| c as usize + 1);
    let dense = |n: Option<u32>| n.map_or(0, |n| n as usize + 1);
    let mut by_stratum: Vec<Vec<usize>> =
        vec![Vec::new(); dense(windows.windows.iter().map(|w| w.subject).max()) * classes];
    let mut by_recording: Vec<Vec<usize>> =
        vec![Vec::new(); dense(windows.windows.iter().map(|w| w.recording).max())];
    for (i, w) in windows.windows.iter().enumerate() {
        by_stratum[w.subject as usize * classes + w.class as usize].push(i);
        by_recording[w.recording as usize].push(i);
    }
    let by_stratum: Vec<((u32, u32), Vec<usize>)> = by_stratum
        .into_iter()
        .enumerate()
        .filter(|(_, members)| !members.is_empty())
        .map(|(k, members)| (((k / classes) as u32, (k % classes) as u32), members))
        .collect();
    by_recording.retain(|members| !members.is_empty());
    let requested = match config.size {
        SampleSize::Full => total,
        SampleSize::Count(n) => n.min(total),
        SampleSize::Fraction(f) if f.is_finite() && f > 0.0 => {
            ((f.min(1.0) * total as f64).ceil() as usize).clamp(1, total.max(1))
        }
        SampleSize::Fraction(_) => 0,
    }
    .min(total);

    // Proportional shares, rounded by largest remainders.
    let sizes: Vec<usize> = by_stratum.iter().map(|(_, m)| m.len()).collect();
    let proportional = largest_remainders(&sizes, requested, &mut rng);

    // The per-recording floor: windows every recording must contribute.
    let mut chosen = vec![false; total];
    for members in &by_recording {
        let k = config.min_per_recording.min(members.len());
        for j in choose(&mut rng, members.len(), k) {
            chosen[members[j]] = true;
        }
    }

    // Each stratum: the largest of share, floor and what is already chosen.
    let mut strata = Vec::with_capacity(by_stratum.len());
    let mut rest: Vec<usize> = Vec::new();
    for (((subject, class), members), prop) in by_stratum.iter().zip(proportional) {
        let available = members.len();
        let floor = config.min_per_stratum.min(available);
        rest.clear();
        rest.extend(members.iter().copied().filter(|&i| !chosen[i]));
        let already = available - rest.len();
        let target = prop.max(floor);
        let sampled = target.max(already);
        for j in choose(&mut rng, rest.len(), sampled - already) {
            chosen[rest[j]] = true;
        }
        let allocation = if already > target {
            Allocation::MinPerRecording
        } else if floor > prop {
            Allocation::MinPerStratum
        } else if sampled == available && requested == total {
            Allocation::All
        } else {
            Allocation::Proportional
        };
        strata.push(Stratum {
            subject: *subject,
            class: *class,
            available,
            share: if total == 0 {
                0.0
            } else {
                requested as f64 * available as f64 / total as f64
            },
            sampled,
            allocation,
        });
    }

    let windows = (0..total).filter(|&i| chosen[i]).collect();
    Sample {
        requested,
        strata,
        windows,
    }
}

/// Splits `n` over groups of the given sizes in proportion, rounding down
/// and giving the units left over to the largest remainders; equal
/// remainders are ordered at random. `n` must not exceed the sum of sizes.
fn largest_remainders(sizes: &[usize], n: usize, rng: &mut impl Rng) -> Vec<usize> {
    let total: usize = sizes.iter().sum();
    if total == 0 {
        return vec![0; sizes.len()];
    }
    // Exact arithmetic: share_i = n·size_i / total as a quotient and a
    // remainder in units of 1/total, so no rounding decides a tie.
    let mut counts: Vec<usize> = Vec::with_capacity(sizes.len());
    let mut remainders: Vec<(u128, u64, usize)> = Vec::with_capacity(sizes.len());
    for (i, &size) in sizes.iter().enumerate() {
        let scaled = n as u128 * size as u128;
        counts.push((scaled / total as u128) as usize);
        remainders.push((scaled % total as u128, rng.next_u64(), i));
    }
    let left = n - counts.iter().sum::<usize>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, _, i) in remainders.iter().take(left) {
        counts[i] += 1;
    }
    counts
}

/// `k` distinct indices below `n`, uniformly at random (a partial
/// Fisher–Yates shuffle), in the order drawn.
fn choose(rng: &mut impl Rng, n: usize, k: usize) -> Vec<usize> {
    let k = k.min(n);
    if k == 0 {
        return Vec::new();
    }
    // Sparse swaps: only the positions touched are stored, so drawing a
    // few windows out of millions costs O(k).
    let mut swapped: BTreeMap<usize, usize> = BTreeMap::new();
    let mut out = Vec::with_capacity(k);
    for i in 0..k {
        let j = i + below(rng, (n - i) as u64) as usize;
        let at_j = *swapped.get(&j).unwrap_or(&j);
        let at_i = *swapped.get(&i).unwrap_or(&i);
        swapped.insert(j, at_i);
        out.push(at_j);
    }
    out
}

/// A uniform integer in `0..bound` (`bound > 0`), by rejection of the
/// values that would bias the remainder.
fn below(rng: &mut impl Rng, bound: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX % bound);
    loop {
        let x = rng.next_u64();
        if x < zone {
            return x % bound;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{Locator, Window};
    use proptest::prelude::*;

    /// Windows of `recordings[r] = (subject, [windows per class])`.
    fn make(recordings: &[(u32, Vec<usize>)]) -> Windows {
        let subjects = recordings.iter().map(|r| r.0).max().map_or(0, |m| m + 1);
        let classes = recordings.iter().map(|r| r.1.len()).max().unwrap_or(0);
        let mut w = Windows {
            subjects: (0..subjects).map(|s| format!("{s:02}")).collect(),
            classes: (0..classes).map(|c| format!("c{c}")).collect(),
            ..Windows::default()
        };
        for (r, (subject, per_class)) in recordings.iter().enumerate() {
            w.recordings.push(format!("r{r}"));
            w.recording_subject.push(*subject);
            for (class, &n) in per_class.iter().enumerate() {
                for k in 0..n {
                    w.windows.push(Window {
                        recording: r as u32,
                        subject: *subject,
                        class: class as u32,
                        locator: Locator::Time { start_s: k as f64 },
                    });
                }
            }
        }
        w
    }

    fn dataset_strategy() -> impl Strategy<Value = Vec<(u32, Vec<usize>)>> {
        prop::collection::vec((0u32..6, prop::collection::vec(0usize..300, 1..4)), 1..12)
    }

    proptest! {
        #[test]
        fn every_stratum_and_recording_is_sampled(
            recordings in dataset_strategy(),
            fraction in 0.0001f64..0.5,
            min_per_stratum in 1usize..4,
            min_per_recording in 0usize..10,
            seed in any::<u64>(),
        ) {
            let w = make(&recordings);
            let config = SampleConfig {
                size: SampleSize::Fraction(fraction),
                min_per_stratum,
                min_per_recording,
                seed,
            };
            let s = stratified_sample(&w, &config);
            for stratum in &s.strata {
                prop_assert!(stratum.available > 0);
                prop_assert!(stratum.sampled >= min_per_stratum.min(stratum.available));
                prop_assert!(stratum.sampled <= stratum.available);
            }
            let mut per_recording = vec![0usize; w.recordings.len()];
            for &i in &s.windows {
                per_recording[w.windows[i].recording as usize] += 1;
            }
            for (r, (_, per_class)) in recordings.iter().enumerate() {
                let n: usize = per_class.iter().sum();
                prop_assert!(per_recording[r] >= min_per_recording.min(n));
            }
            // The table adds up to the windows drawn, which are distinct.
            let sum: usize = s.strata.iter().map(|t| t.sampled).sum();
            prop_assert_eq!(sum, s.windows.len());
            prop_assert!(s.windows.windows(2).all(|p| p[0] < p[1]));
            prop_assert!(s.windows.len() >= s.requested);
        }

        #[test]
        fn without_floors_each_stratum_is_within_one_of_its_share(
            recordings in dataset_strategy(),
            fraction in 0.0001f64..1.0,
            seed in any::<u64>(),
        ) {
            let w = make(&recordings);
            let config = SampleConfig {
                size: SampleSize::Fraction(fraction),
                min_per_stratum: 0,
                min_per_recording: 0,
                seed,
            };
            let s = stratified_sample(&w, &config);
            prop_assert_eq!(s.windows.len(), s.requested);
            for t in &s.strata {
                prop_assert!((t.sampled as f64 - t.share).abs() < 1.0, "{t:?}");
            }
        }

        #[test]
        fn where_no_floor_applies_the_share_holds(
            recordings in dataset_strategy(),
            count in 1usize..2000,
            seed in any::<u64>(),
        ) {
            let w = make(&recordings);
            let config = SampleConfig {
                size: SampleSize::Count(count),
                min_per_stratum: 1,
                min_per_recording: 2,
                seed,
            };
            let s = stratified_sample(&w, &config);
            for t in s.strata.iter().filter(|t| t.allocation == Allocation::Proportional) {
                prop_assert!((t.sampled as f64 - t.share).abs() < 1.0, "{t:?}");
            }
        }
    }

    #[test]
    fn the_same_seed_draws_the_same_windows() {
        let w = make(&[(0, vec![500, 40]), (1, vec![700, 60]), (1, vec![10, 0])]);
        let config = SampleConfig {
            size: SampleSize::Fraction(0.05),
            ..SampleConfig::default()
        };
        let a = stratified_sample(&w, &config);
        let b = stratified_sample(&w, &config);
        let c = stratified_sample(&w, &SampleConfig { seed: 1, ..config });
        assert_eq!(a, b);
        assert_ne!(a.windows, c.windows);
    }

    #[test]
    fn a_small_recording_is_not_missed_by_a_tiny_fraction() {
        // 100,000 windows in one recording, 20 in another: 1/1000 gives 100
        // windows, and the floor gives the small recording 8 of them.
        let w = make(&[(0, vec![90_000, 10_000]), (1, vec![20, 0])]);
        let s = stratified_sample(&w, &SampleConfig::default());
        let small = s
            .windows
            .iter()
            .filter(|&&i| w.windows[i].recording == 1)
            .count();
        assert_eq!(small, 8);
        assert_eq!(s.requested, 101);
        let table: Vec<(usize, Allocation)> =
            s.strata.iter().map(|t| (t.sampled, t.allocation)).collect();
        assert_eq!(
            table,
            [
                (91, Allocation::Proportional),
                (10, Allocation::Proportional),
                (8, Allocation::MinPerRecording)
            ]
        );
    }

    #[test]
    fn draws_are_uniform_within_a_stratum() {
        // 10 windows, 3 drawn, 20,000 times: each window near 6,000 times.
        let w = make(&[(0, vec![10])]);
        let mut hits = [0usize; 10];
        for seed in 0..20_000 {
            let config = SampleConfig {
                size: SampleSize::Count(3),
                min_per_recording: 0,
                seed,
                ..SampleConfig::default()
            };
            for i in stratified_sample(&w, &config).windows {
                hits[i] += 1;
            }
        }
        for h in hits {
            // 6,000 ± 5 standard deviations (sqrt(20000·0.3·0.7) ≈ 65).
            assert!((5_675..=6_325).contains(&h), "{hits:?}");
        }
    }

    #[test]
    fn empty_windows_give_an_empty_sample() {
        let s = stratified_sample(&Windows::default(), &SampleConfig::default());
        assert!(s.strata.is_empty() && s.windows.is_empty());
        assert_eq!(s.requested, 0);
    }
}
