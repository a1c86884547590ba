//! `fit`: one model on many devices, ranked.

use super::common::devices;
use super::common::options;
use super::common::plot_file;
use super::common::ModelFileArgs;
use super::common::{filter, tok_s, SortArg, VerdictArg};
use crate::cli::common::Common;
use anyhow::Result;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use tokenfit::advise::row::ScenarioRow;
use tokenfit::advise::{fit, power, select};
use tokenfit::db::Db;
use tokenfit::report::columns::Columns;
use tokenfit::report::views;
use tokenfit::report::Output;
use tokenfit::scenario::Options;

/// `fit` arguments.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Model id, alias or name (or --gguf / --hf-config).
    #[arg(required_unless_present_any = ["gguf", "hf_config"], conflicts_with_all = ["gguf", "hf_config"])]
    pub model: Option<String>,
    /// A model file instead of a name.
    #[command(flatten)]
    pub file: ModelFileArgs,
    /// Quantization scheme [default: the GGUF file's, else q4_k_m].
    #[arg(long)]
    pub quant: Option<String>,
    /// Context in tokens (4096, 32k, 32K).
    #[arg(long, default_value = "4k", allow_hyphen_values = true)]
    pub ctx: String,
    /// Comma-separated device ids, or all.
    #[arg(long, default_value = "all")]
    pub devices: String,
    /// Also draw the chart to FILE (.svg or .png, 1200×800).
    #[arg(long, value_name = "FILE", value_parser = plot_file)]
    pub plot: Option<PathBuf>,
    /// Show at most N devices (after --verdict and --min-tok-s) [default: every one].
    #[arg(long, value_name = "N", value_parser = crate::cli::common::top)]
    pub top: Option<usize>,
    /// Order after the verdict: devices that fit come first, then those that spill.
    #[arg(long, value_enum, default_value_t = SortArg::Speed)]
    pub sort: SortArg,
    /// Which devices to list.
    #[arg(long, value_enum, default_value_t = VerdictArg::All)]
    pub verdict: VerdictArg,
    /// Leave out devices whose decode is slower than X tok/s.
    #[arg(long = "min-tok-s", value_name = "X", value_parser = tok_s)]
    pub min_tok_s: Option<f64>,
    /// Every table column.
    #[arg(long, conflicts_with = "columns")]
    pub wide: bool,
    /// Only these table columns, in this order: rank, device, verdict, need_usable, need, usable,
    /// headroom, fast_ctx, decode, decode_range, prefill, ttft, bound, eff, price, j_token, usd_1m.
    #[arg(long, value_name = "LIST")]
    pub columns: Option<String>,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

pub(crate) fn fit_cmd(db: &Db, a: FitArgs) -> Result<Output<'_>> {
    let imp = crate::cli::model_file::imported(db, &a.file)?;
    let model = crate::cli::model_file::model(db, a.model.as_deref(), imp.as_ref())?;
    let mut file_warnings = Vec::new();
    let (quant, weights_bytes) = crate::cli::model_file::quant(
        db,
        a.quant.as_deref(),
        imp.as_ref(),
        Some("q4_k_m"),
        &mut file_warnings,
    )?;
    let ctx = super::common::ctx(&a.ctx)?;
    let devs = devices(db, &a.devices)?;
    let (devs, unrunnable) =
        super::common::runnable(db, devs, a.common.backend.as_deref(), Some(quant))?;
    let (devs, left_out) = power::with_power_data(db, devs, a.common.power_limit)?;
    let o = Options {
        ctx: Some(ctx),
        prompt: Some(ctx),
        gen: 0,
        weights_bytes,
        ..options(&a.common)?
    };
    let (mut rows, mut warnings) = fit::fit(db, model, quant, &devs, &o)?;
    let listed = rows.len();
    let keep = filter(a.verdict, a.min_tok_s);
    rows.retain(|r| keep.keeps(r));
    select::sort(&mut rows, a.sort.into());
    let matched = rows.len();
    rows.truncate(a.top.unwrap_or(usize::MAX));
    warnings.splice(0..0, file_warnings);
    warnings.extend(left_out);
    warnings.extend(unrunnable);
    if let Some(p) = &a.plot {
        crate::cli::draw::fit(&rows, model, quant, ctx, p)?;
    }
    let mut out = Output::new(json!({
        "command": "fit", "model": model.id, "quant": quant.id, "ctx": ctx, "kv_type": o.kv_type,
        "backend": o.backend, "offload": o.offload, "devices": devs.iter().map(|d| d.id()).collect::<Vec<_>>(),
    }));
    out.title = Some(format!(
        "{} · {} · {} tokens of context · KV {} — decode with the cache full, TTFT for a prompt that long",
        model.name, quant.name, ctx, o.kv_type
    ));
    out.view = views::fit_table(&rows, &Columns::from_flags(a.wide, a.columns.as_deref()))?;
    if rows.len() < listed {
        out.notes.push(format!(
            "{} of {listed} devices shown ({matched} pass --verdict and --min-tok-s)",
            rows.len()
        ));
    }
    if let Some(i) = &imp {
        out.notes
            .push(crate::cli::model_file::note(i, o.weights_bytes));
    }
    if let Some(top) = rows.first() {
        out.notes.push(format!(
            "measure #1 ({}): {}",
            top.device,
            top.verify_command.as_deref().unwrap_or_default()
        ));
        out.notes.push("every result's `verify_command` (JSON) measures it; feed the output to `tokenfit validate`".into());
    }
    out.set_results(
        rows.into_iter()
            .map(ScenarioRow::into_owned)
            .collect::<Vec<_>>(),
    );
    out.warnings = warnings;
    Ok(out)
}
