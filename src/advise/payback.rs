//! Break-even by device: predict the speeds of the workload on each machine, evaluate
//! [`super::breakeven::breakeven`] at them, rank machines by payback.
//!
//! The workload is one request after another, each filling the context `ctx`: `R · g` prompt
//! tokens then `g = ctx / (1 + R)` generated tokens. Decode tok/s is predicted at the mean
//! depth of the generation, prefill tok/s for that prompt; the interval of each gives the
//! interval of the capacity. The break-even uses one stream (batch 1); `best_concurrency`
//! and `capacity_tokens_per_month_batched` give what the machine makes serving the batch
//! (power of two, caches in fast memory) with the highest aggregate decode speed.

use super::breakeven::{breakeven, explain, seconds_per_output_token, Breakeven, Ownership};
use crate::model::predict::predict;
use crate::scenario::{Options, Resolved};
use serde::Serialize;

/// What is compared, besides the machine.
#[derive(Debug, Clone)]
pub struct Request {
    /// API cost per 1M output tokens, input included (see `ApiPrice::usd_per_m_output`).
    pub api_usd_per_m_tokens: f64,
    /// Input tokens per output token.
    pub input_per_output: f64,
    /// Years the purchase is amortized over.
    pub years: f64,
    /// Electricity, USD per kWh.
    pub kwh_usd: f64,
    /// Output tokens a month (None: the machine's capacity).
    pub tokens_per_month: Option<f64>,
    /// Hours a day the machine is on.
    pub hours_per_day: f64,
}

/// What the machine draws: busy (None: what the prediction says it draws for the workload on
/// a device with power data, else its rated power) and idle, W.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Draw {
    /// Power while busy, W (None: predicted or rated).
    pub busy_w: Option<f64>,
    /// Power while on and idle, W.
    pub idle_w: f64,
}

/// The scenario options of the workload: requests filling `ctx`, `R` prompt tokens per
/// generated token.
pub fn workload_options(base: &Options, ctx: u64, input_per_output: f64) -> Options {
    let gen = ((ctx as f64 / (1.0 + input_per_output)).round() as u64).clamp(1, ctx.max(1));
    Options {
        ctx: Some(ctx),
        depth: 0,
        prompt: Some(ctx.saturating_sub(gen)),
        gen,
        ..base.clone()
    }
}

/// One machine's break-even, with the speeds it rests on.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceBreakeven {
    /// Device id.
    pub device: String,
    /// Model id.
    pub model: String,
    /// Quant id.
    pub quant: String,
    /// Backend id.
    pub backend: String,
    /// Context of each request, tokens.
    pub ctx: u64,
    /// fits | spills | does_not_fit.
    pub memory_verdict: &'static str,
    /// Purchase price, USD.
    pub price_usd: f64,
    /// Where the price comes from: the database entry (with its date) or `--price-usd`.
    pub price_source: String,
    /// Power while busy, W (for a device with power data, the mean of what decode and
    /// prefill draw, weighted by their time).
    pub power_w: f64,
    /// Power while on and idle, W.
    pub idle_w: f64,
    /// Hours a day the machine is on.
    pub hours_per_day: f64,
    /// Electricity, USD per kWh.
    pub kwh_usd: f64,
    /// Years amortized over.
    pub years: f64,
    /// Input tokens per output token.
    pub input_per_output: f64,
    /// Decode tok/s at the mean depth of a request.
    pub decode_tok_s: Option<f64>,
    /// Lower end of the decode interval.
    pub decode_tok_s_lo: Option<f64>,
    /// Upper end of the decode interval.
    pub decode_tok_s_hi: Option<f64>,
    /// Prefill tok/s of a request's prompt (null when requests have no prompt, R = 0).
    pub prefill_tok_s: Option<f64>,
    /// Seconds busy per output token (`1/decode + R/prefill`).
    pub seconds_per_output_token: Option<f64>,
    /// Concurrent streams the capacity assumes (1: batching is not modelled yet).
    pub concurrency: u32,
    /// The batch (streams decoded together, caches all in fast memory) that makes the most
    /// tokens; null when even one stream does not fit fast memory.
    pub best_concurrency: Option<u32>,
    /// Aggregate decode tok/s at that batch.
    pub best_concurrency_decode_tok_s: Option<f64>,
    /// Output tokens a month at that batch, running flat out.
    pub capacity_tokens_per_month_batched: Option<f64>,
    /// Capacity at the low end of the speed intervals.
    pub capacity_tokens_per_month_lo: Option<f64>,
    /// Capacity at the high end of the speed intervals.
    pub capacity_tokens_per_month_hi: Option<f64>,
    /// The break-even.
    #[serde(flatten)]
    pub breakeven: Breakeven,
    /// The verdict in one sentence.
    pub explanation: String,
}

/// Evaluates one resolved scenario (built with [`workload_options`]) at a price and power.
pub fn evaluate(
    r: &Resolved,
    req: &Request,
    price_usd: f64,
    price_source: String,
    draw: Draw,
) -> DeviceBreakeven {
    let p = predict(&r.scenario);
    let ipo = req.input_per_output;
    let power_w = draw
        .busy_w
        .unwrap_or_else(|| busy_power_w(&p, r.scenario.device.raw.power_w, ipo));
    let spt = |d: Option<f64>, pf: Option<f64>| match (d, pf) {
        (Some(d), Some(pf)) if d > 0.0 && pf > 0.0 => Some(seconds_per_output_token(d, pf, ipo)),
        _ => None,
    };
    let dec = p.decode_tok_s;
    let pre = p.prefill_tok_s;
    let t = spt(dec.map(|e| e.value), pre.map(|e| e.value));
    let t_lo_speed = spt(dec.map(|e| e.lo), pre.map(|e| e.lo));
    let t_hi_speed = spt(dec.map(|e| e.hi), pre.map(|e| e.hi));
    let own = Ownership {
        price_usd,
        years: req.years,
        power_w,
        idle_w: draw.idle_w,
        hours_per_day: req.hours_per_day,
        kwh_usd: req.kwh_usd,
    };
    let b = breakeven(&own, req.api_usd_per_m_tokens, t, req.tokens_per_month);
    let cap = |t: Option<f64>| t.map(super::energy::capacity_tokens_per_month);
    let best = best_batch(&r.scenario);
    DeviceBreakeven {
        device: r.scenario.device.id().to_string(),
        model: r.scenario.model.id.clone(),
        quant: r.scenario.quant.id.clone(),
        backend: r.backend.id.clone(),
        ctx: r.scenario.ctx,
        memory_verdict: p.placement.verdict.as_str(),
        price_usd,
        price_source,
        power_w,
        idle_w: draw.idle_w,
        hours_per_day: req.hours_per_day,
        kwh_usd: req.kwh_usd,
        years: req.years,
        input_per_output: ipo,
        decode_tok_s: dec.map(|e| e.value),
        decode_tok_s_lo: dec.map(|e| e.lo),
        decode_tok_s_hi: dec.map(|e| e.hi),
        prefill_tok_s: pre.filter(|_| ipo > 0.0).map(|e| e.value),
        seconds_per_output_token: t,
        concurrency: 1,
        best_concurrency: best.map(|b| b.0),
        best_concurrency_decode_tok_s: best.map(|b| b.1),
        capacity_tokens_per_month_batched: best
            .and_then(|b| spt(Some(b.1), pre.map(|e| e.value)))
            .map(super::energy::capacity_tokens_per_month),
        capacity_tokens_per_month_lo: cap(t_lo_speed),
        capacity_tokens_per_month_hi: cap(t_hi_speed),
        explanation: explain(&b, req.years),
        breakeven: b,
    }
}

/// Power while busy on the workload: with power data, decode's and prefill's draws weighted
/// by the time each takes per output token (`1/decode`, `R/prefill`); else `rated_w`.
fn busy_power_w(p: &crate::model::predict::Prediction, rated_w: f64, ipo: f64) -> f64 {
    let (Some(w), Some(d)) = (p.power, p.decode_tok_s.filter(|d| d.value > 0.0)) else {
        return rated_w;
    };
    let t_dec = 1.0 / d.value;
    let t_pre = match p.prefill_tok_s {
        Some(x) if ipo > 0.0 && x.value > 0.0 => ipo / x.value,
        _ => 0.0,
    };
    (w.decode.power_w * t_dec + w.prefill.power_w * t_pre) / (t_dec + t_pre)
}

/// The batch (a power of two up to 256, caches all in fast memory) with the highest aggregate
/// decode speed, and that speed.
fn best_batch(s: &crate::model::Scenario) -> Option<(u32, f64)> {
    use crate::model::{Offload, Verdict};
    let mut best: Option<(u32, f64)> = None;
    for b in std::iter::successors(Some(1u32), |b| (*b < 256).then_some(b * 2)) {
        let p = predict(&crate::model::Scenario {
            batch: b,
            offload: Offload::None,
            ..*s
        });
        if p.placement.verdict != Verdict::Fits {
            break;
        }
        let agg = p.decode_tok_s.map_or(0.0, |e| e.value) * f64::from(b);
        if best.is_none_or(|(_, v)| agg > v) {
            best = Some((b, agg));
        }
    }
    best
}

/// Sorts machines where the model fits in fast memory first, then those that spill to host
/// memory (their speed rests on the host PC, whose price is not in a card's), then those
/// where it does not run; within each, by payback (paying off first, soonest first), then by
/// the payback whatever the years, then by id.
pub fn rank(rows: &mut [DeviceBreakeven]) {
    let key = |r: &DeviceBreakeven| {
        let memory = match r.memory_verdict {
            "fits" => 0,
            "spills" => 1,
            _ => 2,
        };
        (
            memory,
            r.breakeven.payback_months.unwrap_or(f64::INFINITY),
            r.breakeven.simple_payback_months.unwrap_or(f64::INFINITY),
        )
    };
    rows.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0)
            .then(ka.1.total_cmp(&kb.1))
            .then(ka.2.total_cmp(&kb.2))
            .then(a.device.cmp(&b.device))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_fills_the_context() {
        let o = workload_options(&Options::default(), 4096, 0.0);
        assert_eq!((o.prompt, o.gen), (Some(0), 4096));
        let o = workload_options(&Options::default(), 4096, 3.0);
        assert_eq!((o.prompt, o.gen), (Some(3072), 1024));
        let o = workload_options(&Options::default(), 10, 1e6);
        assert_eq!((o.prompt, o.gen), (Some(9), 1));
    }
}
