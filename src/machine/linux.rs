//! Linux CPU and memory: `/proc/cpuinfo`, `/proc/meminfo` and the NUMA node list
//! (`/sys/devices/system/node/online`). Pure parsers over captured text.
//!
//! Physical cores are the distinct `(physical id, core id)` pairs; where the kernel prints
//! neither (most Arm kernels), every logical CPU counts as a core. Sockets are the distinct
//! `physical id`s. Vector features come from the `flags` line (x86) or `Features` (Arm).

use std::collections::BTreeSet;

/// What `/proc/cpuinfo` says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CpuInfo {
    /// The brand string (`model name`; `Hardware` or `Model` on Arm boards, else the core's
    /// implementer and part numbers), as llama-bench's `cpu_info` prints it on x86.
    pub model_name: Option<String>,
    /// Logical CPUs.
    pub threads: u32,
    /// Physical cores.
    pub cores: u32,
    /// Sockets (1 when the kernel does not say).
    pub sockets: u32,
    /// Highest `cpu MHz` seen (the current clock, not a rated one).
    pub max_mhz: Option<f64>,
    /// Vector and matrix features found: `avx2`, `avx_vnni`, `avx512f`, `avx512_vnni`,
    /// `avx512_bf16`, `amx_tile`, `amx_int8`, `amx_bf16`, `fma`, `asimd`, `sve`.
    pub features: Vec<String>,
}

impl CpuInfo {
    /// Whether a feature flag is present.
    pub fn has(&self, f: &str) -> bool {
        self.features.iter().any(|x| x == f)
    }
    /// FP32 lanes of the widest vector unit: 16 with AVX-512, 8 with AVX2, 4 with NEON/SSE.
    pub fn fp32_lanes(&self) -> u32 {
        if self.has("avx512f") {
            16
        } else if self.has("avx2") {
            8
        } else {
            4
        }
    }
}

/// Features reported, in this order, when present.
const FEATURES: [&str; 11] = [
    "avx2",
    "avx_vnni",
    "avx512f",
    "avx512_vnni",
    "avx512_bf16",
    "amx_tile",
    "amx_int8",
    "amx_bf16",
    "fma",
    "asimd",
    "sve",
];

/// Parses `/proc/cpuinfo`. `None` when it lists no processor.
pub fn parse_cpuinfo(text: &str) -> Option<CpuInfo> {
    let mut info = CpuInfo::default();
    let mut cores: BTreeSet<(String, String)> = BTreeSet::new();
    let mut sockets: BTreeSet<String> = BTreeSet::new();
    let mut physical = String::new();
    let mut flags: BTreeSet<String> = BTreeSet::new();
    let mut board_name = None;
    let (mut implementer, mut part) = (None, None);
    for line in text.lines() {
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let (k, v) = (k.trim(), v.trim());
        match k {
            "processor" if v.parse::<u32>().is_ok() => info.threads += 1,
            "model name" if info.model_name.is_none() && !v.is_empty() => {
                info.model_name = Some(v.to_string())
            }
            "Hardware" | "Model" if board_name.is_none() && !v.is_empty() => {
                board_name = Some(v.to_string())
            }
            "physical id" => {
                physical = v.to_string();
                sockets.insert(physical.clone());
            }
            "core id" => {
                cores.insert((physical.clone(), v.to_string()));
            }
            "cpu MHz" => {
                if let Ok(m) = v.parse::<f64>() {
                    info.max_mhz = Some(info.max_mhz.map_or(m, |x: f64| x.max(m)));
                }
            }
            "CPU implementer" if implementer.is_none() => implementer = Some(v.to_string()),
            "CPU part" if part.is_none() => part = Some(v.to_string()),
            "flags" | "Features" => flags.extend(v.split_whitespace().map(String::from)),
            _ => {}
        }
    }
    if info.threads == 0 {
        return None;
    }
    // Arm kernels print no brand: name the core by its implementer and part numbers.
    let arm = implementer
        .zip(part)
        .map(|(i, p)| format!("Arm CPU (implementer {i}, part {p})"));
    info.model_name = info.model_name.or(board_name).or(arm);
    info.cores = if cores.is_empty() {
        info.threads
    } else {
        cores.len() as u32
    };
    info.sockets = sockets.len().max(1) as u32;
    info.features = FEATURES
        .iter()
        .filter(|f| flags.contains(**f))
        .map(|f| f.to_string())
        .collect();
    Some(info)
}

/// What `/proc/meminfo` says, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MemInfo {
    /// `MemTotal`.
    pub total_bytes: u64,
    /// `MemAvailable` (what can be allocated without swapping), else `MemFree`.
    pub available_bytes: Option<u64>,
}

/// Parses `/proc/meminfo` (values in kB = KiB). `None` without `MemTotal`.
pub fn parse_meminfo(text: &str) -> Option<MemInfo> {
    let field = |name: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            if k.trim() != name {
                return None;
            }
            let mut it = v.split_whitespace();
            let n: u64 = it.next()?.parse().ok()?;
            let scale = match it.next() {
                Some("kB") | Some("KB") | Some("KiB") => 1024,
                None => 1,
                Some(_) => return None,
            };
            n.checked_mul(scale)
        })
    };
    Some(MemInfo {
        total_bytes: field("MemTotal")?,
        available_bytes: field("MemAvailable").or_else(|| field("MemFree")),
    })
}

/// Counts the entries of a kernel list such as `/sys/devices/system/node/online`
/// (`0`, `0-1`, `0-3,8-11`). `None` when it is not such a list.
pub fn count_list(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let mut n = 0u32;
    for part in t.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b): (u32, u32) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
                if b < a {
                    return None;
                }
                n = n.checked_add(b - a + 1)?;
            }
            None => {
                part.trim().parse::<u32>().ok()?;
                n = n.checked_add(1)?;
            }
        }
    }
    Some(n)
}

/// The clock in a brand string such as `Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz`, GHz.
pub fn brand_clock_ghz(brand: &str) -> Option<f64> {
    let (_, tail) = brand.rsplit_once('@')?;
    let t = tail.trim();
    let num = t
        .strip_suffix("GHz")
        .or_else(|| t.strip_suffix("Ghz"))?
        .trim();
    num.parse().ok().filter(|g: &f64| *g > 0.0 && *g < 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_count() {
        assert_eq!(count_list("0\n"), Some(1));
        assert_eq!(count_list("0-1"), Some(2));
        assert_eq!(count_list("0-3,8-11"), Some(8));
        assert_eq!(count_list("garbage"), None);
        assert_eq!(count_list("3-1"), None);
    }

    #[test]
    fn meminfo_in_kib() {
        let m = parse_meminfo(
            "MemTotal:       24683784 kB\nMemFree: 1 kB\nMemAvailable:   24349472 kB\n",
        )
        .unwrap();
        assert_eq!(m.total_bytes, 24683784 * 1024);
        assert_eq!(m.available_bytes, Some(24349472 * 1024));
        assert_eq!(parse_meminfo("nothing here"), None);
    }

    #[test]
    fn clock_from_brand() {
        assert_eq!(
            brand_clock_ghz("Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz"),
            Some(2.0)
        );
        assert_eq!(brand_clock_ghz("AMD EPYC 9654 96-Core Processor"), None);
    }
}
