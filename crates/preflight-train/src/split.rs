//! Splitting by subject: no subject's windows in two of training,
//! validation and test, so the score says how the network does on people it
//! has never seen.
//!
//! Subjects are shuffled with the seed and dealt into the three sets; of
//! [`CANDIDATES`] such seeded deals the one whose validation and test class
//! shares are closest to the whole dataset's (sum of absolute differences)
//! is kept, and every set must hold every class where the subjects allow
//! it. This is the aim of scikit-learn's `StratifiedGroupKFold`, reached
//! by search instead of its greedy assignment.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::data::Examples;
use crate::error::TrainError;

/// Number of seeded deals compared.
pub const CANDIDATES: usize = 64;

/// Which windows go where.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Split {
    /// Subjects (indices into [`Examples::subjects`]) of each set.
    pub train_subjects: Vec<u32>,
    /// Validation subjects.
    pub validation_subjects: Vec<u32>,
    /// Test subjects.
    pub test_subjects: Vec<u32>,
    /// Windows of each set (indices into the examples).
    #[serde(skip)]
    pub train: Vec<usize>,
    /// Validation windows.
    #[serde(skip)]
    pub validation: Vec<usize>,
    /// Test windows.
    #[serde(skip)]
    pub test: Vec<usize>,
}

/// Splits `examples` by subject: `test_share` and `validation_share` of
/// the subjects (rounded, at least one each) for test and validation, the
/// rest for training. The subjects are judged by `counts` (per subject,
/// windows per class) when given, else by the examples' own: a run on
/// the audited windows and one on all of them then hold out the same
/// subjects when both pass the counts of all labelled windows.
///
/// # Errors
///
/// [`TrainError::Data`] when there are fewer than three subjects with
/// windows.
pub fn split(
    examples: &Examples,
    test_share: f64,
    validation_share: f64,
    seed: u64,
    counts: Option<&[Vec<usize>]>,
) -> Result<Split, TrainError> {
    let k = examples.classes.len();
    let mut per_subject = vec![vec![0usize; k]; examples.subjects.len()];
    match counts {
        Some(c) if c.len() == per_subject.len() && c.iter().all(|row| row.len() == k) => {
            per_subject = c.to_vec();
        }
        Some(c) => {
            return Err(TrainError::Data(format!(
                "split counts for {} subjects; expected {} subjects × {k} classes",
                c.len(),
                per_subject.len()
            )))
        }
        None => {
            for (&s, &c) in examples.subject.iter().zip(&examples.y) {
                per_subject[s as usize][c as usize] += 1;
            }
        }
    }
    let present: Vec<u32> = (0..per_subject.len() as u32)
        .filter(|&s| per_subject[s as usize].iter().sum::<usize>() > 0)
        .collect();
    let n = present.len();
    if n < 3 {
        return Err(TrainError::Data(format!(
            "{n} subjects have windows; a split by subject needs at least 3 \
             (training, validation, test)"
        )));
    }
    let count = |share: f64| ((share * n as f64).round() as usize).clamp(1, n);
    let n_test = count(test_share).min(n - 2);
    let n_validation = count(validation_share).min(n - 1 - n_test);

    let shares = |subjects: &[u32]| -> (Vec<f64>, usize) {
        let mut counts = vec![0usize; k];
        for &s in subjects {
            for (c, v) in per_subject[s as usize].iter().enumerate() {
                counts[c] += v;
            }
        }
        let sum: usize = counts.iter().sum();
        let missing = counts.iter().filter(|&&v| v == 0).count();
        let shares = counts
            .iter()
            .map(|&v| v as f64 / sum.max(1) as f64)
            .collect();
        (shares, missing)
    };
    let (overall, _) = shares(&present);

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut best: Option<(usize, f64, Vec<u32>)> = None;
    for _ in 0..CANDIDATES {
        let mut order = present.clone();
        order.shuffle(&mut rng);
        let (test, rest) = order.split_at(n_test);
        let (validation, train) = rest.split_at(n_validation);
        let mut missing = 0;
        let mut distance = 0.0;
        for set in [test, validation, train] {
            let (s, m) = shares(set);
            missing += m;
            distance += s
                .iter()
                .zip(&overall)
                .map(|(a, b)| (a - b).abs())
                .sum::<f64>();
        }
        let better = match &best {
            None => true,
            Some((m, d, _)) => (missing, distance) < (*m, *d),
        };
        if better {
            best = Some((missing, distance, order));
        }
    }
    let Some((_, _, order)) = best else {
        return Err(TrainError::Data("no split was drawn".into()));
    };
    let mut test_subjects = order[..n_test].to_vec();
    let mut validation_subjects = order[n_test..n_test + n_validation].to_vec();
    let mut train_subjects = order[n_test + n_validation..].to_vec();
    test_subjects.sort_unstable();
    validation_subjects.sort_unstable();
    train_subjects.sort_unstable();

    let mut set_of = vec![0u8; examples.subjects.len()];
    for &s in &validation_subjects {
        set_of[s as usize] = 1;
    }
    for &s in &test_subjects {
        set_of[s as usize] = 2;
    }
    let (mut train, mut validation, mut test) = (Vec::new(), Vec::new(), Vec::new());
    for (i, &s) in examples.subject.iter().enumerate() {
        match set_of[s as usize] {
            0 => train.push(i),
            1 => validation.push(i),
            _ => test.push(i),
        }
    }
    Ok(Split {
        train_subjects,
        validation_subjects,
        test_subjects,
        train,
        validation,
        test,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(subjects: usize, per_subject: usize, minority_every: usize) -> Examples {
        let n = subjects * per_subject;
        Examples {
            channels: vec!["Cz".into()],
            sfreq_hz: 100.0,
            samples: 1,
            x: vec![0.0; n],
            y: (0..n).map(|i| u32::from(i % minority_every == 0)).collect(),
            subject: (0..n).map(|i| (i / per_subject) as u32).collect(),
            recording: (0..n).map(|i| (i / per_subject) as u32).collect(),
            onset_s: vec![0.0; n],
            classes: vec!["standard".into(), "target".into()],
            subjects: (1..=subjects).map(|s| format!("{s:02}")).collect(),
            recordings: (1..=subjects).map(|s| format!("sub-{s:02}")).collect(),
        }
    }

    #[test]
    fn no_subject_in_two_sets_and_every_window_placed() {
        let e = examples(20, 50, 13);
        let s = split(&e, 0.2, 0.15, 7, None).expect("20 subjects split");
        assert_eq!(s.test_subjects.len(), 4);
        assert_eq!(s.validation_subjects.len(), 3);
        assert_eq!(s.train_subjects.len(), 13);
        for t in &s.test_subjects {
            assert!(!s.train_subjects.contains(t) && !s.validation_subjects.contains(t));
        }
        assert_eq!(s.train.len() + s.validation.len() + s.test.len(), e.len());
        for &i in &s.test {
            assert!(s.test_subjects.contains(&e.subject[i]));
        }
        for set in [&s.train, &s.validation, &s.test] {
            assert!(
                set.iter().any(|&i| e.y[i] == 1),
                "a set without the minority class"
            );
        }
    }

    #[test]
    fn seeded() {
        let e = examples(12, 20, 5);
        assert_eq!(
            split(&e, 0.25, 0.2, 1, None).unwrap(),
            split(&e, 0.25, 0.2, 1, None).unwrap()
        );
        let other = (2..20).any(|seed| {
            split(&e, 0.25, 0.2, seed, None).unwrap().test_subjects
                != split(&e, 0.25, 0.2, 1, None).unwrap().test_subjects
        });
        assert!(other, "the seed changes nothing");
    }

    #[test]
    fn given_counts_decide_the_split() {
        let e = examples(12, 20, 5);
        let own = split(&e, 0.25, 0.2, 1, None).unwrap();
        let counts: Vec<Vec<usize>> = (0..12).map(|s| vec![10 + s, 3]).collect();
        let given = split(&e, 0.25, 0.2, 1, Some(&counts)).unwrap();
        assert_eq!(
            given.train.len() + given.validation.len() + given.test.len(),
            e.len()
        );
        // Same counts, same split, whatever the examples' own.
        let again = split(&e, 0.25, 0.2, 1, Some(&counts)).unwrap();
        assert_eq!(given, again);
        let _ = own;
        assert!(split(&e, 0.25, 0.2, 1, Some(&counts[..3])).is_err());
    }

    #[test]
    fn too_few_subjects() {
        let e = examples(2, 10, 3);
        let err = split(&e, 0.2, 0.2, 0, None).unwrap_err().to_string();
        assert!(err.contains("2 subjects"), "{err}");
    }
}
