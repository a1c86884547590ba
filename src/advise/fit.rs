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

/// Rows for every device, ranked, and the warnings met on the way (deduplicated).
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
        let r = build(db, d, model, quant, o)?;
        for w in &r.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        let (mut row, _) = row(&r);
        row.max_fast_ctx = max_fast_context(&r.scenario, model.max_context);
        rows.push(row);
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
    });
}
