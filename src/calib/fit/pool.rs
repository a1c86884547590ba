//! Pooling between backends and kinds: the all-backend decode level (each decode parameter
//! the mean of the backends' fits that show it), the unified/discrete prefill ratio (a
//! weighted geometric mean), and the small transformations of an efficiency they use.

use super::Sample;
use crate::calib::trace::Test;
use crate::db::calibration::Efficiency;

/// Parameters the all-backend level pools: decode's (the intervals are not among them).
/// Decode streams memory and pays launch and routing costs, alike across backends (achieved
/// bandwidth 81–93% of peak on the four llama.cpp GPU backends); prefill runs each backend's
/// own matmul and attention kernels, which are not (flash-attention prefill costs about 1–4×
/// its FLOPs on CUDA and 2× on Metal but 36–155× on ROCm), so prefill starts from the backend's
/// documented prior. So does the per-layer change with flash attention (`t_layer,fa`): which
/// kernels a backend fuses is its own (fitted when it came in: CUDA and Metal saved 20–35 µs
/// per layer, ROCm and Vulkan paid 15–40 µs more).
pub(super) const N_PARAMS: usize = 6;

/// The pooled parameters of `e`, in a fixed order.
pub(super) fn params(e: &mut Efficiency) -> [&mut f64; N_PARAMS] {
    [
        &mut e.bandwidth_frac,
        &mut e.fixed_s,
        &mut e.expert_s,
        &mut e.decode_attn,
        &mut e.decode_attn_fa,
        &mut e.layer_s,
    ]
}

/// How many of `rows` show each parameter of [`params`].
pub(super) fn shown(rows: &[&Sample]) -> [f64; N_PARAMS] {
    let mut n = [0.0; N_PARAMS];
    for f in rows.iter().map(|s| &s.feat).filter(|f| f.test == Test::Tg) {
        for (i, yes) in [
            true,
            true,
            f.x_expert > 0.0,
            !f.flash_attn && f.x_attn > 0.0,
            f.flash_attn && f.x_attn > 0.0,
            true,
        ]
        .into_iter()
        .enumerate()
        {
            n[i] += f64::from(u8::from(yes));
        }
    }
    n
}

/// `base` with each parameter replaced by the mean of the backends' fits that show it,
/// weighted by how many rows do.
pub(super) fn pooled(own: &[(Efficiency, [f64; N_PARAMS])], mut base: Efficiency) -> Efficiency {
    let mut sum = [0.0; N_PARAMS];
    let mut weight = [0.0; N_PARAMS];
    for (e, n) in own {
        let mut e = *e;
        for (i, v) in params(&mut e).into_iter().enumerate() {
            sum[i] += *v * n[i];
            weight[i] += n[i];
        }
    }
    for (i, v) in params(&mut base).into_iter().enumerate() {
        if weight[i] > 0.0 {
            *v = sum[i] / weight[i];
        }
    }
    base
}

/// The weighted geometric mean of `(ratio, weight)` pairs; `None` without weight.
pub(super) fn weighted_ratio(r: &[(f64, f64)]) -> Option<f64> {
    let w: f64 = r.iter().map(|(_, w)| w).sum();
    (w > 0.0).then(|| (r.iter().map(|(x, w)| w * x.ln()).sum::<f64>() / w).exp())
}

/// `e` with the decode parameters of `d`.
pub(super) fn with_decode_of(e: Efficiency, d: &Efficiency) -> Efficiency {
    Efficiency {
        bandwidth_frac: d.bandwidth_frac,
        fixed_s: d.fixed_s,
        layer_s: d.layer_s,
        layer_fa_s: d.layer_fa_s,
        expert_s: d.expert_s,
        decode_attn: d.decode_attn,
        decode_attn_fa: d.decode_attn_fa,
        decode_rel_err: d.decode_rel_err,
        ..e
    }
}

/// `e` with every prefill compute fraction times `phi` (at most 1).
pub(super) fn scale_compute(mut e: Efficiency, phi: f64) -> Efficiency {
    for f in [
        &mut e.compute_frac,
        &mut e.kquant_compute_frac,
        &mut e.float_compute_frac,
        &mut e.expert_compute_frac,
    ] {
        *f = (*f * phi).min(1.0);
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calib::features::UNIT;

    #[test]
    fn the_unified_ratio_weights_each_backend_by_its_rows() {
        // 190 rows of DGX Spark at 0.44, 16 of Apple GPUs through Vulkan at 1.19.
        let phi = weighted_ratio(&[(0.44, 190.0), (1.19, 16.0)]).unwrap();
        let expect = ((190.0 * 0.44_f64.ln() + 16.0 * 1.19_f64.ln()) / 206.0).exp();
        assert!(
            (phi - expect).abs() < 1e-12 && (0.47..0.49).contains(&phi),
            "{phi}"
        );
        assert_eq!(weighted_ratio(&[]), None);
        assert_eq!(weighted_ratio(&[(0.5, 0.0)]), None);
    }

    #[test]
    fn pooled_weights_each_parameter_by_the_rows_that_show_it() {
        let a = Efficiency {
            bandwidth_frac: 0.9,
            expert_s: 1e-5,
            ..UNIT
        };
        let b = Efficiency {
            bandwidth_frac: 0.6,
            expert_s: 4e-5,
            ..UNIT
        };
        let mut na = [0.0; N_PARAMS];
        let mut nb = [0.0; N_PARAMS];
        (na[0], nb[0]) = (300.0, 100.0);
        // only b's traces ran MoE models
        nb[2] = 10.0;
        let base = Efficiency {
            decode_attn: 7.0,
            ..UNIT
        };
        let p = pooled(&[(a, na), (b, nb)], base);
        assert!((p.bandwidth_frac - 0.825).abs() < 1e-12);
        assert!((p.expert_s - 4e-5).abs() < 1e-18);
        // nobody showed it: the base stands
        assert_eq!(p.decode_attn, 7.0);
    }
}
