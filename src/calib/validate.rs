//! Validation: predicted against measured, row by row, with a summary for decode (tg) and
//! prefill (pp): MAPE, median and p90 absolute percentage error, per device and backend.
//! With `Holdout::Device` each device is predicted from a fit that never saw it (its
//! family's or its backend's parameters); with `Holdout::Model` each model from a fit
//! without that model.

use super::features::scenario;
use super::fit::{fit_all, Sample};
use super::map::Mapped;
use super::trace::Test;
use crate::db::calibration::EfficiencyEntry;
use crate::db::Db;
use crate::model::predict::predict;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

pub use super::row::{Holdout, ValidationRow, DEPTH_RANGES};

/// Error statistics of a set of rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ErrorStats {
    /// Rows.
    pub n: usize,
    /// Mean absolute percentage error.
    pub mape_pct: Option<f64>,
    /// Median absolute percentage error.
    pub median_ape_pct: Option<f64>,
    /// 90th percentile absolute percentage error.
    pub p90_ape_pct: Option<f64>,
    /// Share of rows whose measured value lies inside the predicted interval, %.
    pub coverage_pct: Option<f64>,
}

/// Statistics of absolute percentage errors (and interval hits).
pub fn stats(rows: &[&ValidationRow]) -> ErrorStats {
    if rows.is_empty() {
        return ErrorStats::default();
    }
    let mut apes: Vec<f64> = rows.iter().map(|r| r.ape_pct).collect();
    apes.sort_by(f64::total_cmp);
    let q = |p: f64| apes[((apes.len() - 1) as f64 * p).round() as usize];
    let hits = rows
        .iter()
        .filter(|r| {
            r.measured_tok_s >= r.predicted_tok_s_lo && r.measured_tok_s <= r.predicted_tok_s_hi
        })
        .count();
    ErrorStats {
        n: rows.len(),
        mape_pct: Some(apes.iter().sum::<f64>() / apes.len() as f64),
        median_ape_pct: Some(q(0.5)),
        p90_ape_pct: Some(q(0.9)),
        coverage_pct: Some(hits as f64 * 100.0 / rows.len() as f64),
    }
}

/// The error of the single-stream rows of one range of depths (tokens in the cache before
/// the test).
#[derive(Debug, Clone, Serialize)]
pub struct DepthBucket {
    /// First depth of the range, tokens.
    pub depth_from: u64,
    /// Last depth of the range, tokens (`None`: no upper end).
    pub depth_to: Option<u64>,
    /// Decode rows in the range.
    pub tg_rows: usize,
    /// Their MAPE, %.
    pub tg_mape_pct: Option<f64>,
    /// Share of them inside the 90% interval, %.
    pub tg_coverage_pct: Option<f64>,
    /// Prefill rows in the range.
    pub pp_rows: usize,
    /// Their MAPE, %.
    pub pp_mape_pct: Option<f64>,
    /// Share of them inside the 90% interval, %.
    pub pp_coverage_pct: Option<f64>,
}

/// The error of `rows` (single-stream rows) per range of [`DEPTH_RANGES`].
pub fn by_depth(rows: &[&ValidationRow]) -> Vec<DepthBucket> {
    DEPTH_RANGES
        .iter()
        .map(|&(from, to)| {
            let of = |t: Test| -> Vec<&ValidationRow> {
                rows.iter()
                    .copied()
                    .filter(|r| {
                        r.test == t && r.n_depth >= from && to.is_none_or(|x| r.n_depth <= x)
                    })
                    .collect()
            };
            let (tg, pp) = (stats(&of(Test::Tg)), stats(&of(Test::Pp)));
            DepthBucket {
                depth_from: from,
                depth_to: to,
                tg_rows: tg.n,
                tg_mape_pct: tg.mape_pct,
                tg_coverage_pct: tg.coverage_pct,
                pp_rows: pp.n,
                pp_mape_pct: pp.mape_pct,
                pp_coverage_pct: pp.coverage_pct,
            }
        })
        .collect()
}

/// Predicts one sample with the given fitted entries.
fn predict_row(db: &Db, s: &Sample, fitted: &[EfficiencyEntry]) -> crate::Result<ValidationRow> {
    let m = &s.mapped;
    let (eff, prov) = db.efficiency_in(fitted, m.device, &m.backend.id);
    let sc = scenario(db, m, eff)?;
    let p = predict(&sc);
    let est = match s.feat.test {
        Test::Tg => p.decode_tok_s,
        Test::Pp => p.prefill_tok_s,
    };
    // Batched rows measure the aggregate over their streams.
    let b = f64::from(sc.batch);
    let (v, lo, hi) = est.map_or((0.0, 0.0, 0.0), |e| (e.value * b, e.lo * b, e.hi * b));
    let measured = m.row.tok_s;
    Ok(ValidationRow {
        file: m.row.file.clone(),
        line: m.row.line,
        device: m.device.id().to_string(),
        backend: m.backend.id.clone(),
        model: m.model.id.clone(),
        quant: m.quant.id.clone(),
        test: s.feat.test,
        n_prompt: m.row.n_prompt,
        n_gen: m.row.n_gen,
        n_depth: m.row.n_depth,
        measured_tok_s: measured,
        predicted_tok_s: v,
        predicted_tok_s_lo: lo,
        predicted_tok_s_hi: hi,
        ape_pct: (v / measured - 1.0).abs() * 100.0,
        batch: sc.batch,
        // The CPU kernels (calibration/cpu.yaml) predict rows of CPUs with known cores.
        efficiency: if sc.cpu.is_some() {
            "cpu-kernels"
        } else {
            prov.label()
        },
    })
}

/// The fits a holdout scheme predicts with, one per held-out key (a device, a model, or
/// nothing), each made once and shared by every row of that key, single- or multi-device.
pub struct HoldoutFits<'s, 'a> {
    samples: &'s [Sample<'a>],
    pub(crate) holdout: Holdout,
    fits: BTreeMap<String, Vec<EfficiencyEntry>>,
}

impl<'s, 'a> HoldoutFits<'s, 'a> {
    /// No fit made yet.
    pub fn new(samples: &'s [Sample<'a>], holdout: Holdout) -> Self {
        HoldoutFits {
            samples,
            holdout,
            fits: BTreeMap::new(),
        }
    }

    /// The samples the fits are made from.
    pub fn samples(&self) -> &'s [Sample<'a>] {
        self.samples
    }

    /// The key a row is held out by: its device, its model, or nothing.
    fn key<'m>(holdout: Holdout, m: &'m Mapped) -> &'m str {
        match holdout {
            Holdout::Device => m.device.id(),
            Holdout::Model => &m.model.id,
            Holdout::None | Holdout::Shipped => "",
        }
    }

    /// The fit for one key: the shipped calibration, a fit of all samples, or a fit without
    /// the key's device (or model).
    fn fit_for(&self, db: &Db, k: &str) -> Vec<EfficiencyEntry> {
        let holdout = self.holdout;
        match holdout {
            Holdout::Shipped => db.fitted.entries.clone(),
            Holdout::None => fit_all(db, self.samples, &|_| false),
            Holdout::Device | Holdout::Model => {
                fit_all(db, self.samples, &|s| Self::key(holdout, &s.mapped) == k)
            }
        }
    }

    /// The held-out keys of the samples whose fit is not made yet.
    fn missing(&self) -> BTreeSet<&'s str> {
        self.samples
            .iter()
            .map(|s| Self::key(self.holdout, &s.mapped))
            .filter(|k| !self.fits.contains_key(*k))
            .collect()
    }

    /// The number of fits the samples still need (one per held-out device or model).
    pub fn fits_needed(&self) -> usize {
        self.missing().len()
    }

    /// Makes every fit the samples need at once, one per held-out key, on every core (the
    /// fits are independent), calling `done` after each. Rows then only look them up.
    pub fn prepare(&mut self, db: &Db, done: &(dyn Fn() + Sync)) {
        let this = &*self;
        let made: Vec<(String, Vec<EfficiencyEntry>)> = this
            .missing()
            .into_par_iter()
            .map(|k| {
                let fit = this.fit_for(db, k);
                done();
                (k.to_string(), fit)
            })
            .collect();
        self.fits.extend(made);
    }

    /// The fit [`HoldoutFits::prepare`] made for a row mapped as `m`.
    fn made(&self, m: &Mapped) -> &[EfficiencyEntry] {
        &self.fits[Self::key(self.holdout, m)]
    }

    /// The fitted entries that predict a row mapped as `m`: a fit without its device (or
    /// model), a fit of all samples, or the shipped calibration (made here if
    /// [`HoldoutFits::prepare`] did not).
    pub fn for_row(&mut self, db: &Db, m: &Mapped) -> &[EfficiencyEntry] {
        let k = Self::key(self.holdout, m);
        if !self.fits.contains_key(k) {
            let fit = self.fit_for(db, k);
            self.fits.insert(k.to_string(), fit);
        }
        &self.fits[k]
    }
}

/// Validates every sample under a holdout scheme.
pub fn validate(
    db: &Db,
    samples: &[Sample],
    holdout: Holdout,
) -> crate::Result<Vec<ValidationRow>> {
    validate_with(db, &mut HoldoutFits::new(samples, holdout))
}

/// [`validate`] with fits that other rows (multi-device ones) can share.
///
/// With a device or model held out, each row's interval is widened to the held-out residuals
/// of the other devices or models ([`super::heldout`]).
pub fn validate_with(db: &Db, fits: &mut HoldoutFits) -> crate::Result<Vec<ValidationRow>> {
    fits.prepare(db, &|| {});
    let made = &*fits;
    let mut rows = made
        .samples()
        .par_iter()
        .map(|s| predict_row(db, s, made.made(&s.mapped)))
        .collect::<crate::Result<Vec<_>>>()?;
    match fits.holdout {
        Holdout::Device => {
            super::heldout::widen(&mut rows, |r| r.device.clone(), |b| db.backend_root(b))
        }
        Holdout::Model => {
            super::heldout::widen(&mut rows, |r| r.model.clone(), |b| db.backend_root(b))
        }
        Holdout::None | Holdout::Shipped => {}
    }
    Ok(rows)
}
