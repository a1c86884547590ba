//! Box-constrained ridge least squares for relative error, the solver of the calibration.
//!
//! Minimizes `Σ ((x_i·θ + k_i − y_i) / y_i)² + λ Σ_j ((θ_j − θ0_j) / s_j)²` subject to
//! `lo ≤ θ ≤ hi`: each row is divided by its measured value (relative error), the prior
//! `θ0` with scale `s` keeps parameters the rows cannot identify near their prior, and
//! bounds keep them physical. Active set: solve on the free parameters, pin every violator
//! to its bound, repeat (at most one pass per parameter).

use nalgebra::{DMatrix, DVector};

/// One least-squares problem.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Rows: regressors, known term, measured value.
    pub rows: Vec<(Vec<f64>, f64, f64)>,
    /// Prior values.
    pub prior: Vec<f64>,
    /// Prior scales (one standard deviation).
    pub scale: Vec<f64>,
    /// Prior weight λ.
    pub lambda: f64,
    /// Lower bounds.
    pub lo: Vec<f64>,
    /// Upper bounds.
    pub hi: Vec<f64>,
}

/// Solves the problem; returns θ.
pub fn solve(p: &Problem) -> Vec<f64> {
    let n = p.prior.len();
    let mut theta = p.prior.clone();
    let mut pinned = vec![false; n];
    for _ in 0..=n {
        let free: Vec<usize> = (0..n).filter(|j| !pinned[*j]).collect();
        if free.is_empty() {
            break;
        }
        let m = p.rows.len() + free.len();
        let mut a = DMatrix::<f64>::zeros(m, free.len());
        let mut b = DVector::<f64>::zeros(m);
        for (i, (x, k, y)) in p.rows.iter().enumerate() {
            let fixed: f64 = (0..n).filter(|j| pinned[*j]).map(|j| x[j] * theta[j]).sum();
            for (c, &j) in free.iter().enumerate() {
                a[(i, c)] = x[j] / y;
            }
            b[i] = (y - k - fixed) / y;
        }
        let w = p.lambda.sqrt();
        for (c, &j) in free.iter().enumerate() {
            let r = p.rows.len() + c;
            a[(r, c)] = w / p.scale[j];
            b[r] = w * p.prior[j] / p.scale[j];
        }
        let Some(sol) = a.svd(true, true).solve(&b, 1e-12).ok() else {
            break;
        };
        let mut violated = false;
        for (c, &j) in free.iter().enumerate() {
            let v = sol[c];
            theta[j] = v;
            if v < p.lo[j] {
                theta[j] = p.lo[j];
                pinned[j] = true;
                violated = true;
            } else if v > p.hi[j] {
                theta[j] = p.hi[j];
                pinned[j] = true;
                violated = true;
            }
        }
        if !violated {
            break;
        }
    }
    theta
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovers_a_line_and_respects_bounds() {
        // y = 2·x + 3, exact
        let rows: Vec<_> = (1..20)
            .map(|i| (vec![f64::from(i), 1.0], 0.0, 2.0 * f64::from(i) + 3.0))
            .collect();
        let p = Problem {
            rows,
            prior: vec![1.0, 1.0],
            scale: vec![1e6, 1e6],
            lambda: 1.0,
            lo: vec![0.0, 0.0],
            hi: vec![10.0, 10.0],
        };
        let t = solve(&p);
        assert!(
            (t[0] - 2.0).abs() < 1e-6 && (t[1] - 3.0).abs() < 1e-5,
            "{t:?}"
        );
        // the intercept forced to be ≤ 1: pinned at 1, slope refitted
        let q = Problem {
            hi: vec![10.0, 1.0],
            ..p
        };
        let t = solve(&q);
        assert_eq!(t[1], 1.0);
        assert!(t[0] > 2.0);
    }
}
