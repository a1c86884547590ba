//! Cells the human views share: sizes in GiB, token counts written as `32K`, speeds with
//! their interval.

use super::Cell;
use crate::advise::row::{with_interval, ScenarioRow};
use crate::units::GIB;

pub fn gib(b: f64) -> Cell {
    Cell::Num(b / GIB, 1)
}

/// `32768` → `32K`, `1000` → `1000`.
pub fn tokens(c: u64) -> String {
    if c >= 1024 && c.is_multiple_of(1024) {
        format!("{}K", c / 1024)
    } else {
        c.to_string()
    }
}

/// `84439` → `82K`: a context rounded down to whole thousands of tokens (K = 1024), the one
/// way a largest context is written.
pub fn tokens_floor(c: u64) -> String {
    if c >= 1024 {
        format!("{}K", c / 1024)
    } else {
        c.to_string()
    }
}

pub fn gib_u(b: u64) -> f64 {
    (b as f64) / GIB
}

/// `need / usable` in GiB, one decimal each: what the fast tier must hold (the verdict's
/// measure) against what it can.
pub fn need_usable(r: &ScenarioRow) -> Cell {
    Cell::Text(format!(
        "{:.1} / {:.1}",
        gib_u(r.fast_need_bytes),
        gib_u(r.usable_bytes)
    ))
}

/// A speed in tok/s, three significant digits (empty without one).
pub fn tok_s(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, |v| Cell::Text(crate::advise::row::sig(v)))
}

/// Decode tok/s, three significant digits.
pub fn decode(r: &ScenarioRow) -> Cell {
    tok_s(r.decode_tok_s)
}

pub fn decode_range(r: &ScenarioRow) -> Cell {
    with_interval(r.decode_tok_s, r.decode_tok_s_lo, r.decode_tok_s_hi).into()
}

pub fn prefill_range(r: &ScenarioRow) -> Cell {
    with_interval(r.prefill_tok_s, r.prefill_tok_s_lo, r.prefill_tok_s_hi).into()
}
