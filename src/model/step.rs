//! What a step's time is made of: the decode step and the prefill broken down into their
//! terms, and which resource bound them. The physics of `decode`, `prefill` and the CPU
//! backend fill these in; reports read them.

use super::TierName;
use crate::units::{Bytes, Seconds};
use serde::Serialize;

/// Which resource limited a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoundKind {
    /// Memory bandwidth of a tier.
    Memory,
    /// Arithmetic.
    Compute,
    /// The link between tiers or devices.
    Link,
    /// Fixed per-step and attention-kernel time.
    Latency,
    /// Weights memory-mapped from disk.
    Disk,
}

impl BoundKind {
    /// The spelling in JSON, CSV and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            BoundKind::Memory => "memory",
            BoundKind::Compute => "compute",
            BoundKind::Link => "link",
            BoundKind::Latency => "latency",
            BoundKind::Disk => "disk",
        }
    }
}

/// What limited a step: the resource and the tier it sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bound {
    /// memory | compute | link | latency | disk.
    pub kind: BoundKind,
    /// The tier.
    pub tier: TierName,
}

impl Bound {
    /// The bound of the largest time among `terms` (the first on a tie).
    pub fn largest(terms: &[(Seconds, Bound)]) -> Bound {
        terms
            .iter()
            .fold(terms[0], |a, b| if b.0 .0 > a.0 .0 { *b } else { a })
            .1
    }
}

impl Serialize for Bound {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // `kind:tier` built on the stack: a row carries two bounds, and a sweep millions of rows.
        let (k, t) = (self.kind.as_str().as_bytes(), self.tier.as_str().as_bytes());
        let mut buf = [0u8; 32];
        buf[..k.len()].copy_from_slice(k);
        buf[k.len()] = b':';
        buf[k.len() + 1..k.len() + 1 + t.len()].copy_from_slice(t);
        let text =
            std::str::from_utf8(&buf[..k.len() + 1 + t.len()]).expect("bound names are ASCII");
        s.serialize_str(text)
    }
}

impl std::fmt::Display for Bound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.tier.as_str())
    }
}

/// One decode step, broken down.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DecodeStep {
    /// Total time per token.
    pub time: Seconds,
    /// Bytes read from the fast tier.
    pub bytes_fast: Bytes,
    /// Bytes read from the host tier.
    pub bytes_host: Bytes,
    /// Bytes moved over the link.
    pub bytes_link: Bytes,
    /// Bytes read from disk (memory-mapped weights the host cannot hold).
    pub bytes_disk: Bytes,
    /// Disk time.
    pub t_disk: Seconds,
    /// Fast-tier memory time.
    pub t_fast_memory: Seconds,
    /// Fast-tier compute time.
    pub t_fast_compute: Seconds,
    /// The routed experts' share of it.
    pub t_expert_compute: Seconds,
    /// Host-tier time.
    pub t_host: Seconds,
    /// Link time.
    pub t_link: Seconds,
    /// Fixed plus attention-kernel time.
    pub t_latency: Seconds,
    /// Its fixed and routed-expert part (per step, whatever the layers' share).
    pub t_overhead: Seconds,
    /// The largest term.
    pub bound: Bound,
}

/// A prefill, broken down.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct PrefillTime {
    /// Total.
    pub time: Seconds,
    /// Matmul compute.
    pub t_compute: Seconds,
    /// The routed experts' share of it.
    pub t_expert_compute: Seconds,
    /// Attention kernels.
    pub t_attn: Seconds,
    /// Weight reads from the fast tier.
    pub t_memory: Seconds,
    /// Host weights over the link.
    pub t_link: Seconds,
    /// The fixed and routed-expert part of `t_memory` (per micro-batch costs).
    pub t_overhead: Seconds,
    /// The largest term.
    pub bound: Bound,
}
