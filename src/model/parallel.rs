//! Several devices serving one model: tensor parallel (every layer split across devices,
//! two all-reduces per layer over the link) or layer split (llama.cpp `--split-mode layer`,
//! RPC across hosts: consecutive layers per device, activations handed on once per device
//! boundary). Capacity adds up; single-stream speed does not.
//!
//! Shares follow usable fast memory (llama.cpp's default tensor split, over `L + 1` slots in a
//! layer split: the output layer is the last device's last slot). With `t_i` the
//! decode step of device i on its share:
//! - layer:  `t = Σ t_i + (N − 1)·(h·2 B / BW_link + lat)` — devices work in turn, each
//!   paying the per-token fixed, routed-expert and attention costs of its own layers only
//!   (its share of them); prefill is pipelined over the micro-batches of each logical batch
//!   (llama.cpp n_batch 2048: `m` = 4 micro-batches of 512), `max p_i + (Σ p_i − max p_i) / m`,
//!   with each device's attention its share of the model's;
//! - tensor: `t = max t_i + L · 2 · (2(N − 1)/N · h·2 B / BW_link + 2(N − 1) · lat)` — ring
//!   all-reduce after attention and after the FFN of each of the L layers; each device pays
//!   every layer's fixed costs but only its share of the attention heads.

use super::decode::decode_step;
use super::placement::{footprint, place, Footprint};
use super::predict::Estimate;
use super::prefill::prefill_time;
use super::{Offload, Scenario, Verdict};
use crate::units::Seconds;
use serde::Serialize;

/// How the model is split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// Every layer split across devices.
    Tensor,
    /// Consecutive layers per device (pipeline, one request at a time).
    Layer,
}

/// The link, in SI units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LinkSpec {
    /// Bytes per second per direction.
    pub bandwidth: f64,
    /// One-way small-message latency, s.
    pub latency: f64,
}

/// One device's part.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    /// Device id.
    pub device: String,
    /// Share of layer weights and caches.
    pub share: f64,
    /// Bytes it holds.
    pub fast_bytes: f64,
    /// Bytes it can hold.
    pub usable_bytes: f64,
    /// Its decode step alone, s.
    pub decode_step_s: f64,
}

/// The multi-device prediction.
#[derive(Debug, Clone, Serialize)]
pub struct MultiPrediction {
    /// The split.
    pub split: Split,
    /// Per device.
    pub parts: Vec<Part>,
    /// fits | does_not_fit (no offload across devices).
    pub verdict: Verdict,
    /// Decode tok/s.
    pub decode_tok_s: Option<Estimate>,
    /// Prefill tok/s.
    pub prefill_tok_s: Option<Estimate>,
    /// Time to first token, s.
    pub ttft_s: Option<f64>,
    /// Communication time per decoded token, s.
    pub decode_comm_s: f64,
}

/// One device's part of a split: the scenario with its share of the weights and parameters
/// (`output_share` of the output head), and its footprint.
fn share_of<'a>(s: &Scenario<'a>, share: f64, output_share: f64) -> (Scenario<'a>, Footprint) {
    let mut w = s.weights;
    w.dense_layers = w.dense_layers * share;
    w.experts = w.experts * share;
    w.experts_active = w.experts_active * share;
    w.output = w.output * output_share;
    w.head = w.head * output_share;
    let mut f = footprint(s, s.ctx as f64);
    f.weights = w.loaded();
    f.kv = f.kv * share;
    f.state = f.state * share;
    f.layer_share = share;
    let part = Scenario {
        weights: w,
        params: s.params.scaled(share, output_share),
        ..*s
    };
    (part, f)
}

/// Predicts a model split over the devices of `scs` (same model, quant and context; each
/// scenario carries its own device and efficiency).
pub fn predict_multi(scs: &[Scenario], split: Split, link: LinkSpec) -> MultiPrediction {
    let n = scs.len() as f64;
    let usable: Vec<f64> = scs.iter().map(|s| s.device.fast.usable.0).collect();
    let total: f64 = usable.iter().sum();
    let h2 = scs[0].model.hidden_size as f64 * 2.0 * f64::from(scs[0].batch.max(1));
    let layers = f64::from(scs[0].model.n_layers());
    let mut parts = Vec::with_capacity(scs.len());
    let (mut dec, mut pre) = (Vec::new(), Vec::new());
    let mut fits = true;
    // Layer split: llama.cpp splits `n_layer + 1` slots by usable memory, the output layer
    // being the last slot, so the device that holds it (the last one, unless its share is
    // under one slot) holds one block fewer than its memory share. Device i's slots are
    // `[start_i, end_i)`; blocks are slots `[0, L)`, the output head slot `L`.
    let mut start = 0.0;
    // Stages of a layer split: the devices that hold blocks or the head (a device under one
    // slot holds nothing and hands nothing on).
    let mut stages = 0usize;
    for (i, s) in scs.iter().enumerate() {
        let end = if i + 1 == scs.len() {
            layers + 1.0
        } else {
            start + usable[i] / total * (layers + 1.0)
        };
        let (share, output_share) = match split {
            // The output head is sharded by tensor parallel like everything else.
            Split::Tensor => (usable[i] / total, usable[i] / total),
            Split::Layer => (
                (end.min(layers) - start.min(layers)).max(0.0) / layers,
                if (start..end).contains(&layers) {
                    1.0
                } else {
                    0.0
                },
            ),
        };
        start = end;
        stages += usize::from(share > 0.0 || output_share > 0.0);
        let (part, f) = share_of(s, share, output_share);
        let pl = place(
            &Scenario {
                offload: Offload::None,
                gpu_layers: None,
                ..part
            },
            &f,
        );
        fits &= pl.verdict == Verdict::Fits;
        let depth = (s.depth + s.prompt) as f64 + s.gen as f64 / 2.0;
        let st = decode_step(&part, &f, &pl, depth);
        let pt = prefill_time(&part, &f, &pl, s.prompt.max(1) as f64, s.depth as f64);
        // Each device reads its share of the caches and does its share of the attention
        // (the footprint's layer share). A device of a layer split also runs only its layers'
        // kernels: the per-token and per-micro-batch fixed and routed-expert costs (calibrated
        // over the whole model) scale with its share. A tensor split runs every layer's
        // kernels on every device.
        let (dec_t, pre_t) = match split {
            Split::Layer => (
                st.time - st.t_overhead * (1.0 - share),
                pt.time - pt.t_overhead * (1.0 - share),
            ),
            Split::Tensor => (st.time, pt.time),
        };
        parts.push(Part {
            device: s.device.id().to_string(),
            share,
            fast_bytes: pl.fast_bytes.0.round(),
            usable_bytes: pl.usable_fast.0.round(),
            decode_step_s: dec_t.0,
        });
        dec.push(dec_t);
        pre.push(pre_t);
    }
    let prompt = scs[0].prompt.max(1) as f64;
    let (t_dec, comm, t_pre) = match split {
        Split::Layer => {
            let hops = stages.saturating_sub(1) as f64;
            let hop = |bytes: f64| hops * (bytes / link.bandwidth + link.latency);
            let sum = |v: &[Seconds]| v.iter().map(|x| x.0).sum::<f64>();
            // Prefill is pipelined over micro-batches (llama.cpp keeps several in flight): the
            // slowest stage sets the pace, the others only fill and drain the pipeline.
            let ub = scs[0].micro_batches(prompt);
            let slowest = pre.iter().map(|x| x.0).fold(0.0, f64::max);
            // Pipelined within each logical batch (n_batch 2048 = 4 micro-batches of 512),
            // filled and drained once per batch.
            let per = (2048.0 / f64::from(scs[0].ubatch.max(1)))
                .floor()
                .max(1.0)
                .min(ub);
            let piped = slowest + (sum(&pre) - slowest) / per;
            (sum(&dec) + hop(h2), hop(h2), piped + hop(h2 * prompt))
        }
        Split::Tensor => {
            let ring = |bytes: f64| {
                layers
                    * 2.0
                    * (2.0 * (n - 1.0) / n * bytes / link.bandwidth
                        + 2.0 * (n - 1.0) * link.latency)
            };
            let max = |v: &[Seconds]| v.iter().map(|x| x.0).fold(0.0, f64::max);
            (
                max(&dec) + ring(h2),
                ring(h2),
                max(&pre) + ring(h2 * prompt),
            )
        }
    };
    let e = &scs[0].eff;
    MultiPrediction {
        split,
        parts,
        verdict: if fits {
            Verdict::Fits
        } else {
            Verdict::DoesNotFit
        },
        decode_tok_s: fits.then(|| Estimate::with_rel_err(1.0 / t_dec, e.decode_rel_err)),
        prefill_tok_s: fits.then(|| Estimate::with_rel_err(prompt / t_pre, e.prefill_rel_err)),
        ttft_s: fits.then_some(t_pre),
        decode_comm_s: comm,
    }
}
