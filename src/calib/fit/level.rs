//! One level of the calibration fit: the decode unknowns `(1/η_bw, t_fixed, t_expert, κ_d,
//! κ_d,fa, t_layer, t_layer,fa)` and the prefill unknowns (`1/η_c` per kernel family and for
//! routed experts, `κ_p, κ_p,fa, t_expert,p, ρ_e`) of a set of rows, a ridge least squares pulled toward
//! the level above ([`super::solve`]), with its quality (R², MAPE) and the interval its own
//! residuals give, `exp(t₀.₉₅(n − p) · sd(log residual)) − 1`.

use super::interval::t95;
use super::interval::MIN_DOF;
use super::pool::with_decode_of;
use super::solve::{solve_with_dof, Problem, Solution};
use super::Sample;
use crate::calib::features::Features;
use crate::calib::trace::Test;
use crate::db::calibration::{Efficiency, FitQuality, SolverStop};
use crate::db::quant::KernelClass;

/// Prior scales (one standard deviation) of `1/η_bw`, `t_fixed` (s), `t_expert` (s), `κ_d`,
/// `κ_d,fa`, `t_layer` (s; a block runs about ten small kernels of a few µs each at batch 1)
/// and `t_layer,fa` (s; flash attention fuses three or four of them into one).
pub(super) const DECODE_SCALES: [f64; 7] = [0.5, 0.002, 2e-5, 10.0, 10.0, 5e-5, 2e-5];
/// Physical bounds of `1/η_bw` (η from 5% to 100%), `t_fixed`, `t_expert`, `κ_d`, `κ_d,fa`,
/// `t_layer`, `t_layer,fa`.
pub(super) const DECODE_BOUNDS: ([f64; 7], [f64; 7]) = (
    [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1e-4],
    [20.0, 0.1, 1e-3, 500.0, 500.0, 1e-3, 1e-4],
);
/// Prior scales of `1/η_c` for block quants, k-quants, floats and routed experts, of
/// `κ_p`, `κ_p,fa`, of `t_expert,p` (s), the prefill time per distinct routed expert of a
/// micro-batch (a few of decode's `t_expert`), of a superseded build's extra share of
/// matmul time, and of `ρ_e`, the extra read of the distinct experts where fused kernels run
/// them one expert at a time (a multiple of reading them at peak bandwidth).
pub(super) const PREFILL_SCALES: [f64; 9] = [5.0, 5.0, 5.0, 5.0, 10.0, 10.0, 4e-5, 5.0, 5.0];
/// Bounds of the four `1/η_c` (η_c from 0.1% to 100%), of `κ_p`, `κ_p,fa` (a prompt's
/// attention is compute-bound: no kernel does its FLOPs faster than the peak, so at least 1),
/// `t_expert,p` (s), the superseded builds' extra share of matmul time (they ran slower,
/// not faster) and `ρ_e` (an extra cost, never a saving).
pub(super) const PREFILL_BOUNDS: ([f64; 9], [f64; 9]) = (
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 0.0],
    [
        1000.0, 1000.0, 1000.0, 1000.0, 500.0, 500.0, 1e-3, 1000.0, 1000.0,
    ],
);

/// Weight of the prior against the rows: the squared relative error of one row (a 10%
/// measurement spread), so the prior counts as one observation of that precision.
pub(super) const PRIOR_WEIGHT: f64 = 0.01;

/// The attention regressor of a row in the column of its flash-attention setting.
pub(super) fn attn(f: &Features, fa: bool) -> f64 {
    if f.flash_attn == fa {
        f.x_attn
    } else {
        0.0
    }
}

/// The regressors of the rows of one test.
pub(super) fn of_test<'s>(rows: &[&'s Sample], t: Test) -> Vec<&'s Features> {
    rows.iter()
        .map(|s| &s.feat)
        .filter(|f| f.test == t)
        .collect()
}

/// Whether `rows` are one device's. A superseded build's extra cost is a change within one
/// device: fitted over several, another device's current rows against one device's old ones
/// would take the devices' difference for the builds'.
fn one_device(rows: &[&Sample]) -> bool {
    rows.iter()
        .all(|s| s.mapped.device.id() == rows[0].mapped.device.id())
}

/// The parameters a solve spent (trace of the hat matrix) and why its solver stopped.
type Spent = (f64, Option<SolverStop>);

/// Fits one level: `rows` pulled toward `prior`.
pub fn fit_level(rows: &[&Sample], prior: &Efficiency) -> (Efficiency, FitQuality) {
    let mut e = *prior;
    let tg = of_test(rows, Test::Tg);
    let pp = of_test(rows, Test::Pp);
    let one_device = one_device(rows);
    // Decode's batched arithmetic uses prefill's η_c and prefill's weight reads decode's
    // η_bw: two alternating passes settle both.
    let (mut tg_spent, mut pp_spent) = ((0.0, None), (0.0, None));
    for _ in 0..2 {
        if !tg.is_empty() {
            tg_spent = fit_decode(&tg, prior, &mut e);
        }
        if !pp.is_empty() {
            pp_spent = fit_prefill(&pp, prior, &mut e, one_device);
        }
    }
    let ((tg_spent, tg_solver), (pp_spent, pp_solver)) = (tg_spent, pp_spent);
    let (tg_r2, tg_mape, tg_err) = quality(&tg, &e, tg_spent);
    let (pp_r2, pp_mape, pp_err) = quality(&pp, &e, pp_spent);
    // A level never claims a tighter interval than its own residuals allow, and one with too
    // few rows keeps its parent's (which already spans the spread between devices).
    e.decode_rel_err = tg_err.unwrap_or(prior.decode_rel_err);
    e.prefill_rel_err = pp_err.unwrap_or(prior.prefill_rel_err);
    (
        e,
        FitQuality {
            tg_r2,
            tg_mape_pct: tg_mape,
            pp_r2,
            pp_mape_pct: pp_mape,
            tg_solver,
            pp_solver,
        },
    )
}

/// Fits a level below the backend (a device kind, a vendor within it): its prefill unknowns on
/// `rows`, pulled toward `prior`, with the decode parameters of `decode` (the backend's fit)
/// held. Decode shows no such split (bandwidth is bandwidth), and holding them while fitting
/// keeps what the level ships equal to what was fitted: the prefill's weight reads and fixed
/// time depend on them.
pub(super) fn fit_prefill_level(
    rows: &[&Sample],
    prior: &Efficiency,
    decode: &Efficiency,
) -> (Efficiency, FitQuality) {
    let mut e = with_decode_of(*prior, decode);
    let tg = of_test(rows, Test::Tg);
    let pp = of_test(rows, Test::Pp);
    let (pp_spent, pp_solver) = if pp.is_empty() {
        (0.0, None)
    } else {
        fit_prefill(&pp, prior, &mut e, one_device(rows))
    };
    let (tg_r2, tg_mape_pct, _) = quality(&tg, &e, 0.0);
    let (pp_r2, pp_mape_pct, pp_err) = quality(&pp, &e, pp_spent);
    e.prefill_rel_err = pp_err.unwrap_or(prior.prefill_rel_err);
    (
        e,
        FitQuality {
            tg_r2,
            tg_mape_pct,
            pp_r2,
            pp_mape_pct,
            tg_solver: None,
            pp_solver,
        },
    )
}

/// Fits the decode unknowns `(1/η_bw, t_fixed, t_expert, κ_d, κ_d,fa, t_layer, t_layer,fa)`
/// with `e`'s compute fractions held.
pub(super) fn fit_decode(tg: &[&Features], prior: &Efficiency, e: &mut Efficiency) -> Spent {
    let p = Problem {
        rows: tg
            .iter()
            .map(|f| {
                (
                    vec![
                        f.x_mem,
                        1.0,
                        f.x_expert,
                        attn(f, false),
                        attn(f, true),
                        f.x_layers,
                        if f.flash_attn { f.x_layers } else { 0.0 },
                    ],
                    f.known + f.matmul_s(e) + e.prefill_expert_read * f.x_expert_read,
                    f.y,
                )
            })
            .collect(),
        prior: vec![
            1.0 / prior.bandwidth_frac,
            prior.fixed_s,
            prior.expert_s,
            prior.decode_attn,
            prior.decode_attn_fa,
            prior.layer_s,
            prior.layer_fa_s,
        ],
        scale: DECODE_SCALES.to_vec(),
        lambda: PRIOR_WEIGHT,
        lo: DECODE_BOUNDS.0.to_vec(),
        hi: DECODE_BOUNDS.1.to_vec(),
    };
    let Solution {
        theta: t,
        dof,
        stop,
    } = solve_with_dof(&p);
    e.bandwidth_frac = 1.0 / t[0];
    e.fixed_s = t[1];
    e.expert_s = t[2];
    e.decode_attn = t[3];
    e.decode_attn_fa = t[4];
    e.layer_s = t[5];
    // The model never lets flash attention make a block's fixed time negative (see
    // `Efficiency::layer_fixed_s`); what ships is what it uses.
    e.layer_fa_s = t[6].max(-e.layer_s);
    (dof, Some(stop))
}

/// Fits the prefill unknowns (`1/η_c` per kernel family and for routed experts, `κ_p`,
/// `κ_p,fa`, `t_expert,p`, the time per distinct routed expert of a micro-batch, a
/// superseded build's extra share of matmul time, and `ρ_e`, the extra read of the distinct
/// experts where fused kernels run them one at a time) with `e`'s bandwidth fraction and fixed
/// times held. The share is fitted only on rows of one device (`one_device`) that hold both
/// superseded and current builds ([`MIN_DOF`] prompt rows of each); elsewhere its column is 0
/// and it stays 0, so a level predicts what its rows measured. Its column is the row's matmul
/// time at the last solve's fractions, so the solve repeats until the share settles.
pub(super) fn fit_prefill(
    pp: &[&Features],
    prior: &Efficiency,
    e: &mut Efficiency,
    one_device: bool,
) -> Spent {
    let old = pp.iter().filter(|f| f.superseded).count();
    let both_regimes = one_device && old >= MIN_DOF && pp.len() - old >= MIN_DOF;
    let mut spent = solve_prefill(pp, prior, e, both_regimes);
    if both_regimes {
        for _ in 0..SHARE_PASSES {
            let before = e.superseded_compute;
            spent = solve_prefill(pp, prior, e, true);
            if (e.superseded_compute - before).abs() < 1e-6 {
                break;
            }
        }
    }
    spent
}

/// Most extra solves for a superseded build's share; they stop once it moves by less than
/// 1e-6.
const SHARE_PASSES: usize = 8;

/// One solve of [`fit_prefill`].
fn solve_prefill(pp: &[&Features], prior: &Efficiency, e: &mut Efficiency, share: bool) -> Spent {
    let col = |f: &Features, c: KernelClass| if f.class == c { f.x_comp } else { 0.0 };
    let p = Problem {
        rows: pp
            .iter()
            .map(|f| {
                let x = vec![
                    col(f, KernelClass::Block),
                    col(f, KernelClass::KQuant),
                    col(f, KernelClass::Float),
                    f.x_comp_expert,
                    attn(f, false),
                    attn(f, true),
                    f.x_expert,
                    if share { f.x_superseded(e) } else { 0.0 },
                    f.x_expert_read,
                ];
                (
                    x,
                    f.known
                        + f.x_mem / e.bandwidth_frac
                        + e.fixed_s * f.batches
                        + e.layer_fixed_s(f.flash_attn) * f.x_layers,
                    f.y,
                )
            })
            .collect(),
        prior: vec![
            1.0 / prior.compute_frac,
            1.0 / prior.kquant_compute_frac,
            1.0 / prior.float_compute_frac,
            1.0 / prior.expert_compute_frac,
            prior.prefill_attn,
            prior.prefill_attn_fa,
            prior.prefill_expert_s,
            if share { prior.superseded_compute } else { 0.0 },
            prior.prefill_expert_read,
        ],
        scale: PREFILL_SCALES.to_vec(),
        lambda: PRIOR_WEIGHT,
        lo: PREFILL_BOUNDS.0.to_vec(),
        hi: PREFILL_BOUNDS.1.to_vec(),
    };
    let Solution {
        theta: t,
        dof,
        stop,
    } = solve_with_dof(&p);
    let fracs = carry_ratios(pp, prior, [t[0], t[1], t[2], t[3]]);
    e.compute_frac = fracs[0];
    e.kquant_compute_frac = fracs[1];
    e.float_compute_frac = fracs[2];
    e.expert_compute_frac = fracs[3];
    e.prefill_attn = t[4];
    e.prefill_attn_fa = t[5];
    e.prefill_expert_s = t[6];
    // Without a share the column is 0 and the solve returns the prior, 0, up to rounding.
    e.superseded_compute = if share { t[7] } else { 0.0 };
    // Rows outside the fused per-expert regime leave its column 0: the level keeps its parent's.
    e.prefill_expert_read = if pp.iter().any(|f| f.x_expert_read > 0.0) {
        t[8]
    } else {
        prior.prefill_expert_read
    };
    (dof, Some(stop))
}

/// The compute fractions of the four kernel families (block quants, k-quants, floats, routed
/// experts) from the solved `1/η_c`: a family none of the rows ran keeps its ratio to the
/// others from `prior` (the level above), scaled by how far the families the rows did run
/// moved from theirs (the geometric mean of their `η_fitted / η_prior`, weighted by the rows
/// that ran each). The ridge alone would leave such a family at the level above's value,
/// so a device measured only on Q4_0 would run its k-quants at its backend's k-quant
/// fraction however much faster its Q4_0 ran than the backend's; what transfers between
/// devices is the ratio between the kernel families, which their kernels set.
fn carry_ratios(pp: &[&Features], prior: &Efficiency, inv: [f64; 4]) -> [f64; 4] {
    let prior_fracs = [
        prior.compute_frac,
        prior.kquant_compute_frac,
        prior.float_compute_frac,
        prior.expert_compute_frac,
    ];
    let mut rows = [0usize; 4];
    for f in pp {
        if f.x_comp > 0.0 {
            let i = match f.class {
                KernelClass::Block => 0,
                KernelClass::KQuant => 1,
                KernelClass::Float => 2,
            };
            rows[i] += 1;
        }
        if f.x_comp_expert > 0.0 {
            rows[3] += 1;
        }
    }
    let fracs = inv.map(|x| 1.0 / x);
    let shown: usize = rows.iter().sum();
    if shown == 0 {
        return fracs;
    }
    let log_shift = (0..4)
        .filter(|&i| rows[i] > 0)
        .map(|i| rows[i] as f64 * (fracs[i] / prior_fracs[i]).ln())
        .sum::<f64>()
        / shown as f64;
    let mut out = fracs;
    for i in (0..4).filter(|&i| rows[i] == 0) {
        // Within the solver's bounds (η_c from 0.1% to 100%).
        out[i] = (prior_fracs[i] * log_shift.exp())
            .clamp(1.0 / PREFILL_BOUNDS.1[i], 1.0 / PREFILL_BOUNDS.0[i]);
    }
    out
}

/// R² of log time, MAPE of tok/s (%), and the relative interval half-width.
pub(super) fn quality(
    rows: &[&Features],
    e: &Efficiency,
    spent: f64,
) -> (Option<f64>, Option<f64>, Option<f64>) {
    if rows.is_empty() {
        return (None, None, None);
    }
    let logs: Vec<(f64, f64)> = rows.iter().map(|f| (f.y.ln(), f.predict(e).ln())).collect();
    let mean = logs.iter().map(|x| x.0).sum::<f64>() / logs.len() as f64;
    let ss_tot: f64 = logs.iter().map(|x| (x.0 - mean).powi(2)).sum();
    let ss_res: f64 = logs.iter().map(|x| (x.0 - x.1).powi(2)).sum();
    let r2 = (ss_tot > 0.0).then(|| 1.0 - ss_res / ss_tot);
    let mape = rows
        .iter()
        .map(|f| (f.predict_tok_s(e) / f.measured_tok_s() - 1.0).abs())
        .sum::<f64>()
        / rows.len() as f64
        * 100.0;
    // Too few degrees of freedom make the t quantile explode: below MIN_DOF the interval
    // is the parent level's (the caller falls back to the prior's).
    // The degrees of freedom left: the rows less the parameters they identified (the trace of
    // the ridge hat matrix; a parameter held at its prior or a bound spends nothing).
    let dof = rows.len() as f64 - spent;
    let err = (dof >= MIN_DOF as f64).then(|| {
        let sd = (ss_res / dof).sqrt();
        (t95(dof) * sd).exp() - 1.0
    });
    (r2, Some(mape), err)
}

#[cfg(test)]
#[path = "level_tests.rs"]
mod tests;
