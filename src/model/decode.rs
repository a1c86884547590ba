//! Decode: time of one step (one token per stream; batch 1 by default), a roofline per tier.
//!
//! `t = (B_fast + W_copy) / (η·BW_fast) + F / (η_c·P) + B_host / (η_h·BW_host) + B_link / (η_l·BW_link)
//!      + t_fixed + t_layer · L + t_expert · E_calls + t_attn`, `t_attn = κ_d,fa · F_attn(c) / P` with flash
//!      attention and `κ_d · KV(c) / BW_fast` without
//! where `B_*` are the bytes one token reads from each tier (active weights, the KV cache at
//! depth `c`, the recurrent state, of the footprint's share of the layers), `W_copy` the FP16
//! copy a backend that dequantizes for a batch this large writes and reads (see
//! [`super::Scenario::dequant_bytes`]), `F = 2 · active matmul parameters`, `P` the device's
//! sustained FP16 peak (the datasheet peak under its power limit),
//! `t_fixed` and `t_layer · L` the fixed time of a step, per token and per layer (the blocks'
//! small kernels and launches; `L` the layers in Llama-layer equivalents of the kernels each layer launches (`src/model/graph_nodes.rs`)), `t_attn` the attention kernels' cost beyond their KV
//! reads and `t_expert · E_calls`
//! the cost of each routed-expert activation (MoE layers × experts per token), both calibrated.

use super::placement::{Footprint, Placement};
pub use super::step::{Bound, BoundKind, DecodeStep};
use super::{tier_names, Scenario, TierName};
use crate::units::{Bytes, Seconds};

/// Time of one decode step — one token for each of the scenario's `batch` streams — with
/// `depth` tokens in each stream's cache. Batch B reads the shared weights once, the
/// experts the B tokens touch (`E·(1 − (1 − k/E)^B)` per layer) and B caches, and does B
/// tokens of matmul and attention work.
pub fn decode_step(s: &Scenario, f: &Footprint, pl: &Placement, depth: f64) -> DecodeStep {
    if let Some(c) = &s.cpu {
        return super::cpu::decode_step(s, c, f, pl, depth);
    }
    let d = s.device;
    let (fast_name, host_name) = tier_names(d);
    let b = f64::from(s.batch.max(1));
    // f.state already holds every stream's state; the KV read is each stream's cache (of the
    // footprint's share of the layers).
    let kv_one = Bytes(s.coefs.kv_bytes(depth, s.kv_elem_bytes));
    let kv = kv_one * (b * f.layer_share) + f.state;
    let experts_read = s.weights.experts * s.experts_touched_frac();
    let layer_read = s.weights.dense_layers + experts_read;
    let h = pl.host_layer_frac;
    let e = pl.host_expert_frac;
    let sf = pl.stream_frac;
    let experts_host = experts_read * e;
    let bytes_host = (layer_read + kv) * h + experts_host;
    let bytes_link = layer_read * sf;
    let bytes_fast = s.weights.head + (layer_read + kv) * (1.0 - h) - experts_host - bytes_link;

    // Memory-mapped weights beyond host memory are re-read from disk every token.
    let disk_share = if pl.disk_bytes.0 > 0.0 {
        pl.disk_bytes.0 / (pl.host_bytes.0 + pl.disk_bytes.0)
    } else {
        0.0
    };
    let bytes_disk = bytes_host * disk_share;
    let bytes_host = bytes_host - bytes_disk;
    let t_disk = Seconds(bytes_disk.0 / (s.host_eff.disk_gb_s * 1e9));
    let eff = &s.eff;
    // Where the backend dequantizes for a batch this large, the FP16 copy is written and read too.
    // A batch in the fused per-expert regime reads the touched experts once more, as a prefill
    // micro-batch of that many tokens does.
    let t_fast_memory = (bytes_fast + s.dequant_bytes(&s.params, b) * (1.0 - h))
        / (d.fast.bandwidth * eff.bandwidth_frac)
        + Seconds(eff.prefill_expert_read * s.expert_mmq_read_s(pl, b));
    let (t_fast_compute, t_expert_compute) = s.matmul_time(&s.params, b * (1.0 - h), b);
    let t_host = match s.host {
        Some(t) if bytes_host.0 > 0.0 => bytes_host / (t.bandwidth * s.host_eff.bandwidth_frac),
        _ => Seconds::ZERO,
    };
    let t_link = match d.link {
        Some(l) if bytes_link.0 > 0.0 => bytes_link / (l * s.host_eff.link_frac),
        _ => Seconds::ZERO,
    };
    // Flash attention's fused kernel costs in proportion to its FLOPs; the non-flash path
    // (separate KQ and KQV matmuls, an f32 score matrix, a transposed V) in proportion to the
    // cache it walks, which is why a model without GQA slows down 4× faster than one with it.
    let share = b * f.layer_share;
    let t_attn = if s.flash_attn {
        Seconds(eff.decode_attn_fa * share * s.coefs.decode_attn_flop(depth) / d.sustained_peak.0)
    } else {
        kv_one * (eff.decode_attn * share) / d.fast.bandwidth
    };
    let t_overhead = Seconds(s.step_fixed_s() + eff.expert_s * s.expert_calls());
    let t_latency = t_overhead + t_attn;
    // llama.cpp's decode kernels stream weights and do the batch's arithmetic in the same
    // pass without hiding one behind the other: the two add (at batch 1 compute is small).
    let time = t_fast_memory + t_fast_compute + t_host + t_link + t_disk + t_latency;
    let terms = [
        (
            t_disk,
            Bound {
                kind: BoundKind::Disk,
                tier: TierName::Nvme,
            },
        ),
        (
            t_fast_memory,
            Bound {
                kind: BoundKind::Memory,
                tier: fast_name,
            },
        ),
        (
            t_fast_compute,
            Bound {
                kind: BoundKind::Compute,
                tier: fast_name,
            },
        ),
        (
            t_host,
            Bound {
                kind: BoundKind::Memory,
                tier: host_name,
            },
        ),
        (
            t_link,
            Bound {
                kind: BoundKind::Link,
                tier: TierName::Link,
            },
        ),
        (
            t_latency,
            Bound {
                kind: BoundKind::Latency,
                tier: fast_name,
            },
        ),
    ];
    let bound = Bound::largest(&terms);
    DecodeStep {
        time,
        bytes_fast,
        bytes_host,
        bytes_link,
        bytes_disk,
        t_disk,
        t_fast_memory,
        t_fast_compute,
        t_expert_compute,
        t_host,
        t_link,
        t_latency,
        t_overhead,
        bound,
    }
}

/// The hard bound: tok/s at 100% of peak bandwidth on every tier and no fixed time.
pub fn roofline_tok_s(s: &Scenario, st: &DecodeStep) -> f64 {
    let d = s.device;
    let mut t = st.bytes_fast / d.fast.bandwidth;
    if let Some(h) = s.host {
        if st.bytes_host.0 > 0.0 {
            t += st.bytes_host / h.bandwidth;
        }
    }
    if let Some(l) = d.link {
        if st.bytes_link.0 > 0.0 {
            t += st.bytes_link / l;
        }
    }
    t += st.t_disk;
    1.0 / t.0
}
