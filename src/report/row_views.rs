//! The ranked row tables: `fit`, `sweep` and `rank`, each as a list of columns a user can
//! choose (`--columns`, `--wide`) with the compact default set.

use super::cells::{
    decode, decode_range, gib, gib_u, need_usable, prefill_range, tok_s, tokens, tokens_floor,
};
use super::columns::{self, Col, Columns, Set};
use super::{Cell, View};
use crate::advise::rank::RankRow;
use crate::advise::row::ScenarioRow;
use crate::error::Result;

/// The columns `fit` and `sweep` share, by key.
struct Shared<'a> {
    device: Col<ScenarioRow<'a>>,
    verdict: Col<ScenarioRow<'a>>,
    need_usable: Col<ScenarioRow<'a>>,
    usable: Col<ScenarioRow<'a>>,
    decode: Col<ScenarioRow<'a>>,
    decode_range: Col<ScenarioRow<'a>>,
    prefill: Col<ScenarioRow<'a>>,
    ttft: Col<ScenarioRow<'a>>,
    bound: Col<ScenarioRow<'a>>,
    eff: Col<ScenarioRow<'a>>,
}

/// The shared columns.
fn shared<'a>() -> Shared<'a> {
    Shared {
        device: Col {
            key: "device",
            header: "device",
            set: Set::Both,
            cell: |_, r| (&r.device).into(),
        },
        verdict: Col {
            key: "verdict",
            header: "verdict",
            set: Set::Both,
            cell: |_, r| r.verdict.label().into(),
        },
        need_usable: Col {
            key: "need_usable",
            header: "need / usable GiB",
            set: Set::Compact,
            cell: |_, r| need_usable(r),
        },
        usable: Col {
            key: "usable",
            header: "usable GiB",
            set: Set::Wide,
            cell: |_, r| gib(r.usable_bytes as f64),
        },
        decode: Col {
            key: "decode",
            header: "decode tok/s",
            set: Set::Compact,
            cell: |_, r| decode(r),
        },
        decode_range: Col {
            key: "decode_range",
            header: "decode tok/s (range)",
            set: Set::Wide,
            cell: |_, r| decode_range(r),
        },
        prefill: Col {
            key: "prefill",
            header: "prefill tok/s (range)",
            set: Set::Wide,
            cell: |_, r| prefill_range(r),
        },
        ttft: Col {
            key: "ttft",
            header: "TTFT s",
            set: Set::Both,
            cell: |_, r| Cell::opt(r.ttft_s, 2),
        },
        bound: Col {
            key: "bound",
            header: "bound",
            set: Set::Wide,
            cell: |_, r| r.bound.to_string().into(),
        },
        eff: Col {
            key: "eff",
            header: "eff.",
            set: Set::Wide,
            cell: |_, r| r.efficiency.into(),
        },
    }
}

/// Columns of `fit`: one device per row, ranked.
pub fn fit_columns<'a>() -> Vec<Col<ScenarioRow<'a>>> {
    let s = shared();
    vec![
        Col::rank(),
        s.device,
        Col {
            key: "backend",
            header: "backend",
            set: Set::Both,
            cell: |_, r| (&r.backend).into(),
        },
        s.verdict,
        s.need_usable,
        Col {
            key: "need",
            header: "need GiB (w+kv+oh)",
            set: Set::Wide,
            cell: |_, r| {
                // Weights in the fast tier: all but a token embedding left on the host.
                let host_kept = r.total_bytes.saturating_sub(r.fast_need_bytes);
                Cell::Text(format!(
                    "{:.1} ({:.1}+{:.1}+{:.1})",
                    gib_u(r.fast_need_bytes),
                    gib_u(r.weights_bytes.saturating_sub(host_kept)),
                    gib_u(r.kv_bytes) + gib_u(r.state_bytes),
                    gib_u(r.overhead_bytes)
                ))
            },
        },
        s.usable,
        Col {
            key: "headroom",
            header: "headroom GiB",
            set: Set::Wide,
            cell: |_, r| gib(r.headroom_bytes as f64),
        },
        Col {
            key: "fast_ctx",
            header: "largest fast ctx",
            set: Set::Both,
            cell: |_, r| {
                r.max_fast_ctx
                    .map_or(Cell::Empty, |c| Cell::Text(tokens_floor(c)))
            },
        },
        s.decode,
        s.decode_range,
        s.prefill,
        s.ttft,
        s.bound,
        s.eff,
        Col {
            key: "price",
            header: "price USD",
            set: Set::Both,
            cell: |_, r| Cell::opt(r.price_usd, 0),
        },
        Col {
            key: "j_token",
            header: "J/token",
            set: Set::Wide,
            cell: |_, r| Cell::opt(r.energy_j_per_token, 2),
        },
        Col {
            key: "usd_1m",
            header: "local USD/1M tok",
            set: Set::Wide,
            cell: |_, r| Cell::opt(r.local_usd_per_m_tokens, 2),
        },
    ]
}

/// Columns of `sweep`: one scenario per row.
pub fn sweep_columns<'a>() -> Vec<Col<ScenarioRow<'a>>> {
    let s = shared();
    vec![
        s.device,
        Col {
            key: "model",
            header: "model",
            set: Set::Both,
            cell: |_, r| (&r.model).into(),
        },
        Col {
            key: "quant",
            header: "quant",
            set: Set::Both,
            cell: |_, r| (&r.quant).into(),
        },
        Col {
            key: "kv",
            header: "kv",
            set: Set::Wide,
            cell: |_, r| (&r.kv_type).into(),
        },
        Col {
            key: "ctx",
            header: "ctx",
            set: Set::Both,
            cell: |_, r| Cell::Text(tokens(r.ctx)),
        },
        s.verdict,
        Col {
            set: Set::Both,
            ..s.need_usable
        },
        Col {
            key: "total",
            header: "total GiB",
            set: Set::Wide,
            cell: |_, r| gib(r.total_bytes as f64),
        },
        s.usable,
        s.decode,
        s.decode_range,
        s.prefill,
        s.ttft,
        s.bound,
        s.eff,
    ]
}

/// Fit: one device per row, ranked, every column.
pub fn fit_view(rows: &[ScenarioRow]) -> View {
    columns::view(&fit_columns(), &Columns::Wide, "fit", rows).expect("the wide set is valid")
}

/// Fit with the columns asked for.
/// The compact set leaves out the backend when each device runs one (its default, or the
/// one `--backend` names): only `--backend all` gives a device several rows.
pub fn fit_table(rows: &[ScenarioRow], cols: &Columns) -> Result<View> {
    let all = fit_columns();
    let mut seen = std::collections::HashSet::new();
    let one_backend_each = rows.iter().all(|r| seen.insert(&r.device));
    if *cols == Columns::Compact && one_backend_each {
        let keys = all
            .iter()
            .filter(|c| c.set != Set::Wide && c.key != "backend")
            .map(|c| c.key.to_string())
            .collect();
        return columns::view(&all, &Columns::Only(keys), "fit", rows);
    }
    columns::view(&all, cols, "fit", rows)
}

/// Sweep: one scenario per row, every column.
pub fn sweep_view(rows: &[ScenarioRow]) -> View {
    columns::view(&sweep_columns(), &Columns::Wide, "sweep", rows).expect("the wide set is valid")
}

/// Sweep with the columns asked for.
pub fn sweep_table(rows: &[ScenarioRow], cols: &Columns) -> Result<View> {
    columns::view(&sweep_columns(), cols, "sweep", rows)
}

/// Columns of `rank`: one model per row, each at its best quant.
pub fn rank_columns<'a>() -> Vec<Col<RankRow<'a>>> {
    vec![
        Col::rank(),
        Col {
            key: "model",
            header: "model",
            set: Set::Both,
            cell: |_, r| r.model.into(),
        },
        Col {
            key: "quant",
            header: "quant",
            set: Set::Both,
            cell: |_, r| r.quant.into(),
        },
        Col {
            key: "params",
            header: "params B",
            set: Set::Both,
            cell: |_, r| Cell::Num(r.params_b, 1),
        },
        Col {
            key: "active",
            header: "active B",
            set: Set::Wide,
            cell: |_, r| Cell::Num(r.active_params_b, 1),
        },
        Col {
            key: "verdict",
            header: "verdict",
            set: Set::Wide,
            cell: |_, r| r.verdict.label().into(),
        },
        Col {
            key: "need_usable",
            header: "need / usable GiB",
            set: Set::Both,
            cell: |_, r| {
                Cell::Text(format!(
                    "{:.1} / {:.1}",
                    gib_u(r.fast_need_bytes),
                    gib_u(r.usable_bytes)
                ))
            },
        },
        Col {
            key: "decode",
            header: "decode tok/s",
            set: Set::Both,
            cell: |_, r| tok_s(r.decode_tok_s),
        },
        Col {
            key: "prefill",
            header: "prefill tok/s",
            set: Set::Wide,
            cell: |_, r| tok_s(r.prefill_tok_s),
        },
        Col {
            key: "ttft",
            header: "TTFT s",
            set: Set::Both,
            cell: |_, r| Cell::opt(r.ttft_s, 2),
        },
        Col {
            key: "backend",
            header: "backend",
            set: Set::Wide,
            cell: |_, r| r.backend.into(),
        },
    ]
}

/// Rank with the columns asked for.
pub fn rank_table(rows: &[RankRow], cols: &Columns) -> Result<View> {
    columns::view(&rank_columns(), cols, "rank", rows)
}
