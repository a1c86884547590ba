//! Why a prediction extrapolates past what the calibration measured: a context longer than
//! the longest row of its backend, an attention shape its backend has no rows for, or an
//! efficiency borrowed from the device's family, kind or backend, or the prior. Each result
//! lists the reasons (empty when none) beside its interval.

use crate::db::calibration::CoverageRaw;
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

/// The reasons of one result: a JSON list of strings; one cell of `;`-joined reasons in a
/// CSV row (the `csv` crate writes no nested sequences; the buffered CSV writer joins JSON
/// lists with `;` the same way).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reasons(pub Vec<Extrapolation>);

impl Reasons {
    /// The reasons joined with `;`.
    pub fn joined(&self) -> String {
        let v: Vec<&str> = self.0.iter().map(|e| e.as_str()).collect();
        v.join(";")
    }
}

impl Serialize for Reasons {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if std::any::type_name::<S>().starts_with("&mut csv::") {
            s.serialize_str(&self.joined())
        } else {
            s.collect_seq(self.0.iter())
        }
    }
}

/// The shipped held-out band (5th and 95th percentile of `ln(measured / predicted)`) of a
/// prediction of `test` (`tg`, `pp`) on `backend` with an efficiency of provenance `p` at
/// `depth` tokens, in the order `validate` takes its strata: the band of the backend (a variant
/// counts as its backend) at that depth range, else every backend's at that depth range, else
/// the backend's over all depths, else every backend's; `None` without one.
pub fn heldout_band(
    db: &Db,
    backend: &str,
    test: &str,
    p: Provenance,
    depth: u64,
) -> Option<(f64, f64)> {
    use crate::db::calibration::HeldoutBandRaw;
    let root = Some(db.backend_root(backend)).filter(|r| !r.is_empty());
    let at_depth = |b: &HeldoutBandRaw| {
        !(b.depth_from == 0 && b.depth_to.is_none())
            && depth >= b.depth_from
            && b.depth_to.is_none_or(|t| depth <= t)
    };
    let all_depths = |b: &HeldoutBandRaw| b.depth_from == 0 && b.depth_to.is_none();
    let find = |which: Option<&str>, ranged: bool| {
        db.fitted.heldout_bands.iter().find(|b| {
            b.test == test
                && b.efficiency == p.label()
                && b.backend.as_deref() == which
                && if ranged { at_depth(b) } else { all_depths(b) }
        })
    };
    [(root, true), (None, true), (root, false), (None, false)]
        .into_iter()
        .find_map(|(which, ranged)| find(which, ranged))
        .map(|b| (b.q05_log, b.q95_log))
}

/// The coverage of `backend`, else of the backend it is a variant of.
fn coverage_of<'d>(db: &'d Db, backend: &str) -> Option<&'d CoverageRaw> {
    let find = |b: &str| db.fitted.coverage.iter().find(|c| c.backend == b);
    find(backend).or_else(|| {
        db.backends
            .iter()
            .find(|b| b.id == backend)
            .and_then(|b| b.variant_of.as_deref())
            .and_then(find)
    })
}

/// The reasons a prediction for `model` on `backend` at context `ctx` (tokens), with an
/// efficiency of provenance `p`, extrapolates.
pub fn extrapolation(db: &Db, backend: &str, model: &ModelRaw, ctx: u64, p: Provenance) -> Reasons {
    let mut out = Vec::new();
    match coverage_of(db, backend) {
        Some(c) => {
            if ctx > c.max_ctx_tokens {
                out.push(Extrapolation::DepthBeyondCalibrated);
            }
            if !c.shapes.contains(&attention_shape(model)) {
                out.push(Extrapolation::AttentionShapeNotCalibrated);
            }
        }
        None if !db.fitted.coverage.is_empty() => {
            out.push(Extrapolation::BackendNotCalibrated);
        }
        None => {}
    }
    match p {
        Provenance::Fitted => {}
        Provenance::Family => out.push(Extrapolation::EfficiencyFromFamily),
        Provenance::Kind => out.push(Extrapolation::EfficiencyFromKind),
        Provenance::Backend => out.push(Extrapolation::EfficiencyFromBackend),
        Provenance::Prior => out.push(Extrapolation::EfficiencyFromPrior),
    }
    Reasons(out)
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
}
