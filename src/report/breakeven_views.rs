//! Human views of the break-even: one machine as a breakdown, many ranked, the API prices.

use super::{Cell, View};
use crate::advise::breakeven::{Verdict, Volume};
use crate::advise::payback::DeviceBreakeven;
use crate::advise::row::{sig, with_interval};
use crate::db::pricing::OfferingRaw;

/// A short label of a break-even verdict.
pub fn verdict_label(v: Verdict) -> &'static str {
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

/// `breakeven --devices`: one machine per row, ranked.
pub fn ranking_view(rows: &[DeviceBreakeven]) -> View {
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

/// `breakeven --device`: one machine, as a key/value breakdown.
pub fn single_view(r: &DeviceBreakeven) -> View {
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
    kv("power while idle W", Cell::Num(r.idle_w, 0));
    kv("hours on per day", Cell::Num(r.hours_per_day, 1));
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
    volume_rows(r, &mut kv);
    View::quantities(rows)
}

/// The capacity, the break-even and the monthly figures at the volume evaluated.
fn volume_rows(r: &DeviceBreakeven, kv: &mut impl FnMut(&str, Cell)) {
    let b = &r.breakeven;
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
}

/// `apis`: one offering per row.
pub fn apis_view(offerings: &[OfferingRaw]) -> View {
    View {
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
        rows: offerings
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
    }
}
