//! `tokenfit plot KIND … -o FILE.svg|FILE.png` and the `--plot FILE` hooks of `fit`, `cliff`,
//! `validate` and `breakeven`: gather the typed results, title them, hand them to
//! [`tokenfit::report::plot`].

use crate::cli::{BreakevenArgs, PlotArgs, PlotCliffArgs, PlotKind, PredictArgs};
use crate::commands::{max_ctx, options, predict_options};
use anyhow::{bail, Context, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tokenfit::advise::cliff::{cliff, Cliff};
use tokenfit::advise::row::ScenarioRow;
use tokenfit::calib::trace::Test;
use tokenfit::calib::validate::{stats, ValidationRow};
use tokenfit::db::model::ModelRaw;
use tokenfit::db::quant::QuantRaw;
use tokenfit::db::Db;
use tokenfit::report::plot::{self, BreakevenSeries, ImageFormat, Roofline};
use tokenfit::report::views;
use tokenfit::report::Output;
use tokenfit::scenario;

/// The most machines one break-even chart shows (the first in payback order).
const BREAKEVEN_MAX_SERIES: usize = 5;

/// `tokenfit plot KIND`: the chart goes to `-o FILE` (or the kind's own `--plot FILE`).
pub fn plot_cmd(db: &Db, a: PlotArgs, output: Option<&Path>) -> Result<ExitCode> {
    let warnings = match a.kind {
        PlotKind::Cliff(c) => {
            let path = target(output, None)?;
            cliff_plot_cmd(db, c, &path)?
        }
        PlotKind::Fit(mut f) => {
            f.plot = Some(target(output, f.plot.take())?);
            crate::commands::fit_cmd(db, f)?.warnings
        }
        PlotKind::Calibration(mut v) => {
            v.plot = Some(target(output, v.plot.take())?);
            crate::cmd_calibrate::validate_cmd(db, v)?.warnings
        }
        PlotKind::Breakeven(mut b) => {
            b.plot = Some(target(output, b.plot.take())?);
            breakeven_cmd(db, b)?.warnings
        }
        PlotKind::Roofline(p) => {
            let path = target(output, None)?;
            roofline_plot_cmd(db, p, &path)?
        }
        PlotKind::Power(p) => crate::cmd_power::plot(db, &p, &target(output, None)?)?,
    };
    for w in warnings {
        eprintln!("warning: {w}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the chart goes: `-o`, else `--plot`; its extension must name a format.
fn target(output: Option<&Path>, plot: Option<PathBuf>) -> Result<PathBuf> {
    let Some(p) = output.map(Path::to_path_buf).or(plot) else {
        bail!("`tokenfit plot` needs -o FILE.svg or -o FILE.png");
    };
    ImageFormat::from_path(&p)?;
    Ok(p)
}

fn written(r: tokenfit::Result<()>) -> Result<()> {
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

fn cliff_plot_cmd(db: &Db, a: PlotCliffArgs, path: &Path) -> Result<Vec<String>> {
    let model = db.model(&a.model)?;
    let quant = db.quant(&a.quant)?;
    let devs = crate::commands::devices(db, &a.devices)?;
    let mut o = options(&a.common)?;
    o.ctx = max_ctx(a.max_ctx.as_deref())?;
    let mut all = Vec::with_capacity(devs.len());
    let mut warnings: Vec<String> = Vec::new();
    for d in devs {
        let (c, w) = cliff(db, d, model, quant, &o)?;
        for x in w {
            if !warnings.contains(&x) {
                warnings.push(x);
            }
        }
        all.push(c);
    }
    cliffs(&all, model, quant, path)?;
    Ok(warnings)
}

fn roofline_plot_cmd(db: &Db, a: PredictArgs, path: &Path) -> Result<Vec<String>> {
    let o = predict_options(&a)?;
    if o.ctx == Some(0) {
        bail!("--ctx must be at least 1 token");
    }
    let r = scenario::resolve(
        db,
        a.device.as_deref().unwrap_or_default(),
        &a.model,
        &a.quant,
        &o,
    )?;
    let s = &r.scenario;
    let title = format!(
        "Roofline of {}: {} · {}",
        s.device.raw.name, s.model.name, s.quant.name
    );
    written(plot::roofline_chart(&Roofline::of(s), &title, path))?;
    Ok(r.warnings)
}

/// `breakeven`, drawing the chart when `--plot` asks.
pub fn breakeven_cmd(db: &Db, mut a: BreakevenArgs) -> Result<Output> {
    let path = a.plot.take();
    let out = crate::cmd_breakeven::breakeven_cmd(db, a)?;
    if let Some(p) = path {
        breakeven(db, &out, &p)?;
    }
    Ok(out)
}

/// The break-even chart from `breakeven`'s results (one series per machine that runs the
/// model, at most [`BREAKEVEN_MAX_SERIES`], in payback order).
fn breakeven(db: &Db, out: &Output, path: &Path) -> Result<()> {
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
