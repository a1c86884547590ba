//! Maps trace rows to database entries (device, model, quant, backend) through the ids a
//! row names or the aliases of the databases. Rows that cannot be mapped are kept with the
//! reason, never dropped silently.

use super::trace::TraceRow;
use crate::db::calibration::BackendRaw;
use crate::db::hardware::{Device, DeviceKind};
use crate::db::model::ModelRaw;
use crate::db::quant::QuantRaw;
use crate::db::resolve::normalize;
use crate::db::Db;
use serde::Serialize;

/// A row mapped to database entries.
#[derive(Debug, Clone)]
pub struct Mapped<'a> {
    /// The row.
    pub row: TraceRow,
    /// Its device.
    pub device: &'a Device,
    /// Its model.
    pub model: &'a ModelRaw,
    /// Its quant.
    pub quant: &'a QuantRaw,
    /// Its backend.
    pub backend: &'a BackendRaw,
    /// Its KV type id.
    pub kv_type: String,
}

impl Mapped<'_> {
    /// Whether the row is predicted by the CPU kernels (a CPU with a `cpu` block on
    /// llama.cpp's CPU backend), and so fitted by `calibrate --cpu-kernels` rather than by the
    /// roofline fit.
    pub fn is_cpu_kernel_row(&self) -> bool {
        self.backend.id == CPU_BACKEND
            && self.device.raw.kind == DeviceKind::Cpu
            && self.device.raw.cpu.is_some()
    }

    /// The layers the row put on the GPU when fewer than the model's (llama-bench `-ngl`
    /// below the layer count: the rest ran on the host); `None` for a full offload or a row
    /// that does not say.
    pub fn partial_gpu_layers(&self) -> Option<u32> {
        self.row
            .n_gpu_layers
            .and_then(|g| u32::try_from(g).ok())
            .filter(|g| *g < self.model.n_layers())
    }
}

/// The backend whose CPU kernels are modelled.
pub const CPU_BACKEND: &str = "llama.cpp-cpu";

/// A row that could not be mapped, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Unmapped {
    /// File.
    pub file: String,
    /// Line.
    pub line: usize,
    /// Why.
    pub reason: String,
}

/// Backend id from a free label (llama-bench `backends`, or a source's own words).
///
/// llama-bench lists every backend compiled in, so `Vulkan,RPC` is a Vulkan run on one device
/// from a build that can also talk to RPC servers: the RPC part says nothing of where the
/// layers ran. Rows split across hosts say so in their device label (`… via RPC`, see
/// [`super::multi`]); a label that is RPC alone names no local backend.
///
/// A label that names a build choice the database keeps as a variant maps to it: rocWMMA
/// flash attention (`HIP + rocWMMA + FA`), rocBLAS's own kernels (`HIP + FA (no hipBLASLt)`),
/// AMD's AMDVLK driver (`Vulkan (AMDVLK, -ub 512)`); one it denies does not (`no rocWMMA`,
/// `RADV, not AMDVLK`, `ROCBLAS_USE_HIPBLASLT=1`, `GGML_HIP_ROCWMMA_FATTN=OFF`).
pub fn backend_id(label: &str) -> Option<&'static str> {
    let l = label.to_lowercase();
    let has = |k: &str| l.contains(k);
    // A word the label names, not denies.
    let names = |k: &str| {
        l.match_indices(k).any(|(at, _)| {
            let before = l[..at].trim_end();
            !["no", "not", "without"].iter().any(|n| {
                before.ends_with(n)
                    && !before[..before.len() - n.len()].ends_with(char::is_alphanumeric)
            })
        })
    };
    if has("rocm") || has("hip") {
        let hipblaslt_off = [
            "no hipblaslt",
            "without hipblaslt",
            "rocblas_use_hipblaslt=0",
        ]
        .iter()
        .any(|k| has(k));
        let rocblas = hipblaslt_off || (names("rocblas") && !has("rocblas_use_hipblaslt"));
        let rocwmma = names("rocwmma") && !has("rocwmma_fattn=off") && !has("rocwmma_fattn=0");
        Some(match (rocblas, rocwmma) {
            (false, false) => "llama.cpp-rocm",
            (true, false) => "llama.cpp-rocm-rocblas",
            (false, true) => "llama.cpp-rocm-rocwmma",
            (true, true) => "llama.cpp-rocm-rocblas-rocwmma",
        })
    } else if has("vulkan") {
        Some(if names("amdvlk") {
            "llama.cpp-vulkan-amdvlk"
        } else {
            "llama.cpp-vulkan"
        })
    } else if has("cuda") {
        Some("llama.cpp-cuda")
    } else if has("metal") || has("mtl") {
        Some("llama.cpp-metal")
    } else if has("mlx") {
        Some("mlx")
    } else if has("vllm") {
        Some("vllm")
    } else if has("cpu") || l == "blas" {
        Some("llama.cpp-cpu")
    } else {
        None
    }
}

/// Maps one row.
pub fn map_row<'a>(db: &'a Db, row: &TraceRow) -> Result<Mapped<'a>, String> {
    if row.batch.is_some_and(|b| b > 1) && row.test == super::trace::Test::Pp {
        return Err("batched prefill (B > 1) is not modelled; batched decode rows validate the concurrency model".into());
    }
    if !(row.tok_s.is_finite() && row.tok_s > 0.0) {
        return Err(format!("tok_s {} is not a positive speed", row.tok_s));
    }
    if row.device.contains(" * ") || row.device.to_lowercase().contains("rpc") {
        return Err(format!(
            "several devices ('{}'): multi-device rows are not single-device calibration",
            row.device
        ));
    }
    let device = match &row.device_id {
        Some(id) => db.device(id),
        None => db.device(&row.device),
    }
    .map_err(|e| e.to_string())?;
    let model = match &row.model_id {
        Some(id) => db.model(id).map_err(|e| e.to_string())?,
        None => match db.model(&row.model) {
            Ok(m) => m,
            Err(e) => row
                .model_filename
                .as_deref()
                .and_then(|f| model_from_filename(db, f))
                .ok_or_else(|| e.to_string())?,
        },
    };
    let quant = match &row.quant_id {
        Some(id) => db.quant(id).map_err(|e| e.to_string())?,
        None => quant_from_labels(db, row)?,
    };
    let label = row.backend.to_lowercase();
    let trunk = ["master branch", "main branch"]
        .iter()
        .any(|t| label.contains(t));
    if row.backend_id.is_none() && label.contains(" branch") && !trunk {
        return Err(format!(
            "backend '{}' is a development branch: its kernels are in no llama.cpp build a user can name",
            row.backend
        ));
    }
    let backend = match &row.backend_id {
        Some(id) => db.backend(id).map_err(|e| e.to_string())?,
        None => {
            let id = backend_id(&row.backend)
                .ok_or_else(|| format!("unknown backend '{}'", row.backend))?;
            db.backend(id).map_err(|e| e.to_string())?
        }
    };
    let kv_type = match row.type_k.as_deref().or(row.type_v.as_deref()) {
        Some(k) => db.kv_type(k).map_err(|e| e.to_string())?.id.clone(),
        None => "f16".into(),
    };
    Ok(Mapped {
        row: row.clone(),
        device,
        model,
        quant,
        backend,
        kv_type,
    })
}

/// The model a GGUF file name names: `…/Qwen3-30B-A3B-Q4_K_M-00001-of-00002.gguf` → the
/// stem without split suffix, then without its quant suffix, matched against ids, aliases
/// and the name part of each model's Hugging Face repository.
fn model_from_filename<'a>(db: &'a Db, file: &str) -> Option<&'a ModelRaw> {
    let base = file.rsplit(['/', '\\']).next()?;
    let mut stem = base.trim_end_matches(".gguf").to_string();
    if let Some(i) = stem.find("-00001-of-") {
        stem.truncate(i);
    }
    let by_repo = |s: &str| {
        let n = normalize(s);
        db.models.iter().find(|m| {
            m.hf_repo
                .as_deref()
                .and_then(|r| r.rsplit('/').next())
                .is_some_and(|r| normalize(r) == n)
        })
    };
    let mut cand = stem.as_str();
    loop {
        if let Some(m) = db.model(cand).ok().or_else(|| by_repo(cand)) {
            return Some(m);
        }
        let cut = cand.rfind(['-', '.'])?;
        cand = &cand[..cut];
    }
}

/// The quant from the row's quant label, else from a quant suffix of the model label or
/// file name (`…-Q4_K_M`, `.Q8_0`, `-UD-Q4_K_XL`).
fn quant_from_labels<'a>(db: &'a Db, row: &TraceRow) -> Result<&'a QuantRaw, String> {
    let named = quant_from_names(db, row);
    // llama-bench labels an Unsloth Dynamic file (`…-UD-Q4_K_XL`) with its base type only
    // ("Q4_K - Medium"); the name states the mix, whose tensor groups differ in size.
    if let Some(q) = named.filter(|q| q.id.starts_with("ud-")) {
        return Ok(q);
    }
    if !row.quant.trim().is_empty() {
        return db.quant(&row.quant).map_err(|e| e.to_string());
    }
    named.ok_or_else(|| "quant not stated".into())
}

/// The quant a suffix of the model label or file name names, the longest match.
fn quant_from_names<'a>(db: &'a Db, row: &TraceRow) -> Option<&'a QuantRaw> {
    let names = [Some(row.model.as_str()), row.model_filename.as_deref()];
    for n in names.into_iter().flatten() {
        let norm = normalize(n);
        let mut best: Option<(&QuantRaw, usize)> = None;
        for q in &db.quants {
            for a in std::iter::once(&q.id).chain(q.aliases.iter()) {
                let na = normalize(a);
                if na.len() >= 3 && norm.ends_with(&na) && best.is_none_or(|(_, l)| na.len() > l) {
                    best = Some((q, na.len()));
                }
            }
        }
        if let Some((q, _)) = best {
            return Some(q);
        }
    }
    None
}

/// Maps every row; returns the mapped rows and the unmapped ones with reasons.
pub fn map_rows<'a>(db: &'a Db, rows: &[TraceRow]) -> (Vec<Mapped<'a>>, Vec<Unmapped>) {
    let mut ok = Vec::new();
    let mut bad = Vec::new();
    for r in rows {
        match map_row(db, r) {
            Ok(m) => ok.push(m),
            Err(reason) => bad.push(Unmapped {
                file: r.file.clone(),
                line: r.line,
                reason,
            }),
        }
    }
    (ok, bad)
}
