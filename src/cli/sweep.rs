//! `sweep`: rows predicted on every core and written as they come (CSV, JSON, JSON lines),
//! or the first `--top` of them as a table.

use super::common::ModelFileArgs;
use super::common::OffloadArg;
use super::common::{dedup_by, filter, tok_s, SortArg, VerdictArg};
use super::output::progress;
use crate::cli::common::devices;
use crate::cli::common::list;
use crate::cli::common::tokens;
use anyhow::{bail, Result};
use clap::Args;
use serde_json::{json, Value};
use std::io::{IsTerminal, Write};
use std::path::Path;
use tokenfit::advise::row::ScenarioRow;
use tokenfit::advise::select::{Filter, TopN};
use tokenfit::advise::sweep::{Axes, Plan};
use tokenfit::db::model::ModelRaw;
use tokenfit::db::quant::QuantRaw;
use tokenfit::db::Db;
use tokenfit::file::OutputFile;
use tokenfit::report::columns::Columns;
use tokenfit::report::stream::RowFormat;
use tokenfit::report::sweep_stream::write_sweep;
use tokenfit::report::{views, Format, Output};
use tokenfit::scenario::Options;

/// `sweep` arguments.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Comma-separated device ids, or all.
    #[arg(long, default_value = "all")]
    pub devices: String,
    /// Comma-separated model ids, or all (with --gguf / --hf-config: besides the file's model).
    #[arg(long, required_unless_present_any = ["gguf", "hf_config"])]
    pub models: Option<String>,
    /// A model file besides (or instead of) the listed models.
    #[command(flatten)]
    pub file: ModelFileArgs,
    /// Comma-separated quant ids, or all [default: the GGUF file's, else q4_k_m].
    #[arg(long)]
    pub quants: Option<String>,
    /// Comma-separated contexts (4k,32k,128k).
    #[arg(long, default_value = "4k")]
    pub ctx: String,
    /// Comma-separated KV cache types, or all.
    #[arg(long = "kv-type", default_value = "f16")]
    pub kv_type: String,
    /// Backend [default: each device's].
    #[arg(long)]
    pub backend: Option<String>,
    /// Offload policy: none, layers, experts, stream, disk, auto.
    #[arg(long, value_enum, default_value_t = OffloadArg::Layers, hide_possible_values = true)]
    pub offload: OffloadArg,
    /// Show at most N rows in a table [default: a screenful on a terminal, else 10000];
    /// CSV, JSON and JSON lines always carry every row that passes --verdict and --min-tok-s.
    #[arg(long, value_name = "N", value_parser = crate::cli::common::top)]
    pub top: Option<usize>,
    /// Order of a table (the best --top rows; rows that fit first, then those that spill)
    /// [default: the sweep's order]. CSV, JSON and JSON lines keep the sweep's order
    /// (device, model, quant, KV type, context).
    #[arg(long, value_enum)]
    pub sort: Option<SortArg>,
    /// Which rows to keep (every format).
    #[arg(long, value_enum, default_value_t = VerdictArg::All)]
    pub verdict: VerdictArg,
    /// Leave out rows whose decode is slower than X tok/s (every format).
    #[arg(long = "min-tok-s", value_name = "X", value_parser = tok_s)]
    pub min_tok_s: Option<f64>,
    /// Every table column.
    #[arg(long, conflicts_with = "columns")]
    pub wide: bool,
    /// Only these table columns, in this order: device, model, quant, kv, ctx, verdict,
    /// need_usable, total, usable, decode, decode_range, prefill, ttft, bound, eff.
    #[arg(long, value_name = "LIST")]
    pub columns: Option<String>,
    /// Board power limit, W (nvidia-smi -pl): devices without power data, or whose range lacks it, are left out.
    #[arg(long = "power-limit", value_name = "W", allow_hyphen_values = true)]
    pub power_limit: Option<f64>,
}

/// Rows a table shows when standard output is not a terminal and `--top` is not given.
const TABLE_ROWS_PIPED: usize = 10_000;

/// The models and quants a sweep names (`all`, or a list; repeats merged), the file's quant
/// when none is named.
fn models_and_quants<'a>(
    db: &'a Db,
    imp: Option<&'a tokenfit::import::ImportedModel>,
    a: &SweepArgs,
) -> Result<(Vec<&'a ModelRaw>, Vec<&'a QuantRaw>)> {
    let all = |s: &str| s.trim().eq_ignore_ascii_case("all");
    let mut models = match a.models.as_deref() {
        None => Vec::new(),
        Some(m) if all(m) => db.models.iter().collect(),
        Some(m) => list(m)
            .into_iter()
            .map(|m| db.model(m))
            .collect::<tokenfit::Result<Vec<_>>>()?,
    };
    let quant_list = a
        .quants
        .clone()
        .or_else(|| imp.and_then(|i| i.quant.clone()))
        .unwrap_or_else(|| "q4_k_m".into());
    let mut quants = if all(&quant_list) {
        db.quants.iter().collect()
    } else {
        list(&quant_list)
            .into_iter()
            .map(|q| db.quant(q))
            .collect::<tokenfit::Result<Vec<_>>>()?
    };
    dedup_by(&mut models, |m| m.id.clone());
    dedup_by(&mut quants, |q| q.id.clone());
    Ok((models, quants))
}

/// The sweep's axes, and a note on devices left out (a backend they cannot run, no power data).
fn axes<'a>(
    db: &'a Db,
    imp: Option<&'a tokenfit::import::ImportedModel>,
    a: &SweepArgs,
) -> Result<(Axes<'a>, Option<String>)> {
    let (models, quants) = models_and_quants(db, imp, a)?;
    let kv_types: Vec<String> = if a.kv_type.trim().eq_ignore_ascii_case("all") {
        db.kv_types.iter().map(|k| k.id.clone()).collect()
    } else {
        list(&a.kv_type)
            .into_iter()
            .map(|k| db.kv_type(k).map(|k| k.id.clone()))
            .collect::<tokenfit::Result<Vec<_>>>()?
    };
    let ctxs = list(&a.ctx)
        .into_iter()
        .map(|c| tokens("ctx", c))
        .collect::<Result<Vec<_>>>()?;
    if ctxs.is_empty() || ctxs.contains(&0) {
        bail!("--ctx needs at least one context, each at least 1 token");
    }
    let (mut ctxs, mut kv_types) = (ctxs, kv_types);
    dedup_by(&mut ctxs, |c| *c);
    dedup_by(&mut kv_types, |k| k.clone());
    if (models.is_empty() && imp.is_none()) || quants.is_empty() || kv_types.is_empty() {
        bail!("--models, --quants and --kv-type each need at least one entry");
    }
    let (devs, unrunnable) =
        super::common::runnable(db, devices(db, &a.devices)?, a.backend.as_deref(), None)?;
    let (devs, mut left_out) = tokenfit::advise::power::with_power_data(db, devs, a.power_limit)?;
    if !unrunnable.is_empty() {
        let mut all = unrunnable;
        all.extend(left_out);
        left_out = Some(all.join("; "));
    }
    let axes = Axes {
        devices: devs,
        models,
        quants,
        ctxs,
        kv_types,
    };
    Ok((axes, left_out))
}

/// The plans to run: the listed models, then a file's model one quant at a time (its exact
/// bytes hold for its own scheme only), with the inputs and the devices left out.
fn plans<'a>(
    db: &'a Db,
    imp: Option<&'a tokenfit::import::ImportedModel>,
    a: &SweepArgs,
) -> Result<(Vec<Plan<'a>>, Value, Option<String>)> {
    let (axes, left_out) = axes(db, imp, a)?;
    let o = Options {
        backend: a.backend.clone(),
        offload: a.offload.into(),
        power_limit_w: a.power_limit,
        ..Options::default()
    };
    let inputs = json!({
        "command": "sweep",
        "devices": axes.devices.iter().map(|d| d.id()).collect::<Vec<_>>(),
        "models": axes.models.iter().copied().chain(imp.map(|i| &i.model)).map(|m| &m.id).collect::<Vec<_>>(),
        "quants": axes.quants.iter().map(|q| &q.id).collect::<Vec<_>>(),
        "ctx": axes.ctxs, "kv_types": axes.kv_types, "backend": a.backend, "offload": o.offload,
    });
    let mut plans = vec![Plan::new(db, axes.clone(), &o)?];
    if let Some(i) = imp {
        for q in &axes.quants {
            let mut notes = Vec::new();
            let (_, weights_bytes) =
                crate::cli::model_file::quant(db, Some(&q.id), Some(i), None, &mut notes)?;
            let one = Axes {
                models: vec![&i.model],
                quants: vec![*q],
                ..axes.clone()
            };
            let o = Options {
                weights_bytes,
                ..o.clone()
            };
            let mut plan = Plan::new(db, one, &o)?;
            plan.prepend_warnings(notes);
            plans.push(plan);
        }
    }
    Ok((plans, inputs, left_out))
}

/// Runs `sweep` and writes its output.
pub fn sweep_cmd(db: &Db, a: SweepArgs, format: Format, path: Option<&Path>) -> Result<()> {
    let imp = crate::cli::model_file::imported(db, &a.file)?;
    let (plans, inputs, left_out) = plans(db, imp.as_ref(), &a)?;
    let mut warnings: Vec<&String> = Vec::new();
    let main = plans.first().map(|p| p.warnings()).unwrap_or_default();
    let files = plans.iter().skip(1).flat_map(|p| p.warnings());
    for w in main.iter().chain(left_out.as_ref()).chain(files) {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    for w in warnings {
        eprintln!("warning: {w}");
    }
    let keep = filter(a.verdict, a.min_tok_s);
    match format.row_format() {
        Some(rf) => {
            if a.sort.is_some() {
                eprintln!(
                    "note: --sort orders tables; CSV, JSON and JSON lines keep the sweep's order"
                );
            }
            stream(&plans, rf, keep, &inputs, path)
        }
        None => table(&plans, &a, keep, format, inputs, path),
    }
}

/// `sweep` as its JSON document, for the HTTP API: refused past `max_rows` rows, so one
/// request cannot ask for an unbounded answer.
pub(crate) fn sweep_json(db: &Db, a: SweepArgs, max_rows: usize) -> Result<Vec<u8>> {
    let imp = crate::cli::model_file::imported(db, &a.file)?;
    let (plans, inputs, _) = plans(db, imp.as_ref(), &a)?;
    let total: usize = plans.iter().map(Plan::rows).sum();
    if total > max_rows {
        bail!(
            "--devices × --models × --quants × --ctx × --kv-type gives {total} rows; \
             this server answers at most {max_rows}: narrow the lists, or run `tokenfit sweep`"
        );
    }
    let mut buf = Vec::new();
    let keep = filter(a.verdict, a.min_tok_s);
    stream_to(&plans, RowFormat::Json, keep, &inputs, Box::new(&mut buf))?;
    Ok(buf)
}

/// Predicts on every core and writes each chunk as it is encoded, in order.
fn stream(
    plans: &[Plan],
    rf: RowFormat,
    keep: Filter,
    inputs: &Value,
    path: Option<&Path>,
) -> Result<()> {
    let mut file = path.map(OutputFile::create).transpose()?;
    let sink: Box<dyn Write + Send> = match file.as_mut() {
        Some(f) => Box::new(f),
        None => Box::new(std::io::stdout()),
    };
    stream_to(plans, rf, keep, inputs, sink)?;
    if let Some(f) = file {
        f.commit()?;
    }
    Ok(())
}

/// Writes the rows of `plans` to `sink` in order, with a progress bar on a terminal.
fn stream_to<'a>(
    plans: &[Plan],
    rf: RowFormat,
    keep: Filter,
    inputs: &Value,
    sink: Box<dyn Write + Send + 'a>,
) -> Result<()> {
    let total: usize = plans.iter().map(Plan::rows).sum();
    // A sweep shorter than a second shows none.
    let bar = progress(total as u64, 100_000, "rows");
    write_sweep(plans, rf, keep, inputs, sink, |n| bar.inc(n))?;
    bar.finish_and_clear();
    Ok(())
}

/// The first (or with --sort, the best) `--top` rows as a table (a screenful on a
/// terminal), and how many were left out.
fn table(
    plans: &[Plan],
    a: &SweepArgs,
    keep: Filter,
    format: Format,
    inputs: Value,
    path: Option<&Path>,
) -> Result<()> {
    let total: usize = plans.iter().map(Plan::rows).sum();
    let cap = a.top.unwrap_or_else(|| {
        if path.is_none() && std::io::stdout().is_terminal() {
            screen_rows()
        } else {
            TABLE_ROWS_PIPED
        }
    });
    let mut rows: Vec<ScenarioRow> = Vec::with_capacity(cap.min(total).min(TABLE_ROWS_PIPED));
    let mut best = a.sort.map(|k| TopN::new(cap, k.into()));
    let mut matched = 0usize;
    let mut stopped_early = false;
    'plans: for plan in plans {
        for u in 0..plan.units() {
            plan.for_each_row(u..u + 1, |r| {
                if keep.keeps(r) {
                    matched += 1;
                    match best.as_mut() {
                        Some(b) => b.push(r),
                        None if rows.len() < cap => rows.push(r.clone()),
                        None => {}
                    }
                }
            })?;
            if best.is_none() && matched > cap {
                stopped_early = true;
                break 'plans;
            }
        }
    }
    if let Some(b) = best {
        rows = b.finish();
    }
    let mut out = Output::new(inputs);
    out.view = views::sweep_table(&rows, &Columns::from_flags(a.wide, a.columns.as_deref()))?;
    let what = if keep.keeps_all() {
        format!("{total} rows")
    } else {
        "the rows that pass --verdict and --min-tok-s".to_string()
    };
    if stopped_early {
        out.notes.push(format!(
            "the first {} of {what} shown; --top N shows more, --sort KEY the best, --format csv or jsonl writes them all",
            rows.len()
        ));
    } else if matched > rows.len() {
        out.notes.push(format!(
            "{} of {matched} rows shown (of {total} in the sweep); --top N shows more, --format csv or jsonl writes them all",
            rows.len()
        ));
    } else if !keep.keeps_all() {
        out.notes.push(format!(
            "{matched} of {total} rows pass --verdict and --min-tok-s"
        ));
    }
    crate::cli::output::emit(&out, format, path)
}

/// Rows of a table that fit the terminal: `LINES` less the title, header and notes.
fn screen_rows() -> usize {
    let lines = std::env::var("LINES")
        .ok()
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(24);
    lines.saturating_sub(8).max(5)
}
