//! `rank`: which models run on one device, each at its best quantization.

use super::common::{ctx, dedup_by, list, options, tok_s, Common};
use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;
use tokenfit::advise::rank::{self, RankSort};
use tokenfit::db::Db;
use tokenfit::report::columns::Columns;
use tokenfit::report::views;
use tokenfit::report::Output;
use tokenfit::scenario::Options;

/// `rank --sort`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RankSortArg {
    /// Parameters, largest first.
    Params,
    /// Decode tok/s, fastest first.
    Speed,
    /// Model id.
    Name,
}

/// `rank` arguments.
#[derive(Debug, Args)]
pub struct RankArgs {
    /// Device id, alias or name (`this`: the machine `detect --save` kept).
    #[arg(long)]
    pub device: String,
    /// Context in tokens (4096, 32k): each model must fit in fast memory with its cache this full.
    #[arg(long, default_value = "4k", allow_hyphen_values = true)]
    pub ctx: String,
    /// Comma-separated model ids, or all.
    #[arg(long, default_value = "all")]
    pub models: String,
    /// Quants to try, best first [default for llama.cpp: bf16,q8_0,q6_k,q5_k_m,q4_k_m,iq4_xs,q3_k_m;
    /// MLX: bf16,mlx-8bit,mlx-6bit,mlx-4bit; vLLM: bf16,fp8,awq-int4,gptq-int4].
    #[arg(long)]
    pub quants: Option<String>,
    /// Slowest decode that counts as usable, tok/s.
    #[arg(long = "min-tok-s", value_name = "X", value_parser = tok_s, default_value = "10")]
    pub min_tok_s: f64,
    /// Show at most N models [default: every one that runs].
    #[arg(long, value_name = "N", value_parser = crate::cli::common::top)]
    pub top: Option<usize>,
    /// Order: params (the largest model that runs first), speed or name.
    #[arg(long, value_enum, default_value_t = RankSortArg::Params)]
    pub sort: RankSortArg,
    /// Every table column.
    #[arg(long, conflicts_with = "columns")]
    pub wide: bool,
    /// Only these table columns, in this order: rank, model, quant, params, active, verdict,
    /// need_usable, decode, prefill, ttft, backend.
    #[arg(long, value_name = "LIST")]
    pub columns: Option<String>,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

pub(crate) fn rank_cmd(db: &Db, a: RankArgs) -> Result<Output<'_>> {
    let device = db.device(&a.device)?;
    let ctx = ctx(&a.ctx)?;
    let models = models(db, &a.models)?;
    if models.is_empty() {
        bail!("--models is empty; name at least one model or 'all'");
    }
    let backend = tokenfit::scenario::compat::backend_for(db, device, a.common.backend.as_deref())?;
    tokenfit::scenario::compat::check_backend(db, backend, device)?;
    let o = Options {
        ctx: Some(ctx),
        prompt: Some(ctx),
        gen: 0,
        ..options(&a.common)?
    };
    let quants = quants(db, backend, a.quants.as_deref())?;
    let sort = match a.sort {
        RankSortArg::Params => RankSort::Params,
        RankSortArg::Speed => RankSort::Speed,
        RankSortArg::Name => RankSort::Name,
    };
    let mut r = rank::rank(db, device, &models, &quants, &o, a.min_tok_s, sort)?;
    let running = r.rows.len();
    r.rows.truncate(a.top.unwrap_or(usize::MAX));
    let mut out = Output::new(json!({
        "command": "rank", "device": device.id(), "backend": backend.id, "ctx": ctx,
        "kv_type": o.kv_type, "min_tok_s": a.min_tok_s, "quants": quants.iter().map(|q| &q.id).collect::<Vec<_>>(), "models": models.iter().map(|m| &m.id).collect::<Vec<_>>(),
    }));
    out.title = Some(format!(
        "{} · {} · {} tokens of context · KV {} — models that fit in fast memory and decode at {} tok/s or more, each at its best quant",
        device.raw.name, backend.id, ctx, o.kv_type, a.min_tok_s
    ));
    out.view = views::rank_table(&r.rows, &Columns::from_flags(a.wide, a.columns.as_deref()))?;
    if r.rows.len() < running {
        out.notes
            .push(format!("{} of {running} models shown", r.rows.len()));
    }
    if !r.none_usable.is_empty() {
        out.notes.push(format!(
            "{} model(s) have no quant that fits and reaches {} tok/s: `fit MODEL --devices {}` shows why",
            r.none_usable.len(),
            a.min_tok_s,
            device.id()
        ));
    }
    if !r.too_short.is_empty() {
        out.notes.push(format!(
            "{} model(s) left out: their maximum context is under {ctx} tokens",
            r.too_short.len()
        ));
    }
    out.summary = Some(json!({
        "running": running, "none_usable": r.none_usable, "context_too_short": r.too_short,
    }));
    out.set_results(r.rows);
    out.warnings = r.warnings;
    Ok(out)
}

/// The models `--models` names (`all`: every model), each once.
fn models<'a>(db: &'a Db, names: &str) -> Result<Vec<&'a tokenfit::db::model::ModelRaw>> {
    if names.trim().eq_ignore_ascii_case("all") {
        return Ok(db.models.iter().collect());
    }
    let mut v = list(names)
        .into_iter()
        .map(|m| db.model(m))
        .collect::<tokenfit::Result<Vec<_>>>()?;
    dedup_by(&mut v, |m| m.id.clone());
    Ok(v)
}

/// The quants to try, best first (`--quants`, else the backend's ladder), each once; an
/// error when the backend loads none of them.
fn quants<'a>(
    db: &'a Db,
    backend: &tokenfit::db::calibration::BackendRaw,
    given: Option<&str>,
) -> Result<Vec<&'a tokenfit::db::quant::QuantRaw>> {
    let ladder = match given {
        Some(l) => list(l),
        None => rank::default_ladder(&backend.id).to_vec(),
    };
    let mut quants = ladder
        .into_iter()
        .map(|q| db.quant(q))
        .collect::<tokenfit::Result<Vec<_>>>()?;
    dedup_by(&mut quants, |q| q.id.clone());
    if !quants
        .iter()
        .any(|q| tokenfit::scenario::compat::loads(backend, q))
    {
        bail!(
            "{} loads none of --quants; e.g. {}",
            backend.id,
            rank::default_ladder(&backend.id).join(",")
        );
    }
    Ok(quants)
}
