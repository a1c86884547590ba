//! `rank`: the inverse of `fit` — which models run on one device. For each model, the
//! best quantization (the first of a ladder from BF16 down to about 3 bits per weight, so
//! the least quality lost) whose whole
//! footprint stays in fast memory at the context asked for and whose decode reaches a
//! floor; models are then ranked, by default largest first (the biggest model that runs
//! usably).

use super::row::row_from;
use crate::db::hardware::Device;
use crate::db::model::ModelRaw;
use crate::db::quant::QuantRaw;
use crate::db::Db;
use crate::error::Result;
use crate::model::predict::predict;
use crate::model::Verdict;
use crate::scenario::{build_on, compat, setup_device, Options};
use serde::Serialize;
use std::cmp::Ordering;

/// Decode speed a model must reach by default to count as usable, tok/s.
pub const DEFAULT_MIN_TOK_S: f64 = 10.0;

/// One model that runs on the device.
#[derive(Debug, Clone, Serialize)]
pub struct RankRow<'a> {
    /// Model id.
    pub model: &'a str,
    /// The best quant that fits and is fast enough.
    pub quant: &'a str,
    /// Parameters, billions (all experts of a mixture of experts).
    pub params_b: f64,
    /// Parameters read per token, billions (the active ones of a mixture of experts).
    pub active_params_b: f64,
    /// fits (always: a row exists only when the model fits in fast memory).
    pub verdict: Verdict,
    /// Decode tok/s with the cache full to the context.
    pub decode_tok_s: Option<f64>,
    /// Prefill tok/s over a prompt as long as the context.
    pub prefill_tok_s: Option<f64>,
    /// Time to first token for that prompt, s.
    pub ttft_s: Option<f64>,
    /// Footprint at the context, bytes.
    pub total_bytes: u64,
    /// What the fast tier holds, bytes: the footprint less the token embedding llama.cpp
    /// keeps in host memory on a discrete GPU.
    pub fast_need_bytes: u64,
    /// Usable fast memory, bytes.
    pub usable_bytes: u64,
    /// Backend id.
    pub backend: &'a str,
    /// Context, tokens.
    pub ctx: u64,
}

/// The order of `rank`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankSort {
    /// Parameters, largest first.
    Params,
    /// Decode tok/s, fastest first.
    Speed,
    /// Model id.
    Name,
}

/// What `rank` found: the rows, the models with no usable quant, and the warnings.
#[derive(Debug, Clone)]
pub struct Ranking<'a> {
    /// The models that run, ranked.
    pub rows: Vec<RankRow<'a>>,
    /// Models with no quant that fits and reaches the floor.
    pub none_usable: Vec<&'a str>,
    /// Models whose maximum context is below the context asked for.
    pub too_short: Vec<&'a str>,
    /// Warnings (each once).
    pub warnings: Vec<String>,
}

/// The quants `rank` tries by default, best first: the common releases of each runtime
/// down to about 3 bits per weight (below that, quality falls off).
pub fn default_ladder(backend: &str) -> &'static [&'static str] {
    if backend == "mlx" {
        &["bf16", "mlx-8bit", "mlx-6bit", "mlx-4bit"]
    } else if backend == "vllm" {
        &["bf16", "fp8", "awq-int4", "gptq-int4"]
    } else {
        &[
            "bf16", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "iq4_xs", "q3_k_m",
        ]
    }
}

/// Ranks `models` on `device` at `o.ctx`, trying `quants` in the order given (best
/// first), those the backend cannot load skipped.
pub fn rank<'a>(
    db: &'a Db,
    device: &'a Device,
    models: &[&'a ModelRaw],
    quants: &[&'a QuantRaw],
    o: &Options,
    min_tok_s: f64,
    sort: RankSort,
) -> Result<Ranking<'a>> {
    let setup = setup_device(db, device, o)?;
    let kv = db.kv_type(&o.kv_type)?;
    let ctx = o.ctx.unwrap_or(4096);
    let order: Vec<&QuantRaw> = quants
        .iter()
        .copied()
        .filter(|q| compat::loads(setup.backend, q))
        .collect();
    let mut out = Ranking {
        rows: Vec::new(),
        none_usable: Vec::new(),
        too_short: Vec::new(),
        warnings: setup.warnings.clone(),
    };
    for m in models {
        if m.max_context < ctx {
            out.too_short.push(&m.id);
            continue;
        }
        let params = crate::model::params::param_groups(m);
        let mut found = None;
        for q in &order {
            let r = build_on(db, &setup, m, q, kv, o)?;
            let p = predict(&r.scenario);
            if p.placement.verdict != Verdict::Fits {
                continue;
            }
            let row = row_from(&r, &p);
            if row.decode_tok_s.is_some_and(|d| d >= min_tok_s) {
                found = Some((*q, row));
                break;
            }
        }
        match found {
            Some((q, r)) => out.rows.push(RankRow {
                model: &m.id,
                quant: &q.id,
                params_b: params.total() / 1e9,
                active_params_b: params.active() / 1e9,
                verdict: r.verdict,
                decode_tok_s: r.decode_tok_s,
                prefill_tok_s: r.prefill_tok_s,
                ttft_s: r.ttft_s,
                total_bytes: r.total_bytes,
                fast_need_bytes: r.fast_need_bytes,
                usable_bytes: r.usable_bytes,
                backend: &setup.backend.id,
                ctx,
            }),
            None => out.none_usable.push(&m.id),
        }
    }
    out.rows.sort_by(|a, b| compare(a, b, sort));
    Ok(out)
}

fn compare(a: &RankRow, b: &RankRow, sort: RankSort) -> Ordering {
    let speed = |r: &RankRow| r.decode_tok_s.unwrap_or(0.0);
    match sort {
        RankSort::Params => b.params_b.total_cmp(&a.params_b),
        RankSort::Speed => speed(b).total_cmp(&speed(a)),
        RankSort::Name => Ordering::Equal,
    }
    .then_with(|| a.model.cmp(b.model))
}
