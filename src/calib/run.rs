//! Calibration end to end: read trace files, map rows, compute regressors, fit, and write
//! the parameters with their provenance.

use super::features::features;
use super::fit::{fit_all, Sample};
use super::heldout::bands;
use super::map::{map_rows, Unmapped};
use super::read::read_trace_file;
use super::validate::{validate, Holdout};
use crate::db::calibration::{CoverageRaw, FittedRaw, HeldoutBandRaw};
use crate::db::Db;
use crate::model::attention_shape::attention_shape;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Samples read from trace files, and what could not be used.
#[derive(Debug, Clone)]
pub struct Loaded<'a> {
    /// Usable samples.
    pub samples: Vec<Sample<'a>>,
    /// Rows that could not be mapped (or skipped by the reader), with the reason.
    pub unmapped: Vec<Unmapped>,
    /// Files read, as given.
    pub files: Vec<String>,
    /// Multi-device rows (validated, never fitted).
    pub multi: Vec<super::multi::MultiRow>,
    /// What the readers adjusted (rounded token counts), one line per file.
    pub notes: Vec<String>,
}

impl Loaded<'_> {
    /// The rows a fit uses: the single-stream samples.
    pub fn fitted_rows(&self) -> usize {
        self.samples.iter().filter(|s| s.fitted()).count()
    }
    /// The rows mapped but kept for validation only: batched and multi-device rows, rows of a
    /// server harness, GPU rows with layers on the host, and rows left out for a stated cause.
    pub fn validation_only_rows(&self) -> usize {
        self.samples.len() - self.fitted_rows() + self.multi.len()
    }
}

/// Reads and maps every file.
pub fn load<'a>(db: &'a Db, paths: &[&Path]) -> crate::Result<Loaded<'a>> {
    let mut samples = Vec::new();
    let mut unmapped = Vec::new();
    let mut files = Vec::new();
    let mut multi = Vec::new();
    let mut notes = Vec::new();
    for p in paths {
        let name = p.display().to_string();
        let tf = read_trace_file(p)?;
        notes.extend(tf.notes);
        unmapped.extend(tf.skipped.into_iter().map(|(line, reason)| Unmapped {
            file: name.clone(),
            line,
            reason,
        }));
        let (multi_rows, single): (Vec<_>, Vec<_>) = tf
            .rows
            .into_iter()
            .partition(|r| super::multi::parse_multi(r).is_some());
        multi.extend(multi_rows.iter().filter_map(super::multi::parse_multi));
        let (ok, bad) = map_rows(db, &single);
        unmapped.extend(bad);
        for m in ok {
            match features(db, &m) {
                Ok(feat) if feat.y.is_finite() && feat.y > 0.0 => {
                    let left_out = left_out_cause(db, &m);
                    samples.push(Sample {
                        mapped: m,
                        feat,
                        left_out,
                    })
                }
                Ok(_) => unmapped.push(Unmapped {
                    file: m.row.file.clone(),
                    line: m.row.line,
                    reason: "no time to fit".into(),
                }),
                Err(e) => unmapped.push(Unmapped {
                    file: m.row.file.clone(),
                    line: m.row.line,
                    reason: e.to_string(),
                }),
            }
        }
        files.push(name);
    }
    Ok(Loaded {
        samples,
        unmapped,
        files,
        multi,
        notes,
    })
}

/// The cause `calibration/defaults.yaml` gives for leaving a mapped row out of the fit, if any.
fn left_out_cause(db: &Db, m: &super::map::Mapped) -> Option<String> {
    let test = m.row.test.label();
    db.left_out
        .iter()
        .find(|l| l.covers(&m.row.file, m.device.id(), &m.model.id, &m.quant.id, test))
        .map(|l| l.cause.clone())
}

/// Fits all levels on the loaded samples.
pub fn calibrate(db: &Db, loaded: &Loaded) -> FittedRaw {
    FittedRaw {
        schema_version: 1,
        files: loaded.files.clone(),
        rows_used: loaded.fitted_rows(),
        rows_unmapped: loaded.unmapped.len(),
        rows_validation_only: loaded.validation_only_rows(),
        entries: fit_all(db, &loaded.samples, &|_| false),
        coverage: coverage(&loaded.samples),
        heldout_bands: heldout_bands(db, &loaded.samples),
    }
}

/// The held-out bands of [`super::heldout::bands`]: each device predicted from a fit without
/// it, each model from a fit without it. A row that cannot be predicted leaves no bands (the
/// intervals stay the fit's; `validate` reports the error).
pub fn heldout_bands(db: &Db, samples: &[Sample]) -> Vec<HeldoutBandRaw> {
    let lodo = validate(db, samples, Holdout::Device);
    let lomo = validate(db, samples, Holdout::Model);
    match (lodo, lomo) {
        (Ok(d), Ok(m)) => bands(&d, &m, |b| db.backend_root(b)),
        _ => Vec::new(),
    }
}

/// Per backend, the longest context its single-stream rows reached and the attention shapes
/// of the models they ran.
pub fn coverage(samples: &[Sample]) -> Vec<CoverageRaw> {
    let mut by: BTreeMap<&str, (u64, BTreeSet<String>)> = BTreeMap::new();
    for s in samples.iter().filter(|s| s.fitted()) {
        let r = &s.mapped.row;
        let e = by.entry(s.mapped.backend.id.as_str()).or_default();
        e.0 = e.0.max(r.n_depth + r.n_prompt + r.n_gen);
        e.1.insert(attention_shape(s.mapped.model));
    }
    by.into_iter()
        .map(|(b, (max_ctx_tokens, shapes))| CoverageRaw {
            backend: b.to_string(),
            max_ctx_tokens,
            shapes: shapes.into_iter().collect(),
        })
        .collect()
}

/// The fitted parameters as the YAML of `calibration/fitted.yaml`.
pub fn to_yaml(f: &FittedRaw) -> String {
    let header = "# Made by `tokenfit calibrate` from the traces listed under `files`; do not edit by hand.\n\
# Regenerate: cargo run --release -- calibrate calibration/traces/*.csv -o calibration/fitted.yaml\n";
    format!(
        "{header}{}",
        serde_norway::to_string(f).expect("fitted parameters serialize")
    )
}
