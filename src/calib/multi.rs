//! Multi-device trace rows (`3090 24GB * 2`, two hosts over llama.cpp RPC): mapped to a
//! device list and validated against [`crate::model::parallel`] under the same holdout as the
//! single-device rows (with devices held out, each from a fit that never saw that device).
//! They never enter the single-device fit.

use super::features::scenario;
use super::map::{map_row, Unmapped};
use super::trace::{Test, TraceRow};
use super::validate::{HoldoutFits, ValidationRow};
use crate::db::Db;
use crate::model::parallel::{predict_multi, LinkSpec, Split};

/// A multi-device row: the single-device label, how many, and the link assumed.
#[derive(Debug, Clone)]
pub struct MultiRow {
    /// The row, its device label reduced to one device.
    pub row: TraceRow,
    /// Devices.
    pub count: usize,
    /// Link id.
    pub link: &'static str,
}

/// Recognises `<device> * N` and `Nx <device>` (GPUs in one host: layer split over PCIe 4.0 x16, the RunPod
/// servers of the XiongjieDai tables), a label that states how many devices llama.cpp saw
/// (`… (…; 2 devices visible)`, `(8 ROCm devices found; …)`: with `-ngl 99` and the default layer
/// split every visible GPU takes a share; the row names its device through `device_id`), and
/// `<device> + <other> via RPC` (two hosts: layer split over llama.cpp RPC, 10 GbE assumed as the
/// sources do not say).
pub fn parse_multi(r: &TraceRow) -> Option<MultiRow> {
    // `2x <device>` / `8x <device>`: GPUs in one host, as the AMD sources label them.
    // `count` GPUs of `dev` in one host, over PCIe.
    let in_one_host = |dev: &str, n: &str| {
        let count = n.trim().parse::<usize>().ok().filter(|c| *c >= 2)?;
        let row = TraceRow {
            device: dev.trim().to_string(),
            ..r.clone()
        };
        Some(MultiRow {
            row,
            count,
            link: "pcie-4.0-x16",
        })
    };
    if let Some(m) = r
        .device
        .split_once("x ")
        .and_then(|(n, dev)| in_one_host(dev, n))
    {
        return Some(m);
    }
    if let Some((dev, n)) = r.device.rsplit_once(" * ") {
        return in_one_host(dev, n);
    }
    if let Some(n) = stated_device_count(&r.device) {
        return in_one_host(&r.device, n);
    }
    if r.device.contains(" via RPC") {
        let first = r.device.split(" + ").next()?.trim().to_string();
        let backend = r.backend.replace("RPC client", "").replace("RPC", "");
        let row = TraceRow {
            device: first,
            backend,
            ..r.clone()
        };
        return Some(MultiRow {
            row,
            count: 2,
            link: "10gbe",
        });
    }
    None
}

/// The count of `N devices` or `N <backend> devices` in a label (llama.cpp's `found N ROCm
/// devices`, or a source's `N devices visible`), if any.
fn stated_device_count(label: &str) -> Option<&str> {
    let words: Vec<&str> = label
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let at = words
        .iter()
        .position(|w| w.eq_ignore_ascii_case("devices"))?;
    words[at.saturating_sub(2)..at]
        .iter()
        .rev()
        .copied()
        .find(|w| w.chars().all(|c| c.is_ascii_digit()))
}

/// Predicts every multi-device row (layer split) with the efficiencies the holdout of `fits`
/// allows: a fit without the row's device (or model), a fit of all samples, or the shipped
/// calibration. Rows that cannot be mapped come back as unmapped with the reason.
pub fn validate_multi(
    db: &Db,
    rows: &[MultiRow],
    fits: &mut HoldoutFits,
) -> (Vec<ValidationRow>, Vec<Unmapped>) {
    let mut out = Vec::new();
    let mut bad = Vec::new();
    for mr in rows {
        let r = &mr.row;
        let fail = |reason: String| Unmapped {
            file: r.file.clone(),
            line: r.line,
            reason,
        };
        let m = match map_row(db, r) {
            Ok(m) => m,
            Err(e) => {
                bad.push(fail(format!("multi-device row: {e}")));
                continue;
            }
        };
        let (eff, prov) = db.efficiency_in(fits.for_row(db, &m), m.device, &m.backend.id);
        let (Ok(sc), Ok(link)) = (scenario(db, &m, eff), db.link(mr.link)) else {
            bad.push(fail("multi-device row: no scenario".into()));
            continue;
        };
        let scs = vec![sc; mr.count];
        let spec = LinkSpec {
            bandwidth: link.bandwidth_gb_s * 1e9,
            latency: link.latency_us * 1e-6,
        };
        let p = predict_multi(&scs, Split::Layer, spec);
        let est = match r.test {
            Test::Tg => p.decode_tok_s,
            Test::Pp => p.prefill_tok_s,
        };
        let Some(e) = est else {
            bad.push(fail(format!(
                "multi-device row: does not fit {} × {}",
                mr.count,
                m.device.id()
            )));
            continue;
        };
        out.push(ValidationRow {
            file: r.file.clone(),
            line: r.line,
            device: format!("{}x {}", mr.count, m.device.id()),
            backend: m.backend.id.clone(),
            model: m.model.id.clone(),
            quant: m.quant.id.clone(),
            test: r.test,
            n_prompt: r.n_prompt,
            n_gen: r.n_gen,
            n_depth: r.n_depth,
            measured_tok_s: r.tok_s,
            predicted_tok_s: e.value,
            predicted_tok_s_lo: e.lo,
            predicted_tok_s_hi: e.hi,
            ape_pct: (e.value / r.tok_s - 1.0).abs() * 100.0,
            batch: 1,
            efficiency: prov.label(),
        });
    }
    (out, bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calib::trace::{Test, TraceRow};

    fn row(device: &str) -> TraceRow {
        let mut r = TraceRow::new("t.csv", 2, Test::Tg, 10.0);
        r.device = device.into();
        r
    }

    #[test]
    fn counts_in_labels_make_multi_device_rows() {
        let m = parse_multi(&row("8x AMD Instinct MI300X (gfx942)")).unwrap();
        assert_eq!(
            (m.count, m.row.device.as_str()),
            (8, "AMD Instinct MI300X (gfx942)")
        );
        let m = parse_multi(&row("3090 24GB * 2")).unwrap();
        assert_eq!((m.count, m.row.device.as_str()), (2, "3090 24GB"));
        // The count the label states; the label stays whole (the row's device_id names the device).
        let label =
            "AMD gfx906 (MI50-class; printed as \"AMD Radeon Graphics\"; 2 devices visible)";
        let m = parse_multi(&row(label)).unwrap();
        assert_eq!(
            (m.count, m.row.device.as_str(), m.link),
            (2, label, "pcie-4.0-x16")
        );
        assert_eq!(stated_device_count("X (4 ROCm devices found)"), Some("4"));
    }

    #[test]
    fn one_device_or_no_count_is_a_single_device_row() {
        assert!(parse_multi(&row("AMD Radeon VII")).is_none());
        assert!(parse_multi(&row("X (1 devices visible)")).is_none());
        assert!(parse_multi(&row("X (devices visible)")).is_none());
        assert!(parse_multi(&row("AMD Instinct MI50 (gfx906)")).is_none());
    }
}
