//! `models import FILE`: a GGUF file or config.json printed as a model-db entry.

use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use std::path::PathBuf;
use tokenfit::db::Db;
use tokenfit::import::{load_model_file, to_yaml, ImportedModel};
use tokenfit::model::footprint::kv_bytes_per_token;
use tokenfit::model::params::param_groups;
use tokenfit::report::Output;

/// `models` arguments.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ModelsArgs {
    /// `import FILE`.
    #[command(subcommand)]
    pub action: Option<ModelsAction>,
    /// An id to show in full (omit to list all).
    pub id: Option<String>,
}

/// `models` actions.
#[derive(Debug, Subcommand)]
pub enum ModelsAction {
    /// Print a GGUF file or a Hugging Face config.json as a model-db YAML entry (save it under --db DIR to use it by id).
    Import(ImportArgs),
}

/// `models import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A GGUF file (any shard of a split model) or a config.json (or its directory).
    pub file: PathBuf,
}

fn header_comment(i: &ImportedModel) -> String {
    let mut s = format!(
        "# tokenfit models import: {} ({})\n",
        i.files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        i.format
    );
    if let Some(b) = i.weights_bytes {
        let types = i
            .bytes_by_type
            .iter()
            .map(|t| format!("{} {:.3} GB", t.type_id, t.bytes as f64 / 1e9))
            .collect::<Vec<_>>()
            .join(", ");
        s += &format!("# weights {:.3} GB exact: {types}\n", b.0 / 1e9);
    }
    if let Some(q) = &i.quant {
        s += &format!("# quantization: {q}\n");
    }
    s += "# parameter counts under `published` are computed from the architecture\n";
    s
}

/// `tokenfit models import FILE`: the model as a model-db YAML entry (table format), or its
/// fields with the exact bytes by tensor type (JSON, CSV, Markdown).
pub fn import_cmd(db: &Db, a: ImportArgs) -> Result<Output<'_>> {
    let i = load_model_file(db, &a.file)?;
    let p = param_groups(&i.model);
    let mut v = serde_json::to_value(&i.model)?;
    v["computed"] = json!({
        "computed_total_params_b": p.total() / 1e9,
        "computed_active_params_b": p.active() / 1e9,
        "kv_bytes_per_token_f16": kv_bytes_per_token(&i.model, 2.0).0,
        "n_layers": i.model.n_layers(),
    });
    v["file"] = json!({
        "format": i.format,
        "files": i.files.iter().map(|f| f.display().to_string()).collect::<Vec<_>>(),
        "weights_bytes": i.weights_bytes.map(|b| b.0),
        "quant": i.quant,
        "bytes_by_type": i.bytes_by_type,
    });
    let mut out = Output::new(json!({ "command": "models import", "file": a.file }));
    out.raw_text = Some(header_comment(&i) + &to_yaml(&i.model)?);
    out.view = crate::cli::lists::kv_view(&v);
    out.set_results(vec![v]);
    Ok(out)
}
