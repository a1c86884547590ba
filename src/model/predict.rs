//! One scenario end to end: footprint → placement → decode and prefill → time to first
//! token and total time, with intervals from the efficiency's relative error.

use super::decode::{decode_step, roofline_tok_s, DecodeStep};
use super::placement::{footprint, place, Footprint, Placement};
use super::power::{slow_decode, slow_prefill, PhaseAtLimit, PhaseTimes};
use super::prefill::{prefill_time, PrefillTime};
use super::{Offload, Scenario, Verdict};

/// A speed with its interval.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// Central value.
    pub value: f64,
    /// Lower end.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
}

impl Estimate {
    /// `value` with a symmetric relative error in log space: `[v / (1 + e), v · (1 + e)]`.
    pub fn with_rel_err(value: f64, e: f64) -> Estimate {
        Estimate {
            value,
            lo: value / (1.0 + e),
            hi: value * (1.0 + e),
        }
    }
}

/// The prediction of one scenario.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// Memory footprint.
    pub footprint: Footprint,
    /// Placement on tiers.
    pub placement: Placement,
    /// Decode step at the mean depth of the generation.
    pub decode: DecodeStep,
    /// Prefill of the prompt.
    pub prefill: PrefillTime,
    /// Decode tok/s (None when it does not fit).
    pub decode_tok_s: Option<Estimate>,
    /// Prefill tok/s.
    pub prefill_tok_s: Option<Estimate>,
    /// Time to first token, s.
    pub ttft_s: Option<f64>,
    /// Prompt plus generation, s.
    pub total_s: Option<f64>,
    /// Decode tok/s at 100% of peak bandwidth (the physical bound).
    pub roofline_tok_s: f64,
    /// Decode and prefill under the power limit, with the power drawn (devices with power
    /// data only).
    pub power: Option<PowerDraw>,
}

/// Decode and prefill under the scenario's power limit.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PowerDraw {
    /// The limit, W.
    pub limit_w: f64,
    /// Decode.
    pub decode: PhaseAtLimit,
    /// Prefill.
    pub prefill: PhaseAtLimit,
}

/// Predicts a scenario. With `Offload::Auto` the placements `layers`, `experts` (MoE only)
/// and `disk` are each predicted and the fastest that runs is returned.
pub fn predict(s: &Scenario) -> Prediction {
    if s.offload == Offload::Auto {
        let candidates = [Offload::Layers, Offload::Disk, Offload::Experts];
        let speed = |p: &Prediction| p.decode_tok_s.map_or(0.0, |e| e.value);
        return candidates
            .into_iter()
            .filter(|o| *o != Offload::Experts || s.model.is_moe())
            .map(|o| predict(&Scenario { offload: o, ..*s }))
            .fold(None, |best: Option<Prediction>, p| match best {
                Some(b) if speed(&b) >= speed(&p) => Some(b),
                _ => Some(p),
            })
            .expect("at least one candidate placement");
    }
    let f = footprint(s, s.ctx as f64);
    let pl = place(s, &f);
    predict_placed(s, &f, &pl)
}

/// Predicts a scenario whose footprint and placement are known.
pub fn predict_placed(s: &Scenario, f: &Footprint, pl: &Placement) -> Prediction {
    let mean_depth = (s.depth + s.prompt) as f64 + s.gen as f64 / 2.0;
    let mut decode = decode_step(s, f, pl, mean_depth);
    let prompt = s.prompt.max(1) as f64;
    let mut prefill = prefill_time(s, f, pl, prompt, s.depth as f64);
    let power = s.power.map(|m| {
        let d = m.at_limit(&PhaseTimes::of_decode(&decode));
        let p = m.at_limit(&PhaseTimes::of_prefill(&prefill));
        slow_decode(&mut decode, d.core_slowdown);
        slow_prefill(&mut prefill, p.core_slowdown);
        PowerDraw {
            limit_w: m.limit_w,
            decode: d,
            prefill: p,
        }
    });
    let runs = pl.verdict != Verdict::DoesNotFit;
    let dec = 1.0 / decode.time.0;
    let pp = prompt / prefill.time.0;
    let roofline = roofline_tok_s(s, &decode);
    Prediction {
        footprint: *f,
        placement: *pl,
        decode,
        prefill,
        // The interval never reaches past physics: its top is capped at the roofline.
        decode_tok_s: runs.then(|| {
            let e = Estimate::with_rel_err(dec, s.eff.decode_rel_err);
            Estimate {
                hi: e.hi.min(roofline),
                ..e
            }
        }),
        prefill_tok_s: runs.then(|| Estimate::with_rel_err(pp, s.eff.prefill_rel_err)),
        ttft_s: runs.then_some(prefill.time.0),
        total_s: runs.then_some(prefill.time.0 + s.gen as f64 * decode.time.0),
        roofline_tok_s: roofline,
        power,
    }
}
