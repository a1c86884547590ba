//! The blocks of a GGUF model spec — softmax attention, MLA, Gated DeltaNet, Mamba2, dense
//! FFN and MoE — from the architecture keys, with tensor shapes where keys are silent (see
//! [`super::arch`] for the key list).

use super::context::Ctx;
use super::keys::Q_GATE_ARCHS;
use super::TensorInfo;
use crate::db::model::{AttentionRaw, FfnKind, FfnRaw, LinearRaw, MambaRaw, Mixer, MlaRaw, MoeRaw};
use crate::error::Result;

pub(super) fn dim(t: Option<&TensorInfo>, i: usize) -> Option<u64> {
    t.and_then(|t| t.dims.get(i).copied()).filter(|&d| d > 0)
}

pub(super) fn u32_of(c: &Ctx, v: u64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| c.err(format!("{what} = {v} is out of range")))
}

pub(super) fn attention(
    c: &Ctx,
    hidden: u64,
    notes: &mut Vec<String>,
) -> Result<Option<AttentionRaw>> {
    let ls = c.layers_with(|m, _| matches!(m, Mixer::Full | Mixer::Sliding));
    if ls.is_empty() {
        return Ok(None);
    }
    let heads = c.k.max_over("attention.head_count", &ls).filter(|&h| h > 0);
    let heads = heads.ok_or_else(|| {
        c.err(format!(
            "{}.attention.head_count is missing or 0 (attention layers)",
            c.k.arch
        ))
    })?;
    let kv =
        c.k.max_over("attention.head_count_kv", &ls)
            .unwrap_or(heads);
    let varies = |s: &str| {
        let v: std::collections::BTreeSet<u64> =
            ls.iter().filter_map(|&i| c.k.per_layer(s, i)).collect();
        v.len() > 1
    };
    if varies("attention.head_count") || varies("attention.head_count_kv") {
        notes.push("head counts vary by layer; the largest is used".into());
    }
    let head_dim = c.k.u("attention.key_length").unwrap_or(hidden / heads);
    if let Some(v) = c.k.u("attention.value_length").filter(|&v| v != head_dim) {
        notes.push(format!("value head dim {v} differs from key head dim {head_dim}; the KV cache is sized with the key's"));
    }
    let q_gate = match dim(c.tensor(&ls, "attn_q.weight"), 1) {
        Some(q) => heads.checked_mul(head_dim).and_then(|x| x.checked_mul(2)) == Some(q),
        None => Q_GATE_ARCHS.contains(&c.k.arch.as_str()),
    };
    let sliding = ls.iter().any(|&i| c.kinds[i].0 == Mixer::Sliding);
    if !sliding {
        if let Some(w) = c.k.u("attention.sliding_window").filter(|&w| w > 0) {
            notes.push(format!("attention.sliding_window {w} without a layer pattern: llama.cpp runs every layer with full attention"));
        }
    }
    Ok(Some(AttentionRaw {
        heads: u32_of(c, heads, "attention.head_count")?,
        kv_heads: u32_of(c, kv, "attention.head_count_kv")?,
        head_dim: u32_of(c, head_dim, "attention.key_length")?,
        q_gate,
        sliding_window: if sliding {
            c.k.u("attention.sliding_window")
        } else {
            None
        },
    }))
}

pub(super) fn mla(c: &Ctx) -> Result<Option<MlaRaw>> {
    let ls = c.layers_with(|m, _| m == Mixer::Mla);
    if ls.is_empty() {
        return Ok(None);
    }
    let why = "MLA layers";
    let heads = c.k.max_over("attention.head_count", &ls).filter(|&h| h > 0);
    let heads = heads.ok_or_else(|| {
        c.err(format!(
            "{}.attention.head_count is missing ({why})",
            c.k.arch
        ))
    })?;
    let rope = c.need("rope.dimension_count", why)?;
    let key = match c.k.u("attention.key_length_mla") {
        Some(v) => v,
        None => c.need("attention.key_length", why)?,
    };
    let v = match c.k.u("attention.value_length_mla") {
        Some(v) => v,
        None => c.need("attention.value_length", why)?,
    };
    let nope = key.checked_sub(rope).filter(|&n| n > 0).ok_or_else(|| {
        c.err(format!(
            "MLA key length {key} is not larger than the rotary dims {rope}"
        ))
    })?;
    Ok(Some(MlaRaw {
        heads: u32_of(c, heads, "attention.head_count")?,
        q_lora_rank: c
            .k
            .u("attention.q_lora_rank")
            .filter(|&r| r > 0)
            .map(|r| u32_of(c, r, "attention.q_lora_rank"))
            .transpose()?,
        kv_lora_rank: u32_of(
            c,
            c.need("attention.kv_lora_rank", why)?,
            "attention.kv_lora_rank",
        )?,
        qk_nope_head_dim: u32_of(c, nope, "MLA nope dims")?,
        qk_rope_head_dim: u32_of(c, rope, "rope.dimension_count")?,
        v_head_dim: u32_of(c, v, "attention.value_length_mla")?,
    }))
}

pub(super) fn per_head(c: &Ctx, inner: u64, heads: u64) -> Result<u32> {
    if !inner.is_multiple_of(heads) {
        return Err(c.err(format!(
            "{}.ssm.inner_size {inner} is not a multiple of ssm.time_step_rank {heads}",
            c.k.arch
        )));
    }
    u32_of(c, inner / heads, "ssm head dim")
}

pub(super) fn recurrent(c: &Ctx) -> Result<(Option<LinearRaw>, Option<MambaRaw>)> {
    let lin = !c.layers_with(|m, _| m == Mixer::Linear).is_empty();
    let mam = !c.layers_with(|m, _| m == Mixer::Mamba).is_empty();
    if !lin && !mam {
        return Ok((None, None));
    }
    let why = "recurrent layers";
    let conv = u32_of(c, c.need("ssm.conv_kernel", why)?, "ssm.conv_kernel")?;
    let state = c.need("ssm.state_size", why)?;
    let heads = c.need("ssm.time_step_rank", why)?;
    let inner = c.need("ssm.inner_size", why)?;
    let linear = if lin {
        Some(LinearRaw {
            key_heads: u32_of(c, c.need("ssm.group_count", why)?, "ssm.group_count")?,
            value_heads: u32_of(c, heads, "ssm.time_step_rank")?,
            key_head_dim: u32_of(c, state, "ssm.state_size")?,
            value_head_dim: per_head(c, inner, heads)?,
            conv_kernel: conv,
        })
    } else {
        None
    };
    let mamba = if mam {
        Some(MambaRaw {
            heads: u32_of(c, heads, "ssm.time_step_rank")?,
            head_dim: per_head(c, inner, heads)?,
            state_size: u32_of(c, state, "ssm.state_size")?,
            groups: u32_of(
                c,
                c.k.u("ssm.group_count").unwrap_or(1).max(1),
                "ssm.group_count",
            )?,
            conv_kernel: conv,
        })
    } else {
        None
    };
    Ok((linear, mamba))
}

pub(super) fn dense_ffn(c: &Ctx) -> Result<Option<FfnRaw>> {
    let ls = c.layers_with(|_, f| f == FfnKind::Dense);
    if ls.is_empty() {
        return Ok(None);
    }
    let size =
        c.k.max_over("feed_forward_length", &ls)
            .filter(|&s| s > 0)
            .or_else(|| dim(c.tensor(&ls, "ffn_up.weight"), 1))
            .ok_or_else(|| {
                c.err(format!(
                    "{}.feed_forward_length is missing (dense FFN layers)",
                    c.k.arch
                ))
            })?;
    let gated = !c.has_tensors(&ls)
        || ls.iter().any(|&i| {
            c.b.get(i)
                .is_some_and(|t| t.contains_key("ffn_gate.weight"))
        });
    Ok(Some(FfnRaw { size, gated }))
}

pub(super) fn moe(c: &Ctx) -> Result<Option<MoeRaw>> {
    let ls = c.layers_with(|_, f| f == FfnKind::Moe);
    if ls.is_empty() {
        return Ok(None);
    }
    let why = "MoE layers";
    let experts = c.need("expert_count", why)?;
    let used =
        c.k.max_over("expert_used_count", &ls)
            .filter(|&u| u > 0)
            .ok_or_else(|| c.err(format!("{}.expert_used_count is missing ({why})", c.k.arch)))?;
    let ffn =
        c.k.max_over("expert_feed_forward_length", &ls)
            .filter(|&s| s > 0)
            .or_else(|| dim(c.tensor(&ls, "ffn_up_exps.weight"), 1))
            .or_else(|| dim(c.tensor(&ls, "ffn_gate_up_exps.weight"), 1).map(|d| d / 2))
            .or_else(|| dim(c.tensor(&ls, "ffn_down_exps.weight"), 0))
            .or_else(|| c.k.max_over("feed_forward_length", &ls).filter(|&s| s > 0))
            .ok_or_else(|| {
                c.err(format!(
                    "{}.expert_feed_forward_length is missing ({why})",
                    c.k.arch
                ))
            })?;
    let shexp = dim(c.tensor(&ls, "ffn_up_shexp.weight"), 1)
        .or_else(|| dim(c.tensor(&ls, "ffn_down_shexp.weight"), 0));
    let shared =
        c.k.u("expert_shared_count")
            .unwrap_or(u64::from(shexp.is_some()));
    let shared_size = match (
        c.k.u("expert_shared_feed_forward_length")
            .filter(|&s| s > 0),
        shexp,
    ) {
        (Some(s), _) => s,
        (None, Some(s)) if shared > 0 => s / shared,
        _ => 0,
    };
    let gated = !c.has_tensors(&ls)
        || ls.iter().any(|&i| {
            c.b.get(i).is_some_and(|t| {
                t.contains_key("ffn_gate_exps.weight") || t.contains_key("ffn_gate_up_exps.weight")
            })
        });
    Ok(Some(MoeRaw {
        experts: u32_of(c, experts, "expert_count")?,
        experts_per_token: u32_of(c, used, "expert_used_count")?,
        expert_ffn_size: ffn,
        shared_experts: u32_of(c, shared, "expert_shared_count")?,
        shared_expert_ffn_size: shared_size,
        gated,
    }))
}
