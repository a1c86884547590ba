//! Split GGUF files (`llama-gguf-split`: `NAME-00001-of-00003.gguf` …): every shard is a
//! complete GGUF header; the first carries the model's metadata, each carries `split.no`
//! (0-based), `split.count` and `split.tensors.count`, and its own tensors. Reading any
//! shard reads them all.

use super::{read_file, GgufHeader, GgufModel};
use crate::db::quant::TensorTypeRaw;
use crate::error::{Error, Result};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// A shard name: prefix, index (1-based), count, and the digit widths used.
struct ShardName {
    prefix: String,
    index: u64,
    count: u64,
    index_width: usize,
    count_text: String,
}

fn shard_name(path: &Path) -> Option<ShardName> {
    let name = path.file_name()?.to_str()?;
    let stem = name.strip_suffix(".gguf")?;
    let (before, count_text) = stem.rsplit_once("-of-")?;
    let (prefix, index_text) = before.rsplit_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(index_text) || !digits(count_text) || prefix.is_empty() {
        return None;
    }
    Some(ShardName {
        prefix: prefix.to_string(),
        index: index_text.parse().ok()?,
        count: count_text.parse().ok()?,
        index_width: index_text.len(),
        count_text: count_text.to_string(),
    })
}

fn err(file: &Path, msg: String) -> Error {
    Error::Parse {
        file: file.display().to_string(),
        line: None,
        msg,
    }
}

fn key_u64(h: &GgufHeader, key: &str) -> Option<u64> {
    h.get(key).and_then(|v| v.as_u64())
}

/// The paths of every shard of the model `path` belongs to (just `path` when unsplit).
pub fn shard_paths(path: &Path) -> Result<Vec<PathBuf>> {
    let Some(s) = shard_name(path) else {
        return Ok(vec![path.to_path_buf()]);
    };
    if s.count == 0 || s.index == 0 || s.index > s.count {
        return Err(err(
            path,
            format!(
                "shard {} of {} in the file name is not a valid split",
                s.index, s.count
            ),
        ));
    }
    let dir = path.parent().unwrap_or(Path::new(""));
    Ok((1..=s.count)
        .map(|i| {
            dir.join(format!(
                "{}-{i:0w$}-of-{}.gguf",
                s.prefix,
                s.count_text,
                w = s.index_width
            ))
        })
        .collect())
}

/// Reads a model: one GGUF file, or every shard of a split one (given any shard).
pub fn read_model(path: &Path, types: &[TensorTypeRaw]) -> Result<GgufModel> {
    let paths = shard_paths(path)?;
    let n = paths.len() as u64;
    let mut headers = Vec::with_capacity(paths.len());
    for (i, p) in paths.iter().enumerate() {
        if !p.exists() {
            return Err(err(
                p,
                format!(
                    "shard {} of {n} of the split model {} is missing",
                    i + 1,
                    path.display()
                ),
            ));
        }
        headers.push(read_file(p, types)?);
    }
    let Some(first) = headers.first() else {
        return Err(err(path, "no files".into()));
    };
    let declared = key_u64(first, "split.count").unwrap_or(1).max(1);
    if declared != n {
        let msg = if n == 1 {
            format!("split.count is {declared} but the file name has no -00001-of-{declared:05} suffix; keep the names llama-gguf-split gave the shards")
        } else {
            format!("split.count is {declared} but the file names say {n} shards")
        };
        return Err(err(&paths[0], msg));
    }
    let mut seen = HashSet::new();
    let mut tensors = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        if let Some(no) = key_u64(h, "split.no") {
            if n > 1 && no != i as u64 {
                return Err(err(
                    &paths[i],
                    format!("split.no is {no}, expected {i} for shard {}", i + 1),
                ));
            }
        }
        for t in &h.tensors {
            if !seen.insert(t.name.clone()) {
                return Err(err(
                    &paths[i],
                    format!("tensor '{}' appears in more than one shard", t.name),
                ));
            }
            tensors.push(t.clone());
        }
    }
    if let Some(total) = key_u64(first, "split.tensors.count") {
        if n > 1 && total != tensors.len() as u64 {
            return Err(err(
                &paths[0],
                format!(
                    "split.tensors.count is {total} but the {n} shards hold {} tensors",
                    tensors.len()
                ),
            ));
        }
    }
    Ok(GgufModel {
        files: paths,
        version: first.version,
        metadata: first.metadata.clone(),
        tensors,
        file_bytes: headers.iter().map(|h| h.file_size).sum(),
    })
}
