//! GGUF metadata: the thirteen value types, nested arrays (bounded in depth and in what is
//! kept), and the key/value section.

use super::reader::Reader;
use super::{Array, Value, MAX_ARRAY_DEPTH, MAX_KEPT_ARRAY};
use crate::error::Result;
use std::collections::BTreeMap;
use std::io::Read;

const TYPE_NAMES: [&str; 13] = [
    "u8", "i8", "u16", "i16", "u32", "i32", "f32", "bool", "string", "array", "u64", "i64", "f64",
];

/// Bytes an element of a value type occupies at least (strings: the length field; arrays:
/// type and count).
fn min_size(ty: u32) -> u64 {
    match ty {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        8 | 10..=12 => 8,
        _ => 12,
    }
}

fn type_name(ty: u32) -> &'static str {
    TYPE_NAMES.get(ty as usize).copied().unwrap_or("?")
}

impl<R: Read> Reader<R> {
    pub(super) fn value(&mut self, ty: u32, depth: u32, what: &str) -> Result<Value> {
        let at = self.pos;
        Ok(match ty {
            0 => Value::Uint(u64::from(self.array_of::<1>(what)?[0])),
            1 => Value::Int(i64::from(i8::from_le_bytes(self.array_of(what)?))),
            2 => Value::Uint(u64::from(u16::from_le_bytes(self.array_of(what)?))),
            3 => Value::Int(i64::from(i16::from_le_bytes(self.array_of(what)?))),
            4 => Value::Uint(u64::from(self.u32(what)?)),
            5 => Value::Int(i64::from(i32::from_le_bytes(self.array_of(what)?))),
            6 => Value::Float(f64::from(f32::from_le_bytes(self.array_of(what)?))),
            7 => match self.array_of::<1>(what)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => return Err(self.err(at, format!("{what}: bool byte {b}, expected 0 or 1"))),
            },
            8 => Value::String(self.string_value(what)?),
            9 => Value::Array(self.array(depth + 1, what)?),
            10 => Value::Uint(self.u64(what)?),
            11 => Value::Int(i64::from_le_bytes(self.array_of(what)?)),
            12 => Value::Float(f64::from_le_bytes(self.array_of(what)?)),
            t => {
                return Err(self.err(
                    at,
                    format!("{what}: value type {t} is not a GGUF type (0–12)"),
                ))
            }
        })
    }

    fn array(&mut self, depth: u32, what: &str) -> Result<Array> {
        let at = self.pos;
        if depth > MAX_ARRAY_DEPTH {
            return Err(self.err(
                at,
                format!("{what}: arrays nested deeper than {MAX_ARRAY_DEPTH} levels"),
            ));
        }
        let ty = self.u32(what)?;
        if ty > 12 {
            return Err(self.err(
                at,
                format!("{what}: array element type {ty} is not a GGUF type (0–12)"),
            ));
        }
        let len = self.u64(what)?;
        let need = min_size(ty);
        if len > self.remaining() / need {
            return Err(self.err(
                at,
                format!(
                    "{what}: array of {len} {} needs at least {} bytes; {} are left in the file",
                    type_name(ty),
                    u128::from(len) * u128::from(need),
                    self.remaining()
                ),
            ));
        }
        let mut values = Vec::new();
        match ty {
            8 => (0..len).try_for_each(|_| self.skip_string(what))?,
            9 => (0..len).try_for_each(|_| self.array(depth + 1, what).map(drop))?,
            _ if len <= MAX_KEPT_ARRAY => {
                values.reserve(len as usize);
                for _ in 0..len {
                    values.push(self.value(ty, depth, what)?);
                }
            }
            7 => (0..len).try_for_each(|_| self.value(7, depth, what).map(drop))?,
            _ => self.skip(len * need, what)?,
        }
        Ok(Array {
            elem_type: ty,
            len,
            values,
        })
    }

    pub(super) fn metadata(&mut self, kv_count: u64) -> Result<BTreeMap<String, Value>> {
        let mut m = BTreeMap::new();
        for i in 0..kv_count {
            let at = self.pos;
            let key = self.name(&format!("metadata key {i}"))?;
            let ty = self.u32(&format!("the type of '{key}'"))?;
            let v = self.value(ty, 0, &format!("'{key}'"))?;
            if m.insert(key.clone(), v).is_some() {
                return Err(self.err(at, format!("duplicate metadata key '{key}'")));
            }
        }
        Ok(m)
    }
}
