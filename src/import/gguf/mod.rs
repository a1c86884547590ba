//! GGUF model files: the header only (metadata and tensor infos), never the weights.
//!
//! Format (<https://github.com/ggml-org/ggml/blob/master/docs/gguf.md>), little-endian:
//! magic `GGUF`, version `u32` (2 or 3; version 1 had 32-bit counts), `tensor_count u64`,
//! `kv_count u64`; then `kv_count` metadata pairs (key: string; value type `u32`; value),
//! where a string is `u64 length + UTF-8 bytes` and the 13 value types are u8, i8, u16, i16,
//! u32, i32, f32, bool, string, array (`u32 element type + u64 count + elements`, nestable),
//! u64, i64, f64; then `tensor_count` tensor infos (name, `n_dims u32` ≤ 4, `dims u64[n]`
//! innermost first, ggml type `u32`, `offset u64` from the data section); the data section
//! starts at the next multiple of `general.alignment` (default 32).
//!
//! A tensor's bytes are `elements / block_size × type_size` from the ggml type table
//! (`model-db/quants.yaml`); their sum is the exact weight size.
//!
//! Hostile input: every count and length is checked against the bytes left in the file
//! before anything is allocated, so memory stays proportional to the bytes actually
//! present; nesting is limited to [`MAX_ARRAY_DEPTH`]; arithmetic is checked. Every
//! failure is an [`Error::Parse`] naming the byte offset, never a panic.
//! Files split by `llama-gguf-split` (`-00001-of-00003.gguf`) are read together
//! ([`read_model`]).

pub mod arch;
mod context;
mod keys;
mod layers;
mod metadata;
mod parts;
mod reader;
mod split;

use crate::db::quant::TensorTypeRaw;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use split::read_model;

/// Deepest nesting of arrays accepted (arrays of arrays …); real files use at most 2.
pub const MAX_ARRAY_DEPTH: u32 = 8;
/// Longest numeric array whose elements are kept (per-layer arrays); longer ones (token
/// scores) keep only their length.
pub const MAX_KEPT_ARRAY: u64 = 4096;
/// Default data alignment when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// Smallest encoding of a metadata pair: empty key (8) + type (4) + a u8 (1).
const MIN_KV: u64 = 13;

/// A metadata value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Unsigned integer (u8, u16, u32, u64).
    Uint(u64),
    /// Signed integer (i8, i16, i32, i64).
    Int(i64),
    /// Float (f32, f64).
    Float(f64),
    /// Boolean.
    Bool(bool),
    /// String (invalid UTF-8 replaced).
    String(String),
    /// Array.
    Array(Array),
}

/// An array value: its element type and length, and the elements when they are numbers
/// or booleans and at most [`MAX_KEPT_ARRAY`] of them.
#[derive(Debug, Clone, PartialEq)]
pub struct Array {
    /// GGUF value type of the elements (0–12).
    pub elem_type: u32,
    /// Number of elements.
    pub len: u64,
    /// The elements, when kept (otherwise empty).
    pub values: Vec<Value>,
}

impl Value {
    /// A non-negative integer (signed integers ≥ 0 included).
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Uint(v) => Some(v),
            Value::Int(v) => u64::try_from(v).ok(),
            _ => None,
        }
    }
    /// A string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    /// A boolean (integers 0/1 accepted).
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(b) => Some(b),
            Value::Uint(v) => Some(v != 0),
            Value::Int(v) => Some(v != 0),
            _ => None,
        }
    }
    /// An array.
    pub fn as_array(&self) -> Option<&Array> {
        match self {
            Value::Array(a) => Some(a),
            _ => None,
        }
    }
}

/// One tensor info, with its size computed from the ggml type table.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorInfo {
    /// Name (`blk.0.attn_q.weight` …).
    pub name: String,
    /// Dimensions, innermost first (`[n_embd, n_vocab]` for `token_embd.weight`).
    pub dims: Vec<u64>,
    /// ggml type enum value.
    pub ggml_type: u32,
    /// ggml type id (`q4_k`, `f16` …).
    pub type_id: String,
    /// Offset from the start of the data section, bytes.
    pub offset: u64,
    /// Number of elements.
    pub elements: u64,
    /// Bytes in the file.
    pub bytes: u64,
}

/// The header of one GGUF file.
#[derive(Debug, Clone)]
pub struct GgufHeader {
    /// The file read.
    pub file: String,
    /// Format version (2 or 3).
    pub version: u32,
    /// Metadata by key.
    pub metadata: BTreeMap<String, Value>,
    /// Tensor infos, in file order.
    pub tensors: Vec<TensorInfo>,
    /// Data alignment, bytes.
    pub alignment: u64,
    /// Where the data section starts, bytes.
    pub data_offset: u64,
    /// Size of the file, bytes.
    pub file_size: u64,
}

impl GgufHeader {
    /// A metadata value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }
    /// Sum of the tensors' bytes.
    pub fn tensor_bytes(&self) -> u64 {
        bytes_of(&self.tensors)
    }
}

/// Sum of `tensors`' bytes (saturating: a hostile header cannot overflow it).
fn bytes_of(tensors: &[TensorInfo]) -> u64 {
    tensors.iter().fold(0, |a, t| a.saturating_add(t.bytes))
}

/// A model in one or more GGUF files: the metadata of the first, the tensors of all.
#[derive(Debug, Clone)]
pub struct GgufModel {
    /// The files, in shard order.
    pub files: Vec<PathBuf>,
    /// Format version of the first file.
    pub version: u32,
    /// Metadata of the first file.
    pub metadata: BTreeMap<String, Value>,
    /// Tensors of every file.
    pub tensors: Vec<TensorInfo>,
    /// Total size of the files, bytes.
    pub file_bytes: u64,
}

impl GgufModel {
    /// A metadata value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.get(key)
    }
    /// Sum of the tensors' bytes: the exact weight size.
    pub fn tensor_bytes(&self) -> u64 {
        bytes_of(&self.tensors)
    }
    /// The first file, for messages.
    pub fn file(&self) -> String {
        self.files
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }
}

/// Reads the header of a GGUF held in memory (the fuzz target's entry point).
pub fn read_bytes(data: &[u8], file: &str, types: &[TensorTypeRaw]) -> Result<GgufHeader> {
    reader::read_header(data, data.len() as u64, file, types)
}

/// Reads the header of one GGUF file with buffered reads; the weights are never read.
pub fn read_file(path: &Path, types: &[TensorTypeRaw]) -> Result<GgufHeader> {
    let io = |e| Error::Io {
        path: path.to_path_buf(),
        cause: e,
    };
    let f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    let r = std::io::BufReader::with_capacity(1 << 16, f);
    reader::read_header(r, size, &path.display().to_string(), types)
}
