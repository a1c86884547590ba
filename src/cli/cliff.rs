//! `cliff`: where bytes first leave fast memory, and decode speed against context.

use super::common::max_ctx;
use super::common::options;
use super::common::plot_file;
use super::common::ModelFileArgs;
use crate::cli::common::Common;
use anyhow::Result;
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use tokenfit::advise::cliff;
use tokenfit::db::Db;
use tokenfit::report::views;
use tokenfit::report::Output;

/// `cliff` arguments.
#[derive(Debug, Args)]
pub struct CliffArgs {
    /// Device id, alias or name.
    #[arg(long)]
    pub device: String,
    /// Model id, alias or name (or --gguf / --hf-config).
    #[arg(long, required_unless_present_any = ["gguf", "hf_config"], conflicts_with_all = ["gguf", "hf_config"])]
    pub model: Option<String>,
    /// A model file instead of a name.
    #[command(flatten)]
    pub file: ModelFileArgs,
    /// Quantization scheme [default with --gguf: the file's].
    #[arg(long, required_unless_present = "gguf")]
    pub quant: Option<String>,
    /// Largest context of the series [default: the model's maximum].
    #[arg(long = "max-ctx")]
    pub max_ctx: Option<String>,
    /// Also draw the chart to FILE (.svg or .png, 1200×800).
    #[arg(long, value_name = "FILE", value_parser = plot_file)]
    pub plot: Option<PathBuf>,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

pub(crate) fn cliff_cmd(db: &Db, a: CliffArgs) -> Result<Output<'_>> {
    let device = db.device(&a.device)?;
    let imp = crate::cli::model_file::imported(db, &a.file)?;
    let model = crate::cli::model_file::model(db, a.model.as_deref(), imp.as_ref())?;
    let mut file_warnings = Vec::new();
    let (quant, weights_bytes) = crate::cli::model_file::quant(
        db,
        a.quant.as_deref(),
        imp.as_ref(),
        None,
        &mut file_warnings,
    )?;
    let mut o = options(&a.common)?;
    o.weights_bytes = weights_bytes;
    o.ctx = max_ctx(a.max_ctx.as_deref())?;
    let (c, mut warnings) = cliff::cliff(db, device, model, quant, &o)?;
    warnings.splice(0..0, file_warnings);
    if let Some(p) = &a.plot {
        crate::cli::draw::cliffs(std::slice::from_ref(&c), model, quant, p)?;
    }
    let mut out = Output::new(json!({
        "command": "cliff", "device": c.device, "model": c.model, "quant": c.quant, "backend": c.backend,
        "kv_type": o.kv_type, "offload": o.offload, "max_ctx": o.ctx,
    }));
    views::cliff_output(&c, &mut out);
    if let Some(i) = &imp {
        out.notes
            .push(crate::cli::model_file::note(i, o.weights_bytes));
    }
    let at = c
        .cliff_ctx
        .and_then(|x| c.series.iter().find(|p| p.ctx == x))
        .or(c.series.last());
    if let Some(p) = at {
        out.notes
            .push(format!("measure at {} tokens: {}", p.ctx, p.verify_command));
    }
    out.summary = Some(json!({
        "cliff_ctx": c.cliff_ctx, "max_fast_ctx": c.max_fast_ctx,
        "decode_tok_s_before": c.decode_tok_s_before, "decode_tok_s_after": c.decode_tok_s_after,
        "efficiency": c.efficiency,
    }));
    out.set_results(c.series);
    out.warnings = warnings;
    Ok(out)
}
