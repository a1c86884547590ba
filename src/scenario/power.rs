//! Resolves a device's power model: its board limits and idle draw from `hardware-db/`, the
//! parameters of its family (fitted, else the prior) from `calibration/power.yaml`, and the
//! limit asked for, checked against the board's range.

use crate::db::hardware::Device;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::power::{Board, PowerModel, PowerParams};

/// The board of a device with power data: limits, and idle from the entry or the prior.
pub fn board(db: &Db, device: &Device) -> Option<Board> {
    device.raw.power_limit.as_ref().map(|p| Board {
        default_w: p.default_w,
        min_w: p.min_w,
        max_w: p.max_w,
        idle_w: p
            .idle_w
            .unwrap_or(db.power_model.prior.idle_frac * p.default_w),
    })
}

/// The parameters for a device's family, and whether they were fitted (else the prior).
pub fn params(db: &Db, device: &Device) -> (PowerParams, bool) {
    let (p, fitted) = db.power_model.params_for(&device.raw.family);
    (
        PowerParams {
            memory: p.memory_activity_frac,
            compute: p.compute_activity_frac,
            latency: p.latency_activity_frac,
            knee_clock: p.knee_clock_frac,
        },
        fitted,
    )
}

/// The error for a device without power data.
pub fn missing(device: &Device) -> Error {
    Error::Input(format!(
        "'{}' has no power data: its hardware-db entry lacks the `power_limit` block (default_w, min_w, max_w); \
         add one from `nvidia-smi -q -d POWER` (or rocm-smi) in a file under --db",
        device.id()
    ))
}

/// The power model at `limit_w` (None: the default limit); None for a device without power
/// data, an error when a limit is asked of one, or is outside the board's range.
pub fn power_model(db: &Db, device: &Device, limit_w: Option<f64>) -> Result<Option<PowerModel>> {
    let Some(b) = board(db, device) else {
        return match limit_w {
            Some(_) => Err(missing(device)),
            None => Ok(None),
        };
    };
    let limit = limit_w.unwrap_or(b.default_w);
    if !(limit.is_finite() && limit >= b.min_w && limit <= b.max_w) {
        return Err(Error::Input(format!(
            "--power-limit {limit} W is outside the range of '{}': {}–{} W (default {} W)",
            device.id(),
            b.min_w,
            b.max_w,
            b.default_w
        )));
    }
    Ok(Some(PowerModel {
        board: b,
        params: params(db, device).0,
        limit_w: limit,
    }))
}
