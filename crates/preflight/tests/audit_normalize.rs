//! The normalization gathered in the measuring pass and finished once the
//! plan is known must equal the obvious second pass over the clean
//! samples: counts, histograms, medians and IQRs exactly, means and
//! standard deviations within float rounding.

use std::collections::BTreeMap;

use preflight::audit::normalize::normalization_and_histograms;
use preflight::dataset::{discover, DiscoverConfig};
use preflight::measure::histogram::AmplitudeHistogram;
use preflight::measure::moments::Moments;
use preflight::measure::sketch::QuantileSketch;
use preflight::read::{map_windows, ReadConfig};
use preflight::synth::generate;
use preflight::window::{windows, WindowSource};

mod common;

/// Per channel: moments of all samples, moments and sketch of the clean
/// ones, clean and flagged histograms.
type Reference = BTreeMap<
    String,
    (
        Moments,
        Moments,
        QuantileSketch,
        AmplitudeHistogram,
        AmplitudeHistogram,
    ),
>;

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0),
        (None, None) => true,
        _ => false,
    }
}

#[test]
fn normalization_from_the_measuring_pass_equals_a_pass_over_the_clean_samples() {
    let dir = tempfile::tempdir().unwrap();
    generate(
        &common::small_demo(4, 2, &["P7", "P3", "PO3", "O1"], 3),
        dir.path(),
    )
    .unwrap();
    let dataset = discover(dir.path(), &DiscoverConfig::default()).unwrap();
    let w = windows(&dataset, &WindowSource::default());
    let indices: Vec<usize> = (0..w.windows.len()).step_by(7).collect();

    // Exclusions at every level at once: a whole recording, one channel
    // of another, single windows; flagged cells that overlap them in part.
    let excluded_recording = w.recordings[1].clone();
    let is_excluded = |window: usize, channel: &str| {
        let r = &w.recordings[w.windows[window].recording as usize];
        *r == excluded_recording
            || (r == &w.recordings[2] && channel == "Cz")
            || (window % 5 == 0 && channel.starts_with('F'))
    };
    let is_flagged =
        |window: usize, channel: &str| window % 3 == 0 && (channel == "P7" || channel == "Cz");

    let config = ReadConfig::default();
    let (normalization, histograms, errors) =
        normalization_and_histograms(&dataset, &w, &indices, &config, is_excluded, is_flagged);
    assert!(errors.is_empty());

    // The obvious pass, sample by sample.
    let mut reference = Reference::new();
    let visited = map_windows(&dataset, &w, &indices, &config, |s| {
        let mut out = Vec::new();
        for (info, samples) in s.channels.iter().zip(s.samples) {
            out.push((info.name.clone(), s.index, samples.clone()));
        }
        out
    });
    for cells in visited {
        for (name, window, samples) in cells.unwrap() {
            let r = reference.entry(name.clone()).or_insert_with(|| {
                (
                    Moments::new(),
                    Moments::new(),
                    QuantileSketch::new(),
                    AmplitudeHistogram::new(),
                    AmplitudeHistogram::new(),
                )
            });
            r.0.push(&samples);
            if is_flagged(window, &name) {
                r.4.push(&samples);
            } else {
                r.3.push(&samples);
            }
            if !is_excluded(window, &name) {
                r.1.push(&samples);
                r.2.push(&samples);
            }
        }
    }

    assert_eq!(normalization.len(), reference.len());
    for (n, h) in normalization.iter().zip(&histograms) {
        let (all, clean, sketch, clean_hist, flagged_hist) = &reference[&n.channel];
        assert_eq!(n.samples, clean.count(), "{}", n.channel);
        assert_eq!(n.samples_all, all.count(), "{}", n.channel);
        assert!(close(n.mean, clean.mean()), "{}", n.channel);
        assert!(close(n.std, clean.std(0)), "{}", n.channel);
        assert!(close(n.mean_all, all.mean()), "{}", n.channel);
        assert!(close(n.std_all, all.std(0)), "{}", n.channel);
        assert_eq!(n.median, sketch.quantile(0.5), "{}", n.channel);
        assert_eq!(n.iqr, sketch.iqr(), "{}", n.channel);
        assert_eq!(&h.clean, clean_hist, "{}", n.channel);
        assert_eq!(&h.flagged, flagged_hist, "{}", n.channel);
    }
    // The excluded recording's channels still count in `samples_all`.
    let cz = normalization.iter().find(|n| n.channel == "Cz").unwrap();
    assert!(cz.samples < cz.samples_all);
}
