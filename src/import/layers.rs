//! What both model-file readers (GGUF headers and config.json) share: grouping a model's
//! blocks into layer groups, and the range checks every imported model passes before the
//! physics sees it.

use crate::db::model::{FfnKind, LayerGroupRaw, Mixer, ModelRaw};
use crate::error::{Error, Result};

/// The layer stack as groups of consecutive identical layers.
pub fn layer_groups(kinds: &[(Mixer, FfnKind)]) -> Vec<LayerGroupRaw> {
    let mut out: Vec<LayerGroupRaw> = Vec::new();
    for &(mixer, ffn) in kinds {
        match out.last_mut() {
            Some(g) if g.mixer == mixer && g.ffn == ffn => g.count += 1,
            _ => out.push(LayerGroupRaw {
                count: 1,
                mixer,
                ffn,
            }),
        }
    }
    out
}

/// Largest width, head count or rank accepted (real models stay below 2^16): keeps the
/// u32 arithmetic of the physics far from overflow on hostile files.
const MAX_DIM: u64 = 1 << 20;
/// Largest FFN width or vocabulary accepted.
const MAX_WIDTH: u64 = 1 << 24;
/// Largest context accepted, tokens.
const MAX_CONTEXT: u64 = 1 << 32;

/// Rejects a spec whose sizes no real model has (a hostile or corrupt file).
pub fn check_ranges(m: &ModelRaw, file: &str) -> Result<()> {
    let mut v: Vec<(&str, u64, u64)> = vec![
        ("hidden_size", m.hidden_size, MAX_DIM),
        ("vocab_size", m.vocab_size, MAX_WIDTH),
        ("max_context", m.max_context, MAX_CONTEXT),
    ];
    let d = |name, x: u32| (name, u64::from(x), MAX_DIM);
    if let Some(a) = &m.attention {
        v.extend([
            d("attention.heads", a.heads),
            d("attention.kv_heads", a.kv_heads),
            d("attention.head_dim", a.head_dim),
        ]);
        v.push((
            "attention.sliding_window",
            a.sliding_window.unwrap_or(0),
            MAX_CONTEXT,
        ));
    }
    if let Some(a) = &m.mla {
        v.extend([
            d("mla.heads", a.heads),
            d("mla.q_lora_rank", a.q_lora_rank.unwrap_or(0)),
            d("mla.kv_lora_rank", a.kv_lora_rank),
            d("mla.qk_nope_head_dim", a.qk_nope_head_dim),
            d("mla.qk_rope_head_dim", a.qk_rope_head_dim),
            d("mla.v_head_dim", a.v_head_dim),
        ]);
    }
    if let Some(l) = &m.linear {
        v.extend([
            d("linear.key_heads", l.key_heads),
            d("linear.value_heads", l.value_heads),
            d("linear.key_head_dim", l.key_head_dim),
            d("linear.value_head_dim", l.value_head_dim),
            d("linear.conv_kernel", l.conv_kernel),
        ]);
    }
    if let Some(s) = &m.mamba {
        v.extend([
            d("mamba.heads", s.heads),
            d("mamba.head_dim", s.head_dim),
            d("mamba.state_size", s.state_size),
            d("mamba.groups", s.groups),
            d("mamba.conv_kernel", s.conv_kernel),
        ]);
    }
    if let Some(f) = &m.ffn {
        v.push(("ffn.size", f.size, MAX_WIDTH));
    }
    if let Some(e) = &m.moe {
        v.extend([
            d("moe.experts", e.experts),
            d("moe.experts_per_token", e.experts_per_token),
            d("moe.shared_experts", e.shared_experts),
        ]);
        v.push(("moe.expert_ffn_size", e.expert_ffn_size, MAX_WIDTH));
        v.push((
            "moe.shared_expert_ffn_size",
            e.shared_expert_ffn_size,
            MAX_WIDTH,
        ));
    }
    match v.into_iter().find(|&(_, x, max)| x > max) {
        Some((name, x, max)) => Err(Error::Parse {
            file: file.to_string(),
            line: None,
            msg: format!(
                "{name} = {x} exceeds {max}: no real model is this large (a corrupt file?)"
            ),
        }),
        None => Ok(()),
    }
}
