//! Power data: a device's board power limits (`power_limit` in `hardware-db/`) and the
//! parameters of the power model (`calibration/power.yaml`, fitted on a power-cap sweep).
//!
//! A board's limit is what `nvidia-smi -pl` (or `rocm-smi --setpoweroverdrive`) sets: a
//! default, a minimum and a maximum, in watts, each from a datasheet or a documented
//! observation. The idle draw is optional; without a source it is the documented prior
//! fraction of the default limit. The physics that uses them is `model/power.rs`.

use super::check::{err, positive};
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// Raw mirror of a device's `power_limit` block.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PowerLimitRaw {
    /// The limit the board ships with, W.
    pub default_w: f64,
    /// The lowest limit the driver accepts, W.
    pub min_w: f64,
    /// The highest limit the driver accepts, W.
    pub max_w: f64,
    /// Board power at idle (clocks down, nothing running), W; absent: the prior.
    #[serde(default)]
    pub idle_w: Option<f64>,
    /// Where the numbers come from.
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Raw mirror of one parameter set of the power model (see `model/power.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PowerParamsRaw {
    /// Power of the memory system streaming at full speed, as a share of the board's
    /// dynamic range (default limit minus idle).
    pub memory_activity_frac: f64,
    /// Power of the cores running matmuls at full clock, as a share of that range.
    pub compute_activity_frac: f64,
    /// Power of the cores running the small per-layer kernels (launch- and latency-bound)
    /// at full clock, as a share of that range.
    pub latency_activity_frac: f64,
    /// Clock (share of the full clock) below which the voltage stops falling: dynamic power
    /// goes as `f·V²`, cubic in the clock above it, linear below.
    pub knee_clock_frac: f64,
}

/// A fitted parameter set: the family it holds for and the data it came from.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PowerFitRaw {
    /// Device family (`hardware-db` `family`).
    pub family: String,
    /// The device the sweep ran on.
    pub device: String,
    /// The parameters.
    #[serde(flatten)]
    pub params: PowerParamsRaw,
    /// Rows fitted.
    pub rows: usize,
    /// Mean absolute relative error of tok/s over those rows (predicted against measured).
    pub mape_frac: f64,
    /// Largest absolute relative error over those rows.
    pub max_err_frac: f64,
    /// The trace file and its source.
    pub source: String,
}

/// Raw mirror of the prior: the parameters of families without a sweep, and the idle share.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PowerPriorRaw {
    /// The parameters.
    #[serde(flatten)]
    pub params: PowerParamsRaw,
    /// Idle power as a share of the default limit, for boards without a sourced idle figure.
    pub idle_frac: f64,
    /// Why these values.
    pub source: String,
}

/// Raw mirror of `calibration/power.yaml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PowerModelRaw {
    /// For families without a fit.
    pub prior: PowerPriorRaw,
    /// Fits by family.
    #[serde(default)]
    pub fitted: Vec<PowerFitRaw>,
}

/// The file: one top-level key, `power_model`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PowerModelFileRaw {
    /// The model's parameters.
    pub power_model: PowerModelRaw,
}

/// Checks a device's power block: `0 < idle < min ≤ default ≤ max`.
pub fn validate_limit(file: &str, id: &str, p: &PowerLimitRaw) -> Result<()> {
    positive(file, id, "power_limit.min_w", p.min_w)?;
    positive(file, id, "power_limit.default_w", p.default_w)?;
    positive(file, id, "power_limit.max_w", p.max_w)?;
    if !(p.min_w <= p.default_w && p.default_w <= p.max_w) {
        return Err(err(
            file,
            id,
            "power_limit",
            format!(
                "needs min_w ≤ default_w ≤ max_w, got {} ≤ {} ≤ {}",
                p.min_w, p.default_w, p.max_w
            ),
        ));
    }
    if let Some(i) = p.idle_w {
        positive(file, id, "power_limit.idle_w", i)?;
        if i >= p.min_w {
            return Err(err(
                file,
                id,
                "power_limit.idle_w",
                format!("must be below min_w ({} W), got {i}", p.min_w),
            ));
        }
    }
    if p.source.trim().is_empty() {
        return Err(err(file, id, "power_limit.source", "must name a source"));
    }
    Ok(())
}

/// Checks a parameter set: every share in (0, 1.5], the knee in (0, 1].
pub fn validate_params(file: &str, entry: &str, p: &PowerParamsRaw) -> Result<()> {
    let shares = [
        ("memory_activity_frac", p.memory_activity_frac),
        ("compute_activity_frac", p.compute_activity_frac),
        ("latency_activity_frac", p.latency_activity_frac),
        ("knee_clock_frac", p.knee_clock_frac),
    ];
    for (field, v) in shares {
        let max = if field == "knee_clock_frac" { 1.0 } else { 1.5 };
        if !(v.is_finite() && v >= 0.0 && v <= max) {
            return Err(err(
                file,
                entry,
                field,
                format!("must be between 0 and {max}, got {v}"),
            ));
        }
    }
    if p.knee_clock_frac <= 0.0 {
        return Err(err(file, entry, "knee_clock_frac", "must be above 0"));
    }
    Ok(())
}

/// Checks the whole file.
pub fn validate_model(file: &str, m: &PowerModelRaw) -> Result<()> {
    validate_params(file, "prior", &m.prior.params)?;
    if !(m.prior.idle_frac > 0.0 && m.prior.idle_frac < 0.5) {
        return Err(err(
            file,
            "prior",
            "idle_frac",
            format!("must be between 0 and 0.5, got {}", m.prior.idle_frac),
        ));
    }
    for f in &m.fitted {
        validate_params(file, &f.family, &f.params)?;
    }
    Ok(())
}

impl PowerModelRaw {
    /// The parameters for a family: its fit, else the prior; and whether it was fitted.
    pub fn params_for(&self, family: &str) -> (PowerParamsRaw, bool) {
        match self.fitted.iter().find(|f| f.family == family) {
            Some(f) => (f.params, true),
            None => (self.prior.params, false),
        }
    }
}
