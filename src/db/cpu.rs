//! CPUs as llama.cpp's CPU backend sees them: a device's `cpu` block (physical cores,
//! hardware threads, the vector and matrix features its kernels are compiled for) and the
//! CPU kernel parameters of `calibration/cpu.yaml` (per-thread bandwidth, the matrix-vector
//! and matrix-matrix rate of each quant type as a fraction of one core's FP32 peak, the
//! attention kernels with and without flash attention, the fixed time per token and per
//! layer). See [`crate::model::cpu`] for the physics that uses them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A CPU device's cores and features (hardware-db `cpu`, or what `tokenfit detect` read).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CpuRaw {
    /// Physical cores (llama.cpp's default thread count).
    pub cores: u32,
    /// Hardware threads (logical CPUs).
    pub threads: u32,
    /// Vector and matrix features (`/proc/cpuinfo` flag names: `avx2`, `avx512f`,
    /// `avx512_vnni`, `amx_int8`, `asimd`, …).
    #[serde(default)]
    pub features: Vec<String>,
    /// Where the numbers come from.
    pub source: String,
}

impl CpuRaw {
    /// Whether a feature is present.
    pub fn has(&self, f: &str) -> bool {
        self.features.iter().any(|x| x == f)
    }
}

/// Raw mirror of `calibration/cpu.yaml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CpuKernelsFileRaw {
    /// How the file was made.
    #[serde(default)]
    pub source: Option<String>,
    /// One entry per instruction-set level measured.
    pub cpu_kernels: Vec<CpuKernels>,
}

/// The CPU kernels of one backend at one instruction-set level. Rates are fractions of one
/// core's FP32 peak (the device's FP16 peak over its cores, which hardware-db and `detect`
/// count at the FP32 lane count on x86).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CpuKernels {
    /// Backend id (`llama.cpp-cpu`).
    pub backend: String,
    /// The features the kernels were measured with; a machine that lacks one of them is
    /// predicted with these rates as an extrapolation.
    pub features: Vec<String>,
    /// Bytes one thread streams from RAM, GB/s: `min(BW, threads × this)` is the bandwidth
    /// a decode step reaches (one core cannot saturate DRAM).
    pub thread_gb_s: f64,
    /// Decode (matrix-vector) rate per quant id (`f16`, `q8_0`, `q4_0`, …), fraction of one
    /// core's FP32 peak.
    pub gemv_frac: BTreeMap<String, f64>,
    /// Prefill (matrix-matrix) rate per quant id, fraction of one core's FP32 peak.
    pub gemm_frac: BTreeMap<String, f64>,
    /// Decode attention without flash attention (KQ and KQV matmuls on the F16 cache),
    /// fraction of one core's FP32 peak.
    pub decode_attn_frac: f64,
    /// Decode attention with flash attention (the fused CPU kernel).
    pub decode_attn_fa_frac: f64,
    /// Prefill attention without flash attention.
    pub prefill_attn_frac: f64,
    /// Prefill attention with flash attention.
    pub prefill_attn_fa_frac: f64,
    /// Fixed time of a decode step (or prefill micro-batch), s.
    pub token_s: f64,
    /// Fixed time per layer of a step, s (the small ops of a block: norms, RoPE, adds), per
    /// Llama-layer equivalent of its kernels (`model::graph_nodes`).
    pub layer_s: f64,
    /// Extra time per layer of a step for each thread beyond the first, s (llama.cpp's
    /// threads meet at a barrier after every op).
    pub layer_sync_s: f64,
    /// Rows fitted.
    #[serde(default)]
    pub rows: usize,
    /// Fit quality: MAPE of decode and prefill on the fitted rows, %.
    #[serde(default)]
    pub tg_mape_pct: Option<f64>,
    /// Prefill MAPE on the fitted rows, %.
    #[serde(default)]
    pub pp_mape_pct: Option<f64>,
    /// Where the numbers come from.
    pub source: String,
}

impl CpuKernels {
    /// The rate of `quant` in `table`: its own, else the mean of the measured quants of
    /// the same kernel class (`class_of` names it), else the mean of all.
    pub fn rate(
        table: &BTreeMap<String, f64>,
        quant: &str,
        class_of: impl Fn(&str) -> Option<crate::db::quant::KernelClass>,
    ) -> f64 {
        if let Some(r) = table.get(quant) {
            return *r;
        }
        let mean = |v: Vec<f64>| (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64);
        let class = class_of(quant);
        let same: Vec<f64> = table
            .iter()
            .filter(|(q, _)| class.is_some() && class_of(q) == class)
            .map(|(_, r)| *r)
            .collect();
        mean(same)
            .or_else(|| mean(table.values().copied().collect()))
            .unwrap_or(1.0)
    }

    /// Whether a machine with `features` has every feature these kernels were measured with.
    pub fn covers(&self, cpu: &CpuRaw) -> bool {
        self.features.iter().all(|f| cpu.has(f))
    }
}

/// The entry that predicts `backend` on `cpu`: the one whose features the machine has
/// (the most of them), else the first of the backend (an extrapolation).
pub fn kernels_for<'a>(
    all: &'a [CpuKernels],
    backend: &str,
    cpu: &CpuRaw,
) -> Option<&'a CpuKernels> {
    let of_backend = || all.iter().filter(move |k| k.backend == backend);
    of_backend()
        .filter(|k| k.covers(cpu))
        .max_by_key(|k| k.features.len())
        .or_else(|| of_backend().next())
}

/// Checks a CPU block.
pub fn validate_cpu(file: &str, id: &str, c: &CpuRaw) -> crate::Result<()> {
    if c.cores == 0 || c.threads < c.cores {
        return Err(crate::Error::Parse {
            file: file.to_string(),
            line: None,
            msg: format!(
                "device '{id}': cpu.cores must be at least 1 and cpu.threads at least cores (got {} and {})",
                c.cores, c.threads
            ),
        });
    }
    Ok(())
}

/// Checks CPU kernel entries: every rate and time positive and finite (times may be 0).
pub fn validate_kernels(file: &str, k: &CpuKernels) -> crate::Result<()> {
    let bad = |what: &str, v: f64| crate::Error::Parse {
        file: file.to_string(),
        line: None,
        msg: format!(
            "cpu_kernels ({}): {what} must be a positive number, got {v}",
            k.backend
        ),
    };
    let rates = k
        .gemv_frac
        .iter()
        .chain(&k.gemm_frac)
        .map(|(q, v)| (q.as_str(), *v));
    let fixed = [
        ("thread_gb_s", k.thread_gb_s),
        ("decode_attn_frac", k.decode_attn_frac),
        ("decode_attn_fa_frac", k.decode_attn_fa_frac),
        ("prefill_attn_frac", k.prefill_attn_frac),
        ("prefill_attn_fa_frac", k.prefill_attn_fa_frac),
    ];
    for (what, v) in rates.chain(fixed) {
        if !(v.is_finite() && v > 0.0) {
            return Err(bad(what, v));
        }
    }
    for (what, v) in [
        ("token_s", k.token_s),
        ("layer_s", k.layer_s),
        ("layer_sync_s", k.layer_sync_s),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(bad(what, v));
        }
    }
    if k.gemv_frac.is_empty() || k.gemm_frac.is_empty() {
        return Err(bad(
            "gemv_frac and gemm_frac (at least one quant each)",
            0.0,
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::quant::KernelClass;

    fn class_of(q: &str) -> Option<KernelClass> {
        Some(match q {
            "f16" | "bf16" => KernelClass::Float,
            "q4_k_m" => KernelClass::KQuant,
            _ => KernelClass::Block,
        })
    }

    #[test]
    fn rate_falls_back_to_the_kernel_class_then_to_all() {
        let t: BTreeMap<String, f64> = [("f16", 0.3), ("q4_0", 0.9), ("q8_0", 0.7)]
            .map(|(q, r)| (q.to_string(), r))
            .into();
        assert_eq!(CpuKernels::rate(&t, "q8_0", class_of), 0.7);
        assert_eq!(CpuKernels::rate(&t, "bf16", class_of), 0.3);
        assert!((CpuKernels::rate(&t, "q5_0", class_of) - 0.8).abs() < 1e-12);
        // No k-quant measured: the mean of every quant.
        assert!((CpuKernels::rate(&t, "q4_k_m", class_of) - (0.3 + 0.9 + 0.7) / 3.0).abs() < 1e-12);
    }

    #[test]
    fn kernels_for_prefers_the_entry_the_machine_covers() {
        let entry = |features: &[&str], gb_s: f64| CpuKernels {
            backend: "llama.cpp-cpu".into(),
            features: features.iter().map(|f| f.to_string()).collect(),
            thread_gb_s: gb_s,
            gemv_frac: [("f16".to_string(), 0.3)].into(),
            gemm_frac: [("f16".to_string(), 0.6)].into(),
            decode_attn_frac: 0.1,
            decode_attn_fa_frac: 0.1,
            prefill_attn_frac: 0.1,
            prefill_attn_fa_frac: 0.1,
            token_s: 0.0,
            layer_s: 0.0,
            layer_sync_s: 0.0,
            rows: 0,
            tg_mape_pct: None,
            pp_mape_pct: None,
            source: "test".into(),
        };
        let all = [
            entry(&["avx2", "avx512f", "avx512_vnni"], 1.0),
            entry(&["avx2"], 2.0),
        ];
        let cpu = |f: &[&str]| CpuRaw {
            cores: 4,
            threads: 8,
            features: f.iter().map(|x| x.to_string()).collect(),
            source: "test".into(),
        };
        let pick = |f: &[&str]| kernels_for(&all, "llama.cpp-cpu", &cpu(f)).map(|k| k.thread_gb_s);
        assert_eq!(pick(&["avx2", "avx512f", "avx512_vnni", "fma"]), Some(1.0));
        assert_eq!(pick(&["avx2", "fma"]), Some(2.0));
        // Covered by none (an Arm CPU): the first entry, as an extrapolation.
        assert_eq!(pick(&["asimd"]), Some(1.0));
        assert!(kernels_for(&all, "llama.cpp-cuda", &cpu(&["avx2"])).is_none());
        assert!(validate_cpu("f", "d", &cpu(&[])).is_ok());
        assert!(validate_cpu(
            "f",
            "d",
            &CpuRaw {
                cores: 0,
                ..cpu(&[])
            }
        )
        .is_err());
    }
}
