//! Intervals from held-out residuals. A fit's own residuals say how well it reproduces the
//! rows it saw; a prediction for a device (or model) the fit never saw misses by more. So in
//! `validate --holdout device|model`, each row's 90% interval is widened to hold the 5th–95th
//! percentiles of the log residuals `ln(measured / predicted)` that the *other* held-out
//! groups (devices, or models) showed under the same holdout, in the same stratum:
//!
//!   lo = min(lo_fit, p · exp(q₀.₀₅)),  hi = max(hi_fit, p · exp(q₀.₉₅))
//!
//! The stratum is the test (decode, prefill), where the efficiency came from (a device's own
//! fit, or borrowed from its family, kind, backend or prior: borrowing is extrapolation), the
//! backend (a variant counts as its backend: how far a fit transfers from one chip to another
//! is a property of the backend's kernels and libraries — ROCm's BLAS regimes differ by chip,
//! Metal's do not) and the depth range (0, 1–4,096, 4,097–16,384, beyond). A stratum with
//! fewer than [`MIN_ROWS`] rows from at least [`MIN_GROUPS`] other groups falls back to the
//! same at that depth range without the backend, then (a borrowed efficiency) to every borrowed
//! source together at that depth range ([`BORROWED`]), then over all depths, then to the test
//! alone.
//! In a quantile each held-out group weighs the same (one device's thousands of rows do not
//! set every other device's band: each device, or model, is one draw of how far a fit misses
//! what it never saw), as in the bands `calibrate` ships. A row's own group never sets its interval
//! (jackknife: the quantiles are taken without it), so the coverage `validate` reports is
//! measured on rows whose interval did not see them.

use super::row::{ValidationRow, DEPTH_RANGES};
use super::trace::Test;
use crate::db::calibration::{HeldoutBandRaw, BORROWED};
use crate::db::Provenance;
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

/// Whether a row's efficiency was borrowed (family, kind, backend, prior): such rows also pool
/// at their depth range under [`BORROWED`]; a device's own fit never does.
fn borrowed(e: &str) -> bool {
    e != Provenance::Fitted.label()
}

/// A stratum key: test, efficiency source (empty: any; [`BORROWED`]: every borrowed one),
/// backend (none: any), depth range (`usize::MAX`: any).
type Stratum<'r> = (Test, &'static str, Option<&'r str>, usize);

/// The strata of a row, most detailed first. Before the bands over all depths, which depth 0
/// sets, come those of every borrowed source at the row's depth range: few devices ran deep,
/// and a device held out borrows at depth from a level whose own deep rows are few, so its
/// deep rows took the band of its shallow ones (devices held out, 50% of the decode rows
/// beyond 16K inside their 90% interval).
fn strata<'r>(r: &ValidationRow, backend: &'r str) -> impl Iterator<Item = Stratum<'r>> {
    let (t, e, d) = (r.test, r.efficiency, depth_range(r.n_depth));
    [
        Some((t, e, Some(backend), d)),
        Some((t, e, None, d)),
        borrowed(e).then_some((t, BORROWED, None, d)),
        Some((t, e, Some(backend), usize::MAX)),
        Some((t, e, None, usize::MAX)),
        Some((t, "", None, usize::MAX)),
    ]
    .into_iter()
    .flatten()
}

/// Residuals of one stratum, per group (device or model held out).
type ByGroup = BTreeMap<String, Vec<f64>>;

/// Widens the interval of each single-stream row of `rows` to the held-out quantiles of the
/// other groups (`group` names a row's device or model) in its stratum; `root` names the
/// backend a row's backend is a variant of (itself if none).
pub fn widen<'d>(
    rows: &mut [ValidationRow],
    group: impl Fn(&ValidationRow) -> String,
    root: impl Fn(&str) -> &'d str,
) {
    let roots: Vec<&'d str> = rows.iter().map(|r| root(&r.backend)).collect();
    let mut by: BTreeMap<Stratum, ByGroup> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate().filter(|(_, r)| r.batch <= 1) {
        let res = (r.measured_tok_s / r.predicted_tok_s).ln();
        if !res.is_finite() {
            continue;
        }
        for s in strata(r, roots[i]) {
            by.entry(s)
                .or_default()
                .entry(group(r))
                .or_default()
                .push(res);
        }
    }
    let mut cache: BTreeMap<(Stratum, String), Option<(f64, f64)>> = BTreeMap::new();
    for (i, r) in rows.iter_mut().enumerate().filter(|(_, r)| r.batch <= 1) {
        let g = group(r);
        let q = strata(r, roots[i]).find_map(|s| {
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

/// The 5th and 95th percentiles of the residuals of every group but `without`, each group
/// weighing one; `None` when too few rows or groups remain.
fn quantiles_without(groups: &ByGroup, without: &str) -> Option<(f64, f64)> {
    let others = groups
        .iter()
        .filter(|(g, _)| g.as_str() != without)
        .map(|(_, v)| v.as_slice());
    let rows: usize = others.clone().map(<[f64]>::len).sum();
    if others.clone().count() < MIN_GROUPS || rows < MIN_ROWS {
        return None;
    }
    Some(group_weighted_quantiles(others))
}

/// The bands `calibrate` ships for every prediction: per test and efficiency source, the
/// 5th–95th percentile of the held-out log residuals, per depth range and over all depths
/// (`depth_from` 0 with no `depth_to`), where at least [`MIN_ROWS`] rows show it; and per
/// depth range over every borrowed source together (efficiency [`BORROWED`], every backend). A device's
/// own fit (`fitted`) takes the residuals of rows whose model was held out (`lomo`); a borrowed
/// efficiency those of rows whose device was held out (`lodo`), with the same source; each
/// held-out model (own fit) or device (borrowed) weighs the same, and a band needs at least
/// [`MIN_GROUPS`] of them.
pub fn bands<'d>(
    lodo: &[ValidationRow],
    lomo: &[ValidationRow],
    root: impl Fn(&str) -> &'d str,
) -> Vec<HeldoutBandRaw> {
    // Residuals per stratum, per held-out unit (the model for a device's own fit, the device
    // for a borrowed one), each weighing one: Strix Halo's thousands of rows must not set the
    // band of every other device.
    type Key<'r> = (Test, &'r str, Option<&'r str>, Option<usize>);
    let mut by: BTreeMap<Key, BTreeMap<&str, Vec<f64>>> = BTreeMap::new();
    let held = lomo
        .iter()
        .filter(|r| !borrowed(r.efficiency))
        .chain(lodo.iter().filter(|r| borrowed(r.efficiency)));
    for r in held.filter(|r| r.batch <= 1) {
        let res = (r.measured_tok_s / r.predicted_tok_s).ln();
        if res.is_finite() {
            let unit = if borrowed(r.efficiency) {
                r.device.as_str()
            } else {
                r.model.as_str()
            };
            let d = depth_range(r.n_depth);
            let pooled = borrowed(r.efficiency).then_some((r.test, BORROWED, None, Some(d)));
            let keys = [Some(root(&r.backend)), None]
                .into_iter()
                .flat_map(|b| [Some(d), None].map(|d| (r.test, r.efficiency, b, d)))
                .chain(pooled);
            for k in keys {
                by.entry(k).or_default().entry(unit).or_default().push(res);
            }
        }
    }
    let round = |x: f64| (x * 1e4).round() / 1e4;
    by.into_iter()
        .filter(|(_, g)| {
            g.values().map(Vec::len).sum::<usize>() >= MIN_ROWS && g.len() >= MIN_GROUPS
        })
        .map(|((test, efficiency, backend, d), g)| {
            let (q05, q95) = group_weighted_quantiles(g.values().map(Vec::as_slice));
            let (depth_from, depth_to) = d.map_or((0, None), |i| DEPTH_RANGES[i]);
            HeldoutBandRaw {
                test: test.label().to_string(),
                efficiency: efficiency.to_string(),
                backend: backend.map(str::to_string),
                depth_from,
                depth_to,
                q05_log: round(q05),
                q95_log: round(q95),
                rows: g.values().map(Vec::len).sum(),
            }
        })
        .collect()
}

/// The 5th and 95th percentiles of the residuals of all groups, each group weighing one (each
/// of its `n` rows `1/n`): each held-out device (or model) is one draw of how far a fit misses
/// what it never saw.
fn group_weighted_quantiles<'v>(groups: impl Iterator<Item = &'v [f64]>) -> (f64, f64) {
    let mut w: Vec<(f64, f64)> = groups
        .flat_map(|v| v.iter().map(move |x| (*x, 1.0 / v.len() as f64)))
        .collect();
    w.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = w.iter().map(|x| x.1).sum();
    let q = |p: f64| {
        let mut acc = 0.0;
        w.iter()
            .find(|(_, wi)| {
                acc += wi;
                acc >= p * total
            })
            .map_or(w[w.len() - 1].0, |x| x.0)
    };
    (q(0.05), q(0.95))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_groups_own_residuals_never_set_its_interval() {
        let mut m: ByGroup = BTreeMap::new();
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
        // Each group weighs one: a group of 20 rows at 2.0 is a quarter of the weight.
        let g: BTreeMap<&str, Vec<f64>> = m.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let (_, q95) = group_weighted_quantiles(g.values().map(Vec::as_slice));
        assert!(q95 > 1.9, "{q95}");
        // Too few other groups: no quantile.
        m.remove("c");
        assert_eq!(quantiles_without(&m, "a"), None);
    }

    fn row(device: &str, efficiency: &'static str, n_depth: u64, ratio: f64) -> ValidationRow {
        ValidationRow {
            file: String::new(),
            line: 0,
            device: device.into(),
            backend: "llama.cpp-rocm".into(),
            model: "m".into(),
            quant: "q".into(),
            test: Test::Tg,
            n_prompt: 0,
            n_gen: 128,
            n_depth,
            measured_tok_s: ratio,
            predicted_tok_s: 1.0,
            predicted_tok_s_lo: 1.0,
            predicted_tok_s_hi: 1.0,
            ape_pct: 0.0,
            batch: 1,
            efficiency,
        }
    }

    #[test]
    fn a_device_s_own_fit_never_pools_with_borrowed_sources() {
        let own: Vec<_> = strata(&row("a", "fitted", 32768, 1.0), "llama.cpp-rocm").collect();
        assert!(own.iter().all(|s| s.1 != BORROWED), "{own:?}");
        // Each stratum once: a row's residual is counted once in each.
        let distinct: std::collections::BTreeSet<_> = own.iter().collect();
        assert_eq!(distinct.len(), own.len());
        let lent: Vec<_> = strata(&row("a", "kind", 32768, 1.0), "llama.cpp-rocm").collect();
        assert_eq!(lent.iter().filter(|s| s.1 == BORROWED).count(), 1);
    }

    #[test]
    fn deep_borrowed_rows_take_every_borrowed_source_at_their_depth() {
        // Shallow rows of four devices borrowing from their kind, all close; deep rows of
        // four devices borrowing from their family, off by 2× either way; one deep row that
        // borrows from its kind, whose own source has no deep rows.
        let mut rows = Vec::new();
        for d in ["a", "b", "c", "d"] {
            rows.extend((0..10).map(|_| row(d, "kind", 0, 1.02)));
            rows.extend(
                (0..10).map(|i| row(d, "family", 32768, if i % 2 == 0 { 0.5 } else { 2.0 })),
            );
        }
        rows.push(row("e", "kind", 32768, 1.0));
        widen(
            &mut rows,
            |r| r.device.clone(),
            |b| {
                if b == "llama.cpp-rocm" {
                    "llama.cpp-rocm"
                } else {
                    ""
                }
            },
        );
        let deep = rows.last().unwrap();
        assert!(
            deep.predicted_tok_s_lo <= 0.5 && deep.predicted_tok_s_hi >= 2.0,
            "{} {}",
            deep.predicted_tok_s_lo,
            deep.predicted_tok_s_hi
        );
        // A shallow row keeps its source's shallow band.
        assert!(
            rows[0].predicted_tok_s_hi < 1.1,
            "{}",
            rows[0].predicted_tok_s_hi
        );
    }
}
