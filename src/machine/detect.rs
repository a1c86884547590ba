//! Detection: the parts of this machine from captured text, each matched to a database
//! entry (see [`super::matching`]) or described from what was read.
//!
//! Linux: the CPU and its RAM from `/proc`, NVIDIA GPUs from nvidia-smi, AMD GPUs from
//! rocm-smi (else the amdgpu sysfs files). A GPU without dedicated memory (DGX Spark's GB10)
//! and an AMD GPU inside a CPU that names it (`… w/ Radeon 8060S`) are unified: they compute
//! from the host's memory. macOS: one unified part from sysctl and system_profiler.
//!
//! Bandwidth: the probe's read figure for a CPU when it ran, else the matched entry's peak.
//! An unmatched CPU's FP16 peak is computed as cores × FP32 lanes × 2 FLOP per FMA × 2 FMA
//! pipes × clock (the brand string's rated clock, else the highest `cpu MHz`); the 2 pipes
//! are an assumption (true of recent x86 server and desktop cores, not of every core).

use super::capture::{Captured, Os};
use super::linux::{brand_clock_ghz, count_list, parse_cpuinfo, parse_meminfo, CpuInfo};
use super::matching::match_device;
use super::probe::ProbeResult;
use super::{amd, apple, nvidia, BandwidthSource, Detection, Part};
use crate::db::hardware::{Device, DeviceKind};
use crate::db::Db;

/// FMA pipes per core assumed for an unmatched CPU's computed peak.
const ASSUMED_FMA_PIPES: f64 = 2.0;

/// Detects the parts of a captured machine. `probe` is the bandwidth probe's result when it
/// ran (it is attached to the CPU or SoC part).
pub fn detect(db: &Db, cap: &Captured, probe: Option<&ProbeResult>) -> Detection {
    let mut det = Detection {
        parts: Vec::new(),
        notes: cap.notes.clone(),
    };
    match cap.os {
        Os::Linux => {
            let cpu = linux_cpu(db, cap, probe, &mut det);
            let host = cap.meminfo.as_deref().and_then(parse_meminfo);
            nvidia_parts(db, cap, host, &mut det);
            amd_parts(db, cap, cpu.as_ref(), &mut det);
        }
        Os::MacOs => apple_part(db, cap, probe, &mut det),
        Os::Other => {}
    }
    det
}

fn vendor_of(name: &str) -> &'static str {
    let l = name.to_lowercase();
    if l.contains("amd") || l.contains("epyc") || l.contains("ryzen") {
        "amd"
    } else if l.contains("intel") || l.contains("xeon") {
        "intel"
    } else if l.contains("apple") {
        "apple"
    } else {
        "generic"
    }
}

fn from_entry(p: &mut Part, d: &Device) {
    p.matched = Some(d.id().to_string());
    p.fp16_tflops = Some(d.raw.compute.fp16_tflops);
    p.bandwidth_gb_s = Some(d.raw.memory.fast.bandwidth_gb_s);
    p.bandwidth_source = Some(BandwidthSource::Database);
}

fn attach_probe(p: &mut Part, probe: &ProbeResult) {
    p.measured_read_gb_s = Some(probe.read_gb_s);
    p.measured_triad_gb_s = Some(probe.triad_gb_s);
}

/// The computed FP16 peak of an unmatched CPU, TFLOP/s (see the module documentation).
pub fn computed_cpu_tflops(info: &CpuInfo) -> Option<f64> {
    let ghz = info
        .model_name
        .as_deref()
        .and_then(brand_clock_ghz)
        .or(info.max_mhz.map(|m| m / 1000.0))
        .filter(|g| *g > 0.0)?;
    Some(info.cores as f64 * info.fp32_lanes() as f64 * 2.0 * ASSUMED_FMA_PIPES * ghz / 1000.0)
}

fn linux_cpu(
    db: &Db,
    cap: &Captured,
    probe: Option<&ProbeResult>,
    det: &mut Detection,
) -> Option<CpuInfo> {
    let Some(info) = cap.cpuinfo.as_deref().and_then(parse_cpuinfo) else {
        det.notes
            .push("/proc/cpuinfo: unreadable or lists no processor; CPU skipped".into());
        return None;
    };
    let name = info.model_name.clone().unwrap_or_else(|| "CPU".into());
    let mut p = Part::new(
        "cpu0",
        &name,
        DeviceKind::Cpu,
        vendor_of(&name),
        "/proc/cpuinfo",
    );
    p.cores = Some(info.cores);
    p.threads = Some(info.threads);
    p.sockets = Some(info.sockets);
    p.numa_nodes = cap.node_online.as_deref().and_then(count_list);
    p.cpu_features = info.features.clone();
    match cap.meminfo.as_deref().and_then(parse_meminfo) {
        Some(m) => {
            p.capacity_bytes = Some(m.total_bytes);
            p.free_bytes = m.available_bytes;
            p.read_from.push_str(", /proc/meminfo");
        }
        None => det
            .notes
            .push("/proc/meminfo: unreadable; RAM unknown".into()),
    }
    match match_device(db, std::slice::from_ref(&name), &[DeviceKind::Cpu], None) {
        Some(d) => {
            from_entry(&mut p, d);
            if info.sockets > 1 {
                det.notes.push(format!(
                    "{} sockets: the entry '{}' describes one; its bandwidth and peak are one socket's",
                    info.sockets,
                    d.id()
                ));
            }
        }
        None => p.fp16_tflops = computed_cpu_tflops(&info),
    }
    if let Some(r) = probe {
        attach_probe(&mut p, r);
        p.bandwidth_gb_s = Some(r.read_gb_s);
        p.bandwidth_source = Some(BandwidthSource::Measured);
    }
    det.parts.push(p);
    Some(info)
}

fn next_gpu_id(det: &Detection) -> String {
    let n = det.parts.iter().filter(|p| p.id.starts_with("gpu")).count();
    format!("gpu{n}")
}

fn nvidia_parts(db: &Db, cap: &Captured, host: Option<super::linux::MemInfo>, det: &mut Detection) {
    let Some(text) = cap.nvidia_smi.as_deref() else {
        return;
    };
    let gpus = match nvidia::parse_query_csv(text) {
        Ok(g) => g,
        Err(e) => {
            det.notes.push(format!("{e}; NVIDIA GPUs skipped"));
            return;
        }
    };
    for g in gpus {
        let unified = g.memory_total_bytes.is_none();
        let kind = if unified {
            DeviceKind::UnifiedSoc
        } else {
            DeviceKind::DiscreteGpu
        };
        let mut p = Part::new(&next_gpu_id(det), &g.name, kind, "nvidia", "nvidia-smi");
        if unified {
            // No dedicated memory (GB10): the GPU computes from the host's pool.
            p.capacity_bytes = host.map(|m| m.total_bytes);
            p.free_bytes = host.and_then(|m| m.available_bytes);
        } else {
            p.capacity_bytes = g.memory_total_bytes;
            p.free_bytes = g.memory_free_bytes;
        }
        p.power_limit_w = g.power_limit_w;
        p.pcie_gen = g.pcie_gen;
        p.pcie_lanes = g.pcie_lanes;
        match match_device(db, std::slice::from_ref(&g.name), &[kind], p.capacity_bytes) {
            Some(d) => from_entry(&mut p, d),
            None => det.notes.push(format!(
                "'{}': no database entry matches; bandwidth and peak unknown (add one with --db)",
                g.name
            )),
        }
        det.parts.push(p);
    }
}

fn amd_parts(db: &Db, cap: &Captured, cpu: Option<&CpuInfo>, det: &mut Detection) {
    let from_smi = match cap.rocm_smi.as_deref().map(amd::parse_rocm_smi_json) {
        Some(Ok(g)) if !g.is_empty() => Some(g),
        Some(Err(e)) => {
            det.notes
                .push(format!("{e}; read the amdgpu sysfs files instead"));
            None
        }
        _ => None,
    };
    let gpus = from_smi.unwrap_or_else(|| cap.drm.clone());
    let cpu_name = cpu.and_then(|c| c.model_name.clone());
    // An APU's CPU names its GPU (`AMD RYZEN AI MAX+ 395 w/ Radeon 8060S`).
    let integrated = cpu_name
        .as_deref()
        .is_some_and(|n| n.to_lowercase().contains("radeon"));
    for g in gpus {
        let kind = if integrated {
            DeviceKind::UnifiedSoc
        } else {
            DeviceKind::DiscreteGpu
        };
        let mut p = Part::new(&next_gpu_id(det), &g.name, kind, "amd", &g.read_from);
        let used = g.vram_used_bytes.unwrap_or(0) + g.gtt_used_bytes.unwrap_or(0);
        p.vram_bytes = g.vram_total_bytes;
        p.gtt_bytes = g.gtt_total_bytes;
        p.capacity_bytes = if integrated {
            // Carve-out plus GTT: all the memory the GPU can map.
            Some(g.vram_total_bytes.unwrap_or(0) + g.gtt_total_bytes.unwrap_or(0))
                .filter(|b| *b > 0)
        } else {
            g.vram_total_bytes
        };
        p.free_bytes = if integrated {
            p.capacity_bytes.map(|c| c.saturating_sub(used))
        } else {
            g.vram_total_bytes
                .zip(g.vram_used_bytes)
                .map(|(t, u)| t.saturating_sub(u))
        };
        let mut names = vec![g.name.clone()];
        if integrated {
            names.extend(cpu_name.clone());
        }
        match match_device(db, &names, &[kind], p.capacity_bytes) {
            Some(d) => from_entry(&mut p, d),
            None => det.notes.push(format!(
                "'{}': no database entry matches; bandwidth and peak unknown (add one with --db)",
                g.name
            )),
        }
        det.parts.push(p);
    }
}

fn apple_part(db: &Db, cap: &Captured, probe: Option<&ProbeResult>, det: &mut Detection) {
    let s = apple::parse_sysctl(cap.sysctl.as_deref().unwrap_or(""));
    let gpus = match cap.displays.as_deref().map(apple::parse_displays_json) {
        Some(Ok(g)) => g,
        Some(Err(e)) => {
            det.notes.push(format!("{e}; GPU cores unknown"));
            Vec::new()
        }
        None => Vec::new(),
    };
    let gpu = gpus.first();
    let Some(name) = gpu.map(|g| g.name.clone()).or(s.brand.clone()) else {
        det.notes
            .push("sysctl and system_profiler name no chip; skipped".into());
        return;
    };
    let mut p = Part::new("soc0", &name, DeviceKind::UnifiedSoc, "apple", "sysctl");
    if gpu.is_some() {
        p.read_from.push_str(", system_profiler");
    }
    p.capacity_bytes = s.memsize_bytes;
    p.usable_bytes = s.wired_limit_mib.map(|m| m << 20);
    p.cores = s.physical_cpus;
    p.threads = s.logical_cpus;
    p.gpu_cores = gpu.and_then(|g| g.gpu_cores);
    let mut names = Vec::new();
    if let Some(c) = p.gpu_cores {
        names.push(format!("{name} ({c}-core GPU)"));
    }
    names.push(name.clone());
    names.extend(s.brand.clone());
    match match_device(db, &names, &[DeviceKind::UnifiedSoc], p.capacity_bytes) {
        Some(d) => from_entry(&mut p, d),
        None => det
            .notes
            .push(format!("'{name}': no database entry matches")),
    }
    det.notes
        .push("macOS: free memory is not read (vm_stat is not parsed)".into());
    if let Some(r) = probe {
        // The CPU cores cannot draw the GPU's bandwidth: the probe is shown, not used.
        attach_probe(&mut p, r);
    }
    det.parts.push(p);
}
