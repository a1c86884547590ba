//! Devices: memory tiers, link, compute peaks, power and price, read from `hardware-db/`.
//!
//! A device has a fast tier (VRAM, the GPU-usable share of unified memory, or CPU RAM), an
//! optional host tier beyond it, and the link between them. Capacities are GiB, bandwidths
//! GB/s (decimal), compute TFLOP/s (decimal). See `hardware-db/README.md` for the schema.

use crate::units::{Bytes, BytesPerSecond, FlopPerSecond};
use serde::{Deserialize, Serialize};

/// What kind of machine a device is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A GPU with its own memory on a PCIe (or similar) link.
    DiscreteGpu,
    /// An SoC whose GPU shares one memory pool with the CPU.
    UnifiedSoc,
    /// A CPU-only machine.
    Cpu,
}

impl DeviceKind {
    /// The name the databases use (`discrete_gpu`, `unified_soc`, `cpu`).
    pub fn label(self) -> &'static str {
        match self {
            DeviceKind::DiscreteGpu => "discrete_gpu",
            DeviceKind::UnifiedSoc => "unified_soc",
            DeviceKind::Cpu => "cpu",
        }
    }
}

/// How the fast tier reaches the host tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkKind {
    /// PCI Express.
    Pcie,
    /// NVIDIA NVLink-C2C (Grace / GB10).
    NvlinkC2c,
    /// One memory pool: no copy across a link.
    Unified,
}

/// Raw mirror of a memory tier block.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TierRaw {
    /// Physical capacity, GiB.
    pub capacity_gib: f64,
    /// Peak bandwidth, GB/s.
    pub bandwidth_gb_s: f64,
    /// What the runtime can allocate, GiB (default: capacity).
    #[serde(default)]
    pub usable_gib: Option<f64>,
    /// Where the numbers come from.
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Raw mirror of a link block.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkRaw {
    /// Link kind.
    pub kind: LinkKind,
    /// PCIe generation.
    #[serde(default)]
    pub pcie_gen: Option<f64>,
    /// PCIe lanes.
    #[serde(default)]
    pub lanes: Option<u32>,
    /// Per-direction bandwidth, GB/s.
    pub bandwidth_gb_s: f64,
    /// Where the numbers come from.
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Raw mirror of the memory block.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryRaw {
    /// Fast tier.
    pub fast: TierRaw,
    /// Host tier.
    #[serde(default)]
    pub host: Option<TierRaw>,
    /// Link fast ↔ host.
    #[serde(default)]
    pub link: Option<LinkRaw>,
}

/// Raw mirror of the compute block (dense peaks).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeRaw {
    /// Dense FP16 matrix TFLOP/s (FP32 accumulate where two rates exist).
    pub fp16_tflops: f64,
    /// FP16-accumulate TFLOP/s where it differs.
    #[serde(default)]
    pub fp16_acc16_tflops: Option<f64>,
    /// Dense BF16 TFLOP/s.
    #[serde(default)]
    pub bf16_tflops: Option<f64>,
    /// Dense FP8 TFLOP/s.
    #[serde(default)]
    pub fp8_tflops: Option<f64>,
    /// Dense FP4 TFLOP/s.
    #[serde(default)]
    pub fp4_tflops: Option<f64>,
    /// Dense INT8 TOPS.
    #[serde(default)]
    pub int8_tops: Option<f64>,
    /// Vector FP32 TFLOP/s.
    #[serde(default)]
    pub fp32_tflops: Option<f64>,
    /// The GPU's streaming multiprocessors and boost clock, where its backend's fused
    /// quantized matmuls are bound by them rather than by the tensor-core peak.
    #[serde(default)]
    pub sms: Option<SmsRaw>,
    /// Where the numbers come from.
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// FLOP per SM per clock that [`Device::quant_peak`] counts: the dense FP16 tensor rate per SM
/// of NVIDIA's Turing, Ampere (GA10x) and Ada GPUs with FP16 accumulate (RTX 4090: 330.3
/// TFLOP/s / (128 SMs × 2.52 GHz) = 1,024). llama.cpp's MMQ kernels reach about half of it per
/// SM and clock on every generation from Ampere to Blackwell, data-centre parts included,
/// whatever their larger tensor cores (docs/how-it-works.md): they are bound by loading and
/// unpacking the quantized tiles, which scales with SMs and clock.
pub const MMQ_FLOP_PER_SM_CLOCK: f64 = 1024.0;

/// Raw mirror of a GPU's streaming multiprocessors (NVIDIA SMs) and boost clock.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SmsRaw {
    /// Streaming multiprocessors.
    pub count: u32,
    /// Boost clock, MHz.
    pub boost_clock_mhz: f64,
    /// Where the numbers come from.
    pub source: String,
}

/// Raw mirror of a price.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PriceRaw {
    /// US dollars.
    pub usd: f64,
    /// Date of the price (YYYY, YYYY-MM or YYYY-MM-DD).
    pub as_of: String,
    /// launch_msrp | list | street | system.
    pub kind: String,
    /// Where the price comes from.
    pub source: String,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Raw mirror of one device entry.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRaw {
    /// Unique id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor.
    pub vendor: String,
    /// Kind.
    pub kind: DeviceKind,
    /// Calibration prior family.
    pub family: String,
    /// Other names.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Memory tiers.
    pub memory: MemoryRaw,
    /// Compute peaks.
    pub compute: ComputeRaw,
    /// Power, W.
    pub power_w: f64,
    /// A CPU's cores and features, where known (llama.cpp's CPU backend: threads and kernels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<super::cpu::CpuRaw>,
    /// Board power limits (default, min, max) and idle draw, where sourced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_limit: Option<super::power::PowerLimitRaw>,
    /// Price.
    #[serde(default)]
    pub price: Option<PriceRaw>,
    /// Documents read.
    pub sources: Vec<String>,
    /// Free text.
    #[serde(default)]
    pub notes: Option<super::Text>,
}

/// Raw mirror of a hardware file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HardwareFileRaw {
    /// The devices.
    pub devices: Vec<DeviceRaw>,
}

/// One memory tier, validated and in SI units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tier {
    /// Physical capacity.
    pub capacity: Bytes,
    /// What the runtime can allocate.
    pub usable: Bytes,
    /// Peak bandwidth.
    pub bandwidth: BytesPerSecond,
}

/// A validated device.
#[derive(Debug, Clone)]
pub struct Device {
    /// The raw entry (names, sources, notes).
    pub raw: DeviceRaw,
    /// Fast tier.
    pub fast: Tier,
    /// Host tier (absent on CPU-only machines).
    pub host: Option<Tier>,
    /// Link bandwidth per direction (absent when there is no host tier).
    pub link: Option<BytesPerSecond>,
    /// Dense FP16 peak.
    pub fp16_peak: FlopPerSecond,
    /// The FP16 rate a long GEMM holds under the board's power limit (see
    /// [`power_limited_peaks`]); the datasheet peak where no limit applies. Predictions run
    /// matmuls and attention against it; `check` bounds claims by the datasheet peak.
    pub sustained_peak: FlopPerSecond,
    /// The rate llama.cpp's fused quantized matmuls (CUDA's MMQ) reach at most on this GPU:
    /// [`MMQ_FLOP_PER_SM_CLOCK`] per SM per clock but never above the FP16 peak, under the
    /// same power limit as `sustained_peak` (`None`: no SM data; the FP16 peak bounds them).
    pub quant_peak: Option<FlopPerSecond>,
}

impl Device {
    /// The device id.
    pub fn id(&self) -> &str {
        &self.raw.id
    }
    /// Price in USD, when known.
    pub fn price_usd(&self) -> Option<f64> {
        self.raw.price.as_ref().map(|p| p.usd)
    }
    /// Whether the GPU and CPU share one memory pool.
    pub fn is_unified(&self) -> bool {
        self.raw.kind == DeviceKind::UnifiedSoc
    }
}

/// Sets each device's sustained peak. A board that draws little power per unit of datasheet
/// compute cannot hold its boost clock through a long GEMM: dynamic power goes as `f·V²`
/// with the voltage rising with the clock, so a power-capped clock scales as the cube root of
/// the power. With `w` the board power per peak TFLOP/s and `w_fam` the median of `w` over the
/// boards of its family (a median, so that boards without tensor cores, whose FP16 peak is a
/// vector rate and whose `w` is several times the others', do not move it), the sustained
/// peak is `peak · min(1, (w / w_fam)^(1/3))`:
/// boards with less power per TFLOP/s than their family's typical one run slower than the
/// family's fit says (an RTX 6000 Ada at 0.82 W per TFLOP/s among Ada cards at 1.5), none
/// faster than its datasheet. Discrete NVIDIA and AMD boards only, whose `power_w` is the
/// board power; SoCs share theirs with the CPU, and Apple and Intel figures are not board
/// powers. Relative within the family, so the family's fitted efficiency keeps its meaning;
/// a board added to a family moves the median only as far as one more board moves a median.
pub fn power_limited_peaks(devices: &mut [Device]) {
    use std::collections::BTreeMap;
    let limited = |d: &Device| {
        d.raw.kind == DeviceKind::DiscreteGpu
            && matches!(d.raw.vendor.as_str(), "nvidia" | "amd")
            && d.raw.power_w > 0.0
            && d.fp16_peak.0 > 0.0
    };
    let w = |d: &Device| d.raw.power_w / d.fp16_peak.tflops();
    let mut families: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for d in devices.iter().filter(|d| limited(d)) {
        families.entry(d.raw.family.clone()).or_default().push(w(d));
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        if v.len() % 2 == 1 {
            v[m]
        } else {
            (v[m - 1] + v[m]) / 2.0
        }
    };
    let w_fam: BTreeMap<String, f64> = families
        .into_iter()
        .map(|(f, mut v)| (f, median(&mut v)))
        .collect();
    for d in devices.iter_mut() {
        d.sustained_peak = d.fp16_peak;
        if let Some(w_f) = w_fam.get(&d.raw.family).filter(|_| limited(d)) {
            d.sustained_peak = FlopPerSecond(d.fp16_peak.0 * (w(d) / w_f).powf(1.0 / 3.0).min(1.0));
        }
        // Never above the FP16 peak: GPUs without int8 tensor cores (Pascal, Volta, GTX 16)
        // run MMQ on their vector units, whose rate the datasheet peak already is.
        let limit = d.sustained_peak.0 / d.fp16_peak.0;
        d.quant_peak = d.raw.compute.sms.as_ref().map(|s| {
            let per_sm = f64::from(s.count) * s.boost_clock_mhz * 1e6 * MMQ_FLOP_PER_SM_CLOCK;
            FlopPerSecond(per_sm.min(d.fp16_peak.0) * limit)
        });
    }
}
