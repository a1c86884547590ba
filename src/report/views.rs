//! Human views of the advise results: which columns a table shows, in which units.

use super::columns::{self, Col, Columns, Set};
use super::{Cell, Output, View};
use crate::advise::cliff::Cliff;
use crate::advise::rank::RankRow;
use crate::advise::row::{with_interval, ScenarioRow};
use crate::error::Result;
use crate::units::GIB;

fn gib(b: f64) -> Cell {
    Cell::Num(b / GIB, 1)
}

/// `32768` → `32K`, `1000` → `1000`.
pub fn tokens(c: u64) -> String {
    if c >= 1024 && c % 1024 == 0 {
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

fn gib_u(b: u64) -> f64 {
    (b as f64) / GIB
}

/// `need / usable` in GiB, one decimal each.
fn need_usable(r: &ScenarioRow) -> Cell {
    Cell::Text(format!(
        "{:.1} / {:.1}",
        gib_u(r.total_bytes),
        gib_u(r.usable_bytes)
    ))
}

/// Decode tok/s, three significant digits.
fn decode(r: &ScenarioRow) -> Cell {
    r.decode_tok_s
        .map_or(Cell::Empty, |v| Cell::Text(crate::advise::row::sig(v)))
}

fn decode_range(r: &ScenarioRow) -> Cell {
    with_interval(r.decode_tok_s, r.decode_tok_s_lo, r.decode_tok_s_hi).into()
}

fn prefill_range(r: &ScenarioRow) -> Cell {
    with_interval(r.prefill_tok_s, r.prefill_tok_s_lo, r.prefill_tok_s_hi).into()
}

/// Columns of `fit`: one device per row, ranked.
pub fn fit_columns<'a>() -> Vec<Col<ScenarioRow<'a>>> {
    vec![
        Col {
            key: "rank",
            header: "#",
            set: Set::Both,
            cell: |n, _| Cell::Num((n + 1) as f64, 0),
        },
        Col {
            key: "device",
            header: "device",
            set: Set::Both,
            cell: |_, r| (&r.device).into(),
        },
        Col {
            key: "verdict",
            header: "verdict",
            set: Set::Both,
            cell: |_, r| r.verdict.label().into(),
        },
        Col {
            key: "need_usable",
            header: "need / usable GiB",
            set: Set::Compact,
            cell: |_, r| need_usable(r),
        },
        Col {
            key: "need",
            header: "need GiB (w+kv+oh)",
            set: Set::Wide,
            cell: |_, r| {
                Cell::Text(format!(
                    "{:.1} ({:.1}+{:.1}+{:.1})",
                    gib_u(r.total_bytes),
                    gib_u(r.weights_bytes),
                    gib_u(r.kv_bytes) + gib_u(r.state_bytes),
                    gib_u(r.overhead_bytes)
                ))
            },
        },
        Col {
            key: "usable",
            header: "usable GiB",
            set: Set::Wide,
            cell: |_, r| gib(r.usable_bytes as f64),
        },
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
        Col {
            key: "decode",
            header: "decode tok/s",
            set: Set::Compact,
            cell: |_, r| decode(r),
        },
        Col {
            key: "decode_range",
            header: "decode tok/s (range)",
            set: Set::Wide,
            cell: |_, r| decode_range(r),
        },
        Col {
            key: "prefill",
            header: "prefill tok/s (range)",
            set: Set::Wide,
            cell: |_, r| prefill_range(r),
        },
        Col {
            key: "ttft",
            header: "TTFT s",
            set: Set::Both,
            cell: |_, r| Cell::opt(r.ttft_s, 2),
        },
        Col {
            key: "bound",
            header: "bound",
            set: Set::Wide,
            cell: |_, r| r.bound.to_string().into(),
        },
        Col {
            key: "eff",
            header: "eff.",
            set: Set::Wide,
            cell: |_, r| r.efficiency.into(),
        },
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
    vec![
        Col {
            key: "device",
            header: "device",
            set: Set::Both,
            cell: |_, r| (&r.device).into(),
        },
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
        Col {
            key: "verdict",
            header: "verdict",
            set: Set::Both,
            cell: |_, r| r.verdict.label().into(),
        },
        Col {
            key: "need_usable",
            header: "need / usable GiB",
            set: Set::Compact,
            cell: |_, r| need_usable(r),
        },
        Col {
            key: "total",
            header: "total GiB",
            set: Set::Wide,
            cell: |_, r| gib(r.total_bytes as f64),
        },
        Col {
            key: "usable",
            header: "usable GiB",
            set: Set::Wide,
            cell: |_, r| gib(r.usable_bytes as f64),
        },
        Col {
            key: "decode",
            header: "decode tok/s",
            set: Set::Compact,
            cell: |_, r| decode(r),
        },
        Col {
            key: "decode_range",
            header: "decode tok/s (range)",
            set: Set::Wide,
            cell: |_, r| decode_range(r),
        },
        Col {
            key: "prefill",
            header: "prefill tok/s (range)",
            set: Set::Wide,
            cell: |_, r| prefill_range(r),
        },
        Col {
            key: "ttft",
            header: "TTFT s",
            set: Set::Both,
            cell: |_, r| Cell::opt(r.ttft_s, 2),
        },
        Col {
            key: "bound",
            header: "bound",
            set: Set::Wide,
            cell: |_, r| r.bound.to_string().into(),
        },
        Col {
            key: "eff",
            header: "eff.",
            set: Set::Wide,
            cell: |_, r| r.efficiency.into(),
        },
    ]
}

/// Fit: one device per row, ranked, every column.
pub fn fit_view(rows: &[ScenarioRow]) -> View {
    columns::view(&fit_columns(), &Columns::Wide, "fit", rows).expect("the wide set is valid")
}

/// Fit with the columns asked for.
pub fn fit_table(rows: &[ScenarioRow], cols: &Columns) -> Result<View> {
    columns::view(&fit_columns(), cols, "fit", rows)
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
        Col {
            key: "rank",
            header: "#",
            set: Set::Both,
            cell: |n, _| Cell::Num((n + 1) as f64, 0),
        },
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
                    gib_u(r.total_bytes),
                    gib_u(r.usable_bytes)
                ))
            },
        },
        Col {
            key: "decode",
            header: "decode tok/s",
            set: Set::Both,
            cell: |_, r| {
                r.decode_tok_s
                    .map_or(Cell::Empty, |v| Cell::Text(crate::advise::row::sig(v)))
            },
        },
        Col {
            key: "prefill",
            header: "prefill tok/s",
            set: Set::Wide,
            cell: |_, r| {
                r.prefill_tok_s
                    .map_or(Cell::Empty, |v| Cell::Text(crate::advise::row::sig(v)))
            },
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

/// Predict: one scenario, as a key/value breakdown.
pub fn predict_view(r: &ScenarioRow) -> View {
    let mut rows: Vec<Vec<Cell>> = Vec::new();
    let mut kv = |k: &str, v: Cell| rows.push(vec![k.into(), v]);
    kv(
        "scenario",
        format!(
            "{} · {} · {} · {} · KV {}",
            r.device, r.model, r.quant, r.backend, r.kv_type
        )
        .into(),
    );
    kv(
        "context (depth + prompt + gen)",
        format!("{} ({} + {} + {})", r.ctx, r.depth, r.prompt, r.gen).into(),
    );
    kv("verdict", r.verdict.label().into());
    kv("weights GiB", gib(r.weights_bytes as f64));
    kv("KV cache GiB", gib(r.kv_bytes as f64));
    kv("recurrent state GiB", gib(r.state_bytes as f64));
    kv("runtime overhead GiB", gib(r.overhead_bytes as f64));
    kv("total GiB", gib(r.total_bytes as f64));
    kv("usable fast GiB", gib(r.usable_bytes as f64));
    kv(
        "in fast tier / host tier GiB",
        format!(
            "{:.1} / {:.1}",
            (r.fast_bytes as f64) / GIB,
            (r.host_bytes as f64) / GIB
        )
        .into(),
    );
    kv(
        "layers on fast tier",
        format!("{} of {} ({:?})", r.gpu_layers, r.n_layers, r.offload)
            .to_lowercase()
            .into(),
    );
    kv(
        "bytes per token GB (fast / host / link)",
        format!(
            "{:.2} / {:.2} / {:.2}",
            (r.bytes_per_token_fast as f64) / 1e9,
            (r.bytes_per_token_host as f64) / 1e9,
            (r.bytes_per_token_link as f64) / 1e9
        )
        .into(),
    );
    kv(
        "decode tok/s",
        with_interval(r.decode_tok_s, r.decode_tok_s_lo, r.decode_tok_s_hi).into(),
    );
    kv("decode bound", r.bound.to_string().into());
    kv(
        "decode roofline tok/s (100% bandwidth)",
        Cell::Num(r.roofline_tok_s, 1),
    );
    kv(
        "prefill tok/s",
        with_interval(r.prefill_tok_s, r.prefill_tok_s_lo, r.prefill_tok_s_hi).into(),
    );
    kv("prefill bound", r.prefill_bound.to_string().into());
    kv("time to first token s", Cell::opt(r.ttft_s, 3));
    kv("total time s", Cell::opt(r.total_s, 2));
    kv("efficiency", r.efficiency.into());
    if let (Some(l), Some(d), Some(p)) = (r.power_limit_w, r.decode_power_w, r.prefill_power_w) {
        kv("power limit W", Cell::Num(l, 0));
        kv(
            "power drawn W (decode / prefill)",
            format!("{d:.0} / {p:.0}").into(),
        );
    }
    let energy = match r.decode_power_w {
        Some(_) => "energy J per generated token (power drawn)",
        None => "energy J per generated token (rated power)",
    };
    kv(energy, Cell::opt(r.energy_j_per_token, 2));
    kv(
        "local USD per 1M tokens (electricity + purchase, full use)",
        Cell::opt(r.local_usd_per_m_tokens, 3),
    );
    View::quantities(rows)
}

/// Cliff: the series.
pub fn cliff_output(c: &Cliff, out: &mut Output) {
    out.title = Some(match c.cliff_ctx {
        Some(0) => format!(
            "{} · {} · {}: does not fit in fast memory even at an empty context",
            c.device, c.model, c.quant
        ),
        Some(x) => format!(
            "{} · {} · {}: cliff at {} tokens — decode {} tok/s before, {} tok/s after",
            c.device,
            c.model,
            c.quant,
            x,
            c.decode_tok_s_before
                .map_or("—".into(), crate::advise::row::sig),
            c.decode_tok_s_after
                .map_or("—".into(), crate::advise::row::sig)
        ),
        None if c.searched_to_model_max => format!(
            "{} · {} · {}: no cliff up to the model's maximum context ({} tokens)",
            c.device, c.model, c.quant, c.searched_to_ctx
        ),
        None => format!(
            "{} · {} · {}: no cliff up to {} tokens, where the search stopped (--max-ctx); the cliff may lie beyond",
            c.device, c.model, c.quant, c.searched_to_ctx
        ),
    });
    out.view = View {
        headers: [
            "ctx",
            "verdict",
            "layers on fast",
            "fast GiB",
            "host GiB",
            "decode tok/s",
            "bound",
        ]
        .map(String::from)
        .to_vec(),
        rows: c
            .series
            .iter()
            .map(|p| {
                vec![
                    Cell::Text(tokens(p.ctx)),
                    p.verdict.label().into(),
                    Cell::Num(f64::from(p.gpu_layers), 0),
                    gib(p.fast_bytes),
                    gib(p.host_bytes),
                    with_interval(p.decode_tok_s, p.decode_tok_s_lo, p.decode_tok_s_hi).into(),
                    p.bound.to_string().into(),
                ]
            })
            .collect(),
    };
    out.notes.push(format!(
        "efficiency: {} (where the speeds and their intervals come from: fitted on this device, borrowed from its family, kind or backend, or the prior)",
        c.efficiency
    ));
}

/// `predict --devices`: each device's share, what it holds and its decode step, and the link.
pub fn multi_view(m: &crate::model::parallel::MultiPrediction) -> View {
    let mut rows: Vec<Vec<Cell>> = m
        .parts
        .iter()
        .map(|p| {
            vec![
                p.device.as_str().into(),
                Cell::Num(p.share * 100.0, 1),
                Cell::Num(p.fast_bytes / GIB, 1),
                Cell::Num(p.usable_bytes / GIB, 1),
                Cell::Num(p.decode_step_s * 1e3, 2),
            ]
        })
        .collect();
    rows.push(vec![
        "link per token".into(),
        Cell::Empty,
        Cell::Empty,
        Cell::Empty,
        Cell::Num(m.decode_comm_s * 1e3, 2),
    ]);
    View {
        headers: [
            "device",
            "share %",
            "holds GiB",
            "usable GiB",
            "decode step ms",
        ]
        .map(String::from)
        .to_vec(),
        rows,
    }
}
