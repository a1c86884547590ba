//! `check`: audits a published speed claim against physics and calibration.
//!
//! The hard bound is the roofline at 100% efficiency: decode cannot beat peak bandwidth over
//! the bytes one token reads (active weights, KV cache at that depth), prefill cannot beat
//! the FP16 peak over the FLOPs per prompt token. Above the bound the claim is `impossible`
//! as stated; above the calibrated interval it is `optimistic`; otherwise `plausible`.

use crate::model::params::param_groups;
use crate::model::predict::predict;
use crate::model::prefill::prefill_time;
use crate::scenario::Resolved;
use serde::Serialize;

/// Which phase a claim is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Token generation (decode).
    Tg,
    /// Prompt processing (prefill).
    Pp,
}

/// The audit of one claim.
#[derive(Debug, Clone, Serialize)]
pub struct CheckResult {
    /// Device id.
    pub device: String,
    /// Model id.
    pub model: String,
    /// Quant id.
    pub quant: String,
    /// Backend id.
    pub backend: String,
    /// Context, tokens.
    pub ctx: u64,
    /// tg or pp.
    pub test: Phase,
    /// The claimed speed.
    pub claimed_tok_s: f64,
    /// plausible | optimistic | impossible.
    pub verdict: &'static str,
    /// The physical bound at 100% efficiency.
    pub bound_tok_s: f64,
    /// The calibrated expectation.
    pub expected_tok_s: Option<f64>,
    /// Its interval.
    pub expected_tok_s_lo: Option<f64>,
    /// Its interval.
    pub expected_tok_s_hi: Option<f64>,
    /// Bandwidth the claim needs at batch 1 (tg), GB/s.
    pub required_bandwidth_gb_s: Option<f64>,
    /// Compute the claim needs (pp), TFLOP/s.
    pub required_tflops: Option<f64>,
    /// The device's peak bandwidth, GB/s.
    pub peak_bandwidth_gb_s: f64,
    /// The device's dense FP16 peak, TFLOP/s.
    pub peak_tflops: f64,
    /// Bytes read per decoded token.
    pub bytes_per_token: f64,
    /// What could make such a number appear.
    pub explanations: Vec<String>,
    /// The command that measures it.
    pub verify_command: String,
}

/// Audits a claim of `claimed` tok/s for `phase` in the scenario.
pub fn check(r: &Resolved, phase: Phase, claimed: f64) -> CheckResult {
    let s = &r.scenario;
    let p = predict(s);
    let d = s.device;
    let bytes = p.decode.bytes_fast.0 + p.decode.bytes_host.0 + p.decode.bytes_link.0;
    let n = s.prompt.max(1) as f64;
    let (bound, est) = match phase {
        Phase::Tg => (p.roofline_tok_s, p.decode_tok_s),
        Phase::Pp => {
            // Compute only, at 100% of the FP16 peak: no weight reads, no fixed time.
            let pt = prefill_time(
                &crate::model::Scenario {
                    eff: crate::calib::features::UNIT,
                    ..*s
                },
                &p.footprint,
                &p.placement,
                n,
                s.depth as f64,
            );
            (n / (pt.t_compute.0 + pt.t_attn.0), p.prefill_tok_s)
        }
    };
    let verdict = if claimed > bound {
        "impossible"
    } else if est.is_some_and(|e| claimed > e.hi) || est.is_none() {
        "optimistic"
    } else {
        "plausible"
    };
    let flop_per_token = 2.0 * param_groups(s.model).active_matmul();
    let mut explanations = Vec::new();
    if verdict != "plausible" {
        if phase == Phase::Tg {
            explanations.push(format!(
                "batch 1 needs {:.0} GB/s for {claimed} tok/s; the device peaks at {:.0} GB/s",
                claimed * bytes / 1e9,
                d.fast.bandwidth.gb_per_s()
            ));
            explanations.push("speculative decoding (a draft model) emits several tokens per pass over the weights".into());
            explanations.push(
                "batching: an aggregate over parallel streams is not single-stream speed".into(),
            );
            let bpw_needed = s.quant.bpw * (bound / claimed);
            explanations.push(format!("a smaller quant: at this bandwidth the claim needs about {bpw_needed:.1} bits per weight or fewer"));
            explanations.push("a different model (a smaller or MoE one with fewer active parameters) or an empty context".into());
        } else {
            explanations.push(format!(
                "{claimed} tok/s of prefill needs {:.0} TFLOP/s; the dense FP16 peak is {:.0} TFLOP/s",
                claimed * flop_per_token / 1e12,
                d.fp16_peak.tflops()
            ));
            explanations.push(
                "FP8/FP4 or sparse tensor throughput, or a cached prompt (prefix caching)".into(),
            );
            explanations.push("a smaller or MoE model, or a shorter prompt measured".into());
        }
    }
    CheckResult {
        device: d.id().to_string(),
        model: s.model.id.clone(),
        quant: s.quant.id.clone(),
        backend: r.backend.id.clone(),
        ctx: s.ctx,
        test: phase,
        claimed_tok_s: claimed,
        verdict,
        bound_tok_s: bound,
        expected_tok_s: est.map(|e| e.value),
        expected_tok_s_lo: est.map(|e| e.lo),
        expected_tok_s_hi: est.map(|e| e.hi),
        required_bandwidth_gb_s: (phase == Phase::Tg).then_some(claimed * bytes / 1e9),
        required_tflops: (phase == Phase::Pp).then_some(claimed * flop_per_token / 1e12),
        peak_bandwidth_gb_s: d.fast.bandwidth.gb_per_s(),
        peak_tflops: d.fp16_peak.tflops(),
        bytes_per_token: bytes,
        explanations,
        verify_command: super::verify::verify_command(s, &p.placement, &r.backend.id),
    }
}
