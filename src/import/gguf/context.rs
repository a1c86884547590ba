//! What the block readers of `parts.rs` read from: the keys, the tensors by block and the
//! layer kinds, with the errors they raise.

use super::keys::Keys;
use super::layers::Blocks;
use super::TensorInfo;
use crate::db::model::{FfnKind, Mixer};
use crate::error::{Error, Result};

/// Keys, tensors by block and the layer kinds, for the block readers of `parts.rs`.
pub(super) struct Ctx<'a> {
    pub(super) k: Keys<'a>,
    pub(super) b: Blocks<'a>,
    pub(super) kinds: Vec<(Mixer, FfnKind)>,
    pub(super) file: String,
}

impl Ctx<'_> {
    pub(super) fn err(&self, msg: impl Into<String>) -> Error {
        Error::Parse {
            file: self.file.clone(),
            line: None,
            msg: msg.into(),
        }
    }
    pub(super) fn need(&self, suffix: &str, why: &str) -> Result<u64> {
        match self.k.u(suffix) {
            Some(v) if v > 0 && v < 1 << 32 => Ok(v),
            Some(v) => Err(self.err(format!(
                "{}.{suffix} = {v} is out of range ({why})",
                self.k.arch
            ))),
            None => Err(self.err(format!("{}.{suffix} is missing ({why})", self.k.arch))),
        }
    }
    pub(super) fn layers_with(&self, f: impl Fn(Mixer, FfnKind) -> bool) -> Vec<usize> {
        (0..self.kinds.len())
            .filter(|&i| f(self.kinds[i].0, self.kinds[i].1))
            .collect()
    }
    /// A tensor of the first of `layers` that has it.
    pub(super) fn tensor(&self, layers: &[usize], name: &str) -> Option<&TensorInfo> {
        layers
            .iter()
            .find_map(|&i| self.b.get(i).and_then(|t| t.get(name)).copied())
    }
    pub(super) fn has_tensors(&self, layers: &[usize]) -> bool {
        layers
            .iter()
            .any(|&i| self.b.get(i).is_some_and(|t| !t.is_empty()))
    }
}
