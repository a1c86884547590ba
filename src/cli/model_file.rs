//! A model given as a file (`--gguf`, `--hf-config`) instead of a database name.

use crate::cli::common::ModelFileArgs;
use anyhow::{bail, Context, Result};
use tokenfit::db::model::ModelRaw;
use tokenfit::db::quant::QuantRaw;
use tokenfit::db::Db;
use tokenfit::import::{load_gguf, load_hf_config, ImportedModel};
use tokenfit::units::Bytes;

/// Reads the model file the flags name, if any.
pub fn imported(db: &Db, f: &ModelFileArgs) -> Result<Option<ImportedModel>> {
    for p in f.gguf.iter().chain(&f.hf_config) {
        if !p.exists() {
            bail!("{}: no such file", p.display());
        }
    }
    Ok(match (&f.gguf, &f.hf_config) {
        (Some(p), _) => Some(load_gguf(db, p)?),
        (None, Some(p)) => Some(load_hf_config(db, p)?),
        (None, None) => None,
    })
}

/// The model: the file's, else the named database entry.
pub fn model<'a>(
    db: &'a Db,
    name: Option<&str>,
    imp: Option<&'a ImportedModel>,
) -> Result<&'a ModelRaw> {
    match (imp, name.filter(|n| !n.is_empty())) {
        (Some(i), _) => Ok(&i.model),
        (None, Some(n)) => Ok(db.model(n)?),
        (None, None) => bail!("name a model, or pass --gguf FILE or --hf-config FILE"),
    }
}

/// The scheme and weight bytes of a scenario: `--quant` if given, else the GGUF file's, else
/// `fallback`. The file's exact bytes apply unless `--quant` names another scheme, which
/// makes it a what-if estimated from the architecture (with a warning).
pub fn quant<'a>(
    db: &'a Db,
    given: Option<&str>,
    imp: Option<&ImportedModel>,
    fallback: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<(&'a QuantRaw, Option<Bytes>)> {
    let given = given.filter(|q| !q.is_empty());
    let file_quant = imp.and_then(|i| i.quant.as_deref());
    let name = given
        .or(file_quant)
        .or(fallback)
        .context("--quant is required: the file does not name a known quantization scheme")?;
    let q = db.quant(name)?;
    let bytes = imp.and_then(|i| i.weights_bytes);
    Ok(match (bytes, file_quant) {
        (Some(b), Some(f)) if f != q.id => {
            let w = format!(
                "--quant {} differs from the file's {f}: weights estimated from the architecture, not the file's exact {:.3} GB",
                q.id,
                b.0 / 1e9
            );
            if !warnings.contains(&w) {
                warnings.push(w);
            }
            (q, None)
        }
        (b, _) => (q, b),
    })
}

/// A note naming the file a model came from and whether its exact bytes were used.
pub fn note(i: &ImportedModel, weights_bytes: Option<Bytes>) -> String {
    let files = i
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    match weights_bytes {
        Some(b) => format!(
            "model '{}' read from {files}: weights {:.3} GB exact (sum of the tensors)",
            i.model.id,
            b.0 / 1e9
        ),
        None => format!(
            "model '{}' read from {files}: its architecture; weights estimated from the quantization",
            i.model.id
        ),
    }
}
