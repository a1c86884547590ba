//! This machine: what it is (detection per vendor tool), how fast its memory streams (the
//! bandwidth probe), the saved device `this`, and the model files kept on it (scan).
//!
//! Detection reads captured text ([`capture::Captured`]): on a live machine the files and
//! tools of its operating system, in tests the fixtures under `tests/fixtures/machines/`.
//! Every parser is a pure function over that text. A tool that is missing, hangs past its
//! time limit ([`run::TOOL_TIMEOUT`]) or prints something unexpected becomes a note, never
//! an error: detection always returns what it could read.

pub mod amd;
pub mod apple;
pub mod capture;
pub mod detect;
pub mod linux;
pub mod matching;
pub mod nvidia;
pub mod probe;
pub mod run;
pub mod saved;
pub mod scan;

use crate::db::hardware::DeviceKind;
use serde::Serialize;

/// Where a part's bandwidth figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BandwidthSource {
    /// Measured here by the probe ([`probe`]).
    Measured,
    /// The matched database entry's peak.
    Database,
}

/// One device found on this machine: a CPU with its RAM, a GPU, or an SoC.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Part {
    /// A short id within this machine: `cpu0`, `gpu0`, `gpu1`, `soc0`.
    pub id: String,
    /// The name the tool gave (what llama-bench prints as `cpu_info` / `gpu_info`).
    pub name: String,
    /// Discrete GPU, unified SoC, or CPU.
    pub kind: DeviceKind,
    /// Vendor (`nvidia`, `amd`, `apple`, `intel`, `generic`).
    pub vendor: String,
    /// The database entry it matched, if any.
    pub matched: Option<String>,
    /// Memory the part computes from, bytes (RAM for a CPU, VRAM for a discrete GPU, the
    /// GPU-reachable pool for an SoC).
    pub capacity_bytes: Option<u64>,
    /// Of which free now, bytes.
    pub free_bytes: Option<u64>,
    /// Memory bandwidth, GB/s.
    pub bandwidth_gb_s: Option<f64>,
    /// Where the bandwidth comes from.
    pub bandwidth_source: Option<BandwidthSource>,
    /// Dense FP16 peak, TFLOP/s (the database's; for an unmatched CPU, computed from cores,
    /// vector width and clock).
    pub fp16_tflops: Option<f64>,
    /// Physical CPU cores.
    pub cores: Option<u32>,
    /// Logical CPUs (hardware threads).
    pub threads: Option<u32>,
    /// CPU sockets.
    pub sockets: Option<u32>,
    /// NUMA nodes.
    pub numa_nodes: Option<u32>,
    /// CPU vector and matrix features (`avx2`, `avx512f`, `amx_tile`, `asimd` …).
    pub cpu_features: Vec<String>,
    /// GPU cores (Apple).
    pub gpu_cores: Option<u32>,
    /// What the GPU may allocate when less than the capacity, bytes (macOS
    /// `iogpu.wired_limit_mb` when set).
    pub usable_bytes: Option<u64>,
    /// Dedicated or carved-out VRAM, bytes (AMD), when it differs from the capacity.
    pub vram_bytes: Option<u64>,
    /// GTT, bytes (AMD: system memory the GPU maps).
    pub gtt_bytes: Option<u64>,
    /// Board power limit, W (NVIDIA).
    pub power_limit_w: Option<f64>,
    /// PCIe generation of the link (NVIDIA).
    pub pcie_gen: Option<u32>,
    /// PCIe lanes of the link (NVIDIA).
    pub pcie_lanes: Option<u32>,
    /// Probe: best read bandwidth, GB/s.
    pub measured_read_gb_s: Option<f64>,
    /// Probe: best triad bandwidth (STREAM's count of 24 B per element), GB/s.
    pub measured_triad_gb_s: Option<f64>,
    /// What it was read from.
    pub read_from: String,
}

impl Part {
    /// An empty part of a kind; the detectors fill in what they read.
    pub fn new(id: &str, name: &str, kind: DeviceKind, vendor: &str, read_from: &str) -> Part {
        Part {
            id: id.into(),
            name: name.into(),
            kind,
            vendor: vendor.into(),
            matched: None,
            capacity_bytes: None,
            free_bytes: None,
            bandwidth_gb_s: None,
            bandwidth_source: None,
            fp16_tflops: None,
            cores: None,
            threads: None,
            sockets: None,
            numa_nodes: None,
            cpu_features: Vec::new(),
            gpu_cores: None,
            usable_bytes: None,
            vram_bytes: None,
            gtt_bytes: None,
            power_limit_w: None,
            pcie_gen: None,
            pcie_lanes: None,
            measured_read_gb_s: None,
            measured_triad_gb_s: None,
            read_from: read_from.into(),
        }
    }
}

/// What detection found: the parts, and notes on what could not be read.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Detection {
    /// One per device found, CPU (or SoC) first.
    pub parts: Vec<Part>,
    /// Tools missing, timed out or unreadable; values absent and why.
    pub notes: Vec<String>,
}
