//! Matching a detected part to a database entry by the names tools print.
//!
//! Each name is tried in a few spellings ([`name_variants`]): as printed, without the
//! vendor's word (`AMD Radeon 8060S Graphics` → `Radeon 8060S Graphics`), and, for the
//! bracketed lists of AMD's PCI names (`Navi 31 [Radeon RX 7900 XT/7900 XTX/7900M]`), each
//! product of the list. A spelling resolves as any device name does (id, alias, name,
//! normalized; see `db/resolve.rs`). A discrete GPU's entry must also hold the memory read
//! within 10% (an RTX 4060 Ti 8 GB is not the 16 GB entry); a name that several entries
//! share goes to the one whose memory is closest to what was read.

use crate::db::hardware::{Device, DeviceKind};
use crate::db::resolve::resolve;
use crate::db::Db;
use crate::error::Error;

/// Largest relative difference between a discrete GPU's memory as read and its entry's.
const GPU_CAPACITY_TOLERANCE_FRAC: f64 = 0.10;

const GIB: f64 = (1u64 << 30) as f64;

/// The spellings of a tool's name to try, in order, without repeats.
pub fn name_variants(name: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |s: String| {
        let s = s.trim().to_string();
        if !s.is_empty() && !out.contains(&s) {
            out.push(s);
        }
    };
    push(name.to_string());
    for vendor in ["AMD ", "NVIDIA ", "Intel ", "Apple "] {
        if let Some(rest) = name.strip_prefix(vendor) {
            push(rest.to_string());
        }
    }
    if let (Some(open), Some(close)) = (name.find('['), name.rfind(']')) {
        if open < close {
            let alts: Vec<&str> = name[open + 1..close].split('/').map(str::trim).collect();
            // Words of the first product before its model number: `Radeon RX `.
            let prefix: String = alts
                .first()
                .map(|a| {
                    a.split_whitespace()
                        .take_while(|w| !w.chars().any(|c| c.is_ascii_digit()))
                        .map(|w| format!("{w} "))
                        .collect()
                })
                .unwrap_or_default();
            for a in alts {
                push(a.to_string());
                if !prefix.is_empty() && !a.starts_with(prefix.trim()) {
                    push(format!("{prefix}{a}"));
                }
            }
        }
    }
    out
}

/// The entry a part matches: the first spelling of the first name that resolves to a
/// device of one of `kinds` (and, for a discrete GPU, holds `capacity_bytes`).
pub fn match_device<'a>(
    db: &'a Db,
    names: &[String],
    kinds: &[DeviceKind],
    capacity_bytes: Option<u64>,
) -> Option<&'a Device> {
    let fits = |d: &Device| {
        d.id() != crate::db::THIS_DEVICE_ID
            && kinds.contains(&d.raw.kind)
            && (d.raw.kind != DeviceKind::DiscreteGpu
                || capacity_bytes.is_none_or(|c| {
                    let entry = d.fast.capacity.0;
                    (c as f64 - entry).abs() / entry <= GPU_CAPACITY_TOLERANCE_FRAC
                }))
    };
    let closest = |cands: Vec<&'a Device>| -> Option<&'a Device> {
        let c = capacity_bytes? as f64;
        let mut v = cands;
        v.sort_by(|a, b| {
            (a.fast.capacity.0 - c)
                .abs()
                .total_cmp(&(b.fast.capacity.0 - c).abs())
        });
        match v.as_slice() {
            [one] => Some(*one),
            [a, b, ..] if (a.fast.capacity.0 - c).abs() < (b.fast.capacity.0 - c).abs() => Some(*a),
            _ => None,
        }
    };
    // A size suffix as aliases write it (`RTX 4060 Ti 16GB`), for boards sold in two sizes.
    let sized = |v: &str| capacity_bytes.map(|c| format!("{v} {}GB", (c as f64 / GIB).round()));
    for name in names {
        let variants = name_variants(name);
        let with_sizes = variants.iter().filter_map(|v| sized(v));
        for v in variants.clone().into_iter().chain(with_sizes) {
            match resolve("device", &v, &db.devices) {
                Ok(d) if fits(d) => return Some(d),
                Ok(_) | Err(Error::Unknown { .. }) => {}
                Err(Error::Ambiguous { candidates, .. }) => {
                    let cands: Vec<&Device> = candidates
                        .iter()
                        .filter_map(|id| db.devices.iter().find(|d| d.id() == id))
                        .filter(|d| fits(d))
                        .collect();
                    if cands.len() == 1 {
                        return Some(cands[0]);
                    }
                    if let Some(d) = closest(cands) {
                        return Some(d);
                    }
                }
                Err(_) => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variants_of_an_amd_pci_name() {
        let v = name_variants("Navi 31 [Radeon RX 7900 XT/7900 XTX/7900M]");
        assert!(v.contains(&"Radeon RX 7900 XT".to_string()));
        assert!(v.contains(&"Radeon RX 7900 XTX".to_string()));
        assert_eq!(
            name_variants("AMD Radeon 8060S Graphics")[1],
            "Radeon 8060S Graphics"
        );
    }
}
