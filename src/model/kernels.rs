//! Which of llama.cpp's kernels a call runs, and what its matmuls cost there: the kernel
//! family of the weights, the backend's switch to dequantize + BLAS for large calls, the
//! tiles a backend computes whole, the fused per-expert kernels' extra read, and a superseded
//! build's slower matmuls.

use super::placement::Placement;
use super::Scenario;
use crate::db::model::ModelRaw;
use crate::db::quant::{KernelClass, QuantRaw};
use crate::model::params::ParamGroups;
use crate::units::{Bytes, Flop, Seconds};

/// The prefill kernel family: the scheme's, except that MoE models whose experts ship
/// natively quantized (gpt-oss MXFP4) run their bulk on block-quant kernels.
pub fn kernel_class_of(
    model: &ModelRaw,
    quant: &QuantRaw,
    native_expert_bpw: Option<f64>,
) -> KernelClass {
    if native_expert_bpw.is_some() && model.is_moe() {
        KernelClass::Block
    } else {
        quant.kernel_class()
    }
}

impl Scenario<'_> {
    /// Matmul time of `tokens` tokens through the parameters `p` at the device's sustained
    /// FP16 peak, in calls of `per_call` tokens each (a prefill micro-batch, a decode batch):
    /// `(all, routed experts' share)`. Dense weights run at the fraction of their kernel
    /// family at that call size, routed experts at the expert fraction. Dense calls compute
    /// the tokens of their tiles where the backend's kernels tile them ([`Scenario::tile_factor`]
    /// of the pass: the prompt, or one decode call of `per_call` streams).
    pub fn matmul_time(&self, p: &ParamGroups, tokens: f64, per_call: f64) -> (Seconds, Seconds) {
        let fp16 = self.device.sustained_peak;
        // Fused quantized kernels run against the backend's quantized-matmul ceiling where the
        // device has one; float GEMMs (and dequantize + GEMM) against the FP16 peak.
        let peak_of = |c: KernelClass| match (c, self.quant_peak) {
            (KernelClass::Float, _) | (_, None) => fp16,
            (_, Some(q)) => q,
        };
        let experts = Flop(2.0 * p.experts_active * tokens)
            / (peak_of(self.kernel_class) * self.eff.expert_compute_frac);
        let padding = self.tile_factor(tokens.max(per_call));
        let dense = Flop(2.0 * (p.active_matmul() - p.experts_active) * tokens * padding)
            / (peak_of(self.compute_class(per_call)) * self.compute_frac(per_call));
        (dense + experts, experts)
    }

    /// How many times as long a prompt's matmuls take: `1 + superseded_compute` on a
    /// superseded build ([`Scenario::superseded`]), else 1.
    pub fn superseded_factor(&self) -> f64 {
        if self.superseded {
            1.0 + self.eff.superseded_compute
        } else {
            1.0
        }
    }

    /// How many tokens' compute the dense matmuls of a pass of `n` tokens cost per token: the
    /// pass runs as micro-batches of `ubatch` tokens and a last one of the rest (llama.cpp's
    /// split), each computed in whole tiles where the backend tiles them ([`Scenario::token_tiles`]);
    /// 1 where it does not.
    pub fn tile_factor(&self, n: f64) -> f64 {
        let Some(t) = self.token_tiles else {
            return 1.0;
        };
        let u = f64::from(self.ubatch.max(1));
        let full = (n / u).floor();
        let tiled = full * t.padded(u) + t.padded(n - full * u);
        (tiled / n).max(1.0)
    }

    /// Whether dense quantized matmuls of `tokens` tokens run as dequantize + BLAS GEMM
    /// (the backend's `dequant_gemm` rule on this device's family).
    pub fn dequant_gemm(&self, tokens: f64) -> bool {
        self.dequant_min_tokens
            .is_some_and(|m| tokens >= f64::from(m))
            && self.kernel_class() != KernelClass::Float
    }

    /// The kernel family dense matmuls of `tokens` tokens run on: the weights' own, or the
    /// float GEMM where the backend dequantizes first.
    pub fn compute_class(&self, tokens: f64) -> KernelClass {
        if self.dequant_gemm(tokens) {
            KernelClass::Float
        } else {
            self.kernel_class()
        }
    }

    /// The prefill (and batched-decode) fraction of the sustained FP16 peak for dense matmuls of
    /// `tokens` tokens.
    pub fn compute_frac(&self, tokens: f64) -> f64 {
        match self.compute_class(tokens) {
            KernelClass::Block => self.eff.compute_frac,
            KernelClass::KQuant => self.eff.kquant_compute_frac,
            KernelClass::Float => self.eff.float_compute_frac,
        }
    }

    /// Bytes the dequantized FP16 copy of the dense layer weights costs per call of `tokens`
    /// tokens: written once and read once by the GEMM (4 bytes per parameter), or nothing
    /// when the fused kernels run.
    pub fn dequant_bytes(&self, p: &ParamGroups, tokens: f64) -> Bytes {
        if self.dequant_gemm(tokens) {
            Bytes(4.0 * p.non_embedding_dense())
        } else {
            Bytes(0.0)
        }
    }

    /// Seconds at peak bandwidth to read the distinct routed experts a call of `tokens` tokens
    /// (a prefill micro-batch, or one decode step of that many streams) touches on the GPU,
    /// where the backend runs them through its fused quantized kernels one expert at a time:
    /// from 2 tokens (one token runs the matrix-vector kernel) to below the backend's
    /// `dequant_gemm` threshold on the families it names (llama.cpp HIP on RDNA 3: `mul_mat_id`
    /// through MMQ below 64 tokens); 0 elsewhere and for float experts. Experts the placement
    /// keeps on the host do not run these kernels ([`Placement::gpu_expert_share`]). The
    /// fitted `prefill_expert_read` multiplies it.
    pub fn expert_mmq_read_s(&self, pl: &Placement, tokens: f64) -> f64 {
        // A backend that dequantizes quantized calls from some size on, and a call below it.
        let fused = tokens >= 2.0 && self.dequant_gemm(f64::INFINITY) && !self.dequant_gemm(tokens);
        if !fused || self.weights.experts.0 <= 0.0 {
            return 0.0;
        }
        let touched = self.weights.experts * self.experts_touched_frac_by(tokens);
        (touched / self.device.fast.bandwidth).0 * pl.gpu_expert_share()
    }
}
