//! One function per command: turn parsed arguments into an [`Output`].

use crate::cli::{CliffArgs, Command, Common, FitArgs, PredictArgs, ShowArgs};
use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use std::process::ExitCode;
use tokenfit::advise::{cliff, fit, power, row};
use tokenfit::db::hardware::Device;
use tokenfit::db::Db;
use tokenfit::model::Offload;
use tokenfit::report::views;
use tokenfit::report::Output;
use tokenfit::scenario;
use tokenfit::scenario::Options;
use tokenfit::units::parse_tokens;

/// Runs a command.
pub fn dispatch(db: &Db, c: Command) -> Result<(Output, ExitCode)> {
    let out = match c {
        Command::Check(a) => return crate::cmd_check::check_cmd(db, a),
        Command::Fit(a) => fit_cmd(db, a)?,
        Command::Capacity(a) => crate::cmd_capacity::capacity_cmd(db, a)?,
        Command::Predict(a) => predict_cmd(db, a)?,
        Command::Sweep(_) => bail!("internal: `sweep` streams and is run by main"),
        Command::Cliff(a) => cliff_cmd(db, a)?,
        Command::Calibrate(a) => crate::cmd_calibrate::calibrate_cmd(db, a)?,
        Command::Validate(a) => crate::cmd_calibrate::validate_cmd(db, a)?,
        Command::Devices(a) => crate::cmd_lists::devices_cmd(db, a)?,
        Command::Models(a) => match a.action {
            Some(crate::cli::ModelsAction::Import(i)) => crate::cmd_import::import_cmd(db, i)?,
            None => crate::cmd_lists::models_cmd(db, ShowArgs { id: a.id })?,
        },
        Command::Quants(a) => crate::cmd_lists::quants_cmd(db, a)?,
        Command::Breakeven(a) => crate::cmd_plot::breakeven_cmd(db, a)?,
        Command::Plot(_) => bail!("internal: `plot` writes to -o and is run by main"),
        Command::Apis(a) => crate::cmd_breakeven::apis_cmd(db, a)?,
        Command::Detect(a) => crate::cmd_detect::detect_cmd(db, a)?,
        Command::Scan(a) => crate::cmd_scan::scan_cmd(db, a)?,
        Command::Power(a) => crate::cmd_power::power_cmd(db, a)?,
    };
    Ok((out, ExitCode::SUCCESS))
}

pub(crate) fn tokens(flag: &str, s: &str) -> Result<u64> {
    parse_tokens(s).map_err(|e| anyhow::anyhow!("--{flag}: {e}"))
}

/// `--max-ctx` of `cliff` and `plot cliff`: a token count of at least 1, if given.
pub(crate) fn max_ctx(given: Option<&str>) -> Result<Option<u64>> {
    let c = given.map(|c| tokens("max-ctx", c)).transpose()?;
    if c == Some(0) {
        bail!("--max-ctx must be at least 1 token");
    }
    Ok(c)
}

pub(crate) fn offload(s: &str) -> Result<Offload> {
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
        power_limit_w: c.power_limit,
        ..Options::default()
    })
}

pub(crate) fn list(s: &str) -> Vec<&str> {
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
    let (devs, left_out) = power::with_power_data(db, devs, a.common.power_limit)?;
    let o = Options {
        ctx: Some(ctx),
        prompt: Some(ctx),
        gen: 0,
        weights_bytes,
        ..options(&a.common)?
    };
    let (rows, mut warnings) = fit::fit(db, model, quant, &devs, &o)?;
    warnings.splice(0..0, file_warnings);
    warnings.extend(left_out);
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

/// The scenario options of `predict` (and `plot roofline`): the common flags, context,
/// prompt, generation, depth and GPU layers.
pub(crate) fn predict_options(a: &PredictArgs) -> Result<Options> {
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
    Ok(o)
}

fn predict_cmd(db: &Db, a: PredictArgs) -> Result<Output> {
    let mut o = predict_options(&a)?;
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
        if o.power_limit_w.is_some() {
            bail!("--power-limit works with one --device; several devices are not modelled under a limit");
        }
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
    o.ctx = max_ctx(a.max_ctx.as_deref())?;
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
        "efficiency": c.efficiency,
    }));
    out.results = to_values(&c.series);
    out.warnings = warnings;
    Ok(out)
}
