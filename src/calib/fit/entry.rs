//! A fitted level as the entry `calibration/fitted.yaml` ships: rounded, with its rows,
//! quality and a sentence saying which level it is.

use crate::db::calibration::{Efficiency, EfficiencyEntry, FitQuality};
use crate::db::hardware::DeviceKind;

pub(super) fn entry(
    backend: &str,
    device: Option<&str>,
    family: Option<&str>,
    kind: Option<DeviceKind>,
    eff: Efficiency,
    rows: usize,
    q: FitQuality,
) -> EfficiencyEntry {
    let level = match (device, family, kind) {
        (Some(_), _, _) => "fitted on this device's traces, pulled toward its family's fit",
        (None, Some(_), _) => {
            "fitted on the traces of the family's devices of this kind, pulled toward the fit of \
             the kind (else the backend's)"
        }
        (None, None, Some(DeviceKind::UnifiedSoc)) => {
            "fitted on the backend's unified-SoC traces (if any), pulled toward its discrete \
             fit with the prefill fractions times the unified/discrete ratio of the other backends"
        }
        (None, None, Some(_)) => {
            "fitted on the backend's traces of this device kind, pulled toward the backend's fit"
        }
        (None, None, None) => {
            "fitted on all traces of the backend, pulled toward the backends' pooled decode fit \
             (each decode parameter the mean of the backends that show it) and the documented \
             prior"
        }
    };
    EfficiencyEntry {
        backend: backend.to_string(),
        device: device.map(String::from),
        family: family.map(String::from),
        kind,
        vendor: None,
        eff: round_eff(eff),
        rows: Some(rows),
        quality: Some(round_quality(q)),
        source: Some(level.to_string()),
    }
}

pub(super) fn round_to(v: f64, sig: i32) -> f64 {
    // Below a femtosecond or a femto-fraction is the solver's rounding, not a fitted value.
    if v.abs() < 1e-15 || !v.is_finite() {
        return if v.is_finite() { 0.0 } else { v };
    }
    let p = sig - 1 - v.abs().log10().floor() as i32;
    let k = 10f64.powi(p);
    (v * k).round() / k
}

pub(super) fn round_eff(e: Efficiency) -> Efficiency {
    Efficiency {
        bandwidth_frac: round_to(e.bandwidth_frac, 6),
        fixed_s: round_to(e.fixed_s, 6),
        layer_s: round_to(e.layer_s, 6),
        layer_fa_s: round_to(e.layer_fa_s, 6),
        expert_s: round_to(e.expert_s, 6),
        decode_attn: round_to(e.decode_attn, 6),
        decode_attn_fa: round_to(e.decode_attn_fa, 6),
        compute_frac: round_to(e.compute_frac, 6),
        kquant_compute_frac: round_to(e.kquant_compute_frac, 6),
        float_compute_frac: round_to(e.float_compute_frac, 6),
        expert_compute_frac: round_to(e.expert_compute_frac, 6),
        prefill_expert_s: round_to(e.prefill_expert_s, 6),
        prefill_expert_read: round_to(e.prefill_expert_read, 6),
        prefill_attn: round_to(e.prefill_attn, 6),
        prefill_attn_fa: round_to(e.prefill_attn_fa, 6),
        superseded_compute: round_to(e.superseded_compute, 6),
        decode_rel_err: round_to(e.decode_rel_err, 4),
        prefill_rel_err: round_to(e.prefill_rel_err, 4),
    }
}

pub(super) fn round_quality(q: FitQuality) -> FitQuality {
    let r = |v: Option<f64>| v.map(|x| round_to(x, 4));
    FitQuality {
        tg_r2: r(q.tg_r2),
        tg_mape_pct: r(q.tg_mape_pct),
        pp_r2: r(q.pp_r2),
        pp_mape_pct: r(q.pp_mape_pct),
        ..q
    }
}
