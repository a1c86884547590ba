//! `calibrate`: fit efficiencies to traces, or fold the user's own runs into a local file.

use anyhow::{bail, Context, Result};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use tokenfit::db::calibration::EfficiencyEntry;
use tokenfit::db::Db;
use tokenfit::report::{Cell, Output, View};

/// `calibrate` arguments.
#[derive(Debug, Args)]
pub struct CalibrateArgs {
    /// Trace files: normalized CSV, llama-bench csv/json/jsonl/md, llama-batched-bench md.
    #[arg(required_unless_present = "add")]
    pub traces: Vec<PathBuf>,
    /// Fold your own measurements (e.g. the output of a prediction's verify command) into
    /// a local calibration in your config directory (TOKENFIT_CONFIG_DIR, else
    /// ~/.config/tokenfit); the shipped calibration is never changed.
    #[arg(long, value_name = "FILE")]
    pub add: Option<PathBuf>,
    /// List every row that could not be mapped, with the reason, on stderr.
    #[arg(long)]
    pub verbose: bool,
    /// Fit llama.cpp's CPU kernels instead (threads, per-quant kernel rates, attention with
    /// and without flash attention, fixed times) on the rows of CPUs whose cores and features
    /// are known, and print them in the form of calibration/cpu.yaml.
    #[arg(long = "cpu-kernels", conflicts_with = "add")]
    pub cpu_kernels: bool,
}

pub(crate) fn load_traces<'a>(
    db: &'a Db,
    paths: &[std::path::PathBuf],
    verbose: bool,
    out: &mut Vec<String>,
) -> Result<tokenfit::calib::run::Loaded<'a>> {
    let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let loaded = tokenfit::calib::run::load(db, &refs)?;
    out.extend(loaded.notes.iter().cloned());
    if verbose {
        list_unmapped(&loaded.unmapped);
        for s in loaded.samples.iter().filter(|s| s.left_out.is_some()) {
            let (row, cause) = (&s.mapped.row, s.left_out.as_deref().unwrap_or_default());
            eprintln!("left out of the fit: {}:{}: {cause}", row.file, row.line);
        }
    }
    if loaded.samples.is_empty() {
        bail!(
            "no usable rows in {} file(s): {} rows could not be mapped{}",
            paths.len(),
            loaded.unmapped.len(),
            if verbose {
                " (listed above)"
            } else {
                " (run with --verbose to see why)"
            }
        );
    }
    if !verbose && !loaded.unmapped.is_empty() {
        out.push(format!(
            "{} rows could not be mapped and were left out (--verbose lists them with the reason)",
            loaded.unmapped.len()
        ));
    }
    Ok(loaded)
}

/// Lists rows that could not be used, with the reason, on stderr (`--verbose`).
pub(crate) fn list_unmapped(rows: &[tokenfit::calib::map::Unmapped]) {
    for u in rows {
        eprintln!("unmapped: {}:{}: {}", u.file, u.line, u.reason);
    }
}

/// Refuses traces with nothing for the fit: every usable row batched (B > 1) or run across
/// several devices, which `validate` checks but the single-stream fit does not use.
pub(crate) fn require_fit_rows(loaded: &tokenfit::calib::run::Loaded, what: &str) -> Result<()> {
    if loaded.fitted_rows() == 0 {
        bail!(
            "nothing to fit in {what}: its {} usable rows are batched (B > 1) or run across \
             several devices; the fit uses single-stream rows (`tokenfit validate` checks these)",
            loaded.validation_only_rows()
        );
    }
    Ok(())
}

/// Fitted entries as a table: what each applies to, its rows, its parameters and its fit
/// quality.
fn entries_view(entries: &[EfficiencyEntry]) -> View {
    View {
        headers: [
            "backend",
            "family",
            "kind",
            "vendor",
            "device",
            "rows",
            "η bandwidth",
            "fixed ms",
            "per layer-equivalent µs",
            "FA per layer-equivalent µs",
            "κ decode",
            "η compute (block/k/float/experts)",
            "κ prefill",
            "tg MAPE %",
            "pp MAPE %",
        ]
        .map(String::from)
        .to_vec(),
        rows: entries
            .iter()
            .map(|e| {
                let q = e.quality.unwrap_or_default();
                let x = &e.eff;
                vec![
                    e.backend.as_str().into(),
                    e.family.clone().unwrap_or_default().into(),
                    e.kind.map_or("", |k| k.label()).into(),
                    e.vendor.clone().unwrap_or_default().into(),
                    e.device.clone().unwrap_or_default().into(),
                    Cell::opt(e.rows.map(|r| r as f64), 0),
                    Cell::Num(x.bandwidth_frac, 3),
                    Cell::Num(x.fixed_s * 1e3, 3),
                    Cell::Num(x.layer_s * 1e6, 1),
                    Cell::Num(x.layer_fa_s * 1e6, 1),
                    Cell::Num(x.decode_attn, 2),
                    format!(
                        "{:.3}/{:.3}/{:.3}/{:.3}",
                        x.compute_frac,
                        x.kquant_compute_frac,
                        x.float_compute_frac,
                        x.expert_compute_frac
                    )
                    .into(),
                    Cell::Num(x.prefill_attn, 2),
                    Cell::opt(q.tg_mape_pct, 1),
                    Cell::opt(q.pp_mape_pct, 1),
                ]
            })
            .collect(),
    }
}

pub fn calibrate_cmd(db: &Db, a: crate::cli::calibrate::CalibrateArgs) -> Result<Output<'_>> {
    if let Some(file) = &a.add {
        return calibrate_add(db, file, a.verbose);
    }
    let mut warnings = Vec::new();
    let loaded = load_traces(db, &a.traces, a.verbose, &mut warnings)?;
    if a.cpu_kernels {
        return calibrate_cpu(db, &loaded, warnings);
    }
    require_fit_rows(&loaded, &format!("{} file(s)", a.traces.len()))?;
    let fitted = tokenfit::calib::run::calibrate(db, &loaded);
    let mut out = Output::new(json!({ "command": "calibrate", "traces": loaded.files }));
    out.raw_text = Some(tokenfit::calib::run::to_yaml(&fitted));
    out.summary = Some(
        json!({ "rows_used": fitted.rows_used, "rows_unmapped": fitted.rows_unmapped, "rows_validation_only": fitted.rows_validation_only }),
    );
    out.set_results(fitted.entries.clone());
    out.view = entries_view(&fitted.entries);
    warnings.push(format!(
        "{} rows used, {} unmapped, {} kept for validation only (batched, multi-device, llama-server, layers on the host, or left out for a cause --verbose lists), {} entries fitted",
        fitted.rows_used,
        fitted.rows_unmapped,
        fitted.rows_validation_only,
        fitted.entries.len()
    ));
    out.warnings = warnings;
    Ok(out)
}

/// `calibrate --cpu-kernels`: the CPU kernels' fit, as calibration/cpu.yaml.
fn calibrate_cpu<'a>(
    db: &'a Db,
    loaded: &tokenfit::calib::run::Loaded,
    mut warnings: Vec<String>,
) -> Result<Output<'a>> {
    let source = format!(
        "[fitted] tokenfit calibrate --cpu-kernels {} (squared log error of tok/s, every row weighing one)",
        loaded.files.join(" ")
    );
    let Some(k) = tokenfit::calib::cpu_fit::fit_cpu_kernels(db, &loaded.samples, &source)? else {
        bail!(
            "no rows for the CPU kernels: they need llama.cpp CPU rows on a CPU device whose cores \
             and features are known (a `cpu` block, as `tokenfit detect --save` writes)"
        );
    };
    let file = tokenfit::db::cpu::CpuKernelsFileRaw {
        source: Some(
            "Made by `tokenfit calibrate --cpu-kernels`; do not edit by hand (see docs/llama-cpu.md)".into(),
        ),
        cpu_kernels: vec![k.clone()],
    };
    let mut out = Output::new(json!({ "command": "calibrate", "traces": loaded.files }));
    out.raw_text = Some(serde_norway::to_string(&file).context("writing the CPU kernels as YAML")?);
    warnings.push(format!(
        "{} rows fitted: decode MAPE {:.1}%, prefill MAPE {:.1}% (in-sample)",
        k.rows,
        k.tg_mape_pct.unwrap_or(f64::NAN),
        k.pp_mape_pct.unwrap_or(f64::NAN)
    ));
    out.warnings = warnings;
    out.set_results(vec![k]);
    Ok(out)
}

fn calibrate_add(db: &Db, file: &std::path::Path, verbose: bool) -> Result<Output<'static>> {
    use tokenfit::calib::local::{add_trace, config_dir, fit_local, write_local};
    let dir =
        config_dir().context("no configuration directory: set TOKENFIT_CONFIG_DIR or HOME")?;
    // Read the new file first: a file that does not parse or map is refused before it is kept.
    let mut warnings = Vec::new();
    let new = load_traces(db, &[file.to_path_buf()], verbose, &mut warnings)?;
    require_fit_rows(&new, &file.display().to_string())?;
    let all = add_trace(&dir, file)?;
    let loaded = load_traces(db, &all, verbose, &mut warnings)?;
    let entries = fit_local(db, &loaded.samples);
    let fitted = tokenfit::db::calibration::FittedRaw {
        schema_version: 1,
        files: loaded.files.clone(),
        rows_used: loaded.fitted_rows(),
        rows_unmapped: loaded.unmapped.len(),
        rows_validation_only: loaded.validation_only_rows(),
        entries,
        coverage: tokenfit::calib::run::coverage(&loaded.samples),
        heldout_bands: Vec::new(),
    };
    let path = write_local(&dir, &fitted)?;
    let mut out = Output::new(
        json!({ "command": "calibrate", "add": file, "local_calibration": path, "traces": loaded.files }),
    );
    out.title = Some(format!(
        "local calibration written to {} ({} rows from {} file(s))",
        path.display(),
        fitted.rows_used,
        all.len()
    ));
    out.summary = Some(
        json!({ "rows_used": fitted.rows_used, "rows_unmapped": fitted.rows_unmapped, "path": path }),
    );
    out.view = entries_view(&fitted.entries);
    out.set_results(fitted.entries.clone());
    out.notes.push("your next predictions on these devices use it (efficiency: fitted); delete the file to go back".into());
    out.warnings = warnings;
    Ok(out)
}
