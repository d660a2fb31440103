//! Alignment of each subject's windows to a common spatial reference.
//!
//! Heads differ: where the sources of the background sit, how strongly
//! each electrode sees them, how the channels correlate. A spatial filter
//! learned on some subjects then meets other covariances on new ones.
//! Whitening every subject's windows with the inverse square root of its
//! mean spatial covariance, `x ← R^(−1/2) x` ("Euclidean alignment", He
//! and Wu, IEEE TBME 2020), gives every subject the identity as mean
//! covariance, so that what differs between windows of a class stands out
//! the same way in every head.
//!
//! `R` is the mean over a subject's windows of `X Xᵀ / samples`, each
//! window's channels demeaned first, shrunk towards `trace(R) / n × I` by
//! [`SHRINKAGE`] so that it stays invertible when channels are masked or
//! nearly collinear. It uses no label: the held-out subjects are aligned
//! with their own (unlabelled) windows, as a new subject would be.
//! Windows that hold a non-finite value take no part in `R` (they are
//! still transformed, and stay non-finite for the guards to name).

use crate::data::Examples;
use crate::error::TrainError;

/// Weight of the scaled identity in the shrunk covariance.
pub const SHRINKAGE: f64 = 0.01;

/// The matrix applied to each subject's windows.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// Channels of each matrix's side.
    pub channels: usize,
    /// Per subject (index into `Examples::subjects`), `R^(−1/2)` row-major,
    /// or `None` when the subject has no finite window.
    pub matrices: Vec<Option<Vec<f64>>>,
}

/// Aligns the windows of `examples` subject by subject, in place, and
/// returns the matrices used.
///
/// # Errors
///
/// [`TrainError::Data`] when the examples do not fit together.
pub fn align_subjects(examples: &mut Examples) -> Result<Alignment, TrainError> {
    examples.check()?;
    let c = examples.channels.len();
    let t = examples.samples;
    let mut sums = vec![vec![0.0f64; c * c]; examples.subjects.len()];
    let mut counts = vec![0usize; examples.subjects.len()];
    let mut centred = vec![0.0f64; c * t];
    for (i, &s) in examples.subject.iter().enumerate() {
        let w = examples.window(i);
        if !w.iter().all(|v| v.is_finite()) {
            continue;
        }
        for (row, out) in w.chunks_exact(t).zip(centred.chunks_exact_mut(t)) {
            let mean = row.iter().map(|&v| f64::from(v)).sum::<f64>() / t as f64;
            for (o, &v) in out.iter_mut().zip(row) {
                *o = f64::from(v) - mean;
            }
        }
        let sum = &mut sums[s as usize];
        for a in 0..c {
            let ra = &centred[a * t..(a + 1) * t];
            for b in a..c {
                let rb = &centred[b * t..(b + 1) * t];
                sum[a * c + b] += ra.iter().zip(rb).map(|(x, y)| x * y).sum::<f64>();
            }
        }
        counts[s as usize] += 1;
    }
    let matrices: Vec<Option<Vec<f64>>> = sums
        .into_iter()
        .zip(&counts)
        .map(|(mut r, &n)| {
            if n == 0 {
                return None;
            }
            let scale = 1.0 / (n * t) as f64;
            for a in 0..c {
                for b in a..c {
                    let v = r[a * c + b] * scale;
                    r[a * c + b] = v;
                    r[b * c + a] = v;
                }
            }
            Some(inverse_sqrt(&shrink(r, c, SHRINKAGE), c))
        })
        .collect();

    let mut out = vec![0.0f64; c * t];
    let size = c * t;
    for (i, &s) in examples.subject.iter().enumerate() {
        let Some(m) = &matrices[s as usize] else {
            continue;
        };
        let w = &mut examples.x[i * size..(i + 1) * size];
        out.iter_mut().for_each(|v| *v = 0.0);
        for a in 0..c {
            let o = &mut out[a * t..(a + 1) * t];
            for b in 0..c {
                let k = m[a * c + b];
                for (ov, &xv) in o.iter_mut().zip(&w[b * t..(b + 1) * t]) {
                    *ov += k * f64::from(xv);
                }
            }
        }
        for (v, &o) in w.iter_mut().zip(&out) {
            *v = o as f32;
        }
    }
    Ok(Alignment {
        channels: c,
        matrices,
    })
}

/// `(1 − λ) R + λ trace(R)/n I`; a zero matrix becomes the identity times
/// a tiny constant so that its inverse square root stays finite.
fn shrink(mut r: Vec<f64>, n: usize, lambda: f64) -> Vec<f64> {
    let trace: f64 = (0..n).map(|i| r[i * n + i]).sum();
    let level = if trace > 0.0 {
        trace / n as f64
    } else {
        f64::MIN_POSITIVE.sqrt()
    };
    r.iter_mut().for_each(|v| *v *= 1.0 - lambda);
    for i in 0..n {
        r[i * n + i] += lambda * level;
    }
    r
}

/// `R^(−1/2)` of a symmetric positive definite `n × n` matrix, from its
/// eigendecomposition.
fn inverse_sqrt(r: &[f64], n: usize) -> Vec<f64> {
    let (values, vectors) = symmetric_eigen(r, n);
    let mut out = vec![0.0; n * n];
    for (k, &lambda) in values.iter().enumerate() {
        let f = 1.0 / lambda.max(f64::MIN_POSITIVE).sqrt();
        for a in 0..n {
            let va = vectors[a * n + k] * f;
            for b in 0..n {
                out[a * n + b] += va * vectors[b * n + k];
            }
        }
    }
    out
}

/// Eigenvalues and eigenvectors (as the columns of a row-major matrix) of
/// a symmetric `n × n` matrix by cyclic Jacobi rotations.
///
/// Written out because a matrix of a few dozen channels is all it meets:
/// Jacobi is accurate to rounding on symmetric matrices and converges in a
/// handful of sweeps at this size, where a linear-algebra crate would add
/// a large dependency for one decomposition.
fn symmetric_eigen(r: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = r.to_vec();
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..64 {
        let off: f64 = (0..n)
            .flat_map(|p| (p + 1..n).map(move |q| (p, q)))
            .map(|(p, q)| a[p * n + q] * a[p * n + q])
            .sum();
        let diag: f64 = (0..n).map(|i| a[i * n + i] * a[i * n + i]).sum();
        if off <= f64::EPSILON * f64::EPSILON * diag || off == 0.0 {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq == 0.0 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let cos = 1.0 / (t * t + 1.0).sqrt();
                let sin = t * cos;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = cos * akp - sin * akq;
                    a[k * n + q] = sin * akp + cos * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = cos * apk - sin * aqk;
                    a[q * n + k] = sin * apk + cos * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = cos * vkp - sin * vkq;
                    v[k * n + q] = sin * vkp + cos * vkq;
                }
            }
        }
    }
    ((0..n).map(|i| a[i * n + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;
    use rand_distr::StandardNormal;

    fn product(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for k in 0..n {
                for j in 0..n {
                    out[i * n + j] += a[i * n + k] * b[k * n + j];
                }
            }
        }
        out
    }

    #[test]
    fn eigen_reconstructs_the_matrix() {
        let n = 6;
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let m: Vec<f64> = (0..n * n).map(|_| rng.sample(StandardNormal)).collect();
        // M Mᵀ + I: symmetric positive definite.
        let mut r = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                r[i * n + j] = (0..n).map(|k| m[i * n + k] * m[j * n + k]).sum::<f64>()
                    + if i == j { 1.0 } else { 0.0 };
            }
        }
        let (values, v) = symmetric_eigen(&r, n);
        for i in 0..n {
            for j in 0..n {
                let back: f64 = (0..n)
                    .map(|k| v[i * n + k] * values[k] * v[j * n + k])
                    .sum();
                assert!((back - r[i * n + j]).abs() < 1e-10, "{i},{j}");
            }
        }
        let w = inverse_sqrt(&r, n);
        // W R W = I.
        let i_back = product(&product(&w, &r, n), &w, n);
        for i in 0..n {
            for j in 0..n {
                let expected = if i == j { 1.0 } else { 0.0 };
                assert!((i_back[i * n + j] - expected).abs() < 1e-9, "{i},{j}");
            }
        }
    }

    /// Two subjects whose channels mix one source with different weights
    /// and scales (covariance diagonals from 1.1 to 26): after alignment,
    /// both have a mean covariance near the identity (the shrinkage keeps
    /// the smallest direction of the second subject at about 0.9).
    #[test]
    fn aligned_subjects_share_an_identity_covariance() {
        let (c, t, per) = (3usize, 50usize, 40usize);
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let mix = [[1.0, 0.9, 0.2], [5.0, -1.0, 3.0]];
        let mut x = Vec::new();
        let mut subject = Vec::new();
        for (s, weights) in mix.iter().enumerate() {
            for _ in 0..per {
                let source: Vec<f64> = (0..t).map(|_| rng.sample(StandardNormal)).collect();
                for w in weights {
                    for v in &source {
                        let noise: f64 = rng.sample(StandardNormal);
                        x.push((w * v + noise) as f32);
                    }
                }
                subject.push(s as u32);
            }
        }
        let n = subject.len();
        let mut e = Examples {
            channels: vec!["a".into(), "b".into(), "c".into()],
            sfreq_hz: 100.0,
            samples: t,
            x,
            y: vec![0; n],
            subject,
            recording: vec![0; n],
            onset_s: vec![0.0; n],
            classes: vec!["one".into()],
            subjects: vec!["01".into(), "02".into()],
            recordings: vec!["r".into()],
        };
        e.x[5] = f32::NAN;
        let alignment = align_subjects(&mut e).expect("fits");
        assert_eq!(alignment.matrices.len(), 2);
        assert!(
            e.x[..c * t].iter().any(|v| v.is_nan()),
            "NaN window stays NaN"
        );
        for s in 0..2u32 {
            let mut cov = vec![0.0f64; c * c];
            let mut windows = 0;
            for i in (0..n).filter(|&i| e.subject[i] == s && i != 0) {
                let w = e.window(i);
                let means: Vec<f64> = w
                    .chunks(t)
                    .map(|r| r.iter().map(|&v| f64::from(v)).sum::<f64>() / t as f64)
                    .collect();
                for a in 0..c {
                    for b in 0..c {
                        cov[a * c + b] += (0..t)
                            .map(|k| {
                                (f64::from(w[a * t + k]) - means[a])
                                    * (f64::from(w[b * t + k]) - means[b])
                            })
                            .sum::<f64>()
                            / t as f64;
                    }
                }
                windows += 1;
            }
            for a in 0..c {
                for b in 0..c {
                    let v = cov[a * c + b] / f64::from(windows);
                    let expected = if a == b { 1.0 } else { 0.0 };
                    assert!((v - expected).abs() < 0.15, "subject {s} [{a},{b}] = {v}");
                }
            }
        }
    }

    #[test]
    fn a_zero_channel_stays_zero_and_finite() {
        let r = vec![2.0, 0.5, 0.0, 0.5, 1.0, 0.0, 0.0, 0.0, 0.0];
        let w = inverse_sqrt(&shrink(r, 3, SHRINKAGE), 3);
        assert!(w.iter().all(|v| v.is_finite()));
        assert!(w[2 * 3].abs() < 1e-12 && w[2 * 3 + 1].abs() < 1e-12);
    }
}
