//! Intervals from held-out residuals. A fit's own residuals say how well it reproduces the
//! rows it saw; a prediction for a device (or model) the fit never saw misses by more. So in
//! `validate --holdout device|model`, each row's 90% interval is widened to hold the 5th–95th
//! percentiles of the log residuals `ln(measured / predicted)` that the *other* held-out
//! groups (devices, or models) showed under the same holdout, in the same stratum:
//!
//!   lo = min(lo_fit, p · exp(q₀.₀₅)),  hi = max(hi_fit, p · exp(q₀.₉₅))
//!
//! The stratum is the test (decode, prefill), where the efficiency came from (a device's own
//! fit, or borrowed from its family, kind, backend or prior: borrowing is extrapolation) and
//! the depth range (0, 1–4,096, 4,097–16,384, beyond); a stratum with fewer than
//! [`MIN_ROWS`] rows from at least [`MIN_GROUPS`] other groups falls back to (test, source),
//! then to the test alone. A row's own group never sets its interval (jackknife: the
//! quantiles are taken without it), so the coverage `validate` reports is measured on rows
//! whose interval did not see them.

use super::trace::Test;
use super::validate::{ValidationRow, DEPTH_RANGES};
use std::collections::BTreeMap;

/// Fewest rows a stratum needs to set a quantile.
pub const MIN_ROWS: usize = 30;
/// Fewest other groups (devices or models) a stratum needs.
pub const MIN_GROUPS: usize = 3;

/// The depth range index of a depth.
fn depth_range(d: u64) -> usize {
    DEPTH_RANGES
        .iter()
        .position(|&(from, to)| d >= from && to.is_none_or(|t| d <= t))
        .unwrap_or(DEPTH_RANGES.len() - 1)
}

/// A stratum key at one of three levels of detail.
type Stratum = (Test, &'static str, usize);

fn strata(r: &ValidationRow) -> [Stratum; 3] {
    let t = r.test;
    [
        (t, r.efficiency, depth_range(r.n_depth)),
        (t, r.efficiency, usize::MAX),
        (t, "", usize::MAX),
    ]
}

/// Widens the interval of each single-stream row of `rows` to the held-out quantiles of the
/// other groups (`group` names a row's device or model).
pub fn widen(rows: &mut [ValidationRow], group: impl Fn(&ValidationRow) -> String) {
    // Residuals per stratum, per group.
    let mut by: BTreeMap<Stratum, BTreeMap<String, Vec<f64>>> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.batch <= 1) {
        let res = (r.measured_tok_s / r.predicted_tok_s).ln();
        if !res.is_finite() {
            continue;
        }
        for s in strata(r) {
            by.entry(s)
                .or_default()
                .entry(group(r))
                .or_default()
                .push(res);
        }
    }
    let mut cache: BTreeMap<(Stratum, String), Option<(f64, f64)>> = BTreeMap::new();
    for r in rows.iter_mut().filter(|r| r.batch <= 1) {
        let g = group(r);
        let q = strata(r).into_iter().find_map(|s| {
            *cache
                .entry((s, g.clone()))
                .or_insert_with(|| by.get(&s).and_then(|m| quantiles_without(m, &g)))
        });
        if let Some((q_lo, q_hi)) = q {
            let p = r.predicted_tok_s;
            r.predicted_tok_s_lo = r.predicted_tok_s_lo.min(p * q_lo.exp());
            r.predicted_tok_s_hi = r.predicted_tok_s_hi.max(p * q_hi.exp());
        }
    }
}

/// The 5th and 95th percentiles of the residuals of every group but `without`; `None` when
/// too few rows or groups remain.
fn quantiles_without(groups: &BTreeMap<String, Vec<f64>>, without: &str) -> Option<(f64, f64)> {
    let others = groups.iter().filter(|(g, _)| g.as_str() != without);
    if others.clone().count() < MIN_GROUPS {
        return None;
    }
    let mut v: Vec<f64> = others.flat_map(|(_, r)| r.iter().copied()).collect();
    if v.len() < MIN_ROWS {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    Some((q(0.05), q(0.95)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_groups_own_residuals_never_set_its_interval() {
        let mut m = BTreeMap::new();
        // Three groups of 20 rows each within ±10%; one far-off group.
        for (g, c) in [("a", 0.0), ("b", 0.05), ("c", -0.05), ("far", 2.0)] {
            m.insert(
                g.to_string(),
                (0..20).map(|i| c + f64::from(i) * 0.001).collect(),
            );
        }
        let (lo, hi) = quantiles_without(&m, "far").unwrap();
        assert!(lo > -0.06 && hi < 0.08, "{lo} {hi}");
        // Without 'a', 'far' is among the others and widens the upper end.
        let (_, hi_a) = quantiles_without(&m, "a").unwrap();
        assert!(hi_a > 1.9, "{hi_a}");
        // Too few other groups: no quantile.
        m.remove("c");
        assert_eq!(quantiles_without(&m, "a"), None);
    }
}
