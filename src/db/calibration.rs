//! Backend definitions and efficiency parameters: the documented priors in
//! `calibration/defaults.yaml` and the fitted values in `calibration/fitted.yaml`.
//!
//! The physics never holds an efficiency literal: every achieved fraction comes from here.

use serde::{Deserialize, Serialize};

/// One inference engine / backend.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BackendRaw {
    /// Id (`llama.cpp-cuda`, `mlx`, …).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Strings trace files use for it (llama-bench `backends` column, free labels).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Vendors it is the default backend for.
    #[serde(default)]
    pub default_for: Vec<String>,
    /// The backend it is a configuration of (same kernels but for what its source says):
    /// its fit starts from that backend's, and borrows it whole when it has no traces.
    #[serde(default)]
    pub variant_of: Option<String>,
    /// Fixed runtime memory (compute buffers, context), GiB.
    pub overhead_gib: f64,
    /// Compute buffer per micro-batch token, bytes per (vocab + hidden) element.
    pub buffer_bytes_per_elem: f64,
    /// Default micro-batch (llama.cpp -ub), tokens.
    pub ubatch: u32,
    /// Kernel selection that sends large quantized matmuls to dequantize + BLAS GEMM. A
    /// variant without one runs its parent's kernels and takes the parent's rule on load.
    #[serde(default)]
    pub dequant_gemm: Option<DequantGemm>,
    /// Kernel selection of older builds that ran every routed expert's matmul for a
    /// micro-batch of a few tokens. A variant without one takes the parent's rule on load.
    #[serde(default)]
    pub expert_gemm_all: Option<ExpertGemmAll>,
    /// The token tiles of the backend's batched matmul kernels. A variant without one takes
    /// the parent's rule on load.
    #[serde(default)]
    pub gemm_token_tiles: Option<GemmTokenTiles>,
    /// Builds whose matmuls ran slower than current ones on the same device. A variant
    /// without one takes the parent's rule on load.
    #[serde(default)]
    pub superseded_builds: Option<SupersededBuilds>,
    /// Where the numbers come from.
    pub source: String,
}

/// A backend's rule for quantized matmuls of many tokens on some GPU families: the weights
/// are dequantized to an FP16 copy (written, then read by the GEMM: 4 bytes per parameter on
/// top of the quantized read) and multiplied by the vendor BLAS, not by the fused
/// quantized-matmul kernel.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DequantGemm {
    /// Fewest tokens (columns) of a matmul that take the BLAS path.
    pub min_tokens: u32,
    /// Device families (hardware-db `family`) the rule applies to.
    pub families: Vec<String>,
    /// Where the rule comes from.
    pub source: String,
}

/// A backend's rule for MoE layers in builds up to `max_build`: a matmul over the routed
/// experts of `min_tokens` tokens or more ran on the batched expert kernel, which read the
/// weights of every expert of the layer, not only of those the tokens route to (one token
/// ran a matrix-vector kernel over its own experts). Measurements of later builds, and
/// predictions (which are for current builds), read the experts the tokens touch.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExpertGemmAll {
    /// Fewest tokens of a micro-batch that take the batched expert kernel.
    pub min_tokens: u32,
    /// The newest llama.cpp build number (`bNNNN`) the rule is known to hold for.
    pub max_build: u32,
    /// Where the rule comes from.
    pub source: String,
}

/// A backend's builds up to `max_build` whose matmuls ran slower than current builds on the
/// same device: the fit gives rows of those builds a longer matmul time of their own
/// ([`Efficiency::superseded_compute`]); predictions, for current builds, leave it out.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SupersededBuilds {
    /// The newest llama.cpp build number (`bNNNN`) of the slower regime.
    pub max_build: u32,
    /// Where the rule comes from.
    pub source: String,
}

/// A backend's batched matmul kernels (on some GPU families) compute the token dimension in
/// tiles chosen by the call's size: a call of `n` tokens past the matrix-vector kernel costs
/// the compute of its tiles, `⌈n / tile⌉ · tile` tokens (a 16-token prompt through 32-token
/// tiles costs as much as 32 tokens).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GemmTokenTiles {
    /// Fewest tokens of a call that take the tiled kernel (fewer: the matrix-vector kernel).
    pub min_tokens: u32,
    /// The tile of calls up to `max_tokens` tokens, in increasing order; the last entry, with
    /// no `max_tokens`, for every larger call.
    pub tiles: Vec<TokenTile>,
    /// Device families (hardware-db `family`) the rule applies to.
    pub families: Vec<String>,
    /// Where the rule comes from.
    pub source: String,
}

/// One size range of [`GemmTokenTiles`].
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenTile {
    /// Largest call, tokens, this tile serves (none: every larger call).
    #[serde(default)]
    pub max_tokens: Option<u32>,
    /// Tokens per tile.
    pub tile: u32,
}

impl GemmTokenTiles {
    /// The tokens a call of `n` tokens is computed as: `n` below the tiled kernel, else its
    /// tiles' tokens.
    pub fn padded(&self, n: f64) -> f64 {
        if n < f64::from(self.min_tokens) {
            return n;
        }
        let tile = self
            .tiles
            .iter()
            .find(|t| t.max_tokens.is_none_or(|m| n <= f64::from(m)))
            .map_or(1.0, |t| f64::from(t.tile.max(1)));
        (n / tile).ceil() * tile
    }
}

/// Achieved-efficiency parameters of the roofline for one (device or family, backend).
#[derive(Debug, Clone, Copy, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Efficiency {
    /// Achieved fraction of peak memory bandwidth in decode (η_bw).
    pub bandwidth_frac: f64,
    /// Fixed time per decoded token (sampling, graph setup, synchronisation), seconds.
    pub fixed_s: f64,
    /// Fixed time per layer per decoded token, seconds: the launches and small kernels
    /// (norms, RoPE, residual adds) of one block, which a deeper model runs more of; per
    /// Llama-layer equivalent (a layer's compute nodes over a Llama layer's 19,
    /// [`crate::model::graph_nodes`]). 0 in the documented priors.
    #[serde(default)]
    pub layer_s: f64,
    /// Change of that per-layer time with flash attention on, seconds (signed): one fused
    /// kernel replaces each block's separate KQ, softmax and KQV kernels. 0 in the documented
    /// priors.
    #[serde(default)]
    pub layer_fa_s: f64,
    /// Decode attention cost without flash attention, as a multiple of reading the KV cache
    /// at peak bandwidth (κ_d, ≥ 0): separate KQ and KQV matmuls walk the cache again.
    pub decode_attn: f64,
    /// Decode attention cost with flash attention, as a multiple of its FLOPs at the FP16
    /// peak (κ_d,fa, ≥ 0).
    pub decode_attn_fa: f64,
    /// Decode time per routed-expert activation (one expert of one MoE layer for one token),
    /// seconds: the gather, routing and small-matrix cost that MoE bytes alone miss.
    pub expert_s: f64,
    /// Achieved fraction of the FP16 peak on prefill matmuls of block quants (Q4_0, Q8_0,
    /// MXFP4 …: llama.cpp's fastest quantized kernels) (η_c).
    pub compute_frac: f64,
    /// The same for k-quants and i-quants (Q4_K, Q6_K, IQ4_XS …), whose dequantization costs more.
    pub kquant_compute_frac: f64,
    /// The same for float weights (F16, BF16, F32; FP8/MLX/AWQ on their engines).
    pub float_compute_frac: f64,
    /// The same for routed-expert matmuls (llama.cpp's `mul_mat_id`), whatever their type: a
    /// 512-token micro-batch gives each of 128 experts only 16–32 tokens.
    pub expert_compute_frac: f64,
    /// Prefill time per distinct routed expert of a micro-batch (one expert of one MoE layer,
    /// whatever its tokens), seconds: the batched expert kernels (the gather, the per-expert
    /// launch or tile, llama.cpp HIP's per-expert loop) are not the matrix-vector ones decode
    /// measures (`expert_s`), so prefill fits its own. 0 in the documented priors; a fitted
    /// level without MoE prompt rows inherits its parent's.
    #[serde(default)]
    pub prefill_expert_s: f64,
    /// Extra prefill time of the distinct routed experts a micro-batch reads where the
    /// backend runs them through its fused quantized kernels per expert (micro-batches of 2
    /// tokens to below its `dequant_gemm` threshold, on the families the rule names), as a
    /// multiple of reading their weights at peak bandwidth (≥ 0). 0 in the documented priors.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub prefill_expert_read: f64,
    /// Prefill attention cost relative to the FP16 peak (κ_p, ≥ 0).
    pub prefill_attn: f64,
    /// The same with flash attention on (κ_p,fa).
    pub prefill_attn_fa: f64,
    /// Extra prompt-matmul time of a run with a superseded build (the backend's
    /// `superseded_builds` rule), as a share of what current builds take (≥ 0: its matmuls
    /// took `1 + this` times as long). Fitted by a level whose prompt rows are one device's
    /// and hold both superseded and current builds; 0 where a level fits prompt rows without
    /// that (a level with none keeps its parent's); predictions, for current builds, never use
    /// it.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub superseded_compute: f64,
    /// Relative half-width of the decode interval (e.g. 0.1 = ±10%).
    pub decode_rel_err: f64,
    /// Relative half-width of the prefill interval.
    pub prefill_rel_err: f64,
}

/// Whether a parameter is 0 (and so left out of the YAML).
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

impl Efficiency {
    /// Fixed time per layer of a step with flash attention on or off, seconds (never below 0).
    pub fn layer_fixed_s(&self, flash_attn: bool) -> f64 {
        if flash_attn {
            (self.layer_s + self.layer_fa_s).max(0.0)
        } else {
            self.layer_s
        }
    }
}

/// A prior or fitted efficiency with what it applies to.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EfficiencyEntry {
    /// Backend id.
    pub backend: String,
    /// Device id (fitted on this device).
    #[serde(default)]
    pub device: Option<String>,
    /// Device family (borrowed by devices of the family).
    #[serde(default)]
    pub family: Option<String>,
    /// Device kind: of a kind-level entry (borrowed by devices of that kind whose family has no
    /// fit), or of the devices a family-level entry was fitted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<crate::db::hardware::DeviceKind>,
    /// Device vendor of a kind-level entry fitted on that vendor's devices of the kind
    /// (borrowed before the kind's own entry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vendor: Option<String>,
    /// The parameters.
    #[serde(flatten)]
    pub eff: Efficiency,
    /// Trace rows used (fitted entries).
    #[serde(default)]
    pub rows: Option<usize>,
    /// Fit quality (fitted entries).
    #[serde(default)]
    pub quality: Option<FitQuality>,
    /// Where it comes from.
    #[serde(default)]
    pub source: Option<String>,
}

/// Fit quality of one entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FitQuality {
    /// R² of decode time on the rows.
    pub tg_r2: Option<f64>,
    /// MAPE of decode tok/s, percent.
    pub tg_mape_pct: Option<f64>,
    /// R² of prefill time.
    pub pp_r2: Option<f64>,
    /// MAPE of prefill tok/s, percent.
    pub pp_mape_pct: Option<f64>,
    /// Why the decode solver stopped (absent: no decode rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tg_solver: Option<SolverStop>,
    /// Why the prefill solver stopped (absent: no prefill rows).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pp_solver: Option<SolverStop>,
}

/// Why the calibration's bounded least-squares solver stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SolverStop {
    /// The last solve left every free parameter inside its bounds.
    Converged,
    /// Every parameter ended pinned at a bound: nothing left to solve.
    AllPinned,
    /// The SVD of the system did not solve; the parameters are the previous pass's.
    SvdFailed,
    /// One pass per parameter was spent and a bound was still violated in the last one.
    PassLimit,
}

/// Host-side (CPU) efficiency used when layers or experts run on the host.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HostEfficiency {
    /// Achieved fraction of host RAM bandwidth by CPU decode.
    pub bandwidth_frac: f64,
    /// Achieved fraction of the link bandwidth when weights stream over it.
    pub link_frac: f64,
    /// NVMe read bandwidth for weights mmapped from disk, GB/s.
    pub disk_gb_s: f64,
    /// Where the numbers come from.
    pub source: String,
}

/// Raw mirror of `calibration/defaults.yaml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsRaw {
    /// Backends.
    pub backends: Vec<BackendRaw>,
    /// Priors by backend (and optionally family).
    pub priors: Vec<EfficiencyEntry>,
    /// Host-side efficiency.
    pub host: HostEfficiency,
    /// Rows validated but left out of the fit, with the cause.
    #[serde(default)]
    pub left_out: Vec<super::left_out::LeftOutRaw>,
}

/// Raw mirror of `calibration/fitted.yaml`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FittedRaw {
    /// Format version.
    pub schema_version: u32,
    /// Trace files used.
    #[serde(default)]
    pub files: Vec<String>,
    /// Rows the fit used: mapped single-stream rows.
    #[serde(default)]
    pub rows_used: usize,
    /// Rows that could not be used: not mapped to the databases, or skipped by the reader
    /// (each listed with its reason under `--verbose`).
    #[serde(default)]
    pub rows_unmapped: usize,
    /// Rows mapped but not fitted, kept for `validate`: batched decode (B > 1) and rows run
    /// across several devices.
    #[serde(default)]
    pub rows_validation_only: usize,
    /// Fitted entries: per device and per family.
    #[serde(default)]
    pub entries: Vec<EfficiencyEntry>,
    /// What the fit's rows cover, per backend: a prediction outside it extrapolates.
    #[serde(default)]
    pub coverage: Vec<CoverageRaw>,
    /// The 90% bands of held-out residuals that widen every prediction's interval.
    #[serde(default)]
    pub heldout_bands: Vec<HeldoutBandRaw>,
}

/// The `efficiency` of a held-out band that pools every borrowed source (family, kind,
/// backend, prior) at one depth range.
pub const BORROWED: &str = "borrowed";

/// The 5th–95th percentile of `ln(measured / predicted)` over rows predicted by a fit that never
/// saw their device (efficiencies borrowed from a family, kind, backend or prior) or their model
/// (a device's own fit), in one stratum.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeldoutBandRaw {
    /// `tg` (decode) or `pp` (prefill).
    pub test: String,
    /// Where the efficiency came from: fitted, family, kind, backend, prior; or
    /// [`BORROWED`], every borrowed source together.
    pub efficiency: String,
    /// The backend (a variant counts as the backend it is a variant of) whose rows set the
    /// band; none: every backend's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// First depth of the range, tokens (0 with no `depth_to`: every depth).
    pub depth_from: u64,
    /// Last depth of the range, tokens (none: no upper end).
    pub depth_to: Option<u64>,
    /// 5th percentile of the log residual.
    pub q05_log: f64,
    /// 95th percentile of the log residual.
    pub q95_log: f64,
    /// Rows behind it.
    pub rows: usize,
}

/// What the calibration rows of one backend cover.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageRaw {
    /// Backend id.
    pub backend: String,
    /// The longest context a single-stream row reached (depth + prompt + generated), tokens.
    pub max_ctx_tokens: u64,
    /// The attention shapes of the models it ran (`model::attention_shape`), sorted.
    pub shapes: Vec<String>,
}
