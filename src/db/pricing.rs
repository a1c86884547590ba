//! API pricing and the local-cost defaults, read from `model-db/api-pricing.yaml`.
//!
//! An offering is one model sold per token by one provider: input, output and (where the
//! provider has one) cached-input price in US dollars per million tokens, with the date the
//! price was read (`as_of`) and the pricing page it was read from (`source`). `local_cost`
//! holds the defaults of the local side of a break-even: the electricity price per kWh (with
//! its source) and the years a purchase is amortized over.

use super::check::{err, positive};
use crate::error::Result;
use serde::{Deserialize, Serialize};

/// Raw mirror of one API offering.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OfferingRaw {
    /// Unique id (what `--api` takes).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Who sells it.
    pub provider: String,
    /// Other names (the provider's model string).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Input (prompt) tokens, USD per 1M.
    pub input_usd_per_m: f64,
    /// Cached input tokens (prompt-cache hits), USD per 1M, where the provider has a price.
    #[serde(default)]
    pub cached_input_usd_per_m: Option<f64>,
    /// Output (generated) tokens, USD per 1M.
    pub output_usd_per_m: f64,
    /// The open model served, as a tokenfit model id (hosted open models only).
    #[serde(default)]
    pub local_model: Option<String>,
    /// Date the price was read (YYYY-MM or YYYY-MM-DD).
    pub as_of: String,
    /// The pricing page.
    pub source: String,
    /// Free text (tiers, doubts).
    #[serde(default)]
    pub note: Option<String>,
}

/// Raw mirror of the local-cost defaults.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LocalCostRaw {
    /// Electricity, USD per kWh.
    pub kwh_usd: f64,
    /// Date of the electricity price.
    pub kwh_as_of: String,
    /// Where the electricity price comes from.
    pub kwh_source: String,
    /// Years a purchase is amortized over.
    pub amortization_years: f64,
    /// Free text.
    #[serde(default)]
    pub note: Option<String>,
}

/// Raw mirror of a pricing file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PricingFileRaw {
    /// Local-cost defaults.
    #[serde(default)]
    pub local_cost: Option<LocalCostRaw>,
    /// The offerings.
    #[serde(default)]
    pub offerings: Vec<OfferingRaw>,
}

/// Checks a date written YYYY, YYYY-MM or YYYY-MM-DD.
pub fn check_date(file: &str, entry: &str, field: &str, s: &str) -> Result<()> {
    let parts: Vec<&str> = s.split('-').collect();
    let digits = |p: &str, n: usize| p.len() == n && p.chars().all(|c| c.is_ascii_digit());
    let ok = !parts.is_empty()
        && parts.len() <= 3
        && digits(parts[0], 4)
        && parts[1..].iter().all(|p| digits(p, 2));
    if ok {
        Ok(())
    } else {
        Err(err(
            file,
            entry,
            field,
            format!("'{s}' is not a date; expected YYYY-MM or YYYY-MM-DD"),
        ))
    }
}

fn check_source(file: &str, entry: &str, field: &str, s: &str) -> Result<()> {
    if s.trim().is_empty() {
        Err(err(
            file,
            entry,
            field,
            "must name where the price comes from (a URL)",
        ))
    } else {
        Ok(())
    }
}

/// Validates an offering: positive prices, cached input no dearer than input, a date and a
/// source.
pub fn offering(file: &str, o: &OfferingRaw) -> Result<()> {
    if o.id.is_empty()
        || !o
            .id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._+-".contains(c))
    {
        return Err(err(
            file,
            &o.id,
            "id",
            "ids are lowercase letters, digits and . _ + -",
        ));
    }
    positive(file, &o.id, "input_usd_per_m", o.input_usd_per_m)?;
    positive(file, &o.id, "output_usd_per_m", o.output_usd_per_m)?;
    if let Some(c) = o.cached_input_usd_per_m {
        positive(file, &o.id, "cached_input_usd_per_m", c)?;
        if c > o.input_usd_per_m {
            return Err(err(
                file,
                &o.id,
                "cached_input_usd_per_m",
                format!(
                    "{c} is dearer than the uncached input price {}",
                    o.input_usd_per_m
                ),
            ));
        }
    }
    check_date(file, &o.id, "as_of", &o.as_of)?;
    check_source(file, &o.id, "source", &o.source)
}

/// Validates the local-cost defaults.
pub fn local_cost(file: &str, l: &LocalCostRaw) -> Result<()> {
    positive(file, "local_cost", "kwh_usd", l.kwh_usd)?;
    positive(
        file,
        "local_cost",
        "amortization_years",
        l.amortization_years,
    )?;
    check_date(file, "local_cost", "kwh_as_of", &l.kwh_as_of)?;
    check_source(file, "local_cost", "kwh_source", &l.kwh_source)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpt4o() -> OfferingRaw {
        OfferingRaw {
            id: "gpt-4o".into(),
            name: "GPT-4o".into(),
            provider: "OpenAI".into(),
            aliases: vec![],
            input_usd_per_m: 2.5,
            cached_input_usd_per_m: Some(1.25),
            output_usd_per_m: 10.0,
            local_model: None,
            as_of: "2025-08".into(),
            source: "https://openai.com/api/pricing".into(),
            note: None,
        }
    }

    #[test]
    fn validates_prices_dates_and_sources() {
        assert!(offering("f", &gpt4o()).is_ok());
        let bad = [
            OfferingRaw {
                output_usd_per_m: -1.0,
                ..gpt4o()
            },
            OfferingRaw {
                cached_input_usd_per_m: Some(3.0),
                ..gpt4o()
            },
            OfferingRaw {
                as_of: "August".into(),
                ..gpt4o()
            },
            OfferingRaw {
                source: " ".into(),
                ..gpt4o()
            },
        ];
        for b in bad {
            assert!(offering("f", &b).is_err(), "{b:?}");
        }
        assert!(check_date("f", "e", "as_of", "2025-08-07").is_ok());
        assert!(check_date("f", "e", "as_of", "2025-8").is_err());
    }
}
