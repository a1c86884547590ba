//! llama.cpp's CPU backend: decode and prefill on `T` threads of a CPU whose cores, features
//! and kernels are known (a device with a `cpu` block and `calibration/cpu.yaml` entries).
//!
//! With `T' = min(T, cores)` busy cores, `P_c` one core's FP32 peak (the device's peak over
//! its cores), `BW_T = min(BW, T' · b_t)` the bandwidth `T'` threads reach (one core cannot
//! saturate DRAM), `A` the active matmul parameters and `L` the layers (in Llama-layer
//! equivalents of their kernels, `graph_nodes`: the threads meet after every one):
//!
//! decode step at depth `c`:
//! `t = (W + KV(c)) / BW_T + 2·A / (T'·P_c·g_q) + F_attn(c) / (T'·P_c·a_d) + t_fix`
//! (the weight stream and the dequantize-and-dot work of a matrix-vector product add, as
//! in [`super::decode`]: llama.cpp's kernels do both in one pass without hiding either)
//!
//! prefill of `n` tokens at depth `d`, in `⌈n/u⌉` micro-batches:
//! `t = max(2·A·n / (T'·P_c·m_q), ⌈n/u⌉·W / BW_T) + F_attn(n, d) / (T'·P_c·a_p) + ⌈n/u⌉·t_fix`
//!
//! `t_fix = t_token + L · (t_layer + (T' − 1) · t_sync)`: llama.cpp's threads meet at a
//! barrier after every op, so the small ops of a block cost more time the more threads
//! wait for each other. `g_q` and `m_q` are the matrix-vector (decode) and matrix-matrix
//! (prefill) rates of the scheme's kernels as fractions of `P_c`: F16 converts to F32 and
//! runs a float dot, Q8_0 and Q4_0 quantize the activations to 8 bits and run integer dot
//! products (repacked tiles in prefill), so the three differ by type and not by bytes only.
//! `a_d`, `a_p` are the attention kernels' rates without and with flash attention (the
//! fused CPU kernel walks the cache one position at a time and is slower at depth).

use super::placement::{Footprint, Placement};
use super::step::{Bound, BoundKind, DecodeStep, PrefillTime};
use super::{tier_names, Scenario, TierName};
use crate::db::cpu::CpuKernels;
use crate::units::{Bytes, Seconds};

/// A CPU run: the threads and the kernels resolved for the scenario's scheme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuRun<'a> {
    /// Threads asked for (llama.cpp `-t`).
    pub threads: u32,
    /// Physical cores.
    pub cores: u32,
    /// The kernel parameters.
    pub kernels: &'a CpuKernels,
    /// Decode rate of the scheme, fraction of one core's FP32 peak.
    pub gemv_frac: f64,
    /// Prefill rate of the scheme.
    pub gemm_frac: f64,
}

impl CpuRun<'_> {
    /// Cores busy: threads beyond the physical cores share them.
    pub fn busy(&self) -> f64 {
        f64::from(self.threads.clamp(1, self.cores.max(1)))
    }
    /// Bandwidth the threads reach, bytes/s.
    pub fn bandwidth(&self, s: &Scenario) -> f64 {
        (self.busy() * self.kernels.thread_gb_s * 1e9).min(s.device.fast.bandwidth.0)
    }
    /// FLOP/s of the busy cores at a fraction of their FP32 peak.
    pub fn flops(&self, s: &Scenario, frac: f64) -> f64 {
        s.device.sustained_peak.0 / f64::from(self.cores.max(1)) * self.busy() * frac
    }
    /// Fixed time of one step (a decode token or a prefill micro-batch), s.
    pub fn fixed_s(&self, s: &Scenario) -> f64 {
        let k = self.kernels;
        k.token_s + s.overhead_layers() * (k.layer_s + (self.busy() - 1.0) * k.layer_sync_s)
    }
}

/// The share of host bytes memory-mapped from disk (re-read every token).
fn disk_share(pl: &Placement) -> f64 {
    if pl.disk_bytes.0 > 0.0 {
        pl.disk_bytes.0 / (pl.host_bytes.0 + pl.disk_bytes.0)
    } else {
        0.0
    }
}

/// One decode step on the CPU (see the module docs); batch `B` reads the weights once
/// and does `B` tokens of matmul and attention work.
pub fn decode_step(
    s: &Scenario,
    c: &CpuRun,
    f: &Footprint,
    pl: &Placement,
    depth: f64,
) -> DecodeStep {
    let (fast, _) = tier_names(s.device);
    let b = f64::from(s.batch.max(1));
    let k = c.kernels;
    let weights =
        s.weights.head + s.weights.dense_layers + s.weights.experts * s.experts_touched_frac();
    let kv = Bytes(s.coefs.kv_bytes(depth, s.kv_elem_bytes)) * (b * f.layer_share) + f.state;
    let bytes = weights + kv;
    let bytes_disk = weights * (pl.host_layer_frac * disk_share(pl));
    let t_disk = Seconds(bytes_disk.0 / (s.host_eff.disk_gb_s * 1e9));
    let t_mem = Seconds((bytes - bytes_disk).0 / c.bandwidth(s));
    let t_comp = Seconds(2.0 * s.params.active_matmul() * b / c.flops(s, c.gemv_frac));
    let attn_frac = if s.flash_attn {
        k.decode_attn_fa_frac
    } else {
        k.decode_attn_frac
    };
    let t_attn =
        Seconds(b * f.layer_share * s.coefs.decode_attn_flop(depth) / c.flops(s, attn_frac));
    let t_overhead = Seconds(c.fixed_s(s));
    let t_latency = t_overhead + t_attn;
    let time = t_mem + t_comp + t_latency + t_disk;
    let bound = Bound::largest(&[
        (
            t_disk,
            Bound {
                kind: BoundKind::Disk,
                tier: TierName::Nvme,
            },
        ),
        (
            t_mem,
            Bound {
                kind: BoundKind::Memory,
                tier: fast,
            },
        ),
        (
            t_comp,
            Bound {
                kind: BoundKind::Compute,
                tier: fast,
            },
        ),
        (
            t_latency,
            Bound {
                kind: BoundKind::Latency,
                tier: fast,
            },
        ),
    ]);
    DecodeStep {
        time,
        bytes_fast: bytes - bytes_disk,
        bytes_host: Bytes(0.0),
        bytes_link: Bytes(0.0),
        bytes_disk,
        t_disk,
        t_fast_memory: t_mem,
        t_fast_compute: t_comp,
        t_expert_compute: Seconds::ZERO,
        t_host: Seconds::ZERO,
        t_link: Seconds::ZERO,
        t_latency,
        t_overhead,
        bound,
    }
}

/// Prefill of `n` tokens entering at depth `d` on the CPU (see the module docs).
pub fn prefill_time(s: &Scenario, c: &CpuRun, f: &Footprint, n: f64, d: f64) -> PrefillTime {
    let (fast, _) = tier_names(s.device);
    let k = c.kernels;
    let batches = s.micro_batches(n);
    let u = n / batches;
    let weights =
        s.weights.head + s.weights.dense_layers + s.weights.experts * s.experts_touched_frac_by(u);
    let t_compute = Seconds(2.0 * s.params.active_matmul() * n / c.flops(s, c.gemm_frac));
    let attn_frac = if s.flash_attn {
        k.prefill_attn_fa_frac
    } else {
        k.prefill_attn_frac
    };
    let t_attn = Seconds(f.layer_share * s.coefs.prefill_attn_flop(n, d) / c.flops(s, attn_frac));
    let t_overhead = Seconds(c.fixed_s(s) * batches);
    let t_read = Seconds(weights.0 * batches / c.bandwidth(s));
    let t_memory = t_read + t_overhead;
    let time = Seconds(t_compute.0.max(t_read.0)) + t_attn + t_overhead;
    let bound = Bound::largest(&[
        (
            t_compute + t_attn,
            Bound {
                kind: BoundKind::Compute,
                tier: fast,
            },
        ),
        (
            t_memory,
            Bound {
                kind: BoundKind::Memory,
                tier: fast,
            },
        ),
    ]);
    PrefillTime {
        time,
        t_compute,
        t_expert_compute: Seconds::ZERO,
        t_attn,
        t_memory,
        t_link: Seconds::ZERO,
        t_overhead,
        bound,
    }
}
