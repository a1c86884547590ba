//! Quantization schemes, ggml tensor types and KV cache types, read from
//! `model-db/quants.yaml` (schema in `model-db/QUANTS.md`).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One ggml tensor type.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TensorTypeRaw {
    /// Lowercase ggml name.
    pub id: String,
    /// ggml_type enum value.
    pub ggml_type: u32,
    /// Elements per block.
    pub block_size: u32,
    /// Bytes per block.
    pub type_size: u32,
    /// Bits per weight.
    pub bpw: f64,
    /// Where the numbers come from.
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Number format of the prefill matmuls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ComputeFormat {
    /// FP32.
    Fp32,
    /// FP16.
    Fp16,
    /// BF16.
    Bf16,
    /// INT8 dot products.
    Int8,
    /// FP8.
    Fp8,
    /// FP4.
    Fp4,
}

/// A quantization scheme (what users name with --quant).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QuantRaw {
    /// Unique lowercase id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// File format.
    pub format: String,
    /// Other names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Default bits per weight.
    pub bpw: f64,
    /// Per-group overrides, bits per weight.
    #[serde(default)]
    pub groups: BTreeMap<String, f64>,
    /// Number format of the matmuls.
    pub compute: ComputeFormat,
    /// Where the numbers come from.
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub note: Option<super::Text>,
}

/// Tensor groups a scheme may override.
pub const GROUPS: [&str; 8] = [
    "embedding",
    "output",
    "attention",
    "ffn",
    "experts",
    "shared_experts",
    "linear",
    "mamba",
];

impl QuantRaw {
    /// Bits per weight of a tensor group.
    pub fn group_bpw(&self, group: &str) -> f64 {
        self.groups.get(group).copied().unwrap_or(self.bpw)
    }
}

/// A KV cache element type.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KvTypeRaw {
    /// Id (f16, q8_0 …).
    pub id: String,
    /// Bytes per element.
    pub bytes_per_element: f64,
    /// Where the number comes from.
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Raw mirror of quants.yaml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuantFileRaw {
    /// ggml tensor types.
    #[serde(default)]
    pub tensor_types: Vec<TensorTypeRaw>,
    /// Schemes.
    #[serde(default)]
    pub schemes: Vec<QuantRaw>,
    /// KV types.
    #[serde(default)]
    pub kv_types: Vec<KvTypeRaw>,
}
