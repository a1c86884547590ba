//! Break-even of a local machine against an API priced per token.
//!
//! Volumes count **output** (generated) tokens per month; each comes with `R` input (prompt)
//! tokens (`--input-per-output`). With the purchase price `P`, the years it is amortized over
//! `Y`, the API prices `p_in`, `p_out` (USD per 1M tokens), electricity `K` (USD/kWh), the
//! machine's power `W` and its predicted speeds:
//!
//! - API cost per output token `a = (p_out + R · p_in) / 1e6`;
//! - seconds the machine is busy per output token `t = 1/decode + R/prefill` (tok/s predicted
//!   by [`crate::model::predict`]); electricity per output token `e = W · t / 3.6e6 · K`;
//! - the machine is on `H` hours a day (`--hours-per-day`, 24 by default), `h = 730.5 · H/24`
//!   hours a month, and draws its idle power `W_i` whenever it is on and not generating:
//!   idle costs `I = W_i · h / 1000 · K` a month at zero volume, and each output token takes
//!   its busy time off it, `i = W_i · t / 3.6e6 · K`;
//! - owning costs `C(T) = P / (12·Y) + I + (e − i) · T` per month at `T` output tokens a
//!   month (with `W_i = 0`, `P / (12·Y) + e · T`);
//! - break-even `T* = (P / (12·Y) + I) / (a − e + i)`: local equals API. When `a ≤ e − i`
//!   the electricity alone costs more than the API and it never pays off;
//! - capacity `T_max = h · 3600 / t` (busy all the hours it is on, one stream);
//! - payback at `T`: `P / (T · (a − e + i) − I)` months. At `T = T*` this is exactly `12·Y`, so a
//!   machine pays off (within the years it is amortized over) iff `T ≥ T*`; `payback_months`
//!   is null otherwise, and always when `T* > T_max` (the machine cannot make enough tokens).
//!   Without a volume, `T = T_max` (the best case); a volume above `T_max` is capped at it.
//!
//! Worked example (the issue's): $4,499 over 3 years against GPT-4o output at $10 per 1M,
//! electricity ignored (`K = 0`, `R = 0`): `P / (12·Y) = 4499 / 36 = $124.97` a month,
//! `a = 10 / 1e6`, so `T* = 124.97 / 1e-5 = 12.497M` output tokens a month.
//!
//! Assumptions: one stream at a time (batched serving is not modelled yet: a GPU serving
//! several requests at once makes several times more tokens for about the same power, so
//! capacity is a lower bound and break-even a pessimistic figure for a busy server); power is
//! what the device draws for the workload (`model/power.rs`) or its rated power while busy,
//! its idle power (devices with power data, or `--idle-w`; else zero) while on and idle; prompt caching, resale value,
//! maintenance and the host PC of a discrete GPU are left out.

use super::energy::{
    amortization_usd_per_month, capacity_tokens_per_month, electricity_usd_per_m_tokens,
    energy_j_per_token, HOURS_PER_MONTH,
};
use crate::units::{parse_count, CountScale};
use serde::Serialize;

/// An API's prices, USD per 1M tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ApiPrice {
    /// Input tokens, USD per 1M.
    pub input_usd_per_m: f64,
    /// Output tokens, USD per 1M.
    pub output_usd_per_m: f64,
}

impl ApiPrice {
    /// USD per 1M output tokens with `input_per_output` input tokens each:
    /// `p_out + R · p_in`.
    pub fn usd_per_m_output(&self, input_per_output: f64) -> f64 {
        self.output_usd_per_m + input_per_output * self.input_usd_per_m
    }
}

/// The local side: what the machine cost and what it draws.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ownership {
    /// Purchase price, USD.
    pub price_usd: f64,
    /// Years the purchase is amortized over.
    pub years: f64,
    /// Power while busy, W.
    pub power_w: f64,
    /// Power while on but not generating, W.
    pub idle_w: f64,
    /// Hours a day the machine is on (24: always).
    pub hours_per_day: f64,
    /// Electricity, USD per kWh.
    pub kwh_usd: f64,
}

/// Seconds the machine is busy per output token: `1/decode + R/prefill`.
pub fn seconds_per_output_token(
    decode_tok_s: f64,
    prefill_tok_s: f64,
    input_per_output: f64,
) -> f64 {
    let prefill = if input_per_output > 0.0 {
        input_per_output / prefill_tok_s
    } else {
        0.0
    };
    1.0 / decode_tok_s + prefill
}

/// Output tokens a month at which owning costs what the API costs: `A / (a − e)` with `A`
/// the amortization per month and `a`, `e` the API and electricity cost per token (None when
/// `a ≤ e`: never).
pub fn breakeven_tokens_per_month(
    amortization_usd_per_month: f64,
    api_usd_per_token: f64,
    electricity_usd_per_token: f64,
) -> Option<f64> {
    let margin = api_usd_per_token - electricity_usd_per_token;
    (margin > 0.0).then(|| amortization_usd_per_month / margin)
}

/// Why a machine pays off or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The volume reaches break-even: payback within the years amortized over.
    PaysOff,
    /// The machine could reach break-even, but the volume is below it.
    BelowBreakeven,
    /// Break-even needs more tokens than the machine can make.
    BeyondCapacity,
    /// Electricity per token costs at least what the API charges.
    ApiCheaperThanElectricity,
    /// The model does not run on the machine.
    DoesNotRun,
}

impl Verdict {
    /// Whether the purchase is recovered within the years it is amortized over.
    pub fn is_paying_off(self) -> bool {
        self == Verdict::PaysOff
    }
}

/// Which volume the costs are evaluated at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Volume {
    /// The volume given.
    Given,
    /// The volume given was above capacity: capped at it.
    Capped,
    /// No volume given: the machine busy around the clock.
    Capacity,
}

/// The break-even of one machine against one API price.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Breakeven {
    /// Purchase amortized per month, USD.
    pub amortization_usd_per_month: f64,
    /// API cost per 1M output tokens (input included at R per output), USD.
    pub api_usd_per_m_tokens: f64,
    /// Energy per output token (prefill share included), J.
    pub energy_j_per_token: Option<f64>,
    /// Electricity per 1M output tokens, USD.
    pub electricity_usd_per_m_tokens: Option<f64>,
    /// Output tokens a month at which local equals API (null: never).
    pub breakeven_tokens_per_month: Option<f64>,
    /// Output tokens a month the machine can make, one stream, busy all the hours it is on.
    pub capacity_tokens_per_month: f64,
    /// Idle electricity a month were it never to generate, USD (`idle_w` over the hours on);
    /// each generated token takes its own busy time off it.
    pub idle_usd_per_month: f64,
    /// Output tokens a month the costs are evaluated at.
    pub tokens_per_month: f64,
    /// given | capped | capacity.
    pub volume: Volume,
    /// Owning costs per month at that volume (amortization + electricity), USD.
    pub monthly_cost_usd: f64,
    /// Owning costs per 1M output tokens at that volume, USD (null at zero volume).
    pub local_usd_per_m_tokens: Option<f64>,
    /// The API's cost per month at that volume, USD.
    pub api_monthly_cost_usd: f64,
    /// API minus owning costs per month, USD (negative: local is dearer).
    pub monthly_savings_usd: f64,
    /// Months to recover the purchase (null when it never pays off within the years).
    pub payback_months: Option<f64>,
    /// Purchase / (API minus electricity per month), whatever the years (null when that is
    /// not positive).
    pub simple_payback_months: Option<f64>,
    /// Why.
    pub verdict: Verdict,
}

/// The break-even at `tokens_per_month` (None: at capacity), the machine busy
/// `seconds_per_output_token` per output token (None: the model does not run).
pub fn breakeven(
    own: &Ownership,
    api_usd_per_m_tokens: f64,
    seconds_per_output_token: Option<f64>,
    tokens_per_month: Option<f64>,
) -> Breakeven {
    let amort = amortization_usd_per_month(own.price_usd, own.years);
    let a = api_usd_per_m_tokens / 1e6;
    let energy = seconds_per_output_token.map(|t| energy_j_per_token(own.power_w, t));
    let elec_m = energy.map(|e| electricity_usd_per_m_tokens(e, own.kwh_usd));
    let e = elec_m.unwrap_or(0.0) / 1e6;
    let on = (own.hours_per_day / 24.0).clamp(0.0, 1.0);
    let capacity = seconds_per_output_token.map_or(0.0, |t| capacity_tokens_per_month(t) * on);
    // Idle draw over the hours on, less the busy time of each token.
    let idle_month = own.idle_w * HOURS_PER_MONTH * on / 1000.0 * own.kwh_usd;
    let i = seconds_per_output_token.map_or(0.0, |t| {
        electricity_usd_per_m_tokens(energy_j_per_token(own.idle_w, t), own.kwh_usd) / 1e6
    });
    let (volume, t) = match tokens_per_month {
        None => (Volume::Capacity, capacity),
        Some(v) if v > capacity => (Volume::Capped, capacity),
        Some(v) => (Volume::Given, v),
    };
    let t_star = breakeven_tokens_per_month(amort + idle_month, a, e - i);
    let monthly_cost = amort + idle_month + (e - i) * t;
    let api_monthly = a * t;
    let gross = t * (a - e + i) - idle_month;
    let verdict = match t_star {
        _ if seconds_per_output_token.is_none() => Verdict::DoesNotRun,
        None => Verdict::ApiCheaperThanElectricity,
        Some(x) if x > capacity => Verdict::BeyondCapacity,
        Some(x) if t < x => Verdict::BelowBreakeven,
        Some(_) => Verdict::PaysOff,
    };
    let simple = if verdict == Verdict::DoesNotRun {
        None
    } else if own.price_usd == 0.0 {
        Some(0.0)
    } else {
        (gross > 0.0).then(|| own.price_usd / gross)
    };
    Breakeven {
        amortization_usd_per_month: amort,
        api_usd_per_m_tokens,
        energy_j_per_token: energy,
        electricity_usd_per_m_tokens: elec_m,
        breakeven_tokens_per_month: t_star,
        capacity_tokens_per_month: capacity,
        idle_usd_per_month: idle_month,
        tokens_per_month: t,
        volume,
        monthly_cost_usd: monthly_cost,
        local_usd_per_m_tokens: (t > 0.0).then(|| monthly_cost / t * 1e6),
        api_monthly_cost_usd: api_monthly,
        monthly_savings_usd: api_monthly - monthly_cost,
        payback_months: if verdict.is_paying_off() {
            simple
        } else {
            None
        },
        simple_payback_months: simple,
        verdict,
    }
}

/// `12497000` → `12.5M`, `263e6` → `263M`, `1.2e9` → `1.20B`.
pub fn human_tokens(v: f64) -> String {
    let (x, unit) = if v >= 1e9 {
        (v / 1e9, "B")
    } else if v >= 1e6 {
        (v / 1e6, "M")
    } else if v >= 1e3 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    format!("{}{unit}", super::row::sig(x))
}

/// Parses a volume of tokens: `12500000`, `12.5M`, `800k`, `2B` ([`parse_count`] with
/// decimal suffixes: k = 1e3, M = 1e6, B or G = 1e9).
pub fn parse_volume(s: &str) -> Result<f64, String> {
    parse_count(
        s,
        CountScale::Decimal,
        "token volume",
        "12500000, 12.5M or 800k",
    )
}

/// One plain sentence: does it pay off, when, and if not why.
pub fn explain(b: &Breakeven, years: f64) -> String {
    let tk = |v: f64| format!("{} tokens/month", human_tokens(v));
    let at = match b.volume {
        Volume::Capacity => format!("running flat out at {}", tk(b.tokens_per_month)),
        Volume::Capped => format!("at its capacity of {}", tk(b.tokens_per_month)),
        Volume::Given => format!("at {}", tk(b.tokens_per_month)),
    };
    let months = 12.0 * years;
    match b.verdict {
        Verdict::DoesNotRun => "The model does not run on this machine: it never pays off.".into(),
        Verdict::ApiCheaperThanElectricity => format!(
            "Never pays off: electricity alone costs ${:.3} per 1M output tokens, the API ${:.3}.",
            b.electricity_usd_per_m_tokens.unwrap_or(0.0),
            b.api_usd_per_m_tokens
        ),
        Verdict::BeyondCapacity => format!(
            "Never pays off: break-even needs {}, but the machine can make only {} (one stream, around the clock).",
            tk(b.breakeven_tokens_per_month.unwrap_or(f64::INFINITY)),
            tk(b.capacity_tokens_per_month)
        ),
        Verdict::BelowBreakeven => format!(
            "Never pays off {at} within {years} years: break-even is {}{}.",
            tk(b.breakeven_tokens_per_month.unwrap_or(f64::INFINITY)),
            b.simple_payback_months.map_or(String::new(), |m| format!(
                "; recovering the purchase would take {m:.0} months, more than the {months:.0} it is amortized over"
            ))
        ),
        Verdict::PaysOff => format!(
            "Pays off in {:.1} months {at}; break-even is {}, and it saves ${:.0} a month after amortization.",
            b.payback_months.unwrap_or(0.0),
            tk(b.breakeven_tokens_per_month.unwrap_or(0.0)),
            b.monthly_savings_usd
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn own(kwh_usd: f64) -> Ownership {
        Ownership {
            price_usd: 4499.0,
            years: 3.0,
            power_w: 240.0,
            idle_w: 0.0,
            hours_per_day: 24.0,
            kwh_usd,
        }
    }

    #[test]
    fn the_issue_worked_example() {
        // 4499 / 36 = 124.97 USD a month; / (10 / 1e6) = 12.497M output tokens a month.
        let b = breakeven(&own(0.0), 10.0, Some(0.02), None);
        assert_relative_eq!(b.amortization_usd_per_month, 124.972, max_relative = 1e-5);
        assert_relative_eq!(
            b.breakeven_tokens_per_month.unwrap(),
            12.4972e6,
            max_relative = 1e-5
        );
        // capacity at 50 tok/s: 730.5 · 3600 · 50 = 131.49M ≥ break-even: pays off.
        assert_eq!(b.verdict, Verdict::PaysOff);
        // payback at capacity: 4499 / (131.49M · 1e-5) = 3.42 months.
        assert_relative_eq!(b.payback_months.unwrap(), 3.4216, max_relative = 1e-3);
    }

    #[test]
    fn payback_at_breakeven_is_the_amortization_period() {
        let b0 = breakeven(&own(0.165), 10.0, Some(0.02), None);
        let t = b0.breakeven_tokens_per_month.unwrap();
        let b = breakeven(&own(0.165), 10.0, Some(0.02), Some(t * 1.000001));
        assert_relative_eq!(b.payback_months.unwrap(), 36.0, max_relative = 1e-5);
        let below = breakeven(&own(0.165), 10.0, Some(0.02), Some(t * 0.5));
        assert_eq!(below.verdict, Verdict::BelowBreakeven);
        assert!(below.payback_months.is_none());
        assert_relative_eq!(
            below.simple_payback_months.unwrap(),
            72.0,
            max_relative = 1e-5
        );
    }

    #[test]
    fn electricity_raises_breakeven() {
        // e = 240 W · 0.02 s / 3.6e6 · 0.165 = 2.2e-7 USD/token; T* = 124.97 / (1e-5 − 2.2e-7).
        let b = breakeven(&own(0.165), 10.0, Some(0.02), None);
        assert_relative_eq!(
            b.breakeven_tokens_per_month.unwrap(),
            124.972 / (1e-5 - 2.2e-7),
            max_relative = 1e-5
        );
    }

    #[test]
    fn never_pays_off_cases() {
        // 1 tok/s: capacity 2.63M < 12.5M.
        let slow = breakeven(&own(0.0), 10.0, Some(1.0), None);
        assert_eq!(slow.verdict, Verdict::BeyondCapacity);
        assert!(slow.payback_months.is_none());
        assert!(explain(&slow, 3.0).starts_with("Never pays off"));
        // API at 0.01 USD/1M against 240 W · 0.02 s at 0.165 = 0.22 USD/1M.
        let cheap = breakeven(&own(0.165), 0.01, Some(0.02), None);
        assert_eq!(cheap.verdict, Verdict::ApiCheaperThanElectricity);
        assert!(cheap.breakeven_tokens_per_month.is_none());
        let none = breakeven(&own(0.165), 10.0, None, None);
        assert_eq!(none.verdict, Verdict::DoesNotRun);
        // a volume above capacity is capped.
        let capped = breakeven(&own(0.0), 10.0, Some(0.02), Some(1e12));
        assert_eq!(capped.volume, Volume::Capped);
        assert_eq!(capped.tokens_per_month, capped.capacity_tokens_per_month);
    }

    #[test]
    fn api_price_and_busy_time() {
        let gpt4o = ApiPrice {
            input_usd_per_m: 2.5,
            output_usd_per_m: 10.0,
        };
        assert_relative_eq!(gpt4o.usd_per_m_output(3.0), 17.5);
        // 1/20 + 4/1000 = 0.054 s
        assert_relative_eq!(seconds_per_output_token(20.0, 1000.0, 4.0), 0.054);
        assert_relative_eq!(seconds_per_output_token(20.0, f64::NAN, 0.0), 0.05);
        assert_eq!(parse_volume("12.5M"), Ok(12.5e6));
        assert_eq!(parse_volume("800k"), Ok(800e3));
        assert!(parse_volume("-1").is_err());
        assert!(parse_volume("lots").is_err());
        assert_eq!(human_tokens(12.4972e6), "12.5M");
    }
}
