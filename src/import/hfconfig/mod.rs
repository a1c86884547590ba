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

mod families;

use crate::db::model::{ModelRaw, PublishedRaw};
use crate::db::Text;
use crate::error::{Error, Result};
use crate::import::layers::layer_groups;
use families::{deepseek, gemma3, gpt_oss, nemotron_h, qwen_hybrid, softmax_llama, Arch};
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
/// Most layers accepted.
const MAX_LAYERS: u64 = 4096;
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
    /// Keys present with a value that is not a count (negative, fractional, too large).
    bad: RefCell<Vec<String>>,
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
    /// A required number: recorded as missing when absent, as bad when present but not a
    /// count (0 returned either way).
    fn u(&self, k: &str) -> u64 {
        self.opt(k).unwrap_or_else(|| {
            match self.get(k) {
                Some(v) => self
                    .bad
                    .borrow_mut()
                    .push(format!("{k} = {v} ({})", why_bad(v))),
                None => self.missing.borrow_mut().push(k.to_string()),
            }
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

/// Why a present value is not a count.
fn why_bad(v: &Value) -> &'static str {
    match v.as_f64() {
        Some(f) if f < 0.0 => "negative",
        Some(f) if f >= 1e15 => "too large",
        Some(_) => "not a whole number",
        None => "not a number",
    }
}

fn err(file: &str, msg: String) -> Error {
    Error::Parse {
        file: file.to_string(),
        line: None,
        msg,
    }
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
            // Everything a dense decoder needs, named even when the layer count is missing.
            for k in ["num_attention_heads", "intermediate_size"] {
                c.u(k);
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
        bad: RefCell::new(Vec::new()),
    };
    let ty = model_type(root, text, file)?;
    let hidden = c.u("hidden_size");
    let n = c.u("num_hidden_layers");
    if let Some(b) = c.bad.borrow().first() {
        return Err(err(file, format!("model_type '{ty}': {b}")));
    }
    if n > MAX_LAYERS {
        return Err(err(
            file,
            format!("num_hidden_layers {n} exceeds {MAX_LAYERS}"),
        ));
    }
    let n = n as usize;
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
    complete(&c, ty, file)?;
    let m = ModelRaw {
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
        layers: layer_groups(&a.kinds),
        counts: Default::default(),
        native_quant: a.native_quant,
        published: PublishedRaw::default(),
        sources: Vec::new(),
        notes: (!a.notes.is_empty()).then_some(Text::Many(a.notes)),
    };
    crate::import::layers::check_ranges(&m, file)?;
    Ok(m)
}

/// The `model_type` (of `text_config` first), without a `_text` suffix.
fn model_type<'v>(
    root: &'v serde_json::Map<String, Value>,
    text: &'v serde_json::Map<String, Value>,
    file: &str,
) -> Result<&'v str> {
    let ty = text
        .get("model_type")
        .or_else(|| root.get("model_type"))
        .and_then(Value::as_str)
        .ok_or_else(|| {
            err(
                file,
                format!("no model_type; expected one of {}", KNOWN.join(", ")),
            )
        })?;
    Ok(ty.strip_suffix("_text").unwrap_or(ty))
}

/// An error naming every key that was malformed, else every key that was missing (each
/// once), once the architecture has been read.
fn complete(c: &Cfg, ty: &str, file: &str) -> Result<()> {
    let bad = c.bad.take();
    if !bad.is_empty() {
        return Err(err(file, format!("model_type '{ty}': {}", bad.join(", "))));
    }
    let mut missing = c.missing.take();
    let mut seen = std::collections::HashSet::new();
    missing.retain(|k| seen.insert(k.clone()));
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
    Ok(())
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
        cause: e,
    })?;
    let file = p.display().to_string();
    let v: Value = serde_json::from_str(&text).map_err(|e| Error::Parse {
        file: file.clone(),
        line: Some(e.line()),
        msg: e.to_string(),
    })?;
    Ok((spec(&v, &file)?, v))
}
