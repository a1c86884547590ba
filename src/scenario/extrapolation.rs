//! Why a prediction extrapolates past what the calibration measured: a context longer than
//! the longest row of its backend, an attention shape its backend has no rows for, or an
//! efficiency borrowed from the device's family, kind or backend, or the prior. Each result
//! lists the reasons (empty when none) beside its interval.

use crate::db::calibration::{CoverageRaw, BORROWED};
use crate::db::model::ModelRaw;
use crate::db::{Db, Provenance};
use crate::model::attention_shape::attention_shape;
use serde::Serialize;

/// One reason a prediction extrapolates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Extrapolation {
    /// The context is longer than any calibrated row of the backend reached.
    DepthBeyondCalibrated,
    /// The backend has no calibrated rows of a model with this attention shape.
    AttentionShapeNotCalibrated,
    /// The efficiency is the fit of the device's family, not of the device.
    EfficiencyFromFamily,
    /// The efficiency is the fit of the devices of its kind on the backend.
    EfficiencyFromKind,
    /// The efficiency is the fit of all devices on the backend.
    EfficiencyFromBackend,
    /// No traces: the documented prior.
    EfficiencyFromPrior,
    /// The backend has no calibrated rows at all.
    BackendNotCalibrated,
}

impl Extrapolation {
    /// The reason as its JSON string.
    pub fn as_str(self) -> &'static str {
        match self {
            Extrapolation::DepthBeyondCalibrated => "depth_beyond_calibrated",
            Extrapolation::AttentionShapeNotCalibrated => "attention_shape_not_calibrated",
            Extrapolation::EfficiencyFromFamily => "efficiency_from_family",
            Extrapolation::EfficiencyFromKind => "efficiency_from_kind",
            Extrapolation::EfficiencyFromBackend => "efficiency_from_backend",
            Extrapolation::EfficiencyFromPrior => "efficiency_from_prior",
            Extrapolation::BackendNotCalibrated => "backend_not_calibrated",
        }
    }
}

/// The most reasons one result can have: each reason at most once.
const MAX_REASONS: usize = 7;

/// The reasons of one result, in the order they were found: a JSON list of strings (a CSV
/// writer joins the list with `;`). Held inline, so a row copies them without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reasons {
    items: [Extrapolation; MAX_REASONS],
    len: u8,
}

impl Default for Reasons {
    fn default() -> Reasons {
        Reasons {
            items: [Extrapolation::DepthBeyondCalibrated; MAX_REASONS],
            len: 0,
        }
    }
}

impl Reasons {
    /// Adds a reason (once: a reason already listed is not repeated).
    pub fn push(&mut self, e: Extrapolation) {
        if !self.as_slice().contains(&e) && usize::from(self.len) < MAX_REASONS {
            self.items[usize::from(self.len)] = e;
            self.len += 1;
        }
    }
    /// The reasons.
    pub fn as_slice(&self) -> &[Extrapolation] {
        &self.items[..usize::from(self.len)]
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// The reasons joined with `;`.
    pub fn joined(&self) -> String {
        let v: Vec<&str> = self.as_slice().iter().map(|e| e.as_str()).collect();
        v.join(";")
    }
}

impl Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

/// The held-out bands of one test, backend and efficiency provenance, by depth, looked up in
/// the order `validate` takes its strata: the backend's band (a variant counts as its backend)
/// at the depth's range, else every backend's at that range, else (a borrowed efficiency)
/// that of every borrowed source at that range, else the backend's over all depths, else
/// every backend's.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DepthBands {
    /// `(first depth, last depth, (q05, q95))` of the backend's ranged bands, in database order.
    ranged: Vec<(u64, Option<u64>, (f64, f64))>,
    /// The same over every backend.
    ranged_any: Vec<(u64, Option<u64>, (f64, f64))>,
    /// The ranged bands of every borrowed source over every backend (empty for a device's own
    /// fit).
    ranged_borrowed: Vec<(u64, Option<u64>, (f64, f64))>,
    /// The backend's band over all depths.
    all: Option<(f64, f64)>,
    /// Every backend's band over all depths.
    all_any: Option<(f64, f64)>,
}

impl DepthBands {
    /// The shipped bands of `test` (`tg`, `pp`) on `backend` for an efficiency of provenance `p`.
    pub fn of(db: &Db, backend: &str, test: &str, p: Provenance) -> DepthBands {
        let root = db.backend_root(backend);
        let mut out = DepthBands::default();
        let borrowed = p != Provenance::Fitted;
        for b in db.fitted.heldout_bands.iter().filter(|b| b.test == test) {
            let ranged = !(b.depth_from == 0 && b.depth_to.is_none());
            if borrowed && ranged && b.efficiency == BORROWED && b.backend.is_none() {
                let q = (b.q05_log, b.q95_log);
                out.ranged_borrowed.push((b.depth_from, b.depth_to, q));
                continue;
            }
            if b.efficiency != p.label() {
                continue;
            }
            let own = match b.backend.as_deref() {
                None => false,
                Some(x) if !root.is_empty() && x == root => true,
                Some(_) => continue,
            };
            let q = (b.q05_log, b.q95_log);
            match (own, ranged) {
                (true, true) => out.ranged.push((b.depth_from, b.depth_to, q)),
                (false, true) => out.ranged_any.push((b.depth_from, b.depth_to, q)),
                (true, false) => out.all = out.all.or(Some(q)),
                (false, false) => out.all_any = out.all_any.or(Some(q)),
            }
        }
        out
    }

    /// The band at `depth` tokens (see the type's docs).
    pub fn at(&self, depth: u64) -> Option<(f64, f64)> {
        let find = |v: &[(u64, Option<u64>, (f64, f64))]| {
            v.iter()
                .find(|(from, to, _)| depth >= *from && to.is_none_or(|t| depth <= t))
                .map(|(_, _, q)| *q)
        };
        find(&self.ranged)
            .or_else(|| find(&self.ranged_any))
            .or_else(|| find(&self.ranged_borrowed))
            .or(self.all)
            .or(self.all_any)
    }
}

/// What a scenario's reasons and bands are at any context, worked out once per
/// (device, model, quant): of the reasons only the depth check depends on the context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ContextRules {
    /// The longest context the backend's calibration reached, tokens (None: no coverage).
    max_ctx: Option<u64>,
    /// The reasons that hold at every context.
    fixed: Reasons,
    /// The decode bands by depth.
    pub decode_bands: DepthBands,
}

impl ContextRules {
    /// The rules of `model` on `backend` with an efficiency of provenance `p`.
    pub fn new(db: &Db, backend: &str, model: &ModelRaw, p: Provenance) -> ContextRules {
        let mut fixed = Reasons::default();
        let mut max_ctx = None;
        match coverage_of(db, backend) {
            Some(c) => {
                max_ctx = Some(c.max_ctx_tokens);
                if !c.shapes.contains(&attention_shape(model)) {
                    fixed.push(Extrapolation::AttentionShapeNotCalibrated);
                }
            }
            None if !db.fitted.coverage.is_empty() => {
                fixed.push(Extrapolation::BackendNotCalibrated);
            }
            None => {}
        }
        match p {
            Provenance::Fitted => {}
            Provenance::Family => fixed.push(Extrapolation::EfficiencyFromFamily),
            Provenance::Kind => fixed.push(Extrapolation::EfficiencyFromKind),
            Provenance::Backend => fixed.push(Extrapolation::EfficiencyFromBackend),
            Provenance::Prior => fixed.push(Extrapolation::EfficiencyFromPrior),
        }
        ContextRules {
            max_ctx,
            fixed,
            decode_bands: DepthBands::of(db, backend, "tg", p),
        }
    }

    /// The reasons at context `ctx` (tokens): past the calibrated depth first, then the rest.
    pub fn reasons_at(&self, ctx: u64) -> Reasons {
        if self.max_ctx.is_none_or(|m| ctx <= m) {
            return self.fixed;
        }
        let mut out = Reasons::default();
        out.push(Extrapolation::DepthBeyondCalibrated);
        self.fixed.as_slice().iter().for_each(|e| out.push(*e));
        out
    }
}

/// The shipped held-out band (5th and 95th percentile of `ln(measured / predicted)`) of a
/// prediction of `test` (`tg`, `pp`) on `backend` with an efficiency of provenance `p` at
/// `depth` tokens (see [`DepthBands`]); `None` without one.
pub fn heldout_band(
    db: &Db,
    backend: &str,
    test: &str,
    p: Provenance,
    depth: u64,
) -> Option<(f64, f64)> {
    DepthBands::of(db, backend, test, p).at(depth)
}

/// The coverage of `backend`, else of the backend it is a variant of.
fn coverage_of<'d>(db: &'d Db, backend: &str) -> Option<&'d CoverageRaw> {
    let find = |b: &str| db.fitted.coverage.iter().find(|c| c.backend == b);
    find(backend).or_else(|| find(db.backend_root(backend)))
}

/// The reasons a prediction for `model` on `backend` at context `ctx` (tokens), with an
/// efficiency of provenance `p`, extrapolates.
pub fn extrapolation(db: &Db, backend: &str, model: &ModelRaw, ctx: u64, p: Provenance) -> Reasons {
    ContextRules::new(db, backend, model, p).reasons_at(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_takes_the_held_out_band_of_its_backend() {
        let db = Db::load(None).expect("shipped databases");
        let shipped = |backend: Option<&str>, depth_to: Option<u64>| {
            db.fitted
                .heldout_bands
                .iter()
                .find(|b| {
                    b.test == "pp"
                        && b.efficiency == "fitted"
                        && b.backend.as_deref() == backend
                        && b.depth_from == 0
                        && b.depth_to == depth_to
                })
                .map(|b| (b.q05_log, b.q95_log))
        };
        let rocm = shipped(Some("llama.cpp-rocm"), Some(0)).expect("a ROCm band at depth 0");
        let every = shipped(None, Some(0)).expect("the band of every backend");
        assert_ne!(rocm, every, "the ROCm band is its own");
        let band = |b: &str| heldout_band(&db, b, "pp", Provenance::Fitted, 0);
        assert_eq!(band("llama.cpp-rocm-rocblas"), Some(rocm));
        assert_eq!(band("llama.cpp-rocm"), Some(rocm));
        // A backend the database does not hold takes the band of every backend.
        assert_eq!(band("no-such-backend"), Some(every));
    }

    #[test]
    fn a_borrowed_efficiency_at_depth_takes_the_band_of_every_borrowed_source() {
        let mut db = Db::load(None).expect("shipped databases");
        let band = |efficiency: &str, depth_from: u64, depth_to: Option<u64>, q: (f64, f64)| {
            crate::db::calibration::HeldoutBandRaw {
                test: "tg".into(),
                efficiency: efficiency.into(),
                backend: None,
                depth_from,
                depth_to,
                q05_log: q.0,
                q95_log: q.1,
                rows: 100,
            }
        };
        db.fitted.heldout_bands = vec![
            band("kind", 0, None, (-0.1, 0.1)),
            band("kind", 0, Some(0), (-0.2, 0.2)),
            band(BORROWED, 16385, None, (-1.0, 0.3)),
            band("fitted", 0, None, (-0.05, 0.05)),
        ];
        let at = |p, d| heldout_band(&db, "llama.cpp-cuda", "tg", p, d);
        // The source's own band at its depth range comes first.
        assert_eq!(at(Provenance::Kind, 0), Some((-0.2, 0.2)));
        // Deep, without one: every borrowed source's band at that range, not the source's
        // band over all depths (which depth 0 sets).
        assert_eq!(at(Provenance::Kind, 32768), Some((-1.0, 0.3)));
        assert_eq!(at(Provenance::Family, 32768), Some((-1.0, 0.3)));
        // Between them no pooled band: the source's band over all depths.
        assert_eq!(at(Provenance::Kind, 8192), Some((-0.1, 0.1)));
        // A device's own fit never takes a borrowed band.
        assert_eq!(at(Provenance::Fitted, 32768), Some((-0.05, 0.05)));
    }
}
