//! `cliff`: the context at which bytes first leave fast memory, decode speed on both sides,
//! and the tok/s-against-context series (powers of two up to the model's maximum, plus
//! the two points around the cliff).

use crate::db::hardware::Device;
use crate::db::model::ModelRaw;
use crate::db::quant::QuantRaw;
use crate::db::Db;
use crate::error::Result;
use crate::model::placement::max_fast_context;
use crate::model::predict::predict;
use crate::scenario::{build, Options};
use serde::Serialize;

/// One point of the series.
#[derive(Debug, Clone, Serialize)]
pub struct CliffPoint {
    /// Context (allocated and filled), tokens.
    pub ctx: u64,
    /// fits | spills | does_not_fit.
    pub verdict: crate::model::Verdict,
    /// Layers on the fast tier.
    pub gpu_layers: u32,
    /// Decode tok/s with the cache full to `ctx`.
    pub decode_tok_s: Option<f64>,
    /// Interval.
    pub decode_tok_s_lo: Option<f64>,
    /// Interval.
    pub decode_tok_s_hi: Option<f64>,
    /// Bytes in the fast tier.
    pub fast_bytes: f64,
    /// Bytes in the host tier.
    pub host_bytes: f64,
    /// What bounds decode.
    pub bound: crate::model::decode::Bound,
    /// The llama-bench command that measures this point.
    pub verify_command: String,
}

/// The cliff of one device, model and quant.
#[derive(Debug, Clone, Serialize)]
pub struct Cliff {
    /// Device id.
    pub device: String,
    /// Model id.
    pub model: String,
    /// Quant id.
    pub quant: String,
    /// Backend id.
    pub backend: String,
    /// Where the efficiency (and so the interval) comes from: fitted, family, kind, backend or
    /// prior.
    pub efficiency: &'static str,
    /// Largest context searched, tokens (`--max-ctx`, else the model's maximum).
    pub searched_to_ctx: u64,
    /// Whether the search went up to the model's maximum context.
    pub searched_to_model_max: bool,
    /// The first context whose bytes leave fast memory (None: never, up to `searched_to_ctx`).
    pub cliff_ctx: Option<u64>,
    /// Largest context that stays in fast memory (None: not even an empty one).
    pub max_fast_ctx: Option<u64>,
    /// Decode tok/s just before the cliff.
    pub decode_tok_s_before: Option<f64>,
    /// Decode tok/s just after it.
    pub decode_tok_s_after: Option<f64>,
    /// The series.
    pub series: Vec<CliffPoint>,
}

/// Computes the cliff. `o.ctx` caps the series (default: the model's maximum context).
pub fn cliff(
    db: &Db,
    device: &Device,
    model: &ModelRaw,
    quant: &QuantRaw,
    o: &Options,
) -> Result<(Cliff, Vec<String>)> {
    let limit = o.ctx.unwrap_or(model.max_context).max(1);
    let base = build(
        db,
        device,
        model,
        quant,
        &Options {
            ctx: Some(limit),
            prompt: Some(limit),
            gen: 0,
            depth: 0,
            ..o.clone()
        },
    )?;
    let mut warnings = base.warnings.clone();
    let max_fast = max_fast_context(&base.scenario, limit);
    let cliff_ctx = match max_fast {
        Some(m) if m >= limit => None,
        Some(m) => Some(m + 1),
        None => Some(0),
    };
    let ctxs = series_contexts(limit, cliff_ctx);
    let mut series = Vec::with_capacity(ctxs.len());
    for c in ctxs {
        let (pt, w) = point(db, (device, model, quant), o, c)?;
        for x in w {
            if !warnings.contains(&x) {
                warnings.push(x);
            }
        }
        series.push(pt);
    }
    let speed_at = |c: Option<u64>| {
        c.and_then(|c| series.iter().find(|p| p.ctx == c))
            .and_then(|p| p.decode_tok_s)
    };
    Ok((
        Cliff {
            device: device.raw.id.clone(),
            model: model.id.clone(),
            quant: quant.id.clone(),
            backend: base.backend.id.clone(),
            efficiency: base.provenance.label(),
            searched_to_ctx: limit,
            searched_to_model_max: limit >= model.max_context,
            cliff_ctx,
            max_fast_ctx: max_fast,
            decode_tok_s_before: speed_at(cliff_ctx.and_then(|c| c.checked_sub(1))),
            decode_tok_s_after: speed_at(cliff_ctx),
            series,
        },
        warnings,
    ))
}

/// The contexts of the series: powers of two from 512 below `limit`, `limit`, and the two
/// either side of the cliff, in order.
fn series_contexts(limit: u64, cliff_ctx: Option<u64>) -> Vec<u64> {
    let mut ctxs: Vec<u64> = std::iter::successors(Some(512u64), |c| Some(c * 2))
        .take_while(|c| *c < limit)
        .collect();
    ctxs.push(limit);
    if let Some(c) = cliff_ctx {
        if c > 0 {
            ctxs.push(c - 1);
        }
        ctxs.push(c);
    }
    ctxs.sort_unstable();
    ctxs.dedup();
    ctxs
}

/// The point of the series at context `c` (a prompt that long), with its warnings.
fn point(
    db: &Db,
    (device, model, quant): (&Device, &ModelRaw, &QuantRaw),
    o: &Options,
    c: u64,
) -> Result<(CliffPoint, Vec<String>)> {
    let opts = Options {
        ctx: Some(c),
        prompt: Some(c),
        gen: 0,
        depth: 0,
        ..o.clone()
    };
    let r = build(db, device, model, quant, &opts)?;
    let p = predict(&r.scenario);
    let pt = CliffPoint {
        ctx: c,
        verdict: p.placement.verdict,
        gpu_layers: p.placement.gpu_layers,
        decode_tok_s: p.decode_tok_s.map(|e| e.value),
        decode_tok_s_lo: p.decode_tok_s.map(|e| e.lo),
        decode_tok_s_hi: p.decode_tok_s.map(|e| e.hi),
        fast_bytes: p.placement.fast_bytes.0.round(),
        host_bytes: p.placement.host_bytes.0.round(),
        bound: p.decode.bound,
        verify_command: super::verify::verify_command(&r.scenario, &p.placement, &r.backend.id),
    };
    Ok((pt, r.warnings))
}
