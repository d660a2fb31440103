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

    // Each recording against chance.
    let table = LogFactorials::up_to(population);
    let tests = sampled_per_recording.len().max(1);
    let mut clusters = Vec::new();
    for (&recording, hits) in &outlier_windows {
        let draws = sampled_per_recording.get(&recording).copied().unwrap_or(0);
        let k = hits.len();
        let Some(p) = hypergeometric_upper_tail(k, population, total_outliers, draws, &table)
        else {
            continue;
        };
        if k < config.min_outlier_windows || p * tests as f64 >= config.alpha {
            continue;
        }
        let mut channels: Vec<(u32, usize)> = channel_windows[&recording]
            .iter()
            .map(|(&c, ws)| (c, ws.len()))
            .collect();
        channels.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let rate = k as f64 / draws as f64;
        let overall = total_outliers as f64 / population as f64;
        clusters.push(Cluster {
            recording,
            subject: windows
                .recording_subject
                .get(recording as usize)
                .copied()
                .unwrap_or(0),
            sampled: draws,
            outlier_windows: k,
            share_of_outliers: k as f64 / total_outliers as f64,
            enrichment: rate / overall,
            p_value: p,
            channels,
        });
    }
    clusters.sort_by(|a, b| {
        a.p_value
            .total_cmp(&b.p_value)
            .then(b.share_of_outliers.total_cmp(&a.share_of_outliers))
            .then(a.recording.cmp(&b.recording))
    });

    let summary = summarize(
        windows,
        &clusters,
        total_outliers,
        sampled_per_recording.len(),
        channel_names,
    );
    Attribution {
        sampled_windows: population,
        outlier_windows: total_outliers,
        sampled_recordings: sampled_per_recording.len(),
        clusters,
        summary,
    }
}

/// "96% of outlier windows come from 2 of 80 recordings, both of subject
/// 07, on 4 channels (T7, T8, C3, P7)."
fn summarize(
    windows: &Windows,
    clusters: &[Cluster],
    total_outliers: usize,
    recordings: usize,
    channel_names: &[String],
) -> String {
    if total_outliers == 0 {
        return "No outlier windows in the sample.".to_string();
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
        .map(|(c, _)| {
            channel_names
                .get(*c as usize)
                .cloned()
                .unwrap_or_else(|| format!("#{c}"))
        })
        .collect();
    let more = channels.len().saturating_sub(names.len());
    let on = match channels.len() {
        1 => format!("on channel {}", names[0]),
        n => format!(
            "on {n} channels ({}{})",
            names.join(", "),
            if more > 0 {
                format!(", {more} more")
            } else {
                String::new()
            }
        ),
    };
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
