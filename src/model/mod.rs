//! The physics: pure functions from a scenario to a prediction. No I/O, no printing, and
//! no efficiency literals: achieved fractions come with the scenario from calibration.

pub mod attention_shape;
pub mod coefs;
pub mod cpu;
pub mod decode;
pub mod footprint;
pub mod graph_nodes;
mod kernels;
pub mod parallel;
pub mod params;
pub mod placement;
pub mod power;
pub mod predict;
pub mod prefill;
pub mod step;

pub use kernels::kernel_class_of;

use crate::db::calibration::{Efficiency, HostEfficiency};
use crate::db::hardware::{Device, DeviceKind};
use crate::db::model::ModelRaw;
use crate::db::quant::{KernelClass, QuantRaw};
use crate::units::{Bytes, FlopPerSecond};
use params::ParamGroups;
use serde::Serialize;

/// Where weights go when they do not fit the fast tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Offload {
    /// Everything in fast memory or nothing runs.
    None,
    /// llama.cpp `-ngl`: whole layers on the host, computed by the CPU at host bandwidth.
    Layers,
    /// MoE experts on the host (llama.cpp `--n-cpu-moe` / `-ot exps=CPU`), attention on the GPU.
    Experts,
    /// Weights that do not fit streamed over the link for every token.
    Stream,
    /// `layers`, and what host memory cannot hold is memory-mapped from disk (llama.cpp's
    /// default mmap): it runs, reading those weights from NVMe every token.
    Disk,
    /// The fastest of `layers`, `experts` (MoE) and `disk` at this context, as llama.cpp's
    /// automatic fit would choose.
    Auto,
}

impl Offload {
    /// The JSON / CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Offload::None => "none",
            Offload::Layers => "layers",
            Offload::Experts => "experts",
            Offload::Stream => "stream",
            Offload::Disk => "disk",
            Offload::Auto => "auto",
        }
    }
}

/// Does the scenario fit?
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Everything in fast memory.
    Fits,
    /// Runs, with part of it in host memory.
    Spills,
    /// Does not fit fast plus host memory (or offload is off and it does not fit fast memory).
    DoesNotFit,
}

impl Verdict {
    /// The JSON / CSV spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Fits => "fits",
            Verdict::Spills => "spills",
            Verdict::DoesNotFit => "does_not_fit",
        }
    }
    /// A phrase for tables.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Fits => "fits",
            Verdict::Spills => "spills to host",
            Verdict::DoesNotFit => "does not fit",
        }
    }
}

/// Everything the physics needs, resolved.
#[derive(Debug, Clone, Copy)]
pub struct Scenario<'a> {
    /// The device.
    pub device: &'a Device,
    /// The model.
    pub model: &'a ModelRaw,
    /// The quantization scheme.
    pub quant: &'a QuantRaw,
    /// Bits per weight of natively quantized experts, if any.
    pub native_expert_bpw: Option<f64>,
    /// Measured weight bytes (a GGUF file's size) that replace the quant estimate; the
    /// groups are scaled in proportion.
    pub weights_bytes: Option<Bytes>,
    /// The model's parameter groups (computed once per model, see
    /// [`footprint::model_weights`]).
    pub params: ParamGroups,
    /// Their bytes under the scheme (and the file's size, if given).
    pub weights: footprint::WeightBytes,
    /// KV cache type id (llama.cpp `-ctk` / `-ctv` spelling).
    pub kv_type_id: &'a str,
    /// Bytes per KV cache element.
    pub kv_elem_bytes: f64,
    /// Backend efficiency (fitted or prior).
    pub eff: Efficiency,
    /// Host-side efficiency.
    pub host_eff: &'a HostEfficiency,
    /// Runtime overhead besides weights and KV (compute buffers).
    pub overhead: Bytes,
    /// Micro-batch, tokens.
    pub ubatch: u32,
    /// Context allocated (KV cache size), tokens.
    pub ctx: u64,
    /// Tokens in the cache before the prompt (llama-bench `-d`).
    pub depth: u64,
    /// Prompt tokens.
    pub prompt: u64,
    /// Generated tokens.
    pub gen: u64,
    /// Offload policy.
    pub offload: Offload,
    /// Concurrent sequences decoded together (1 = single stream).
    pub batch: u32,
    /// Flash attention on (llama.cpp `-fa 1`).
    pub flash_attn: bool,
    /// The host tier (the device's, or overridden with --host-gib / --host-gb-s).
    pub host: Option<crate::db::hardware::Tier>,
    /// Layers forced on the GPU (`-ngl`), if given.
    pub gpu_layers: Option<u32>,
    /// Fewest tokens of a quantized matmul that the backend runs as dequantize + BLAS GEMM
    /// on this device (`None`: it always uses its fused quantized kernels).
    pub dequant_min_tokens: Option<u32>,
    /// Fewest tokens of a prefill micro-batch whose expert matmuls read every routed expert
    /// (`None`: they read the experts the tokens touch). Set only for a measurement made
    /// with a build the backend's `expert_gemm_all` rule covers; predictions are for current
    /// builds.
    pub expert_gemm_all_min_tokens: Option<u32>,
    /// Whether the run used a build the backend's `superseded_builds` rule covers: its prompt
    /// matmuls take [`Scenario::superseded_factor`] times as long. Set only for a
    /// measurement; predictions are for current builds.
    pub superseded: bool,
    /// The token tiles of the backend's batched matmuls on this device (`None`: no padding).
    pub token_tiles: Option<&'a crate::db::calibration::GemmTokenTiles>,
    /// The most the backend's fused quantized matmuls reach on this device, where they are
    /// bound by the GPU's SMs and clock rather than its tensor-core peak (llama.cpp CUDA's MMQ;
    /// [`crate::db::hardware::Device::quant_peak`]); `None`: the sustained FP16 peak.
    pub quant_peak: Option<FlopPerSecond>,
    /// The board's power model and the limit set (`None`: the device has no power data).
    pub power: Option<power::PowerModel>,
    /// llama.cpp's CPU backend on a CPU whose cores and kernels are known: threads and
    /// kernel rates (`None`: the generic roofline).
    pub cpu: Option<cpu::CpuRun<'a>>,
    /// The prefill kernel family ([`kernel_class_of`] the model, quant and native expert
    /// bits, worked out once when the scenario is built).
    pub kernel_class: KernelClass,
    /// The model's coefficients ([`coefs::ModelCoefs::of`] the model, worked out once when the
    /// scenario is built).
    pub coefs: coefs::ModelCoefs,
}

impl Scenario<'_> {
    /// The prefill kernel family (see [`kernel_class_of`]).
    pub fn kernel_class(&self) -> KernelClass {
        self.kernel_class
    }

    /// The prefill attention factor for this scenario's flash-attention setting.
    pub fn prefill_attn(&self) -> f64 {
        if self.flash_attn {
            self.eff.prefill_attn_fa
        } else {
            self.eff.prefill_attn
        }
    }

    /// Layers whose kernels a decode step runs, the count the per-layer fixed time
    /// (`layer_s`) is charged for: every block of the model, in Llama-layer equivalents of
    /// the kernels each launches ([`graph_nodes::layer_equivalents`]).
    pub fn overhead_layers(&self) -> f64 {
        self.coefs.layer_equivalents
    }

    /// Fixed time of one decode step (or prefill micro-batch), seconds: per token plus per
    /// layer, `t_fixed + (t_layer + t_layer,fa) · L` with `L` [`Scenario::overhead_layers`],
    /// the flash-attention change counted only with flash attention on (and, as fitted, per
    /// layer equivalent like the rest, though only the attention's kernels change).
    pub fn step_fixed_s(&self) -> f64 {
        self.eff.fixed_s + self.eff.layer_fixed_s(self.flash_attn) * self.overhead_layers()
    }

    /// Routed-expert activations per decoded token: MoE layers × experts per token. Its
    /// calibrated cost is per decode step; a decode batch reads more expert bytes (see
    /// [`Scenario::experts_touched_frac`]) but runs the same matrix-vector kernels, so it is
    /// charged once per step (charging the distinct experts a small batch touches instead
    /// made CUDA MoE batched decode 16.6% → 25.1% off, device held out). Prefill
    /// micro-batches are charged per distinct expert: [`Scenario::expert_calls_by`].
    pub fn expert_calls(&self) -> f64 {
        self.coefs.expert_calls
    }

    /// Distinct routed-expert matmuls `tokens` tokens run together (one prefill micro-batch):
    /// MoE layers × E × the share of experts they touch. At one token it is
    /// [`Scenario::expert_calls`]; each distinct expert is its own matmul with its own cost.
    pub fn expert_calls_by(&self, tokens: f64) -> f64 {
        self.coefs.experts_all * self.experts_touched_frac_by(tokens)
    }

    /// Micro-batches a prompt of `n` tokens runs in (`⌈n/u⌉`, at least one).
    pub fn micro_batches(&self, n: f64) -> f64 {
        (n / f64::from(self.ubatch.max(1))).ceil().max(1.0)
    }

    /// Share of all routed experts one decode step over `batch` streams touches:
    /// `1 − (1 − k/E)^B` (each token routes to k of E experts, independently). At B = 1 it is
    /// k/E; it approaches 1 as the batch grows.
    pub fn experts_touched_frac(&self) -> f64 {
        self.experts_touched_frac_by(f64::from(self.batch.max(1)))
    }

    /// Share of all routed experts `tokens` tokens touch together (one decode step over
    /// that many streams, or one prefill micro-batch of that many tokens).
    pub fn experts_touched_frac_by(&self, tokens: f64) -> f64 {
        self.coefs.experts_touched_frac(tokens)
    }

    /// Share of all routed experts whose weights a prefill micro-batch of `tokens` tokens
    /// reads: the share they touch, or all of them where the build's batched expert kernel
    /// ran every expert ([`Scenario::expert_gemm_all_min_tokens`]).
    pub fn experts_read_frac_by(&self, tokens: f64) -> f64 {
        match self.expert_gemm_all_min_tokens {
            Some(m) if tokens >= f64::from(m) && self.coefs.expert_miss.is_some() => 1.0,
            _ => self.experts_touched_frac_by(tokens),
        }
    }
}

/// A memory tier (or the link or disk) as a bound names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TierName {
    /// A discrete GPU's memory.
    Vram,
    /// Host RAM behind a discrete GPU.
    HostRam,
    /// A unified SoC's GPU share of memory.
    Unified,
    /// A unified SoC's CPU share.
    CpuShare,
    /// A CPU's RAM.
    Ram,
    /// No such tier.
    None,
    /// The link.
    Link,
    /// NVMe (memory-mapped weights).
    Nvme,
}

impl TierName {
    /// The spelling in JSON, CSV and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            TierName::Vram => "vram",
            TierName::HostRam => "host-ram",
            TierName::Unified => "unified",
            TierName::CpuShare => "cpu-share",
            TierName::Ram => "ram",
            TierName::None => "none",
            TierName::Link => "link",
            TierName::Nvme => "nvme",
        }
    }
}

impl std::fmt::Display for TierName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A device's fast and host tiers, for bounds and tables.
pub fn tier_names(d: &Device) -> (TierName, TierName) {
    match d.raw.kind {
        DeviceKind::DiscreteGpu => (TierName::Vram, TierName::HostRam),
        DeviceKind::UnifiedSoc => (TierName::Unified, TierName::CpuShare),
        DeviceKind::Cpu => (TierName::Ram, TierName::None),
    }
}
