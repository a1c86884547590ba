//! Links between devices, read from `hardware-db/links.yaml`: bandwidth per direction and
//! the small-message latency a collective step pays.

use serde::{Deserialize, Serialize};

/// One link kind.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkEntryRaw {
    /// Id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Bandwidth per direction, GB/s.
    pub bandwidth_gb_s: f64,
    /// One-way small-message latency, µs.
    pub latency_us: f64,
    /// Where the numbers come from.
    pub source: String,
}

/// Raw mirror of links.yaml.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkFileRaw {
    /// The links.
    pub links: Vec<LinkEntryRaw>,
}
