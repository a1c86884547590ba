//! Models from the user's own files, used in place of a database name: a GGUF file (the
//! header only, see [`crate::import::gguf`]: exact weight bytes and the file's quantization) or a
//! Hugging Face `config.json` ([`crate::import::hfconfig`]). The result is a model-db entry whose
//! parameter counts are computed from the architecture ([`crate::model::params`]) and
//! validated like a database entry; [`to_yaml`] prints it as one.

use crate::db::model::{ModelRaw, PublishedRaw};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::model::params::param_groups;
use crate::units::Bytes;
pub mod gguf;
pub mod hfconfig;
pub mod layers;

use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Tensors and bytes of one ggml type in a GGUF file.
#[derive(Debug, Clone, Serialize)]
pub struct TypeBytes {
    /// ggml type id (`q4_k`, `f32` …).
    pub type_id: String,
    /// Number of tensors.
    pub tensors: u64,
    /// Number of weights.
    pub elements: u64,
    /// Bytes.
    pub bytes: u64,
}

/// A model read from a file.
#[derive(Debug, Clone)]
pub struct ImportedModel {
    /// The spec, as a model-db entry.
    pub model: ModelRaw,
    /// Exact weight bytes (GGUF: the sum of the tensors), if known.
    pub weights_bytes: Option<Bytes>,
    /// The quantization scheme of the file (a `db.quants` id), if known.
    pub quant: Option<String>,
    /// Bytes by ggml type, largest first (GGUF only).
    pub bytes_by_type: Vec<TypeBytes>,
    /// The files read.
    pub files: Vec<PathBuf>,
    /// `gguf` or `hf-config`.
    pub format: &'static str,
}

/// `general.file_type` (llama.cpp `llama_ftype`) → quantization scheme id.
const FILE_TYPES: [(u64, &str); 36] = [
    (0, "f32"),
    (1, "f16"),
    (2, "q4_0"),
    (3, "q4_1"),
    (7, "q8_0"),
    (8, "q5_0"),
    (9, "q5_1"),
    (10, "q2_k"),
    (11, "q3_k_s"),
    (12, "q3_k_m"),
    (13, "q3_k_l"),
    (14, "q4_k_s"),
    (15, "q4_k_m"),
    (16, "q5_k_s"),
    (17, "q5_k_m"),
    (18, "q6_k"),
    (19, "iq2_xxs"),
    (20, "iq2_xs"),
    (21, "q2_k_s"),
    (22, "iq3_xs"),
    (23, "iq3_xxs"),
    (24, "iq1_s"),
    (25, "iq4_nl"),
    (26, "iq3_s"),
    (27, "iq3_m"),
    (28, "iq2_s"),
    (29, "iq2_m"),
    (30, "iq4_xs"),
    (31, "iq1_m"),
    (32, "bf16"),
    (36, "tq1_0"),
    (37, "tq2_0"),
    (38, "mxfp4_moe"),
    (39, "nvfp4"),
    (40, "q1_0"),
    (41, "q2_0"),
];
/// llama.cpp's `LLAMA_FTYPE_GUESSED` flag.
const FTYPE_GUESSED: u64 = 1024;

/// Reads a GGUF file or a `config.json`, told apart by the GGUF magic (or a `.gguf` name).
pub fn load_model_file(db: &Db, path: &Path) -> Result<ImportedModel> {
    if is_gguf(path) {
        load_gguf(db, path)
    } else {
        load_hf_config(db, path)
    }
}

fn is_gguf(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gguf"))
    {
        return true;
    }
    let mut magic = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok_and(|()| &magic == b"GGUF")
}

/// An id for a file: its name without `.gguf`, the shard suffix or, for `config.json`,
/// the directory's name; lowercase, other characters replaced by `-`.
pub fn model_id(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let stem = if name.eq_ignore_ascii_case("config.json") || path.is_dir() {
        let dir = if path.is_dir() {
            Some(path)
        } else {
            path.parent()
        };
        dir.and_then(|d| d.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("model")
    } else {
        let s = name
            .strip_suffix(".gguf")
            .or_else(|| name.strip_suffix(".json"))
            .unwrap_or(name);
        match s.rsplit_once("-of-").and_then(|(b, _)| b.rsplit_once('-')) {
            Some((prefix, idx)) if !idx.is_empty() && idx.bytes().all(|b| b.is_ascii_digit()) => {
                prefix
            }
            _ => s,
        }
    };
    let id: String = stem
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._+-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    let id = id.trim_matches('-');
    if id.is_empty() {
        "imported".into()
    } else {
        id.into()
    }
}

/// Fills identity, computed counts and sources, then validates as a database entry.
fn finish(
    db: &Db,
    mut m: ModelRaw,
    path: &Path,
    name: String,
    source: String,
    files: &[PathBuf],
) -> Result<ModelRaw> {
    m.id = model_id(path);
    m.name = name;
    let p = param_groups(&m);
    m.published = PublishedRaw {
        total_params_b: p.total() / 1e9,
        active_params_b: p.active() / 1e9,
        active_basis: None,
        active_nominal: false,
        source,
    };
    m.sources = files.iter().map(|f| f.display().to_string()).collect();
    db.check_model(&path.display().to_string(), &m)?;
    Ok(m)
}

/// Reads a GGUF model (every shard of a split one) from its headers.
pub fn load_gguf(db: &Db, path: &Path) -> Result<ImportedModel> {
    let g = gguf::read_model(path, &db.tensor_types)?;
    let m = gguf::arch::spec(&g)?;
    let name = g
        .get("general.name")
        .and_then(gguf::Value::as_str)
        .map_or_else(|| model_id(path), str::to_string);
    let source = format!(
        "computed from GGUF header {} (not published counts)",
        path.display()
    );
    let mut m = finish(db, m, path, name, source, &g.files)?;
    m.hf_repo = g
        .get("general.source.huggingface.repository")
        .and_then(gguf::Value::as_str)
        .map(str::to_string);
    let mut by: BTreeMap<&str, TypeBytes> = BTreeMap::new();
    for t in &g.tensors {
        let e = by.entry(&t.type_id).or_insert_with(|| TypeBytes {
            type_id: t.type_id.clone(),
            tensors: 0,
            elements: 0,
            bytes: 0,
        });
        e.tensors += 1;
        e.elements = e.elements.saturating_add(t.elements);
        e.bytes = e.bytes.saturating_add(t.bytes);
    }
    let mut bytes_by_type: Vec<TypeBytes> = by.into_values().collect();
    bytes_by_type.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.type_id.cmp(&b.type_id)));
    let quant = file_quant(db, &g, &bytes_by_type);
    Ok(ImportedModel {
        model: m,
        // A header without tensors (vocabulary-only files) says nothing about the weights.
        weights_bytes: (!g.tensors.is_empty()).then(|| Bytes(g.tensor_bytes() as f64)),
        quant,
        bytes_by_type,
        files: g.files.clone(),
        format: "gguf",
    })
}

/// The scheme of `general.file_type`, else the one named after the type holding most bytes.
fn file_quant(db: &Db, g: &gguf::GgufModel, by: &[TypeBytes]) -> Option<String> {
    let exists = |id: &str| db.quants.iter().any(|q| q.id == id);
    let ftype = g
        .get("general.file_type")
        .and_then(gguf::Value::as_u64)
        .map(|f| f & !FTYPE_GUESSED);
    if let Some((_, id)) = ftype.and_then(|f| FILE_TYPES.iter().find(|(k, _)| *k == f)) {
        if exists(id) {
            return Some((*id).to_string());
        }
    }
    let top = by.first()?;
    [
        top.type_id.clone(),
        format!("{}_m", top.type_id),
        format!("{}_moe", top.type_id),
    ]
    .into_iter()
    .find(|c| exists(c))
}

/// Reads a Hugging Face `config.json` (or a directory holding one).
pub fn load_hf_config(db: &Db, path: &Path) -> Result<ImportedModel> {
    let (m, v) = hfconfig::read(path)?;
    let file = if path.is_dir() {
        path.join("config.json")
    } else {
        path.to_path_buf()
    };
    let repo = v
        .get("_name_or_path")
        .and_then(|x| x.as_str())
        .filter(|s| s.split('/').count() == 2 && !s.starts_with(['/', '.']));
    let name = repo.map_or_else(
        || model_id(path),
        |r| r.rsplit('/').next().unwrap_or(r).to_string(),
    );
    let source = format!("computed from {} (not published counts)", file.display());
    let mut m = finish(db, m, path, name, source, std::slice::from_ref(&file))?;
    m.hf_repo = repo.map(str::to_string);
    Ok(ImportedModel {
        model: m,
        weights_bytes: None,
        quant: None,
        bytes_by_type: Vec::new(),
        files: vec![file],
        format: "hf-config",
    })
}

fn strip_nulls(v: &mut serde_norway::Value) {
    match v {
        serde_norway::Value::Mapping(m) => {
            m.retain(|_, x| !(x.is_null() || x.as_sequence().is_some_and(|s| s.is_empty())));
            for (_, x) in m.iter_mut() {
                strip_nulls(x);
            }
        }
        serde_norway::Value::Sequence(s) => s.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// The model as a model-db YAML file (`models: [ … ]`), absent fields left out.
pub fn to_yaml(m: &ModelRaw) -> Result<String> {
    #[derive(Serialize)]
    struct File<'a> {
        models: [&'a ModelRaw; 1],
    }
    let e = |e: serde_norway::Error| Error::Input(format!("writing YAML: {e}"));
    let mut v = serde_norway::to_value(File { models: [m] }).map_err(e)?;
    strip_nulls(&mut v);
    serde_norway::to_string(&v).map_err(e)
}
