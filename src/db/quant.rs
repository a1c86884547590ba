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

/// Which family of matmul kernels prefill runs for a scheme: each has its own achieved
/// fraction of peak in calibration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KernelClass {
    /// Float weights (F16, BF16, F32, and 8/4-bit float formats on their engines).
    Float,
    /// Block quants with one scale per block (Q4_0, Q5_0, Q8_0, IQ4_NL, MXFP4).
    Block,
    /// Super-block k-quants and i-quants (Q2_K … Q6_K, IQ1–IQ4_XS, TQ, Unsloth UD mixes).
    KQuant,
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
    /// The kernel family of this scheme: float compute formats are `Float`; int8 schemes
    /// are `KQuant` when their id names a k-quant, i-quant, ternary or UD mix, else `Block`.
    pub fn kernel_class(&self) -> KernelClass {
        match self.compute {
            ComputeFormat::Fp32 | ComputeFormat::Fp16 | ComputeFormat::Bf16 => KernelClass::Float,
            ComputeFormat::Fp8 | ComputeFormat::Fp4 => KernelClass::Block,
            ComputeFormat::Int8 => {
                let id = self.id.as_str();
                let k = id.contains("_k")
                    || id.starts_with("iq")
                    || id.starts_with("tq")
                    || id.starts_with("ud-");
                if k && id != "iq4_nl" {
                    KernelClass::KQuant
                } else {
                    KernelClass::Block
                }
            }
        }
    }

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
