//! Class balance: what accuracy means on this dataset.
//!
//! Counts the windows of each class, overall and per subject, and derives
//! what a reader of an accuracy figure needs: the majority-class baseline
//! (the accuracy of always answering the most common class), balanced
//! class weights for a weighted loss, and a plain warning when the
//! minority share is under 20% and smaller than the majority's (ten classes
//! of 10% each are balanced). Unlabelled windows
//! ([`Windows::unlabelled_class`]) are no class here.
//!
//! Class weights follow scikit-learn's `compute_class_weight("balanced")`:
//! `w_c = n / (k · n_c)` for `n` windows of `k` classes, `n_c` in class
//! `c`, so that every class carries the same total weight.

use serde::{Deserialize, Serialize};

use crate::window::Windows;

/// Below this share of windows, a class is a minority worth a warning.
pub const MINORITY_SHARE: f64 = 0.2;

/// One class's count and weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassBalance {
    /// Class name.
    pub class: String,
    /// Windows of the class.
    pub count: usize,
    /// Share of all windows.
    pub share: f64,
    /// Balanced weight `n / (k · count)`.
    pub weight: f64,
}

/// Class counts of one subject.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SubjectBalance {
    /// Subject label.
    pub subject: String,
    /// Windows per class, in the order of [`Balance::classes`].
    pub counts: Vec<usize>,
}

/// The class balance of a dataset's windows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Balance {
    /// Labelled windows in all.
    pub windows: usize,
    /// Per class, in the order of [`Windows::classes`]; classes without
    /// windows are left out.
    pub classes: Vec<ClassBalance>,
    /// Per subject.
    pub subjects: Vec<SubjectBalance>,
    /// The most common class.
    pub majority_class: Option<String>,
    /// Accuracy of always answering the majority class.
    pub majority_baseline: Option<f64>,
    /// A warning in plain words when a class is under [`MINORITY_SHARE`].
    pub warning: Option<String>,
}

/// Measures the class balance of `windows`.
///
/// ```
/// use preflight::balance::balance;
/// use preflight::window::{Locator, Window, Windows};
///
/// let w = Windows {
///     subjects: vec!["01".into()],
///     classes: vec!["nontarget".into(), "target".into()],
///     recordings: vec!["r".into()],
///     recording_subject: vec![0],
///     windows: (0..1000)
///         .map(|i| Window {
///             recording: 0,
///             subject: 0,
///             class: u32::from(i < 76),
///             locator: Locator::Time { start_s: i as f64 },
///         })
///         .collect(),
///     ..Windows::default()
/// };
/// let b = balance(&w);
/// assert_eq!(b.majority_class.as_deref(), Some("nontarget"));
/// assert!((b.majority_baseline.unwrap() - 0.924).abs() < 1e-12);
/// assert!(b.warning.unwrap().contains("balanced accuracy"));
/// ```
pub fn balance(windows: &Windows) -> Balance {
    let k = windows.classes.len();
    let mut counts = vec![0usize; k];
    let mut per_subject = vec![vec![0usize; k]; windows.subjects.len()];
    for w in &windows.windows {
        if Some(w.class) == windows.unlabelled_class {
            continue;
        }
        counts[w.class as usize] += 1;
        if let Some(row) = per_subject.get_mut(w.subject as usize) {
            row[w.class as usize] += 1;
        }
    }
    // The classes with windows: those of the balance and of each subject's
    // counts.
    let kept: Vec<bool> = counts.iter().map(|&c| c > 0).collect();
    let n: usize = counts.iter().sum();
    let present = counts.iter().filter(|&&c| c > 0).count();
    let classes: Vec<ClassBalance> = windows
        .classes
        .iter()
        .zip(&counts)
        .filter(|(_, &c)| c > 0)
        .map(|(name, &count)| ClassBalance {
            class: name.clone(),
            count,
            share: count as f64 / n as f64,
            weight: n as f64 / (present as f64 * count as f64),
        })
        .collect();

    // The first of the largest classes, as an argmax would pick it.
    let majority = classes
        .iter()
        .fold(None::<&ClassBalance>, |best, c| match best {
            Some(b) if b.count >= c.count => Some(b),
            _ => Some(c),
        });
    let minority = classes
        .iter()
        .fold(None::<&ClassBalance>, |worst, c| match worst {
            Some(w) if w.count <= c.count => Some(w),
            _ => Some(c),
        });
    let warning = match (majority, minority) {
        // Classes of equal size are balanced however many there are.
        (Some(major), Some(minor))
            if classes.len() > 1 && minor.share < MINORITY_SHARE && minor.count < major.count =>
        {
            Some(format!(
                "Classes are imbalanced: {} is {:.1}% of windows. A model that always answers \
                 {} scores {:.1}% accuracy, so accuracy says little here; report balanced \
                 accuracy and per-class recall, and weight the loss by class.",
                minor.class,
                100.0 * minor.share,
                major.class,
                100.0 * major.share
            ))
        }
        _ => None,
    };

    Balance {
        windows: n,
        majority_class: majority.map(|c| c.class.clone()),
        majority_baseline: majority.map(|c| c.share),
        classes,
        subjects: windows
            .subjects
            .iter()
            .zip(per_subject)
            .map(|(s, counts)| SubjectBalance {
                subject: s.clone(),
                counts: counts
                    .iter()
                    .zip(&kept)
                    .filter(|(_, &k)| k)
                    .map(|(&c, _)| c)
                    .collect(),
            })
            .collect(),
        warning,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window::{Locator, Window};

    fn windows(per_subject: &[[usize; 3]]) -> Windows {
        let mut w = Windows {
            subjects: (0..per_subject.len()).map(|s| format!("{s:02}")).collect(),
            classes: vec!["a".into(), "b".into(), "c".into()],
            ..Windows::default()
        };
        for (s, counts) in per_subject.iter().enumerate() {
            w.recordings.push(format!("r{s}"));
            w.recording_subject.push(s as u32);
            for (class, &n) in counts.iter().enumerate() {
                for i in 0..n {
                    w.windows.push(Window {
                        recording: s as u32,
                        subject: s as u32,
                        class: class as u32,
                        locator: Locator::Time { start_s: i as f64 },
                    });
                }
            }
        }
        w
    }

    #[test]
    fn weights_give_every_class_the_same_total() {
        let b = balance(&windows(&[[60, 30, 10], [40, 0, 10]]));
        assert_eq!(b.windows, 150);
        let totals: Vec<f64> = b
            .classes
            .iter()
            .map(|c| c.weight * c.count as f64)
            .collect();
        for t in &totals {
            assert!((t - 50.0).abs() < 1e-9, "{totals:?}");
        }
        assert_eq!(b.subjects[1].counts, [40, 0, 10]);
        assert_eq!(b.majority_baseline, Some(100.0 / 150.0));
        assert!(b.warning.unwrap().contains("c is 13.3% of windows"));
        // Classes of a fifth or more each: no warning.
        assert!(balance(&windows(&[[40, 30, 30]])).warning.is_none());
    }

    #[test]
    fn a_minority_under_a_fifth_is_warned_about() {
        let b = balance(&windows(&[[90, 9, 0]]));
        let w = b.warning.unwrap();
        assert!(w.contains("b is 9.1% of windows"), "{w}");
        assert!(w.contains("always answers a scores 90.9%"), "{w}");
        // An empty class is not a class of the data.
        assert_eq!(b.classes.len(), 2);
    }

    #[test]
    fn ties_go_to_the_first_class_as_argmax_does() {
        let b = balance(&windows(&[[5, 5, 0]]));
        assert_eq!(b.majority_class.as_deref(), Some("a"));
        assert_eq!(b.majority_baseline, Some(0.5));
    }

    #[test]
    fn no_windows_no_baseline() {
        let b = balance(&Windows::default());
        assert_eq!(b.majority_baseline, None);
        assert!(b.classes.is_empty() && b.warning.is_none());
    }

    #[test]
    fn classes_of_equal_size_are_not_called_imbalanced() {
        // Nine classes of one window each: every share is 11.1%, under a
        // fifth, yet nothing is a minority.
        let mut w = windows(&[]);
        w.classes = (0..9).map(|c| format!("c{c}")).collect();
        w.recordings.push("r".into());
        w.subjects.push("01".into());
        w.recording_subject.push(0);
        for class in 0..9 {
            w.windows.push(Window {
                recording: 0,
                subject: 0,
                class,
                locator: Locator::Time {
                    start_s: f64::from(class),
                },
            });
        }
        let b = balance(&w);
        assert_eq!(b.classes.len(), 9);
        assert!(b.warning.is_none(), "{:?}", b.warning);
        // One more window of one class makes the others minorities.
        w.windows.push(Window {
            recording: 0,
            subject: 0,
            class: 0,
            locator: Locator::Time { start_s: 9.0 },
        });
        assert!(balance(&w).warning.unwrap().contains("c1 is 10.0%"));
    }

    #[test]
    fn unlabelled_windows_are_no_class_of_the_balance() {
        let mut w = windows(&[[10, 10, 30], [10, 10, 30]]);
        w.classes[2] = crate::window::UNLABELLED.to_string();
        w.unlabelled_class = Some(2);
        let b = balance(&w);
        assert_eq!(b.windows, 40);
        let names: Vec<&str> = b.classes.iter().map(|c| c.class.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(b.subjects[0].counts, [10, 10]);
        assert_eq!(b.majority_baseline, Some(0.5));
        assert!(b.warning.is_none());
    }
}
