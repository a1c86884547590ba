//! `breakeven` (when a local machine pays off against an API) and `apis` (the API prices).

use crate::cli::{BreakevenArgs, ShowArgs};
use crate::commands::{devices, kv_view, options, to_values, tokens};
use anyhow::{bail, Result};
use serde_json::json;
use tokenfit::advise::breakeven::{human_tokens, parse_volume, ApiPrice, Verdict, Volume};
use tokenfit::advise::payback::{evaluate, rank, workload_options, DeviceBreakeven, Request};
use tokenfit::advise::row::{sig, with_interval};
use tokenfit::advise::scenario::build;
use tokenfit::db::hardware::{Device, DeviceKind};
use tokenfit::db::pricing::OfferingRaw;
use tokenfit::db::Db;
use tokenfit::report::{Cell, Output, View};

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

/// `tokenfit breakeven`.
pub fn breakeven_cmd(db: &Db, a: BreakevenArgs) -> Result<Output> {
    let years = finite("years", a.years.unwrap_or(db.local_cost.amortization_years))?;
    if years <= 0.0 {
        bail!("--years must be more than zero, got {years}");
    }
    let kwh_usd = non_negative("kwh-usd", a.kwh_usd.unwrap_or(db.local_cost.kwh_usd))?;
    let ipo = non_negative("input-per-output", a.input_per_output)?;
    if let Some(p) = a.price_usd {
        non_negative("price-usd", p)?;
    }
    if let Some(w) = a.power_w {
        non_negative("power-w", w)?;
    }
    let volume = a
        .tokens_per_month
        .as_deref()
        .map(|v| parse_volume(v).map_err(|e| anyhow::anyhow!("--tokens-per-month: {e}")))
        .transpose()?;
    let api = api(db, &a)?;
    let model = match (
        &a.model,
        api.offering.and_then(|o| o.local_model.as_deref()),
    ) {
        (Some(m), _) => db.model(m)?,
        (None, Some(m)) => db.model(m)?,
        (None, None) => db.model(DEFAULT_MODEL)?,
    };
    let quant = db.quant(&a.quant)?;
    let ctx = tokens("ctx", &a.ctx)?;
    if ctx == 0 {
        bail!("--ctx must be at least 1 token");
    }
    let o = workload_options(&options(&a.common)?, ctx, ipo);
    let req = Request {
        api_usd_per_m_tokens: api.price.usd_per_m_output(ipo),
        input_per_output: ipo,
        years,
        kwh_usd,
        tokens_per_month: volume,
    };
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
        let r = build(db, d, model, quant, &o)?;
        for w in &r.warnings {
            if !warnings.contains(w) {
                warnings.push(w.clone());
            }
        }
        rows.push(evaluate(
            &r,
            &req,
            price,
            source,
            a.power_w.unwrap_or(d.raw.power_w),
        ));
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
    let cards = devs.iter().any(|d| {
        d.raw.kind == DeviceKind::DiscreteGpu
            && a.price_usd.is_none()
            && d.raw.price.as_ref().is_some_and(|p| p.kind != "system")
    });
    let mut out = Output::new(json!({
        "command": "breakeven",
        "devices": rows.iter().map(|r| r.device.as_str()).collect::<Vec<_>>(),
        "model": model.id, "quant": quant.id, "ctx": ctx, "kv_type": o.kv_type,
        "backend": o.backend, "offload": o.offload,
        "api": api.offering.map(|o| o.id.as_str()),
        "api_input_usd_per_m": api.price.input_usd_per_m,
        "api_output_usd_per_m": api.price.output_usd_per_m,
        "input_per_output": ipo, "years": years, "kwh_usd": kwh_usd,
        "kwh_source": a.kwh_usd.is_none().then_some(db.local_cost.kwh_source.as_str()),
        "tokens_per_month": volume, "price_usd": a.price_usd, "power_w": a.power_w,
    }));
    out.title = Some(format!(
        "{} · {} · requests of {} tokens ({} input per output) against {} — purchase over {} years, electricity ${}/kWh; volumes are output tokens per month{}",
        model.name,
        quant.name,
        ctx,
        ipo,
        api.label,
        years,
        kwh_usd,
        match volume {
            Some(v) => format!(", evaluated at {}", human_tokens(v)),
            None => ", evaluated at each machine's capacity (busy around the clock)".into(),
        }
    ));
    if let [one] = rows.as_slice() {
        if one.breakeven.volume == Volume::Capped {
            warnings.push(format!(
                "--tokens-per-month {} is more than '{}' can make ({} output tokens/month, one stream): costs and payback are at capacity, the rest would still go to the API",
                a.tokens_per_month.as_deref().unwrap_or_default(),
                one.device,
                human_tokens(one.breakeven.capacity_tokens_per_month)
            ));
        }
        out.view = single_view(one);
        out.notes.push(one.explanation.clone());
    } else {
        out.view = ranking_view(&rows);
        out.notes.push("Ranked by payback: machines where the model fits in fast memory first, then those that spill to host memory (their speed rests on a host PC whose price is not included), then those where it does not run.".into());
    }
    out.notes.push(
        "Capacity is one stream at a time (batch 1): concurrent serving is not modelled yet, so a machine serving several requests at once makes more tokens than shown, at about the same power.".into(),
    );
    if cards {
        out.notes.push("Discrete GPU prices and power are the card's alone (launch MSRP, board power): pass --price-usd and --power-w for the whole machine.".into());
    }
    out.results = to_values(&rows);
    out.warnings = warnings;
    Ok(out)
}

fn verdict_label(v: Verdict) -> &'static str {
    match v {
        Verdict::PaysOff => "pays off",
        Verdict::BelowBreakeven => "below break-even",
        Verdict::BeyondCapacity => "never: beyond capacity",
        Verdict::ApiCheaperThanElectricity => "never: API below electricity",
        Verdict::DoesNotRun => "does not run",
    }
}

/// Rounds values that would print as `-0` at 0 decimals to 0.
fn no_negative_zero(v: f64) -> f64 {
    if v.abs() < 0.5 {
        0.0
    } else {
        v
    }
}

fn m_tokens(v: Option<f64>) -> Cell {
    Cell::opt(v.map(|x| x / 1e6), 2)
}

fn ranking_view(rows: &[DeviceBreakeven]) -> View {
    View {
        headers: [
            "#",
            "device",
            "memory",
            "price USD",
            "power W",
            "decode tok/s",
            "capacity M tok/month",
            "break-even M tok/month",
            "at M tok/month",
            "local USD/1M tok",
            "saving USD/month",
            "payback months",
            "verdict",
        ]
        .map(String::from)
        .to_vec(),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let b = &r.breakeven;
                vec![
                    Cell::Num((i + 1) as f64, 0),
                    r.device.as_str().into(),
                    r.memory_verdict.replace('_', " ").into(),
                    Cell::Num(r.price_usd, 0),
                    Cell::Num(r.power_w, 0),
                    with_interval(r.decode_tok_s, r.decode_tok_s_lo, r.decode_tok_s_hi).into(),
                    m_tokens(Some(b.capacity_tokens_per_month)),
                    m_tokens(b.breakeven_tokens_per_month),
                    m_tokens(Some(b.tokens_per_month)),
                    Cell::opt(b.local_usd_per_m_tokens, 2),
                    Cell::Num(no_negative_zero(b.monthly_savings_usd), 0),
                    Cell::opt(b.payback_months, 1),
                    verdict_label(b.verdict).into(),
                ]
            })
            .collect(),
    }
}

fn single_view(r: &DeviceBreakeven) -> View {
    let b = &r.breakeven;
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut kv = |k: &str, v: Cell| rows.push(vec![k.into(), v]);
    kv(
        "machine",
        format!(
            "{} · {} · {} · {} · ctx {}",
            r.device, r.model, r.quant, r.backend, r.ctx
        )
        .into(),
    );
    kv("memory verdict", r.memory_verdict.replace('_', " ").into());
    kv(
        "price USD",
        format!("{:.0} ({})", r.price_usd, r.price_source).into(),
    );
    kv(
        &format!("purchase over {} years USD/month", r.years),
        Cell::Num(b.amortization_usd_per_month, 2),
    );
    kv("power while busy W", Cell::Num(r.power_w, 0));
    kv("electricity USD/kWh", Cell::Num(r.kwh_usd, 3));
    kv(
        "decode tok/s",
        with_interval(r.decode_tok_s, r.decode_tok_s_lo, r.decode_tok_s_hi).into(),
    );
    kv("prefill tok/s", Cell::opt(r.prefill_tok_s, 0));
    kv(
        "busy ms per output token (1/decode + R/prefill)",
        Cell::opt(r.seconds_per_output_token.map(|s| s * 1e3), 2),
    );
    kv(
        "energy J per output token",
        Cell::opt(b.energy_j_per_token, 2),
    );
    kv(
        "electricity USD per 1M output tokens",
        Cell::opt(b.electricity_usd_per_m_tokens, 3),
    );
    kv(
        "API USD per 1M output tokens (input included)",
        Cell::Num(b.api_usd_per_m_tokens, 3),
    );
    kv(
        "capacity M output tokens/month (1 stream)",
        match (
            r.capacity_tokens_per_month_lo,
            r.capacity_tokens_per_month_hi,
        ) {
            (Some(lo), Some(hi)) => format!(
                "{} ({}–{})",
                sig(b.capacity_tokens_per_month / 1e6),
                sig(lo / 1e6),
                sig(hi / 1e6)
            )
            .into(),
            _ => Cell::Num(0.0, 0),
        },
    );
    kv(
        "break-even M output tokens/month",
        m_tokens(b.breakeven_tokens_per_month),
    );
    let basis = match b.volume {
        Volume::Given => "given",
        Volume::Capped => "capped at capacity",
        Volume::Capacity => "capacity",
    };
    kv(
        &format!("volume M output tokens/month ({basis})"),
        m_tokens(Some(b.tokens_per_month)),
    );
    kv(
        "local USD/month at that volume",
        Cell::Num(b.monthly_cost_usd, 2),
    );
    kv(
        "local USD per 1M output tokens at that volume",
        Cell::opt(b.local_usd_per_m_tokens, 3),
    );
    kv(
        "API USD/month at that volume",
        Cell::Num(b.api_monthly_cost_usd, 2),
    );
    kv("saving USD/month", Cell::Num(b.monthly_savings_usd, 2));
    kv("payback months", Cell::opt(b.payback_months, 1));
    kv("verdict", verdict_label(b.verdict).into());
    View {
        headers: vec!["quantity".into(), "value".into()],
        rows,
    }
}

/// `tokenfit apis [ID]`.
pub fn apis_cmd(db: &Db, a: ShowArgs) -> Result<Output> {
    let mut out = Output::new(json!({ "command": "apis", "id": a.id }));
    if let Some(id) = &a.id {
        let v = serde_json::to_value(db.offering(id)?)?;
        out.view = kv_view(&v);
        out.results = vec![v];
        return Ok(out);
    }
    out.view = View {
        headers: [
            "id",
            "name",
            "input USD/1M",
            "cached input USD/1M",
            "output USD/1M",
            "local model",
            "as of",
        ]
        .map(String::from)
        .to_vec(),
        rows: db
            .offerings
            .iter()
            .map(|o| {
                vec![
                    o.id.as_str().into(),
                    o.name.as_str().into(),
                    Cell::Num(o.input_usd_per_m, 3),
                    Cell::opt(o.cached_input_usd_per_m, 3),
                    Cell::Num(o.output_usd_per_m, 2),
                    o.local_model.clone().unwrap_or_default().into(),
                    o.as_of.as_str().into(),
                ]
            })
            .collect(),
    };
    out.results = to_values(&db.offerings);
    out.notes.push(format!(
        "Electricity default: ${}/kWh ({}, {}); purchases amortized over {} years.",
        db.local_cost.kwh_usd,
        db.local_cost.kwh_source,
        db.local_cost.kwh_as_of,
        db.local_cost.amortization_years
    ));
    Ok(out)
}
