//! `check`: audit a published speed claim.

use super::common::Common;
use crate::cli::common::options;
use crate::cli::common::tokens;
use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;
use std::process::ExitCode;
use tokenfit::advise::check::{check, CheckResult, Phase};
use tokenfit::advise::row::sig;
use tokenfit::db::Db;
use tokenfit::report::{Cell, Output, View};
use tokenfit::scenario::resolve;

/// `check --test`: llama-bench's test names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TestArg {
    // Decode (text generation).
    Tg,
    // Prefill (prompt processing).
    Pp,
}

/// `check` arguments (the usage on two lines: on one it is 113 columns).
#[derive(Debug, Args)]
#[command(
    override_usage = "tokenfit check [OPTIONS] --device <DEVICE> --model <MODEL> --quant <QUANT>
       --claimed-tok-s <CLAIMED_TOK_S>"
)]
pub struct CheckArgs {
    /// Device id, alias or name.
    #[arg(long)]
    pub device: String,
    /// Model id, alias or name.
    #[arg(long)]
    pub model: String,
    /// Quantization scheme.
    #[arg(long)]
    pub quant: String,
    /// Tokens already in the cache when the claim was measured [default: 0].
    #[arg(long)]
    pub ctx: Option<String>,
    /// The claimed speed, tokens per second.
    #[arg(long = "claimed-tok-s", allow_negative_numbers = true)]
    pub claimed_tok_s: f64,
    /// What the claim measures: tg (decode, single stream) or pp (prefill).
    #[arg(long, value_enum, default_value_t = TestArg::Tg, hide_possible_values = true)]
    pub test: TestArg,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// Runs `check`.
pub fn check_cmd(db: &Db, a: CheckArgs) -> Result<(Output<'_>, ExitCode)> {
    if !(a.claimed_tok_s.is_finite() && a.claimed_tok_s > 0.0) {
        bail!(
            "--claimed-tok-s must be a positive number, got {}",
            a.claimed_tok_s
        );
    }
    let phase = match a.test {
        TestArg::Tg => Phase::Tg,
        TestArg::Pp => Phase::Pp,
    };
    let mut o = options(&a.common)?;
    let ctx = a.ctx.as_deref().map(|c| tokens("ctx", c)).transpose()?;
    // llama-bench's defaults: pp512, tg128 from an empty cache; --ctx puts that much in the cache first.
    o.prompt = Some(if phase == Phase::Pp { 512 } else { 0 });
    o.gen = if phase == Phase::Tg { 128 } else { 0 };
    o.depth = ctx.unwrap_or(0);
    let r = resolve(db, &a.device, &a.model, &a.quant, &o)?;
    let c = check(&r, phase, a.claimed_tok_s);
    let mut out = Output::new(json!({
        "command": "check", "device": c.device, "model": c.model, "quant": c.quant, "backend": c.backend,
        "depth": o.depth, "test": phase, "claimed_tok_s": a.claimed_tok_s,
    }));
    out.title = Some(format!(
        "{} · {} · {} · {}: claimed {} tok/s is {}",
        c.device,
        c.model,
        c.quant,
        if phase == Phase::Tg {
            "decode"
        } else {
            "prefill"
        },
        a.claimed_tok_s,
        c.verdict.to_uppercase()
    ));
    out.view = View::quantities(quantities(&c));
    out.notes = c.explanations.iter().map(|e| format!("- {e}")).collect();
    out.notes.push(format!("measure it: {}", c.verify_command));
    out.warnings = r.warnings.clone();
    let code = if c.verdict == "plausible" {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    };
    out.set_results(vec![serde_json::to_value(&c)?]);
    Ok((out, code))
}

/// The breakdown: the claim, the bound, the expectation, what the claim needs beside the
/// peaks, the verdict.
fn quantities(c: &CheckResult) -> Vec<Vec<Cell>> {
    let expected = match (c.expected_tok_s, c.expected_tok_s_lo, c.expected_tok_s_hi) {
        (Some(v), Some(lo), Some(hi)) => format!("{} ({}–{})", sig(v), sig(lo), sig(hi)),
        _ => "— (does not fit)".into(),
    };
    let mut rows = vec![
        vec![Cell::from("claimed tok/s"), Cell::Num(c.claimed_tok_s, 1)],
        vec![
            Cell::from("physical bound tok/s (100% efficiency)"),
            Cell::Num(c.bound_tok_s, 1),
        ],
        vec![
            Cell::from("calibrated expectation tok/s"),
            Cell::Text(expected),
        ],
    ];
    if let Some(bw) = c.required_bandwidth_gb_s {
        rows.push(vec![
            Cell::from("bandwidth the claim needs GB/s"),
            Cell::Num(bw, 0),
        ]);
        rows.push(vec![
            Cell::from("peak bandwidth GB/s"),
            Cell::Num(c.peak_bandwidth_gb_s, 0),
        ]);
    }
    if let Some(t) = c.required_tflops {
        rows.push(vec![
            Cell::from("compute the claim needs TFLOP/s"),
            Cell::Num(t, 1),
        ]);
        rows.push(vec![
            Cell::from("dense FP16 peak TFLOP/s"),
            Cell::Num(c.peak_tflops, 1),
        ]);
    }
    rows.push(vec![Cell::from("verdict"), Cell::from(c.verdict)]);
    rows
}
