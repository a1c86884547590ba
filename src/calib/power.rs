//! The power model's fit: a power-cap sweep (the same llama-bench tests run at a series of
//! board limits, `power_limit_w=` in each row's notes) against the model of `model/power.rs`.
//!
//! Each row's phase is predicted at the default limit with the shipped calibration, which
//! splits its time into memory, off-board, compute and per-layer kernels. The model then
//! predicts the speed at the row's limit as a ratio to the speed at the default limit; the
//! measured ratio is the row's tok/s over the same test's at the default limit. The fit
//! minimises the mean absolute relative error of that ratio over `a_m`, `a_c`, `a_l` and
//! `x_k`: a grid, then a pattern search with halving steps (deterministic). Idle is the
//! board's (its entry or the prior): the sweep does not measure it.

use super::map::map_row;
use super::normalized::read_normalized;
use super::trace::Test;
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::power::{Board, PhaseTimes, PowerModel, PowerParams};
use crate::model::predict::predict;
use crate::scenario::power::board;
use serde::Serialize;

/// One row of a sweep, ready for the model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepRow {
    /// Line in the file.
    pub line: usize,
    /// The board limit the row ran at, W.
    pub limit_w: f64,
    /// Prefill or decode.
    pub test: Test,
    /// Measured tok/s.
    pub tok_s: f64,
    /// Predicted tok/s at the default limit.
    pub predicted_default_tok_s: f64,
    /// The phase's time by kind of work at the default limit.
    pub times: PhaseTimes,
}

/// A sweep of one device.
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Device id.
    pub device: String,
    /// Device family.
    pub family: String,
    /// Its board.
    pub board: Board,
    /// The rows.
    pub rows: Vec<SweepRow>,
}

/// The `power_limit_w=` of a row's notes.
fn limit_of(notes: &str) -> Option<f64> {
    let i = notes.find("power_limit_w=")?;
    let rest = &notes[i + "power_limit_w=".len()..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end].parse().ok()
}

/// Reads a sweep: every row mapped to the databases, one device with power data, each row
/// with its limit.
pub fn read_sweep(db: &Db, file: &str, text: &str) -> Result<Sweep> {
    let trace = read_normalized(file, text)?;
    let bad = |line: usize, msg: String| Error::Input(format!("{file}:{line}: {msg}"));
    let mut rows = Vec::new();
    let mut device: Option<&crate::db::hardware::Device> = None;
    for r in &trace.rows {
        let m = map_row(db, r).map_err(|e| bad(r.line, e))?;
        if device.is_some_and(|d| d.id() != m.device.id()) {
            return Err(bad(r.line, "a sweep is one device".into()));
        }
        device = Some(m.device);
        let limit_w = limit_of(r.notes.as_deref().unwrap_or_default())
            .ok_or_else(|| bad(r.line, "no power_limit_w= in the notes".into()))?;
        let eff = db.efficiency(m.device, &m.backend.id).0;
        let mut s = super::features::scenario(db, &m, eff)?;
        s.power = None;
        let p = predict(&s);
        let (times, t) = match r.test {
            Test::Pp => (
                PhaseTimes::of_prefill(&p.prefill),
                p.prefill.time.0 / s.prompt.max(1) as f64,
            ),
            Test::Tg => (PhaseTimes::of_decode(&p.decode), p.decode.time.0),
        };
        rows.push(SweepRow {
            line: r.line,
            limit_w,
            test: r.test,
            tok_s: r.tok_s,
            predicted_default_tok_s: 1.0 / t,
            times,
        });
    }
    let d = device.ok_or_else(|| Error::Input(format!("{file}: no rows")))?;
    let b = board(db, d).ok_or_else(|| crate::scenario::power::missing(d))?;
    Ok(Sweep {
        device: d.id().to_string(),
        family: d.raw.family.clone(),
        board: b,
        rows,
    })
}

/// One row's residual.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Residual {
    /// The limit, W.
    pub limit_w: f64,
    /// pp or tg.
    pub test: &'static str,
    /// Measured tok/s.
    pub measured_tok_s: f64,
    /// Predicted tok/s (the default-limit prediction times the model's ratio).
    pub predicted_tok_s: f64,
    /// Measured speed over the default limit's.
    pub measured_ratio: f64,
    /// Predicted speed over the default limit's.
    pub predicted_ratio: f64,
}

/// The fit's result.
#[derive(Debug, Clone, PartialEq)]
pub struct PowerFit {
    /// The parameters.
    pub params: PowerParams,
    /// Mean absolute relative error of the speed ratio, rows below the default limit.
    pub mape_frac: f64,
    /// Largest absolute relative error of the speed ratio.
    pub max_err_frac: f64,
    /// Mean absolute relative error of tok/s itself (calibration error at the default included).
    pub abs_mape_frac: f64,
    /// Every row.
    pub residuals: Vec<Residual>,
}

/// The residuals of a sweep under `params`. Rows whose test has no row at the default limit
/// are left out.
pub fn residuals(sweep: &Sweep, params: PowerParams) -> Vec<Residual> {
    let base = |test: Test| {
        sweep
            .rows
            .iter()
            .find(|r| r.test == test && r.limit_w == sweep.board.default_w)
    };
    sweep
        .rows
        .iter()
        .filter_map(|r| {
            let b = base(r.test)?;
            let m = PowerModel {
                board: sweep.board,
                params,
                limit_w: r.limit_w,
            };
            let ratio = 1.0 / m.at_limit(&r.times).time_factor;
            Some(Residual {
                limit_w: r.limit_w,
                test: r.test.label(),
                measured_tok_s: r.tok_s,
                predicted_tok_s: r.predicted_default_tok_s * ratio,
                measured_ratio: r.tok_s / b.tok_s,
                predicted_ratio: ratio,
            })
        })
        .collect()
}

/// Mean absolute relative error of the ratio over the rows below the default limit (the
/// rows at the default are 1 by construction and are left out of the mean).
fn mean_err(res: &[Residual], default_w: f64) -> f64 {
    let capped: Vec<f64> = res
        .iter()
        .filter(|r| r.limit_w != default_w)
        .map(|r| (r.predicted_ratio / r.measured_ratio - 1.0).abs())
        .collect();
    capped.iter().sum::<f64>() / capped.len().max(1) as f64
}

fn from_array(a: [f64; 4]) -> PowerParams {
    PowerParams {
        memory: a[0],
        compute: a[1],
        latency: a[2],
        knee_clock: a[3],
    }
}

/// Bounds of each parameter: shares in [0, 1.5], the knee in [0.05, 1].
const BOUNDS: [(f64, f64); 4] = [(0.0, 1.5), (0.0, 1.5), (0.0, 1.5), (0.05, 1.0)];

/// Fits the parameters to a sweep.
pub fn fit(sweep: &Sweep) -> PowerFit {
    let d = sweep.board.default_w;
    let cost = |a: [f64; 4]| mean_err(&residuals(sweep, from_array(a)), d);
    // A grid over the plausible region, then a pattern search from its best point.
    let mut best = ([0.5, 1.0, 0.5, 0.5], f64::INFINITY);
    for m in 0..=10 {
        for c in 6..=12 {
            for l in 0..=10 {
                for k in 5..=9 {
                    let a = [
                        f64::from(m) * 0.1,
                        f64::from(c) * 0.1,
                        f64::from(l) * 0.1,
                        f64::from(k) * 0.1,
                    ];
                    let v = cost(a);
                    if v < best.1 {
                        best = (a, v);
                    }
                }
            }
        }
    }
    let mut step = 0.05;
    while step > 1e-4 {
        let mut improved = false;
        for i in 0..4 {
            for dir in [-1.0, 1.0] {
                let mut a = best.0;
                a[i] = (a[i] + dir * step).clamp(BOUNDS[i].0, BOUNDS[i].1);
                let v = cost(a);
                if v < best.1 - 1e-12 {
                    best = (a, v);
                    improved = true;
                }
            }
        }
        if !improved {
            step /= 2.0;
        }
    }
    let params = from_array(best.0);
    let res = residuals(sweep, params);
    let n = res.len().max(1) as f64;
    // tok/s itself, every row: the calibration's error at the default limit included.
    PowerFit {
        params,
        mape_frac: mean_err(&res, d),
        max_err_frac: res
            .iter()
            .map(|r| (r.predicted_ratio / r.measured_ratio - 1.0).abs())
            .fold(0.0, f64::max),
        abs_mape_frac: res
            .iter()
            .map(|r| (r.predicted_tok_s / r.measured_tok_s - 1.0).abs())
            .sum::<f64>()
            / n,
        residuals: res,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limit_is_read_from_the_notes() {
        assert_eq!(limit_of("fa=1; power_limit_w=450; x"), Some(450.0));
        assert_eq!(limit_of("power_limit_w=237.5"), Some(237.5));
        assert_eq!(limit_of("no limit here"), None);
    }
}
