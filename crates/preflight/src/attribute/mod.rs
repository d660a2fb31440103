//! Where the outliers come from: outlier windows grouped by recording,
//! subject and channel, with enrichment against chance.
//!
//! Detection marks (window, channel) cells of the sample as outliers. This
//! module counts, for each recording, how many of its sampled windows hold
//! an outlier, and asks how likely that many would be if outlier windows
//! were spread over the sample at random ([`enrichment`]). Recordings whose
//! p-value stays below `alpha` after a Bonferroni correction over all
//! sampled recordings form the [`Cluster`]s; [`Attribution::summary`] says
//! in one sentence what share of the outliers they hold, which subjects
//! they belong to and on which channels.
//!
//! Attribution only says where; the cause of each finding is decided from
//! the measures of the implicated channels.

pub mod enrichment;

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::window::Windows;
use enrichment::{hypergeometric_upper_tail, LogFactorials};

/// Settings of [`attribute`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeConfig {
    /// Family-wise significance level; each recording is tested at
    /// `alpha / recordings sampled` (default 0.01).
    pub alpha: f64,
    /// Least outlier windows a recording needs to form a cluster (default
    /// 2): one window proves nothing about a recording.
    pub min_outlier_windows: usize,
}

impl Default for AttributeConfig {
    fn default() -> Self {
        AttributeConfig {
            alpha: 0.01,
            min_outlier_windows: 2,
        }
    }
}

/// A recording holding more outlier windows than chance would give.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cluster {
    /// Index into [`Windows::recordings`].
    pub recording: u32,
    /// Index into [`Windows::subjects`].
    pub subject: u32,
    /// Windows of this recording in the sample.
    pub sampled: usize,
    /// Of those, windows with at least one outlier channel.
    pub outlier_windows: usize,
    /// Share of all outlier windows of the sample that are in this
    /// recording.
    pub share_of_outliers: f64,
    /// The recording's outlier rate over the sample's.
    pub enrichment: f64,
    /// `P(X ≥ outlier_windows)` under random placement (uncorrected).
    pub p_value: f64,
    /// Outlier windows per channel (index into the channel names given),
    /// most first.
    pub channels: Vec<(u32, usize)>,
    /// The cluster in one sentence: counts, share, enrichment, p-value and
    /// channels.
    pub sentence: String,
}

/// A subject whose sampled windows hold more outlier windows than chance
/// would give, over all its recordings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectCluster {
    /// Index into [`Windows::subjects`].
    pub subject: u32,
    /// Its recordings in the sample.
    pub recordings: usize,
    /// Of those, recordings with an outlier window.
    pub recordings_with_outliers: usize,
    /// Its windows in the sample.
    pub sampled: usize,
    /// Of those, windows with at least one outlier channel.
    pub outlier_windows: usize,
    /// Share of all outlier windows of the sample.
    pub share_of_outliers: f64,
    /// The subject's outlier rate over the sample's.
    pub enrichment: f64,
    /// `P(X ≥ outlier_windows)` under random placement (uncorrected).
    pub p_value: f64,
    /// The cluster in one sentence.
    pub sentence: String,
}

/// The attribution of a sample's outliers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Attribution {
    /// Windows in the sample.
    pub sampled_windows: usize,
    /// Windows with at least one outlier channel.
    pub outlier_windows: usize,
    /// Recordings in the sample.
    pub sampled_recordings: usize,
    /// Significant recordings, by p-value, then share.
    pub clusters: Vec<Cluster>,
    /// Significant subjects (tested at `alpha / subjects sampled`), by
    /// p-value, then share.
    pub subjects: Vec<SubjectCluster>,
    /// One sentence saying where the outliers are.
    pub summary: String,
}

/// Attributes outlier cells to recordings, subjects and channels.
///
/// `sampled` are indices into `windows.windows`; `outliers` are
/// (window index, channel index) pairs, the window index also into
/// `windows.windows` and among `sampled`; `channel_names` names the
/// channel indices.
pub fn attribute(
    windows: &Windows,
    sampled: &[usize],
    outliers: &[(usize, u32)],
    channel_names: &[String],
    config: &AttributeConfig,
) -> Attribution {
    // Sampled windows per recording, outlier windows and cells per recording.
    let mut sampled_per_recording: BTreeMap<u32, usize> = BTreeMap::new();
    for &i in sampled {
        if let Some(w) = windows.windows.get(i) {
            *sampled_per_recording.entry(w.recording).or_insert(0) += 1;
        }
    }
    let sampled_set: BTreeSet<usize> = sampled.iter().copied().collect();
    let mut outlier_windows: BTreeMap<u32, BTreeSet<usize>> = BTreeMap::new();
    let mut channel_windows: BTreeMap<u32, BTreeMap<u32, BTreeSet<usize>>> = BTreeMap::new();
    for &(i, channel) in outliers {
        let Some(w) = windows.windows.get(i).filter(|_| sampled_set.contains(&i)) else {
            continue;
        };
        outlier_windows.entry(w.recording).or_default().insert(i);
        channel_windows
            .entry(w.recording)
            .or_default()
            .entry(channel)
            .or_default()
            .insert(i);
    }
    let population = sampled_set.len();
    let total_outliers: usize = outlier_windows.values().map(BTreeSet::len).sum();

    // Each recording, then each subject, against chance.
    let chance = Chance {
        table: LogFactorials::up_to(population),
        population,
        total_outliers,
        config,
    };
    let subject_of = |recording: u32| {
        windows
            .recording_subject
            .get(recording as usize)
            .copied()
            .unwrap_or(0)
    };
    let mut clusters = Vec::new();
    for (&recording, hits) in &outlier_windows {
        let draws = sampled_per_recording.get(&recording).copied().unwrap_or(0);
        let Some(odds) = chance.test(hits.len(), draws, sampled_per_recording.len()) else {
            continue;
        };
        let mut channels: Vec<(u32, usize)> = channel_windows[&recording]
            .iter()
            .map(|(&c, ws)| (c, ws.len()))
            .collect();
        channels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let named: Vec<String> = channels
            .iter()
            .take(6)
            .map(|&(c, n)| format!("{} {n}", channel_name(channel_names, c)))
            .collect();
        let name = windows
            .recordings
            .get(recording as usize)
            .map_or("?", String::as_str);
        let sentence = format!(
            "{name} holds {}: {}, {}.",
            odds.held(),
            odds.rate(),
            on_channels(channels.len(), &named)
        );
        clusters.push(Cluster {
            recording,
            subject: subject_of(recording),
            sampled: draws,
            outlier_windows: odds.k,
            share_of_outliers: odds.share,
            enrichment: odds.enrichment,
            p_value: odds.p,
            channels,
            sentence,
        });
    }
    clusters.sort_by(|a, b| {
        a.p_value
            .total_cmp(&b.p_value)
            .then(b.share_of_outliers.total_cmp(&a.share_of_outliers))
            .then(a.recording.cmp(&b.recording))
    });

    // (recordings, windows) of each subject in the sample, and of those
    // with outliers.
    let mut sampled_per_subject: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
    for (&recording, &n) in &sampled_per_recording {
        let e = sampled_per_subject
            .entry(subject_of(recording))
            .or_default();
        e.0 += 1;
        e.1 += n;
    }
    let mut outliers_per_subject: BTreeMap<u32, (usize, usize)> = BTreeMap::new();
    for (&recording, hits) in &outlier_windows {
        let e = outliers_per_subject
            .entry(subject_of(recording))
            .or_default();
        e.0 += 1;
        e.1 += hits.len();
    }
    let mut subjects = Vec::new();
    for (&subject, &(recordings_with_outliers, k)) in &outliers_per_subject {
        let (recordings, draws) = sampled_per_subject.get(&subject).copied().unwrap_or((0, 0));
        let Some(odds) = chance.test(k, draws, sampled_per_subject.len()) else {
            continue;
        };
        let name = windows
            .subjects
            .get(subject as usize)
            .map_or("?", String::as_str);
        let sentence = format!(
            "Subject {name} holds {}, in {recordings_with_outliers} of its {recordings} \
             recordings: {}.",
            odds.held(),
            odds.rate()
        );
        subjects.push(SubjectCluster {
            subject,
            recordings,
            recordings_with_outliers,
            sampled: draws,
            outlier_windows: k,
            share_of_outliers: odds.share,
            enrichment: odds.enrichment,
            p_value: odds.p,
            sentence,
        });
    }
    subjects.sort_by(|a, b| {
        a.p_value
            .total_cmp(&b.p_value)
            .then(b.share_of_outliers.total_cmp(&a.share_of_outliers))
            .then(a.subject.cmp(&b.subject))
    });

    let summary = summarize(
        windows,
        &clusters,
        &subjects,
        total_outliers,
        sampled_per_recording.len(),
        channel_names,
    );
    Attribution {
        sampled_windows: population,
        outlier_windows: total_outliers,
        sampled_recordings: sampled_per_recording.len(),
        clusters,
        subjects,
        summary,
    }
}

/// "on channel T8", or "on 5 channels (T7, T8, C3, P7, Fz)" with the
/// first `named` of `total` channels and how many more.
fn on_channels(total: usize, named: &[String]) -> String {
    match (total, named.first()) {
        (1, Some(only)) => format!("on channel {only}"),
        (n, _) => {
            let more = n.saturating_sub(named.len());
            let more = if more > 0 {
                format!(", {more} more")
            } else {
                String::new()
            };
            format!("on {n} channels ({}{more})", named.join(", "))
        }
    }
}

/// The sample's outliers, against which a group of its windows (a
/// recording's, a subject's) is tested.
struct Chance<'a> {
    table: LogFactorials,
    population: usize,
    total_outliers: usize,
    config: &'a AttributeConfig,
}

/// A group holding more outlier windows than chance would give.
struct Odds {
    /// Its outlier windows.
    k: usize,
    /// Its sampled windows.
    draws: usize,
    total_outliers: usize,
    share: f64,
    enrichment: f64,
    p: f64,
}

impl Chance<'_> {
    /// `k` outlier windows among a group's `draws` sampled ones, one of
    /// `tests` groups tested (Bonferroni): the odds when they pass.
    fn test(&self, k: usize, draws: usize, tests: usize) -> Option<Odds> {
        let p =
            hypergeometric_upper_tail(k, self.population, self.total_outliers, draws, &self.table)?;
        if k < self.config.min_outlier_windows || p * tests.max(1) as f64 >= self.config.alpha {
            return None;
        }
        let overall = self.total_outliers as f64 / self.population as f64;
        Some(Odds {
            k,
            draws,
            total_outliers: self.total_outliers,
            share: k as f64 / self.total_outliers as f64,
            enrichment: (k as f64 / draws as f64) / overall,
            p,
        })
    }
}

impl Odds {
    /// "8 of the 17 outlier windows (47%)".
    fn held(&self) -> String {
        format!(
            "{} of the {} outlier windows ({:.0}%)",
            self.k,
            self.total_outliers,
            100.0 * self.share
        )
    }

    /// "8 of its 8 sampled windows, 37.6× the sample's rate (p =
    /// 1.2e-13)".
    fn rate(&self) -> String {
        let p = if self.p < 1e-3 {
            format!("{:.1e}", self.p)
        } else {
            format!("{:.3}", self.p)
        };
        format!(
            "{} of its {} sampled windows, {:.1}× the sample's rate (p = {p})",
            self.k, self.draws, self.enrichment
        )
    }
}

/// The name of channel `c`, or `#c` when `names` does not have it.
fn channel_name(names: &[String], c: u32) -> String {
    names
        .get(c as usize)
        .cloned()
        .unwrap_or_else(|| format!("#{c}"))
}

/// "96% of outlier windows come from 2 of 80 recordings, both of subject
/// 07, on 4 channels (T7, T8, C3, P7)."
fn summarize(
    windows: &Windows,
    clusters: &[Cluster],
    subject_clusters: &[SubjectCluster],
    total_outliers: usize,
    recordings: usize,
    channel_names: &[String],
) -> String {
    if total_outliers == 0 {
        return "No outlier windows in the sample.".to_string();
    }
    if clusters.is_empty() && !subject_clusters.is_empty() {
        // Spread thin over a subject's recordings: no one recording stands
        // out, the subject does.
        let held: usize = subject_clusters.iter().map(|c| c.outlier_windows).sum();
        let mut names: Vec<&str> = subject_clusters
            .iter()
            .take(3)
            .map(|c| {
                windows
                    .subjects
                    .get(c.subject as usize)
                    .map_or("?", String::as_str)
            })
            .collect();
        names.sort_unstable();
        let more = subject_clusters.len().saturating_sub(names.len());
        let who = match (names.len(), more) {
            (1, _) => format!("subject {}", names[0]),
            (_, 0) => format!("subjects {}", names.join(", ")),
            (_, m) => format!("subjects {} and {m} more", names.join(", ")),
        };
        return format!(
            "{:.0}% of outlier windows come from {who}, more than chance would give, though \
             spread over their recordings: no single recording holds more than chance.",
            100.0 * held as f64 / total_outliers as f64
        );
    }
    if clusters.is_empty() {
        return format!(
            "{total_outliers} outlier windows, spread over the sample: no recording holds \
             more than chance would give."
        );
    }
    let in_clusters: usize = clusters.iter().map(|c| c.outlier_windows).sum();
    let share = 100.0 * in_clusters as f64 / total_outliers as f64;
    let subjects: BTreeSet<u32> = clusters.iter().map(|c| c.subject).collect();
    let name = |s: &u32| {
        windows
            .subjects
            .get(*s as usize)
            .cloned()
            .unwrap_or_default()
    };
    let whose = match (clusters.len(), subjects.len()) {
        (1, _) => format!("of subject {}", name(&clusters[0].subject)),
        (2, 1) => format!("both of subject {}", name(&clusters[0].subject)),
        (_, 1) => format!("all of subject {}", name(&clusters[0].subject)),
        (_, n) if n <= 3 => format!(
            "of subjects {}",
            subjects.iter().map(name).collect::<Vec<_>>().join(", ")
        ),
        (_, n) => format!("of {n} subjects"),
    };
    // Channels holding most of the clusters' outlier windows.
    let mut per_channel: BTreeMap<u32, usize> = BTreeMap::new();
    for c in clusters {
        for &(ch, n) in &c.channels {
            *per_channel.entry(ch).or_insert(0) += n;
        }
    }
    let mut channels: Vec<(u32, usize)> = per_channel.into_iter().collect();
    channels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let names: Vec<String> = channels
        .iter()
        .take(6)
        .map(|&(c, _)| channel_name(channel_names, c))
        .collect();
    let on = on_channels(channels.len(), &names);
    let of = match clusters.len() {
        1 => format!("1 of {recordings} recordings"),
        n => format!("{n} of {recordings} recordings"),
    };
    format!("{share:.0}% of outlier windows come from {of}, {whose}, {on}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{Locator, Window};

    /// 20 subjects × 4 recordings × 8 sampled windows each.
    fn sample() -> (Windows, Vec<usize>) {
        let mut w = Windows {
            subjects: (1..=20).map(|s| format!("{s:02}")).collect(),
            classes: vec!["nontarget".into(), "target".into()],
            ..Windows::default()
        };
        for s in 0..20u32 {
            for run in 0..4 {
                let r = w.recordings.len() as u32;
                w.recordings.push(format!("sub-{:02}_run-{run}", s + 1));
                w.recording_subject.push(s);
                for k in 0..8 {
                    w.windows.push(Window {
                        recording: r,
                        subject: s,
                        class: u32::from(k == 0),
                        locator: Locator::Time {
                            start_s: f64::from(k),
                        },
                    });
                }
            }
        }
        let all = (0..w.windows.len()).collect();
        (w, all)
    }

    fn names() -> Vec<String> {
        ["T7", "T8", "C3", "P7", "Fz"].map(String::from).to_vec()
    }

    #[test]
    fn two_faulty_recordings_of_one_subject_are_named_in_one_sentence() {
        let (w, sampled) = sample();
        // Subject 07 (index 6), runs 2 and 3: recordings 26 and 27; every
        // window is an outlier on channels 0-3. One stray outlier elsewhere.
        let mut outliers = Vec::new();
        for r in [26usize, 27] {
            for k in 0..8 {
                for ch in 0..4 {
                    outliers.push((r * 8 + k, ch));
                }
            }
        }
        outliers.push((5 * 8 + 3, 4));
        let a = attribute(
            &w,
            &sampled,
            &outliers,
            &names(),
            &AttributeConfig::default(),
        );
        assert_eq!(a.outlier_windows, 17);
        assert_eq!(a.clusters.len(), 2);
        assert_eq!(
            a.summary,
            "94% of outlier windows come from 2 of 80 recordings, both of subject 07, \
             on 4 channels (T7, T8, C3, P7)."
        );
        let c = &a.clusters[0];
        assert_eq!((c.recording, c.subject, c.outlier_windows), (26, 6, 8));
        assert!((c.enrichment - 640.0 / 17.0).abs() < 1e-9);
        assert!(c.p_value < 1e-12);
        assert!(
            c.sentence.starts_with(
                "sub-07_run-2 holds 8 of the 17 outlier windows (47%): 8 of its 8 sampled \
                 windows, 37.6× the sample's rate (p = "
            ),
            "{}",
            c.sentence
        );
        assert!(
            c.sentence
                .ends_with("on 4 channels (T7 8, T8 8, C3 8, P7 8)."),
            "{}",
            c.sentence
        );
        // Subject 07 as a whole; subject 06's one stray window is no cluster.
        assert_eq!(a.subjects.len(), 1);
        let s = &a.subjects[0];
        assert_eq!(
            (s.subject, s.recordings, s.recordings_with_outliers),
            (6, 4, 2)
        );
        assert_eq!((s.sampled, s.outlier_windows), (32, 16));
        assert!((s.enrichment - (16.0 / 32.0) / (17.0 / 640.0)).abs() < 1e-9);
        assert!(
            s.sentence.starts_with(
                "Subject 07 holds 16 of the 17 outlier windows (94%), in 2 of its 4 recordings"
            ),
            "{}",
            s.sentence
        );
    }

    #[test]
    fn a_subject_whose_outliers_spread_over_its_runs_is_a_cluster_its_runs_are_not() {
        let (w, sampled) = sample();
        // Subject 12 (index 11): two outlier windows in each of its four
        // runs; no single run passes the corrected test, the subject does.
        let mut outliers: Vec<(usize, u32)> = (0..4)
            .flat_map(|run| [((44 + run) * 8, 0), ((44 + run) * 8 + 5, 0)])
            .collect();
        // Background: one outlier window in each of 10 other recordings.
        outliers.extend((0..10).map(|r| (r * 8 + 1, 4)));
        let a = attribute(
            &w,
            &sampled,
            &outliers,
            &names(),
            &AttributeConfig::default(),
        );
        assert!(a.clusters.is_empty(), "{:?}", a.clusters);
        let named: Vec<u32> = a.subjects.iter().map(|s| s.subject).collect();
        assert_eq!(named, [11], "{:?}", a.subjects);
        assert_eq!(
            a.summary,
            "44% of outlier windows come from subject 12, more than chance would give, \
             though spread over their recordings: no single recording holds more than chance."
        );
    }

    #[test]
    fn outliers_spread_at_random_form_no_cluster() {
        let (w, sampled) = sample();
        // One outlier window in each of 30 recordings.
        let outliers: Vec<(usize, u32)> = (0..30).map(|r| (r * 8 + r % 8, 4)).collect();
        let a = attribute(
            &w,
            &sampled,
            &outliers,
            &names(),
            &AttributeConfig::default(),
        );
        assert!(a.clusters.is_empty());
        assert!(
            a.summary.contains("spread over the sample"),
            "{}",
            a.summary
        );
    }

    #[test]
    fn no_outliers_say_so() {
        let (w, sampled) = sample();
        let a = attribute(&w, &sampled, &[], &names(), &AttributeConfig::default());
        assert_eq!(a.summary, "No outlier windows in the sample.");
    }
}
