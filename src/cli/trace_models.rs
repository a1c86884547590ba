//! The models of trace rows read from their GGUF files: a llama-bench row names the file it
//! ran (`model_filename`); when that file exists (relative to the working directory, else to
//! the trace's directory), its header gives the model, which then maps the row ahead of the
//! names in the database.

use anyhow::Result;
use std::path::{Path, PathBuf};
use tokenfit::db::Db;

/// The file a row names, if it exists: as given (relative to the working directory), else
/// beside the trace.
fn locate(named: &str, trace: &Path) -> Option<PathBuf> {
    let p = PathBuf::from(named);
    if p.is_file() {
        return Some(p);
    }
    let beside = trace.parent()?.join(&p);
    beside.is_file().then_some(beside)
}

/// A copy of the database holding the models of the GGUF files the traces' rows name (None
/// when no row names an existing file). Each imported model takes as aliases the row's
/// model label (`llama 256M`), the file name as the row gives it and the file's stem, so a
/// row maps to it by any of them. A file whose header cannot be read is a warning.
pub fn with_trace_models(
    db: &Db,
    traces: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<Option<Db>> {
    let mut out: Option<Db> = None;
    let mut seen: Vec<PathBuf> = Vec::new();
    for t in traces {
        // A trace that cannot be read fails later, in the loader, with its own message.
        let Ok(tf) = tokenfit::calib::read::read_trace_file(t) else {
            continue;
        };
        for row in &tf.rows {
            let Some(named) = row.model_filename.as_deref() else {
                continue;
            };
            let Some(path) = locate(named, t) else {
                continue;
            };
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            match tokenfit::import::load_gguf(db, &path) {
                Ok(imp) => {
                    let target = out.get_or_insert_with(|| db.clone());
                    let mut m = imp.model;
                    m.id = format!("gguf-{}", tokenfit::import::model_id(&path));
                    let stem = path
                        .file_stem()
                        .map(|s| s.to_string_lossy().to_string())
                        .unwrap_or_default();
                    for a in [row.model.clone(), named.to_string(), stem] {
                        if !a.trim().is_empty() && !m.aliases.contains(&a) {
                            m.aliases.push(a);
                        }
                    }
                    target.models.retain(|x| x.id != m.id);
                    target.models.push(m);
                }
                Err(e) => warnings.push(format!(
                    "{}: the GGUF header could not be read ({e}); the row maps by name",
                    path.display()
                )),
            }
        }
    }
    Ok(out)
}
