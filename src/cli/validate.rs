//! `validate`: predicted against measured on traces, with a holdout.

use super::calibrate::{list_unmapped, load_traces};
use super::common::plot_file;
use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tokenfit::calib::multi::validate_multi;
use tokenfit::calib::trace::Test;
use tokenfit::calib::validate::{
    stats, validate_with, ErrorStats, Holdout, HoldoutFits, ValidationRow,
};
use tokenfit::db::Db;
use tokenfit::report::{Cell, Output, View};

/// `validate` arguments.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Trace files.
    #[arg(required = true)]
    pub traces: Vec<PathBuf>,
    /// What the predicting fit leaves out: device (leave-one-device-out), model, none
    /// (in-sample refit), or shipped (no refit: the calibration `predict` uses). Default:
    /// device when every file is a shipped calibration trace, else shipped.
    #[arg(long)]
    pub holdout: Option<String>,
    /// List every row that could not be mapped, with the reason, on stderr.
    #[arg(long)]
    pub verbose: bool,
    /// Also draw predicted against measured to FILE (.svg or .png, 1200×800).
    #[arg(long, value_name = "FILE", value_parser = plot_file)]
    pub plot: Option<PathBuf>,
}

pub fn validate_cmd(db: &Db, a: crate::cli::validate::ValidateArgs) -> Result<Output<'_>> {
    let holdout = holdout_of(&a)?;
    let mut warnings = Vec::new();
    // Rows whose model file exists map to the model its GGUF header describes.
    let with_files = crate::cli::trace_models::with_trace_models(db, &a.traces, &mut warnings)?;
    let db = with_files.as_ref().unwrap_or(db);
    let loaded = load_traces(db, &a.traces, a.verbose, &mut warnings)?;
    // One fit per held-out device (or model), shared by its single- and multi-device rows.
    let mut fits = HoldoutFits::new(&loaded.samples, holdout);
    let bar = crate::cli::output::progress(fits.fits_needed() as u64, 2, "fits");
    fits.prepare(db, &|| bar.inc(1));
    bar.finish_and_clear();
    let mut rows = validate_with(db, &mut fits)?;
    let (multi_rows, multi_bad) = validate_multi(db, &loaded.multi, &mut fits);
    // The single-device rows that could not be used were listed on loading.
    if a.verbose {
        list_unmapped(&multi_bad);
    }
    let multi_of = |t: Test| {
        stats(
            &multi_rows
                .iter()
                .filter(|r| r.test == t)
                .collect::<Vec<_>>(),
        )
    };
    let (multi_tg, multi_pp) = (multi_of(Test::Tg), multi_of(Test::Pp));
    let n_multi = multi_rows.len();
    let unmapped_total = loaded.unmapped.len() + multi_bad.len();
    if let Some(p) = &a.plot {
        crate::cli::draw::calibration(&rows, &format!("{holdout:?}").to_lowercase(), p)?;
    }
    // Single-stream rows make the tg/pp summary; batched decode rows (B > 1) their own.
    let batched: Vec<_> = rows.iter().filter(|r| r.batch > 1).collect();
    let per_group = per_group(&rows);
    let (tg, pp) = (
        stats(&single(&rows, Test::Tg)),
        stats(&single(&rows, Test::Pp)),
    );
    let tg_batched = stats(&batched);
    let single: Vec<&ValidationRow> = single(&rows, Test::Tg)
        .into_iter()
        .chain(single(&rows, Test::Pp))
        .collect();
    let depth = tokenfit::calib::validate::by_depth(&single);
    let dev_mean = [Test::Tg, Test::Pp].map(|t| device_mean(&single, t));
    let dev_coverage = dev_mean.each_ref().map(|m| m.coverage_pct);
    let mut out =
        Output::new(json!({ "command": "validate", "traces": loaded.files, "holdout": holdout }));
    out.summary = Some(json!({
        "holdout": holdout, "tg": tg, "pp": pp,
        "tg_device_mean": &dev_mean[0], "pp_device_mean": &dev_mean[1],
        "per_file": per_file(&single), "tg_batched": tg_batched, "tg_multi": multi_tg,
        "pp_multi": multi_pp, "rows_used": rows.len() + n_multi,
        "rows_unmapped": unmapped_total, "by_depth": depth
    }));
    let pct = |v: Option<f64>| Cell::opt(v, 1);
    out.title = Some(format!(
        "validate ({:?} held out): decode MAPE {} % (median {}, p90 {}, n {}), prefill MAPE {} % (median {}, p90 {}, n {}); {} rows used, {} unmapped",
        holdout,
        pct(tg.mape_pct).show(), pct(tg.median_ape_pct).show(), pct(tg.p90_ape_pct).show(), tg.n,
        pct(pp.mape_pct).show(), pct(pp.median_ape_pct).show(), pct(pp.p90_ape_pct).show(), pp.n,
        rows.len() + n_multi, unmapped_total
    ).to_lowercase() + &depth_line(&tg, &pp, dev_coverage, &depth));
    out.view = group_view(&per_group);
    out.notes
        .extend(side_notes(&tg_batched, &multi_tg, &multi_pp));
    out.set_results(per_group);
    rows.extend(multi_rows);
    out.extra
        .push(("rows".into(), serde_json::to_value(&rows)?));
    out.warnings = warnings;
    Ok(out)
}

/// The notes on the rows the table does not count: batched decode (B > 1) and multi-device.
fn side_notes(batched: &ErrorStats, multi_tg: &ErrorStats, multi_pp: &ErrorStats) -> Vec<String> {
    let pct = |v: Option<f64>| Cell::opt(v, 1).show();
    let mut notes = Vec::new();
    if batched.n > 0 {
        notes.push(format!(
            "batched decode rows (B > 1; the table counts single-stream rows): decode MAPE {} % (median {}, n {})",
            pct(batched.mape_pct), pct(batched.median_ape_pct), batched.n
        ));
    }
    if multi_tg.n + multi_pp.n > 0 {
        notes.push(format!(
            "multi-device rows (layer split, same holdout): decode MAPE {} % (n {}), prefill MAPE {} % (n {})",
            pct(multi_tg.mape_pct), multi_tg.n, pct(multi_pp.mape_pct), multi_pp.n
        ));
    }
    notes
}

/// What the fit leaves out: `--holdout`, else device for the shipped calibration traces and
/// the shipped calibration for any other file.
fn holdout_of(a: &ValidateArgs) -> Result<Holdout> {
    let shipped_traces = a.traces.iter().all(|p| {
        p.to_string_lossy()
            .replace('\\', "/")
            .contains("calibration/traces/")
    });
    let default = if shipped_traces { "device" } else { "shipped" };
    Ok(
        match a
            .holdout
            .as_deref()
            .unwrap_or(default)
            .to_lowercase()
            .as_str()
        {
            "device" => Holdout::Device,
            "model" => Holdout::Model,
            "none" => Holdout::None,
            "shipped" => Holdout::Shipped,
            other => bail!("unknown --holdout '{other}'; expected device, model, none or shipped"),
        },
    )
}

/// The single-stream rows of a test.
fn single(rows: &[ValidationRow], t: Test) -> Vec<&ValidationRow> {
    rows.iter()
        .filter(|r| r.test == t && r.batch <= 1)
        .collect()
}

/// The error statistics of each (device, backend), in that order.
fn per_group(rows: &[ValidationRow]) -> Vec<Value> {
    grouped(rows.iter(), |r| (r.device.as_str(), r.backend.as_str()))
        .iter()
        .map(|((d, b), rs)| {
            let of = |keep: &dyn Fn(&ValidationRow) -> bool| {
                stats(&rs.iter().copied().filter(|r| keep(r)).collect::<Vec<_>>())
            };
            json!({
                "device": d, "backend": b, "efficiency": rs[0].efficiency,
                "tg": of(&|r| r.test == Test::Tg && r.batch <= 1),
                "pp": of(&|r| r.test == Test::Pp),
                "tg_batched": of(&|r| r.batch > 1)
            })
        })
        .collect()
}

/// `rows` by `key`, in key order, each group in row order.
fn grouped<'r, K: Ord>(
    rows: impl Iterator<Item = &'r ValidationRow>,
    key: impl Fn(&'r ValidationRow) -> K,
) -> BTreeMap<K, Vec<&'r ValidationRow>> {
    let mut by: BTreeMap<K, Vec<&ValidationRow>> = BTreeMap::new();
    for r in rows {
        by.entry(key(r)).or_default().push(r);
    }
    by
}

/// The single-stream rows' error statistics by trace file.
fn per_file(single: &[&ValidationRow]) -> Vec<Value> {
    grouped(single.iter().copied(), |r| r.file.as_str())
        .iter()
        .map(|(f, rs)| {
            let of_test = |t: Test| {
                rs.iter()
                    .copied()
                    .filter(|r| r.test == t)
                    .collect::<Vec<_>>()
            };
            json!({ "file": f, "tg": stats(&of_test(Test::Tg)), "pp": stats(&of_test(Test::Pp)) })
        })
        .collect()
}

/// A test's errors averaged per device instead of per row (one device with thousands of rows
/// weighs as much as one with two).
#[derive(serde::Serialize)]
struct DeviceMean {
    /// Devices with rows of the test.
    devices: usize,
    /// The mean of their MAPEs, %.
    mape_pct: Option<f64>,
    /// The mean of their shares of measured values inside the 90% interval, %.
    coverage_pct: Option<f64>,
}

/// [`DeviceMean`] of the single-stream rows of test `t`.
fn device_mean(single: &[&ValidationRow], t: Test) -> DeviceMean {
    let by_device = grouped(single.iter().copied().filter(|r| r.test == t), |r| {
        r.device.as_str()
    });
    let per: Vec<ErrorStats> = by_device.values().map(|rs| stats(rs)).collect();
    let mean = |f: fn(&ErrorStats) -> Option<f64>| {
        let v: Vec<f64> = per.iter().filter_map(f).collect();
        (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
    };
    DeviceMean {
        devices: per.len(),
        mape_pct: mean(|s| s.mape_pct),
        coverage_pct: mean(|s| s.coverage_pct),
    }
}

/// The table: one line per (device, backend).
fn group_view(per_group: &[Value]) -> View {
    let pct = |v: Option<f64>| Cell::opt(v, 1);
    let headers = [
        "device",
        "backend",
        "efficiency",
        "tg rows",
        "tg MAPE %",
        "tg median %",
        "tg p90 %",
        "pp rows",
        "pp MAPE %",
        "pp median %",
        "pp p90 %",
    ];
    let test_cells = |t: &Value| {
        vec![
            Cell::Num(t["n"].as_f64().unwrap_or(0.0), 0),
            pct(t["mape_pct"].as_f64()),
            pct(t["median_ape_pct"].as_f64()),
            pct(t["p90_ape_pct"].as_f64()),
        ]
    };
    View {
        headers: headers.map(String::from).to_vec(),
        rows: per_group
            .iter()
            .map(|g| {
                let names = ["device", "backend", "efficiency"]
                    .map(|k| Cell::from(g[k].as_str().unwrap_or("")));
                names
                    .into_iter()
                    .chain(test_cells(&g["tg"]))
                    .chain(test_cells(&g["pp"]))
                    .collect()
            })
            .collect(),
    }
}

/// The title's second part: interval coverage and the error by depth.
fn depth_line(
    tg: &tokenfit::calib::validate::ErrorStats,
    pp: &tokenfit::calib::validate::ErrorStats,
    dev_coverage: [Option<f64>; 2],
    depth: &[tokenfit::calib::validate::DepthBucket],
) -> String {
    let pct = |v: Option<f64>| Cell::opt(v, 1).show();
    let ranges: Vec<String> = depth
        .iter()
        .map(|b| {
            let to = b.depth_to.map_or("…".to_string(), |t| t.to_string());
            format!(
                "{}–{to}: decode {} % (n {}), prefill {} % (n {})",
                b.depth_from,
                pct(b.tg_mape_pct),
                b.tg_rows,
                pct(b.pp_mape_pct),
                b.pp_rows
            )
        })
        .collect();
    format!(
        "\n90% interval coverage: decode {} %, prefill {} % (per-device mean: decode {} %, prefill {} %); MAPE by depth: {}",
        pct(tg.coverage_pct),
        pct(pp.coverage_pct),
        pct(dev_coverage[0]),
        pct(dev_coverage[1]),
        ranges.join("; ")
    )
}
