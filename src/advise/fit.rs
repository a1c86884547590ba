//! `fit`: one model on many devices, ranked — verdict first (fits, spills, does not fit),
//! then decode speed. Each row carries the largest context that stays in fast memory.

use super::row::{row, ScenarioRow};
use crate::db::hardware::Device;
use crate::db::model::ModelRaw;
use crate::db::quant::QuantRaw;
use crate::db::Db;
use crate::error::Result;
use crate::model::placement::max_fast_context;
use crate::scenario::{build, Options};

/// The `--backend` value that ranks each device once per backend it supports.
pub const ALL_BACKENDS: &str = "all";

/// The backends a device is ranked on: the one asked for; with [`ALL_BACKENDS`], its default
/// and every backend its own traces were fitted on (the ones people run on it and the data
/// supports), default first.
fn backends_of(db: &Db, d: &Device, o: &Options) -> Result<Vec<Option<String>>> {
    if o.backend.as_deref() != Some(ALL_BACKENDS) {
        return Ok(vec![o.backend.clone()]);
    }
    let mut ids = vec![db.default_backend(d)?.id.clone()];
    for e in db
        .fitted
        .entries
        .iter()
        .filter(|e| e.device.as_deref() == Some(d.id()))
    {
        if !ids.contains(&e.backend) {
            ids.push(e.backend.clone());
        }
    }
    Ok(ids.into_iter().map(Some).collect())
}

/// Rows for every device (and with `--backend all`, every backend it supports), ranked, and
/// the warnings met on the way (deduplicated).
pub fn fit<'a>(
    db: &'a Db,
    model: &'a ModelRaw,
    quant: &'a QuantRaw,
    devices: &[&'a Device],
    o: &Options,
) -> Result<(Vec<ScenarioRow<'a>>, Vec<String>)> {
    let mut rows = Vec::with_capacity(devices.len());
    let mut warnings: Vec<String> = Vec::new();
    for d in devices {
        for backend in backends_of(db, d, o)? {
            let o = Options {
                backend,
                ..o.clone()
            };
            let r = build(db, d, model, quant, &o)?;
            for w in &r.warnings {
                if !warnings.contains(w) {
                    warnings.push(w.clone());
                }
            }
            let (mut row, _) = row(&r);
            row.max_fast_ctx = max_fast_context(&r.scenario, model.max_context);
            rows.push(row);
        }
    }
    rank(&mut rows);
    Ok((rows, warnings))
}

/// Sorts by verdict (fits < spills < does not fit), then decode tok/s descending, then id.
pub fn rank(rows: &mut [ScenarioRow]) {
    rows.sort_by(|a, b| {
        a.verdict
            .cmp(&b.verdict)
            .then(
                b.decode_tok_s
                    .unwrap_or(0.0)
                    .total_cmp(&a.decode_tok_s.unwrap_or(0.0)),
            )
            .then(a.device.cmp(&b.device))
            .then(a.backend.cmp(&b.backend))
    });
}
