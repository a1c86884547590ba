//! The rules of each `config.json` family: which layers are attention, recurrent, dense or
//! MoE, and the blocks they need (see the module above for the list and the references).

use super::{err, Cfg};
use crate::db::model::{
    AttentionRaw, FfnKind, FfnRaw, LinearRaw, MambaRaw, Mixer, MlaRaw, MoeRaw, NativeQuantRaw,
};
use crate::error::Result;
use serde_json::Value;

/// `layer_types` entries, if the config lists one per layer.
pub(super) fn layer_types(c: &Cfg, n: usize) -> Option<Vec<Mixer>> {
    let t = c.strs("layer_types")?;
    (t.len() == n).then(|| {
        t.iter()
            .map(|s| match *s {
                "sliding_attention" | "chunked_attention" => Mixer::Sliding,
                "linear_attention" => Mixer::Linear,
                _ => Mixer::Full,
            })
            .collect()
    })
}

pub(super) fn attention(c: &Cfg, hidden: u64, q_gate: bool, window: Option<u64>) -> AttentionRaw {
    let heads = c.u("num_attention_heads");
    AttentionRaw {
        heads: u32::try_from(heads).unwrap_or(u32::MAX),
        kv_heads: u32::try_from(c.or("num_key_value_heads", heads)).unwrap_or(u32::MAX),
        head_dim: u32::try_from(c.opt("head_dim").unwrap_or(hidden / heads.max(1)))
            .unwrap_or(u32::MAX),
        q_gate,
        sliding_window: window,
    }
}

pub(super) fn moe(
    c: &Cfg,
    experts: &str,
    ffn: &str,
    shared: u32,
    shared_ffn: u64,
    gated: bool,
) -> MoeRaw {
    MoeRaw {
        experts: c.u32(experts),
        experts_per_token: u32::try_from(
            c.opt("num_experts_per_tok")
                .or_else(|| c.opt("experts_per_token"))
                .unwrap_or_else(|| c.u("num_experts_per_tok")),
        )
        .unwrap_or(u32::MAX),
        expert_ffn_size: c.u(ffn),
        shared_experts: shared,
        shared_expert_ffn_size: shared_ffn,
        gated,
    }
}

/// What a family's rules produce.
#[derive(Default)]
pub(super) struct Arch {
    pub(super) attention: Option<AttentionRaw>,
    pub(super) mla: Option<MlaRaw>,
    pub(super) linear: Option<LinearRaw>,
    pub(super) mamba: Option<MambaRaw>,
    pub(super) ffn: Option<FfnRaw>,
    pub(super) moe: Option<MoeRaw>,
    pub(super) kinds: Vec<(Mixer, FfnKind)>,
    pub(super) native_quant: Option<NativeQuantRaw>,
    pub(super) tied_default: bool,
    pub(super) notes: Vec<String>,
}

pub(super) fn dense_ffn(c: &Cfg, gated: bool) -> Option<FfnRaw> {
    Some(FfnRaw {
        size: c.u("intermediate_size"),
        gated,
    })
}

/// Qwen2/3 MoE rule: MoE unless listed in `mlp_only_layers`, every `decoder_sparse_step`.
pub(super) fn qwen_moe_layer(c: &Cfg, i: usize) -> bool {
    let step = c.or("decoder_sparse_step", 1).max(1);
    !c.nums("mlp_only_layers").contains(&(i as u64)) && (i as u64 + 1).is_multiple_of(step)
}

pub(super) fn softmax_llama(c: &Cfg, ty: &str, n: usize, hidden: u64) -> Arch {
    let qwen = ty.starts_with("qwen");
    let window = c.opt("sliding_window").filter(|&w| w > 0);
    let sliding = |i: usize| match (qwen, window) {
        (true, Some(_)) => {
            c.flag("use_sliding_window", false) && i as u64 >= c.or("max_window_layers", 0)
        }
        (false, Some(_)) => ty == "mistral" || ty == "mixtral",
        _ => false,
    };
    let types = layer_types(c, n);
    let mixer = |i: usize| match &types {
        Some(t) => t[i],
        None if sliding(i) => Mixer::Sliding,
        None => Mixer::Full,
    };
    let is_moe = ty.ends_with("moe") || ty == "mixtral";
    let kinds: Vec<_> = (0..n)
        .map(|i| {
            let f = if is_moe && (ty == "mixtral" || qwen_moe_layer(c, i)) {
                FfnKind::Moe
            } else {
                FfnKind::Dense
            };
            (mixer(i), f)
        })
        .collect();
    let any_sliding = kinds.iter().any(|k| k.0 == Mixer::Sliding);
    let mut a = Arch {
        attention: Some(attention(c, hidden, false, window.filter(|_| any_sliding))),
        ..Arch::default()
    };
    if kinds.iter().any(|k| k.1 == FfnKind::Dense) {
        a.ffn = dense_ffn(c, true);
    }
    if is_moe {
        a.moe = Some(if ty == "mixtral" {
            moe(c, "num_local_experts", "intermediate_size", 0, 0, true)
        } else {
            let s = c.or("shared_expert_intermediate_size", 0);
            moe(
                c,
                "num_experts",
                "moe_intermediate_size",
                u32::from(s > 0),
                s,
                true,
            )
        });
    }
    a.kinds = kinds;
    a
}

pub(super) fn qwen_hybrid(c: &Cfg, ty: &str, n: usize, hidden: u64) -> Arch {
    let every = c.or("full_attention_interval", 4).max(1);
    let types = layer_types(c, n);
    let is_moe = ty != "qwen3_5";
    let kinds = (0..n)
        .map(|i| {
            let m = match &types {
                Some(t) => t[i],
                None if (i as u64 + 1).is_multiple_of(every) => Mixer::Full,
                None => Mixer::Linear,
            };
            (
                m,
                if is_moe && qwen_moe_layer(c, i) {
                    FfnKind::Moe
                } else {
                    FfnKind::Dense
                },
            )
        })
        .collect::<Vec<_>>();
    let s = c.or("shared_expert_intermediate_size", 0);
    Arch {
        attention: Some(attention(c, hidden, c.flag("attn_output_gate", true), None)),
        linear: Some(LinearRaw {
            key_heads: c.u32("linear_num_key_heads"),
            value_heads: c.u32("linear_num_value_heads"),
            key_head_dim: c.u32("linear_key_head_dim"),
            value_head_dim: c.u32("linear_value_head_dim"),
            conv_kernel: c.u32("linear_conv_kernel_dim"),
        }),
        ffn: kinds
            .iter()
            .any(|k| k.1 == FfnKind::Dense)
            .then(|| dense_ffn(c, true))
            .flatten(),
        moe: is_moe.then(|| {
            moe(
                c,
                "num_experts",
                "moe_intermediate_size",
                u32::from(s > 0),
                s,
                true,
            )
        }),
        kinds,
        ..Arch::default()
    }
}

pub(super) fn gpt_oss(c: &Cfg, n: usize, hidden: u64) -> Arch {
    let types = layer_types(c, n);
    let kinds = (0..n)
        .map(|i| {
            let m = match &types {
                Some(t) => t[i],
                None if i % 2 == 0 => Mixer::Sliding,
                None => Mixer::Full,
            };
            (m, FfnKind::Moe)
        })
        .collect();
    let mxfp4 = c
        .get("quantization_config")
        .and_then(|q| q.get("quant_method"))
        .and_then(Value::as_str)
        == Some("mxfp4");
    Arch {
        attention: Some(attention(c, hidden, false, Some(c.u("sliding_window")))),
        moe: Some(moe(c, "num_local_experts", "intermediate_size", 0, 0, true)),
        kinds,
        native_quant: mxfp4.then(|| NativeQuantRaw {
            experts: Some("mxfp4".into()),
        }),
        ..Arch::default()
    }
}

/// DeepSeek/GLM rule: dense below `first_k_dense_replace`, then MoE every `moe_layer_freq`.
pub(super) fn lead_dense_kinds(c: &Cfg, n: usize, mixer: Mixer) -> Vec<(Mixer, FfnKind)> {
    let first = c.or("first_k_dense_replace", 0);
    let freq = c.or("moe_layer_freq", 1).max(1);
    (0..n as u64)
        .map(|i| {
            (
                mixer,
                if i >= first && i % freq == 0 {
                    FfnKind::Moe
                } else {
                    FfnKind::Dense
                },
            )
        })
        .collect()
}

pub(super) fn deepseek(c: &Cfg, n: usize, hidden: u64, mla: bool) -> Arch {
    let kinds = lead_dense_kinds(c, n, if mla { Mixer::Mla } else { Mixer::Full });
    let shared = c.u32("n_shared_experts");
    let size = c.u("moe_intermediate_size");
    Arch {
        attention: (!mla).then(|| attention(c, hidden, false, None)),
        mla: mla.then(|| MlaRaw {
            heads: c.u32("num_attention_heads"),
            q_lora_rank: c
                .opt("q_lora_rank")
                .map(|r| u32::try_from(r).unwrap_or(u32::MAX)),
            kv_lora_rank: c.u32("kv_lora_rank"),
            qk_nope_head_dim: c.u32("qk_nope_head_dim"),
            qk_rope_head_dim: c.u32("qk_rope_head_dim"),
            v_head_dim: c.u32("v_head_dim"),
        }),
        ffn: kinds
            .iter()
            .any(|k| k.1 == FfnKind::Dense)
            .then(|| dense_ffn(c, true))
            .flatten(),
        moe: Some(moe(
            c,
            "n_routed_experts",
            "moe_intermediate_size",
            shared,
            if shared > 0 { size } else { 0 },
            true,
        )),
        kinds,
        ..Arch::default()
    }
}

pub(super) fn gemma3(c: &Cfg, n: usize, hidden: u64) -> Arch {
    let d = |k: &str, v: u64| c.opt(k).unwrap_or(v);
    let every = d("sliding_window_pattern", 6).max(1);
    let types = layer_types(c, n);
    let kinds = (0..n)
        .map(|i| {
            let m = match &types {
                Some(t) => t[i],
                None if (i as u64 + 1).is_multiple_of(every) => Mixer::Full,
                None => Mixer::Sliding,
            };
            (m, FfnKind::Dense)
        })
        .collect();
    Arch {
        // Gemma3TextConfig defaults for keys the file may leave out.
        attention: Some(AttentionRaw {
            heads: u32::try_from(d("num_attention_heads", 8)).unwrap_or(u32::MAX),
            kv_heads: u32::try_from(d("num_key_value_heads", 4)).unwrap_or(u32::MAX),
            head_dim: u32::try_from(d("head_dim", 256)).unwrap_or(u32::MAX),
            q_gate: false,
            sliding_window: Some(d("sliding_window", 4096)),
        }),
        ffn: dense_ffn(c, true),
        kinds,
        tied_default: true,
        notes: vec![format!(
            "Gemma3TextConfig defaults used for absent keys (hidden {hidden})"
        )],
        ..Arch::default()
    }
}

pub(super) fn nemotron_h(c: &Cfg, n: usize, hidden: u64, file: &str) -> Result<Arch> {
    let p = c
        .get("hybrid_override_pattern")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mut kinds = Vec::with_capacity(n);
    for ch in p.chars().take(n) {
        kinds.push(match ch {
            'M' => (Mixer::Mamba, FfnKind::None),
            'E' => (Mixer::None, FfnKind::Moe),
            '*' => (Mixer::Full, FfnKind::None),
            '-' => (Mixer::None, FfnKind::Dense),
            other => {
                return Err(err(
                    file,
                    format!(
                        "hybrid_override_pattern: unknown layer '{other}' (expected M, E, * or -)"
                    ),
                ))
            }
        });
    }
    if kinds.len() != n {
        c.missing.borrow_mut().push(format!(
            "hybrid_override_pattern (one of M/E/*/- per layer, {n} layers)"
        ));
    }
    let has = |f: FfnKind| kinds.iter().any(|k| k.1 == f);
    let shared = c.u32("n_shared_experts");
    let shared_ffn = c.or("moe_shared_expert_intermediate_size", 0);
    Ok(Arch {
        attention: Some(attention(c, hidden, false, None)),
        mamba: Some(MambaRaw {
            heads: c.u32("mamba_num_heads"),
            head_dim: c.u32("mamba_head_dim"),
            state_size: c.u32("ssm_state_size"),
            groups: u32::try_from(c.or("n_groups", 1)).unwrap_or(u32::MAX),
            conv_kernel: c.u32("conv_kernel"),
        }),
        ffn: has(FfnKind::Dense).then(|| dense_ffn(c, false)).flatten(),
        moe: has(FfnKind::Moe).then(|| {
            moe(
                c,
                "n_routed_experts",
                "moe_intermediate_size",
                shared,
                shared_ffn,
                false,
            )
        }),
        kinds,
        ..Arch::default()
    })
}
