//! Choosing rows for a screen: which verdicts to keep, a floor on decode speed, and the
//! order (rows that fit first, then those that spill, then those that do not fit; within
//! each, by the key asked for).

use super::row::ScenarioRow;
use crate::model::Verdict;
use std::cmp::Ordering;

/// Which verdicts a listing keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VerdictFilter {
    /// Only rows that fit in fast memory.
    Fits,
    /// Only rows that run with part of the model off the fast tier.
    Spills,
    /// Every row.
    #[default]
    All,
}

/// A filter on rows: verdicts and a floor on decode tok/s.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Filter {
    /// Verdicts kept.
    pub verdict: VerdictFilter,
    /// Rows below this decode speed (or without one) are dropped.
    pub min_decode_tok_s: Option<f64>,
}

impl Filter {
    /// Whether the filter keeps every row.
    pub fn keeps_all(&self) -> bool {
        self.verdict == VerdictFilter::All && self.min_decode_tok_s.is_none()
    }

    /// Whether a row passes.
    pub fn keeps(&self, r: &ScenarioRow) -> bool {
        let verdict = match self.verdict {
            VerdictFilter::Fits => r.verdict == Verdict::Fits,
            VerdictFilter::Spills => r.verdict == Verdict::Spills,
            VerdictFilter::All => true,
        };
        verdict
            && self
                .min_decode_tok_s
                .is_none_or(|m| r.decode_tok_s.is_some_and(|d| d >= m))
    }
}

/// The order of a listing, after the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    /// Decode tok/s, fastest first.
    Speed,
    /// Time to first token, shortest first.
    Ttft,
    /// Device price, cheapest first (devices without a price last).
    Price,
    /// Device, model, quant, KV type and context, alphabetically.
    Name,
}

/// Largest first; absent values last.
fn desc(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => b.total_cmp(&a),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// Smallest first; absent values last.
fn asc(a: Option<f64>, b: Option<f64>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.total_cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

fn by_name(a: &ScenarioRow, b: &ScenarioRow) -> Ordering {
    (&a.device, &a.model, &a.quant, &a.kv_type, a.ctx)
        .cmp(&(&b.device, &b.model, &b.quant, &b.kv_type, b.ctx))
}

/// Compares two rows: verdict first (fits, spills, does not fit), then `key`, then name.
pub fn compare(a: &ScenarioRow, b: &ScenarioRow, key: SortKey) -> Ordering {
    let by_key = match key {
        SortKey::Speed => desc(a.decode_tok_s, b.decode_tok_s),
        SortKey::Ttft => asc(a.ttft_s, b.ttft_s),
        SortKey::Price => asc(a.price_usd, b.price_usd),
        SortKey::Name => Ordering::Equal,
    };
    a.verdict
        .cmp(&b.verdict)
        .then(by_key)
        .then_with(|| by_name(a, b))
}

/// Sorts rows by [`compare`].
pub fn sort(rows: &mut [ScenarioRow], key: SortKey) {
    rows.sort_by(|a, b| compare(a, b, key));
}

/// The best `cap` rows by `key` of a stream, in memory bounded by `2 × cap` rows.
#[derive(Debug)]
pub struct TopN<'a> {
    rows: Vec<ScenarioRow<'a>>,
    cap: usize,
    key: SortKey,
    seen: usize,
}

impl<'a> TopN<'a> {
    /// Keeps the best `cap` rows by `key`.
    pub fn new(cap: usize, key: SortKey) -> TopN<'a> {
        TopN {
            rows: Vec::new(),
            cap,
            key,
            seen: 0,
        }
    }

    /// Offers a row.
    pub fn push(&mut self, r: &ScenarioRow<'a>) {
        self.seen += 1;
        if self.cap == 0 {
            return;
        }
        self.rows.push(r.clone());
        if self.rows.len() >= 2 * self.cap {
            self.trim();
        }
    }

    fn trim(&mut self) {
        sort(&mut self.rows, self.key);
        self.rows.truncate(self.cap);
    }

    /// Rows offered.
    pub fn seen(&self) -> usize {
        self.seen
    }

    /// The best rows, in order.
    pub fn finish(mut self) -> Vec<ScenarioRow<'a>> {
        self.trim();
        self.rows
    }
}
