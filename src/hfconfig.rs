//! Hugging Face `config.json` → a model spec ([`ModelRaw`]), with the same rules as the
//! model database (`model-db/README.md`; keys named there).
//!
//! Multimodal wrappers (Gemma 3, Mistral 3, Qwen3.5/3.6) keep the text model under
//! `text_config`: its keys come first, the top level fills the rest (`tie_word_embeddings`).
//! Known `model_type`s: llama, mistral, qwen2, qwen3, phi3 (dense); mixtral, qwen2_moe,
//! qwen3_moe (MoE: `mlp_only_layers`, `decoder_sparse_step`); qwen3_next, qwen3_5,
//! qwen3_5_moe (Gated DeltaNet hybrids: `layer_types`, else every `full_attention_interval`-th
//! layer full; `attn_output_gate`); gpt_oss (`layer_types`, else alternating sliding/full;
//! MXFP4 experts); deepseek_v2, deepseek_v3, kimi_k2, glm4_moe_lite (MLA;
//! `first_k_dense_replace`, `moe_layer_freq`); glm4_moe; gemma3 (`sliding_window_pattern`,
//! default 6, and the `Gemma3TextConfig` defaults for keys the file leaves out);
//! nemotron_h (`hybrid_override_pattern`: M Mamba2, E MoE, * attention, - MLP).
//! Any other `model_type` is read as a dense llama-like decoder when it has every key that
//! needs and no MoE or hybrid keys; otherwise the error names what is missing.
//! Reference: `transformers/models/<type>/configuration_<type>.py`.

use crate::db::model::{
    AttentionRaw, FfnKind, FfnRaw, LayerGroupRaw, LinearRaw, MambaRaw, Mixer, MlaRaw, ModelRaw,
    MoeRaw, NativeQuantRaw, PublishedRaw,
};
use crate::db::Text;
use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::cell::RefCell;
use std::path::Path;

/// The `model_type`s read with their own rules.
pub const KNOWN: [&str; 19] = [
    "llama",
    "mistral",
    "qwen2",
    "qwen3",
    "phi3",
    "mixtral",
    "qwen2_moe",
    "qwen3_moe",
    "qwen3_next",
    "qwen3_5",
    "qwen3_5_moe",
    "gpt_oss",
    "deepseek_v2",
    "deepseek_v3",
    "kimi_k2",
    "glm4_moe_lite",
    "glm4_moe",
    "gemma3",
    "nemotron_h",
];
/// Keys that mean more than a dense decoder (a generic reading would silently drop them).
const NOT_DENSE: [&str; 8] = [
    "num_experts",
    "num_local_experts",
    "n_routed_experts",
    "kv_lora_rank",
    "hybrid_override_pattern",
    "full_attention_interval",
    "linear_num_value_heads",
    "mamba_num_heads",
];

struct Cfg<'a> {
    text: &'a Map<String, Value>,
    root: &'a Map<String, Value>,
    missing: RefCell<Vec<String>>,
}

impl Cfg<'_> {
    fn get(&self, k: &str) -> Option<&Value> {
        self.text
            .get(k)
            .or_else(|| self.root.get(k))
            .filter(|v| !v.is_null())
    }
    fn opt(&self, k: &str) -> Option<u64> {
        let v = self.get(k)?;
        v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                .map(|f| f as u64)
        })
    }
    /// A required number: recorded as missing (and 0 returned) when absent.
    fn u(&self, k: &str) -> u64 {
        self.opt(k).unwrap_or_else(|| {
            self.missing.borrow_mut().push(k.to_string());
            0
        })
    }
    fn u32(&self, k: &str) -> u32 {
        u32::try_from(self.u(k)).unwrap_or(u32::MAX)
    }
    fn or(&self, k: &str, d: u64) -> u64 {
        self.opt(k).unwrap_or(d)
    }
    fn flag(&self, k: &str, d: bool) -> bool {
        self.get(k).and_then(Value::as_bool).unwrap_or(d)
    }
    fn strs(&self, k: &str) -> Option<Vec<&str>> {
        self.get(k)?.as_array()?.iter().map(Value::as_str).collect()
    }
    fn nums(&self, k: &str) -> Vec<u64> {
        let a = self.get(k).and_then(Value::as_array);
        a.map(|a| a.iter().filter_map(Value::as_u64).collect())
            .unwrap_or_default()
    }
}

fn err(file: &str, msg: String) -> Error {
    Error::Parse {
        file: file.to_string(),
        line: None,
        msg,
    }
}

/// `layer_types` entries, if the config lists one per layer.
fn layer_types(c: &Cfg, n: usize) -> Option<Vec<Mixer>> {
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

fn attention(c: &Cfg, hidden: u64, q_gate: bool, window: Option<u64>) -> AttentionRaw {
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

fn moe(c: &Cfg, experts: &str, ffn: &str, shared: u32, shared_ffn: u64, gated: bool) -> MoeRaw {
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
struct Arch {
    attention: Option<AttentionRaw>,
    mla: Option<MlaRaw>,
    linear: Option<LinearRaw>,
    mamba: Option<MambaRaw>,
    ffn: Option<FfnRaw>,
    moe: Option<MoeRaw>,
    kinds: Vec<(Mixer, FfnKind)>,
    native_quant: Option<NativeQuantRaw>,
    tied_default: bool,
    notes: Vec<String>,
}

fn dense_ffn(c: &Cfg, gated: bool) -> Option<FfnRaw> {
    Some(FfnRaw {
        size: c.u("intermediate_size"),
        gated,
    })
}

/// Qwen2/3 MoE rule: MoE unless listed in `mlp_only_layers`, every `decoder_sparse_step`.
fn qwen_moe_layer(c: &Cfg, i: usize) -> bool {
    let step = c.or("decoder_sparse_step", 1).max(1);
    !c.nums("mlp_only_layers").contains(&(i as u64)) && (i as u64 + 1) % step == 0
}

fn softmax_llama(c: &Cfg, ty: &str, n: usize, hidden: u64) -> Arch {
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

fn qwen_hybrid(c: &Cfg, ty: &str, n: usize, hidden: u64) -> Arch {
    let every = c.or("full_attention_interval", 4).max(1);
    let types = layer_types(c, n);
    let is_moe = ty != "qwen3_5";
    let kinds = (0..n)
        .map(|i| {
            let m = match &types {
                Some(t) => t[i],
                None if (i as u64 + 1) % every == 0 => Mixer::Full,
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

fn gpt_oss(c: &Cfg, n: usize, hidden: u64) -> Arch {
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
fn lead_dense_kinds(c: &Cfg, n: usize, mixer: Mixer) -> Vec<(Mixer, FfnKind)> {
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

fn deepseek(c: &Cfg, n: usize, hidden: u64, mla: bool) -> Arch {
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

fn gemma3(c: &Cfg, n: usize, hidden: u64) -> Arch {
    let d = |k: &str, v: u64| c.opt(k).unwrap_or(v);
    let every = d("sliding_window_pattern", 6).max(1);
    let types = layer_types(c, n);
    let kinds = (0..n)
        .map(|i| {
            let m = match &types {
                Some(t) => t[i],
                None if (i as u64 + 1) % every == 0 => Mixer::Full,
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

fn nemotron_h(c: &Cfg, n: usize, hidden: u64, file: &str) -> Result<Arch> {
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

fn groups(kinds: &[(Mixer, FfnKind)]) -> Vec<LayerGroupRaw> {
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

fn arch(c: &Cfg, ty: &str, n: usize, hidden: u64, file: &str) -> Result<Arch> {
    Ok(match ty {
        "qwen3_next" | "qwen3_5" | "qwen3_5_moe" => qwen_hybrid(c, ty, n, hidden),
        "gpt_oss" => gpt_oss(c, n, hidden),
        "deepseek_v2" | "deepseek_v3" | "kimi_k2" | "glm4_moe_lite" => deepseek(c, n, hidden, true),
        "glm4_moe" => deepseek(c, n, hidden, false),
        "gemma3" => gemma3(c, n, hidden),
        "nemotron_h" => nemotron_h(c, n, hidden, file)?,
        t if KNOWN.contains(&t) => softmax_llama(c, t, n, hidden),
        t => {
            let extra: Vec<&str> = NOT_DENSE
                .iter()
                .copied()
                .filter(|k| c.get(k).is_some())
                .collect();
            if !extra.is_empty() {
                return Err(err(file, format!("model_type '{t}' is not a known architecture ({}); it has keys a dense reading would ignore: {}", KNOWN.join(", "), extra.join(", "))));
            }
            let mut a = softmax_llama(c, "llama", n, hidden);
            a.notes.push(format!(
                "model_type '{t}' is not a known architecture: read as a dense llama-like decoder"
            ));
            a
        }
    })
}

/// Derives a model spec from a parsed `config.json`. Identity (`id`, `name`), `published`
/// and `sources` are left for the caller.
pub fn spec(v: &Value, file: &str) -> Result<ModelRaw> {
    let root = v
        .as_object()
        .ok_or_else(|| err(file, "not a JSON object".into()))?;
    let text = root
        .get("text_config")
        .and_then(Value::as_object)
        .unwrap_or(root);
    let c = Cfg {
        text,
        root,
        missing: RefCell::new(Vec::new()),
    };
    let ty_text = text
        .get("model_type")
        .or_else(|| root.get("model_type"))
        .and_then(Value::as_str);
    let ty = ty_text.ok_or_else(|| {
        err(
            file,
            format!("no model_type; expected one of {}", KNOWN.join(", ")),
        )
    })?;
    let ty = match ty.strip_suffix("_text") {
        Some(t) => t,
        None => ty,
    };
    let hidden = c.u("hidden_size");
    let n = c.u("num_hidden_layers").min(4096) as usize;
    let gemma = ty == "gemma3";
    let vocab = if gemma {
        c.or("vocab_size", 262_208)
    } else {
        c.u("vocab_size")
    };
    let max_context = if gemma {
        c.or("max_position_embeddings", 131_072)
    } else {
        c.u("max_position_embeddings")
    };
    let a = arch(&c, ty, n, hidden, file)?;
    let mut missing = c.missing.take();
    missing.dedup();
    if !missing.is_empty() {
        let known = if KNOWN.contains(&ty) {
            String::new()
        } else {
            format!(
                " (not a known architecture; known: {}; read as a dense decoder)",
                KNOWN.join(", ")
            )
        };
        return Err(err(
            file,
            format!("model_type '{ty}'{known}: missing {}", missing.join(", ")),
        ));
    }
    Ok(ModelRaw {
        id: String::new(),
        name: String::new(),
        family: ty.to_string(),
        hf_repo: None,
        aliases: Vec::new(),
        hidden_size: hidden,
        vocab_size: vocab,
        tied_embeddings: c.flag("tie_word_embeddings", a.tied_default),
        max_context,
        attention: a.attention,
        mla: a.mla,
        linear: a.linear,
        mamba: a.mamba,
        ffn: a.ffn,
        moe: a.moe,
        layers: groups(&a.kinds),
        native_quant: a.native_quant,
        published: PublishedRaw {
            total_params_b: 0.0,
            active_params_b: 0.0,
            active_basis: None,
            active_nominal: false,
            source: String::new(),
        },
        sources: Vec::new(),
        notes: (!a.notes.is_empty()).then_some(Text::Many(a.notes)),
    })
}

/// Reads a `config.json` (or the `config.json` in a directory).
pub fn read(path: &Path) -> Result<(ModelRaw, Value)> {
    let p = if path.is_dir() {
        path.join("config.json")
    } else {
        path.to_path_buf()
    };
    let text = std::fs::read_to_string(&p).map_err(|e| Error::Io {
        path: p.clone(),
        source: e,
    })?;
    let file = p.display().to_string();
    let v: Value = serde_json::from_str(&text).map_err(|e| Error::Parse {
        file: file.clone(),
        line: Some(e.line()),
        msg: e.to_string(),
    })?;
    Ok((spec(&v, &file)?, v))
}
