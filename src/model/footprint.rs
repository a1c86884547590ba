//! Memory footprint: weights by group and quant, KV cache by attention kind, recurrent
//! state, runtime overhead; and the bytes and attention FLOPs one decoded token touches.
//!
//! KV cache per sequence at context c (elements × element bytes):
//! full `2 · kv_heads · head_dim · c`, sliding `2 · kv_heads · head_dim · min(c, window)`,
//! MLA `(kv_lora_rank + rope_dim) · c` (the latent, as llama.cpp stores it for DeepSeek),
//! Gated DeltaNet a fixed f32 state `vh · kd · vd + (conv − 1)(2·kh·kd + vh·vd)`, Mamba2 a
//! fixed f32 state `heads · head_dim · state + (conv − 1)(d_inner + 2·groups·state)`.

use super::coefs::ModelCoefs;
use super::params::ParamGroups;
use crate::db::model::ModelRaw;
use crate::db::quant::QuantRaw;
use crate::units::{Bytes, Flop};

/// Weight bytes by group for one quantization.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct WeightBytes {
    /// Embedding table.
    pub embedding: Bytes,
    /// Output head as stored (0 when tied).
    pub output: Bytes,
    /// The weights the output head's matmul reads: the output head, or the embedding table
    /// when tied (llama.cpp loads that a second time, as the output layer's tensor).
    pub head: Bytes,
    /// Mixers and dense FFNs (everything per layer except routed experts).
    pub dense_layers: Bytes,
    /// All routed experts.
    pub experts: Bytes,
    /// The routed experts one token activates.
    pub experts_active: Bytes,
}

impl WeightBytes {
    /// Everything stored.
    pub fn total(&self) -> Bytes {
        self.embedding + self.output + self.dense_layers + self.experts
    }
    /// Everything in memory once loaded: the stored weights, with a tied table twice.
    pub fn loaded(&self) -> Bytes {
        self.embedding + self.head + self.dense_layers + self.experts
    }
    /// Every group multiplied by `k` (to match a measured file size).
    pub fn scaled(&self, k: f64) -> WeightBytes {
        WeightBytes {
            embedding: self.embedding * k,
            output: self.output * k,
            head: self.head * k,
            dense_layers: self.dense_layers * k,
            experts: self.experts * k,
            experts_active: self.experts_active * k,
        }
    }
    /// Bytes read to decode one token at batch 1 (embedding table excluded: one row is read).
    pub fn read_per_token(&self) -> Bytes {
        self.head + self.dense_layers + self.experts_active
    }
}

/// Bits per weight of the routed experts: the scheme's, never above a native quantization.
fn expert_bpw(q: &QuantRaw, native_bpw: Option<f64>) -> f64 {
    let b = q.group_bpw("experts");
    native_bpw.map_or(b, |n| b.min(n))
}

/// Weight bytes of a model under a quantization scheme. `native_expert_bpw` is the bpw of
/// experts shipped pre-quantized (gpt-oss MXFP4), which no scheme stores larger.
pub fn weight_bytes(p: &ParamGroups, q: &QuantRaw, native_expert_bpw: Option<f64>) -> WeightBytes {
    let b = |params: f64, group: &str| Bytes(params * q.group_bpw(group) / 8.0);
    let eb = expert_bpw(q, native_expert_bpw);
    // A tied table is stored once, at the output head's type (llama.cpp quantizes it as output).
    let tied = p.output == 0.0;
    let embedding = b(p.embedding, if tied { "output" } else { "embedding" });
    let output = b(p.output, "output");
    WeightBytes {
        embedding,
        output,
        head: if tied { embedding } else { output },
        dense_layers: b(p.attention, "attention")
            + b(p.linear, "linear")
            + b(p.mamba, "mamba")
            + b(p.ffn, "ffn")
            + b(p.shared_experts, "shared_experts"),
        experts: Bytes(p.experts * eb / 8.0),
        experts_active: Bytes(p.experts_active * eb / 8.0),
    }
}

/// A model's parameter groups and their bytes under a scheme, scaled to a model file's
/// measured size when one is given: what every scenario of that (model, quant) shares.
pub fn model_weights(
    m: &ModelRaw,
    q: &QuantRaw,
    native_expert_bpw: Option<f64>,
    file_bytes: Option<Bytes>,
) -> (ParamGroups, WeightBytes) {
    let p = super::params::param_groups(m);
    let mut weights = weight_bytes(&p, q, native_expert_bpw);
    if let Some(w) = file_bytes {
        weights = weights.scaled(w.0 / weights.total().0);
    }
    (p, weights)
}

/// KV cache bytes of one sequence holding `ctx` tokens (context-dependent part only).
pub fn kv_bytes(m: &ModelRaw, ctx: f64, kv_elem_bytes: f64) -> Bytes {
    Bytes(ModelCoefs::of(m).kv_bytes(ctx, kv_elem_bytes))
}

/// KV bytes one more token of context adds while every window is still filling (the
/// largest growth rate; sliding layers stop growing past their window).
pub fn kv_bytes_per_token(m: &ModelRaw, kv_elem_bytes: f64) -> Bytes {
    kv_bytes(m, 1.0, kv_elem_bytes)
}

/// Fixed recurrent state of one sequence (Gated DeltaNet and Mamba2 layers), f32.
pub fn state_bytes(m: &ModelRaw) -> Bytes {
    Bytes(ModelCoefs::of(m).state_bytes())
}

/// Attention FLOPs of one decoded token with `ctx` tokens in the cache: `4 · heads ·
/// head_dim · ctx` per full layer (QKᵀ and AV), the window for sliding layers, and
/// `2 · heads · (2 · kv_lora + rope) · ctx` per MLA layer (absorbed form).
pub fn decode_attn_flop(m: &ModelRaw, ctx: f64) -> Flop {
    Flop(ModelCoefs::of(m).decode_attn_flop(ctx))
}

/// Attention FLOPs of `n` prompt tokens entering at depth `d` (causal: token i attends to
/// d + i earlier tokens and itself), windows applied.
pub fn prefill_attn_flop(m: &ModelRaw, n: f64, d: f64) -> Flop {
    Flop(ModelCoefs::of(m).prefill_attn_flop(n, d))
}
