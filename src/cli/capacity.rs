//! `capacity`: concurrent streams and the knee.

use super::common::Common;
use crate::cli::common::options;
use crate::cli::common::tokens;
use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;
use tokenfit::advise::capacity::capacity;
use tokenfit::advise::row::sig;
use tokenfit::db::Db;
use tokenfit::report::views::tokens as show_tokens;
use tokenfit::report::{Cell, Output, View};

/// `capacity` arguments.
#[derive(Debug, Args)]
pub struct CapacityArgs {
    /// Device id, alias or name.
    #[arg(long)]
    pub device: String,
    /// Model id, alias or name.
    #[arg(long)]
    pub model: String,
    /// Quantization scheme.
    #[arg(long)]
    pub quant: String,
    /// Context per stream, tokens.
    #[arg(long, default_value = "4k")]
    pub ctx: String,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// Runs `capacity`.
pub fn capacity_cmd(db: &Db, a: CapacityArgs) -> Result<Output<'_>> {
    let device = db.device(&a.device)?;
    let model = db.model(&a.model)?;
    let quant = db.quant(&a.quant)?;
    let ctx = tokens("ctx", &a.ctx)?;
    if ctx == 0 {
        bail!("--ctx must be at least 1 token");
    }
    let o = options(&a.common)?;
    let (c, warnings) = capacity(db, device, model, quant, ctx, &o)?;
    let mut out = Output::new(json!({
        "command": "capacity", "device": c.device, "model": c.model, "quant": c.quant, "backend": c.backend,
        "ctx": ctx, "kv_type": o.kv_type,
    }));
    out.title = Some(format!(
        "{} · {} · {} · {} tokens per stream: at most {} streams in fast memory ({:.2} GiB of cache each); {}",
        c.device,
        c.model,
        c.quant,
        show_tokens(ctx),
        c.max_streams,
        c.per_stream_bytes / tokenfit::units::GIB,
        match c.knee_batch {
            _ if c.max_streams == 0 => {
                "not one stream's cache fits beside the weights: shorten --ctx or pick a smaller quant or KV type".into()
            }
            Some(k) => format!("compute takes over from bandwidth at batch {k}"),
            None => "bandwidth-bound up to the largest batch".into(),
        }
    ));
    // The table shows powers of two, the knee and the maximum; JSON has every batch.
    let shown = |b: u32| b.is_power_of_two() || Some(b) == c.knee_batch || b == c.max_streams;
    out.view = View {
        headers: [
            "batch",
            "aggregate tok/s",
            "per-stream tok/s",
            "bound",
            "fast GiB",
        ]
        .map(String::from)
        .to_vec(),
        rows: c
            .rows
            .iter()
            .filter(|r| shown(r.batch))
            .map(|r| {
                vec![
                    Cell::Num(f64::from(r.batch), 0),
                    Cell::Text(format!(
                        "{} ({}–{})",
                        sig(r.aggregate_decode_tok_s),
                        sig(r.aggregate_decode_tok_s_lo),
                        sig(r.aggregate_decode_tok_s_hi)
                    )),
                    Cell::Num(r.per_stream_decode_tok_s, 1),
                    r.bound.to_string().into(),
                    Cell::Num(r.fast_bytes / tokenfit::units::GIB, 1),
                ]
            })
            .collect(),
    };
    out.summary = Some(json!({
        "max_streams": c.max_streams, "knee_batch": c.knee_batch, "per_stream_bytes": c.per_stream_bytes,
        "max_batch_searched": tokenfit::advise::capacity::MAX_BATCH,
    }));
    let results: Vec<_> = c
        .rows
        .iter()
        .map(|r| serde_json::to_value(r).expect("rows serialize"))
        .collect();
    out.set_results(results);
    out.warnings = warnings;
    Ok(out)
}
