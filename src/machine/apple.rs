//! Apple silicon from `sysctl` (`hw.memsize`, `machdep.cpu.brand_string`,
//! `iogpu.wired_limit_mb`, core counts) and `system_profiler SPDisplaysDataType -json`
//! (GPU name and cores). Pure parsers over captured text.
//!
//! The GPU can wire at most `iogpu.wired_limit_mb` of the unified memory; 0 (the default)
//! means macOS's own limit, which Apple does not document: llama.cpp reads it as Metal's
//! `recommendedMaxWorkingSetSize`, about 75% of memory on machines above 36 GB and about
//! two thirds below (observed, not a specification), so without a set limit the database
//! entry's `usable_gib` share stands.

/// The `sysctl` keys detection asks for.
pub const SYSCTL_KEYS: [&str; 6] = [
    "hw.memsize",
    "machdep.cpu.brand_string",
    "iogpu.wired_limit_mb",
    "hw.physicalcpu",
    "hw.logicalcpu",
    "hw.perflevel0.physicalcpu",
];

/// The arguments detection passes to `system_profiler`.
pub const SYSTEM_PROFILER_ARGS: [&str; 2] = ["SPDisplaysDataType", "-json"];

/// What `sysctl` says.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sysctl {
    /// `hw.memsize`, bytes.
    pub memsize_bytes: Option<u64>,
    /// `machdep.cpu.brand_string` (`Apple M4 Max`).
    pub brand: Option<String>,
    /// `iogpu.wired_limit_mb` when set (non-zero), MiB.
    pub wired_limit_mib: Option<u64>,
    /// `hw.physicalcpu`.
    pub physical_cpus: Option<u32>,
    /// `hw.logicalcpu`.
    pub logical_cpus: Option<u32>,
    /// `hw.perflevel0.physicalcpu` (performance cores).
    pub performance_cores: Option<u32>,
}

/// Parses `sysctl KEY…` output (`key: value` lines; `key = value` also read). Unknown keys
/// (an older macOS without `iogpu.wired_limit_mb`) are simply absent.
pub fn parse_sysctl(text: &str) -> Sysctl {
    let get = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once(':').or_else(|| l.split_once('='))?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let num = |key: &str| get(key).and_then(|v| v.parse::<u64>().ok());
    Sysctl {
        memsize_bytes: num("hw.memsize").filter(|b| *b > 0),
        brand: get("machdep.cpu.brand_string").filter(|s| !s.is_empty()),
        wired_limit_mib: num("iogpu.wired_limit_mb").filter(|m| *m > 0),
        physical_cpus: num("hw.physicalcpu").map(|v| v as u32),
        logical_cpus: num("hw.logicalcpu").map(|v| v as u32),
        performance_cores: num("hw.perflevel0.physicalcpu").map(|v| v as u32),
    }
}

/// One GPU of `system_profiler SPDisplaysDataType -json`.
#[derive(Debug, Clone, PartialEq)]
pub struct AppleGpu {
    /// `sppci_model` (`Apple M4 Max`).
    pub name: String,
    /// `sppci_cores`: GPU cores.
    pub gpu_cores: Option<u32>,
}

/// Why system_profiler's output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("system_profiler: {0}")]
pub struct AppleParseError(pub String);

/// Parses `system_profiler SPDisplaysDataType -json`.
pub fn parse_displays_json(text: &str) -> Result<Vec<AppleGpu>, AppleParseError> {
    let v: serde_json::Value =
        serde_json::from_str(text.trim()).map_err(|e| AppleParseError(format!("not JSON: {e}")))?;
    let list = v
        .get("SPDisplaysDataType")
        .and_then(|x| x.as_array())
        .ok_or_else(|| AppleParseError("no SPDisplaysDataType list".into()))?;
    Ok(list
        .iter()
        .filter_map(|g| {
            let s = |k: &str| g.get(k).and_then(|x| x.as_str()).map(str::trim);
            let name = s("sppci_model").or_else(|| s("_name"))?.to_string();
            let gpu_cores = s("sppci_cores").and_then(|c| c.parse().ok());
            Some(AppleGpu { name, gpu_cores })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sysctl_lines() {
        let s = parse_sysctl("hw.memsize: 68719476736\nmachdep.cpu.brand_string: Apple M4 Max\niogpu.wired_limit_mb: 0\n");
        assert_eq!(s.memsize_bytes, Some(64 << 30));
        assert_eq!(s.brand.as_deref(), Some("Apple M4 Max"));
        assert_eq!(s.wired_limit_mib, None, "0 means the default limit");
    }

    #[test]
    fn profiler_errors() {
        assert!(parse_displays_json("<plist>").is_err());
        assert!(parse_displays_json("{}").is_err());
    }
}
