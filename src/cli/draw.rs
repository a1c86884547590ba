//! The `--plot FILE` hooks of `fit`, `cliff`, `validate` and `breakeven`: title the typed
//! results and hand them to [`tokenfit::report::plot`].

use anyhow::{bail, Context, Result};
use std::path::Path;
use tokenfit::advise::breakeven::Verdict;
use tokenfit::advise::cliff::Cliff;
use tokenfit::advise::payback::DeviceBreakeven;
use tokenfit::advise::row::ScenarioRow;
use tokenfit::calib::trace::Test;
use tokenfit::calib::validate::{stats, ValidationRow};
use tokenfit::db::model::ModelRaw;
use tokenfit::db::quant::QuantRaw;
use tokenfit::report::plot::{self, BreakevenSeries};
use tokenfit::report::views;

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
    if rows.len() > plot::FIT_CHART_MAX_ROWS {
        eprintln!(
            "warning: the chart draws the first {} of {} devices in rank order; name the devices to draw others",
            plot::FIT_CHART_MAX_ROWS,
            rows.len()
        );
    }
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

/// The break-even chart from `breakeven`'s typed rows (one series per machine that runs the
/// model, at most [`BREAKEVEN_MAX_SERIES`], in payback order). `what` names the model and
/// the API for the title.
pub(crate) fn breakeven(
    rows: &[DeviceBreakeven],
    years: f64,
    what: (&str, &str, &str),
    path: &Path,
) -> Result<()> {
    let series: Vec<BreakevenSeries> = rows
        .iter()
        .filter(|r| r.breakeven.verdict != Verdict::DoesNotRun)
        .map(|r| BreakevenSeries {
            label: r.device.clone(),
            purchase_usd: r.price_usd,
            running_usd_per_month: (r.breakeven.monthly_cost_usd
                - r.breakeven.amortization_usd_per_month)
                .max(0.0),
            api_usd_per_month: r.breakeven.api_monthly_cost_usd,
        })
        .take(BREAKEVEN_MAX_SERIES)
        .collect();
    if series.is_empty() {
        bail!("nothing to plot: the model does not run on any of these machines");
    }
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
    let (model, quant, api) = what;
    let title = format!("Break-even: {model} · {quant} locally against {api}");
    written(plot::breakeven_chart(
        &series,
        months,
        Some(12.0 * years),
        &title,
        path,
    ))
}
