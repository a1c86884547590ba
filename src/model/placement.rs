//! Placement: which bytes live in which memory tier, the fit verdict, and the largest
//! context that stays in fast memory.
//!
//! Fast tier needs `overhead + output + (1 − h)·(layers + KV + state)` under the `layers`
//! policy (llama.cpp `-ngl`: the token embedding stays in host memory on discrete GPUs,
//! as llama.cpp keeps the input layer on the CPU), `h` being the share of layers on the
//! host; under `experts` only routed experts move; under `stream` weights that do not fit
//! are read over the link each token.

use super::{Offload, Scenario, Verdict};
use crate::db::hardware::DeviceKind;
use crate::db::model::FfnKind;
use crate::units::Bytes;
use serde::Serialize;

/// Memory footprint of one scenario at its allocated context. The weights by group and the
/// parameter counts belong to the scenario ([`Scenario::weights`], [`Scenario::params`]: a
/// device's share of a split is a scenario with its share of them); the footprint holds what
/// the context sets, and the weights' total.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Footprint {
    /// Weights in memory once loaded ([`super::footprint::WeightBytes::loaded`]: a tied table twice).
    #[serde(skip)]
    pub weights: Bytes,
    /// KV cache at the allocated context.
    pub kv: Bytes,
    /// Recurrent state.
    pub state: Bytes,
    /// Runtime overhead.
    pub overhead: Bytes,
    /// Share of the model's layers this footprint holds (1; a device's share of a split),
    /// which scales the KV cache and attention work a step at depth does.
    #[serde(skip)]
    pub layer_share: f64,
}

impl Footprint {
    /// Weights plus KV plus state plus overhead.
    pub fn total(&self) -> Bytes {
        self.weights + self.kv + self.state + self.overhead
    }
}

/// Where the bytes went.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Placement {
    /// Policy used.
    pub offload: Offload,
    /// Layers on the fast tier (of `n_layers`).
    pub gpu_layers: u32,
    /// Layers in the model.
    pub n_layers: u32,
    /// Share of layer weights and KV on the host (layers policy).
    pub host_layer_frac: f64,
    /// Share of routed experts on the host (experts policy).
    pub host_expert_frac: f64,
    /// Share of layer weights streamed over the link (stream policy).
    pub stream_frac: f64,
    /// Bytes the fast tier must hold for nothing to go to the host: the footprint less the
    /// token embedding a discrete GPU leaves in host memory (llama.cpp's input layer).
    pub fast_need: Bytes,
    /// Bytes in the fast tier.
    pub fast_bytes: Bytes,
    /// Bytes in the host tier.
    pub host_bytes: Bytes,
    /// Usable fast-tier bytes.
    pub usable_fast: Bytes,
    /// Usable host-tier bytes.
    pub usable_host: Bytes,
    /// Bytes the host cannot hold, memory-mapped from disk (offload `disk`).
    pub disk_bytes: Bytes,
    /// The verdict.
    pub verdict: Verdict,
}

impl Placement {
    /// Share of the routed experts the GPU runs from its own memory: neither in host layers
    /// (`-ngl`) nor kept on the host (`--n-cpu-moe`). Streamed weights count: they run from
    /// fast memory once copied.
    pub fn gpu_expert_share(&self) -> f64 {
        (1.0 - self.host_layer_frac - self.host_expert_frac).clamp(0.0, 1.0)
    }
}

/// The footprint of a scenario at `ctx` tokens.
pub fn footprint(s: &Scenario, ctx: f64) -> Footprint {
    Footprint {
        weights: s.weights.loaded(),
        // Every stream holds its own cache and state (paged KV: no padding beyond ctx).
        kv: Bytes(s.coefs.kv_bytes(ctx, s.kv_elem_bytes)) * f64::from(s.batch.max(1)),
        state: Bytes(s.coefs.state_bytes()) * f64::from(s.batch.max(1)),
        overhead: s.overhead,
        layer_share: 1.0,
    }
}

/// Places a footprint on the device's tiers.
pub fn place(s: &Scenario, f: &Footprint) -> Placement {
    let d = s.device;
    let w = &s.weights;
    let usable_fast = d.fast.usable;
    let usable_host = s.host.map_or(Bytes::ZERO, |h| h.usable);
    let n = s.coefs.n_layers;
    // Embedding: host memory on discrete GPUs (llama.cpp input layer), else fast.
    let emb_on_host = d.raw.kind == DeviceKind::DiscreteGpu && s.host.is_some();
    let emb_fast = if emb_on_host {
        Bytes::ZERO
    } else {
        w.embedding
    };
    let emb_host = w.embedding - emb_fast;
    let fixed = f.overhead + w.head + emb_fast;
    let layers = w.dense_layers + w.experts + f.kv + f.state;
    let mut pl = Placement {
        offload: s.offload,
        gpu_layers: n,
        n_layers: n,
        host_layer_frac: 0.0,
        host_expert_frac: 0.0,
        stream_frac: 0.0,
        fast_need: fixed + layers,
        fast_bytes: fixed + layers,
        host_bytes: emb_host,
        usable_fast,
        usable_host,
        disk_bytes: Bytes::ZERO,
        verdict: Verdict::Fits,
    };
    let forced = s.gpu_layers.map(|g| g.min(n));
    if forced.is_none() && pl.fast_bytes.0 <= usable_fast.0 {
        return finish(pl);
    }
    let room = (usable_fast - fixed).max(Bytes::ZERO);
    let policy = match s.offload {
        Offload::Experts
            if w.experts.0 > 0.0 && (fixed + layers - w.experts).0 <= usable_fast.0 =>
        {
            Offload::Experts
        }
        Offload::Experts | Offload::Auto => Offload::Layers,
        p => p,
    };
    let layered = |pl: &mut Placement, g: u32| {
        let h = f64::from(n - g) / f64::from(n);
        pl.gpu_layers = g;
        pl.host_layer_frac = h;
        pl.fast_bytes = fixed + layers * (1.0 - h);
        pl.host_bytes = emb_host + layers * h;
    };
    if let Some(g) = forced {
        // -ngl given: llama.cpp applies it whatever else is asked.
        layered(&mut pl, g);
        return finish(pl);
    }
    match policy {
        Offload::None => {
            pl.verdict = Verdict::DoesNotFit;
            return pl;
        }
        Offload::Layers | Offload::Disk | Offload::Auto => {
            let per_layer = layers.0 / f64::from(n);
            let g = ((room.0 / per_layer) as u32).min(n); // the cast floors (no libm call)
            layered(&mut pl, g);
        }
        Offload::Experts => {
            let dense = layers - w.experts;
            let room_e = (usable_fast - fixed - dense).max(Bytes::ZERO);
            let e = (1.0 - room_e.0 / w.experts.0).clamp(0.0, 1.0);
            let moe_layers = f64::from(s.model.count_ffn(FfnKind::Moe));
            // Whole layers' experts move (--n-cpu-moe N): round up to a layer.
            let e = ((e * moe_layers).ceil() / moe_layers).min(1.0);
            pl.host_expert_frac = e;
            pl.fast_bytes = fixed + dense + w.experts * (1.0 - e);
            pl.host_bytes = emb_host + w.experts * e;
        }
        Offload::Stream => {
            let streamed = w.dense_layers + w.experts;
            let resident = f.kv + f.state;
            let room_w = (usable_fast - fixed - resident).max(Bytes::ZERO);
            let sfrac = (1.0 - room_w.0 / streamed.0).clamp(0.0, 1.0);
            pl.stream_frac = sfrac;
            pl.fast_bytes = fixed + resident + streamed * (1.0 - sfrac);
            pl.host_bytes = emb_host + streamed * sfrac;
        }
    }
    finish(pl)
}

fn finish(mut pl: Placement) -> Placement {
    let eps = 1.0; // a byte of slack against rounding
    if pl.offload == Offload::Disk
        && pl.host_bytes.0 > pl.usable_host.0 + eps
        && pl.fast_bytes.0 <= pl.usable_fast.0 + eps
    {
        // What the host cannot hold stays on disk, mapped, and is read every token.
        pl.disk_bytes = pl.host_bytes - pl.usable_host;
        pl.host_bytes = pl.usable_host;
    }
    pl.verdict =
        if pl.fast_bytes.0 > pl.usable_fast.0 + eps || pl.host_bytes.0 > pl.usable_host.0 + eps {
            Verdict::DoesNotFit
        } else if pl.host_bytes.0 > eps
            && (pl.host_layer_frac > 0.0 || pl.host_expert_frac > 0.0 || pl.stream_frac > 0.0)
        {
            Verdict::Spills
        } else {
            Verdict::Fits
        };
    pl
}

/// The largest context (≤ `limit`) whose footprint stays in fast memory, or `None` when
/// even an empty context does not fit.
pub fn max_fast_context(s: &Scenario, limit: u64) -> Option<u64> {
    let fits = |c: u64| {
        place(
            &Scenario {
                gpu_layers: None,
                offload: super::Offload::None,
                ..*s
            },
            &footprint(s, c as f64),
        )
        .verdict
            == Verdict::Fits
    };
    if !fits(0) {
        return None;
    }
    if fits(limit) {
        return Some(limit);
    }
    let (mut lo, mut hi) = (0u64, limit);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}
