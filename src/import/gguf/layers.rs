//! The layer stack of a GGUF model: which mixer and which FFN each block has.
//!
//! From the tensors when the block has any (exact: `attn_kv_a_mqa` → MLA, `ssm_d` → Mamba2,
//! other `ssm_*` → Gated DeltaNet, `attn_q`/`attn_k`/`attn_qkv` → softmax attention;
//! `*_exps` → MoE, `ffn_up`/`ffn_down` → dense), else from the keys as llama.cpp reads them
//! (`attention.recurrent_layers`, `full_attention_interval` (default 4 for Qwen3-Next and
//! Qwen3.5), per-layer `attention.head_count_kv` of 0 for hybrid Mamba stacks,
//! `leading_dense_block_count`). Softmax layers are sliding when `attention.sliding_window`
//! is set and the pattern says so: `attention.sliding_window_pattern` (a bool per layer, or
//! N: every N-th layer full, llama.cpp `set_swa_pattern`), else the architecture's built-in
//! pattern (gemma3 6, gemma2 and gpt-oss 2, cohere2 4).

use super::keys::Keys;
use crate::db::model::{FfnKind, Mixer};
use std::collections::BTreeMap;

/// Tensors of each block, by the name after `blk.N.`.
pub(crate) type Blocks<'a> = Vec<BTreeMap<&'a str, &'a super::TensorInfo>>;

/// Architectures whose recurrent layers are Gated DeltaNet.
const DELTANET_ARCHS: [&str; 4] = ["qwen3next", "qwen35", "qwen35moe", "kimi-linear"];
/// Architectures whose recurrent layers are Mamba.
const MAMBA_ARCHS: [&str; 8] = [
    "mamba",
    "mamba2",
    "nemotron_h",
    "nemotron_h_moe",
    "jamba",
    "falcon-h1",
    "granitehybrid",
    "plamo2",
];

/// Indexes tensors `blk.N.rest` by block (N < `n_blocks`).
pub(crate) fn blocks(tensors: &[super::TensorInfo], n_blocks: usize) -> Blocks<'_> {
    let mut b: Blocks = vec![BTreeMap::new(); n_blocks];
    for t in tensors {
        let Some(rest) = t.name.strip_prefix("blk.") else {
            continue;
        };
        let Some((i, name)) = rest.split_once('.') else {
            continue;
        };
        if let Some(slot) = i.parse::<usize>().ok().and_then(|i| b.get_mut(i)) {
            slot.insert(name, t);
        }
    }
    b
}

fn has(b: &BTreeMap<&str, &super::TensorInfo>, prefixes: &[&str]) -> bool {
    b.keys().any(|n| {
        prefixes
            .iter()
            .any(|p| *n == *p || n.starts_with(&format!("{p}.")))
    })
}

/// Whether softmax layer `i` of `n` is sliding-window.
fn is_sliding(k: &Keys, i: usize) -> bool {
    if k.u("attention.sliding_window").unwrap_or(0) == 0 {
        return false;
    }
    if let Some(v) = k.bools("attention.sliding_window_pattern") {
        return v.get(i).copied().unwrap_or(false);
    }
    let builtin = match k.arch.as_str() {
        "gemma3" => Some(6),
        "gemma2" | "gpt-oss" => Some(2),
        "cohere2" => Some(4),
        _ => None,
    };
    match k.u("attention.sliding_window_pattern").or(builtin) {
        Some(0) => true,
        Some(n) => (i as u64) % n < n - 1,
        None => false,
    }
}

fn recurrent_kind(k: &Keys, b: Option<&BTreeMap<&str, &super::TensorInfo>>) -> Mixer {
    let mamba = MAMBA_ARCHS.contains(&k.arch.as_str()) || b.is_some_and(|b| has(b, &["ssm_d"]));
    if mamba {
        Mixer::Mamba
    } else {
        Mixer::Linear
    }
}

fn softmax(k: &Keys, i: usize) -> Mixer {
    if is_sliding(k, i) {
        Mixer::Sliding
    } else {
        Mixer::Full
    }
}

fn from_tensors(k: &Keys, b: &BTreeMap<&str, &super::TensorInfo>, i: usize) -> (Mixer, FfnKind) {
    let mixer = if has(b, &["attn_kv_a_mqa", "attn_kv_b", "attn_k_b", "attn_q_a"]) {
        Mixer::Mla
    } else if b.keys().any(|n| n.starts_with("ssm_")) {
        recurrent_kind(k, Some(b))
    } else if has(
        b,
        &["attn_q", "attn_k", "attn_v", "attn_qkv", "attn_output"],
    ) {
        softmax(k, i)
    } else {
        Mixer::None
    };
    let ffn = if b.keys().any(|n| n.contains("_exps")) {
        FfnKind::Moe
    } else if has(b, &["ffn_up", "ffn_down", "ffn_gate"]) {
        FfnKind::Dense
    } else {
        FfnKind::None
    };
    (mixer, ffn)
}

fn from_keys(k: &Keys, i: usize) -> (Mixer, FfnKind) {
    let arch = k.arch.as_str();
    let experts = k.u("expert_count").unwrap_or(0) > 0;
    let moe_or_dense = |i: usize| {
        let lead = k.u("leading_dense_block_count").unwrap_or(0);
        if experts && i as u64 >= lead {
            FfnKind::Moe
        } else if k.per_layer("feed_forward_length", i).unwrap_or(1) > 0 {
            FfnKind::Dense
        } else {
            FfnKind::None
        }
    };
    if let Some(r) = k.bools("attention.recurrent_layers") {
        let m = if r.get(i).copied().unwrap_or(false) {
            recurrent_kind(k, None)
        } else {
            softmax(k, i)
        };
        return (m, moe_or_dense(i));
    }
    if DELTANET_ARCHS.contains(&arch) {
        let every = k.u("full_attention_interval").unwrap_or(4).max(1);
        let m = if (i as u64 + 1).is_multiple_of(every) {
            softmax(k, i)
        } else {
            Mixer::Linear
        };
        return (m, moe_or_dense(i));
    }
    if MAMBA_ARCHS.contains(&arch) {
        // Hybrid stacks: a layer is attention (KV heads > 0), an FFN (length > 0) or Mamba.
        let kv = k.per_layer("attention.head_count_kv", i).unwrap_or(0);
        let ff = k.per_layer("feed_forward_length", i).unwrap_or(0);
        return if kv > 0 {
            (softmax(k, i), FfnKind::None)
        } else if ff > 0 {
            let f = if experts {
                FfnKind::Moe
            } else {
                FfnKind::Dense
            };
            (Mixer::None, f)
        } else {
            (Mixer::Mamba, FfnKind::None)
        };
    }
    let m = if k.u("attention.kv_lora_rank").unwrap_or(0) > 0 {
        Mixer::Mla
    } else {
        softmax(k, i)
    };
    (m, moe_or_dense(i))
}

/// The mixer and FFN of each of the first `n` blocks.
pub(crate) fn classify(k: &Keys, b: &Blocks, n: usize) -> Vec<(Mixer, FfnKind)> {
    (0..n)
        .map(|i| match b.get(i) {
            Some(t) if !t.is_empty() => from_tensors(k, t, i),
            _ => from_keys(k, i),
        })
        .collect()
}
