//! One function per command: turn parsed arguments into an [`Output`].

use crate::cli::{CliffArgs, Command, Common, FitArgs, PredictArgs, ShowArgs, SweepArgs};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::process::ExitCode;
use tokenfit::advise::scenario::Options;
use tokenfit::advise::{cliff, fit, row, scenario, sweep};
use tokenfit::db::hardware::Device;
use tokenfit::db::Db;
use tokenfit::model::Offload;
use tokenfit::report::views;
use tokenfit::report::{Cell, Output, View};
use tokenfit::units::parse_tokens;

/// Runs a command.
pub fn dispatch(db: &Db, c: Command) -> Result<(Output, ExitCode)> {
    let out = match c {
        Command::Check(a) => return crate::cmd_check::check_cmd(db, a),
        Command::Fit(a) => fit_cmd(db, a)?,
        Command::Capacity(a) => crate::cmd_capacity::capacity_cmd(db, a)?,
        Command::Predict(a) => predict_cmd(db, a)?,
        Command::Sweep(a) => sweep_cmd(db, a)?,
        Command::Cliff(a) => cliff_cmd(db, a)?,
        Command::Calibrate(a) => calibrate_cmd(db, a)?,
        Command::Validate(a) => validate_cmd(db, a)?,
        Command::Devices(a) => devices_cmd(db, a)?,
        Command::Models(a) => match a.action {
            Some(crate::cli::ModelsAction::Import(i)) => crate::cmd_import::import_cmd(db, i)?,
            None => models_cmd(db, ShowArgs { id: a.id })?,
        },
        Command::Quants(a) => quants_cmd(db, a)?,
        Command::Breakeven(a) => crate::cmd_plot::breakeven_cmd(db, a)?,
        Command::Plot(_) => bail!("internal: `plot` writes to -o and is run by main"),
        Command::Apis(a) => crate::cmd_breakeven::apis_cmd(db, a)?,
    };
    Ok((out, ExitCode::SUCCESS))
}

pub(crate) fn tokens(flag: &str, s: &str) -> Result<u64> {
    parse_tokens(s).map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
}

fn offload(s: &str) -> Result<Offload> {
    Offload::parse(s).with_context(|| {
        format!("unknown --offload '{s}'; expected none, layers, experts, stream, disk or auto")
    })
}

pub(crate) fn options(c: &Common) -> Result<Options> {
    let ubatch = match &c.ubatch {
        Some(u) => {
            let v = tokens("ubatch", u)?;
            if v == 0 || v > 1 << 20 {
                bail!("--ubatch must be between 1 and 1048576, got {v}");
            }
            Some(v as u32)
        }
        None => None,
    };
    let flash_attn = match c.flash_attn.to_ascii_lowercase().as_str() {
        "on" | "1" | "true" => true,
        "off" | "0" | "false" => false,
        other => bail!("unknown --flash-attn '{other}'; expected on or off"),
    };
    Ok(Options {
        kv_type: c.kv_type.clone(),
        backend: c.backend.clone(),
        offload: offload(&c.offload)?,
        ubatch,
        flash_attn,
        host_gib: c.host_gib,
        host_gb_s: c.host_gb_s,
        ..Options::default()
    })
}

fn list(s: &str) -> Vec<&str> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .collect()
}

pub(crate) fn devices<'a>(db: &'a Db, s: &str) -> Result<Vec<&'a Device>> {
    if s.trim().eq_ignore_ascii_case("all") {
        return Ok(db.devices.iter().collect());
    }
    let names = list(s);
    if names.is_empty() {
        bail!("--devices is empty; name at least one device or 'all'");
    }
    Ok(names
        .into_iter()
        .map(|n| db.device(n))
        .collect::<tokenfit::Result<Vec<_>>>()?)
}

pub(crate) fn to_values<T: serde::Serialize>(rows: &[T]) -> Vec<Value> {
    rows.iter()
        .map(|r| serde_json::to_value(r).expect("rows serialize"))
        .collect()
}

pub(crate) fn fit_cmd(db: &Db, a: FitArgs) -> Result<Output> {
    let imp = crate::cmd_import::imported(db, &a.file)?;
    let model = crate::cmd_import::model(db, a.model.as_deref(), imp.as_ref())?;
    let mut file_warnings = Vec::new();
    let (quant, weights_bytes) = crate::cmd_import::quant(
        db,
        a.quant.as_deref(),
        imp.as_ref(),
        Some("q4_k_m"),
        &mut file_warnings,
    )?;
    let ctx = tokens("ctx", &a.ctx)?;
    if ctx == 0 {
        bail!("--ctx must be at least 1 token");
    }
    let devs = devices(db, &a.devices)?;
    let o = Options {
        ctx: Some(ctx),
        prompt: Some(ctx),
        gen: 0,
        weights_bytes,
        ..options(&a.common)?
    };
    let (rows, mut warnings) = fit::fit(db, model, quant, &devs, &o)?;
    warnings.splice(0..0, file_warnings);
    if let Some(p) = &a.plot {
        crate::cmd_plot::fit(&rows, model, quant, ctx, p)?;
    }
    let mut out = Output::new(json!({
        "command": "fit", "model": model.id, "quant": quant.id, "ctx": ctx, "kv_type": o.kv_type,
        "backend": o.backend, "offload": o.offload, "devices": devs.iter().map(|d| d.id()).collect::<Vec<_>>(),
    }));
    out.title = Some(format!(
        "{} · {} · {} tokens of context · KV {} — decode with the cache full, TTFT for a prompt that long",
        model.name, quant.name, ctx, o.kv_type
    ));
    out.view = views::fit_view(&rows);
    if let Some(i) = &imp {
        out.notes.push(crate::cmd_import::note(i, o.weights_bytes));
    }
    if let Some(top) = rows.first() {
        out.notes.push(format!(
            "measure #1 ({}): {}",
            top.device,
            top.verify_command.as_deref().unwrap_or_default()
        ));
        out.notes.push("every result's `verify_command` (JSON) measures it; feed the output to `tokenfit validate`".into());
    }
    out.results = to_values(&rows);
    out.warnings = warnings;
    Ok(out)
}

fn predict_cmd(db: &Db, a: PredictArgs) -> Result<Output> {
    let mut o = options(&a.common)?;
    o.ctx = a.ctx.as_deref().map(|c| tokens("ctx", c)).transpose()?;
    o.prompt = a
        .prompt
        .as_deref()
        .map(|c| tokens("prompt", c))
        .transpose()?;
    o.gen = tokens("gen", &a.gen)?;
    o.depth = tokens("depth", &a.depth)?;
    o.gpu_layers = a.gpu_layers;
    if a.batch == 0 || a.batch > tokenfit::advise::capacity::MAX_BATCH {
        bail!(
            "--batch must be between 1 and {}, got {}",
            tokenfit::advise::capacity::MAX_BATCH,
            a.batch
        );
    }
    o.batch = a.batch;
    if o.ctx == Some(0) {
        bail!("--ctx must be at least 1 token");
    }
    let imp = crate::cmd_import::imported(db, &a.file)?;
    let model = crate::cmd_import::model(db, Some(&a.model), imp.as_ref())?;
    let mut file_warnings = Vec::new();
    let (quant, weights_bytes) =
        crate::cmd_import::quant(db, Some(&a.quant), imp.as_ref(), None, &mut file_warnings)?;
    o.weights_bytes = weights_bytes;
    if let Some(list) = &a.devices {
        return crate::cmd_multi::multi_predict(
            db,
            list,
            &a.parallel,
            a.link.as_deref(),
            model,
            quant,
            &o,
        );
    }
    let device = db.device(a.device.as_deref().unwrap_or_default())?;
    let mut r = scenario::build(db, device, model, quant, &o)?;
    r.warnings.splice(0..0, file_warnings);
    let (mut row, _) = row::row(&r);
    // Measured on the user's own file when one was given.
    if let (Some(path), Some(cmd)) = (&a.file.gguf, row.verify_command.as_mut()) {
        let named = format!(
            "models/{}",
            tokenfit::advise::verify::gguf_name(&r.scenario)
        );
        *cmd = cmd.replace(&named, &path.display().to_string());
    }
    let mut out = Output::new(json!({
        "command": "predict", "device": row.device, "model": row.model, "quant": row.quant, "backend": row.backend,
        "kv_type": row.kv_type, "ctx": row.ctx, "depth": row.depth, "prompt": row.prompt, "gen": row.gen,
        "offload": o.offload, "gpu_layers": o.gpu_layers,
    }));
    out.view = views::predict_view(&row);
    if let Some(i) = &imp {
        out.notes.push(crate::cmd_import::note(i, o.weights_bytes));
    }
    out.notes.push(format!(
        "measure it: {}",
        row.verify_command.as_deref().unwrap_or_default()
    ));
    out.notes
        .push("then: tokenfit validate <that output>.jsonl".into());
    out.results = to_values(std::slice::from_ref(&row));
    out.warnings = r.warnings;
    if r.provenance == tokenfit::db::Provenance::Prior {
        out.warnings.push(format!(
            "no calibration for '{}' on {}: using the uncalibrated prior (wide interval)",
            row.device, row.backend
        ));
    }
    Ok(out)
}

fn sweep_cmd(db: &Db, a: SweepArgs) -> Result<Output> {
    let devs = devices(db, &a.devices)?;
    let all = |s: &str| s.trim().eq_ignore_ascii_case("all");
    let imp = crate::cmd_import::imported(db, &a.file)?;
    let models = match a.models.as_deref() {
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
        .or_else(|| imp.as_ref().and_then(|i| i.quant.clone()))
        .unwrap_or_else(|| "q4_k_m".into());
    let quants = if all(&quant_list) {
        db.quants.iter().collect()
    } else {
        list(&quant_list)
            .into_iter()
            .map(|q| db.quant(q))
            .collect::<tokenfit::Result<Vec<_>>>()?
    };
    let kv_types: Vec<String> = if all(&a.kv_type) {
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
    if (models.is_empty() && imp.is_none()) || quants.is_empty() || kv_types.is_empty() {
        bail!("--models, --quants and --kv-type each need at least one entry");
    }
    let axes = sweep::Axes {
        devices: devs,
        models,
        quants,
        ctxs,
        kv_types,
    };
    let o = Options {
        backend: a.backend.clone(),
        offload: offload(&a.offload)?,
        ..Options::default()
    };
    let (mut rows, mut warnings) = sweep::sweep(db, &axes, &o)?;
    if let Some(i) = &imp {
        // The file's model, one quant at a time: its exact bytes hold for its own scheme only.
        for q in &axes.quants {
            let (_, weights_bytes) =
                crate::cmd_import::quant(db, Some(&q.id), Some(i), None, &mut warnings)?;
            let one = sweep::Axes {
                models: vec![&i.model],
                quants: vec![*q],
                ..axes.clone()
            };
            let (r, w) = sweep::sweep(
                db,
                &one,
                &Options {
                    weights_bytes,
                    ..o.clone()
                },
            )?;
            rows.extend(r);
            warnings.extend(
                w.into_iter()
                    .filter(|x| !warnings.contains(x))
                    .collect::<Vec<_>>(),
            );
        }
    }
    let mut out = Output::new(json!({
        "command": "sweep",
        "devices": axes.devices.iter().map(|d| d.id()).collect::<Vec<_>>(),
        "models": axes.models.iter().copied().chain(imp.as_ref().map(|i| &i.model)).map(|m| &m.id).collect::<Vec<_>>(),
        "quants": axes.quants.iter().map(|q| &q.id).collect::<Vec<_>>(),
        "ctx": axes.ctxs, "kv_types": axes.kv_types, "backend": a.backend, "offload": o.offload,
    }));
    out.view = views::sweep_view(&rows);
    out.results = to_values(&rows);
    out.warnings = warnings;
    Ok(out)
}

fn cliff_cmd(db: &Db, a: CliffArgs) -> Result<Output> {
    let device = db.device(&a.device)?;
    let imp = crate::cmd_import::imported(db, &a.file)?;
    let model = crate::cmd_import::model(db, a.model.as_deref(), imp.as_ref())?;
    let mut file_warnings = Vec::new();
    let (quant, weights_bytes) = crate::cmd_import::quant(
        db,
        a.quant.as_deref(),
        imp.as_ref(),
        None,
        &mut file_warnings,
    )?;
    let mut o = options(&a.common)?;
    o.weights_bytes = weights_bytes;
    o.ctx = a
        .max_ctx
        .as_deref()
        .map(|c| tokens("max-ctx", c))
        .transpose()?;
    if o.ctx == Some(0) {
        bail!("--max-ctx must be at least 1 token");
    }
    let (c, mut warnings) = cliff::cliff(db, device, model, quant, &o)?;
    warnings.splice(0..0, file_warnings);
    if let Some(p) = &a.plot {
        crate::cmd_plot::cliffs(std::slice::from_ref(&c), model, quant, p)?;
    }
    let mut out = Output::new(json!({
        "command": "cliff", "device": c.device, "model": c.model, "quant": c.quant, "backend": c.backend,
        "kv_type": o.kv_type, "offload": o.offload, "max_ctx": o.ctx,
    }));
    views::cliff_output(&c, &mut out);
    if let Some(i) = &imp {
        out.notes.push(crate::cmd_import::note(i, o.weights_bytes));
    }
    let at = c
        .cliff_ctx
        .and_then(|x| c.series.iter().find(|p| p.ctx == x))
        .or(c.series.last());
    if let Some(p) = at {
        out.notes
            .push(format!("measure at {} tokens: {}", p.ctx, p.verify_command));
    }
    out.summary = Some(json!({
        "cliff_ctx": c.cliff_ctx, "max_fast_ctx": c.max_fast_ctx,
        "decode_tok_s_before": c.decode_tok_s_before, "decode_tok_s_after": c.decode_tok_s_after,
    }));
    out.results = to_values(&c.series);
    out.warnings = warnings;
    Ok(out)
}

pub(crate) fn kv_view(v: &Value) -> View {
    let mut flat = Vec::new();
    flatten("", v, &mut flat);
    View {
        headers: vec!["field".into(), "value".into()],
        rows: flat
            .into_iter()
            .map(|(k, v)| vec![Cell::Text(k), Cell::Text(v)])
            .collect(),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object()) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        Value::Array(a) => out.push((
            prefix.into(),
            a.iter()
                .map(|x| x.as_str().map_or(x.to_string(), String::from))
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Value::Null => {}
        Value::String(s) => out.push((prefix.into(), s.clone())),
        other => out.push((prefix.into(), other.to_string())),
    }
}

fn devices_cmd(db: &Db, a: ShowArgs) -> Result<Output> {
    let mut out = Output::new(json!({ "command": "devices", "id": a.id }));
    if let Some(id) = &a.id {
        let d = db.device(id)?;
        let v = serde_json::to_value(&d.raw)?;
        out.view = kv_view(&v);
        out.results = vec![v];
        return Ok(out);
    }
    out.view = View {
        headers: [
            "id",
            "name",
            "kind",
            "fast GiB",
            "usable GiB",
            "bandwidth GB/s",
            "host GiB",
            "FP16 TFLOP/s",
            "power W",
            "price USD",
        ]
        .map(String::from)
        .to_vec(),
        rows: db
            .devices
            .iter()
            .map(|d| {
                vec![
                    d.raw.id.as_str().into(),
                    d.raw.name.as_str().into(),
                    format!("{:?}", d.raw.kind).into(),
                    Cell::Num(d.fast.capacity.gib(), 0),
                    Cell::Num(d.fast.usable.gib(), 1),
                    Cell::Num(d.fast.bandwidth.gb_per_s(), 0),
                    Cell::opt(d.host.map(|h| h.usable.gib()), 0),
                    Cell::Num(d.fp16_peak.tflops(), 1),
                    Cell::Num(d.raw.power_w, 0),
                    Cell::opt(d.price_usd(), 0),
                ]
            })
            .collect(),
    };
    out.results = db
        .devices
        .iter()
        .map(|d| serde_json::to_value(&d.raw).expect("devices serialize"))
        .collect();
    Ok(out)
}

fn models_cmd(db: &Db, a: ShowArgs) -> Result<Output> {
    use tokenfit::model::footprint::kv_bytes_per_token;
    use tokenfit::model::params::param_groups;
    let mut out = Output::new(json!({ "command": "models", "id": a.id }));
    let summary = |m: &tokenfit::db::model::ModelRaw| {
        let p = param_groups(m);
        json!({
            "computed_total_params_b": p.total() / 1e9,
            "computed_active_params_b": p.active() / 1e9,
            "kv_bytes_per_token_f16": kv_bytes_per_token(m, 2.0).0,
            "n_layers": m.n_layers(),
        })
    };
    if let Some(id) = &a.id {
        let m = db.model(id)?;
        let mut v = serde_json::to_value(m)?;
        v["computed"] = summary(m);
        out.view = kv_view(&v);
        out.results = vec![v];
        return Ok(out);
    }
    out.view = View {
        headers: [
            "id",
            "name",
            "layers",
            "params B",
            "active B",
            "published B",
            "max ctx",
            "KV KiB/token (f16)",
        ]
        .map(String::from)
        .to_vec(),
        rows: db
            .models
            .iter()
            .map(|m| {
                let p = param_groups(m);
                vec![
                    m.id.as_str().into(),
                    m.name.as_str().into(),
                    Cell::Num(f64::from(m.n_layers()), 0),
                    Cell::Num(p.total() / 1e9, 2),
                    Cell::Num(p.active() / 1e9, 2),
                    Cell::Num(m.published.total_params_b, 2),
                    Cell::Text(views::tokens(m.max_context)),
                    Cell::Num(kv_bytes_per_token(m, 2.0).0 / 1024.0, 1),
                ]
            })
            .collect(),
    };
    out.results = db
        .models
        .iter()
        .map(|m| {
            let mut v = serde_json::to_value(m).expect("models serialize");
            v["computed"] = summary(m);
            v
        })
        .collect();
    Ok(out)
}

fn quants_cmd(db: &Db, a: ShowArgs) -> Result<Output> {
    let mut out = Output::new(json!({ "command": "quants", "id": a.id }));
    if let Some(id) = &a.id {
        let v = match db.quant(id) {
            Ok(q) => serde_json::to_value(q)?,
            Err(e) => match db.kv_type(id) {
                Ok(k) => serde_json::to_value(k)?,
                Err(_) => return Err(e.into()),
            },
        };
        out.view = kv_view(&v);
        out.results = vec![v];
        return Ok(out);
    }
    let mut rows: Vec<Vec<Cell>> = db
        .quants
        .iter()
        .map(|q| {
            vec![
                q.id.as_str().into(),
                q.name.as_str().into(),
                q.format.as_str().into(),
                Cell::Num(q.bpw, 4),
                format!("{:?}", q.compute).to_lowercase().into(),
            ]
        })
        .collect();
    rows.extend(db.kv_types.iter().map(|k| {
        vec![
            k.id.as_str().into(),
            k.id.to_uppercase().into(),
            "kv-cache".into(),
            Cell::Num(k.bytes_per_element * 8.0, 4),
            Cell::Empty,
        ]
    }));
    out.view = View {
        headers: ["id", "name", "format", "bits per weight", "compute"]
            .map(String::from)
            .to_vec(),
        rows,
    };
    out.results = db
        .quants
        .iter()
        .map(|q| serde_json::to_value(q).expect("quants serialize"))
        .chain(db.kv_types.iter().map(|k| {
            let mut v = serde_json::to_value(k).expect("kv types serialize");
            v["format"] = json!("kv-cache");
            v
        }))
        .collect();
    Ok(out)
}

fn load_traces<'a>(
    db: &'a Db,
    paths: &[std::path::PathBuf],
    verbose: bool,
    out: &mut Vec<String>,
) -> Result<tokenfit::calib::run::Loaded<'a>> {
    let refs: Vec<&std::path::Path> = paths.iter().map(|p| p.as_path()).collect();
    let loaded = tokenfit::calib::run::load(db, &refs)?;
    if loaded.samples.is_empty() {
        bail!("no usable rows in {} file(s): {} rows could not be mapped (run with --verbose to see why)", paths.len(), loaded.unmapped.len());
    }
    if verbose {
        for u in &loaded.unmapped {
            eprintln!("unmapped: {}:{}: {}", u.file, u.line, u.reason);
        }
    } else if !loaded.unmapped.is_empty() {
        out.push(format!(
            "{} rows could not be mapped and were left out (--verbose lists them with the reason)",
            loaded.unmapped.len()
        ));
    }
    Ok(loaded)
}

pub fn calibrate_cmd(db: &Db, a: crate::cli::CalibrateArgs) -> Result<Output> {
    if let Some(file) = &a.add {
        return calibrate_add(db, file, a.verbose);
    }
    let mut warnings = Vec::new();
    let loaded = load_traces(db, &a.traces, a.verbose, &mut warnings)?;
    let fitted = tokenfit::calib::run::calibrate(db, &loaded);
    let mut out = Output::new(json!({ "command": "calibrate", "traces": loaded.files }));
    out.raw_text = Some(tokenfit::calib::run::to_yaml(&fitted));
    out.summary =
        Some(json!({ "rows_used": fitted.rows_used, "rows_unmapped": fitted.rows_unmapped }));
    out.results = to_values(&fitted.entries);
    out.view = View {
        headers: [
            "backend",
            "family",
            "device",
            "rows",
            "η bandwidth",
            "fixed ms",
            "κ decode",
            "η compute",
            "κ prefill",
            "tg MAPE %",
            "pp MAPE %",
        ]
        .map(String::from)
        .to_vec(),
        rows: fitted
            .entries
            .iter()
            .map(|e| {
                let q = e.quality.unwrap_or(tokenfit::db::calibration::FitQuality {
                    tg_r2: None,
                    tg_mape_pct: None,
                    pp_r2: None,
                    pp_mape_pct: None,
                });
                vec![
                    e.backend.as_str().into(),
                    e.family.clone().unwrap_or_default().into(),
                    e.device.clone().unwrap_or_default().into(),
                    Cell::opt(e.rows.map(|r| r as f64), 0),
                    Cell::Num(e.eff.bandwidth_frac, 3),
                    Cell::Num(e.eff.fixed_s * 1e3, 3),
                    Cell::Num(e.eff.decode_attn, 2),
                    Cell::Num(e.eff.compute_frac, 3),
                    Cell::Num(e.eff.prefill_attn, 2),
                    Cell::opt(q.tg_mape_pct, 1),
                    Cell::opt(q.pp_mape_pct, 1),
                ]
            })
            .collect(),
    };
    warnings.push(format!(
        "{} rows used, {} unmapped, {} entries fitted",
        fitted.rows_used,
        fitted.rows_unmapped,
        fitted.entries.len()
    ));
    out.warnings = warnings;
    Ok(out)
}

pub fn validate_cmd(db: &Db, a: crate::cli::ValidateArgs) -> Result<Output> {
    use tokenfit::calib::trace::Test;
    use tokenfit::calib::validate::{stats, validate, Holdout};
    let shipped_traces = a.traces.iter().all(|p| {
        p.to_string_lossy()
            .replace('\\', "/")
            .contains("calibration/traces/")
    });
    let default = if shipped_traces { "device" } else { "shipped" };
    let holdout = match a
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
    };
    let mut warnings = Vec::new();
    let loaded = load_traces(db, &a.traces, a.verbose, &mut warnings)?;
    let mut rows = validate(db, &loaded.samples, holdout)?;
    let (multi_rows, multi_bad) = tokenfit::calib::multi::validate_multi(db, &loaded.multi);
    let multi_refs: Vec<_> = multi_rows.iter().collect();
    let multi_tg = stats(
        &multi_refs
            .iter()
            .copied()
            .filter(|r| r.test == Test::Tg)
            .collect::<Vec<_>>(),
    );
    let multi_pp = stats(
        &multi_refs
            .iter()
            .copied()
            .filter(|r| r.test == Test::Pp)
            .collect::<Vec<_>>(),
    );
    let n_multi = multi_rows.len();
    let unmapped_total = loaded.unmapped.len() + multi_bad.len();
    if let Some(p) = &a.plot {
        crate::cmd_plot::calibration(&rows, &format!("{holdout:?}").to_lowercase(), p)?;
    }
    // Single-stream rows make the tg/pp summary; batched decode rows (B > 1) their own.
    let of = |t: Test| {
        rows.iter()
            .filter(|r| r.test == t && r.batch <= 1)
            .collect::<Vec<_>>()
    };
    let batched: Vec<_> = rows.iter().filter(|r| r.batch > 1).collect();
    let mut groups: std::collections::BTreeMap<
        (String, String),
        Vec<&tokenfit::calib::validate::ValidationRow>,
    > = Default::default();
    for r in &rows {
        groups
            .entry((r.device.clone(), r.backend.clone()))
            .or_default()
            .push(r);
    }
    let per_group: Vec<Value> = groups
        .iter()
        .map(|((d, b), rs)| {
            let tg: Vec<_> = rs.iter().copied().filter(|r| r.test == Test::Tg && r.batch <= 1).collect();
            let pp: Vec<_> = rs.iter().copied().filter(|r| r.test == Test::Pp).collect();
            json!({ "device": d, "backend": b, "efficiency": rs[0].efficiency, "tg": stats(&tg), "pp": stats(&pp) })
        })
        .collect();
    let (tg, pp) = (stats(&of(Test::Tg)), stats(&of(Test::Pp)));
    let mut out =
        Output::new(json!({ "command": "validate", "traces": loaded.files, "holdout": holdout }));
    out.summary = Some(
        json!({ "holdout": holdout, "tg": tg, "pp": pp, "tg_batched": stats(&batched), "tg_multi": multi_tg, "pp_multi": multi_pp, "rows_used": rows.len() + n_multi, "rows_unmapped": unmapped_total }),
    );
    let pct = |v: Option<f64>| Cell::opt(v, 1);
    out.title = Some(format!(
        "validate ({:?} held out): decode MAPE {} % (median {}, p90 {}, n {}), prefill MAPE {} % (median {}, p90 {}, n {}); {} rows used, {} unmapped",
        holdout,
        pct(tg.mape_pct).show(), pct(tg.median_ape_pct).show(), pct(tg.p90_ape_pct).show(), tg.n,
        pct(pp.mape_pct).show(), pct(pp.median_ape_pct).show(), pct(pp.p90_ape_pct).show(), pp.n,
        rows.len(), loaded.unmapped.len()
    ).to_lowercase());
    out.view = View {
        headers: [
            "device",
            "backend",
            "efficiency",
            "tg rows",
            "tg MAPE %",
            "tg p90 %",
            "pp rows",
            "pp MAPE %",
            "pp p90 %",
        ]
        .map(String::from)
        .to_vec(),
        rows: per_group
            .iter()
            .map(|g| {
                vec![
                    g["device"].as_str().unwrap_or("").into(),
                    g["backend"].as_str().unwrap_or("").into(),
                    g["efficiency"].as_str().unwrap_or("").into(),
                    Cell::Num(g["tg"]["n"].as_f64().unwrap_or(0.0), 0),
                    pct(g["tg"]["mape_pct"].as_f64()),
                    pct(g["tg"]["p90_ape_pct"].as_f64()),
                    Cell::Num(g["pp"]["n"].as_f64().unwrap_or(0.0), 0),
                    pct(g["pp"]["mape_pct"].as_f64()),
                    pct(g["pp"]["p90_ape_pct"].as_f64()),
                ]
            })
            .collect(),
    };
    if n_multi > 0 {
        out.notes.push(format!(
            "multi-device rows (layer split, shipped calibration): decode MAPE {} % (n {}), prefill MAPE {} % (n {})",
            pct(multi_tg.mape_pct).show(), multi_tg.n, pct(multi_pp.mape_pct).show(), multi_pp.n
        ));
    }
    out.results = per_group;
    rows.extend(multi_rows);
    out.extra
        .push(("rows".into(), Value::Array(to_values(&rows))));
    out.warnings = warnings;
    Ok(out)
}

fn calibrate_add(db: &Db, file: &std::path::Path, verbose: bool) -> Result<Output> {
    use tokenfit::calib::local::{add_trace, config_dir, fit_local, write_local};
    let dir =
        config_dir().context("no configuration directory: set TOKENFIT_CONFIG_DIR or HOME")?;
    // Read the new file first: a file that does not parse or map is refused before it is kept.
    let mut warnings = Vec::new();
    load_traces(db, &[file.to_path_buf()], verbose, &mut warnings)?;
    let all = add_trace(&dir, file)?;
    let loaded = load_traces(db, &all, verbose, &mut warnings)?;
    let entries = fit_local(db, &loaded.samples);
    let fitted = tokenfit::db::calibration::FittedRaw {
        schema_version: 1,
        files: loaded.files.clone(),
        rows_used: loaded.samples.len(),
        rows_unmapped: loaded.unmapped.len(),
        entries,
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
    out.view = View {
        headers: [
            "backend",
            "device",
            "rows",
            "η bandwidth",
            "fixed ms",
            "η compute (block/k/float)",
            "tg MAPE %",
            "pp MAPE %",
        ]
        .map(String::from)
        .to_vec(),
        rows: fitted
            .entries
            .iter()
            .map(|e| {
                let q = e.quality;
                vec![
                    e.backend.as_str().into(),
                    e.device.clone().unwrap_or_default().into(),
                    Cell::opt(e.rows.map(|r| r as f64), 0),
                    Cell::Num(e.eff.bandwidth_frac, 3),
                    Cell::Num(e.eff.fixed_s * 1e3, 3),
                    format!(
                        "{:.3}/{:.3}/{:.3}",
                        e.eff.compute_frac, e.eff.kquant_compute_frac, e.eff.float_compute_frac
                    )
                    .into(),
                    Cell::opt(q.and_then(|q| q.tg_mape_pct), 1),
                    Cell::opt(q.and_then(|q| q.pp_mape_pct), 1),
                ]
            })
            .collect(),
    };
    out.results = to_values(&fitted.entries);
    out.notes.push("your next predictions on these devices use it (efficiency: fitted); delete the file to go back".into());
    out.warnings = warnings;
    Ok(out)
}
