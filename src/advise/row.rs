//! The result row shared by `predict`, `fit` and `sweep`: the JSON contract
//! (`device`, `model`, `quant`, `backend`, `ctx`, `weights_bytes`, `kv_bytes`, `total_bytes`,
//! `usable_bytes`, `verdict`, `decode_tok_s`, `prefill_tok_s`, `ttft_s`, `bound` …).

use super::energy::local_cost_at_full_use;
use crate::model::decode::Bound;
use crate::model::predict::{predict, Prediction};
use crate::model::Verdict;
use crate::scenario::Resolved;
use serde::Serialize;
use std::borrow::Cow;

/// One scenario's result, units in the keys.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioRow<'a> {
    /// Device id.
    pub device: Cow<'a, str>,
    /// Model id.
    pub model: Cow<'a, str>,
    /// Quant id.
    pub quant: Cow<'a, str>,
    /// Backend id.
    pub backend: Cow<'a, str>,
    /// KV cache type.
    pub kv_type: Cow<'a, str>,
    /// Allocated context, tokens.
    pub ctx: u64,
    /// Tokens in the cache before the prompt.
    pub depth: u64,
    /// Prompt tokens.
    pub prompt: u64,
    /// Generated tokens.
    pub gen: u64,
    /// Weights in memory, bytes (a tied embedding table twice: llama.cpp loads it as the input
    /// table and again as the output layer's tensor).
    pub weights_bytes: u64,
    /// KV cache at ctx, bytes.
    pub kv_bytes: u64,
    /// Recurrent state, bytes.
    pub state_bytes: u64,
    /// Runtime overhead, bytes.
    pub overhead_bytes: u64,
    /// Total, bytes.
    pub total_bytes: u64,
    /// What the fast tier must hold for the whole model to run there, bytes: the total less
    /// the token embedding that llama.cpp keeps in host memory on a discrete GPU.
    pub fast_need_bytes: u64,
    /// Usable fast memory, bytes.
    pub usable_bytes: u64,
    /// Usable fast memory minus the fast-tier need, bytes (negative: short by that much,
    /// whatever an offload policy then places on the host).
    pub headroom_bytes: i64,
    /// Bytes placed in the fast tier.
    pub fast_bytes: u64,
    /// Bytes placed in the host tier.
    pub host_bytes: u64,
    /// fits | spills | does_not_fit (JSON / CSV spelling).
    pub verdict: Verdict,
    /// Offload policy.
    pub offload: crate::model::Offload,
    /// Layers on the fast tier.
    pub gpu_layers: u32,
    /// Layers in the model.
    pub n_layers: u32,
    /// Concurrent streams.
    pub batch: u32,
    /// Decode tok/s over all streams (batch × per-stream).
    pub aggregate_decode_tok_s: Option<f64>,
    /// Decode tok/s (per stream; null when it does not fit).
    pub decode_tok_s: Option<f64>,
    /// Lower end of the decode interval.
    pub decode_tok_s_lo: Option<f64>,
    /// Upper end of the decode interval.
    pub decode_tok_s_hi: Option<f64>,
    /// Prefill tok/s.
    pub prefill_tok_s: Option<f64>,
    /// Lower end of the prefill interval.
    pub prefill_tok_s_lo: Option<f64>,
    /// Upper end of the prefill interval.
    pub prefill_tok_s_hi: Option<f64>,
    /// Time to first token, s.
    pub ttft_s: Option<f64>,
    /// Prompt + generation, s.
    pub total_s: Option<f64>,
    /// Decode bound (memory|compute|link|latency : tier).
    pub bound: Bound,
    /// Prefill bound.
    pub prefill_bound: Bound,
    /// Decode tok/s at 100% of peak bandwidth.
    pub roofline_tok_s: f64,
    /// Bytes read per decoded token, by tier.
    pub bytes_per_token_fast: u64,
    /// Host-tier bytes per token.
    pub bytes_per_token_host: u64,
    /// Link bytes per token.
    pub bytes_per_token_link: u64,
    /// fitted | family | backend | prior.
    pub efficiency: &'static str,
    /// Why the prediction extrapolates past the calibration (short reasons; empty when none).
    pub extrapolation: crate::scenario::extrapolation::Reasons,
    /// Device price, USD.
    pub price_usd: Option<f64>,
    /// Energy per generated token, J: the power decode draws over decode tok/s for a device
    /// with power data (`model/power.rs`), else the rated power over decode tok/s.
    pub energy_j_per_token: Option<f64>,
    /// The board power limit, W (null without power data; always present so every row of a
    /// stream has the same columns).
    pub power_limit_w: Option<f64>,
    /// Board power decode draws under that limit, W.
    pub decode_power_w: Option<f64>,
    /// Board power prefill draws under that limit, W.
    pub prefill_power_w: Option<f64>,
    /// Electricity plus the price amortized at full use, USD per 1M generated tokens
    /// (`advise::energy`; null without a price).
    pub local_usd_per_m_tokens: Option<f64>,
    /// The benchmark command that measures this scenario (llama-bench, vLLM or MLX; `fit` and
    /// `predict` give it to every row, `sweep` to none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_command: Option<String>,
    /// Largest context that stays in fast memory (`fit` only; a sweep row never has it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_fast_ctx: Option<u64>,
}

/// Predicts and builds the row with the command that measures it (`predict`, `fit`; sweeps
/// skip the command: building it costs more than the prediction).
pub fn row<'a>(r: &Resolved<'a>) -> (ScenarioRow<'a>, Prediction) {
    let p = predict(&r.scenario);
    let mut row = row_from(r, &p);
    row.verify_command = Some(super::verify::verify_command(
        &r.scenario,
        &p.placement,
        &r.backend.id,
    ));
    (row, p)
}

/// Builds the row from a prediction.
pub fn row_from<'a>(r: &Resolved<'a>, p: &Prediction) -> ScenarioRow<'a> {
    let mut row = row_of(r, p);
    widen(
        &mut row.decode_tok_s,
        &mut row.decode_tok_s_lo,
        &mut row.decode_tok_s_hi,
        r.heldout[0],
    );
    widen(
        &mut row.prefill_tok_s,
        &mut row.prefill_tok_s_lo,
        &mut row.prefill_tok_s_hi,
        r.heldout[1],
    );
    row
}

/// Widens an interval to hold `v · exp(q₀.₀₅) … v · exp(q₀.₉₅)`, the held-out band.
fn widen(
    v: &mut Option<f64>,
    lo: &mut Option<f64>,
    hi: &mut Option<f64>,
    band: Option<(f64, f64)>,
) {
    if let (Some(v), Some(lo), Some(hi), Some((q_lo, q_hi))) = (*v, lo.as_mut(), hi.as_mut(), band)
    {
        *lo = lo.min(v * q_lo.exp());
        *hi = hi.max(v * q_hi.exp());
    }
}

/// The row as the prediction gives it.
fn row_of<'a>(r: &Resolved<'a>, p: &Prediction) -> ScenarioRow<'a> {
    let s = &r.scenario;
    let f = &p.footprint;
    let pl = &p.placement;
    let cost = p.decode_tok_s.filter(|d| d.value > 0.0).map(|d| {
        local_cost_at_full_use(
            p.power.map_or(s.device.raw.power_w, |w| w.decode.power_w),
            s.device.price_usd(),
            r.local_cost.amortization_years,
            r.local_cost.kwh_usd,
            1.0 / d.value,
        )
    });
    ScenarioRow {
        device: Cow::Borrowed(&s.device.raw.id),
        model: Cow::Borrowed(&s.model.id),
        quant: Cow::Borrowed(&s.quant.id),
        backend: Cow::Borrowed(&r.backend.id),
        kv_type: Cow::Borrowed(&r.kv.id),
        ctx: s.ctx,
        depth: s.depth,
        prompt: s.prompt,
        gen: s.gen,
        weights_bytes: bytes(f.weights),
        kv_bytes: bytes(f.kv),
        state_bytes: bytes(f.state),
        overhead_bytes: bytes(f.overhead),
        total_bytes: bytes(f.total()),
        fast_need_bytes: bytes(pl.fast_need),
        usable_bytes: bytes(pl.usable_fast),
        headroom_bytes: signed(pl.usable_fast - pl.fast_need),
        fast_bytes: bytes(pl.fast_bytes),
        host_bytes: bytes(pl.host_bytes),
        verdict: pl.verdict,
        offload: pl.offload,
        gpu_layers: pl.gpu_layers,
        n_layers: pl.n_layers,
        batch: s.batch,
        aggregate_decode_tok_s: p.decode_tok_s.map(|e| e.value * f64::from(s.batch)),
        decode_tok_s: p.decode_tok_s.map(|e| e.value),
        decode_tok_s_lo: p.decode_tok_s.map(|e| e.lo),
        decode_tok_s_hi: p.decode_tok_s.map(|e| e.hi),
        prefill_tok_s: p.prefill_tok_s.map(|e| e.value),
        prefill_tok_s_lo: p.prefill_tok_s.map(|e| e.lo),
        prefill_tok_s_hi: p.prefill_tok_s.map(|e| e.hi),
        ttft_s: p.ttft_s,
        total_s: p.total_s,
        bound: p.decode.bound,
        prefill_bound: p.prefill.bound,
        roofline_tok_s: p.roofline_tok_s,
        bytes_per_token_fast: bytes(p.decode.bytes_fast),
        bytes_per_token_host: bytes(p.decode.bytes_host),
        bytes_per_token_link: bytes(p.decode.bytes_link),
        efficiency: r.provenance.label(),
        extrapolation: r.extrapolation,
        price_usd: s.device.price_usd(),
        energy_j_per_token: cost.map(|c| c.energy_j_per_token),
        power_limit_w: p.power.map(|w| w.limit_w),
        decode_power_w: p.power.map(|w| w.decode.power_w),
        prefill_power_w: p.power.map(|w| w.prefill.power_w),
        local_usd_per_m_tokens: cost.and_then(|c| c.local_usd_per_m_tokens),
        verify_command: None,
        max_fast_ctx: None,
    }
}

/// A byte count as a whole number (CSV and JSON carry integers).
fn bytes(b: crate::units::Bytes) -> u64 {
    b.0.round().max(0.0) as u64
}

/// A signed byte difference as a whole number.
fn signed(b: crate::units::Bytes) -> i64 {
    b.0.round() as i64
}

impl ScenarioRow<'_> {
    /// The row with its names owned, to outlive the databases or model file it came from.
    pub fn into_owned(self) -> ScenarioRow<'static> {
        let own = |c: Cow<'_, str>| Cow::Owned(c.into_owned());
        ScenarioRow {
            device: own(self.device),
            model: own(self.model),
            quant: own(self.quant),
            backend: own(self.backend),
            kv_type: own(self.kv_type),
            ..self
        }
    }
}

/// Formats an estimate as `16.2 (14.9–17.6)`.
pub fn with_interval(v: Option<f64>, lo: Option<f64>, hi: Option<f64>) -> String {
    match (v, lo, hi) {
        (Some(v), Some(lo), Some(hi)) => format!("{} ({}–{})", sig(v), sig(lo), sig(hi)),
        _ => "—".into(),
    }
}

/// Three significant digits, at most one decimal above 100.
pub fn sig(v: f64) -> String {
    if !v.is_finite() {
        "∞".into()
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
