//! The saved machine `this`: `tokenfit detect --save` writes what detection found as one
//! device entry in the configuration directory (beside the local calibration of
//! `calibrate --add`), and every later run merges it, so `--device this` names this
//! machine and llama-bench rows whose `cpu_info` / `gpu_info` it was saved under map to it.
//!
//! The entry is built around the primary part: the matched GPU or SoC with the most memory,
//! else the CPU. A matched part starts from its database entry (family, compute, power,
//! sources) with the memory as read; a CPU's bandwidth is the probe's read figure when it
//! ran. An unmatched CPU is described from what was read: capacity from `/proc/meminfo`,
//! bandwidth measured, FP16 peak computed (`detect::computed_cpu_tflops`). The matched
//! entry's fitted efficiencies are copied to `this`, so the machine predicts as its entry
//! does until its own runs are added with `calibrate --add`.

use super::{BandwidthSource, Detection, Part};
use crate::db::hardware::{ComputeRaw, DeviceKind, DeviceRaw, MemoryRaw, TierRaw};
use crate::db::{Db, THIS_DEVICE_ID};
use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// File name of the saved machine inside the configuration directory.
pub const SAVED_FILE: &str = "this-device.yaml";

const GIB: f64 = (1u64 << 30) as f64;

/// Raw mirror of the saved file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SavedMachineRaw {
    /// The database entry the primary part matched, whose fitted efficiencies `this` uses.
    #[serde(default)]
    pub matched: Option<String>,
    /// The one device, id `this`.
    pub devices: Vec<DeviceRaw>,
}

/// The part `this` is built around: the matched accelerator with the most memory, else
/// the CPU.
pub fn primary(det: &Detection) -> Option<&Part> {
    det.parts
        .iter()
        .filter(|p| p.kind != DeviceKind::Cpu && p.matched.is_some())
        .max_by_key(|p| p.capacity_bytes.unwrap_or(0))
        .or_else(|| det.parts.iter().find(|p| p.kind == DeviceKind::Cpu))
}

fn measured_source(cpu: &Part) -> String {
    format!(
        "[measured] tokenfit detect: read kernel on {} threads, best pass (triad {:.1} GB/s)",
        cpu.threads.unwrap_or(1),
        cpu.measured_triad_gb_s.unwrap_or(0.0)
    )
}

/// The device entry `this` for a detection, with the id it matched.
pub fn build_this(db: &Db, det: &Detection) -> Result<SavedMachineRaw> {
    let p = primary(det).ok_or_else(|| Error::Input("detection found no CPU or GPU".into()))?;
    let cpu = det.parts.iter().find(|x| x.kind == DeviceKind::Cpu);
    let entry = p.matched.as_deref().map(|id| db.device(id)).transpose()?;
    let mut raw = match entry {
        Some(d) => d.raw.clone(),
        None => unmatched_cpu(p)?,
    };
    raw.id = THIS_DEVICE_ID.into();
    raw.name = format!("This machine: {}", p.name);
    raw.aliases = vec![p.name.clone()];
    if p.kind != DeviceKind::DiscreteGpu {
        // llama-bench prints the CPU's brand as cpu_info on CPU and unified machines.
        raw.aliases
            .extend(cpu.filter(|c| c.name != p.name).map(|c| c.name.clone()));
    }
    raw.sources.insert(
        0,
        format!("tokenfit detect: {} (read on this machine)", p.read_from),
    );
    set_memory(&mut raw.memory, p, cpu);
    if raw.kind == DeviceKind::Cpu {
        if let Some(c) = cpu.and_then(cpu_block) {
            raw.cpu = Some(c);
        }
    }
    Ok(SavedMachineRaw {
        matched: p.matched.clone(),
        devices: vec![raw],
    })
}

/// The fast tier as read; a CPU's bandwidth as measured; a discrete GPU's host tier as read.
fn set_memory(m: &mut MemoryRaw, p: &Part, cpu: Option<&Part>) {
    if let Some(c) = p.capacity_bytes {
        let old = m.fast.capacity_gib;
        m.fast.capacity_gib = round3(c as f64 / GIB);
        // The usable share of the entry, kept as a share of what was read.
        m.fast.usable_gib = m
            .fast
            .usable_gib
            .map(|u| round3(u / old * m.fast.capacity_gib));
        m.fast.source = format!("capacity read by tokenfit detect; {}", m.fast.source);
    }
    if let Some(u) = p.usable_bytes {
        m.fast.usable_gib = Some(round3(u as f64 / GIB));
    }
    if p.kind == DeviceKind::Cpu && p.bandwidth_source == Some(BandwidthSource::Measured) {
        m.fast.bandwidth_gb_s = round3(p.bandwidth_gb_s.unwrap_or(0.0));
        m.fast.source = measured_source(p);
    }
    if let (DeviceKind::DiscreteGpu, Some(h), Some(c)) = (p.kind, m.host.as_mut(), cpu) {
        if let Some(b) = c.capacity_bytes {
            h.capacity_gib = round3(b as f64 / GIB);
        }
        if c.bandwidth_source == Some(BandwidthSource::Measured) {
            h.bandwidth_gb_s = round3(c.bandwidth_gb_s.unwrap_or(0.0));
            h.source = measured_source(c);
        }
    }
    if let (Some(l), Some(g), Some(n)) = (m.link.as_mut(), p.pcie_gen, p.pcie_lanes) {
        if let Some(bw) = super::nvidia::pcie_gb_s(g, n) {
            l.pcie_gen = Some(g as f64);
            l.lanes = Some(n);
            l.bandwidth_gb_s = round3(bw);
            l.source = format!("[computed] PCIe gen {g} x{n} read by nvidia-smi (PCI-SIG rates)");
        }
    }
}

/// The CPU block of a detected CPU: cores, threads and features as read (llama.cpp's CPU
/// backend runs one thread per physical core by default, with kernels for these features).
fn cpu_block(c: &Part) -> Option<crate::db::cpu::CpuRaw> {
    let cores = c.cores?;
    Some(crate::db::cpu::CpuRaw {
        cores,
        threads: c.threads.unwrap_or(cores).max(cores),
        features: c.cpu_features.clone(),
        source: format!("read by tokenfit detect: {}", c.read_from),
    })
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// An entry for a CPU no database entry matches, from what was read and measured.
fn unmatched_cpu(p: &Part) -> Result<DeviceRaw> {
    let capacity = p
        .capacity_bytes
        .ok_or_else(|| Error::Input("RAM unknown (/proc/meminfo unreadable)".into()))?;
    let bw = p
        .bandwidth_gb_s
        .filter(|_| p.bandwidth_source == Some(BandwidthSource::Measured))
        .ok_or_else(|| {
            Error::Input(format!(
                "'{}' matches no database entry and its bandwidth was not measured: run `tokenfit detect --save` without --no-probe",
                p.name
            ))
        })?;
    let tflops = p
        .fp16_tflops
        .ok_or_else(|| Error::Input(format!("'{}': no clock read, so no compute peak", p.name)))?;
    let arm = p.cpu_features.iter().any(|f| f == "asimd");
    Ok(DeviceRaw {
        id: THIS_DEVICE_ID.into(),
        name: p.name.clone(),
        vendor: if p.vendor == "apple" { "generic".into() } else { p.vendor.clone() },
        kind: DeviceKind::Cpu,
        family: if arm { "cpu-arm" } else { "cpu-x86" }.into(),
        aliases: Vec::new(),
        memory: MemoryRaw {
            fast: TierRaw {
                capacity_gib: round3(capacity as f64 / GIB),
                bandwidth_gb_s: round3(bw),
                usable_gib: None,
                source: String::new(),
                note: Some("no usable_gib: the OS and other processes share this RAM".into()),
            },
            host: None,
            link: None,
        },
        compute: ComputeRaw {
            fp16_tflops: round3(tflops),
            fp16_acc16_tflops: None,
            bf16_tflops: None,
            fp8_tflops: None,
            fp4_tflops: None,
            int8_tops: None,
            fp32_tflops: Some(round3(tflops)),
            sms: None,
            source: {
                let lanes = if p.cpu_features.iter().any(|f| f == "avx512f") {
                    16
                } else if p.cpu_features.iter().any(|f| f == "avx2") {
                    8
                } else {
                    4
                };
                let cores = p.cores.unwrap_or(1);
                let ghz = tflops * 1000.0 / (cores as f64 * lanes as f64 * 4.0);
                format!(
                    "[computed] {cores} cores x {lanes} FP32 lanes x 2 FLOP per FMA x 2 FMA pipes [assumed] x {ghz:.2} GHz (clock read by tokenfit detect)"
                )
            },
            note: None,
        },
        power_w: 10.0 * p.cores.unwrap_or(1) as f64,
        power_limit: None,
        cpu: cpu_block(p),
        price: None,
        sources: Vec::new(),
        notes: Some(crate::db::Text::One(
            "power_w is [assumed] 10 W per physical core (no power reading on this machine); only break-even uses it: pass --power-w".into(),
        )),
    })
}

/// Writes the saved machine to `<dir>/this-device.yaml` (safely, see [`crate::file`]).
pub fn write_saved(dir: &Path, m: &SavedMachineRaw) -> Result<PathBuf> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |e| Error::Io { path, cause: e }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let path = dir.join(SAVED_FILE);
    let text = format!(
        "# This machine, saved by `tokenfit detect --save`; `--device this` names it.\n{}",
        serde_norway::to_string(m).expect("a device entry serializes")
    );
    crate::file::write_file(&path, text.as_bytes()).map_err(io(&path))?;
    Ok(path)
}

impl Db {
    /// Merges the saved machine of `path` as the device `this` (replacing one of that id),
    /// with the fitted efficiencies of the entry it matched. A missing file is not an error.
    pub fn merge_saved_machine(&mut self, path: &Path) -> Result<bool> {
        if !path.exists() {
            return Ok(false);
        }
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
            path: path.to_path_buf(),
            cause: e,
        })?;
        let saved: SavedMachineRaw = serde_norway::from_str(&text).map_err(|e| Error::Parse {
            file: file.clone(),
            line: e.location().map(|l| l.line()),
            msg: e.to_string(),
        })?;
        let [raw] = <[DeviceRaw; 1]>::try_from(saved.devices).map_err(|_| Error::Parse {
            file: file.clone(),
            line: None,
            msg: "expected exactly one device".into(),
        })?;
        if raw.id != THIS_DEVICE_ID {
            return Err(Error::Db {
                file,
                entry: raw.id,
                field: "id".into(),
                msg: format!("the saved machine's id must be '{THIS_DEVICE_ID}'"),
            });
        }
        let mut dev = crate::db::validate_device(&file, raw)?;
        let matched = saved
            .matched
            .as_deref()
            .and_then(|id| self.devices.iter().find(|d| d.id() == id))
            .cloned();
        if let Some(m) = &matched {
            if m.fp16_peak == dev.fp16_peak {
                dev.sustained_peak = m.sustained_peak;
                dev.quant_peak = m.quant_peak;
            }
            let copies: Vec<_> = self
                .fitted
                .entries
                .iter()
                .filter(|e| e.device.as_deref() == Some(m.id()))
                .map(|e| {
                    let mut c = e.clone();
                    c.device = Some(THIS_DEVICE_ID.into());
                    c
                })
                .collect();
            self.fitted.entries.extend(copies);
        }
        self.devices.retain(|d| d.id() != THIS_DEVICE_ID);
        self.devices.push(dev);
        Ok(true)
    }
}
