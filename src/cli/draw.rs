//! The `--plot FILE` hooks of `fit`, `cliff`, `validate` and `breakeven`: title the typed
//! results and hand them to [`tokenfit::report::plot`].

use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::Path;
use tokenfit::advise::cliff::Cliff;
use tokenfit::advise::row::ScenarioRow;
use tokenfit::calib::trace::Test;
use tokenfit::calib::validate::{stats, ValidationRow};
use tokenfit::db::model::ModelRaw;
use tokenfit::db::quant::QuantRaw;
use tokenfit::db::Db;
use tokenfit::report::plot::{self, BreakevenSeries};
use tokenfit::report::views;
use tokenfit::report::Output;

/// The most machines one break-even chart shows (the first in payback order).
const BREAKEVEN_MAX_SERIES: usize = 5;

pub(crate) fn written(r: tokenfit::Result<()>) -> Result<()> {
    r.context("drawing the chart")
}

/// `--plot` of `fit` (and `plot fit`).
pub fn fit(
    rows: &[ScenarioRow],
    model: &ModelRaw,
    quant: &QuantRaw,
    ctx: u64,
    path: &Path,
) -> Result<()> {
    let title = format!(
        "{} · {} · {} context: decode speed by device",
        model.name,
        quant.name,
        views::tokens(ctx)
    );
    written(plot::fit_chart(rows, &title, path))
}

/// `--plot` of `cliff` (and `plot cliff`, one [`Cliff`] per device).
pub fn cliffs(cliffs: &[Cliff], model: &ModelRaw, quant: &QuantRaw, path: &Path) -> Result<()> {
    let title = format!(
        "{} · {}: decode speed against context",
        model.name, quant.name
    );
    written(plot::cliff_chart(cliffs, &title, path))
}

/// `--plot` of `validate` (and `plot calibration`). The title's MAPEs are the summary's:
/// single-stream rows (batched decode rows are drawn but summarized apart).
pub fn calibration(rows: &[ValidationRow], holdout: &str, path: &Path) -> Result<()> {
    let mape = |t: Test| {
        let of: Vec<&ValidationRow> = rows
            .iter()
            .filter(|r| r.test == t && r.batch <= 1)
            .collect();
        stats(&of)
            .mape_pct
            .map_or("—".to_string(), |m| format!("{m:.1}%"))
    };
    let title = format!(
        "Calibration, {holdout} held out: decode MAPE {}, prefill MAPE {}",
        mape(Test::Tg),
        mape(Test::Pp)
    );
    written(plot::calibration_chart(rows, &title, path))
}

/// The break-even chart from `breakeven`'s results (one series per machine that runs the
/// model, at most [`BREAKEVEN_MAX_SERIES`], in payback order).
pub(crate) fn breakeven(db: &Db, out: &Output, path: &Path) -> Result<()> {
    let f = |r: &Value, k: &str| r.get(k).and_then(Value::as_f64);
    let series: Vec<BreakevenSeries> = out
        .results
        .iter()
        .filter(|r| r.get("verdict").and_then(Value::as_str) != Some("does_not_run"))
        .filter_map(|r| {
            Some(BreakevenSeries {
                label: r.get("device")?.as_str()?.to_string(),
                purchase_usd: f(r, "price_usd")?,
                running_usd_per_month: (f(r, "monthly_cost_usd")?
                    - f(r, "amortization_usd_per_month")?)
                .max(0.0),
                api_usd_per_month: f(r, "api_monthly_cost_usd")?,
            })
        })
        .take(BREAKEVEN_MAX_SERIES)
        .collect();
    if series.is_empty() {
        bail!("nothing to plot: the model does not run on any of these machines");
    }
    let years = out
        .inputs
        .get("years")
        .and_then(Value::as_f64)
        .unwrap_or(3.0);
    let last_crossing = series
        .iter()
        .filter_map(BreakevenSeries::crossing_months)
        .reduce(f64::max);
    // Far enough past the last crossing to see the lines part (6 months to 10 years); the
    // amortization period when nothing crosses.
    let months = match last_crossing {
        Some(c) => (c * 1.6).clamp(6.0, 120.0),
        None => (12.0 * years).clamp(6.0, 120.0),
    }
    .ceil();
    let s = |k: &str| out.inputs.get(k).and_then(Value::as_str).unwrap_or("");
    let api = match db.offering(s("api")) {
        Ok(o) => o.name.clone(),
        Err(_) => "a per-token API".to_string(),
    };
    let model = db.model(s("model")).map_or(s("model"), |m| m.name.as_str());
    let quant = db.quant(s("quant")).map_or(s("quant"), |q| q.name.as_str());
    let title = format!("Break-even: {model} · {quant} locally against {api}");
    written(plot::breakeven_chart(
        &series,
        months,
        Some(12.0 * years),
        &title,
        path,
    ))
}
