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
use super::parts::{attention, dense_ffn, dim, mla, moe, recurrent};
use super::{GgufModel, TensorInfo, Value};
use crate::db::model::{FfnKind, Mixer, ModelRaw, NativeQuantRaw, PublishedRaw};
use crate::db::Text;
use crate::error::{Error, Result};

/// Architectures whose softmax attention has an output gate folded into `attn_q`.
pub(super) const Q_GATE_ARCHS: [&str; 3] = ["qwen3next", "qwen35", "qwen35moe"];
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
    pub(super) fn max_over(&self, suffix: &str, layers: &[usize]) -> Option<u64> {
        layers
            .iter()
            .filter_map(|&i| self.per_layer(suffix, i))
            .max()
    }
}

/// Keys, tensors by block and the layer kinds, for the block readers of `parts.rs`.
pub(super) struct Ctx<'a> {
    pub(super) k: Keys<'a>,
    pub(super) b: Blocks<'a>,
    pub(super) kinds: Vec<(Mixer, FfnKind)>,
    file: String,
}

impl Ctx<'_> {
    pub(super) fn err(&self, msg: impl Into<String>) -> Error {
        Error::Parse {
            file: self.file.clone(),
            line: None,
            msg: msg.into(),
        }
    }
    pub(super) fn need(&self, suffix: &str, why: &str) -> Result<u64> {
        match self.k.u(suffix) {
            Some(v) if v > 0 && v < 1 << 32 => Ok(v),
            Some(v) => Err(self.err(format!(
                "{}.{suffix} = {v} is out of range ({why})",
                self.k.arch
            ))),
            None => Err(self.err(format!("{}.{suffix} is missing ({why})", self.k.arch))),
        }
    }
    pub(super) fn layers_with(&self, f: impl Fn(Mixer, FfnKind) -> bool) -> Vec<usize> {
        (0..self.kinds.len())
            .filter(|&i| f(self.kinds[i].0, self.kinds[i].1))
            .collect()
    }
    /// A tensor of the first of `layers` that has it.
    pub(super) fn tensor(&self, layers: &[usize], name: &str) -> Option<&TensorInfo> {
        layers
            .iter()
            .find_map(|&i| self.b.get(i).and_then(|t| t.get(name)).copied())
    }
    pub(super) fn has_tensors(&self, layers: &[usize]) -> bool {
        layers
            .iter()
            .any(|&i| self.b.get(i).is_some_and(|t| !t.is_empty()))
    }
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
    let m = ModelRaw {
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
        layers: crate::import::layers::layer_groups(&c.kinds),
        native_quant,
        published: PublishedRaw::default(),
        sources: Vec::new(),
        notes: (!notes.is_empty()).then_some(Text::Many(notes)),
    };
    crate::import::layers::check_ranges(&m, &c.file)?;
    Ok(m)
}
