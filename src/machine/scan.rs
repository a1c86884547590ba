//! Finding the GGUF files kept on this machine, in the places people keep them:
//!
//! - the Hugging Face hub cache: `$HF_HUB_CACHE`, else `$HF_HOME/hub`, else
//!   `~/.cache/huggingface/hub` (`models--org--name/snapshots/<rev>/*.gguf`, links to blobs);
//! - LM Studio: `~/.lmstudio/models`, and the older `~/.cache/lm-studio/models`;
//! - llama.cpp's download cache (`-hf`): `$LLAMA_CACHE`, else `~/.cache/llama.cpp`
//!   (`~/Library/Caches/llama.cpp` on macOS);
//! - Ollama: `$OLLAMA_MODELS`, else `~/.ollama/models` and the Linux service's
//!   `/usr/share/ollama/.ollama/models`. Its blobs have no extension: each manifest
//!   (`manifests/<registry>/<namespace>/<model>/<tag>`, JSON) names the blob of its
//!   `application/vnd.ollama.image.model` layer (`sha256:<hex>` → `blobs/sha256-<hex>`);
//! - any directory given.
//!
//! Directories are walked to [`MAX_DEPTH`] levels without following links to directories
//! (links to files are followed: the hub's snapshots are links). Of a split model only the
//! first shard is listed (the header reader finds the others). A file reached twice (a
//! link and its target) is listed once.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Deepest directory level walked below a root.
pub const MAX_DEPTH: usize = 8;

/// Where a file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// The Hugging Face hub cache.
    HuggingFace,
    /// LM Studio's models folder.
    LmStudio,
    /// llama.cpp's download cache.
    LlamaCpp,
    /// Ollama's blobs, through its manifests.
    Ollama,
    /// A directory given on the command line.
    Given,
}

/// A model file found.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Found {
    /// Where it was found.
    pub origin: Origin,
    /// The file.
    pub path: PathBuf,
    /// A name for people: the file name, or Ollama's `model:tag`.
    pub label: String,
}

/// The places searched by default, from the environment (`HOME`, `HF_HUB_CACHE`,
/// `HF_HOME`, `LLAMA_CACHE`, `OLLAMA_MODELS`).
pub fn default_roots() -> Vec<(Origin, PathBuf)> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let home = env("HOME");
    let under = |p: &str| home.as_ref().map(|h| h.join(p));
    let mut roots = Vec::new();
    let hf = env("HF_HUB_CACHE")
        .or_else(|| env("HF_HOME").map(|h| h.join("hub")))
        .or_else(|| under(".cache/huggingface/hub"));
    roots.extend(hf.map(|p| (Origin::HuggingFace, p)));
    for p in [".lmstudio/models", ".cache/lm-studio/models"] {
        roots.extend(under(p).map(|p| (Origin::LmStudio, p)));
    }
    let llama = env("LLAMA_CACHE").or_else(|| {
        if cfg!(target_os = "macos") {
            under("Library/Caches/llama.cpp")
        } else {
            under(".cache/llama.cpp")
        }
    });
    roots.extend(llama.map(|p| (Origin::LlamaCpp, p)));
    match env("OLLAMA_MODELS") {
        Some(p) => roots.push((Origin::Ollama, p)),
        None => {
            roots.extend(under(".ollama/models").map(|p| (Origin::Ollama, p)));
            roots.push((Origin::Ollama, "/usr/share/ollama/.ollama/models".into()));
        }
    }
    roots
}

/// Whether a file name is a GGUF file to list: `.gguf`, and of a split model only the
/// first shard.
pub fn is_listed_gguf(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".gguf") else {
        return false;
    };
    // `…-00002-of-00003`: a later shard.
    match stem.rsplit_once("-of-") {
        Some((head, tail)) if tail.len() == 5 && tail.chars().all(|c| c.is_ascii_digit()) => head
            .rsplit_once('-')
            .is_none_or(|(_, n)| n.chars().all(|c| c == '0' || c == '1') && n.ends_with('1')),
        _ => true,
    }
}

/// Finds the model files under `roots` (missing roots are skipped).
pub fn find(roots: &[(Origin, PathBuf)]) -> Vec<Found> {
    let mut out = Vec::new();
    let mut seen: BTreeSet<PathBuf> = BTreeSet::new();
    for (origin, root) in roots {
        let mut files = Vec::new();
        if *origin == Origin::Ollama {
            ollama(root, &mut files);
        } else {
            walk(root, 0, &mut files);
            files.sort();
        }
        for (path, label) in files {
            let key = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen.insert(key) {
                out.push(Found {
                    origin: *origin,
                    path,
                    label,
                });
            }
        }
    }
    out
}

fn walk(dir: &Path, depth: usize, out: &mut Vec<(PathBuf, String)>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&p) else {
            continue;
        };
        if meta.is_dir() {
            walk(&p, depth + 1, out);
            continue;
        }
        let name = e.file_name().to_string_lossy().to_string();
        if is_listed_gguf(&name) && p.is_file() {
            out.push((p, name));
        }
    }
}

/// Ollama: every manifest under `manifests/`, its model layer's blob.
fn ollama(root: &Path, out: &mut Vec<(PathBuf, String)>) {
    let manifests = root.join("manifests");
    let mut files = Vec::new();
    walk_all(&manifests, 0, &mut files);
    files.sort();
    for m in files {
        let Some(digest) = std::fs::read_to_string(&m)
            .ok()
            .and_then(|t| ollama_model_digest(&t))
        else {
            continue;
        };
        let blob = root.join("blobs").join(digest.replacen(':', "-", 1));
        if blob.is_file() {
            out.push((blob, ollama_label(&manifests, &m)));
        }
    }
}

/// `registry/namespace/model/tag` → `model:tag` (`namespace/model:tag` outside `library`).
fn ollama_label(manifests: &Path, m: &Path) -> String {
    let parts: Vec<String> = m
        .strip_prefix(manifests)
        .unwrap_or(m)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    match parts.as_slice() {
        [_, ns, model, tag] if ns == "library" => format!("{model}:{tag}"),
        [_, ns, model, tag] => format!("{ns}/{model}:{tag}"),
        _ => parts.join("/"),
    }
}

fn walk_all(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) {
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let p = e.path();
        match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => walk_all(&p, depth + 1, out),
            Ok(m) if m.is_file() => out.push(p),
            _ => {}
        }
    }
}

/// The digest of the model layer of an Ollama manifest (`sha256:<hex>`), if it names one.
pub fn ollama_model_digest(manifest_json: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(manifest_json).ok()?;
    v.get("layers")?.as_array()?.iter().find_map(|l| {
        (l.get("mediaType")?.as_str()? == "application/vnd.ollama.image.model")
            .then(|| l.get("digest")?.as_str().map(String::from))
            .flatten()
            .filter(|d| {
                d.strip_prefix("sha256:")
                    .is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards() {
        assert!(is_listed_gguf("Qwen3-8B-Q4_K_M.gguf"));
        assert!(is_listed_gguf("Qwen3-235B-Q4_K_M-00001-of-00003.gguf"));
        assert!(!is_listed_gguf("Qwen3-235B-Q4_K_M-00002-of-00003.gguf"));
        assert!(!is_listed_gguf("model.safetensors"));
    }

    #[test]
    fn manifest_digest() {
        let m = r#"{"schemaVersion":2,"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:abc123","size":1},{"mediaType":"application/vnd.ollama.image.template","digest":"sha256:def"}]}"#;
        assert_eq!(ollama_model_digest(m).as_deref(), Some("sha256:abc123"));
        assert_eq!(ollama_model_digest("{\"layers\":[]}"), None);
        assert_eq!(
            ollama_model_digest(
                r#"{"layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:../../etc"}]}"#
            ),
            None
        );
    }
}
