//! The `power` table: one row per board limit, the plateau and the most efficient limit
//! marked.

use super::{Cell, View};
use crate::advise::power::PowerSweep;

/// One row per limit: decode and prefill tok/s, watts drawn, J per token, clock shares.
pub fn power_view(s: &PowerSweep) -> View {
    let mark = |l: f64| {
        let mut m = Vec::new();
        if s.plateau_w == Some(l) {
            m.push("plateau");
        }
        if s.best_j_per_token_w == Some(l) {
            m.push("fewest J/token");
        }
        if l == s.board.default_w {
            m.push("default");
        }
        m.join(", ")
    };
    View {
        headers: [
            "limit W",
            "decode tok/s",
            "prefill tok/s",
            "TTFT s",
            "decode draws W",
            "prefill draws W",
            "J per token",
            "decode clock %",
            "prefill clock %",
            "",
        ]
        .map(String::from)
        .to_vec(),
        rows: s
            .points
            .iter()
            .map(|p| {
                vec![
                    Cell::Num(p.power_limit_w, 0),
                    Cell::opt(p.aggregate_decode_tok_s, 1),
                    Cell::opt(p.prefill_tok_s, 0),
                    Cell::opt(p.ttft_s, 3),
                    Cell::Num(p.power_w, 0),
                    Cell::Num(p.prefill_power_w, 0),
                    Cell::opt(p.energy_j_per_token, 3),
                    Cell::Num(100.0 * p.decode_clock_frac, 0),
                    Cell::Num(100.0 * p.prefill_clock_frac, 0),
                    Cell::Text(mark(p.power_limit_w)),
                ]
            })
            .collect(),
    }
}
