//! The model's coefficients in the footprint and step formulas: what a prediction needs of the
//! architecture, worked out once per scenario instead of from the layer stack at every
//! prediction (a sweep predicts each scenario at several contexts).
//!
//! KV elements per token of context, attention FLOPs per (query, key) pair, each summed over
//! the layers of a kind (full, sliding, MLA; see [`super::footprint`] for the formulas), the
//! recurrent state, the layer count and the routed-expert counts. Each coefficient is the
//! product the formulas form first (`layers × per-token elements`), so a prediction from the
//! coefficients does the same floating-point operations, in the same order, as one from the
//! architecture, and gives the same bits. Layer kinds a model lacks have coefficient 0, which
//! adds an exact 0 for the finite spans a prediction asks about.

use crate::db::model::{FfnKind, Mixer, ModelRaw};

/// Bytes of an f32 recurrent-state element (llama.cpp keeps SSM and conv states in f32).
const STATE_ELEM_BYTES: f64 = 4.0;

/// A model's coefficients (see the module docs).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ModelCoefs {
    /// KV elements per token, all full-attention layers: `layers · 2 · kv_heads · head_dim`.
    kv_full: f64,
    /// The same for the sliding-window layers.
    kv_sliding: f64,
    /// The sliding window, tokens (0 without one).
    window: f64,
    /// KV elements per token, all MLA layers: `layers · (kv_lora + rope)`.
    kv_mla: f64,
    /// Attention FLOPs per (query, key) pair, all full layers: `layers · 4 · heads · head_dim`.
    flop_full: f64,
    /// The same for the sliding-window layers.
    flop_sliding: f64,
    /// All MLA layers: `layers · 2 · heads · (2 · kv_lora + rope)`.
    flop_mla: f64,
    /// Recurrent state of one sequence, bytes.
    state_bytes: f64,
    /// Layers.
    pub n_layers: u32,
    /// Layers in Llama-layer equivalents of the kernels each launches
    /// ([`super::graph_nodes::layer_equivalents`]).
    pub layer_equivalents: f64,
    /// Routed-expert activations per token: MoE layers × experts per token.
    pub expert_calls: f64,
    /// Routed experts over all MoE layers: MoE layers × experts.
    pub experts_all: f64,
    /// The share of experts one token does not route to, `1 − k/E` (`None`: not a MoE).
    pub expert_miss: Option<f64>,
}

impl ModelCoefs {
    /// The coefficients of `m`.
    pub fn of(m: &ModelRaw) -> ModelCoefs {
        let mut c = ModelCoefs {
            state_bytes: state_elems(m) * STATE_ELEM_BYTES,
            n_layers: m.n_layers(),
            layer_equivalents: super::graph_nodes::layer_equivalents(m),
            ..ModelCoefs::default()
        };
        if let Some(a) = &m.attention {
            let per_tok = 2.0 * f64::from(a.kv_heads) * f64::from(a.head_dim);
            let per_pair = 4.0 * f64::from(a.heads) * f64::from(a.head_dim);
            let (full, sliding) = (
                f64::from(m.count_mixer(Mixer::Full)),
                f64::from(m.count_mixer(Mixer::Sliding)),
            );
            c.kv_full = full * per_tok;
            c.kv_sliding = sliding * per_tok;
            c.window = a.sliding_window.unwrap_or(0) as f64;
            c.flop_full = full * per_pair;
            c.flop_sliding = sliding * per_pair;
        }
        if let Some(a) = &m.mla {
            let layers = f64::from(m.count_mixer(Mixer::Mla));
            c.kv_mla = layers * f64::from(a.kv_lora_rank + a.qk_rope_head_dim);
            c.flop_mla = layers
                * (2.0 * f64::from(a.heads) * f64::from(2 * a.kv_lora_rank + a.qk_rope_head_dim));
        }
        let moe_layers = f64::from(m.count_ffn(FfnKind::Moe));
        let k = m.moe.as_ref().map_or(0, |e| e.experts_per_token);
        let e = m.moe.as_ref().map_or(0, |e| e.experts);
        c.expert_calls = moe_layers * f64::from(k);
        c.experts_all = moe_layers * f64::from(e);
        c.expert_miss = m
            .moe
            .as_ref()
            .map(|e| 1.0 - f64::from(e.experts_per_token) / f64::from(e.experts));
        c
    }

    /// KV cache bytes of one sequence holding `ctx` tokens (finite).
    pub fn kv_bytes(&self, ctx: f64, kv_elem_bytes: f64) -> f64 {
        (self.kv_full * ctx + self.kv_sliding * ctx.min(self.window) + self.kv_mla * ctx)
            * kv_elem_bytes
    }

    /// Recurrent state of one sequence, bytes.
    pub fn state_bytes(&self) -> f64 {
        self.state_bytes
    }

    /// Attention FLOPs of one decoded token with `ctx` tokens (finite) in the cache.
    pub fn decode_attn_flop(&self, ctx: f64) -> f64 {
        let ctx = ctx.max(0.0);
        self.flop_full * ctx + self.flop_sliding * ctx.min(self.window) + self.flop_mla * ctx
    }

    /// Attention FLOPs of `n` prompt tokens (finite) entering at depth `d`: `Σ_{p=d+1}^{d+n}
    /// min(p, w)` (query, key) pairs per layer, the window `w` infinite but for sliding layers.
    pub fn prefill_attn_flop(&self, n: f64, d: f64) -> f64 {
        let sum_spans = |w: f64| -> f64 {
            let lo = d + 1.0;
            let hi = d + n;
            if n <= 0.0 {
                return 0.0;
            }
            if hi <= w {
                (lo + hi) * n / 2.0
            } else if lo > w {
                w * n
            } else {
                let k = w - lo + 1.0; // positions lo..=w
                (lo + w) * k / 2.0 + w * (n - k)
            }
        };
        let full = sum_spans(f64::INFINITY);
        self.flop_full * full + self.flop_sliding * sum_spans(self.window) + self.flop_mla * full
    }

    /// Share of all routed experts `tokens` tokens touch together: `1 − (1 − k/E)^tokens`
    /// (0 for a dense model).
    pub fn experts_touched_frac(&self, tokens: f64) -> f64 {
        match self.expert_miss {
            Some(q) => 1.0 - q.powf(tokens.max(1.0)),
            None => 0.0,
        }
    }
}

/// Recurrent-state elements of one sequence (Gated DeltaNet and Mamba2 layers).
fn state_elems(m: &ModelRaw) -> f64 {
    let mut elems = 0.0;
    if let Some(l) = &m.linear {
        let (kh, kd, vh, vd) = (
            f64::from(l.key_heads),
            f64::from(l.key_head_dim),
            f64::from(l.value_heads),
            f64::from(l.value_head_dim),
        );
        let per =
            vh * kd * vd + f64::from(l.conv_kernel.saturating_sub(1)) * (2.0 * kh * kd + vh * vd);
        elems += f64::from(m.count_mixer(Mixer::Linear)) * per;
    }
    if let Some(s) = &m.mamba {
        let d_inner = f64::from(s.heads) * f64::from(s.head_dim);
        let gs = 2.0 * f64::from(s.groups) * f64::from(s.state_size);
        let per = d_inner * f64::from(s.state_size)
            + f64::from(s.conv_kernel.saturating_sub(1)) * (d_inner + gs);
        elems += f64::from(m.count_mixer(Mixer::Mamba)) * per;
    }
    elems
}
