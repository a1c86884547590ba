//! The architecture keys of a GGUF model (`<general.architecture>.<name>`, as llama.cpp
//! writes them) and the architectures with a gated `attn_q`.

use super::{GgufModel, Value};

/// Architectures whose softmax attention has an output gate folded into `attn_q`.
pub(super) const Q_GATE_ARCHS: [&str; 3] = ["qwen3next", "qwen35", "qwen35moe"];
/// Architecture keys of one GGUF model.
pub struct Keys<'a> {
    /// The model.
    pub g: &'a GgufModel,
    /// `general.architecture`.
    pub arch: String,
}

impl Keys<'_> {
    fn value(&self, suffix: &str) -> Option<&Value> {
        self.g.get(&format!("{}.{suffix}", self.arch))
    }
    /// A scalar unsigned key.
    pub fn u(&self, suffix: &str) -> Option<u64> {
        self.value(suffix).and_then(Value::as_u64)
    }
    /// A key that is a number, or an array with one number per layer (element `i`).
    pub fn per_layer(&self, suffix: &str, i: usize) -> Option<u64> {
        match self.value(suffix)? {
            Value::Array(a) => a.values.get(i).and_then(Value::as_u64),
            v => v.as_u64(),
        }
    }
    /// A per-layer array of booleans (integers 0/1 accepted).
    pub fn bools(&self, suffix: &str) -> Option<Vec<bool>> {
        let a = self.value(suffix)?.as_array()?;
        a.values.iter().map(Value::as_bool).collect()
    }
    pub(super) fn max_over(&self, suffix: &str, layers: &[usize]) -> Option<u64> {
        layers
            .iter()
            .filter_map(|&i| self.per_layer(suffix, i))
            .max()
    }
}
