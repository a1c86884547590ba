//! `detect`: what this machine is (CPU, RAM, GPUs, each matched to the database), its
//! measured memory bandwidth, and `--save` to keep it as the device `this`.

use anyhow::{Context, Result};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use tokenfit::db::Db;
use tokenfit::machine::capture::Captured;
use tokenfit::machine::{detect, linux, probe, saved, BandwidthSource, Part};
use tokenfit::report::{Cell, Output, View};

/// `detect` arguments.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// Keep this machine as the device `this` in your config directory (TOKENFIT_CONFIG_DIR,
    /// else ~/.config/tokenfit): then `--device this` works everywhere, and llama-bench rows
    /// from this machine map to it.
    #[arg(long)]
    pub save: bool,
    /// Skip the memory bandwidth probe (a few seconds of streaming over all cores); the
    /// bandwidth is then the matched database entry's.
    #[arg(long = "no-probe")]
    pub no_probe: bool,
    /// Read saved captures from DIR instead of this machine (cpuinfo, meminfo,
    /// nvidia-smi.csv, rocm-smi.json, drm/, sysctl.txt, system_profiler.json).
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
}

const GIB: f64 = (1u64 << 30) as f64;

fn view(parts: &[Part]) -> View {
    let gib = |b: Option<u64>| Cell::opt(b.map(|b| b as f64 / GIB), 1);
    View {
        headers: [
            "id",
            "name",
            "kind",
            "matched",
            "memory GiB",
            "free GiB",
            "bandwidth GB/s",
            "bandwidth from",
            "FP16 TFLOP/s",
            "cores",
            "threads",
        ]
        .map(String::from)
        .to_vec(),
        rows: parts
            .iter()
            .map(|p| {
                vec![
                    p.id.as_str().into(),
                    p.name.as_str().into(),
                    p.kind.label().into(),
                    p.matched.clone().unwrap_or_else(|| "—".into()).into(),
                    gib(p.capacity_bytes),
                    gib(p.free_bytes),
                    Cell::opt(p.bandwidth_gb_s, 1),
                    match p.bandwidth_source {
                        Some(BandwidthSource::Measured) => "measured".into(),
                        Some(BandwidthSource::Database) => "database".into(),
                        None => Cell::Empty,
                    },
                    Cell::opt(p.fp16_tflops, 2),
                    Cell::opt(p.cores.map(f64::from), 0),
                    Cell::opt(p.threads.map(f64::from), 0),
                ]
            })
            .collect(),
    }
}

pub fn detect_cmd(db: &Db, a: DetectArgs) -> Result<Output<'_>> {
    let cap = match &a.from {
        Some(dir) => Captured::from_dir(dir),
        None => Captured::live(),
    };
    let probed = (!a.no_probe).then(|| {
        let avail = cap
            .meminfo
            .as_deref()
            .and_then(linux::parse_meminfo)
            .and_then(|m| m.available_bytes);
        let spin =
            super::output::spinner("measuring memory bandwidth (read and triad, every core)");
        let r = probe::probe_host(avail);
        spin.finish_and_clear();
        r
    });
    let det = detect::detect(db, &cap, probed.as_ref());
    let mut out = Output::new(json!({
        "command": "detect", "save": a.save, "probe": !a.no_probe,
        "from": a.from.as_ref().map(|p| p.display().to_string()),
    }));
    out.title = Some("This machine: what was read, and what it matched".into());
    out.view = view(&det.parts);
    out.set_results(det.parts.clone());
    if let Some(r) = &probed {
        out.notes.push(format!(
            "probe: read {:.1} GB/s, triad {:.1} GB/s ({} threads, {:.0} MiB of arrays, best of {} passes)",
            r.read_gb_s,
            r.triad_gb_s,
            r.threads,
            r.bytes as f64 / (1u64 << 20) as f64,
            r.passes
        ));
        out.summary = Some(json!({ "probe": r }));
    }
    out.notes.extend(det.notes.iter().cloned());
    if a.save {
        let m = saved::build_this(db, &det).context("building the device 'this'")?;
        let dir = tokenfit::calib::local::config_dir()
            .context("no configuration directory: set TOKENFIT_CONFIG_DIR or HOME")?;
        let path = saved::write_saved(&dir, &m)?;
        out.notes.push(format!(
            "saved as the device 'this' ({}{}): try `tokenfit fit <model> --devices this`",
            path.display(),
            m.matched
                .as_deref()
                .map(|id| format!(", built on '{id}'"))
                .unwrap_or_default()
        ));
    }
    Ok(out)
}
