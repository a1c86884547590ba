//! A tiny GGUF writer for tests: header, metadata and tensor infos, written by hand from the
//! spec (<https://github.com/ggml-org/ggml/blob/master/docs/gguf.md>); the data section is
//! left sparse (`set_len`), since the reader never reads weights.

#![allow(dead_code)]

pub mod models;

use std::path::{Path, PathBuf};

/// A metadata value.
#[derive(Clone)]
pub enum V {
    U32(u32),
    U64(u64),
    I32(i32),
    F32(f32),
    Bool(bool),
    Str(String),
    ArrU32(Vec<u32>),
    ArrI32(Vec<i32>),
    ArrBool(Vec<bool>),
    ArrStr(Vec<String>),
}

/// ggml type ids used here and their (block size, bytes per block).
pub const F32: u32 = 0;
pub const F16: u32 = 1;
pub const Q8_0: u32 = 8;
pub const Q4_K: u32 = 12;
pub const Q6_K: u32 = 14;
pub const MXFP4: u32 = 39;

pub fn block(t: u32) -> (u64, u64) {
    match t {
        F32 => (1, 4),
        F16 => (1, 2),
        Q8_0 => (32, 34),
        Q4_K => (256, 144),
        Q6_K => (256, 210),
        MXFP4 => (32, 17),
        _ => panic!("type {t} not in the test table"),
    }
}

/// A tensor: name, dims (innermost first), ggml type.
#[derive(Clone)]
pub struct T {
    pub name: String,
    pub dims: Vec<u64>,
    pub ty: u32,
}

pub fn t(name: &str, dims: &[u64], ty: u32) -> T {
    T {
        name: name.into(),
        dims: dims.to_vec(),
        ty,
    }
}

impl T {
    pub fn elements(&self) -> u64 {
        self.dims.iter().product()
    }
    pub fn bytes(&self) -> u64 {
        let (b, s) = block(self.ty);
        self.elements() / b * s
    }
}

pub fn s(x: &str) -> V {
    V::Str(x.into())
}

fn put_str(b: &mut Vec<u8>, s: &str) {
    b.extend((s.len() as u64).to_le_bytes());
    b.extend(s.as_bytes());
}

fn put_value(b: &mut Vec<u8>, v: &V) {
    let arr = |b: &mut Vec<u8>, ty: u32, n: usize| {
        b.extend(9u32.to_le_bytes());
        b.extend(ty.to_le_bytes());
        b.extend((n as u64).to_le_bytes());
    };
    match v {
        V::U32(x) => {
            b.extend(4u32.to_le_bytes());
            b.extend(x.to_le_bytes());
        }
        V::U64(x) => {
            b.extend(10u32.to_le_bytes());
            b.extend(x.to_le_bytes());
        }
        V::I32(x) => {
            b.extend(5u32.to_le_bytes());
            b.extend(x.to_le_bytes());
        }
        V::F32(x) => {
            b.extend(6u32.to_le_bytes());
            b.extend(x.to_le_bytes());
        }
        V::Bool(x) => {
            b.extend(7u32.to_le_bytes());
            b.push(u8::from(*x));
        }
        V::Str(x) => {
            b.extend(8u32.to_le_bytes());
            put_str(b, x);
        }
        V::ArrU32(xs) => {
            arr(b, 4, xs.len());
            xs.iter().for_each(|x| b.extend(x.to_le_bytes()));
        }
        V::ArrI32(xs) => {
            arr(b, 5, xs.len());
            xs.iter().for_each(|x| b.extend(x.to_le_bytes()));
        }
        V::ArrBool(xs) => {
            arr(b, 7, xs.len());
            xs.iter().for_each(|x| b.push(u8::from(*x)));
        }
        V::ArrStr(xs) => {
            arr(b, 8, xs.len());
            xs.iter().for_each(|x| put_str(b, x));
        }
    }
}

/// The header bytes of a GGUF file (version 3, alignment 32) and the data section size.
pub fn header(kv: &[(&str, V)], tensors: &[T]) -> (Vec<u8>, u64) {
    header_v(3, kv, tensors)
}

/// [`header`] with a chosen version.
pub fn header_v(version: u32, kv: &[(&str, V)], tensors: &[T]) -> (Vec<u8>, u64) {
    let mut b = Vec::new();
    b.extend(b"GGUF");
    b.extend(version.to_le_bytes());
    b.extend((tensors.len() as u64).to_le_bytes());
    b.extend((kv.len() as u64).to_le_bytes());
    for (k, v) in kv {
        put_str(&mut b, k);
        put_value(&mut b, v);
    }
    let mut offset = 0u64;
    for t in tensors {
        put_str(&mut b, &t.name);
        b.extend((t.dims.len() as u32).to_le_bytes());
        t.dims.iter().for_each(|d| b.extend(d.to_le_bytes()));
        b.extend(t.ty.to_le_bytes());
        b.extend(offset.to_le_bytes());
        offset = (offset + t.bytes()).next_multiple_of(32);
    }
    (b, offset)
}

/// The whole file in memory, data section zero-filled.
pub fn bytes(kv: &[(&str, V)], tensors: &[T]) -> Vec<u8> {
    let (mut b, data) = header(kv, tensors);
    let start = (b.len() as u64).next_multiple_of(32);
    b.resize((start + data) as usize, 0);
    b
}

/// Writes a GGUF file; the data section is a sparse hole.
pub fn write(path: &Path, kv: &[(&str, V)], tensors: &[T]) {
    let (b, data) = header(kv, tensors);
    std::fs::write(path, &b).unwrap();
    let start = (b.len() as u64).next_multiple_of(32);
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.set_len(start + data).unwrap();
}

/// A fresh directory under the cargo target temp dir.
pub fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("gguf-tests")
        .join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Σ bytes of the tensors' data.
pub fn total_bytes(ts: &[T]) -> u64 {
    ts.iter().map(T::bytes).sum()
}

/// A model's layer groups as (count, mixer, FFN kind).
pub fn layer(
    kinds: &tokenfit::db::model::ModelRaw,
) -> Vec<(
    u32,
    tokenfit::db::model::Mixer,
    tokenfit::db::model::FfnKind,
)> {
    kinds
        .layers
        .iter()
        .map(|g| (g.count, g.mixer, g.ffn))
        .collect()
}
