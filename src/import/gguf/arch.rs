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

use super::context::Ctx;
use super::keys::Keys;
use super::layers::{blocks, classify};
use super::parts::{attention, dense_ffn, dim, mla, moe, recurrent};
use super::{GgufModel, Value};
use crate::db::model::{FfnKind, ModelRaw, NativeQuantRaw, PublishedRaw};
use crate::db::Text;
use crate::error::{Error, Result};

/// Most blocks accepted (llama.cpp allows 512).
const MAX_BLOCKS: u64 = 4096;

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

/// Experts shipped natively quantized: gpt-oss ships its experts in MXFP4; no scheme
/// stores them larger.
fn native_quant(c: &Ctx) -> Option<NativeQuantRaw> {
    (c.k.arch == "gpt-oss")
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
        })
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
    let native_quant = native_quant(&c);
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
        counts: Default::default(),
        native_quant,
        published: PublishedRaw::default(),
        sources: Vec::new(),
        notes: (!notes.is_empty()).then_some(Text::Many(notes)),
    };
    crate::import::layers::check_ranges(&m, &c.file)?;
    Ok(m)
}
