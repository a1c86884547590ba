//! `tokenfit plot KIND … -o FILE.svg|FILE.png`.

use super::breakeven::breakeven_cmd;
use super::common::Common;
use super::draw::cliffs;
use super::draw::written;
use super::fit::FitArgs;
use super::power::PowerArgs;
use super::validate::ValidateArgs;
use crate::cli::breakeven::BreakevenArgs;
use crate::cli::common::max_ctx;
use crate::cli::common::options;
use crate::cli::predict::predict_options;
use crate::cli::predict::PredictArgs;
use anyhow::{bail, Result};
use clap::{Args, Subcommand};
use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;
use tokenfit::advise::cliff::cliff;
use tokenfit::advise::cliff::Cliff;
use tokenfit::db::Db;
use tokenfit::report::plot::{self, ImageFormat, Roofline};
use tokenfit::scenario;

const PLOT_EXAMPLES: &str = "Examples:
  tokenfit plot cliff --model qwen3-32b --quant q4_k_m \\
    --devices rtx-4090,apple-m4-max -o cliff.png
  tokenfit plot fit llama-3.3-70b --quant q4_k_m --ctx 32k --devices all -o fit.svg
  tokenfit plot calibration --holdout device -o calibration.png \\
    calibration/traces/llamacpp_repo_benches_llamabench.csv
  tokenfit plot breakeven --device dgx-spark --api gpt-4o \\
    --tokens-per-month 20M -o breakeven.png
  tokenfit plot roofline --device rtx-4090 --model llama-3.1-8b --quant q4_k_m \\
    --prompt 4k -o roofline.png
The chart goes to -o FILE: .svg (vector) or .png (1200×800, font embedded).";

/// `plot` arguments.
#[derive(Debug, Args)]
#[command(after_help = PLOT_EXAMPLES)]
pub struct PlotArgs {
    /// The chart.
    #[command(subcommand)]
    pub kind: PlotKind,
}

/// Charts.
#[derive(Debug, Subcommand)]
pub enum PlotKind {
    /// Decode tok/s against context for one model on several devices, each cliff marked.
    Cliff(PlotCliffArgs),
    /// The `fit` ranking as bars coloured by verdict, the interval as error bars.
    Fit(FitArgs),
    /// Predicted against measured (log-log) of a `validate` run, y = x and a ±10% band.
    Calibration(ValidateArgs),
    /// Cumulative cost of a machine against an API over the months, the crossing marked.
    Breakeven(BreakevenArgs),
    /// A device's roofline with a scenario's decode and prefill placed on it.
    Roofline(PredictArgs),
    /// Decode and prefill tok/s and J per token against the power limit, the plateau marked.
    Power(PowerArgs),
}

/// `plot cliff` arguments.
#[derive(Debug, Args)]
pub struct PlotCliffArgs {
    /// Model id, alias or name.
    #[arg(long)]
    pub model: String,
    /// Quantization scheme.
    #[arg(long)]
    pub quant: String,
    /// Comma-separated device ids (one line each).
    #[arg(long)]
    pub devices: String,
    /// Largest context of the series [default: the model's maximum].
    #[arg(long = "max-ctx")]
    pub max_ctx: Option<String>,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// `tokenfit plot KIND`: the chart goes to `-o FILE` (or the kind's own `--plot FILE`).
pub fn plot_cmd(db: &Db, a: PlotArgs, output: Option<&Path>) -> Result<ExitCode> {
    let warnings = match a.kind {
        PlotKind::Cliff(c) => {
            let path = target(output, None)?;
            cliff_plot_cmd(db, c, &path)?
        }
        PlotKind::Fit(mut f) => {
            f.plot = Some(target(output, f.plot.take())?);
            crate::cli::fit::fit_cmd(db, f)?.warnings
        }
        PlotKind::Calibration(mut v) => {
            v.plot = Some(target(output, v.plot.take())?);
            crate::cli::validate::validate_cmd(db, v)?.warnings
        }
        PlotKind::Breakeven(mut b) => {
            b.plot = Some(target(output, b.plot.take())?);
            breakeven_cmd(db, b)?.warnings
        }
        PlotKind::Roofline(p) => {
            let path = target(output, None)?;
            roofline_plot_cmd(db, p, &path)?
        }
        PlotKind::Power(p) => crate::cli::power::plot(db, &p, &target(output, None)?)?,
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

fn cliff_plot_cmd(db: &Db, a: PlotCliffArgs, path: &Path) -> Result<Vec<String>> {
    let model = db.model(&a.model)?;
    let quant = db.quant(&a.quant)?;
    let devs = crate::cli::common::devices(db, &a.devices)?;
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
    if all.len() > CLIFF_CHART_MAX_SERIES {
        // The fastest at the shortest context first, as `plot fit` ranks by speed.
        let first = |c: &Cliff| c.series.first().and_then(|p| p.decode_tok_s).unwrap_or(0.0);
        all.sort_by(|a, b| first(b).total_cmp(&first(a)));
        warnings.push(format!(
            "the chart draws the {CLIFF_CHART_MAX_SERIES} fastest of {} devices (decode at the shortest context); name the devices to draw others",
            all.len()
        ));
        all.truncate(CLIFF_CHART_MAX_SERIES);
    }
    cliffs(&all, model, quant, path)?;
    Ok(warnings)
}

/// The most devices one cliff chart draws (more lines cannot be told apart).
const CLIFF_CHART_MAX_SERIES: usize = 8;

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
