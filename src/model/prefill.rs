//! Prefill (prompt processing) and time to first token.
//!
//! For `n` prompt tokens entering at depth `d`, in micro-batches of `u` tokens:
//! `t = 2 · A · n / (η_c · P) + κ_p · F_attn(n, d) / P
//!      + ⌈n/u⌉ · ((W_fast + W_copy) / (η · BW_fast) + t_fixed + t_layer · L + t_expert,p · E_u
//!                + ρ_e · W_e,u / BW_fast)
//!      + ⌈n/u⌉ · W_host / (η_l · BW_link)`
//! with `P` the device's sustained FP16 peak (the datasheet peak under its power limit), `A`
//! the active matmul parameters (the dense ones counted for the tokens of whole tiles where the
//! backend's kernels tile a micro-batch, `gemm_token_tiles`), `F_attn` the attention FLOPs of
//! the footprint's share of the layers, `W` the weights a micro-batch reads (the dense
//! layers and the share `1 − (1 − k/E)^u` of the experts its `u` tokens route to: nearly all
//! at 512 tokens, `k/E` at one; every expert for measurements of builds whose batched expert
//! kernel ran them all, the backend's `expert_gemm_all` rule), `t_fixed + t_layer · L` a decode step's fixed cost (`L` in
//! Llama-layer equivalents of the layers' kernels; a one-token prompt is
//! one decode step), `E_u` the distinct routed-expert matmuls of the micro-batch
//! (MoE layers × E × that share: `k` per layer at one token), each with the batched expert
//! kernels' own fitted per-expert cost `t_expert,p` (`prefill_expert_s`; 0 in the priors),
//! `W_e,u` the weights of those distinct experts (the share the GPU runs from its own memory)
//! where the backend runs them through its fused quantized kernels one expert at a time (from
//! 2 tokens to below its `dequant_gemm` threshold: llama.cpp HIP on RDNA 3 below 64 tokens; 0
//! elsewhere), with their fitted extra read `ρ_e` (`prefill_expert_read`; 0 in the priors), and
//! host-resident weights copied over the link per micro-batch
//! (llama.cpp runs large batches on the GPU). `η_c` depends on the kernel family of the
//! weights (block quants, k-quants, floats): dequantizing a k-quant super-block costs more
//! than a Q4_0 block. Where the backend sends large quantized matmuls to dequantize + BLAS
//! (llama.cpp HIP on RDNA3 from 64 tokens), they run at the float fraction and each
//! micro-batch also writes and reads the FP16 copy of the dense layers, `W_copy` = 4 B per
//! parameter.

use super::placement::{Footprint, Placement};
pub use super::step::PrefillTime;
use super::step::{Bound, BoundKind};
use super::{tier_names, Scenario, TierName};
use crate::units::Seconds;

/// Time to process `n` prompt tokens entering at depth `d`.
pub fn prefill_time(s: &Scenario, f: &Footprint, pl: &Placement, n: f64, d: f64) -> PrefillTime {
    if let Some(c) = &s.cpu {
        return super::cpu::prefill_time(s, c, f, n, d);
    }
    let dev = s.device;
    let (fast_name, _) = tier_names(dev);
    let eff = &s.eff;
    let p = &s.params;
    let t_attn = Seconds(
        s.prefill_attn() * f.layer_share * s.coefs.prefill_attn_flop(n, d) / dev.sustained_peak.0,
    );
    let batches = s.micro_batches(n);
    let u = n / batches;
    let (t_compute, t_expert_compute) = s.matmul_time(p, n, u);
    let superseded = s.superseded_factor();
    let (t_compute, t_expert_compute) = (t_compute * superseded, t_expert_compute * superseded);
    // A micro-batch reads only the experts its tokens route to: nearly all of them at 512
    // tokens, k of E at one token (all of them on builds whose batched expert kernel ran
    // every expert).
    let experts = s.weights.experts * s.experts_read_frac_by(u);
    let w = s.weights.head + s.weights.dense_layers + experts;
    let host_share = pl.host_layer_frac.max(pl.stream_frac);
    let w_host = (s.weights.dense_layers + experts) * host_share + experts * pl.host_expert_frac;
    let w_fast = w - w_host;
    // Each micro-batch reads the fast-tier weights once and pays a decode step's fixed time
    // (one prompt token is one decode step) and the batched kernels' per-expert cost for every
    // distinct expert its tokens touch.
    // Where the backend dequantizes for a micro-batch this large, it writes and reads an FP16
    // copy of the dense weights too.
    // Where the backend runs the touched experts through fused kernels one at a time, they are
    // read once more (at the fitted multiple of peak bandwidth).
    let t_overhead =
        Seconds((s.step_fixed_s() + eff.prefill_expert_s * s.expert_calls_by(u)) * batches);
    let t_expert_read = Seconds(eff.prefill_expert_read * s.expert_mmq_read_s(pl, u) * batches);
    let t_memory = ((w_fast + s.dequant_bytes(p, u)) * batches)
        / (dev.fast.bandwidth * eff.bandwidth_frac)
        + t_overhead
        + t_expert_read;
    let t_link = match dev.link {
        Some(l) if w_host.0 > 0.0 => (w_host * batches) / (l * s.host_eff.link_frac),
        _ => Seconds::ZERO,
    };
    let time = t_compute + t_attn + t_memory + t_link;
    let terms = [
        (
            t_compute + t_attn,
            Bound {
                kind: BoundKind::Compute,
                tier: fast_name,
            },
        ),
        (
            t_memory,
            Bound {
                kind: BoundKind::Memory,
                tier: fast_name,
            },
        ),
        (
            t_link,
            Bound {
                kind: BoundKind::Link,
                tier: TierName::Link,
            },
        ),
    ];
    let bound = Bound::largest(&terms);
    PrefillTime {
        time,
        t_compute,
        t_expert_compute,
        t_attn,
        t_memory,
        t_link,
        t_overhead,
        bound,
    }
}
