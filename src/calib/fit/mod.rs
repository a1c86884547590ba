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
//! kernel family and for routed experts, `κ_p, κ_p,fa, t_expert,p)`; see
//! [`super::features`]. Intervals: `exp(t₀.₉₅(n − p) · sd(log residual)) − 1`.

mod entry;
mod interval;
mod level;
mod pool;
pub mod solve;

use entry::entry;
use interval::MIN_DOF;
use interval::{for_new_device, for_new_models};
pub use level::fit_level;
use level::fit_prefill_level;
use pool::{pooled, scale_compute, shown, weighted_ratio, N_PARAMS};

use super::features::Features;
use super::map::Mapped;
use super::trace::Test;
use crate::db::calibration::{Efficiency, EfficiencyEntry, FitQuality};
use crate::db::hardware::DeviceKind;
use crate::db::Db;
use std::collections::BTreeSet;

/// A mapped row with its regressors.
#[derive(Debug, Clone)]
pub struct Sample<'a> {
    /// The mapped row.
    pub mapped: Mapped<'a>,
    /// Its regressors.
    pub feat: Features,
    /// Why the fit leaves it out, where `calibration/defaults.yaml` says (`left_out`).
    pub left_out: Option<String>,
}

impl Sample<'_> {
    /// Whether the fit uses this row: single-stream rows only. Batched rows (B > 1) validate
    /// the concurrency model.
    pub fn single_stream(&self) -> bool {
        self.mapped.row.batch.unwrap_or(1) <= 1
    }

    /// Whether the fit uses this row: a single-stream row measured by llama-bench (or a
    /// harness that runs the same kernels the same way). Rows of a server harness (`harness`
    /// `llama-server`: one request's `timings.prompt_per_second` and per-slot decode, with the
    /// server's request loop, sampling and streaming around them) are validated, not fitted:
    /// the fit stays a fit of llama-bench runs, and the server rows measure how well it
    /// transfers to a server.
    pub fn fitted(&self) -> bool {
        let server = self
            .mapped
            .row
            .harness
            .as_deref()
            .is_some_and(|h| !h.eq_ignore_ascii_case("llama-bench"));
        // Rows of CPUs with known cores and kernels are the CPU kernels' fit
        // (`calibrate --cpu-kernels`), not the roofline's.
        self.single_stream()
            && self.left_out.is_none()
            && !server
            && !self.mapped.is_cpu_kernel_row()
            && !self.layers_on_host()
    }

    /// Whether a GPU row ran layers on the host (llama-bench `-ngl` below the model's layer
    /// count), on a CPU the row does not name: such a row is validated, not fitted.
    pub fn layers_on_host(&self) -> bool {
        self.mapped.device.raw.kind != DeviceKind::Cpu && self.mapped.partial_gpu_layers().is_some()
    }
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
    let kept: Vec<&Sample> = samples.iter().filter(|s| !skip(s) && s.fitted()).collect();
    let levels = backend_levels(db, &kept);
    let mut out = Vec::new();
    for (b, l) in &levels {
        out.push(entry(b, None, None, None, l.all.0, l.rows.len(), l.all.1));
        let (kind_fit, vendor_fit) = kind_levels(b, l, &levels, &mut out);
        family_levels(b, l, &kind_fit, &vendor_fit, &mut out);
    }
    out
}

/// Per backend: its fits over all rows, its discrete cards and its unified SoCs.
struct Levels<'s, 'a> {
    /// The backend's rows.
    rows: Vec<&'s Sample<'a>>,
    /// Its fit on all of them.
    all: (Efficiency, FitQuality),
    /// Its fit on its discrete cards.
    discrete: Option<(Efficiency, FitQuality)>,
    /// Unified over discrete prefill efficiency, where both kinds have prefill rows, and
    /// its weight: the prefill rows of the scarcer kind.
    ratio: Option<(f64, f64)>,
}

/// The backend levels, parents before their variants (variants without traces too: they
/// borrow), each pulled toward the backends' pooled decode fit (or its parent's).
fn backend_levels<'s, 'a>(db: &'a Db, kept: &[&'s Sample<'a>]) -> Vec<(&'a str, Levels<'s, 'a>)> {
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
    levels
}

/// A fit per device kind (discrete GPU, unified SoC) under a backend, and within a kind per
/// vendor; returns both for the families to start from.
#[allow(clippy::type_complexity)]
fn kind_levels<'a>(
    b: &str,
    l: &Levels<'_, 'a>,
    levels: &[(&str, Levels)],
    out: &mut Vec<EfficiencyEntry>,
) -> (
    Vec<(DeviceKind, Efficiency)>,
    Vec<(DeviceKind, &'a str, Efficiency)>,
) {
    let mut kind_fit: Vec<(DeviceKind, Efficiency)> = Vec::new();
    let mut vendor_fit: Vec<(DeviceKind, &str, Efficiency)> = Vec::new();
    if let Some((ed, qd)) = l.discrete {
        // The ratio of the other backends, never this backend's own: their geometric mean,
        // each weighted by the prefill rows of its scarcer kind (16 rows of Apple GPUs
        // through Vulkan do not count as much as 190 of DGX Spark).
        let others: Vec<(f64, f64)> = levels
            .iter()
            .filter(|(o, _)| *o != b)
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
            vendor_levels(b, l, v, (ed, eu, phi), out, &mut vendor_fit);
        }
    }
    // A family is fitted per device kind: a unified SoC of a GPU family (DGX Spark among
    // the Blackwell cards, Jetson among the Ampere ones) does not borrow the prefill of
    (kind_fit, vendor_fit)
}

/// Within a kind, the fits of one vendor's devices on a backend: its discrete cards pulled
/// toward the kind's discrete fit `ed`, its unified SoCs toward the vendor's discrete fit times
/// the unified/discrete ratio `phi` of the other backends (else the kind's unified fit `eu`).
fn vendor_levels<'a>(
    b: &str,
    l: &Levels<'_, 'a>,
    v: &'a str,
    (ed, eu, phi): (Efficiency, Efficiency, Option<f64>),
    out: &mut Vec<EfficiencyEntry>,
    vendor_fit: &mut Vec<(DeviceKind, &'a str, Efficiency)>,
) {
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
        return;
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

/// A fit per device family (per kind) under its vendor's (else its kind's) fit, and one per
/// device under its family's; then each device's interval widened for a model it has not run.
fn family_levels(
    b: &str,
    l: &Levels,
    kind_fit: &[(DeviceKind, Efficiency)],
    vendor_fit: &[(DeviceKind, &str, Efficiency)],
    out: &mut Vec<EfficiencyEntry>,
) {
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
    for_new_models(out, &device_fits);
}

/// The rows of devices of kind `k`.
pub(super) fn of_kind<'s, 'a>(rows: &[&'s Sample<'a>], k: DeviceKind) -> Vec<&'s Sample<'a>> {
    rows.iter()
        .copied()
        .filter(|s| s.mapped.device.raw.kind == k)
        .collect()
}

/// Prefill rows among `rows`.
pub(super) fn prefill_rows(rows: &[&Sample]) -> usize {
    rows.iter().filter(|s| s.feat.test == Test::Pp).count()
}
