//! The calibration fit: per backend, then per (backend, device kind), per (backend, kind,
//! vendor), per (backend, device family, kind) and per (backend, device), each level a ridge
//! least squares pulled toward the level above, so a device with few rows keeps what its
//! family showed and a device with none borrows the family's fit. The levels between the
//! backend and the family fit prefill only, with the backend's decode parameters held. A
//! level's interval, for a device that borrows it, adds the spread between its devices. Above the backends sits their pooled decode fit: each decode
//! parameter the mean of the backends' own fits (each pulled toward its documented prior),
//! weighted by the rows that show that parameter; prefill starts from the documented prior.
//!
//! Decode unknowns `(1/η_bw, t_fixed, t_expert, κ_d, κ_d,fa, t_layer, t_layer,fa)`, prefill unknowns `(1/η_c` per
//! kernel family and for routed experts, `κ_p, κ_p,fa, ρ)`; see
//! [`super::features`]. Intervals: `exp(t₀.₉₅(n − p) · sd(log residual)) − 1`.

use super::features::{class_frac, Features};
use super::map::Mapped;
use super::solve::{solve_with_dof, Problem};
use super::trace::Test;
use crate::db::calibration::{Efficiency, EfficiencyEntry, FitQuality};
use crate::db::hardware::DeviceKind;
use crate::db::quant::KernelClass;
use crate::db::Db;
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::{BTreeMap, BTreeSet};

/// A mapped row with its regressors.
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    /// The mapped row.
    pub mapped: Mapped<'a>,
    /// Its regressors.
    pub feat: Features,
}

impl Sample<'_> {
    /// Whether the fit uses this row: single-stream rows only. Batched rows (B > 1) validate
    /// the concurrency model.
    pub fn single_stream(&self) -> bool {
        self.mapped.row.batch.unwrap_or(1) <= 1
    }
}

/// Prior scales (one standard deviation) of `1/η_bw`, `t_fixed` (s), `t_expert` (s), `κ_d`,
/// `κ_d,fa`, `t_layer` (s; a block runs about ten small kernels of a few µs each at batch 1)
/// and `t_layer,fa` (s; flash attention fuses three or four of them into one).
const DECODE_SCALES: [f64; 7] = [0.5, 0.002, 2e-5, 10.0, 10.0, 5e-5, 2e-5];
/// Physical bounds of `1/η_bw` (η from 5% to 100%), `t_fixed`, `t_expert`, `κ_d`, `κ_d,fa`,
/// `t_layer`, `t_layer,fa`.
const DECODE_BOUNDS: ([f64; 7], [f64; 7]) = (
    [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, -1e-4],
    [20.0, 0.1, 1e-3, 500.0, 500.0, 1e-3, 1e-4],
);
/// Prior scales of `1/η_c` for block quants, k-quants, floats and routed experts, of
/// `κ_p`, `κ_p,fa`, and of `ρ`, the prefill per-expert cost as a multiple of decode's.
const PREFILL_SCALES: [f64; 7] = [5.0, 5.0, 5.0, 5.0, 10.0, 10.0, 2.0];
/// Bounds of the four `1/η_c` (η_c from 0.1% to 100%), of `κ_p`, `κ_p,fa` (a prompt's
/// attention is compute-bound: no kernel does its FLOPs faster than the peak, so at least 1)
/// and `ρ`.
const PREFILL_BOUNDS: ([f64; 7], [f64; 7]) = (
    [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.0],
    [1000.0, 1000.0, 1000.0, 1000.0, 500.0, 500.0, 100.0],
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

/// The regressors of the rows of one test.
fn of_test<'s>(rows: &[&'s Sample], t: Test) -> Vec<&'s Features> {
    rows.iter()
        .map(|s| &s.feat)
        .filter(|f| f.test == t)
        .collect()
}

/// Fits one level: `rows` pulled toward `prior`.
pub fn fit_level(rows: &[&Sample], prior: &Efficiency) -> (Efficiency, FitQuality) {
    let mut e = *prior;
    let tg = of_test(rows, Test::Tg);
    let pp = of_test(rows, Test::Pp);
    // Decode's batched arithmetic uses prefill's η_c and prefill's weight reads decode's
    // η_bw: two alternating passes settle both.
    let (mut tg_spent, mut pp_spent) = (0.0, 0.0);
    for _ in 0..2 {
        if !tg.is_empty() {
            tg_spent = fit_decode(&tg, prior, &mut e);
        }
        if !pp.is_empty() {
            pp_spent = fit_prefill(&pp, prior, &mut e);
        }
    }
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
        },
    )
}

/// Fits a level below the backend (a device kind, a vendor within it): its prefill unknowns on
/// `rows`, pulled toward `prior`, with the decode parameters of `decode` (the backend's fit)
/// held. Decode shows no such split (bandwidth is bandwidth), and holding them while fitting
/// keeps what the level ships equal to what was fitted: the prefill's weight reads, fixed time
/// and per-expert cost (`ρ` times decode's) depend on them.
fn fit_prefill_level(
    rows: &[&Sample],
    prior: &Efficiency,
    decode: &Efficiency,
) -> (Efficiency, FitQuality) {
    let mut e = with_decode_of(*prior, decode);
    let tg = of_test(rows, Test::Tg);
    let pp = of_test(rows, Test::Pp);
    let pp_spent = if pp.is_empty() {
        0.0
    } else {
        fit_prefill(&pp, prior, &mut e)
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
        },
    )
}

/// Fits the decode unknowns `(1/η_bw, t_fixed, t_expert, κ_d, κ_d,fa, t_layer, t_layer,fa)`
/// with `e`'s compute fractions held.
fn fit_decode(tg: &[&Features], prior: &Efficiency, e: &mut Efficiency) -> f64 {
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
                    f.known
                        + f.x_comp / class_frac(e, f.class)
                        + f.x_comp_expert / e.expert_compute_frac,
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
    let (t, dof) = solve_with_dof(&p);
    e.bandwidth_frac = 1.0 / t[0];
    e.fixed_s = t[1];
    e.expert_s = t[2];
    e.decode_attn = t[3];
    e.decode_attn_fa = t[4];
    e.layer_s = t[5];
    // The model never lets flash attention make a block's fixed time negative (see
    // `Efficiency::layer_fixed_s`); what ships is what it uses.
    e.layer_fa_s = t[6].max(-e.layer_s);
    dof
}

/// Fits the prefill unknowns (`1/η_c` per kernel family and for routed experts, `κ_p`,
/// `κ_p,fa`, and `ρ`, the per-expert cost as a multiple of decode's) with `e`'s bandwidth
/// fraction, fixed time and decode per-expert cost held.
fn fit_prefill(pp: &[&Features], prior: &Efficiency, e: &mut Efficiency) -> f64 {
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
                    e.expert_s * f.x_expert,
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
            prior.prefill_expert_factor,
        ],
        scale: PREFILL_SCALES.to_vec(),
        lambda: PRIOR_WEIGHT,
        lo: PREFILL_BOUNDS.0.to_vec(),
        hi: PREFILL_BOUNDS.1.to_vec(),
    };
    let (t, dof) = solve_with_dof(&p);
    e.compute_frac = 1.0 / t[0];
    e.kquant_compute_frac = 1.0 / t[1];
    e.float_compute_frac = 1.0 / t[2];
    e.expert_compute_frac = 1.0 / t[3];
    e.prefill_attn = t[4];
    e.prefill_attn_fa = t[5];
    e.prefill_expert_factor = t[6];
    dof
}

/// R² of log time, MAPE of tok/s (%), and the relative interval half-width.
fn quality(
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

/// Fits every level for every backend present in `samples`, leaving out rows for which
/// `skip` is true (leave-one-out validation). Entries are sorted for stable output.
///
/// Between the backend and the family sits the device kind. Unified SoCs share a power
/// budget between CPU and GPU and reach a smaller share of their datasheet FP16 peak in
/// prefill than discrete cards on the same backend; the ratio the other backends' traces show
/// (say DGX Spark against discrete NVIDIA cards; their geometric mean weighted by rows) is
/// the prior of a backend's unified SoCs, so a unified SoC on a backend where none was
/// measured starts from the backend's discrete fit times that ratio. Within a kind, each
/// vendor's devices get their own level (peak conventions differ by vendor), its unified SoCs
/// starting from the vendor's discrete fit times the ratio.
pub fn fit_all(
    db: &Db,
    samples: &[Sample],
    skip: &dyn Fn(&Sample) -> bool,
) -> Vec<EfficiencyEntry> {
    let kept: Vec<&Sample> = samples
        .iter()
        .filter(|s| !skip(s) && s.single_stream())
        .collect();
    let traced: BTreeSet<&str> = kept.iter().map(|s| s.mapped.backend.id.as_str()).collect();
    let rows_of = |b: &str| -> Vec<&Sample> {
        kept.iter()
            .copied()
            .filter(|s| s.mapped.backend.id == b)
            .collect()
    };
    let parent_of = |b: &str| {
        db.backends
            .iter()
            .find(|x| x.id == b)
            .and_then(|x| x.variant_of.as_deref())
    };
    // Parents before their variants, and variants without traces too (they borrow).
    let mut backends: Vec<&str> = traced
        .iter()
        .copied()
        .filter(|b| parent_of(b).is_none())
        .collect();
    backends.extend(
        db.backends
            .iter()
            .filter(|x| x.variant_of.as_deref().is_some_and(|p| traced.contains(p)))
            .map(|x| x.id.as_str()),
    );
    // Per backend: its fits over all rows, its discrete cards and its unified SoCs.
    struct Levels<'s, 'a> {
        rows: Vec<&'s Sample<'a>>,
        all: (Efficiency, FitQuality),
        discrete: Option<(Efficiency, FitQuality)>,
        /// Unified over discrete prefill efficiency, where both kinds have prefill rows, and
        /// its weight: the prefill rows of the scarcer kind.
        ratio: Option<(f64, f64)>,
    }
    // The all-backend level: each parameter the mean of the backends' own fits, weighted by
    // the rows that show it (a backend whose traces never ran MoE says nothing of t_expert).
    let own: Vec<(Efficiency, [f64; N_PARAMS])> = traced
        .iter()
        .filter(|b| parent_of(b).is_none())
        .map(|b| {
            let rows_b = rows_of(b);
            (fit_level(&rows_b, &db.prior("", b)).0, shown(&rows_b))
        })
        .collect();
    let mut levels: Vec<(&str, Levels)> = Vec::new();
    for b in backends {
        let rows_b = rows_of(b);
        // What one backend's rows cannot show (say, how attention slows decode at depth
        // when every trace of that backend ran at depth 0) comes from the backends whose rows
        // do; a variant starts from the backend it is a configuration of.
        let parent = parent_of(b).and_then(|p| levels.iter().find(|(x, _)| *x == p));
        let all = match parent {
            Some((_, p)) if rows_b.is_empty() => (p.all.0, FitQuality::default()),
            Some((_, p)) => fit_level(&rows_b, &p.all.0),
            None => fit_level(&rows_b, &pooled(&own, db.prior("", b))),
        };
        let all = (for_new_device(&rows_b, all.0), all.1);
        let disc = of_kind(&rows_b, DeviceKind::DiscreteGpu);
        let unified = of_kind(&rows_b, DeviceKind::UnifiedSoc);
        let discrete = match parent {
            Some((_, p)) if rows_b.is_empty() => p.discrete,
            _ => (!disc.is_empty()).then(|| {
                let (e, q) = fit_prefill_level(&disc, &all.0, &all.0);
                (for_new_device(&disc, e), q)
            }),
        };
        let ratio = match &discrete {
            Some(d) if prefill_rows(&disc) >= MIN_DOF && prefill_rows(&unified) >= MIN_DOF => {
                let u = fit_prefill_level(&unified, &d.0, &all.0).0;
                let weight = prefill_rows(&disc).min(prefill_rows(&unified)) as f64;
                Some((u.compute_frac / d.0.compute_frac, weight))
            }
            _ => None,
        };
        levels.push((
            b,
            Levels {
                rows: rows_b,
                all,
                discrete,
                ratio,
            },
        ));
    }
    let mut out = Vec::new();
    for (b, l) in &levels {
        out.push(entry(b, None, None, None, l.all.0, l.rows.len(), l.all.1));
        let mut kind_fit: Vec<(DeviceKind, Efficiency)> = Vec::new();
        let mut vendor_fit: Vec<(DeviceKind, &str, Efficiency)> = Vec::new();
        if let Some((ed, qd)) = l.discrete {
            // The ratio of the other backends, never this backend's own: their geometric mean,
            // each weighted by the prefill rows of its scarcer kind (16 rows of Apple GPUs
            // through Vulkan do not count as much as 190 of DGX Spark).
            let others: Vec<(f64, f64)> = levels
                .iter()
                .filter(|(o, _)| o != b)
                .filter_map(|(_, o)| o.ratio)
                .collect();
            let phi = weighted_ratio(&others);
            let prior_u = phi.map_or(ed, |phi| scale_compute(ed, phi));
            let unified = of_kind(&l.rows, DeviceKind::UnifiedSoc);
            let (eu, qu) = if unified.is_empty() {
                (prior_u, FitQuality::default())
            } else {
                let (e, q) = fit_prefill_level(&unified, &prior_u, &l.all.0);
                (for_new_device(&unified, e), q)
            };
            let discrete = of_kind(&l.rows, DeviceKind::DiscreteGpu);
            let n = discrete.len();
            out.push(entry(
                b,
                None,
                None,
                Some(DeviceKind::DiscreteGpu),
                ed,
                n,
                qd,
            ));
            out.push(entry(
                b,
                None,
                None,
                Some(DeviceKind::UnifiedSoc),
                eu,
                unified.len(),
                qu,
            ));
            kind_fit.push((DeviceKind::DiscreteGpu, ed));
            kind_fit.push((DeviceKind::UnifiedSoc, eu));
            // Within a kind, per vendor: datasheet peaks follow vendor conventions (AMD counts
            // dual-issue WMMA, Apple its FP32 rate), so on a backend that runs every vendor
            // (Vulkan) a held-out AMD SoC starts from AMD's discrete cards × φ, not from the
            // Apple GPUs that are the backend's other unified SoCs.
            let vendors: BTreeSet<&str> = l
                .rows
                .iter()
                .map(|s| s.mapped.device.raw.vendor.as_str())
                .collect();
            for v in vendors {
                let of_vendor = |k: DeviceKind| -> Vec<&Sample> {
                    of_kind(&l.rows, k)
                        .into_iter()
                        .filter(|s| s.mapped.device.raw.vendor == v)
                        .collect()
                };
                let (dv, uv) = (
                    of_vendor(DeviceKind::DiscreteGpu),
                    of_vendor(DeviceKind::UnifiedSoc),
                );
                let edv = (!dv.is_empty()).then(|| {
                    let (e, q) = fit_prefill_level(&dv, &ed, &l.all.0);
                    (for_new_device(&dv, e), q)
                });
                if let Some((e, q)) = edv {
                    let mut x = entry(b, None, None, Some(DeviceKind::DiscreteGpu), e, dv.len(), q);
                    x.vendor = Some(v.to_string());
                    x.source = Some(
                        "fitted on the backend's traces of this vendor's devices of this kind, \
                         pulled toward the kind's fit"
                            .into(),
                    );
                    out.push(x);
                    vendor_fit.push((DeviceKind::DiscreteGpu, v, e));
                }
                if edv.is_none() && uv.is_empty() {
                    continue;
                }
                let prior_uv = edv.map_or(eu, |(e, _)| phi.map_or(e, |phi| scale_compute(e, phi)));
                let (e, q) = if uv.is_empty() {
                    (prior_uv, FitQuality::default())
                } else {
                    let (e, q) = fit_prefill_level(&uv, &prior_uv, &l.all.0);
                    (for_new_device(&uv, e), q)
                };
                let mut x = entry(b, None, None, Some(DeviceKind::UnifiedSoc), e, uv.len(), q);
                x.vendor = Some(v.to_string());
                x.source = Some(
                    "fitted on the backend's unified-SoC traces of this vendor (if any), pulled \
                     toward the vendor's discrete fit times the unified/discrete ratio of the \
                     other backends (else the kind's fit)"
                        .into(),
                );
                out.push(x);
                vendor_fit.push((DeviceKind::UnifiedSoc, v, e));
            }
        }
        // A family is fitted per device kind: a unified SoC of a GPU family (DGX Spark among
        // the Blackwell cards, Jetson among the Ampere ones) does not borrow the prefill of
        // the discrete cards, which run 2× faster on the same architecture.
        let families: BTreeSet<(&str, DeviceKind)> = l
            .rows
            .iter()
            .map(|s| {
                (
                    s.mapped.device.raw.family.as_str(),
                    s.mapped.device.raw.kind,
                )
            })
            .collect();
        let mut device_fits: Vec<(usize, Vec<&Sample>)> = Vec::new();
        for (fam, kind) in families {
            let rows_f: Vec<&Sample> = l
                .rows
                .iter()
                .copied()
                .filter(|s| s.mapped.device.raw.family == fam && s.mapped.device.raw.kind == kind)
                .collect();
            let vendor = rows_f[0].mapped.device.raw.vendor.as_str();
            let parent = vendor_fit
                .iter()
                .find(|(k, v, _)| *k == kind && *v == vendor)
                .map(|(_, _, e)| *e)
                .or_else(|| kind_fit.iter().find(|(k, _)| *k == kind).map(|(_, e)| *e))
                .unwrap_or(l.all.0);
            let (ef, qf) = fit_level(&rows_f, &parent);
            let ef = for_new_device(&rows_f, ef);
            out.push(entry(b, None, Some(fam), Some(kind), ef, rows_f.len(), qf));
            let devices: BTreeSet<&str> = rows_f.iter().map(|s| s.mapped.device.id()).collect();
            for d in devices {
                let rows_d: Vec<&Sample> = rows_f
                    .iter()
                    .copied()
                    .filter(|s| s.mapped.device.id() == d)
                    .collect();
                let (ed, qd) = fit_level(&rows_d, &ef);
                out.push(entry(b, Some(d), Some(fam), None, ed, rows_d.len(), qd));
                device_fits.push((out.len() - 1, rows_d));
            }
        }
        for_new_models(&mut out, &device_fits);
    }
    out
}

/// Widens each device's own interval for a model it has not run. A device's fit is close to
/// exact on the few models it ran (each weight class has its own compute fraction), so its
/// residuals say little of the next model's offset: that spread, the between-model variance of
/// the mean log residuals, is the device's own where it ran enough models and otherwise pooled
/// over the backend's devices, each one weight (under `MIN_DOF` degrees of freedom the
/// intervals stand), and each device's interval becomes
/// `exp(t₀.₉₅(dof) · √(s_w² + s_b²·(1 + 1/m))) − 1` for its `m` models and within-model
/// variance `s_w²`, never narrower than its own.
fn for_new_models(out: &mut [EfficiencyEntry], devices: &[(usize, Vec<&Sample>)]) {
    for test in [Test::Tg, Test::Pp] {
        // Per device: the mean log residual of each model, and the within-model variance.
        let per_device: Vec<(usize, Vec<f64>, f64)> = devices
            .iter()
            .map(|(i, rows)| {
                let by_model = residuals_by(rows, &out[*i].eff, test, |s| &s.mapped.model.id);
                let groups: Vec<&[f64]> = by_model.values().map(Vec::as_slice).collect();
                let (means, s_w2) = group_means(&groups);
                (*i, means, s_w2)
            })
            .collect();
        // Each device with two models or more gives its own between-model variance. A device
        // with enough models (MIN_DOF degrees of freedom) keeps its own; the others take the
        // mean over the devices that give one, each with equal weight (one device with fifteen
        // models must not outweigh ten with two), on the degrees of freedom of them all.
        let spreads: Vec<(f64, usize)> = per_device
            .iter()
            .filter_map(|(_, m, _)| variance(m))
            .collect();
        let dof_pooled: usize = spreads.iter().map(|(_, d)| d).sum();
        let pooled = (dof_pooled >= MIN_DOF).then(|| {
            (
                spreads.iter().map(|(v, _)| v).sum::<f64>() / spreads.len() as f64,
                dof_pooled,
            )
        });
        for (i, means, s_w2) in per_device {
            let own_spread = variance(&means).filter(|(_, dof)| *dof >= MIN_DOF);
            let Some((s_b2, dof)) = own_spread.or(pooled) else {
                continue;
            };
            let err = new_group_err(s_w2, s_b2, means.len().max(1), dof);
            let own = match test {
                Test::Tg => &mut out[i].eff.decode_rel_err,
                Test::Pp => &mut out[i].eff.prefill_rel_err,
            };
            *own = round_to(own.max(err), 4);
        }
    }
}

/// Parameters the all-backend level pools: decode's (the intervals are not among them).
/// Decode streams memory and pays launch and routing costs, alike across backends (achieved
/// bandwidth 81–93% of peak on the four llama.cpp GPU backends); prefill runs each backend's
/// own matmul and attention kernels, which are not (flash-attention prefill costs about 1–4×
/// its FLOPs on CUDA and 2× on Metal but 36–155× on ROCm), so prefill starts from the backend's
/// documented prior. So does the per-layer change with flash attention (`t_layer,fa`): which
/// kernels a backend fuses is its own (fitted: CUDA and Metal save 20–35 µs per layer, ROCm
/// and Vulkan pay 15–40 µs more).
const N_PARAMS: usize = 6;

/// The pooled parameters of `e`, in a fixed order.
fn params(e: &mut Efficiency) -> [&mut f64; N_PARAMS] {
    [
        &mut e.bandwidth_frac,
        &mut e.fixed_s,
        &mut e.expert_s,
        &mut e.decode_attn,
        &mut e.decode_attn_fa,
        &mut e.layer_s,
    ]
}

/// How many of `rows` show each parameter of [`params`].
fn shown(rows: &[&Sample]) -> [f64; N_PARAMS] {
    let mut n = [0.0; N_PARAMS];
    for f in rows.iter().map(|s| &s.feat).filter(|f| f.test == Test::Tg) {
        for (i, yes) in [
            true,
            true,
            f.x_expert > 0.0,
            !f.flash_attn && f.x_attn > 0.0,
            f.flash_attn && f.x_attn > 0.0,
            true,
        ]
        .into_iter()
        .enumerate()
        {
            n[i] += f64::from(u8::from(yes));
        }
    }
    n
}

/// `base` with each parameter replaced by the mean of the backends' fits that show it,
/// weighted by how many rows do.
fn pooled(own: &[(Efficiency, [f64; N_PARAMS])], mut base: Efficiency) -> Efficiency {
    let mut sum = [0.0; N_PARAMS];
    let mut weight = [0.0; N_PARAMS];
    for (e, n) in own {
        let mut e = *e;
        for (i, v) in params(&mut e).into_iter().enumerate() {
            sum[i] += *v * n[i];
            weight[i] += n[i];
        }
    }
    for (i, v) in params(&mut base).into_iter().enumerate() {
        if weight[i] > 0.0 {
            *v = sum[i] / weight[i];
        }
    }
    base
}

/// `e` with intervals wide enough for a device that borrows it: the spread of the rows
/// within each of the level's devices plus the spread of the devices' own offsets (each
/// device one observation, whatever its row count), with Student t on the devices:
/// `exp(t₀.₉₅(n − 1) · √(s_w² + s_b²·(1 + 1/n))) − 1` for n devices. Never narrower than
/// the level's own interval; with one device the level's own stands (a device that borrows
/// it has nothing to measure the spread between devices against, and its parent's interval
/// is already the fallback of every level with too few rows).
fn for_new_device(rows: &[&Sample], mut e: Efficiency) -> Efficiency {
    for test in [Test::Tg, Test::Pp] {
        let by_device = residuals_by(rows, &e, test, |s| s.mapped.device.id());
        let groups: Vec<&[f64]> = by_device.values().map(Vec::as_slice).collect();
        let Some(err) = new_device_err(&groups) else {
            continue;
        };
        let own = match test {
            Test::Tg => &mut e.decode_rel_err,
            Test::Pp => &mut e.prefill_rel_err,
        };
        *own = own.max(err);
    }
    e
}

/// The one-sided 95% relative error for a new group, from the log residuals of each group
/// (device): `exp(t₀.₉₅(n − 1) · √(s_w² + s_b²·(1 + 1/n))) − 1`; `None` below two groups.
fn new_device_err(groups: &[&[f64]]) -> Option<f64> {
    if groups.len() < 2 {
        return None;
    }
    let (means, s_w2) = group_means(groups);
    let (s_b2, dof) = variance(&means)?;
    Some(new_group_err(s_w2, s_b2, groups.len(), dof))
}

/// `exp(t₀.₉₅(dof) · √(s_w² + s_b²·(1 + 1/n))) − 1`: the one-sided 95% relative error for a
/// new group, from the within-group variance `s_w²` and the variance `s_b²` between the means
/// of `n` groups, estimated on `dof` degrees of freedom.
fn new_group_err(s_w2: f64, s_b2: f64, n: usize, dof: usize) -> f64 {
    (t95(dof as f64) * (s_w2 + s_b2 * (1.0 + 1.0 / n as f64)).sqrt()).exp() - 1.0
}

/// The one-sided 95% quantile of Student's t on `dof` degrees of freedom.
fn t95(dof: f64) -> f64 {
    StudentsT::new(0.0, 1.0, dof)
        .map(|d| d.inverse_cdf(0.95))
        .unwrap_or(1.645)
}

/// The log residuals `ln(predicted / measured)` of the `test` rows of `rows` under `e`, grouped
/// by `key` (device or model).
fn residuals_by<'s>(
    rows: &[&'s Sample],
    e: &Efficiency,
    test: Test,
    key: impl Fn(&'s Sample) -> &'s str,
) -> BTreeMap<&'s str, Vec<f64>> {
    let mut by: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for s in rows.iter().copied().filter(|s| s.feat.test == test) {
        let r = (s.feat.predict_tok_s(e) / s.feat.measured_tok_s()).ln();
        if r.is_finite() {
            by.entry(key(s)).or_default().push(r);
        }
    }
    by
}

/// Each group's mean, and the variance within the groups pooled over them (0 without a
/// degree of freedom).
fn group_means(groups: &[&[f64]]) -> (Vec<f64>, f64) {
    let means: Vec<f64> = groups.iter().map(|v| mean(v)).collect();
    let (ss, dof) = groups
        .iter()
        .zip(&means)
        .fold((0.0, 0usize), |(ss, k), (v, m)| {
            (
                ss + v.iter().map(|x| (x - m).powi(2)).sum::<f64>(),
                k + v.len() - 1,
            )
        });
    (means, if dof > 0 { ss / dof as f64 } else { 0.0 })
}

/// The sample variance of `v` and its degrees of freedom; `None` below two values.
fn variance(v: &[f64]) -> Option<(f64, usize)> {
    (v.len() >= 2).then(|| {
        let c = mean(v);
        let dof = v.len() - 1;
        (
            v.iter().map(|x| (x - c).powi(2)).sum::<f64>() / dof as f64,
            dof,
        )
    })
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

/// The weighted geometric mean of `(ratio, weight)` pairs; `None` without weight.
fn weighted_ratio(r: &[(f64, f64)]) -> Option<f64> {
    let w: f64 = r.iter().map(|(_, w)| w).sum();
    (w > 0.0).then(|| (r.iter().map(|(x, w)| w * x.ln()).sum::<f64>() / w).exp())
}

/// The rows of devices of kind `k`.
fn of_kind<'s, 'a>(rows: &[&'s Sample<'a>], k: DeviceKind) -> Vec<&'s Sample<'a>> {
    rows.iter()
        .copied()
        .filter(|s| s.mapped.device.raw.kind == k)
        .collect()
}

/// Prefill rows among `rows`.
fn prefill_rows(rows: &[&Sample]) -> usize {
    rows.iter().filter(|s| s.feat.test == Test::Pp).count()
}

/// `e` with the decode parameters of `d`.
fn with_decode_of(e: Efficiency, d: &Efficiency) -> Efficiency {
    Efficiency {
        bandwidth_frac: d.bandwidth_frac,
        fixed_s: d.fixed_s,
        layer_s: d.layer_s,
        layer_fa_s: d.layer_fa_s,
        expert_s: d.expert_s,
        decode_attn: d.decode_attn,
        decode_attn_fa: d.decode_attn_fa,
        decode_rel_err: d.decode_rel_err,
        ..e
    }
}

/// `e` with every prefill compute fraction times `phi` (at most 1).
fn scale_compute(mut e: Efficiency, phi: f64) -> Efficiency {
    for f in [
        &mut e.compute_frac,
        &mut e.kquant_compute_frac,
        &mut e.float_compute_frac,
        &mut e.expert_compute_frac,
    ] {
        *f = (*f * phi).min(1.0);
    }
    e
}

fn entry(
    backend: &str,
    device: Option<&str>,
    family: Option<&str>,
    kind: Option<DeviceKind>,
    eff: Efficiency,
    rows: usize,
    q: FitQuality,
) -> EfficiencyEntry {
    let level = match (device, family, kind) {
        (Some(_), _, _) => "fitted on this device's traces, pulled toward its family's fit",
        (None, Some(_), _) => {
            "fitted on the traces of the family's devices of this kind, pulled toward the fit of \
             the kind (else the backend's)"
        }
        (None, None, Some(DeviceKind::UnifiedSoc)) => {
            "fitted on the backend's unified-SoC traces (if any), pulled toward its discrete \
             fit with the prefill fractions times the unified/discrete ratio of the other backends"
        }
        (None, None, Some(_)) => {
            "fitted on the backend's traces of this device kind, pulled toward the backend's fit"
        }
        (None, None, None) => {
            "fitted on all traces of the backend, pulled toward the backends' pooled decode fit \
             (each decode parameter the mean of the backends that show it) and the documented \
             prior"
        }
    };
    EfficiencyEntry {
        backend: backend.to_string(),
        device: device.map(String::from),
        family: family.map(String::from),
        kind,
        vendor: None,
        eff: round_eff(eff),
        rows: Some(rows),
        quality: Some(round_quality(q)),
        source: Some(level.to_string()),
    }
}

fn round_to(v: f64, sig: i32) -> f64 {
    // Below a femtosecond or a femto-fraction is the solver's rounding, not a fitted value.
    if v.abs() < 1e-15 || !v.is_finite() {
        return if v.is_finite() { 0.0 } else { v };
    }
    let p = sig - 1 - v.abs().log10().floor() as i32;
    let k = 10f64.powi(p);
    (v * k).round() / k
}

fn round_eff(e: Efficiency) -> Efficiency {
    Efficiency {
        bandwidth_frac: round_to(e.bandwidth_frac, 6),
        fixed_s: round_to(e.fixed_s, 6),
        layer_s: round_to(e.layer_s, 6),
        layer_fa_s: round_to(e.layer_fa_s, 6),
        expert_s: round_to(e.expert_s, 6),
        decode_attn: round_to(e.decode_attn, 6),
        decode_attn_fa: round_to(e.decode_attn_fa, 6),
        compute_frac: round_to(e.compute_frac, 6),
        kquant_compute_frac: round_to(e.kquant_compute_frac, 6),
        float_compute_frac: round_to(e.float_compute_frac, 6),
        expert_compute_frac: round_to(e.expert_compute_frac, 6),
        prefill_expert_factor: round_to(e.prefill_expert_factor, 6),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calib::features::UNIT;

    #[test]
    fn a_new_device_gets_the_spread_between_devices_not_only_within() {
        // Two devices, each measured exactly the same way three times, 20% apart: the rows
        // alone (no spread within a device) would claim a zero interval.
        let a = [0.1_f64; 3];
        let b = [-0.1_f64; 3];
        let err = new_device_err(&[&a, &b]).unwrap();
        // s_b² = 0.02, t₀.₉₅(1) = 6.314: exp(6.314 · √(0.02 · 1.5)) − 1
        let expect = (6.313_751_514_675_043 * (0.02_f64 * 1.5).sqrt()).exp() - 1.0;
        assert!((err - expect).abs() < 1e-6, "{err} {expect}");
        // More devices with the same spread narrow it (t and the 1/n term shrink).
        let four = new_device_err(&[&a, &b, &a, &b]).unwrap();
        assert!(four < err / 2.0, "{four}");
        assert_eq!(new_device_err(&[&a]), None);
    }

    #[test]
    fn the_unified_ratio_weights_each_backend_by_its_rows() {
        // 190 rows of DGX Spark at 0.44, 16 of Apple GPUs through Vulkan at 1.19.
        let phi = weighted_ratio(&[(0.44, 190.0), (1.19, 16.0)]).unwrap();
        let expect = ((190.0 * 0.44_f64.ln() + 16.0 * 1.19_f64.ln()) / 206.0).exp();
        assert!(
            (phi - expect).abs() < 1e-12 && (0.47..0.49).contains(&phi),
            "{phi}"
        );
        assert_eq!(weighted_ratio(&[]), None);
        assert_eq!(weighted_ratio(&[(0.5, 0.0)]), None);
    }

    #[test]
    fn pooled_weights_each_parameter_by_the_rows_that_show_it() {
        let a = Efficiency {
            bandwidth_frac: 0.9,
            expert_s: 1e-5,
            ..UNIT
        };
        let b = Efficiency {
            bandwidth_frac: 0.6,
            expert_s: 4e-5,
            ..UNIT
        };
        let mut na = [0.0; N_PARAMS];
        let mut nb = [0.0; N_PARAMS];
        (na[0], nb[0]) = (300.0, 100.0);
        // only b's traces ran MoE models
        nb[2] = 10.0;
        let base = Efficiency {
            decode_attn: 7.0,
            ..UNIT
        };
        let p = pooled(&[(a, na), (b, nb)], base);
        assert!((p.bandwidth_frac - 0.825).abs() < 1e-12);
        assert!((p.expert_s - 4e-5).abs() < 1e-18);
        // nobody showed it: the base stands
        assert_eq!(p.decode_attn, 7.0);
    }
}
