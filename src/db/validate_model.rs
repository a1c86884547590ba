//! Validation of a model entry: its layer groups, attention, MLA, FFN, MoE and recurrent
//! blocks in range and consistent, its native quantization known, its published counts given.

use super::check::{check_id, err, positive};
use super::model::{FfnKind, Mixer, ModelRaw};
use super::quant::TensorTypeRaw;
use crate::error::Result;

/// Validates a model entry: the blocks its layers need are present and in range.
pub fn model(file: &str, m: &ModelRaw, tensor_types: &[TensorTypeRaw]) -> Result<()> {
    let id = m.id.as_str();
    check_id(file, id)?;
    if m.layers.is_empty() || m.n_layers() == 0 {
        return Err(err(file, id, "layers", "at least one layer is required"));
    }
    for (f, v) in [
        ("hidden_size", m.hidden_size),
        ("vocab_size", m.vocab_size),
        ("max_context", m.max_context),
    ] {
        positive(file, id, f, v as f64)?;
    }
    let needs = |mixer: Mixer| m.count_mixer(mixer) > 0;
    if needs(Mixer::Full) || needs(Mixer::Sliding) {
        let a = m
            .attention
            .as_ref()
            .ok_or_else(|| err(file, id, "attention", "required by full/sliding layers"))?;
        for (f, v) in [
            ("attention.heads", a.heads),
            ("attention.kv_heads", a.kv_heads),
            ("attention.head_dim", a.head_dim),
        ] {
            positive(file, id, f, f64::from(v))?;
        }
        if a.kv_heads > a.heads {
            return Err(err(
                file,
                id,
                "attention.kv_heads",
                "more KV heads than query heads",
            ));
        }
        if needs(Mixer::Sliding) && a.sliding_window.unwrap_or(0) == 0 {
            return Err(err(
                file,
                id,
                "attention.sliding_window",
                "required (> 0) by sliding layers",
            ));
        }
    }
    if needs(Mixer::Mla) && m.mla.is_none() {
        return Err(err(file, id, "mla", "required by mla layers"));
    }
    if needs(Mixer::Linear) && m.linear.is_none() {
        return Err(err(file, id, "linear", "required by linear layers"));
    }
    if needs(Mixer::Mamba) && m.mamba.is_none() {
        return Err(err(file, id, "mamba", "required by mamba layers"));
    }
    if m.count_ffn(FfnKind::Dense) > 0 && m.ffn.is_none() {
        return Err(err(file, id, "ffn", "required by dense layers"));
    }
    if m.is_moe() {
        let moe = m
            .moe
            .as_ref()
            .ok_or_else(|| err(file, id, "moe", "required by moe layers"))?;
        if moe.experts == 0 || moe.experts_per_token == 0 || moe.experts_per_token > moe.experts {
            return Err(err(
                file,
                id,
                "moe.experts_per_token",
                "must be between 1 and experts",
            ));
        }
        positive(file, id, "moe.expert_ffn_size", moe.expert_ffn_size as f64)?;
    }
    positive(
        file,
        id,
        "published.total_params_b",
        m.published.total_params_b,
    )?;
    positive(
        file,
        id,
        "published.active_params_b",
        m.published.active_params_b,
    )?;
    if let Some(b) = &m.published.active_basis {
        if !["all", "matmul", "non_embedding"].contains(&b.as_str()) {
            return Err(err(
                file,
                id,
                "published.active_basis",
                format!("'{b}': expected all, matmul or non_embedding"),
            ));
        }
    }
    if m.published.active_params_b > m.published.total_params_b * 1.0001 {
        return Err(err(
            file,
            id,
            "published.active_params_b",
            "exceeds total_params_b",
        ));
    }
    if let Some(t) = m.native_quant.as_ref().and_then(|n| n.experts.as_ref()) {
        if !tensor_types.iter().any(|x| &x.id == t) {
            return Err(err(
                file,
                id,
                "native_quant.experts",
                format!("unknown tensor type '{t}'"),
            ));
        }
    }
    if m.sources.is_empty() {
        return Err(err(
            file,
            id,
            "sources",
            "at least one source (the config.json) is required",
        ));
    }
    Ok(())
}
