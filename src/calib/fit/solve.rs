//! Box-constrained ridge least squares for log error, the solver of the calibration.
//!
//! Minimizes `Σ ln(ŷ_i(θ) / y_i)² + λ Σ_j ((θ_j − θ0_j) / s_j)²` with `ŷ_i(θ) = x_i·θ + k_i`,
//! subject to `lo ≤ θ ≤ hi`: the rows' log residuals, the same residuals the intervals and R²
//! are taken on. A first solve minimizes the relative error of time, `((ŷ_i − y_i)/y_i)²`;
//! Gauss–Newton passes then linearize `ln ŷ_i` around the last solution, at most four, until no
//! row's prediction moves by more than 0.1%; those passes solve the normal equations, the
//! last one an SVD, which also gives the parameters the rows spent. Relative error of time
//! alone favours predictions that are too fast: a time predicted short costs at most 100%
//! while one predicted long costs without bound, so under a log spread σ the best constant
//! sits `exp(−1.5σ²)` below the median (prefill, σ ≈ 0.3: groups of rows 1.03–1.21× too fast
//! in-sample). The prior `θ0` with scale `s` keeps parameters the
//! rows cannot identify near their prior, and bounds keep them physical. Active set: solve on
//! the free parameters, pin every violator to its bound, repeat (at most one pass per
//! parameter).

use crate::db::calibration::SolverStop;
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

/// What the solver returns.
#[derive(Debug, Clone, PartialEq)]
pub struct Solution {
    /// The parameters.
    pub theta: Vec<f64>,
    /// The parameters the rows spent on them (see [`solve_with_dof`]).
    pub dof: f64,
    /// Why the solver stopped.
    pub stop: SolverStop,
}

/// Solves the problem; returns θ.
pub fn solve(p: &Problem) -> Vec<f64> {
    solve_with_dof(p).theta
}

/// Solves the problem; returns θ and the parameters the rows spent on it: the trace of the
/// ridge hat matrix over the free parameters, `Σ_i x_iᵀ (AᵀA)⁻¹ x_i` over the data rows `i` of
/// the augmented system `A` (a parameter pinned at a
/// bound or held at its prior by the penalty spends nearly nothing, one the rows identify
/// nearly 1), and why it stopped.
pub fn solve_with_dof(p: &Problem) -> Solution {
    // First pass: relative error of time, `(ŷ − y)/y`.
    let mut lin: Vec<(f64, f64)> = p.rows.iter().map(|r| (r.2, r.2)).collect();
    // The passes before the last only move the linearization point: they solve the normal
    // equations; the last solves by SVD, which also gives the parameters spent.
    let mut theta = solve_linearized(p, &lin, false).theta;
    for _ in 0..LOG_PASSES {
        if relinearize(p, &theta, &mut lin) < SETTLED {
            break;
        }
        theta = solve_linearized(p, &lin, false).theta;
    }
    relinearize(p, &theta, &mut lin);
    solve_linearized(p, &lin, true)
}

/// Moves each row's linearization of `ln ŷ` to its prediction at `theta`; returns the largest
/// relative move of a prediction.
fn relinearize(p: &Problem, theta: &[f64], lin: &mut [(f64, f64)]) -> f64 {
    let mut moved: f64 = 0.0;
    for ((x, k, y), (target, scale)) in p.rows.iter().zip(lin) {
        let predicted = x.iter().zip(theta).map(|(a, b)| a * b).sum::<f64>() + k;
        // A prediction far off (or not positive, mid-solve) is taken as 10× off.
        let at = predicted.clamp(y / 10.0, y * 10.0);
        moved = moved.max((at / *scale - 1.0).abs());
        // ln(ŷ(θ)/y) ≈ (ŷ(θ) − at)/at + ln(at/y) = (ŷ(θ) − at·(1 + ln(y/at)))/at
        (*target, *scale) = (at * (1.0 + (y / at).ln()), at);
    }
    moved
}

/// Most Gauss–Newton passes on the log residuals after the first solve (see the module's
/// note).
const LOG_PASSES: usize = 4;

/// The passes stop once no row's prediction moved by more than this share since the last.
const SETTLED: f64 = 1e-3;

/// Visits each row of the system `A θ = b` over the `free` parameters, the `pinned` ones held
/// at `theta`: the data rows (regressors and target scaled by the row's linearization), then
/// one row per free parameter for the prior (`√λ/s_j` against `√λ·θ0_j/s_j`). `visit` gets the
/// row's index, its entries over `free`, and its target.
fn for_each_row(
    p: &Problem,
    lin: &[(f64, f64)],
    (free, pinned, theta): (&[usize], &[bool], &[f64]),
    mut visit: impl FnMut(usize, &[f64], f64),
) {
    let mut xs = vec![0.0; free.len()];
    for (i, ((x, k, _), (y, scale))) in p.rows.iter().zip(lin).enumerate() {
        let fixed: f64 = (0..theta.len())
            .filter(|j| pinned[*j])
            .map(|j| x[j] * theta[j])
            .sum();
        for (v, &j) in xs.iter_mut().zip(free) {
            *v = x[j] / scale;
        }
        visit(i, &xs, (y - k - fixed) / scale);
    }
    let w = p.lambda.sqrt();
    for (c, &j) in free.iter().enumerate() {
        xs.fill(0.0);
        xs[c] = w / p.scale[j];
        visit(p.rows.len() + c, &xs, w * p.prior[j] / p.scale[j]);
    }
}

/// The system `A θ = b` over the `free` parameters ([`for_each_row`]).
fn augmented(
    p: &Problem,
    lin: &[(f64, f64)],
    free: &[usize],
    pinned: &[bool],
    theta: &[f64],
) -> (DMatrix<f64>, DVector<f64>) {
    let m = p.rows.len() + free.len();
    let mut a = DMatrix::<f64>::zeros(m, free.len());
    let mut b = DVector::<f64>::zeros(m);
    for_each_row(p, lin, (free, pinned, theta), |i, xs, bi| {
        a.row_mut(i).copy_from_slice(xs);
        b[i] = bi;
    });
    (a, b)
}

/// The same system solved by its normal equations `AᵀA θ = Aᵀb`, summed row by row (no `A`
/// is built); `None` where `AᵀA` is not positive definite.
fn normal_equations(
    p: &Problem,
    lin: &[(f64, f64)],
    free: &[usize],
    pinned: &[bool],
    theta: &[f64],
) -> Option<DVector<f64>> {
    let n = free.len();
    let mut ata = DMatrix::<f64>::zeros(n, n);
    let mut atb = DVector::<f64>::zeros(n);
    for_each_row(p, lin, (free, pinned, theta), |_, xs, bi| {
        for c in 0..n {
            atb[c] += xs[c] * bi;
            for d in 0..=c {
                ata[(c, d)] += xs[c] * xs[d];
            }
        }
    });
    ata.fill_upper_triangle_with_lower_triangle();
    ata.cholesky().map(|ch| ch.solve(&atb))
}

/// One active-set solve of `Σ ((x_i·θ + k_i − target_i) / scale_i)²` plus the prior, with
/// `(target_i, scale_i)` per row: by SVD with the parameters spent (`by_svd`), else by the
/// normal equations (Cholesky; SVD where they are not positive definite) without them.
fn solve_linearized(p: &Problem, lin: &[(f64, f64)], by_svd: bool) -> Solution {
    let n = p.prior.len();
    let mut theta = p.prior.clone();
    let mut pinned = vec![false; n];
    let mut dof = 0.0;
    let mut stop = SolverStop::PassLimit;
    for _ in 0..=n {
        let free: Vec<usize> = (0..n).filter(|j| !pinned[*j]).collect();
        if free.is_empty() {
            stop = SolverStop::AllPinned;
            break;
        }
        let normal = (!by_svd)
            .then(|| normal_equations(p, lin, &free, &pinned, &theta))
            .flatten();
        let sol = match normal {
            Some(sol) => sol,
            None => {
                let (a, b) = augmented(p, lin, &free, &pinned, &theta);
                let svd = a.svd(true, true);
                let Some(sol) = svd.solve(&b, 1e-12).ok() else {
                    stop = SolverStop::SvdFailed;
                    break;
                };
                // With `A = UΣVᵀ`, the hat matrix of the data rows is `U_data U_dataᵀ`: its
                // trace is the squared norm of U's data rows.
                dof = svd.u.as_ref().map_or(free.len() as f64, |u| {
                    u.rows(0, p.rows.len()).norm_squared()
                });
                sol
            }
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
            stop = SolverStop::Converged;
            break;
        }
    }
    Solution { theta, dof, stop }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `y = 2·x + 3`, exact, with a loose prior of 1 on both and bounds [0, 10].
    fn line() -> Problem {
        let rows: Vec<_> = (1..20)
            .map(|i| (vec![f64::from(i), 1.0], 0.0, 2.0 * f64::from(i) + 3.0))
            .collect();
        Problem {
            rows,
            prior: vec![1.0, 1.0],
            scale: vec![1e6, 1e6],
            lambda: 1.0,
            lo: vec![0.0, 0.0],
            hi: vec![10.0, 10.0],
        }
    }

    #[test]
    fn recovers_a_line_and_respects_bounds() {
        let p = line();
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

    #[test]
    fn a_constant_fits_the_median_of_a_log_symmetric_spread() {
        // Times spread ×e^±0.5 around 2 s: the log fit lands on 2 s. Relative error of time
        // alone would land on Σ(1/y)/Σ(1/y²) = 0.73 × 2 s, predicting 1.37× too fast.
        let rows = [0.5_f64, -0.5, 0.5, -0.5]
            .iter()
            .map(|e| (vec![1.0], 0.0, 2.0 * e.exp()))
            .collect();
        let p = Problem {
            rows,
            prior: vec![1.0],
            scale: vec![1e6],
            lambda: 1.0,
            lo: vec![0.0],
            hi: vec![10.0],
        };
        let t = solve(&p);
        assert!((t[0] - 2.0).abs() < 1e-6, "{t:?}");
    }

    #[test]
    fn the_stop_reason_is_recorded() {
        // Both parameters forced below what the rows want: each pass pins one, then none is free.
        let q = Problem {
            hi: vec![1.0, 1.0],
            ..line()
        };
        let s = solve_with_dof(&q);
        assert_eq!((s.theta[0], s.theta[1]), (1.0, 1.0));
        assert_eq!(s.stop, SolverStop::AllPinned);
    }

    #[test]
    fn the_rows_spend_one_degree_of_freedom_per_identified_parameter() {
        let loose = line();
        let s = solve_with_dof(&loose);
        assert!((s.dof - 2.0).abs() < 1e-6, "{}", s.dof);
        assert_eq!(s.stop, SolverStop::Converged);
        // A tight prior on the intercept holds it: the rows spend about one parameter.
        let tight = Problem {
            scale: vec![1e6, 1e-6],
            ..loose
        };
        let Solution { theta: t, dof, .. } = solve_with_dof(&tight);
        assert!(
            (t[1] - 1.0).abs() < 1e-3 && (dof - 1.0).abs() < 1e-3,
            "{t:?} {dof}"
        );
    }
}
