//! `scan`: the GGUF files on this machine, each header read, ranked for a device (the
//! saved machine `this` unless `--device` names another). A file that cannot be read is
//! listed with the reason, never fatal.

use crate::cli::common::options;
use crate::cli::common::tokens;
use anyhow::{bail, Result};
use clap::Args;
use serde::Serialize;
use serde_json::json;
use std::path::PathBuf;
use tokenfit::db::hardware::Device;
use tokenfit::db::Db;
use tokenfit::machine::scan::{self, Found, Origin};
use tokenfit::report::{Cell, Output, View};
use tokenfit::scenario::Options;

/// `scan` arguments.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Directories to search besides the usual places (Hugging Face cache, LM Studio,
    /// llama.cpp's cache, Ollama).
    pub dirs: Vec<PathBuf>,
    /// Device to rank for (`this`: the machine saved by `tokenfit detect --save`).
    #[arg(long, default_value = "this")]
    pub device: String,
    /// Context in tokens (4096, 32k) for speed and verdict.
    #[arg(long, default_value = "4k")]
    pub ctx: String,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: crate::cli::common::Common,
}

/// One file: its verdict and speeds, or why it could not be read.
#[derive(Debug, Serialize)]
pub struct ScanRow {
    /// The file.
    pub path: String,
    /// Where it was found.
    pub origin: Origin,
    /// The file name, or Ollama's `model:tag`.
    pub label: String,
    /// The model (from the header).
    pub model: Option<String>,
    /// The scheme.
    pub quant: Option<String>,
    /// Weights, bytes.
    pub weights_bytes: Option<u64>,
    /// fits | spills | does_not_fit | unreadable.
    pub verdict: &'static str,
    /// Largest context that stays in fast memory, tokens.
    pub max_fast_ctx: Option<u64>,
    /// Decode tok/s at the context.
    pub decode_tok_s: Option<f64>,
    /// Prefill tok/s of a prompt as long as the context.
    pub prefill_tok_s: Option<f64>,
    /// Why it could not be read or ranked.
    pub error: Option<String>,
}

fn rank_file(db: &Db, device: &Device, f: &Found, o: &Options) -> ScanRow {
    let mut row = ScanRow {
        path: f.path.display().to_string(),
        origin: f.origin,
        label: f.label.clone(),
        model: None,
        quant: None,
        weights_bytes: None,
        verdict: "unreadable",
        max_fast_ctx: None,
        decode_tok_s: None,
        prefill_tok_s: None,
        error: None,
    };
    let result = (|| -> Result<()> {
        let imp = tokenfit::import::load_gguf(db, &f.path)?;
        row.model = Some(imp.model.id.clone());
        let Some(q) = imp.quant.as_deref() else {
            bail!("the header names no known quantization scheme");
        };
        let quant = db.quant(q)?;
        row.quant = Some(quant.id.clone());
        let o = Options {
            weights_bytes: imp.weights_bytes,
            ..o.clone()
        };
        let (rows, _) = tokenfit::advise::fit::fit(db, &imp.model, quant, &[device], &o)?;
        let r = rows.into_iter().next().expect("one row per device");
        row.weights_bytes = Some(r.weights_bytes);
        row.verdict = r.verdict.as_str();
        row.max_fast_ctx = r.max_fast_ctx;
        row.decode_tok_s = r.decode_tok_s;
        row.prefill_tok_s = r.prefill_tok_s;
        Ok(())
    })();
    if let Err(e) = result {
        row.verdict = "unreadable";
        row.error = Some(format!("{e:#}"));
    }
    row
}

fn view(rows: &[ScanRow]) -> View {
    View {
        headers: [
            "file",
            "model",
            "quant",
            "GB",
            "verdict",
            "fast ctx",
            "decode tok/s",
            "prefill tok/s",
            "note",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .map(|r| {
                vec![
                    r.label.as_str().into(),
                    r.model.clone().unwrap_or_default().into(),
                    r.quant.clone().unwrap_or_default().into(),
                    Cell::opt(r.weights_bytes.map(|b| b as f64 / 1e9), 2),
                    r.verdict.into(),
                    Cell::opt(r.max_fast_ctx.map(|c| c as f64), 0),
                    Cell::opt(r.decode_tok_s, 1),
                    Cell::opt(r.prefill_tok_s, 0),
                    r.error.clone().unwrap_or_default().into(),
                ]
            })
            .collect(),
    }
}

pub fn scan_cmd(db: &Db, a: ScanArgs) -> Result<Output<'_>> {
    let device = db.device(&a.device)?;
    let ctx = tokens("ctx", &a.ctx)?;
    if ctx == 0 {
        bail!("--ctx must be at least 1 token");
    }
    let o = Options {
        ctx: Some(ctx),
        prompt: Some(ctx),
        gen: 0,
        ..options(&a.common)?
    };
    let mut warnings = Vec::new();
    let mut roots = scan::default_roots();
    for d in &a.dirs {
        if !d.is_dir() {
            warnings.push(format!("{}: not a directory; skipped", d.display()));
        }
        roots.push((Origin::Given, d.clone()));
    }
    let found = scan::find(&roots);
    let bar = super::output::progress(found.len() as u64, 2, "files");
    let mut rows: Vec<ScanRow> = found
        .iter()
        .map(|f| {
            let r = rank_file(db, device, f, &o);
            bar.inc(1);
            r
        })
        .collect();
    bar.finish_and_clear();
    let order = |v: &str| match v {
        "fits" => 0,
        "spills" => 1,
        "does_not_fit" => 2,
        _ => 3,
    };
    rows.sort_by(|x, y| {
        order(x.verdict)
            .cmp(&order(y.verdict))
            .then(
                y.decode_tok_s
                    .unwrap_or(0.0)
                    .total_cmp(&x.decode_tok_s.unwrap_or(0.0)),
            )
            .then(x.path.cmp(&y.path))
    });
    let mut out = Output::new(json!({
        "command": "scan", "device": device.id(), "ctx": ctx,
        "roots": roots.iter().map(|(o, p)| json!({"origin": o, "path": p.display().to_string()})).collect::<Vec<_>>(),
    }));
    out.title = Some(format!(
        "GGUF files on this machine, ranked for {} at {} tokens of context",
        device.raw.name, ctx
    ));
    out.view = view(&rows);
    if rows.is_empty() {
        out.notes
            .push("no GGUF files found; name a directory: tokenfit scan DIR".into());
    }
    out.set_results(rows);
    out.warnings = warnings;
    Ok(out)
}
