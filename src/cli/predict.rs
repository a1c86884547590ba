//! `predict`: one scenario with its breakdown.

use super::common::options;
use super::common::tokens;
use super::common::ModelFileArgs;
use super::multi::ParallelArg;
use crate::cli::common::Common;
use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;
use tokenfit::advise::row;
use tokenfit::db::Db;
use tokenfit::report::views;
use tokenfit::report::Output;
use tokenfit::scenario;
use tokenfit::scenario::compat;
use tokenfit::scenario::Options;

/// `predict` arguments.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Device id, alias or name.
    #[arg(long, required_unless_present = "devices", conflicts_with = "devices")]
    pub device: Option<String>,
    /// Several devices serving one model: `2x dgx-spark`, `rtx-5090,rtx-3090`.
    #[arg(long)]
    pub devices: Option<String>,
    /// How several devices split the model: layer (llama.cpp --split-mode layer, RPC) or tensor.
    #[arg(long, value_enum, default_value_t = ParallelArg::Layer, requires = "devices", hide_possible_values = true)]
    pub parallel: ParallelArg,
    /// Link between the devices (hardware-db/links.yaml) [default: pcie-4.0-x16 between GPUs in
    /// one host, connectx-7 between DGX Sparks, 10gbe between other machines].
    #[arg(long, requires = "devices")]
    pub link: Option<String>,
    /// Model id, alias or name (or --gguf / --hf-config).
    #[arg(long, default_value = "", hide_default_value = true,
          required_unless_present_any = ["gguf", "hf_config"], conflicts_with_all = ["gguf", "hf_config"])]
    pub model: String,
    /// A model file instead of a name.
    #[command(flatten)]
    pub file: ModelFileArgs,
    /// Quantization scheme [default with --gguf: the file's].
    #[arg(
        long,
        default_value = "",
        hide_default_value = true,
        required_unless_present = "gguf"
    )]
    pub quant: String,
    /// Context allocated, tokens [default: depth + prompt + gen].
    #[arg(long)]
    pub ctx: Option<String>,
    /// Prompt tokens [default: ctx − gen, or 512].
    #[arg(long)]
    pub prompt: Option<String>,
    /// Generated tokens.
    #[arg(long, default_value = "128")]
    pub gen: String,
    /// Tokens already in the cache before the prompt (llama-bench -d).
    #[arg(long, default_value = "0")]
    pub depth: String,
    /// Layers on the GPU (llama.cpp -ngl); the rest run on the host.
    #[arg(long = "gpu-layers")]
    pub gpu_layers: Option<u32>,
    /// Concurrent streams decoded together (each with its own cache).
    #[arg(long, default_value = "1")]
    pub batch: u32,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// The scenario options of `predict` (and `plot roofline`): the common flags, context,
/// prompt, generation, depth and GPU layers.
pub(crate) fn predict_options(a: &PredictArgs) -> Result<Options> {
    let mut o = options(&a.common)?;
    o.ctx = a.ctx.as_deref().map(|c| tokens("ctx", c)).transpose()?;
    o.prompt = a
        .prompt
        .as_deref()
        .map(|c| tokens("prompt", c))
        .transpose()?;
    o.gen = tokens("gen", &a.gen)?;
    o.depth = tokens("depth", &a.depth)?;
    o.gpu_layers = a.gpu_layers;
    Ok(o)
}

/// A word a POSIX shell reads back unchanged: quoted when it holds anything but letters,
/// digits and `-_./+:,=@%`.
pub(crate) fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./+:,=@%".contains(c));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The scenario options of `predict`, with the batch and the token counts checked.
fn checked_options(a: &PredictArgs) -> Result<Options> {
    let mut o = predict_options(a)?;
    if a.batch == 0 || a.batch > tokenfit::advise::capacity::MAX_BATCH {
        bail!(
            "--batch must be between 1 and {}, got {}",
            tokenfit::advise::capacity::MAX_BATCH,
            a.batch
        );
    }
    o.batch = a.batch;
    if o.ctx == Some(0) {
        bail!("--ctx must be at least 1 token");
    }
    if o.ctx.is_none() && o.prompt == Some(0) && o.gen == 0 && o.depth == 0 {
        bail!("--prompt 0 with --gen 0 and --depth 0 leaves nothing to predict; give a prompt or tokens to generate");
    }
    Ok(o)
}

pub(crate) fn predict_cmd(db: &Db, a: PredictArgs) -> Result<Output<'_>> {
    let mut o = checked_options(&a)?;
    let imp = crate::cli::model_file::imported(db, &a.file)?;
    let model = crate::cli::model_file::model(db, Some(&a.model), imp.as_ref())?;
    let mut file_warnings = Vec::new();
    let (quant, weights_bytes) =
        crate::cli::model_file::quant(db, Some(&a.quant), imp.as_ref(), None, &mut file_warnings)?;
    o.weights_bytes = weights_bytes;
    if let Some(list) = &a.devices {
        if o.power_limit_w.is_some() {
            bail!("--power-limit works with one --device; several devices are not modelled under a limit");
        }
        return crate::cli::multi::multi_predict(
            db,
            list,
            a.parallel,
            a.link.as_deref(),
            model,
            quant,
            &o,
        );
    }
    let device = db.device(a.device.as_deref().unwrap_or_default())?;
    let backend = compat::backend_for(db, device, o.backend.as_deref())?;
    compat::check_backend(db, backend, device)?;
    compat::check_quant(backend, quant)?;
    let mut r = scenario::build(db, device, model, quant, &o)?;
    r.warnings.splice(0..0, file_warnings);
    let (mut row, _) = row::row(&r);
    // Measured on the user's own file when one was given.
    if let (Some(path), Some(cmd)) = (&a.file.gguf, row.verify_command.as_mut()) {
        let named = format!(
            "models/{}",
            tokenfit::advise::verify::gguf_name(&r.scenario)
        );
        *cmd = cmd.replace(&named, &shell_word(&path.display().to_string()));
    }
    let mut out = Output::new(json!({
        "command": "predict", "device": row.device, "model": row.model, "quant": row.quant, "backend": row.backend,
        "kv_type": row.kv_type, "ctx": row.ctx, "depth": row.depth, "prompt": row.prompt, "gen": row.gen,
        "offload": o.offload, "gpu_layers": o.gpu_layers,
    }));
    out.view = views::predict_view(&row);
    if let Some(i) = &imp {
        out.notes
            .push(crate::cli::model_file::note(i, o.weights_bytes));
    }
    out.notes.push(format!(
        "measure it: {}",
        row.verify_command.as_deref().unwrap_or_default()
    ));
    out.notes
        .push("then: tokenfit validate <that output>.jsonl".into());
    out.set_results(vec![row.clone().into_owned()]);
    out.warnings = r.warnings;
    let said = out
        .warnings
        .iter()
        .any(|w| w.starts_with("no calibration for"));
    if r.provenance == tokenfit::db::Provenance::Prior && !said {
        out.warnings.push(format!(
            "no calibration for '{}' on {}: using the uncalibrated prior (wide interval)",
            row.device, row.backend
        ));
    }
    Ok(out)
}
