//! `sweep`: the cartesian product of devices × models × quants × KV types × contexts, as a
//! stream of rows.
//!
//! Work is hoisted to where it varies: the backend, efficiency and host tier once per device
//! ([`setup_device`]); the KV type, overhead and native quantization once per
//! (device, model, quant, KV type), a *unit*; only the context changes from row to row, so
//! a row is a copy of its unit's scenario with two fields set, one prediction and one row.
//! Units are numbered, so any range of them can be predicted on any thread and the rows
//! come out in the same order as the nested loops `device → model → quant → KV → context`.

use super::row::{row_from, ScenarioRow};
use crate::db::hardware::Device;
use crate::db::model::ModelRaw;
use crate::db::quant::{KvTypeRaw, QuantRaw};
use crate::db::Db;
use crate::error::Result;
use crate::model::predict::predict;
use crate::scenario::compat;
use crate::scenario::{build_on, context_warning, setup_device, DeviceSetup, Options, Resolved};
use std::ops::Range;

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

/// Most warnings a sweep keeps (the rest are the same warning for another model).
const MAX_WARNINGS: usize = 50;

/// A sweep ready to run: the axes resolved, each device set up once.
#[derive(Debug)]
pub struct Plan<'a> {
    db: &'a Db,
    axes: Axes<'a>,
    kvs: Vec<&'a KvTypeRaw>,
    setups: Vec<DeviceSetup<'a>>,
    opts: Options,
    warnings: Vec<String>,
    /// Whether device `d`'s backend loads quant `q`, at `d · quants + q`.
    loads: Vec<bool>,
}

impl<'a> Plan<'a> {
    /// Resolves the KV types and sets each device up; each scenario decodes with its cache
    /// full to `ctx` after a prompt of `ctx` tokens.
    pub fn new(db: &'a Db, axes: Axes<'a>, o: &Options) -> Result<Plan<'a>> {
        let kvs = axes
            .kv_types
            .iter()
            .map(|k| db.kv_type(k))
            .collect::<Result<Vec<_>>>()?;
        let setups = axes
            .devices
            .iter()
            .map(|d| setup_device(db, d, o))
            .collect::<Result<Vec<_>>>()?;
        let opts = Options {
            gen: 0,
            depth: 0,
            ..o.clone()
        };
        let loads = setups
            .iter()
            .flat_map(|s| axes.quants.iter().map(|q| compat::loads(s.backend, q)))
            .collect();
        let mut plan = Plan {
            db,
            axes,
            kvs,
            setups,
            opts,
            warnings: Vec::new(),
            loads,
        };
        plan.warnings = plan.collect_warnings();
        Ok(plan)
    }

    /// The warnings in the order the nested loops meet them (each once, at most 50): a
    /// model's context warnings, and a device's after its first scenario's.
    fn collect_warnings(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let mut push = |w: String| {
            if out.len() < MAX_WARNINGS && !out.contains(&w) {
                out.push(w);
            }
        };
        let nq = self.axes.quants.len();
        for (d, s) in self.setups.iter().enumerate() {
            for (q, quant) in self.axes.quants.iter().enumerate() {
                if !self.loads[d * nq + q] {
                    push(format!(
                        "{} cannot load {} weights ({}): rows of {} on {} left out",
                        s.backend.id, quant.id, quant.format, quant.id, s.backend.id
                    ));
                }
            }
        }
        let has_rows = !self.axes.quants.is_empty() && !self.kvs.is_empty();
        for s in &self.setups {
            for (mi, m) in self.axes.models.iter().enumerate() {
                for (ci, &c) in self.axes.ctxs.iter().enumerate() {
                    if let Some(w) = context_warning(m, c) {
                        push(w);
                    }
                    if mi == 0 && ci == 0 && has_rows {
                        s.warnings.iter().cloned().for_each(&mut push);
                    }
                }
            }
        }
        out
    }

    /// Puts `first` before the plan's own warnings (notes about a model file).
    pub fn prepend_warnings(&mut self, first: Vec<String>) {
        let own = std::mem::replace(&mut self.warnings, first);
        for w in own {
            if !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }

    /// Warnings for the user, deduplicated.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Number of units (device, model, quant, KV type).
    pub fn units(&self) -> usize {
        self.setups.len() * self.axes.models.len() * self.axes.quants.len() * self.kvs.len()
    }

    /// Rows each unit gives (one per context).
    pub fn rows_per_unit(&self) -> usize {
        self.axes.ctxs.len()
    }

    /// Number of rows (units whose backend cannot load their quant give none).
    pub fn rows(&self) -> usize {
        let per_device = self.axes.models.len() * self.kvs.len();
        self.loads.iter().filter(|l| **l).count() * per_device * self.rows_per_unit()
    }

    /// Whether unit `u`'s backend loads its quant.
    fn unit_loads(&self, u: usize) -> bool {
        let (nm, nq, nk) = (
            self.axes.models.len(),
            self.axes.quants.len(),
            self.kvs.len(),
        );
        let q = (u / nk) % nq;
        let d = u / (nk * nq * nm);
        self.loads.get(d * nq + q).copied().unwrap_or(true)
    }

    /// The scenario of unit `u` (its context not yet set).
    fn unit(&self, u: usize) -> Result<Resolved<'a>> {
        let (nm, nq, nk) = (
            self.axes.models.len(),
            self.axes.quants.len(),
            self.kvs.len(),
        );
        let k = u % nk;
        let q = (u / nk) % nq;
        let m = (u / (nk * nq)) % nm;
        let d = u / (nk * nq * nm);
        let o = Options {
            ctx: Some(self.axes.ctxs.first().copied().unwrap_or(1)),
            prompt: Some(0),
            ..self.opts.clone()
        };
        build_on(
            self.db,
            &self.setups[d],
            self.axes.models[m],
            self.axes.quants[q],
            self.kvs[k],
            &o,
        )
    }

    /// Predicts the units in `units`, in order, handing each row to `f`.
    pub fn for_each_row(
        &self,
        units: Range<usize>,
        mut f: impl FnMut(&ScenarioRow<'a>),
    ) -> Result<()> {
        for u in units {
            if !self.unit_loads(u) {
                continue;
            }
            let mut r = self.unit(u)?;
            for &c in &self.axes.ctxs {
                r.set_context(c, c);
                f(&row_from(&r, &predict(&r.scenario)));
            }
        }
        Ok(())
    }
}
