//! Energy per token and the local cost per million tokens.
//!
//! A token keeps the machine busy for `t` seconds (decode alone: `t = 1 / decode tok/s`; a
//! workload with `R` prompt tokens per generated token: `t = 1/decode + R/prefill`, see
//! [`super::breakeven`]). While busy the machine draws its rated power `W` (the device's
//! `power_w`: board power of a GPU card, package or system power of an SoC), so
//!
//! - energy per token `E = W · t` joules;
//! - electricity per 1M tokens `= E / 3.6e6 J/kWh · K USD/kWh · 1e6`;
//! - a month (`365.25 · 24 / 12 = 730.5` h) at full use makes `T_max = 730.5 · 3600 / t`
//!   tokens (the capacity);
//! - the purchase per 1M tokens, amortized over `Y` years at `T` tokens a month,
//!   `= price / (12 · Y) / T · 1e6`; `fit` and `predict` show it at full use (`T = T_max`),
//!   the lowest it can be;
//! - local cost per 1M tokens `=` electricity `+` purchase.
//!
//! Example: an RTX 4090 (450 W, $1,599) decoding 100 tok/s: `E = 4.5 J/token`;
//! electricity at $0.165/kWh `= 4.5 / 3.6e6 · 0.165 · 1e6 = $0.206` per 1M tokens;
//! `T_max = 730.5 · 3600 · 100 = 263M` tokens a month; purchase over 3 years
//! `= 1599 / 36 / 263e6 · 1e6 = $0.169` per 1M; local `$0.375` per 1M tokens.
//!
//! Assumptions: rated power while busy, nothing while idle (idle draw, the host PC of a
//! discrete GPU, cooling are left out: pass a wall-meter figure as `--power-w` to
//! `breakeven`); one stream at a time (batched serving makes more tokens for about the
//! same power, so these are upper bounds on cost per token).

/// Hours in an average month: 365.25 days × 24 h / 12.
pub const HOURS_PER_MONTH: f64 = 365.25 * 24.0 / 12.0;

/// Joules in a kilowatt-hour.
pub const J_PER_KWH: f64 = 3.6e6;

/// Energy per token, J: power (W) times the seconds one token keeps the machine busy.
pub fn energy_j_per_token(power_w: f64, seconds_per_token: f64) -> f64 {
    power_w * seconds_per_token
}

/// Electricity per 1M tokens, USD, at `kwh_usd` per kWh.
pub fn electricity_usd_per_m_tokens(energy_j_per_token: f64, kwh_usd: f64) -> f64 {
    energy_j_per_token / J_PER_KWH * kwh_usd * 1e6
}

/// Tokens a month at full use (busy 730.5 h).
pub fn capacity_tokens_per_month(seconds_per_token: f64) -> f64 {
    HOURS_PER_MONTH * 3600.0 / seconds_per_token
}

/// The purchase amortized over `years`, USD per month.
pub fn amortization_usd_per_month(price_usd: f64, years: f64) -> f64 {
    price_usd / (12.0 * years)
}

/// The purchase per 1M tokens, USD, amortized over `years` at `tokens_per_month` (None when
/// no tokens are made).
pub fn purchase_usd_per_m_tokens(price_usd: f64, years: f64, tokens_per_month: f64) -> Option<f64> {
    (tokens_per_month > 0.0)
        .then(|| amortization_usd_per_month(price_usd, years) / tokens_per_month * 1e6)
}

/// The cost of local tokens at full use.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LocalCost {
    /// Energy per token, J.
    pub energy_j_per_token: f64,
    /// Electricity per 1M tokens, USD.
    pub electricity_usd_per_m_tokens: f64,
    /// Purchase per 1M tokens at full use, USD (None without a price).
    pub purchase_usd_per_m_tokens: Option<f64>,
    /// Electricity plus purchase per 1M tokens, USD (None without a price).
    pub local_usd_per_m_tokens: Option<f64>,
}

/// Local cost per token at full use: `seconds_per_token` busy at `power_w`, electricity at
/// `kwh_usd`, the price (when known) amortized over `years`.
pub fn local_cost_at_full_use(
    power_w: f64,
    price_usd: Option<f64>,
    years: f64,
    kwh_usd: f64,
    seconds_per_token: f64,
) -> LocalCost {
    let e = energy_j_per_token(power_w, seconds_per_token);
    let elec = electricity_usd_per_m_tokens(e, kwh_usd);
    let cap = capacity_tokens_per_month(seconds_per_token);
    let purchase = price_usd.and_then(|p| purchase_usd_per_m_tokens(p, years, cap));
    LocalCost {
        energy_j_per_token: e,
        electricity_usd_per_m_tokens: elec,
        purchase_usd_per_m_tokens: purchase,
        local_usd_per_m_tokens: purchase.map(|p| p + elec),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn the_worked_example_of_the_module_doc() {
        // RTX 4090: 450 W, $1,599, 100 tok/s → t = 0.01 s.
        let c = local_cost_at_full_use(450.0, Some(1599.0), 3.0, 0.165, 0.01);
        assert_relative_eq!(c.energy_j_per_token, 4.5, max_relative = 1e-12);
        // 4.5 / 3.6e6 · 0.165 · 1e6 = 0.20625
        assert_relative_eq!(
            c.electricity_usd_per_m_tokens,
            0.20625,
            max_relative = 1e-12
        );
        // 730.5 · 3600 / 0.01 = 262.98M tokens; 1599 / 36 / 262.98e6 · 1e6 = 0.16890
        assert_relative_eq!(
            capacity_tokens_per_month(0.01),
            262.98e6,
            max_relative = 1e-9
        );
        let purchase = c.purchase_usd_per_m_tokens.unwrap();
        assert_relative_eq!(purchase, 0.16890, max_relative = 1e-4);
        assert_relative_eq!(
            c.local_usd_per_m_tokens.unwrap(),
            0.20625 + purchase,
            max_relative = 1e-12
        );
        assert!(local_cost_at_full_use(450.0, None, 3.0, 0.165, 0.01)
            .local_usd_per_m_tokens
            .is_none());
        assert!(purchase_usd_per_m_tokens(1599.0, 3.0, 0.0).is_none());
    }
}
