//! The byte-level GGUF header parser: bounds-checked reads over any `Read`, every count
//! checked against the bytes left before it sizes an allocation; the preamble, tensor infos
//! and the header as a whole (metadata values: `metadata.rs`).

use super::{GgufHeader, TensorInfo, Value, DEFAULT_ALIGNMENT, MIN_KV};
use crate::db::quant::TensorTypeRaw;
use crate::error::{Error, Result};
use std::collections::BTreeMap;
use std::io::Read;

/// ggml's `GGML_MAX_DIMS`.
const MAX_DIMS: u32 = 4;
/// Longest key or tensor name accepted (the spec's limit for keys).
const MAX_NAME: u64 = 65_535;
/// Longest string value accepted (chat templates are tens of KiB).
const MAX_STRING: u64 = 64 << 20;
/// Smallest encoding of a tensor info: empty name (8) + n_dims (4) + type (4) + offset (8).
const MIN_TENSOR_INFO: u64 = 24;

/// A bounds-checked cursor over the header's bytes.
pub(super) struct Reader<R> {
    pub(super) r: R,
    pub(super) pos: u64,
    pub(super) len: u64,
    pub(super) file: String,
}

impl<R: Read> Reader<R> {
    pub(super) fn err(&self, at: u64, msg: impl std::fmt::Display) -> Error {
        Error::Parse {
            file: self.file.clone(),
            line: None,
            msg: format!("at byte {at}: {msg}"),
        }
    }

    pub(super) fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.pos)
    }

    pub(super) fn fill(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        let at = self.pos;
        match self.r.read_exact(buf) {
            Ok(()) => {
                self.pos += buf.len() as u64;
                Ok(())
            }
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(self.err(
                at,
                format!(
                    "truncated: {what} needs {} bytes but the file ends at byte {}",
                    buf.len(),
                    self.len
                ),
            )),
            Err(e) => Err(self.err(at, format!("reading {what}: {e}"))),
        }
    }

    pub(super) fn array_of<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut b = [0u8; N];
        self.fill(&mut b, what)?;
        Ok(b)
    }

    pub(super) fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array_of(what)?))
    }

    pub(super) fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array_of(what)?))
    }

    /// Skips `n` bytes (already checked against the file size by the caller).
    pub(super) fn skip(&mut self, n: u64, what: &str) -> Result<()> {
        let mut left = n;
        let mut buf = [0u8; 4096];
        while left > 0 {
            let k = left.min(buf.len() as u64) as usize;
            self.fill(&mut buf[..k], what)?;
            left -= k as u64;
        }
        Ok(())
    }

    /// The length of a length-prefixed string, checked against the bytes left and `limit`.
    pub(super) fn string_len(&mut self, what: &str, limit: u64) -> Result<u64> {
        let at = self.pos;
        let n = self.u64(what)?;
        if n > self.remaining() {
            return Err(self.err(
                at,
                format!(
                    "{what}: string length {n} exceeds the {} bytes left in the file ({} bytes)",
                    self.remaining(),
                    self.len
                ),
            ));
        }
        if n > limit {
            return Err(self.err(
                at,
                format!("{what}: length {n} exceeds the limit of {limit}"),
            ));
        }
        Ok(n)
    }

    /// A length-prefixed string; `limit` caps its length below the bytes left.
    pub(super) fn bytes_of_string(&mut self, what: &str, limit: u64) -> Result<Vec<u8>> {
        let n = self.string_len(what, limit)?;
        let mut v = vec![0u8; n as usize];
        self.fill(&mut v, what)?;
        Ok(v)
    }

    pub(super) fn name(&mut self, what: &str) -> Result<String> {
        let at = self.pos;
        let b = self.bytes_of_string(what, MAX_NAME)?;
        String::from_utf8(b).map_err(|_| self.err(at, format!("{what} is not valid UTF-8")))
    }

    pub(super) fn string_value(&mut self, what: &str) -> Result<String> {
        let b = self.bytes_of_string(what, MAX_STRING)?;
        Ok(String::from_utf8_lossy(&b).into_owned())
    }

    pub(super) fn skip_string(&mut self, what: &str) -> Result<()> {
        let n = self.string_len(what, u64::MAX)?;
        self.skip(n, what)
    }

    fn preamble(&mut self) -> Result<(u32, u64, u64)> {
        let magic = self.array_of::<4>("the magic")?;
        if &magic != b"GGUF" {
            return Err(self.err(
                0,
                format!(
                    "not a GGUF file: it starts with {:02x} {:02x} {:02x} {:02x}, not 'GGUF'",
                    magic[0], magic[1], magic[2], magic[3]
                ),
            ));
        }
        let version = self.u32("the version")?;
        match version {
            2 | 3 => {}
            1 => return Err(self.err(4, "GGUF version 1 (32-bit counts, 2023) is not supported; re-convert the model with a current llama.cpp")),
            v if matches!(v.swap_bytes(), 2 | 3) => return Err(self.err(4, "big-endian GGUF is not supported")),
            v => return Err(self.err(4, format!("unsupported GGUF version {v}; expected 2 or 3"))),
        }
        let tensor_count = self.u64("the tensor count")?;
        let kv_count = self.u64("the metadata count")?;
        if kv_count > self.remaining() / MIN_KV {
            return Err(self.err(
                16,
                format!(
                    "metadata count {kv_count} cannot fit in the {} bytes left in the file",
                    self.remaining()
                ),
            ));
        }
        if tensor_count > self.remaining() / MIN_TENSOR_INFO {
            return Err(self.err(
                8,
                format!(
                    "tensor count {tensor_count} cannot fit in the {} bytes left in the file",
                    self.remaining()
                ),
            ));
        }
        Ok((version, tensor_count, kv_count))
    }

    fn tensor_info(&mut self, i: u64, types: &[TensorTypeRaw]) -> Result<TensorInfo> {
        let at = self.pos;
        let name = self.name(&format!("tensor {i} name"))?;
        let what = format!("tensor '{name}'");
        let n_dims = self.u32(&what)?;
        if n_dims > MAX_DIMS {
            return Err(self.err(
                at,
                format!("{what} has {n_dims} dimensions; ggml allows at most {MAX_DIMS}"),
            ));
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(self.u64(&what)?);
        }
        let ggml_type = self.u32(&what)?;
        let offset = self.u64(&what)?;
        let t = types.iter().find(|t| t.ggml_type == ggml_type).ok_or_else(|| {
            self.err(at, format!("{what} has ggml type {ggml_type}, which is not a known tensor type (model-db/quants.yaml)"))
        })?;
        let elements = dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .filter(|&e| e <= i64::MAX as u64)
            .ok_or_else(|| self.err(at, format!("{what}: dimensions {dims:?} overflow")))?;
        let block = u64::from(t.block_size.max(1));
        if dims.first().copied().unwrap_or(1) % block != 0 {
            return Err(self.err(
                at,
                format!(
                    "{what}: first dimension {} is not a multiple of the {} block size {block}",
                    dims.first().copied().unwrap_or(1),
                    t.id
                ),
            ));
        }
        let bytes = (elements / block)
            .checked_mul(u64::from(t.type_size))
            .ok_or_else(|| self.err(at, format!("{what}: size overflows")))?;
        Ok(TensorInfo {
            name,
            dims,
            ggml_type,
            type_id: t.id.clone(),
            offset,
            elements,
            bytes,
        })
    }
}

fn alignment<R: Read>(r: &Reader<R>, m: &BTreeMap<String, Value>) -> Result<u64> {
    match m.get("general.alignment") {
        None => Ok(DEFAULT_ALIGNMENT),
        Some(v) => match v.as_u64() {
            Some(a) if a.is_power_of_two() && a <= 1 << 30 => Ok(a),
            _ => Err(r.err(
                24,
                format!("general.alignment {v:?} is not a power of two up to 2^30"),
            )),
        },
    }
}

/// Tensors may not share bytes: their sum is the weight size.
fn no_overlap<R: Read>(r: &Reader<R>, tensors: &[TensorInfo], data_offset: u64) -> Result<()> {
    let mut spans: Vec<(u64, u64, &str)> = tensors
        .iter()
        .filter(|t| t.bytes > 0)
        .map(|t| (t.offset, t.offset + t.bytes, t.name.as_str()))
        .collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        if let [(_, end, a), (start, _, b)] = w {
            if start < end {
                return Err(r.err(
                    data_offset,
                    format!("tensors '{a}' and '{b}' overlap in the data section"),
                ));
            }
        }
    }
    Ok(())
}

/// Parses a GGUF header from `r`, a stream of `len` bytes.
pub fn read_header<R: Read>(
    r: R,
    len: u64,
    file: &str,
    types: &[TensorTypeRaw],
) -> Result<GgufHeader> {
    let mut rd = Reader {
        r,
        pos: 0,
        len,
        file: file.to_string(),
    };
    let (version, tensor_count, kv_count) = rd.preamble()?;
    let metadata = rd.metadata(kv_count)?;
    let align = alignment(&rd, &metadata)?;
    let cap = tensor_count.min(rd.remaining() / MIN_TENSOR_INFO);
    let mut tensors = Vec::with_capacity(cap as usize);
    let mut seen = std::collections::HashSet::new();
    for i in 0..tensor_count {
        let at = rd.pos;
        let t = rd.tensor_info(i, types)?;
        if !seen.insert(t.name.clone()) {
            return Err(rd.err(at, format!("duplicate tensor name '{}'", t.name)));
        }
        tensors.push(t);
    }
    let data_offset = rd
        .pos
        .checked_next_multiple_of(align)
        .ok_or_else(|| rd.err(rd.pos, "data offset overflows"))?;
    let data_len = len.saturating_sub(data_offset);
    for t in &tensors {
        if t.offset % align != 0 {
            return Err(rd.err(
                data_offset,
                format!(
                    "tensor '{}' has offset {} which is not a multiple of the alignment {align}",
                    t.name, t.offset
                ),
            ));
        }
        if t.offset
            .checked_add(t.bytes)
            .is_none_or(|end| end > data_len)
        {
            return Err(rd.err(
                data_offset,
                format!(
                    "tensor '{}' ({} bytes at data offset {}) ends past the end of the file ({} bytes; data section {data_len} bytes): truncated download?",
                    t.name, t.bytes, t.offset, len
                ),
            ));
        }
    }
    no_overlap(&rd, &tensors, data_offset)?;
    Ok(GgufHeader {
        file: file.to_string(),
        version,
        metadata,
        tensors,
        alignment: align,
        data_offset,
        file_size: len,
    })
}
