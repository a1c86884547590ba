//! `capacity`: how many concurrent streams one box serves. For B = 1 … the largest batch
//! whose caches fit fast memory (paged KV: each stream holds its own `ctx`-token cache and
//! recurrent state, nothing padded), the aggregate and per-stream decode speed and the
//! bound; the knee is the first batch at which compute takes over from bandwidth.

use crate::db::hardware::Device;
use crate::db::model::ModelRaw;
use crate::db::quant::QuantRaw;
use crate::db::Db;
use crate::error::Result;
use crate::model::placement::{footprint, place};
use crate::model::predict::predict;
use crate::model::{Offload, Verdict};
use crate::scenario::{build, Options};
use serde::Serialize;

/// The largest batch searched (vLLM's `--max-num-seqs` range; llama.cpp `-np`).
pub const MAX_BATCH: u32 = 1024;

/// One batch size.
#[derive(Debug, Clone, Serialize)]
pub struct BatchRow {
    /// Concurrent streams.
    pub batch: u32,
    /// Tokens per second over all streams.
    pub aggregate_decode_tok_s: f64,
    /// Tokens per second each stream sees.
    pub per_stream_decode_tok_s: f64,
    /// Interval of the aggregate.
    pub aggregate_decode_tok_s_lo: f64,
    /// Interval of the aggregate.
    pub aggregate_decode_tok_s_hi: f64,
    /// What limits the step.
    pub bound: crate::model::decode::Bound,
    /// Bytes in fast memory (weights, every cache, overhead).
    pub fast_bytes: f64,
}

/// The answer.
#[derive(Debug, Clone, Serialize)]
pub struct Capacity {
    /// Device id.
    pub device: String,
    /// Model id.
    pub model: String,
    /// Quant id.
    pub quant: String,
    /// Backend id.
    pub backend: String,
    /// Context per stream, tokens.
    pub ctx: u64,
    /// Largest batch whose caches all fit fast memory (0: not even one).
    pub max_streams: u32,
    /// First batch at which decode is compute-bound (None: bandwidth-bound up to max).
    pub knee_batch: Option<u32>,
    /// KV cache plus state per stream, bytes.
    pub per_stream_bytes: f64,
    /// One row per batch, 1 … max_streams.
    pub rows: Vec<BatchRow>,
}

/// Computes the capacity; each stream decodes with `ctx` tokens in its cache.
pub fn capacity(
    db: &Db,
    device: &Device,
    model: &ModelRaw,
    quant: &QuantRaw,
    ctx: u64,
    o: &Options,
) -> Result<(Capacity, Vec<String>)> {
    let at = |b: u32| Options {
        ctx: Some(ctx),
        prompt: Some(0),
        gen: 0,
        depth: ctx,
        batch: b,
        offload: Offload::None,
        ..o.clone()
    };
    let base = build(db, device, model, quant, &at(1))?;
    let fits = |b: u32| -> Result<bool> {
        let r = build(db, device, model, quant, &at(b))?;
        let f = footprint(&r.scenario, ctx as f64);
        Ok(place(&r.scenario, &f).verdict == Verdict::Fits)
    };
    let max_streams = if !fits(1)? {
        0
    } else if fits(MAX_BATCH)? {
        MAX_BATCH
    } else {
        let (mut lo, mut hi) = (1u32, MAX_BATCH);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if fits(mid)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        lo
    };
    let mut rows = Vec::with_capacity(max_streams as usize);
    let mut knee = None;
    for b in 1..=max_streams {
        let r = build(db, device, model, quant, &at(b))?;
        let p = predict(&r.scenario);
        let Some(dec) = p.decode_tok_s else { break };
        let bf = f64::from(b);
        if knee.is_none() && p.decode.t_fast_compute.0 >= p.decode.t_fast_memory.0 {
            knee = Some(b);
        }
        rows.push(BatchRow {
            batch: b,
            aggregate_decode_tok_s: dec.value * bf,
            per_stream_decode_tok_s: dec.value,
            aggregate_decode_tok_s_lo: dec.lo * bf,
            aggregate_decode_tok_s_hi: dec.hi * bf,
            bound: p.decode.bound,
            fast_bytes: p.placement.fast_bytes.0.round(),
        });
    }
    let one = footprint(&base.scenario, ctx as f64);
    Ok((
        Capacity {
            device: device.id().to_string(),
            model: model.id.clone(),
            quant: quant.id.clone(),
            backend: base.backend.id.clone(),
            ctx,
            max_streams,
            knee_batch: knee,
            per_stream_bytes: (one.kv + one.state).0,
            rows,
        },
        base.warnings,
    ))
}
