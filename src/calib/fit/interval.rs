//! Intervals for what a level did not see: a new device (the spread between the level's
//! devices added to the spread within each) and a new model on a fitted device (the spread
//! between models), `exp(t₀.₉₅(dof) · √(s_w² + s_b²·(1 + 1/n))) − 1` (statrs, Student t).

use super::entry::round_to;
use super::Sample;
use crate::calib::trace::Test;
use crate::db::calibration::{Efficiency, EfficiencyEntry};
use statrs::distribution::{ContinuousCDF, StudentsT};
use std::collections::BTreeMap;

/// Fewest residual degrees of freedom for a level to set its own interval.
pub(super) const MIN_DOF: usize = 5;

/// Fewest degrees of freedom of the spread between a level's devices (devices − 1) for it to
/// widen the level's interval. Between two devices, Student's t on one degree of freedom
/// (6.31) makes any real disagreement an interval of thousands of times (an MI300X 2024 build
/// 20× below an MI100 took the CDNA family's prefill to ±27,790×); the level's own interval,
/// whose residuals hold both devices' offsets, and the held-out bands stand instead.
pub(super) const MIN_DEVICE_DOF: usize = 2;

/// Widens each device's own interval for a model it has not run. A device's fit is close to
/// exact on the few models it ran (each weight class has its own compute fraction), so its
/// residuals say little of the next model's offset: that spread, the between-model variance of
/// the mean log residuals, is the device's own where it ran enough models and otherwise pooled
/// over the backend's devices, each one weight (under `MIN_DOF` degrees of freedom the
/// intervals stand), and each device's interval becomes
/// `exp(t₀.₉₅(dof) · √(s_w² + s_b²·(1 + 1/m))) − 1` for its `m` models and within-model
/// variance `s_w²`, never narrower than its own.
pub(super) fn for_new_models(out: &mut [EfficiencyEntry], devices: &[(usize, Vec<&Sample>)]) {
    for test in [Test::Tg, Test::Pp] {
        // Per device: the mean log residual of each model, and the within-model variance.
        let per_device: Vec<(usize, Vec<f64>, f64)> = devices
            .iter()
            .map(|(i, rows)| {
                let by_model = residuals_by(rows, &out[*i].eff, test, |s| &s.mapped.model.id);
                let groups: Vec<&[f64]> = by_model.values().map(Vec::as_slice).collect();
                let (means, s_w2) = group_means(&groups);
                (*i, means, s_w2)
            })
            .collect();
        // Each device with two models or more gives its own between-model variance. A device
        // with enough models (MIN_DOF degrees of freedom) keeps its own; the others take the
        // mean over the devices that give one, each with equal weight (one device with fifteen
        // models must not outweigh ten with two), on the degrees of freedom of them all.
        let spreads: Vec<(f64, usize)> = per_device
            .iter()
            .filter_map(|(_, m, _)| variance(m))
            .collect();
        let dof_pooled: usize = spreads.iter().map(|(_, d)| d).sum();
        let pooled = (dof_pooled >= MIN_DOF).then(|| {
            (
                spreads.iter().map(|(v, _)| v).sum::<f64>() / spreads.len() as f64,
                dof_pooled,
            )
        });
        for (i, means, s_w2) in per_device {
            let own_spread = variance(&means).filter(|(_, dof)| *dof >= MIN_DOF);
            let Some((s_b2, dof)) = own_spread.or(pooled) else {
                continue;
            };
            let err = new_group_err(s_w2, s_b2, means.len().max(1), dof);
            let own = match test {
                Test::Tg => &mut out[i].eff.decode_rel_err,
                Test::Pp => &mut out[i].eff.prefill_rel_err,
            };
            *own = round_to(own.max(err), 4);
        }
    }
}

/// `e` with intervals wide enough for a device that borrows it: the spread of the rows
/// within each of the level's devices plus the spread of the devices' own offsets (each
/// device one observation, whatever its row count), with Student t on the devices:
/// `exp(t₀.₉₅(n − 1) · √(s_w² + s_b²·(1 + 1/n))) − 1` for n devices. Never narrower than
/// the level's own interval; with one or two devices the level's own stands (a device that
/// borrows it has nothing, or one degree of freedom, to measure the spread between devices
/// against, and its parent's interval is already the fallback of every level with too few
/// rows).
pub(super) fn for_new_device(rows: &[&Sample], mut e: Efficiency) -> Efficiency {
    for test in [Test::Tg, Test::Pp] {
        let by_device = residuals_by(rows, &e, test, |s| s.mapped.device.id());
        let groups: Vec<&[f64]> = by_device.values().map(Vec::as_slice).collect();
        let Some(err) = new_device_err(&groups) else {
            continue;
        };
        let own = match test {
            Test::Tg => &mut e.decode_rel_err,
            Test::Pp => &mut e.prefill_rel_err,
        };
        *own = own.max(err);
    }
    e
}

/// The one-sided 95% relative error for a new group, from the log residuals of each group
/// (device): `exp(t₀.₉₅(n − 1) · √(s_w² + s_b²·(1 + 1/n))) − 1`; `None` below
/// `MIN_DEVICE_DOF + 1` groups.
pub(super) fn new_device_err(groups: &[&[f64]]) -> Option<f64> {
    let (means, s_w2) = group_means(groups);
    let (s_b2, dof) = variance(&means)?;
    if dof < MIN_DEVICE_DOF {
        return None;
    }
    Some(new_group_err(s_w2, s_b2, groups.len(), dof))
}

/// `exp(t₀.₉₅(dof) · √(s_w² + s_b²·(1 + 1/n))) − 1`: the one-sided 95% relative error for a
/// new group, from the within-group variance `s_w²` and the variance `s_b²` between the means
/// of `n` groups, estimated on `dof` degrees of freedom.
pub(super) fn new_group_err(s_w2: f64, s_b2: f64, n: usize, dof: usize) -> f64 {
    (t95(dof as f64) * (s_w2 + s_b2 * (1.0 + 1.0 / n as f64)).sqrt()).exp() - 1.0
}

/// The one-sided 95% quantile of Student's t on `dof` degrees of freedom.
pub(super) fn t95(dof: f64) -> f64 {
    StudentsT::new(0.0, 1.0, dof)
        .map(|d| d.inverse_cdf(0.95))
        .unwrap_or(1.645)
}

/// The log residuals `ln(predicted / measured)` of the `test` rows of `rows` under `e`, grouped
/// by `key` (device or model).
pub(super) fn residuals_by<'s>(
    rows: &[&'s Sample],
    e: &Efficiency,
    test: Test,
    key: impl Fn(&'s Sample) -> &'s str,
) -> BTreeMap<&'s str, Vec<f64>> {
    let mut by: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
    for s in rows.iter().copied().filter(|s| s.feat.test == test) {
        let r = (s.feat.predict_tok_s(e) / s.feat.measured_tok_s()).ln();
        if r.is_finite() {
            by.entry(key(s)).or_default().push(r);
        }
    }
    by
}

/// Each group's mean, and the variance within the groups pooled over them (0 without a
/// degree of freedom).
pub(super) fn group_means(groups: &[&[f64]]) -> (Vec<f64>, f64) {
    let means: Vec<f64> = groups.iter().map(|v| mean(v)).collect();
    let (ss, dof) = groups
        .iter()
        .zip(&means)
        .fold((0.0, 0usize), |(ss, k), (v, m)| {
            (
                ss + v.iter().map(|x| (x - m).powi(2)).sum::<f64>(),
                k + v.len() - 1,
            )
        });
    (means, if dof > 0 { ss / dof as f64 } else { 0.0 })
}

/// The sample variance of `v` and its degrees of freedom; `None` below two values.
pub(super) fn variance(v: &[f64]) -> Option<(f64, usize)> {
    (v.len() >= 2).then(|| {
        let c = mean(v);
        let dof = v.len() - 1;
        (
            v.iter().map(|x| (x - c).powi(2)).sum::<f64>() / dof as f64,
            dof,
        )
    })
}

pub(super) fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_device_gets_the_spread_between_devices_not_only_within() {
        // Three devices, each measured exactly the same way three times, 10% apart: the rows
        // alone (no spread within a device) would claim a zero interval.
        let a = [0.1_f64; 3];
        let b = [-0.1_f64; 3];
        let c = [0.0_f64; 3];
        let err = new_device_err(&[&a, &b, &c]).unwrap();
        // s_b² = 0.01, t₀.₉₅(2) = 2.920: exp(2.920 · √(0.01 · 4/3)) − 1
        let expect = (2.919_985_580_355_516 * (0.01_f64 * 4.0 / 3.0).sqrt()).exp() - 1.0;
        assert!((err - expect).abs() < 1e-6, "{err} {expect}");
        // More devices with the same spread narrow it (t and the 1/n term shrink).
        let six = new_device_err(&[&a, &b, &c, &a, &b, &c]).unwrap();
        assert!(six < 0.6 * err, "{six}");
        assert_eq!(new_device_err(&[&a]), None);
        // Two devices, one degree of freedom: not enough to set the spread between devices.
        assert_eq!(new_device_err(&[&a, &b]), None);
    }
}
