//! `breakeven`: when a local machine pays off against an API priced per token.

use super::common::plot_file;
use super::common::Common;
use crate::cli::common::devices;
use crate::cli::common::options;
use crate::cli::common::tokens;
use anyhow::{bail, Result};
use clap::Args;
use serde_json::json;
use std::path::PathBuf;
use tokenfit::advise::breakeven::{human_tokens, parse_volume, ApiPrice, Volume};
use tokenfit::advise::payback::{evaluate, rank, workload_options, DeviceBreakeven, Draw, Request};
use tokenfit::db::hardware::{Device, DeviceKind};
use tokenfit::db::model::ModelRaw;
use tokenfit::db::pricing::OfferingRaw;
use tokenfit::db::quant::QuantRaw;
use tokenfit::db::Db;
use tokenfit::report::{breakeven_views, Output};
use tokenfit::scenario::build;
use tokenfit::scenario::Options;

const BREAKEVEN_EXAMPLES: &str = "Examples:
  tokenfit breakeven --device dgx-spark --api gpt-4o
  tokenfit breakeven --device rtx-5090 --price-usd 3500 \\
    --api groq-llama-3.3-70b --tokens-per-month 30M
  tokenfit breakeven --device strix-halo-128gb --model qwen3-30b-a3b \\
    --api-usd-per-m-in 0.2 --api-usd-per-m-out 0.6
  tokenfit breakeven --devices all --api claude-sonnet-4.5 --input-per-output 3 \\
    --model gpt-oss-120b --quant mxfp4";

/// `breakeven` arguments.
#[derive(Debug, Args)]
#[command(after_help = BREAKEVEN_EXAMPLES)]
#[command(group(clap::ArgGroup::new("machine").required(true).args(["device", "devices"])))]
pub struct BreakevenArgs {
    /// Device id, alias or name.
    #[arg(long)]
    pub device: Option<String>,
    /// Comma-separated device ids, or all: ranked by payback (devices without a price in the database are left out).
    #[arg(long, conflicts_with_all = ["price_usd", "power_w"])]
    pub devices: Option<String>,
    /// Purchase price of the machine, USD [default: the device's price in the database].
    #[arg(long = "price-usd", allow_hyphen_values = true)]
    pub price_usd: Option<f64>,
    /// Years the purchase is amortized over [default: 3, model-db/api-pricing.yaml].
    #[arg(long, allow_hyphen_values = true)]
    pub years: Option<f64>,
    /// API offering to compare with (`tokenfit apis` lists them) [default: gpt-4o].
    #[arg(long, conflicts_with_all = ["api_usd_per_m_in", "api_usd_per_m_out"])]
    pub api: Option<String>,
    /// API input price, USD per 1M tokens, instead of --api [default: 0].
    #[arg(
        long = "api-usd-per-m-in",
        allow_hyphen_values = true,
        requires = "api_usd_per_m_out"
    )]
    pub api_usd_per_m_in: Option<f64>,
    /// API output price, USD per 1M tokens, instead of --api.
    #[arg(long = "api-usd-per-m-out", allow_hyphen_values = true)]
    pub api_usd_per_m_out: Option<f64>,
    /// Electricity, USD per kWh; 0 ignores it [default: 0.165, US residential average 2024 (EIA)].
    #[arg(long = "kwh-usd", allow_hyphen_values = true)]
    pub kwh_usd: Option<f64>,
    /// Power while busy, W [default: the power the device draws for this workload where it has power data, else its rated power].
    #[arg(long = "power-w", allow_hyphen_values = true)]
    pub power_w: Option<f64>,
    /// Hours a day the machine is on; the hours it is on but not generating draw idle power.
    #[arg(
        long = "hours-per-day",
        default_value = "24",
        allow_hyphen_values = true
    )]
    pub hours_per_day: f64,
    /// Idle power, W [default: the device's idle power where it has power data, else 0].
    #[arg(long = "idle-w", allow_hyphen_values = true)]
    pub idle_w: Option<f64>,
    /// Output tokens per month (12.5M, 800k, 2B) [default: the machine's capacity, busy around the clock].
    #[arg(long = "tokens-per-month", allow_hyphen_values = true)]
    pub tokens_per_month: Option<String>,
    /// Input (prompt) tokens per output token; 0 compares output tokens only.
    #[arg(
        long = "input-per-output",
        default_value = "0",
        allow_hyphen_values = true
    )]
    pub input_per_output: f64,
    /// Model run locally [default: the open model the API serves, else llama-3.3-70b].
    #[arg(long)]
    pub model: Option<String>,
    /// Quantization scheme.
    #[arg(long, default_value = "q4_k_m")]
    pub quant: String,
    /// Context of each request, tokens (prompt + output).
    #[arg(long, default_value = "4k")]
    pub ctx: String,
    /// Also draw cumulative costs over the months to FILE (.svg or .png, 1200×800).
    #[arg(long, value_name = "FILE", value_parser = plot_file)]
    pub plot: Option<PathBuf>,
    /// Shared scenario options.
    #[command(flatten)]
    pub common: Common,
}

/// The local model when neither `--model` nor the API's open model names one.
const DEFAULT_MODEL: &str = "llama-3.3-70b";

/// The API when neither `--api` nor a custom price is given.
const DEFAULT_API: &str = "gpt-4o";

fn finite(flag: &str, v: f64) -> Result<f64> {
    if !v.is_finite() {
        bail!("--{flag} must be a number, got {v}");
    }
    Ok(v)
}

fn non_negative(flag: &str, v: f64) -> Result<f64> {
    if finite(flag, v)? < 0.0 {
        bail!("--{flag} must be zero or positive, got {v}");
    }
    Ok(v)
}

/// The API compared with: an offering, or prices given on the command line.
struct Api<'a> {
    offering: Option<&'a OfferingRaw>,
    price: ApiPrice,
    label: String,
}

fn api<'a>(db: &'a Db, a: &BreakevenArgs) -> Result<Api<'a>> {
    if let Some(out) = a.api_usd_per_m_out {
        let price = ApiPrice {
            input_usd_per_m: non_negative("api-usd-per-m-in", a.api_usd_per_m_in.unwrap_or(0.0))?,
            output_usd_per_m: non_negative("api-usd-per-m-out", out)?,
        };
        return Ok(Api {
            offering: None,
            label: format!(
                "an API at ${} in / ${} out per 1M tokens",
                price.input_usd_per_m, price.output_usd_per_m
            ),
            price,
        });
    }
    let o = db.offering(a.api.as_deref().unwrap_or(DEFAULT_API))?;
    Ok(Api {
        offering: Some(o),
        price: ApiPrice {
            input_usd_per_m: o.input_usd_per_m,
            output_usd_per_m: o.output_usd_per_m,
        },
        label: format!(
            "{} (${} in / ${} out per 1M tokens, {})",
            o.name, o.input_usd_per_m, o.output_usd_per_m, o.as_of
        ),
    })
}

fn price_of(d: &Device, given: Option<f64>) -> Option<(f64, String)> {
    match (given, &d.raw.price) {
        (Some(p), _) => Some((p, "--price-usd".into())),
        (None, Some(p)) => Some((p.usd, format!("database: {} {}", p.kind, p.as_of))),
        (None, None) => None,
    }
}

/// The numbers of the command line, checked.
struct Numbers {
    years: f64,
    kwh_usd: f64,
    input_per_output: f64,
    tokens_per_month: Option<f64>,
}

fn numbers(db: &Db, a: &BreakevenArgs) -> Result<Numbers> {
    let years = finite("years", a.years.unwrap_or(db.local_cost.amortization_years))?;
    if years <= 0.0 {
        bail!("--years must be more than zero, got {years}");
    }
    if let Some(p) = a.price_usd {
        non_negative("price-usd", p)?;
    }
    if let Some(w) = a.power_w {
        non_negative("power-w", w)?;
    }
    if let Some(w) = a.idle_w {
        non_negative("idle-w", w)?;
    }
    let h = finite("hours-per-day", a.hours_per_day)?;
    if !(h > 0.0 && h <= 24.0) {
        bail!("--hours-per-day must be more than 0 and at most 24, got {h}");
    }
    Ok(Numbers {
        years,
        kwh_usd: non_negative("kwh-usd", a.kwh_usd.unwrap_or(db.local_cost.kwh_usd))?,
        input_per_output: non_negative("input-per-output", a.input_per_output)?,
        tokens_per_month: a
            .tokens_per_month
            .as_deref()
            .map(|v| parse_volume(v).map_err(|e| anyhow::anyhow!("--tokens-per-month: {e}")))
            .transpose()?,
    })
}

/// Evaluates every machine named; devices without a price are left out of a list (and are an
/// error for `--device`).
fn machines(
    db: &Db,
    a: &BreakevenArgs,
    model: &ModelRaw,
    quant: &QuantRaw,
    o: &Options,
    req: &Request,
) -> Result<(Vec<DeviceBreakeven>, Vec<String>)> {
    let devs = match (&a.device, &a.devices) {
        (Some(d), _) => vec![db.device(d)?],
        (None, Some(l)) => devices(db, l)?,
        (None, None) => bail!("name a machine with --device D or --devices LIST|all"),
    };
    let mut rows = Vec::new();
    let mut warnings: Vec<String> = Vec::new();
    let mut no_price = Vec::new();
    for d in &devs {
        let Some((price, source)) = price_of(d, a.price_usd) else {
            if a.device.is_some() {
                bail!(
                    "no price for '{}' in the database; pass --price-usd (what the whole machine costs)",
                    d.id()
                );
            }
            no_price.push(d.id());
            continue;
        };
        let r = build(db, d, model, quant, o)?;
        for w in &r.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        let draw = Draw {
            busy_w: a.power_w,
            idle_w: a
                .idle_w
                .or_else(|| tokenfit::scenario::power::board(db, d).map(|b| b.idle_w))
                .unwrap_or(0.0),
        };
        rows.push(evaluate(&r, req, price, source, draw));
    }
    if rows.is_empty() {
        bail!("none of the devices named has a price in the database; name one with --device and pass --price-usd");
    }
    rank(&mut rows);
    if !no_price.is_empty() {
        let shown: Vec<_> = no_price.iter().take(8).copied().collect();
        warnings.push(format!(
            "{} devices without a price in the database left out ({}{})",
            no_price.len(),
            shown.join(", "),
            if no_price.len() > 8 { ", …" } else { "" }
        ));
    }
    Ok((rows, warnings))
}

/// `tokenfit breakeven`, drawing the chart to `--plot FILE` when asked.
pub fn breakeven_cmd(db: &Db, mut a: BreakevenArgs) -> Result<Output<'_>> {
    let plot = a.plot.take();
    let n = numbers(db, &a)?;
    let api = api(db, &a)?;
    let local = api.offering.and_then(|o| o.local_model.as_deref());
    let model = db.model(a.model.as_deref().or(local).unwrap_or(DEFAULT_MODEL))?;
    let quant = db.quant(&a.quant)?;
    let ctx = tokens("ctx", &a.ctx)?;
    if ctx == 0 {
        bail!("--ctx must be at least 1 token");
    }
    let o = workload_options(&options(&a.common)?, ctx, n.input_per_output);
    let req = Request {
        api_usd_per_m_tokens: api.price.usd_per_m_output(n.input_per_output),
        input_per_output: n.input_per_output,
        years: n.years,
        kwh_usd: n.kwh_usd,
        tokens_per_month: n.tokens_per_month,
        hours_per_day: a.hours_per_day,
    };
    let (rows, mut warnings) = machines(db, &a, model, quant, &o, &req)?;
    let mut out = Output::new(json!({
        "command": "breakeven",
        "devices": rows.iter().map(|r| r.device.as_str()).collect::<Vec<_>>(),
        "model": model.id, "quant": quant.id, "ctx": ctx, "kv_type": o.kv_type,
        "backend": o.backend, "offload": o.offload,
        "api": api.offering.map(|o| o.id.as_str()),
        "api_input_usd_per_m": api.price.input_usd_per_m,
        "api_output_usd_per_m": api.price.output_usd_per_m,
        "input_per_output": n.input_per_output, "years": n.years, "kwh_usd": n.kwh_usd,
        "kwh_source": a.kwh_usd.is_none().then_some(db.local_cost.kwh_source.as_str()),
        "tokens_per_month": n.tokens_per_month, "price_usd": a.price_usd, "power_w": a.power_w,
        "idle_w": a.idle_w, "hours_per_day": a.hours_per_day,
    }));
    out.title = Some(format!(
        "{} · {} · requests of {} tokens ({} input per output) against {} — purchase over {} years, electricity ${}/kWh; volumes are output tokens per month{}",
        model.name,
        quant.name,
        ctx,
        n.input_per_output,
        api.label,
        n.years,
        n.kwh_usd,
        match n.tokens_per_month {
            Some(v) => format!(", evaluated at {}", human_tokens(v)),
            None => ", evaluated at each machine's capacity (busy around the clock)".into(),
        }
    ));
    describe(db, &a, &rows, &mut out, &mut warnings);
    if let Some(p) = plot {
        let api_name = api.offering.map_or("a per-token API", |o| o.name.as_str());
        let what = (model.name.as_str(), quant.name.as_str(), api_name);
        crate::cli::draw::breakeven(&rows, n.years, what, &p)?;
    }
    out.set_results(rows);
    out.warnings = warnings;
    Ok(out)
}

/// The view, the notes under it and the warning of a volume past one machine's capacity.
fn describe(
    db: &Db,
    a: &BreakevenArgs,
    rows: &[DeviceBreakeven],
    out: &mut Output,
    warnings: &mut Vec<String>,
) {
    if let [one] = rows {
        if one.breakeven.volume == Volume::Capped {
            warnings.push(format!(
                "--tokens-per-month {} is more than '{}' can make ({} output tokens/month, one stream): costs and payback are at capacity, the rest would still go to the API",
                a.tokens_per_month.as_deref().unwrap_or_default(),
                one.device,
                human_tokens(one.breakeven.capacity_tokens_per_month)
            ));
        }
        out.view = breakeven_views::single_view(one);
        out.notes.push(one.explanation.clone());
    } else {
        out.view = breakeven_views::ranking_view(rows);
        out.notes.push("Ranked by payback: machines where the model fits in fast memory first, then those that spill to host memory (their speed rests on a host PC whose price is not included), then those where it does not run.".into());
    }
    if let [one] = rows {
        if let (Some(b), Some(c)) = (one.best_concurrency, one.capacity_tokens_per_month_batched) {
            out.notes.push(format!(
                "Capacity above is one stream at a time; serving {b} streams at once (caches in fast memory) it makes about {} output tokens/month at about the same power.",
                human_tokens(c)
            ));
        }
    } else {
        out.notes.push("Capacity is one stream at a time; `best_concurrency` and `capacity_tokens_per_month_batched` (JSON) give the best batch.".into());
    }
    let cards = a.price_usd.is_none()
        && rows.iter().any(|r| {
            db.device(&r.device).is_ok_and(|d| {
                d.raw.kind == DeviceKind::DiscreteGpu
                    && d.raw.price.as_ref().is_some_and(|p| p.kind != "system")
            })
        });
    if cards {
        out.notes.push("Discrete GPU prices and power are the card's alone (launch MSRP, board power): pass --price-usd and --power-w for the whole machine.".into());
    }
}
