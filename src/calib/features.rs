//! Regressors of one mapped trace row: the physics run at unit efficiency, so that the
//! measured time is linear in the unknown efficiencies.
//!
//! Decode (per token): `T = a·X_mem + t_fixed + (t_layer + t_layer,fa)·L + t_expert·E_calls +
//! κ_d·X_attn + ρ_e·X_read + K`, `a = 1/η_bw`, `t_layer,fa` counted with flash attention on
//! only, `L` the layers in Llama-layer equivalents of their kernels
//! ([`crate::model::graph_nodes`]).
//! Prefill (whole prompt): `T = b_class·X_comp + b_exp·X_exp + κ_p·X_pattn + a·X_wmem
//! + (t_fixed + (t_layer + t_layer,fa)·L)·batches + t_expert,p·E_u·batches + ρ_e·X_read + K`,
//! `b_class = 1/η_c` of the kernel family the dense matmuls run on at that micro-batch (block
//! quant, k-quant, float — float where the backend dequantizes first), `b_exp = 1/η_c` of the routed-expert matmuls, `E_u` the
//! distinct expert matmuls of a micro-batch, `X_read` the distinct experts' weights at peak
//! bandwidth where fused kernels run them one at a time (prefill micro-batches and decode
//! batches of 2 tokens to below the backend's `dequant_gemm` switch; 0 elsewhere, and so for
//! every single-stream decode row), `ρ_e` their fitted extra read (`prefill_expert_read`).
//! `K` is the known host/link time (host-side efficiency from the defaults).

use super::map::Mapped;
use super::trace::Test;
use crate::db::calibration::Efficiency;
use crate::db::quant::KernelClass;
use crate::db::Db;
use crate::model::decode::decode_step;
use crate::model::placement::{footprint, place};
use crate::model::prefill::prefill_time;
use crate::model::{Offload, Scenario};
use crate::scenario::{build, Options};
use crate::units::Bytes;

/// Efficiency of 1 everywhere and unit attention factors: the regressors' yardstick.
pub const UNIT: Efficiency = Efficiency {
    bandwidth_frac: 1.0,
    fixed_s: 0.0,
    layer_s: 0.0,
    layer_fa_s: 0.0,
    expert_s: 0.0,
    decode_attn: 1.0,
    decode_attn_fa: 1.0,
    compute_frac: 1.0,
    kquant_compute_frac: 1.0,
    float_compute_frac: 1.0,
    expert_compute_frac: 1.0,
    prefill_expert_s: 0.0,
    prefill_expert_read: 0.0,
    prefill_attn: 1.0,
    prefill_attn_fa: 1.0,
    superseded_compute: 0.0,
    decode_rel_err: 0.0,
    prefill_rel_err: 0.0,
};

/// The regressors of one row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Features {
    /// pp or tg.
    pub test: Test,
    /// Measured time: seconds per token (tg) or for the whole prompt (pp).
    pub y: f64,
    /// Tokens the time covers (1 for tg, n_prompt for pp).
    pub tokens: f64,
    /// Fast-tier bytes / peak bandwidth, s.
    pub x_mem: f64,
    /// Attention FLOPs / FP16 peak, s.
    pub x_attn: f64,
    /// Dense matmul FLOPs / FP16 peak, s.
    pub x_comp: f64,
    /// Routed-expert matmul FLOPs / FP16 peak, s.
    pub x_comp_expert: f64,
    /// Routed-expert matmuls: per token (tg), distinct ones summed over micro-batches (pp).
    pub x_expert: f64,
    /// Distinct routed experts' weights read once more by fused per-expert kernels, at peak
    /// bandwidth, s: per step of a decode batch (tg), summed over micro-batches (pp); 0
    /// outside that regime.
    pub x_expert_read: f64,
    /// Micro-batches (pp).
    pub batches: f64,
    /// Layers run per token (tg) or summed over micro-batches (pp).
    pub x_layers: f64,
    /// Kernel family of the prefill matmuls.
    pub class: KernelClass,
    /// Flash attention on in the measured run.
    pub flash_attn: bool,
    /// Known host and link time, s.
    pub known: f64,
    /// Measured with a superseded build (the backend's `superseded_builds` rule).
    pub superseded: bool,
}

impl Features {
    /// The row's matmul time with `e`'s compute fractions (dense and routed experts), s.
    pub fn matmul_s(&self, e: &Efficiency) -> f64 {
        self.x_comp / class_frac(e, self.class) + self.x_comp_expert / e.expert_compute_frac
    }

    /// The extra matmul time of a superseded build per unit of `superseded_compute`: a prompt
    /// row's matmul time with `e`'s compute fractions, or 0 for a current build (and for a
    /// decode row: decode showed no such step).
    pub fn x_superseded(&self, e: &Efficiency) -> f64 {
        if self.superseded && self.test == Test::Pp {
            self.matmul_s(e)
        } else {
            0.0
        }
    }

    /// Predicted time with efficiency `e` (the linear form the fit solves).
    pub fn predict(&self, e: &Efficiency) -> f64 {
        let (kd, kp) = if self.flash_attn {
            (e.decode_attn_fa, e.prefill_attn_fa)
        } else {
            (e.decode_attn, e.prefill_attn)
        };
        match self.test {
            Test::Tg => {
                self.x_mem / e.bandwidth_frac
                    + e.prefill_expert_read * self.x_expert_read
                    + self.matmul_s(e)
                    + e.fixed_s
                    + e.layer_fixed_s(self.flash_attn) * self.x_layers
                    + e.expert_s * self.x_expert
                    + kd * self.x_attn
                    + self.known
            }
            Test::Pp => {
                let superseded = if self.superseded {
                    e.superseded_compute
                } else {
                    0.0
                };
                self.matmul_s(e) * (1.0 + superseded)
                    + kp * self.x_attn
                    + self.x_mem / e.bandwidth_frac
                    + e.fixed_s * self.batches
                    + e.layer_fixed_s(self.flash_attn) * self.x_layers
                    + e.prefill_expert_s * self.x_expert
                    + e.prefill_expert_read * self.x_expert_read
                    + self.known
            }
        }
    }
    /// Predicted tok/s.
    pub fn predict_tok_s(&self, e: &Efficiency) -> f64 {
        self.tokens / self.predict(e)
    }
    /// Measured tok/s.
    pub fn measured_tok_s(&self) -> f64 {
        self.tokens / self.y
    }
}

/// The prefill fraction of peak for a kernel family.
pub fn class_frac(e: &Efficiency, c: KernelClass) -> f64 {
    match c {
        KernelClass::Block => e.compute_frac,
        KernelClass::KQuant => e.kquant_compute_frac,
        KernelClass::Float => e.float_compute_frac,
    }
}

/// The scenario a row measured (its own context, prompt, depth, layers, ubatch, KV type,
/// file size), with efficiency `eff`.
pub fn scenario<'a>(db: &'a Db, m: &Mapped<'a>, eff: Efficiency) -> crate::Result<Scenario<'a>> {
    let r = &m.row;
    let gpu_layers = m.partial_gpu_layers();
    let o = Options {
        kv_type: m.kv_type.clone(),
        backend: Some(m.backend.id.clone()),
        ctx: Some(r.n_depth + r.n_prompt + r.n_gen),
        depth: r.n_depth,
        prompt: Some(r.n_prompt),
        gen: r.n_gen,
        offload: Offload::Layers,
        // Unknown means llama-bench's long-standing default, -fa 0; auto (-1) is on where the
        // backend runs flash attention, as llama.cpp's CPU backend does.
        flash_attn: r
            .flash_attn
            .unwrap_or(r.flash_attn_auto && m.backend.id == super::map::CPU_BACKEND),
        batch: r.batch.unwrap_or(1).max(1),
        host_gib: None,
        host_gb_s: None,
        gpu_layers,
        ubatch: r.n_ubatch.filter(|u| *u > 0),
        weights_bytes: r.model_size_bytes.filter(|b| *b > 0.0).map(Bytes),
        power_limit_w: None,
        threads: r.n_threads,
    };
    let mut s = build(db, m.device, m.model, m.quant, &o)?.scenario;
    s.eff = eff;
    // Rules bounded by a build hold for the rows whose build is known and no newer.
    let covers = |max_build: u32| r.build.is_some_and(|b| b <= max_build);
    // The row's build ran the batched expert kernel over every expert.
    s.expert_gemm_all_min_tokens = m
        .backend
        .expert_gemm_all
        .as_ref()
        .filter(|g| covers(g.max_build))
        .map(|g| g.min_tokens);
    // The row's build is one the backend's newer builds outran.
    s.superseded = m
        .backend
        .superseded_builds
        .as_ref()
        .is_some_and(|g| covers(g.max_build));
    Ok(s)
}

/// Computes the regressors of a mapped row.
pub fn features(db: &Db, m: &Mapped) -> crate::Result<Features> {
    let s = scenario(db, m, UNIT)?;
    let f = footprint(&s, s.ctx as f64);
    let pl = place(&s, &f);
    let r = &m.row;
    Ok(match r.test {
        Test::Tg => {
            let depth = (r.n_depth + r.n_prompt) as f64 + r.n_gen as f64 / 2.0;
            let streams = f64::from(s.batch.max(1));
            let st = decode_step(&s, &f, &pl, depth);
            Features {
                test: Test::Tg,
                y: 1.0 / r.tok_s,
                tokens: 1.0,
                x_mem: st.t_fast_memory.0,
                x_attn: st.t_latency.0,
                x_comp: (st.t_fast_compute - st.t_expert_compute).0,
                x_comp_expert: st.t_expert_compute.0,
                x_expert: s.expert_calls(),
                x_expert_read: s.expert_mmq_read_s(&pl, streams),
                batches: 0.0,
                x_layers: s.overhead_layers(),
                class: s.compute_class(streams),
                flash_attn: s.flash_attn,
                known: st.t_host.0 + st.t_link.0,
                superseded: s.superseded,
            }
        }
        Test::Pp => {
            let n = r.n_prompt.max(1) as f64;
            let pt = prefill_time(&s, &f, &pl, n, r.n_depth as f64);
            let batches = s.micro_batches(n);
            Features {
                test: Test::Pp,
                y: n / r.tok_s,
                tokens: n,
                x_mem: pt.t_memory.0,
                x_attn: pt.t_attn.0,
                x_comp: (pt.t_compute - pt.t_expert_compute).0,
                x_comp_expert: pt.t_expert_compute.0,
                x_expert: s.expert_calls_by(n / batches) * batches,
                x_expert_read: s.expert_mmq_read_s(&pl, n / batches) * batches,
                batches,
                x_layers: s.overhead_layers() * batches,
                class: s.compute_class(n / batches),
                flash_attn: s.flash_attn,
                known: pt.t_link.0,
                superseded: s.superseded,
            }
        }
    })
}
