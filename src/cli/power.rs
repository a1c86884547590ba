//! `power`: speed, power drawn and J/token over a board's power limits.

use crate::cli::common::tokens;
use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;
use tokenfit::advise::power::{power_sweep, PowerSweep, PLATEAU_FRAC};
use tokenfit::db::Db;
use tokenfit::report::{power_views, Output};
use tokenfit::scenario::Options;

const POWER_EXAMPLES: &str = "Examples:
  tokenfit power --device rtx-pro-6000-blackwell --model llama-2-7b --quant q4_0
  tokenfit power --device rtx-pro-6000-blackwell --model qwen3-32b --quant q4_k_m \\
    --ctx 16k --batch 8 --format json
  tokenfit plot power --device rtx-pro-6000-blackwell --model llama-2-7b \\
    --quant q4_0 -o power.svg
Devices with power data (a `power_limit` block in hardware-db):
rtx-pro-6000-blackwell, h100-pcie.";

/// `power` arguments.
#[derive(Debug, Args)]
#[command(after_help = POWER_EXAMPLES)]
pub struct PowerArgs {
    /// Device id, alias or name (one with power data).
    #[arg(long)]
    pub device: String,
    /// Model id, alias or name.
    #[arg(long)]
    pub model: String,
    /// Quantization scheme.
    #[arg(long)]
    pub quant: String,
    /// Context allocated, tokens [default: prompt + gen].
    #[arg(long)]
    pub ctx: Option<String>,
    /// Prompt tokens [default: ctx − gen, or 512].
    #[arg(long)]
    pub prompt: Option<String>,
    /// Generated tokens.
    #[arg(long, default_value = "128")]
    pub gen: String,
    /// Concurrent streams decoded together.
    #[arg(long, default_value = "1")]
    pub batch: u32,
    /// Backend [default: the device's].
    #[arg(long)]
    pub backend: Option<String>,
    /// KV cache element type.
    #[arg(long = "kv-type", default_value = "f16")]
    pub kv_type: String,
    /// Step between limits, W [default: a round step giving about 16 limits].
    #[arg(long = "step-w")]
    pub step_w: Option<f64>,
}

/// Runs the sweep of `power` (and `plot power`).
pub fn sweep(db: &Db, a: &PowerArgs) -> Result<(PowerSweep, Vec<String>)> {
    if a.batch == 0 || a.batch > tokenfit::advise::capacity::MAX_BATCH {
        bail!(
            "--batch must be between 1 and {}, got {}",
            tokenfit::advise::capacity::MAX_BATCH,
            a.batch
        );
    }
    let device = db.device(&a.device)?;
    let model = db.model(&a.model)?;
    let quant = db.quant(&a.quant)?;
    let o = Options {
        kv_type: a.kv_type.clone(),
        backend: a.backend.clone(),
        ctx: a.ctx.as_deref().map(|c| tokens("ctx", c)).transpose()?,
        prompt: a
            .prompt
            .as_deref()
            .map(|p| tokens("prompt", p))
            .transpose()?,
        gen: tokens("gen", &a.gen)?,
        batch: a.batch,
        ..Options::default()
    };
    if o.ctx == Some(0) {
        bail!("--ctx must be at least 1 token");
    }
    Ok(power_sweep(db, device, model, quant, &o, a.step_w)?)
}

/// `tokenfit power`.
pub fn power_cmd(db: &Db, a: PowerArgs) -> Result<Output<'_>> {
    let (s, warnings) = sweep(db, &a)?;
    let mut out = Output::new(json!({
        "command": "power", "device": s.device, "model": a.model, "quant": a.quant,
        "backend": a.backend, "kv_type": a.kv_type, "ctx": a.ctx, "prompt": a.prompt,
        "gen": a.gen, "batch": a.batch, "step_w": a.step_w,
    }));
    out.title = Some(format!(
        "{} · {} · {} · batch {}: speed, power drawn and energy over power limits {}–{} W",
        s.device, a.model, a.quant, a.batch, s.board.min_w, s.board.max_w
    ));
    out.view = power_views::power_view(&s);
    let w = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.0} W"));
    out.notes.push(format!(
        "plateau: {} — the lowest limit whose decode speed is within {:.0}% of the speed at {} W; fewest joules per generated token at {}",
        w(s.plateau_w),
        100.0 * (1.0 - PLATEAU_FRAC),
        s.board.max_w,
        w(s.best_j_per_token_w)
    ));
    out.notes.push(format!(
        "decode tok/s is over all {} streams; J per token is the power decode draws over it (idle {:.0} W included); power model: {}",
        a.batch,
        s.board.idle_w,
        if s.fitted { "fitted on its family's power-cap sweep" } else { "the prior" }
    ));
    out.summary = Some(json!({
        "plateau_w": s.plateau_w,
        "best_j_per_token_w": s.best_j_per_token_w,
        "power_limit_min_w": s.board.min_w,
        "power_limit_max_w": s.board.max_w,
        "power_limit_default_w": s.board.default_w,
        "idle_w": s.board.idle_w,
        "power_model": if s.fitted { "fitted" } else { "prior" },
    }));
    out.set_results(s.points);
    out.warnings = warnings;
    Ok(out)
}

/// `tokenfit plot power`: the sweep drawn to `path`.
pub fn plot(db: &Db, a: &PowerArgs, path: &std::path::Path) -> Result<Vec<String>> {
    let (s, warnings) = sweep(db, a)?;
    let title = format!(
        "{} · {} · {}: speed and energy against the power limit",
        s.device, a.model, a.quant
    );
    tokenfit::report::plot::power_chart(&s, &title, path)
        .map_err(|e| anyhow::anyhow!(e))
        .map_err(|e| e.context("drawing the chart"))?;
    Ok(warnings)
}
