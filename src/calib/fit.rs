//! The calibration fit: per backend, then per (backend, device family), then per
//! (backend, device), each level a ridge least squares pulled toward the level above
//! (the backend level toward the documented prior), so a device with few rows keeps what
//! its family showed and a device with none borrows the family's fit.
//!
//! Decode unknowns `(1/η_bw, t_fixed, t_expert, κ_d)`, prefill unknowns `(1/η_c` per kernel
//! family, `κ_p)`; see
//! [`super::features`]. Intervals: `exp(t₀.₉₅(n − p) · sd(log residual)) − 1`.

use super::features::{class_frac, Features};
use super::map::Mapped;
use super::solve::{solve, Problem};
use super::trace::Test;
use crate::db::calibration::{Efficiency, EfficiencyEntry, FitQuality};
use crate::db::quant::KernelClass;
use crate::db::Db;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeSet;

/// A mapped row with its regressors.
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    /// The mapped row.
    pub mapped: Mapped<'a>,
    /// Its regressors.
    pub feat: Features,
}

/// Prior scales (one standard deviation) of `1/η_bw`, `t_fixed` (s), `t_expert` (s), `κ_d`, `κ_d,fa`.
const DECODE_SCALES: [f64; 5] = [0.5, 0.002, 2e-5, 10.0, 10.0];
/// Physical bounds of `1/η_bw` (η from 5% to 100%), `t_fixed`, `t_expert`, `κ_d`.
const DECODE_BOUNDS: ([f64; 5], [f64; 5]) =
    ([1.0, 0.0, 0.0, 0.0, 0.0], [20.0, 0.1, 1e-3, 500.0, 500.0]);
/// Prior scales of `1/η_c` for block quants, k-quants and floats, and of `κ_p`.
const PREFILL_SCALES: [f64; 5] = [5.0, 5.0, 5.0, 10.0, 10.0];
/// Bounds of the three `1/η_c` (η_c from 0.1% to 100%) and `κ_p`.
const PREFILL_BOUNDS: ([f64; 5], [f64; 5]) = (
    [1.0, 1.0, 1.0, 0.0, 0.0],
    [1000.0, 1000.0, 1000.0, 500.0, 500.0],
);

/// Weight of the prior against the rows: the squared relative error of one row (a 10%
/// measurement spread), so the prior counts as one observation of that precision.
const PRIOR_WEIGHT: f64 = 0.01;
/// Fewest residual degrees of freedom for a level to set its own interval.
const MIN_DOF: usize = 5;

/// The attention regressor of a row in the column of its flash-attention setting.
fn attn(f: &Features, fa: bool) -> f64 {
    if f.flash_attn == fa {
        f.x_attn
    } else {
        0.0
    }
}

/// Fits one level: `rows` pulled toward `prior`.
pub fn fit_level(rows: &[&Sample], prior: &Efficiency) -> (Efficiency, FitQuality) {
    let mut e = *prior;
    let tg: Vec<&Features> = rows
        .iter()
        .map(|s| &s.feat)
        .filter(|f| f.test == Test::Tg)
        .collect();
    let pp: Vec<&Features> = rows
        .iter()
        .map(|s| &s.feat)
        .filter(|f| f.test == Test::Pp)
        .collect();
    // Decode's batched arithmetic uses prefill's η_c and prefill's weight reads decode's
    // η_bw: two alternating passes settle both.
    for _ in 0..2 {
        if !tg.is_empty() {
            fit_decode(&tg, prior, &mut e);
        }
        if !pp.is_empty() {
            fit_prefill(&pp, prior, &mut e);
        }
    }
    let (tg_r2, tg_mape, tg_err) = quality(&tg, &e, 5);
    let (pp_r2, pp_mape, pp_err) = quality(&pp, &e, 5);
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
        },
    )
}

/// Fits the decode unknowns `(1/η_bw, t_fixed, t_expert, κ_d, κ_d,fa)` with `e`'s compute
/// fractions held.
fn fit_decode(tg: &[&Features], prior: &Efficiency, e: &mut Efficiency) {
    let p = Problem {
        rows: tg
            .iter()
            .map(|f| {
                (
                    vec![f.x_mem, 1.0, f.x_expert, attn(f, false), attn(f, true)],
                    f.known + f.x_comp / class_frac(e, f.class),
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
        ],
        scale: DECODE_SCALES.to_vec(),
        lambda: PRIOR_WEIGHT,
        lo: DECODE_BOUNDS.0.to_vec(),
        hi: DECODE_BOUNDS.1.to_vec(),
    };
    let t = solve(&p);
    e.bandwidth_frac = 1.0 / t[0];
    e.fixed_s = t[1];
    e.expert_s = t[2];
    e.decode_attn = t[3];
    e.decode_attn_fa = t[4];
}

/// Fits the prefill unknowns (`1/η_c` per kernel family, `κ_p`, `κ_p,fa`) with `e`'s
/// bandwidth fraction and fixed time held.
fn fit_prefill(pp: &[&Features], prior: &Efficiency, e: &mut Efficiency) {
    let col = |f: &Features, c: KernelClass| if f.class == c { f.x_comp } else { 0.0 };
    let p = Problem {
        rows: pp
            .iter()
            .map(|f| {
                let x = vec![
                    col(f, KernelClass::Block),
                    col(f, KernelClass::KQuant),
                    col(f, KernelClass::Float),
                    attn(f, false),
                    attn(f, true),
                ];
                (
                    x,
                    f.known + f.x_mem / e.bandwidth_frac + e.fixed_s * f.batches,
                    f.y,
                )
            })
            .collect(),
        prior: vec![
            1.0 / prior.compute_frac,
            1.0 / prior.kquant_compute_frac,
            1.0 / prior.float_compute_frac,
            prior.prefill_attn,
            prior.prefill_attn_fa,
        ],
        scale: PREFILL_SCALES.to_vec(),
        lambda: PRIOR_WEIGHT,
        lo: PREFILL_BOUNDS.0.to_vec(),
        hi: PREFILL_BOUNDS.1.to_vec(),
    };
    let t = solve(&p);
    e.compute_frac = 1.0 / t[0];
    e.kquant_compute_frac = 1.0 / t[1];
    e.float_compute_frac = 1.0 / t[2];
    e.prefill_attn = t[3];
    e.prefill_attn_fa = t[4];
}

/// R² of log time, MAPE of tok/s (%), and the relative interval half-width.
fn quality(
    rows: &[&Features],
    e: &Efficiency,
    params: usize,
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
    let dof = rows.len().saturating_sub(params);
    let err = (dof >= MIN_DOF).then(|| {
        let sd = (ss_res / dof as f64).sqrt();
        let t = StudentsT::new(0.0, 1.0, dof as f64)
            .map(|d| d.inverse_cdf(0.95))
            .unwrap_or(1.645);
        (t * sd).exp() - 1.0
    });
    (r2, Some(mape), err)
}

/// Fits every level for every backend present in `samples`, leaving out rows for which
/// `skip` is true (leave-one-out validation). Entries are sorted for stable output.
pub fn fit_all(
    db: &Db,
    samples: &[Sample],
    skip: &dyn Fn(&Sample) -> bool,
) -> Vec<EfficiencyEntry> {
    // Batched rows validate the concurrency model; the fit is single-stream.
    let kept: Vec<&Sample> = samples
        .iter()
        .filter(|s| !skip(s) && s.mapped.row.batch.unwrap_or(1) <= 1)
        .collect();
    let backends: BTreeSet<&str> = kept.iter().map(|s| s.mapped.backend.id.as_str()).collect();
    let mut out = Vec::new();
    for b in backends {
        let rows_b: Vec<&Sample> = kept
            .iter()
            .copied()
            .filter(|s| s.mapped.backend.id == b)
            .collect();
        let prior = db.prior("", b);
        let (eb, qb) = fit_level(&rows_b, &prior);
        out.push(entry(b, None, None, eb, rows_b.len(), qb));
        let families: BTreeSet<&str> = rows_b
            .iter()
            .map(|s| s.mapped.device.raw.family.as_str())
            .collect();
        for fam in families {
            let rows_f: Vec<&Sample> = rows_b
                .iter()
                .copied()
                .filter(|s| s.mapped.device.raw.family == fam)
                .collect();
            let (ef, qf) = fit_level(&rows_f, &eb);
            out.push(entry(b, None, Some(fam), ef, rows_f.len(), qf));
            let devices: BTreeSet<&str> = rows_f.iter().map(|s| s.mapped.device.id()).collect();
            for d in devices {
                let rows_d: Vec<&Sample> = rows_f
                    .iter()
                    .copied()
                    .filter(|s| s.mapped.device.id() == d)
                    .collect();
                let (ed, qd) = fit_level(&rows_d, &ef);
                out.push(entry(b, Some(d), Some(fam), ed, rows_d.len(), qd));
            }
        }
    }
    out
}

fn entry(
    backend: &str,
    device: Option<&str>,
    family: Option<&str>,
    eff: Efficiency,
    rows: usize,
    q: FitQuality,
) -> EfficiencyEntry {
    let level = match (device, family) {
        (Some(_), _) => "fitted on this device's traces, pulled toward its family's fit",
        (None, Some(_)) => "fitted on the family's traces, pulled toward the backend's fit",
        (None, None) => "fitted on all traces of the backend, pulled toward the documented prior",
    };
    EfficiencyEntry {
        backend: backend.to_string(),
        device: device.map(String::from),
        family: family.map(String::from),
        eff: round_eff(eff),
        rows: Some(rows),
        quality: Some(round_quality(q)),
        source: Some(level.to_string()),
    }
}

fn round_to(v: f64, sig: i32) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let p = sig - 1 - v.abs().log10().floor() as i32;
    let k = 10f64.powi(p);
    (v * k).round() / k
}

fn round_eff(e: Efficiency) -> Efficiency {
    Efficiency {
        bandwidth_frac: round_to(e.bandwidth_frac, 6),
        fixed_s: round_to(e.fixed_s, 6),
        expert_s: round_to(e.expert_s, 6),
        decode_attn: round_to(e.decode_attn, 6),
        decode_attn_fa: round_to(e.decode_attn_fa, 6),
        compute_frac: round_to(e.compute_frac, 6),
        kquant_compute_frac: round_to(e.kquant_compute_frac, 6),
        float_compute_frac: round_to(e.float_compute_frac, 6),
        prefill_attn: round_to(e.prefill_attn, 6),
        prefill_attn_fa: round_to(e.prefill_attn_fa, 6),
        decode_rel_err: round_to(e.decode_rel_err, 4),
        prefill_rel_err: round_to(e.prefill_rel_err, 4),
    }
}

fn round_quality(q: FitQuality) -> FitQuality {
    let r = |v: Option<f64>| v.map(|x| round_to(x, 4));
    FitQuality {
        tg_r2: r(q.tg_r2),
        tg_mape_pct: r(q.tg_mape_pct),
        pp_r2: r(q.pp_r2),
        pp_mape_pct: r(q.pp_mape_pct),
    }
}
