//! `sweep`: the cartesian product of devices × models × quants × contexts × KV types.

use super::row::{row_from, ScenarioRow};
use super::scenario::{build, Options};
use crate::db::hardware::Device;
use crate::db::model::ModelRaw;
use crate::db::quant::QuantRaw;
use crate::db::Db;
use crate::error::Result;
use crate::model::predict::predict;

/// The axes of a sweep, resolved.
#[derive(Debug, Clone)]
pub struct Axes<'a> {
    /// Devices.
    pub devices: Vec<&'a Device>,
    /// Models.
    pub models: Vec<&'a ModelRaw>,
    /// Quants.
    pub quants: Vec<&'a QuantRaw>,
    /// Contexts, tokens.
    pub ctxs: Vec<u64>,
    /// KV cache type ids.
    pub kv_types: Vec<String>,
}

impl Axes<'_> {
    /// Number of scenarios.
    pub fn len(&self) -> usize {
        self.devices.len()
            * self.models.len()
            * self.quants.len()
            * self.ctxs.len()
            * self.kv_types.len()
    }
    /// Whether the sweep is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Runs the sweep; each scenario decodes with its cache full to `ctx` after a prompt of
/// `ctx` tokens. Warnings are deduplicated.
pub fn sweep(db: &Db, axes: &Axes, o: &Options) -> Result<(Vec<ScenarioRow>, Vec<String>)> {
    let mut rows = Vec::with_capacity(axes.len());
    let mut warnings: Vec<String> = Vec::new();
    for d in &axes.devices {
        for m in &axes.models {
            for q in &axes.quants {
                for kv in &axes.kv_types {
                    for &c in &axes.ctxs {
                        let opts = Options {
                            ctx: Some(c),
                            prompt: Some(c),
                            gen: 0,
                            depth: 0,
                            kv_type: kv.clone(),
                            ..o.clone()
                        };
                        let r = build(db, d, m, q, &opts)?;
                        for w in &r.warnings {
                            if !warnings.contains(w) && warnings.len() < 50 {
                                warnings.push(w.clone());
                            }
                        }
                        rows.push(row_from(&r, &predict(&r.scenario)));
                    }
                }
            }
        }
    }
    Ok((rows, warnings))
}
