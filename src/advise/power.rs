//! `power`: one scenario over a board's power limits, from the minimum to the maximum —
//! decode and prefill tok/s, the power drawn and the energy per token at each — and the two
//! answers people set a limit for: the plateau (the lowest limit whose decode speed is within
//! 2% of the speed at the maximum: every watt above it buys nothing) and the limit with the
//! fewest joules per generated token.

use crate::db::hardware::Device;
use crate::db::model::ModelRaw;
use crate::db::quant::QuantRaw;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::power::Board;
use crate::model::predict::predict;
use crate::scenario::power::{board, missing, params};
use crate::scenario::{build, Options};
use serde::Serialize;

/// Decode within this share of its speed at the maximum limit counts as the plateau.
pub const PLATEAU_FRAC: f64 = 0.98;

/// One limit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PowerPoint {
    /// The board limit, W.
    pub power_limit_w: f64,
    /// Decode tok/s per stream.
    pub decode_tok_s: Option<f64>,
    /// Decode tok/s over all streams (batch × per stream).
    pub aggregate_decode_tok_s: Option<f64>,
    /// Prefill tok/s.
    pub prefill_tok_s: Option<f64>,
    /// Time to first token, s.
    pub ttft_s: Option<f64>,
    /// Board power decode draws, W.
    pub power_w: f64,
    /// Board power prefill draws, W.
    pub prefill_power_w: f64,
    /// Energy per generated token, J (decode draw over aggregate decode tok/s).
    pub energy_j_per_token: Option<f64>,
    /// Energy per prompt token, J (prefill draw over prefill tok/s).
    pub prefill_energy_j_per_token: Option<f64>,
    /// Core clock while decoding, share of the full clock.
    pub decode_clock_frac: f64,
    /// Core clock while prefilling, share of the full clock.
    pub prefill_clock_frac: f64,
}

/// The sweep over limits and its summary.
#[derive(Debug, Clone, Serialize)]
pub struct PowerSweep {
    /// Device id.
    pub device: String,
    /// The board's limits and idle.
    pub board: Board,
    /// Whether the model's parameters were fitted for the device's family (else the prior).
    pub fitted: bool,
    /// One point per limit, ascending.
    pub points: Vec<PowerPoint>,
    /// The lowest limit whose decode tok/s is within 2% of the speed at the maximum.
    pub plateau_w: Option<f64>,
    /// The limit with the fewest J per generated token (the lowest on a tie).
    pub best_j_per_token_w: Option<f64>,
}

/// A step that gives about 16 rows in round watts (1, 2, 5, 10, 25 or 50 W).
pub fn default_step_w(b: &Board) -> f64 {
    let span = b.max_w - b.min_w;
    [1.0, 2.0, 5.0, 10.0, 25.0, 50.0]
        .into_iter()
        .find(|s| span / s <= 20.0)
        .unwrap_or(50.0)
}

/// The limits from the minimum to the maximum by `step_w`, with the default and the maximum
/// always included.
pub fn limits(b: &Board, step_w: f64) -> Vec<f64> {
    let mut v = Vec::new();
    let mut l = b.min_w;
    while l < b.max_w - 1e-9 {
        v.push(l);
        l += step_w;
    }
    v.push(b.max_w);
    if !v.iter().any(|x| (x - b.default_w).abs() < 1e-9) {
        v.push(b.default_w);
    }
    v.sort_by(f64::total_cmp);
    v
}

/// The lowest limit whose decode speed is within [`PLATEAU_FRAC`] of the speed at the
/// highest limit (the points ascending).
pub fn plateau_w(points: &[PowerPoint]) -> Option<f64> {
    let top = points.last()?.decode_tok_s?;
    points
        .iter()
        .find(|p| p.decode_tok_s.is_some_and(|d| d >= PLATEAU_FRAC * top))
        .map(|p| p.power_limit_w)
}

/// The limit with the fewest J per generated token; the lowest limit among equals (within
/// one part in a million).
pub fn best_j_per_token_w(points: &[PowerPoint]) -> Option<f64> {
    let min = points
        .iter()
        .filter_map(|p| p.energy_j_per_token)
        .fold(f64::INFINITY, f64::min);
    points
        .iter()
        .find(|p| {
            p.energy_j_per_token
                .is_some_and(|e| e <= min * (1.0 + 1e-6))
        })
        .map(|p| p.power_limit_w)
}

/// Predicts the scenario of `o` at every limit of the device's range.
pub fn power_sweep(
    db: &Db,
    device: &Device,
    model: &ModelRaw,
    quant: &QuantRaw,
    o: &Options,
    step_w: Option<f64>,
) -> Result<(PowerSweep, Vec<String>)> {
    let b = board(db, device).ok_or_else(|| missing(device))?;
    let step = step_w.unwrap_or_else(|| default_step_w(&b));
    if !(step.is_finite() && step > 0.0) {
        return Err(Error::Input(format!(
            "--step-w must be a positive number of watts, got {step}"
        )));
    }
    if (b.max_w - b.min_w) / step > 10_000.0 {
        return Err(Error::Input(format!(
            "--step-w {step} W makes more than 10000 limits between {} and {} W",
            b.min_w, b.max_w
        )));
    }
    let (_, fitted) = params(db, device);
    let mut warnings = Vec::new();
    let mut points = Vec::new();
    for l in limits(&b, step) {
        let r = build(
            db,
            device,
            model,
            quant,
            &Options {
                power_limit_w: Some(l),
                ..o.clone()
            },
        )?;
        for w in r.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        points.push(point(l, &r.scenario));
    }
    if !fitted {
        warnings.push(format!(
            "no power-cap sweep for the '{}' family: the power model's parameters are the prior (borrowed from the RTX PRO 6000 Blackwell sweep)",
            device.raw.family
        ));
    }
    if device
        .raw
        .power_limit
        .as_ref()
        .is_some_and(|p| p.idle_w.is_none())
    {
        warnings.push(format!(
            "idle power of '{}' is not in the database: the prior {:.0} W is used",
            device.id(),
            b.idle_w
        ));
    }
    Ok((
        PowerSweep {
            device: device.id().to_string(),
            board: b,
            fitted,
            plateau_w: plateau_w(&points),
            best_j_per_token_w: best_j_per_token_w(&points),
            points,
        },
        warnings,
    ))
}

/// The prediction at power limit `limit_w` as a point of the sweep.
fn point(limit_w: f64, s: &crate::model::Scenario) -> PowerPoint {
    let p = predict(s);
    let draw = p.power.expect("a device with a board has a power model");
    let batch = f64::from(s.batch);
    let dec = p.decode_tok_s.map(|e| e.value);
    let pre = p.prefill_tok_s.map(|e| e.value);
    PowerPoint {
        power_limit_w: limit_w,
        decode_tok_s: dec,
        aggregate_decode_tok_s: dec.map(|d| d * batch),
        prefill_tok_s: pre,
        ttft_s: p.ttft_s,
        power_w: draw.decode.power_w,
        prefill_power_w: draw.prefill.power_w,
        energy_j_per_token: dec
            .filter(|d| *d > 0.0)
            .map(|d| draw.decode.power_w / (d * batch)),
        prefill_energy_j_per_token: pre.filter(|x| *x > 0.0).map(|x| draw.prefill.power_w / x),
        decode_clock_frac: draw.decode.clock_frac,
        prefill_clock_frac: draw.prefill.clock_frac,
    }
}

/// With a power limit, the devices that have power data and whose range holds the limit,
/// and a warning naming those left out (an error when none is left). Without one, all.
pub fn with_power_data<'a>(
    db: &Db,
    devices: Vec<&'a Device>,
    limit_w: Option<f64>,
) -> Result<(Vec<&'a Device>, Option<String>)> {
    let Some(l) = limit_w else {
        return Ok((devices, None));
    };
    if devices.len() == 1 {
        // One device named: its own error says what is wrong.
        crate::scenario::power::power_model(db, devices[0], Some(l))?;
        return Ok((devices, None));
    }
    let (kept, out): (Vec<&Device>, Vec<&Device>) = devices
        .into_iter()
        .partition(|d| board(db, d).is_some_and(|b| l >= b.min_w && l <= b.max_w));
    if kept.is_empty() {
        return Err(Error::Input(format!(
            "--power-limit {l} W: none of the devices named has power data with that limit in its range (devices with power data: {})",
            db.devices
                .iter()
                .filter(|d| d.raw.power_limit.is_some())
                .map(|d| d.id())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let warning = (!out.is_empty()).then(|| {
        format!(
            "--power-limit {l} W: {} devices without power data or with another range left out",
            out.len()
        )
    });
    Ok((kept, warning))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(l: f64, d: f64, e: f64) -> PowerPoint {
        PowerPoint {
            power_limit_w: l,
            decode_tok_s: Some(d),
            aggregate_decode_tok_s: Some(d),
            prefill_tok_s: None,
            ttft_s: None,
            power_w: 0.0,
            prefill_power_w: 0.0,
            energy_j_per_token: Some(e),
            prefill_energy_j_per_token: None,
            decode_clock_frac: 1.0,
            prefill_clock_frac: 1.0,
        }
    }

    #[test]
    fn the_plateau_is_the_lowest_limit_within_two_percent_of_the_top() {
        // 100 tok/s at the top: 98 is within 2%, 97.9 is not.
        let pts = [
            point(200.0, 80.0, 1.0),
            point(300.0, 97.9, 1.0),
            point(400.0, 98.0, 1.0),
            point(500.0, 100.0, 1.2),
        ];
        assert_eq!(plateau_w(&pts), Some(400.0));
        // Ties for the fewest joules go to the lowest limit.
        assert_eq!(best_j_per_token_w(&pts), Some(200.0));
    }

    #[test]
    fn limits_run_from_the_minimum_to_the_maximum_with_the_default() {
        let b = Board {
            default_w: 575.0,
            min_w: 200.0,
            max_w: 600.0,
            idle_w: 30.0,
        };
        assert_eq!(default_step_w(&b), 25.0);
        let l = limits(&b, 100.0);
        assert_eq!(l, vec![200.0, 300.0, 400.0, 500.0, 575.0, 600.0]);
    }
}
