//! GGUF architecture keys → a model spec ([`ModelRaw`]).
//!
//! Keys are `<general.architecture>.<name>` as llama.cpp writes them (`src/llama-arch.cpp`):
//! `block_count` (minus `nextn_predict_layers`, the MTP blocks), `embedding_length`,
//! `context_length`, `vocab_size` (else the `token_embd.weight` rows), `feed_forward_length`,
//! `attention.head_count` / `head_count_kv` (a number or one per layer), `attention.key_length`
//! (head dim; default embedding / heads), `attention.sliding_window`, MLA `attention.q_lora_rank`,
//! `kv_lora_rank`, `key_length_mla` / `value_length_mla` (else `key_length` / `value_length`)
//! and `rope.dimension_count`, `expert_count`, `expert_used_count`,
//! `expert_feed_forward_length`, `expert_shared_count`, `expert_shared_feed_forward_length`,
//! and the recurrent `ssm.*` sizes: for Gated DeltaNet (Qwen3-Next, Qwen3.5) `group_count` =
//! key heads, `time_step_rank` = value heads, `state_size` = key head dim, `inner_size` =
//! value heads × value head dim; for Mamba2 `time_step_rank` = heads, `inner_size` = heads ×
//! head dim, `state_size`, `group_count`, `conv_kernel`. Tensor shapes fill what keys leave
//! out (the expert FFN width of Mixtral, the output gate doubling `attn_q`, shared experts)
//! and tell gated FFNs (`ffn_gate`) from plain ones; a missing `output.weight` means tied
//! embeddings.

use super::layers::{blocks, classify, Blocks};
use super::{GgufModel, TensorInfo, Value};
use crate::db::model::{
    AttentionRaw, FfnKind, FfnRaw, LayerGroupRaw, LinearRaw, MambaRaw, Mixer, MlaRaw, ModelRaw,
    MoeRaw, NativeQuantRaw, PublishedRaw,
};
use crate::db::Text;
use crate::error::{Error, Result};

/// Architectures whose softmax attention has an output gate folded into `attn_q`.
const Q_GATE_ARCHS: [&str; 3] = ["qwen3next", "qwen35", "qwen35moe"];
/// Most blocks accepted (llama.cpp allows 512).
const MAX_BLOCKS: u64 = 4096;

/// Architecture keys of one GGUF model.
pub struct Keys<'a> {
    /// The model.
    pub g: &'a GgufModel,
    /// `general.architecture`.
    pub arch: String,
}

impl Keys<'_> {
    fn value(&self, suffix: &str) -> Option<&Value> {
        self.g.get(&format!("{}.{suffix}", self.arch))
    }
    /// A scalar unsigned key.
    pub fn u(&self, suffix: &str) -> Option<u64> {
        self.value(suffix).and_then(Value::as_u64)
    }
    /// A key that is a number, or an array with one number per layer (element `i`).
    pub fn per_layer(&self, suffix: &str, i: usize) -> Option<u64> {
        match self.value(suffix)? {
            Value::Array(a) => a.values.get(i).and_then(Value::as_u64),
            v => v.as_u64(),
        }
    }
    /// A per-layer array of booleans (integers 0/1 accepted).
    pub fn bools(&self, suffix: &str) -> Option<Vec<bool>> {
        let a = self.value(suffix)?.as_array()?;
        a.values.iter().map(Value::as_bool).collect()
    }
    fn max_over(&self, suffix: &str, layers: &[usize]) -> Option<u64> {
        layers
            .iter()
            .filter_map(|&i| self.per_layer(suffix, i))
            .max()
    }
}

struct Ctx<'a> {
    k: Keys<'a>,
    b: Blocks<'a>,
    kinds: Vec<(Mixer, FfnKind)>,
    file: String,
}

impl Ctx<'_> {
    fn err(&self, msg: impl Into<String>) -> Error {
        Error::Parse {
            file: self.file.clone(),
            line: None,
            msg: msg.into(),
        }
    }
    fn need(&self, suffix: &str, why: &str) -> Result<u64> {
        match self.k.u(suffix) {
            Some(v) if v > 0 && v < 1 << 32 => Ok(v),
            Some(v) => Err(self.err(format!(
                "{}.{suffix} = {v} is out of range ({why})",
                self.k.arch
            ))),
            None => Err(self.err(format!("{}.{suffix} is missing ({why})", self.k.arch))),
        }
    }
    fn layers_with(&self, f: impl Fn(Mixer, FfnKind) -> bool) -> Vec<usize> {
        (0..self.kinds.len())
            .filter(|&i| f(self.kinds[i].0, self.kinds[i].1))
            .collect()
    }
    /// A tensor of the first of `layers` that has it.
    fn tensor(&self, layers: &[usize], name: &str) -> Option<&TensorInfo> {
        layers
            .iter()
            .find_map(|&i| self.b.get(i).and_then(|t| t.get(name)).copied())
    }
    fn has_tensors(&self, layers: &[usize]) -> bool {
        layers
            .iter()
            .any(|&i| self.b.get(i).is_some_and(|t| !t.is_empty()))
    }
}

fn dim(t: Option<&TensorInfo>, i: usize) -> Option<u64> {
    t.and_then(|t| t.dims.get(i).copied()).filter(|&d| d > 0)
}

fn u32_of(c: &Ctx, v: u64, what: &str) -> Result<u32> {
    u32::try_from(v).map_err(|_| c.err(format!("{what} = {v} is out of range")))
}

fn attention(c: &Ctx, hidden: u64, notes: &mut Vec<String>) -> Result<Option<AttentionRaw>> {
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
        Some(q) => q == 2 * heads * head_dim,
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

fn mla(c: &Ctx) -> Result<Option<MlaRaw>> {
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

fn per_head(c: &Ctx, inner: u64, heads: u64) -> Result<u32> {
    if inner % heads != 0 {
        return Err(c.err(format!(
            "{}.ssm.inner_size {inner} is not a multiple of ssm.time_step_rank {heads}",
            c.k.arch
        )));
    }
    u32_of(c, inner / heads, "ssm head dim")
}

fn recurrent(c: &Ctx) -> Result<(Option<LinearRaw>, Option<MambaRaw>)> {
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

fn dense_ffn(c: &Ctx) -> Result<Option<FfnRaw>> {
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

fn moe(c: &Ctx) -> Result<Option<MoeRaw>> {
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

fn vocab(c: &Ctx) -> Result<u64> {
    let from_embd =
        c.k.g
            .tensors
            .iter()
            .find(|t| t.name == "token_embd.weight")
            .and_then(|t| dim(Some(t), 1));
    let from_tokens =
        c.k.g
            .get("tokenizer.ggml.tokens")
            .and_then(Value::as_array)
            .map(|a| a.len);
    c.k.u("vocab_size")
        .or(from_embd)
        .or(from_tokens)
        .filter(|&v| v > 0)
        .ok_or_else(|| {
            c.err(
                "no vocabulary size: no vocab_size key, token_embd.weight or tokenizer.ggml.tokens",
            )
        })
}

/// The family name of the model database for a GGUF architecture (`qwen3moe` → `qwen3_moe`).
pub fn family(arch: &str) -> String {
    match arch {
        "qwen2moe" => "qwen2_moe".into(),
        "qwen3moe" => "qwen3_moe".into(),
        "qwen3next" => "qwen3_next".into(),
        "qwen35" => "qwen3_5".into(),
        "qwen35moe" => "qwen3_5_moe".into(),
        "glm4moe" => "glm4_moe".into(),
        "deepseek2" => "deepseek_v3".into(),
        a => a.replace('-', "_"),
    }
}

/// Derives the model spec from a GGUF model's keys and tensor shapes. Identity (`id`,
/// `name`), `published` and `sources` are left for the caller; remarks go to `notes`.
pub fn spec(g: &GgufModel) -> Result<ModelRaw> {
    let file = g.file();
    let arch = g
        .get("general.architecture")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Error::Parse {
            file: file.clone(),
            line: None,
            msg: "general.architecture is missing: not a model file (a vocabulary-only or adapter GGUF?)".into(),
        })?;
    let k = Keys { g, arch };
    let mut c = Ctx {
        k,
        b: Vec::new(),
        kinds: Vec::new(),
        file,
    };
    let n_all = c.need("block_count", "the layer stack")?;
    if n_all > MAX_BLOCKS {
        return Err(c.err(format!(
            "{}.block_count {n_all} exceeds {MAX_BLOCKS}",
            c.k.arch
        )));
    }
    let nextn = c.k.u("nextn_predict_layers").unwrap_or(0);
    let n = n_all.checked_sub(nextn).filter(|&n| n > 0).ok_or_else(|| {
        c.err(format!(
            "nextn_predict_layers {nextn} leaves no layers of {n_all}"
        ))
    })?;
    let hidden = c.need("embedding_length", "hidden size")?;
    c.b = blocks(&g.tensors, n_all as usize);
    c.kinds = classify(&c.k, &c.b, n as usize);
    let mut notes = Vec::new();
    if nextn > 0 {
        notes.push(format!("{nextn} MTP (next-token prediction) block(s) left out of the layer stack; their weights are in the byte count"));
    }
    let attention = attention(&c, hidden, &mut notes)?;
    let (linear, mamba) = recurrent(&c)?;
    let moe = moe(&c)?;
    // gpt-oss ships its experts in MXFP4; no scheme stores them larger.
    let native_quant = (c.k.arch == "gpt-oss")
        .then(|| {
            c.tensor(
                &c.layers_with(|_, f| f == FfnKind::Moe),
                "ffn_up_exps.weight",
            )
        })
        .flatten()
        .filter(|t| t.type_id == "mxfp4")
        .map(|_| NativeQuantRaw {
            experts: Some("mxfp4".into()),
        });
    Ok(ModelRaw {
        id: String::new(),
        name: String::new(),
        family: family(&c.k.arch),
        hf_repo: None,
        aliases: Vec::new(),
        hidden_size: hidden,
        vocab_size: vocab(&c)?,
        tied_embeddings: !g.tensors.is_empty()
            && !g.tensors.iter().any(|t| t.name == "output.weight"),
        max_context: c.need("context_length", "maximum context")?,
        attention,
        mla: mla(&c)?,
        linear,
        mamba,
        ffn: dense_ffn(&c)?,
        moe,
        layers: groups(&c.kinds),
        native_quant,
        published: PublishedRaw {
            total_params_b: 0.0,
            active_params_b: 0.0,
            active_basis: None,
            active_nominal: false,
            source: String::new(),
        },
        sources: Vec::new(),
        notes: (!notes.is_empty()).then_some(Text::Many(notes)),
    })
}
