//! Validation of database entries: every number in range, every required block present,
//! every reference resolvable. Errors name the file, the entry and the field.

use super::calibration::{BackendRaw, EfficiencyEntry, GemmTokenTiles};
use super::hardware::{Device, DeviceKind, DeviceRaw, Tier, TierRaw};
use super::quant::{QuantRaw, TensorTypeRaw, GROUPS};
use crate::error::{Error, Result};
use crate::units::{Bytes, BytesPerSecond, FlopPerSecond};
use std::collections::HashMap;

pub use super::check::{check_id, err, positive};
pub use super::validate_model::model;

fn tier(file: &str, id: &str, name: &str, t: &TierRaw) -> Result<Tier> {
    positive(
        file,
        id,
        &format!("memory.{name}.capacity_gib"),
        t.capacity_gib,
    )?;
    positive(
        file,
        id,
        &format!("memory.{name}.bandwidth_gb_s"),
        t.bandwidth_gb_s,
    )?;
    let usable = t.usable_gib.unwrap_or(t.capacity_gib);
    positive(file, id, &format!("memory.{name}.usable_gib"), usable)?;
    if usable > t.capacity_gib + 1e-9 {
        return Err(err(
            file,
            id,
            &format!("memory.{name}.usable_gib"),
            format!("{usable} exceeds capacity_gib {}", t.capacity_gib),
        ));
    }
    if t.source.trim().is_empty() {
        return Err(err(
            file,
            id,
            &format!("memory.{name}.source"),
            "every number needs a source",
        ));
    }
    Ok(Tier {
        capacity: Bytes::from_gib(t.capacity_gib),
        usable: Bytes::from_gib(usable),
        bandwidth: BytesPerSecond::from_gb_per_s(t.bandwidth_gb_s),
    })
}

/// Validates a device and converts it to SI units.
pub fn device(file: &str, d: DeviceRaw) -> Result<Device> {
    let id = d.id.clone();
    check_id(file, &id)?;
    let fast = tier(file, &id, "fast", &d.memory.fast)?;
    let host = d
        .memory
        .host
        .as_ref()
        .map(|h| tier(file, &id, "host", h))
        .transpose()?;
    let link = match &d.memory.link {
        Some(l) => {
            positive(file, &id, "memory.link.bandwidth_gb_s", l.bandwidth_gb_s)?;
            Some(BytesPerSecond::from_gb_per_s(l.bandwidth_gb_s))
        }
        None => None,
    };
    if d.kind != DeviceKind::Cpu && host.is_some() && link.is_none() {
        return Err(err(
            file,
            &id,
            "memory.link",
            "a device with a host tier needs a link",
        ));
    }
    positive(file, &id, "compute.fp16_tflops", d.compute.fp16_tflops)?;
    positive(file, &id, "power_w", d.power_w)?;
    if let Some(s) = &d.compute.sms {
        positive(file, &id, "compute.sms.count", f64::from(s.count))?;
        positive(file, &id, "compute.sms.boost_clock_mhz", s.boost_clock_mhz)?;
    }
    if let Some(c) = &d.cpu {
        super::cpu::validate_cpu(file, &id, c)?;
    }
    if let Some(p) = &d.power_limit {
        super::power::validate_limit(file, &id, p)?;
    }
    if let Some(p) = &d.price {
        positive(file, &id, "price.usd", p.usd)?;
    }
    if d.sources.is_empty() {
        return Err(err(file, &id, "sources", "at least one source is required"));
    }
    if d.family.trim().is_empty() {
        return Err(err(file, &id, "family", "must name a calibration family"));
    }
    // The fastest dense FP16 matrix rate (FP16 accumulate where published): llama.cpp runs its
    // F16 GEMMs with FP16 accumulation and its int8 MMQ kernels at a comparable or higher rate.
    let fp16_peak = FlopPerSecond::from_tflops(
        d.compute
            .fp16_tflops
            .max(d.compute.fp16_acc16_tflops.unwrap_or(0.0)),
    );
    Ok(Device {
        raw: d,
        fast,
        host,
        link,
        fp16_peak,
        sustained_peak: fp16_peak,
        quant_peak: None,
    })
}

/// Validates a quantization scheme.
pub fn quant(file: &str, q: &QuantRaw) -> Result<()> {
    check_id(file, &q.id)?;
    let bits = |field: &str, v: f64| {
        if v.is_finite() && v > 0.0 && v <= 64.0 {
            Ok(())
        } else {
            Err(err(
                file,
                &q.id,
                field,
                format!("bits per weight must be in (0, 64], got {v}"),
            ))
        }
    };
    bits("bpw", q.bpw)?;
    for (g, v) in &q.groups {
        if !GROUPS.contains(&g.as_str()) {
            return Err(err(
                file,
                &q.id,
                &format!("groups.{g}"),
                format!("unknown group; expected one of {}", GROUPS.join(", ")),
            ));
        }
        bits(&format!("groups.{g}"), *v)?;
    }
    Ok(())
}

/// Validates a ggml tensor type (bpw consistent with its block).
pub fn tensor_type(file: &str, t: &TensorTypeRaw) -> Result<()> {
    positive(file, &t.id, "block_size", f64::from(t.block_size))?;
    positive(file, &t.id, "type_size", f64::from(t.type_size))?;
    let bpw = f64::from(t.type_size) * 8.0 / f64::from(t.block_size);
    if (bpw - t.bpw).abs() > 1e-3 {
        return Err(err(
            file,
            &t.id,
            "bpw",
            format!(
                "{} disagrees with type_size × 8 / block_size = {bpw}",
                t.bpw
            ),
        ));
    }
    Ok(())
}

/// Validates efficiency parameters: fractions in (0, 1], times and factors ≥ 0.
pub fn efficiency(file: &str, e: &EfficiencyEntry) -> Result<()> {
    let who = e
        .device
        .as_deref()
        .or(e.family.as_deref())
        .unwrap_or(&e.backend);
    // A vendor narrows a kind-level entry; anywhere else no lookup would ever match it.
    if e.vendor.is_some() && (e.kind.is_none() || e.family.is_some() || e.device.is_some()) {
        return Err(err(
            file,
            who,
            "vendor",
            "belongs on a kind-level entry (with kind, without family or device)",
        ));
    }
    let x = &e.eff;
    for (f, v) in [
        ("bandwidth_frac", x.bandwidth_frac),
        ("compute_frac", x.compute_frac),
        ("kquant_compute_frac", x.kquant_compute_frac),
        ("float_compute_frac", x.float_compute_frac),
        ("expert_compute_frac", x.expert_compute_frac),
    ] {
        if !(v.is_finite() && v > 0.0 && v <= 1.0) {
            return Err(err(
                file,
                who,
                f,
                format!("a fraction must be in (0, 1], got {v}"),
            ));
        }
    }
    for (f, v) in [
        ("fixed_s", x.fixed_s),
        ("layer_s", x.layer_s),
        ("expert_s", x.expert_s),
        ("prefill_expert_s", x.prefill_expert_s),
        ("prefill_expert_read", x.prefill_expert_read),
        ("decode_attn", x.decode_attn),
        ("decode_attn_fa", x.decode_attn_fa),
        ("prefill_attn", x.prefill_attn),
        ("prefill_attn_fa", x.prefill_attn_fa),
        ("superseded_compute", x.superseded_compute),
        ("decode_rel_err", x.decode_rel_err),
        ("prefill_rel_err", x.prefill_rel_err),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return Err(err(file, who, f, format!("must be ≥ 0, got {v}")));
        }
    }
    // Signed: flash attention can add or save per-layer time, but not more than there is.
    if !(x.layer_fa_s.is_finite() && x.layer_fa_s.abs() <= 1e-3 && x.layer_s + x.layer_fa_s >= 0.0)
    {
        return Err(err(
            file,
            who,
            "layer_fa_s",
            format!(
                "must be within ±0.001 s and at least -layer_s ({}), got {}",
                x.layer_s, x.layer_fa_s
            ),
        ));
    }
    Ok(())
}

/// Each `variant_of` names a backend that is not itself a variant; a `dequant_gemm` rule
/// starts at two tokens or more and names device families that exist; an `expert_gemm_all`
/// rule starts at two tokens or more; a `gemm_token_tiles` rule too, with well-formed tiles and
/// device families that exist.
pub fn backends(file: &str, backends: &[BackendRaw], families: &[&str]) -> Result<()> {
    for b in backends {
        // One token is a matrix-vector product: a rule for batched kernels starts at two.
        let at_least_two = |field: &str, n: u32| {
            if n < 2 {
                Err(err(
                    file,
                    &b.id,
                    field,
                    format!("must be ≥ 2 (one token runs the matrix-vector kernels), got {n}"),
                ))
            } else {
                Ok(())
            }
        };
        // A rule's device families: at least one, each the family of some device.
        let known = |field: &str, named: &[String]| {
            if named.is_empty() {
                return Err(err(
                    file,
                    &b.id,
                    field,
                    "must name at least one device family",
                ));
            }
            match named.iter().find(|f| !families.contains(&f.as_str())) {
                Some(f) => Err(err(
                    file,
                    &b.id,
                    field,
                    format!("'{f}' is not the family of any device"),
                )),
                None => Ok(()),
            }
        };
        if let Some(g) = &b.dequant_gemm {
            at_least_two("dequant_gemm.min_tokens", g.min_tokens)?;
            known("dequant_gemm.families", &g.families)?;
        }
        if let Some(g) = &b.expert_gemm_all {
            at_least_two("expert_gemm_all.min_tokens", g.min_tokens)?;
        }
        if let Some(t) = &b.gemm_token_tiles {
            at_least_two("gemm_token_tiles.min_tokens", t.min_tokens)?;
            known("gemm_token_tiles.families", &t.families)?;
            token_tiles(file, &b.id, t)?;
        }
        if let Some(p) = &b.variant_of {
            if !backends
                .iter()
                .any(|x| &x.id == p && x.variant_of.is_none())
            {
                return Err(err(
                    file,
                    &b.id,
                    "variant_of",
                    format!("'{p}' must name a backend that is not itself a variant"),
                ));
            }
        }
    }
    Ok(())
}

/// A `gemm_token_tiles` rule lists tiles of at least one token, for calls of increasing
/// size, the last (and only the last) for every larger call.
fn token_tiles(file: &str, id: &str, t: &GemmTokenTiles) -> Result<()> {
    let field = "gemm_token_tiles.tiles";
    let bad = |why: &str| Err(err(file, id, field, why.to_string()));
    let Some((last, rest)) = t.tiles.split_last() else {
        return bad("must list at least one tile");
    };
    if t.tiles.iter().any(|x| x.tile == 0) {
        return bad("each tile must be at least one token");
    }
    if last.max_tokens.is_some() || rest.iter().any(|x| x.max_tokens.is_none()) {
        return bad("the last tile, and only the last, has no max_tokens");
    }
    let bounds: Vec<u32> = rest.iter().filter_map(|x| x.max_tokens).collect();
    if bounds.windows(2).any(|w| w[0] >= w[1]) {
        return bad("max_tokens must increase");
    }
    Ok(())
}

/// No alias (case-insensitive) names two entries.
pub fn unique_aliases<'a>(
    kind: &str,
    items: impl Iterator<Item = (&'a str, &'a Vec<String>)>,
) -> Result<()> {
    let mut seen: HashMap<String, &str> = HashMap::new();
    for (id, aliases) in items {
        for a in aliases
            .iter()
            .map(|a| a.to_lowercase())
            .chain(std::iter::once(id.to_lowercase()))
        {
            if let Some(other) = seen.get(&a) {
                if *other != id {
                    return Err(Error::Input(format!(
                        "{kind} name '{a}' is used by both '{other}' and '{id}'"
                    )));
                }
            }
            seen.insert(a, id);
        }
    }
    Ok(())
}
