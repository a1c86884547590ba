//! AMD GPUs from `rocm-smi --showproductname --showmeminfo vram gtt --json`, or, without
//! ROCm, from the amdgpu driver's files under `/sys/class/drm/card*/device/`
//! (`mem_info_vram_total`, `mem_info_gtt_total`, their `_used` pairs, `product_name`).
//!
//! An APU such as Strix Halo has a BIOS carve-out reported as VRAM and the rest of the
//! GPU-reachable memory as GTT (system pages the GPU maps); both count toward what a model
//! can use, so an integrated GPU's capacity is VRAM + GTT.

use std::path::Path;

/// The arguments detection passes to `rocm-smi`.
pub const ROCM_SMI_ARGS: [&str; 5] = [
    "--showproductname",
    "--showmeminfo",
    "vram",
    "gtt",
    "--json",
];

/// PCI vendor id of AMD/ATI.
pub const AMD_PCI_VENDOR: &str = "0x1002";

/// One AMD GPU.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AmdGpu {
    /// Card name as the tool gives it (`Radeon RX 7900 XTX`), or the PCI device id when
    /// nothing names it.
    pub name: String,
    /// PCI device id (`0x744c`), when known.
    pub pci_device: Option<String>,
    /// Dedicated (or carved-out) memory, bytes.
    pub vram_total_bytes: Option<u64>,
    /// VRAM in use, bytes.
    pub vram_used_bytes: Option<u64>,
    /// GTT (system memory the GPU maps), bytes.
    pub gtt_total_bytes: Option<u64>,
    /// GTT in use, bytes.
    pub gtt_used_bytes: Option<u64>,
    /// Where it was read (`rocm-smi` or the sysfs path).
    pub read_from: String,
}

/// Why rocm-smi's output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rocm-smi: {0}")]
pub struct AmdParseError(pub String);

/// Parses `rocm-smi --json`: one object per `cardN` key (the `system` key is skipped), values
/// as strings. Keys are matched without regard to case (`Card series` / `Card Series`).
pub fn parse_rocm_smi_json(text: &str) -> Result<Vec<AmdGpu>, AmdParseError> {
    let v: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|e| AmdParseError(format!("not JSON: {e}")))?;
    let obj = v
        .as_object()
        .ok_or_else(|| AmdParseError("expected an object of cards".into()))?;
    let mut gpus = Vec::new();
    for (card, fields) in obj.iter().filter(|(k, _)| k.starts_with("card")) {
        let Some(f) = fields.as_object() else {
            continue;
        };
        let get = |key: &str| {
            f.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .and_then(|(_, v)| match v {
                    serde_json::Value::String(s) => Some(s.trim().to_string()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .filter(|s| !s.is_empty() && s != "N/A")
        };
        let bytes = |key: &str| get(key).and_then(|s| s.parse::<u64>().ok());
        let pci = get("Card Model").or_else(|| get("Device ID"));
        let name = get("Card Series")
            .or_else(|| get("Device Name"))
            .or_else(|| get("Card SKU"))
            .or_else(|| pci.clone())
            .unwrap_or_else(|| card.clone());
        gpus.push(AmdGpu {
            name,
            pci_device: pci,
            vram_total_bytes: bytes("VRAM Total Memory (B)"),
            vram_used_bytes: bytes("VRAM Total Used Memory (B)"),
            gtt_total_bytes: bytes("GTT Total Memory (B)"),
            gtt_used_bytes: bytes("GTT Total Used Memory (B)"),
            read_from: "rocm-smi".into(),
        });
    }
    Ok(gpus)
}

/// Reads the AMD cards under a `drm` directory (`/sys/class/drm` on a live machine): every
/// `cardN` (not its connectors `cardN-DP-1`) whose `device/vendor` is AMD's.
pub fn read_drm(root: &Path) -> Vec<AmdGpu> {
    let Ok(rd) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let mut cards: Vec<_> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix("card"))
                .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
        })
        .collect();
    cards.sort();
    cards
        .into_iter()
        .filter_map(|card| {
            let dev = card.join("device");
            let read = |f: &str| {
                std::fs::read_to_string(dev.join(f))
                    .ok()
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
            };
            if read("vendor").as_deref() != Some(AMD_PCI_VENDOR) {
                return None;
            }
            Some(drm_card(&read, &dev))
        })
        .collect()
}

fn drm_card(read: &dyn Fn(&str) -> Option<String>, dev: &Path) -> AmdGpu {
    let bytes = |f: &str| read(f).and_then(|s| s.parse::<u64>().ok());
    let pci = read("device");
    AmdGpu {
        name: read("product_name")
            .or_else(|| pci.as_ref().map(|d| format!("AMD GPU (PCI device {d})")))
            .unwrap_or_else(|| "AMD GPU".into()),
        pci_device: pci,
        vram_total_bytes: bytes("mem_info_vram_total"),
        vram_used_bytes: bytes("mem_info_vram_used"),
        gtt_total_bytes: bytes("mem_info_gtt_total"),
        gtt_used_bytes: bytes("mem_info_gtt_used"),
        read_from: dev.display().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_not_rocm_smi_json() {
        assert!(parse_rocm_smi_json("WARNING: no AMD GPU").is_err());
        assert_eq!(parse_rocm_smi_json("{\"system\": {}}").unwrap(), vec![]);
    }
}
