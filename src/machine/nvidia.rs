//! NVIDIA GPUs from `nvidia-smi --query-gpu=… --format=csv,nounits`. A pure parser over the
//! captured text; the columns are found by their header, so a reordered query still reads.
//!
//! Values nvidia-smi cannot give print as `[N/A]` or `[Not Supported]` and read as absent.
//! DGX Spark (GB10) has no dedicated memory: it reports no `memory.total`, and detection
//! treats such a GPU as sharing the host's memory (unified).

/// The arguments detection passes to `nvidia-smi`.
pub const QUERY_ARGS: [&str; 2] = [
    "--query-gpu=name,memory.total,memory.free,power.limit,pcie.link.gen.max,pcie.link.width.max",
    "--format=csv,nounits",
];

/// One GPU as nvidia-smi lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct NvidiaGpu {
    /// Product name (`NVIDIA GeForce RTX 4090`), as llama-bench's `gpu_info` prints it.
    pub name: String,
    /// Dedicated memory, bytes (absent on GB10).
    pub memory_total_bytes: Option<u64>,
    /// Free dedicated memory, bytes.
    pub memory_free_bytes: Option<u64>,
    /// Board power limit, W.
    pub power_limit_w: Option<f64>,
    /// Highest PCIe generation of the link.
    pub pcie_gen: Option<u32>,
    /// PCIe lanes of the link.
    pub pcie_lanes: Option<u32>,
}

/// Why nvidia-smi's output could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("nvidia-smi: {0}")]
pub struct NvidiaParseError(pub String);

const MIB: u64 = 1 << 20;

/// Parses the CSV (`--format=csv,nounits`, with its header). Memory is MiB, power W.
pub fn parse_query_csv(text: &str) -> Result<Vec<NvidiaGpu>, NvidiaParseError> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header = lines
        .next()
        .ok_or_else(|| NvidiaParseError("empty output".into()))?;
    let cols: Vec<String> = header
        .split(',')
        .map(|c| c.split('[').next().unwrap_or("").trim().to_string())
        .collect();
    let at = |name: &str| cols.iter().position(|c| c == name);
    let name_col = at("name").ok_or_else(|| {
        NvidiaParseError(format!(
            "no 'name' column in the header '{}'",
            header.trim()
        ))
    })?;
    let mut gpus = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != cols.len() {
            return Err(NvidiaParseError(format!(
                "a row with {} cells under a header of {}: '{}'",
                cells.len(),
                cols.len(),
                line.trim()
            )));
        }
        let num = |name: &str| -> Option<f64> {
            at(name)
                .and_then(|i| cells[i].parse::<f64>().ok())
                .filter(|v| v.is_finite() && *v >= 0.0)
        };
        let mib = |name: &str| num(name).map(|v| (v * MIB as f64) as u64);
        gpus.push(NvidiaGpu {
            name: cells[name_col].to_string(),
            memory_total_bytes: mib("memory.total").filter(|b| *b > 0),
            memory_free_bytes: mib("memory.free"),
            power_limit_w: num("power.limit"),
            pcie_gen: num("pcie.link.gen.max").map(|v| v as u32),
            pcie_lanes: num("pcie.link.width.max").map(|v| v as u32),
        });
    }
    Ok(gpus)
}

/// PCIe bandwidth per direction, GB/s, of a generation and lane count: the line rate per
/// lane after encoding (PCI-SIG: gen 3 8 GT/s 128b/130b = 0.985 GB/s; each later generation
/// doubles it), times the lanes.
pub fn pcie_gb_s(gen: u32, lanes: u32) -> Option<f64> {
    let per_lane = match gen {
        3 => 0.985,
        4 => 1.969,
        5 => 3.938,
        6 => 7.563,
        _ => return None,
    };
    Some(per_lane * lanes as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rows_and_not_available() {
        let t = "name, memory.total [MiB], memory.free [MiB], power.limit [W], pcie.link.gen.max, pcie.link.width.max\n\
                 NVIDIA GB10, [N/A], [N/A], [N/A], [N/A], [N/A]\n";
        let g = parse_query_csv(t).unwrap();
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].name, "NVIDIA GB10");
        assert_eq!(g[0].memory_total_bytes, None);
        assert!(parse_query_csv("").is_err());
        assert!(parse_query_csv("name, memory.total [MiB]\nA, 1, 2\n").is_err());
    }

    #[test]
    fn pcie_rates() {
        // 16 lanes of gen 4: 16 × 1.969 = 31.5 GB/s.
        assert!((pcie_gb_s(4, 16).unwrap() - 31.5).abs() < 0.01);
        assert_eq!(pcie_gb_s(2, 16), None);
    }
}
