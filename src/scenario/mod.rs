//! Scenario building (between the databases and the physics): builds a resolved [`Scenario`] from database entries and options: looks up the device,
//! model, quant, KV type and backend, the efficiency (fitted, borrowed or prior) and the runtime
//! overhead, and collects the warnings a user should see.

use crate::db::calibration::BackendRaw;
use crate::db::hardware::Device;
use crate::db::model::ModelRaw;
use crate::db::pricing::LocalCostRaw;
use crate::db::quant::{KvTypeRaw, QuantRaw};
use crate::db::{Db, Provenance};
use crate::error::{Error, Result};
use crate::model::{Offload, Scenario};
use crate::units::Bytes;

pub mod compat;
pub mod cpu;
pub mod extrapolation;
pub mod power;

/// Options shared by every scenario of a command.
#[derive(Debug, Clone)]
pub struct Options {
    /// KV cache type id.
    pub kv_type: String,
    /// Backend name (None: the device's default).
    pub backend: Option<String>,
    /// Allocated context (None: depth + prompt + gen).
    pub ctx: Option<u64>,
    /// Tokens already in the cache.
    pub depth: u64,
    /// Prompt tokens (None: ctx − gen when ctx is given, else 512).
    pub prompt: Option<u64>,
    /// Generated tokens.
    pub gen: u64,
    /// Offload policy.
    pub offload: Offload,
    /// Flash attention on.
    pub flash_attn: bool,
    /// Concurrent streams decoded together.
    pub batch: u32,
    /// Host RAM capacity override, GiB (the machine's, not the database's typical host).
    pub host_gib: Option<f64>,
    /// Host RAM bandwidth override, GB/s (channels × MT/s × 8 B).
    pub host_gb_s: Option<f64>,
    /// Forced GPU layers.
    pub gpu_layers: Option<u32>,
    /// Micro-batch (None: the backend's).
    pub ubatch: Option<u32>,
    /// Measured weight bytes (model file size) replacing the quant estimate.
    pub weights_bytes: Option<Bytes>,
    /// Board power limit, W (None: the default limit of a device with power data).
    pub power_limit_w: Option<f64>,
    /// CPU threads (llama.cpp `-t`; None: the physical cores). Used where the device is a
    /// CPU with known cores and kernels.
    pub threads: Option<u32>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            kv_type: "f16".into(),
            backend: None,
            ctx: None,
            depth: 0,
            prompt: None,
            gen: 128,
            offload: Offload::Layers,
            flash_attn: true,
            batch: 1,
            host_gib: None,
            host_gb_s: None,
            gpu_layers: None,
            ubatch: None,
            weights_bytes: None,
            power_limit_w: None,
            threads: None,
        }
    }
}

/// A scenario with what was resolved on the way.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    /// The scenario.
    pub scenario: Scenario<'a>,
    /// The backend.
    pub backend: &'a BackendRaw,
    /// The KV cache type.
    pub kv: &'a KvTypeRaw,
    /// Where the efficiency came from.
    pub provenance: Provenance,
    /// Electricity price and amortization years for the cost columns.
    pub local_cost: &'a LocalCostRaw,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// Why the prediction extrapolates past the calibration (empty when it does not).
    pub extrapolation: extrapolation::Reasons,
    /// The reasons and decode bands at any context (a sweep's next row sets only its context).
    pub rules: extrapolation::ContextRules,
    /// The held-out bands (log residual 5th, 95th percentile) that widen the decode and the
    /// prefill interval.
    pub heldout: [Option<(f64, f64)>; 2],
}

/// Runtime overhead: the backend's fixed buffers plus a compute buffer of
/// `ubatch × (vocab + 4 · hidden) × bytes_per_elem` (logits and activations).
pub fn overhead(b: &BackendRaw, m: &ModelRaw, ubatch: u32) -> Bytes {
    let per_tok = (m.vocab_size as f64 + 4.0 * m.hidden_size as f64) * b.buffer_bytes_per_elem;
    Bytes::from_gib(b.overhead_gib) + Bytes(f64::from(ubatch) * per_tok)
}

/// What a scenario needs from its device, resolved once per device: the backend, the
/// efficiency and where it came from, the host tier (with overrides) and the dequantize
/// rule. A sweep builds it once per device, not once per row.
#[derive(Debug, Clone)]
pub struct DeviceSetup<'a> {
    /// The device.
    pub device: &'a Device,
    /// The backend.
    pub backend: &'a BackendRaw,
    /// The efficiency (fitted, borrowed or prior).
    pub eff: crate::db::calibration::Efficiency,
    /// Where the efficiency came from.
    pub provenance: Provenance,
    /// The host tier, with --host-gib / --host-gb-s applied.
    pub host: Option<crate::db::hardware::Tier>,
    /// Micro-batch, tokens.
    pub ubatch: u32,
    /// Fewest tokens a quantized matmul runs as dequantize + GEMM on this device, if ever.
    pub dequant_min_tokens: Option<u32>,
    /// The token tiles of the backend's batched matmuls on this device's family.
    pub token_tiles: Option<&'a crate::db::calibration::GemmTokenTiles>,
    /// The fused quantized matmuls' ceiling on this device, where the backend's are bound by
    /// SMs and clock (llama.cpp CUDA's MMQ).
    pub quant_peak: Option<crate::units::FlopPerSecond>,
    /// The board's power model at the limit asked for (devices with power data).
    pub power: Option<crate::model::power::PowerModel>,
    /// Warnings about the device (prior efficiency, ignored host overrides).
    pub warnings: Vec<String>,
}

/// The backend whose fused quantized matmuls (MMQ) are bound by a GPU's SMs and clock: the
/// per-SM rate llama.cpp's CUDA traces show is the same from Ampere to Blackwell, data-centre
/// parts included (docs/how-it-works.md).
const MMQ_BACKEND: &str = "llama.cpp-cuda";

/// Resolves the device's part of every scenario on it.
pub fn setup_device<'a>(db: &'a Db, device: &'a Device, o: &Options) -> Result<DeviceSetup<'a>> {
    let backend = match &o.backend {
        Some(b) => db.backend(b)?,
        None => db.default_backend(device)?,
    };
    let (eff, provenance) = db.efficiency(device, &backend.id);
    let ubatch = o.ubatch.unwrap_or(backend.ubatch);
    if ubatch == 0 {
        return Err(Error::Input("--ubatch must be at least 1".into()));
    }
    let mut warnings = Vec::new();
    if provenance == Provenance::Prior {
        warnings.push(format!(
            "no calibration for '{}' on {}: using the uncalibrated prior",
            device.id(),
            backend.id
        ));
    }
    let host = host_tier(device, o, &mut warnings)?;
    let power = power::power_model(db, device, o.power_limit_w)?;
    Ok(DeviceSetup {
        power,
        device,
        backend,
        eff,
        provenance,
        host,
        ubatch,
        dequant_min_tokens: backend
            .dequant_gemm
            .as_ref()
            .filter(|g| g.families.contains(&device.raw.family))
            .map(|g| g.min_tokens),
        token_tiles: (backend.gemm_token_tiles.as_ref())
            .filter(|t| t.families.contains(&device.raw.family)),
        quant_peak: device
            .quant_peak
            .filter(|_| db.backend_root(&backend.id) == MMQ_BACKEND),
        warnings,
    })
}

/// The device's host tier with --host-gib / --host-gb-s applied.
fn host_tier(
    device: &Device,
    o: &Options,
    warnings: &mut Vec<String>,
) -> Result<Option<crate::db::hardware::Tier>> {
    let mut host = device.host;
    if o.host_gib.is_none() && o.host_gb_s.is_none() {
        return Ok(host);
    }
    let Some(h) = host.as_mut() else {
        warnings.push(format!(
            "'{}' has no separate host tier: --host-gib / --host-gb-s ignored",
            device.id()
        ));
        return Ok(host);
    };
    if let Some(g) = o.host_gib {
        if !(0.0..1e6).contains(&g) {
            return Err(Error::Input(format!(
                "--host-gib must be a size in GiB, got {g}"
            )));
        }
        h.capacity = crate::units::Bytes::from_gib(g);
        h.usable = h.capacity;
    }
    if let Some(b) = o.host_gb_s {
        if !(b > 0.0 && b < 1e5) {
            return Err(Error::Input(format!(
                "--host-gb-s must be a positive bandwidth in GB/s, got {b}"
            )));
        }
        h.bandwidth = crate::units::BytesPerSecond::from_gb_per_s(b);
    }
    Ok(host)
}

/// The context warning of a model: past its maximum, the prediction extrapolates.
pub fn context_warning(model: &ModelRaw, ctx: u64) -> Option<String> {
    (ctx > model.max_context).then(|| {
        format!(
            "context {ctx} exceeds the maximum of '{}' ({} tokens): extrapolating",
            model.id, model.max_context
        )
    })
}

/// Builds a scenario from resolved entries.
pub fn build<'a>(
    db: &'a Db,
    device: &'a Device,
    model: &'a ModelRaw,
    quant: &'a QuantRaw,
    o: &Options,
) -> Result<Resolved<'a>> {
    let setup = setup_device(db, device, o)?;
    let kv = db.kv_type(&o.kv_type)?;
    let mut r = build_on(db, &setup, model, quant, kv, o)?;
    // A user sees the context warning first, then the device's.
    r.warnings.extend(setup.warnings);
    Ok(r)
}

/// Builds a scenario on a device already set up, with the KV type resolved. The warnings
/// returned are the model's (context); the device's stay in `setup`.
pub fn build_on<'a>(
    db: &'a Db,
    setup: &DeviceSetup<'a>,
    model: &'a ModelRaw,
    quant: &'a QuantRaw,
    kv: &'a KvTypeRaw,
    o: &Options,
) -> Result<Resolved<'a>> {
    let (ctx, prompt) = context_of(model, o)?;
    let scenario = scenario_on(db, setup, model, quant, kv, o, (ctx, prompt));
    let rules = extrapolation::ContextRules::new(db, &setup.backend.id, model, setup.provenance);
    Ok(Resolved {
        scenario,
        backend: setup.backend,
        kv,
        provenance: setup.provenance,
        local_cost: &db.local_cost,
        warnings: context_warning(model, ctx).into_iter().collect(),
        extrapolation: rules.reasons_at(ctx),
        heldout: [
            rules.decode_bands.at(o.depth + prompt),
            extrapolation::heldout_band(db, &setup.backend.id, "pp", setup.provenance, o.depth),
        ],
        rules,
    })
}

/// The allocated context and the prompt the options give for `model` (tokens), checked:
/// `--gpu-layers` within the model's layers, depth + prompt + gen within the context.
fn context_of(model: &ModelRaw, o: &Options) -> Result<(u64, u64)> {
    let n_layers = model.n_layers();
    if let Some(g) = o.gpu_layers {
        if g > n_layers {
            return Err(Error::Input(format!(
                "--gpu-layers {g} exceeds the {n_layers} layers of '{}'",
                model.id
            )));
        }
    }
    let prompt = match (o.prompt, o.ctx) {
        (Some(p), _) => p,
        (None, Some(c)) => c.saturating_sub(o.gen + o.depth),
        (None, None) => 512,
    };
    let ctx = o.ctx.unwrap_or(o.depth + prompt + o.gen);
    if o.depth + prompt + o.gen > ctx {
        return Err(Error::Input(format!(
            "depth + prompt + gen = {} tokens exceeds the context of {ctx}; raise --ctx",
            o.depth + prompt + o.gen
        )));
    }
    Ok((ctx, prompt))
}

/// The scenario of `model` under `quant` on a device set up, at `(ctx, prompt)` tokens.
fn scenario_on<'a>(
    db: &'a Db,
    setup: &DeviceSetup<'a>,
    model: &'a ModelRaw,
    quant: &'a QuantRaw,
    kv: &'a KvTypeRaw,
    o: &Options,
    (ctx, prompt): (u64, u64),
) -> Scenario<'a> {
    let native_expert_bpw = model
        .native_quant
        .as_ref()
        .and_then(|n| n.experts.as_deref())
        .and_then(|t| db.tensor_type(t))
        .map(|t| t.bpw);
    let (params, weights) =
        crate::model::footprint::model_weights(model, quant, native_expert_bpw, o.weights_bytes);
    Scenario {
        params,
        weights,
        power: setup.power,
        host: setup.host,
        device: setup.device,
        model,
        quant,
        native_expert_bpw,
        weights_bytes: o.weights_bytes,
        kv_type_id: &kv.id,
        kv_elem_bytes: kv.bytes_per_element,
        eff: setup.eff,
        host_eff: &db.host,
        overhead: overhead(setup.backend, model, setup.ubatch),
        ubatch: setup.ubatch,
        ctx,
        depth: o.depth,
        prompt,
        gen: o.gen,
        offload: o.offload,
        flash_attn: o.flash_attn,
        batch: o.batch.max(1),
        gpu_layers: o.gpu_layers,
        dequant_min_tokens: setup.dequant_min_tokens,
        expert_gemm_all_min_tokens: None,
        superseded: false,
        token_tiles: setup.token_tiles,
        quant_peak: setup.quant_peak,
        cpu: cpu::cpu_run(db, setup.device, &setup.backend.id, quant, o.threads),
        kernel_class: crate::model::kernel_class_of(model, quant, native_expert_bpw),
        coefs: crate::model::coefs::ModelCoefs::of(model),
    }
}

impl Resolved<'_> {
    /// Moves the scenario to another context with a prompt that long (a sweep's next row),
    /// and updates what depends on it: the extrapolation reasons (the depth check) and the
    /// decode band (the prefill band depends on the depth alone).
    pub fn set_context(&mut self, ctx: u64, prompt: u64) {
        let s = &mut self.scenario;
        s.ctx = ctx;
        s.prompt = prompt;
        self.extrapolation = self.rules.reasons_at(ctx);
        self.heldout[0] = self.rules.decode_bands.at(s.depth + prompt);
    }
}

/// Resolves names, then builds.
pub fn resolve<'a>(
    db: &'a Db,
    device: &str,
    model: &str,
    quant: &str,
    o: &Options,
) -> Result<Resolved<'a>> {
    build(
        db,
        db.device(device)?,
        db.model(model)?,
        db.quant(quant)?,
        o,
    )
}
