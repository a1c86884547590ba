//! Parameter counts by tensor group, computed from the architecture.
//!
//! Rules (norms and biases ignored, < 0.1%):
//! - embedding `vocab × hidden`; output head the same unless tied (a tied head stores nothing
//!   but still multiplies by the table: `head` counts it for the matmul work);
//! - softmax attention `hidden × head_dim × (heads × (1 + q_gate) + 2 × kv_heads) + heads × head_dim × hidden`;
//! - MLA: q `hidden × q_lora + q_lora × heads × (nope + rope)` (or `hidden × heads × (nope + rope)`),
//!   kv `hidden × (kv_lora + rope) + kv_lora × heads × (nope + v)`, o `heads × v × hidden`;
//! - Gated DeltaNet `hidden × (2·kh·kd + 2·vh·vd + 2·vh) + (2·kh·kd + vh·vd) × conv + vh·vd × hidden`;
//! - Mamba2 `hidden × (2·d_inner + 2·groups·state + heads) + (d_inner + 2·groups·state) × conv + d_inner × hidden`;
//! - dense FFN `(2|3) × hidden × size`; MoE `experts × (2|3) × hidden × expert_ffn` routed, plus the
//!   router `hidden × experts` and `shared × (2|3) × hidden × shared_ffn` (counted as shared experts).

use crate::db::model::{FfnKind, Mixer, ModelRaw};

/// Parameter counts by group (plain counts, not billions).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ParamGroups {
    /// Token embedding table.
    pub embedding: f64,
    /// Output head as stored (0 when tied).
    pub output: f64,
    /// The output head's matmul, `vocab × hidden`, tied or not.
    pub head: f64,
    /// Softmax and MLA attention projections.
    pub attention: f64,
    /// Gated DeltaNet mixers.
    pub linear: f64,
    /// Mamba2 mixers.
    pub mamba: f64,
    /// Dense FFNs.
    pub ffn: f64,
    /// All routed experts.
    pub experts: f64,
    /// Shared experts and routers.
    pub shared_experts: f64,
    /// Routed experts a token activates (over all MoE layers).
    pub experts_active: f64,
}

impl ParamGroups {
    /// Total parameters.
    pub fn total(&self) -> f64 {
        self.embedding + self.output + self.non_embedding_dense() + self.experts
    }
    /// Parameters active for one token (embedding included, as publishers count).
    pub fn active(&self) -> f64 {
        self.embedding + self.output + self.non_embedding_dense() + self.experts_active
    }
    /// Active parameters on a publisher's basis: `all`, `matmul` or `non_embedding`.
    pub fn active_on_basis(&self, basis: Option<&str>) -> f64 {
        match basis {
            Some("matmul") => self.active_matmul(),
            Some("non_embedding") => self.active() - self.embedding - self.output,
            _ => self.active(),
        }
    }
    /// The share one device of a split computes: every layer group × `share` (the embedding
    /// lookup stays whole; the output head is `output_share` of it).
    pub fn scaled(&self, share: f64, output_share: f64) -> ParamGroups {
        ParamGroups {
            embedding: self.embedding,
            output: self.output * output_share,
            head: self.head * output_share,
            attention: self.attention * share,
            linear: self.linear * share,
            mamba: self.mamba * share,
            ffn: self.ffn * share,
            experts: self.experts * share,
            shared_experts: self.shared_experts * share,
            experts_active: self.experts_active * share,
        }
    }
    /// Everything except embedding, output and routed experts.
    pub fn non_embedding_dense(&self) -> f64 {
        self.attention + self.linear + self.mamba + self.ffn + self.shared_experts
    }
    /// Active parameters that do matmul work per token (embedding lookup excluded, the output
    /// head included even when it is the tied embedding table).
    pub fn active_matmul(&self) -> f64 {
        self.head + self.non_embedding_dense() + self.experts_active
    }
}

/// Computes the parameter groups of a model.
pub fn param_groups(m: &ModelRaw) -> ParamGroups {
    let h = m.hidden_size as f64;
    let mut g = ParamGroups {
        embedding: m.vocab_size as f64 * h,
        output: if m.tied_embeddings {
            0.0
        } else {
            m.vocab_size as f64 * h
        },
        head: m.vocab_size as f64 * h,
        ..Default::default()
    };
    for layer in &m.layers {
        let n = f64::from(layer.count);
        match layer.mixer {
            Mixer::Full | Mixer::Sliding => g.attention += n * attention_params(m),
            Mixer::Mla => g.attention += n * mla_params(m),
            Mixer::Linear => g.linear += n * linear_params(m),
            Mixer::Mamba => g.mamba += n * mamba_params(m),
            Mixer::None => {}
        }
        match layer.ffn {
            FfnKind::Dense => {
                if let Some(f) = &m.ffn {
                    g.ffn += n * mats(f.gated) * h * f.size as f64;
                }
            }
            FfnKind::Moe => {
                if let Some(e) = &m.moe {
                    let one = mats(e.gated) * h * e.expert_ffn_size as f64;
                    let shared_size = if e.shared_expert_ffn_size > 0 {
                        e.shared_expert_ffn_size
                    } else {
                        e.expert_ffn_size
                    };
                    g.experts += n * f64::from(e.experts) * one;
                    g.experts_active += n * f64::from(e.experts_per_token) * one;
                    g.shared_experts += n
                        * (h * f64::from(e.experts)
                            + f64::from(e.shared_experts) * mats(e.gated) * h * shared_size as f64);
                }
            }
            FfnKind::None => {}
        }
    }
    g
}

fn mats(gated: bool) -> f64 {
    if gated {
        3.0
    } else {
        2.0
    }
}

fn attention_params(m: &ModelRaw) -> f64 {
    let Some(a) = &m.attention else { return 0.0 };
    let h = m.hidden_size as f64;
    let hd = f64::from(a.head_dim);
    let q = f64::from(a.heads) * if a.q_gate { 2.0 } else { 1.0 };
    h * hd * (q + 2.0 * f64::from(a.kv_heads)) + f64::from(a.heads) * hd * h
}

fn mla_params(m: &ModelRaw) -> f64 {
    let Some(a) = &m.mla else { return 0.0 };
    let h = m.hidden_size as f64;
    let heads = f64::from(a.heads);
    let qk = f64::from(a.qk_nope_head_dim + a.qk_rope_head_dim);
    let q = match a.q_lora_rank {
        Some(r) => h * f64::from(r) + f64::from(r) * heads * qk,
        None => h * heads * qk,
    };
    let kv_lora = f64::from(a.kv_lora_rank);
    let kv = h * (kv_lora + f64::from(a.qk_rope_head_dim))
        + kv_lora * heads * f64::from(a.qk_nope_head_dim + a.v_head_dim);
    q + kv + heads * f64::from(a.v_head_dim) * h
}

fn linear_params(m: &ModelRaw) -> f64 {
    let Some(l) = &m.linear else { return 0.0 };
    let h = m.hidden_size as f64;
    let k = f64::from(l.key_heads) * f64::from(l.key_head_dim);
    let v = f64::from(l.value_heads) * f64::from(l.value_head_dim);
    h * (2.0 * k + 2.0 * v + 2.0 * f64::from(l.value_heads))
        + (2.0 * k + v) * f64::from(l.conv_kernel)
        + v * h
}

fn mamba_params(m: &ModelRaw) -> f64 {
    let Some(s) = &m.mamba else { return 0.0 };
    let h = m.hidden_size as f64;
    let d_inner = f64::from(s.heads) * f64::from(s.head_dim);
    let gs = 2.0 * f64::from(s.groups) * f64::from(s.state_size);
    h * (2.0 * d_inner + gs + f64::from(s.heads))
        + (d_inner + gs) * f64::from(s.conv_kernel)
        + d_inner * h
}
