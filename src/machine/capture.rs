//! The raw text detection reads, captured once: from the live machine
//! ([`Captured::live`]), or from a directory of saved captures ([`Captured::from_dir`]),
//! which the tests use with the fixtures of real tools' output.
//!
//! File names of a capture directory: `cpuinfo`, `meminfo`, `node-online`
//! (`/sys/devices/system/node/online`), `nvidia-smi.csv`, `rocm-smi.json`, `drm/cardN/device/…`
//! (a copy of `/sys/class/drm`), `sysctl.txt`, `system_profiler.json`.

use super::amd::{self, AmdGpu};
use super::run::{run_tool, TOOL_TIMEOUT};
use super::{apple, nvidia};
use std::path::Path;

/// The operating system a capture comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// Linux: `/proc`, `/sys`, nvidia-smi, rocm-smi.
    Linux,
    /// macOS: sysctl, system_profiler.
    MacOs,
    /// Anything else: nothing is read.
    Other,
}

/// Captured text of every source detection reads; `None` where a source gave nothing.
#[derive(Debug, Clone)]
pub struct Captured {
    /// The operating system.
    pub os: Os,
    /// `/proc/cpuinfo`.
    pub cpuinfo: Option<String>,
    /// `/proc/meminfo`.
    pub meminfo: Option<String>,
    /// `/sys/devices/system/node/online`.
    pub node_online: Option<String>,
    /// `nvidia-smi` query output ([`nvidia::QUERY_ARGS`]).
    pub nvidia_smi: Option<String>,
    /// `rocm-smi` JSON ([`amd::ROCM_SMI_ARGS`]).
    pub rocm_smi: Option<String>,
    /// AMD cards read from the drm sysfs tree.
    pub drm: Vec<AmdGpu>,
    /// `sysctl` output for [`apple::SYSCTL_KEYS`].
    pub sysctl: Option<String>,
    /// `system_profiler SPDisplaysDataType -json`.
    pub displays: Option<String>,
    /// Why a source gave nothing (tool missing, timed out, failed).
    pub notes: Vec<String>,
}

impl Captured {
    /// An empty capture.
    pub fn empty(os: Os) -> Captured {
        Captured {
            os,
            cpuinfo: None,
            meminfo: None,
            node_online: None,
            nvidia_smi: None,
            rocm_smi: None,
            drm: Vec::new(),
            sysctl: None,
            displays: None,
            notes: Vec::new(),
        }
    }

    /// Reads this machine: the files of its operating system, and each vendor tool run
    /// with [`TOOL_TIMEOUT`].
    pub fn live() -> Captured {
        if cfg!(target_os = "linux") {
            let mut c = Captured::empty(Os::Linux);
            c.cpuinfo = std::fs::read_to_string("/proc/cpuinfo").ok();
            c.meminfo = std::fs::read_to_string("/proc/meminfo").ok();
            c.node_online = std::fs::read_to_string("/sys/devices/system/node/online").ok();
            c.nvidia_smi = c.tool("nvidia-smi", &nvidia::QUERY_ARGS);
            c.rocm_smi = c.tool("rocm-smi", &amd::ROCM_SMI_ARGS);
            c.drm = amd::read_drm(Path::new("/sys/class/drm"));
            c
        } else if cfg!(target_os = "macos") {
            let mut c = Captured::empty(Os::MacOs);
            // One key at a time: sysctl fails on a key an older macOS lacks.
            let lines: Vec<String> = apple::SYSCTL_KEYS
                .iter()
                .filter_map(|k| run_tool("sysctl", &[k], TOOL_TIMEOUT).ok())
                .collect();
            if lines.is_empty() {
                c.notes.push("sysctl gave nothing".into());
            } else {
                c.sysctl = Some(lines.concat());
            }
            c.displays = c.tool("system_profiler", &apple::SYSTEM_PROFILER_ARGS);
            c
        } else {
            let mut c = Captured::empty(Os::Other);
            c.notes.push(format!(
                "detection reads Linux and macOS; this is {}",
                std::env::consts::OS
            ));
            c
        }
    }

    fn tool(&mut self, program: &str, args: &[&str]) -> Option<String> {
        match run_tool(program, args, TOOL_TIMEOUT) {
            Ok(text) => Some(text),
            Err(e) => {
                self.notes.push(format!("{e}; skipped"));
                None
            }
        }
    }

    /// Reads a directory of saved captures (see the module documentation). macOS when it
    /// holds `sysctl.txt`, else Linux.
    pub fn from_dir(dir: &Path) -> Captured {
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).ok();
        let os = if dir.join("sysctl.txt").exists() {
            Os::MacOs
        } else {
            Os::Linux
        };
        let mut c = Captured::empty(os);
        c.cpuinfo = read("cpuinfo");
        c.meminfo = read("meminfo");
        c.node_online = read("node-online");
        c.nvidia_smi = read("nvidia-smi.csv");
        c.rocm_smi = read("rocm-smi.json");
        c.drm = amd::read_drm(&dir.join("drm"));
        c.sysctl = read("sysctl.txt");
        c.displays = read("system_profiler.json");
        c
    }
}
