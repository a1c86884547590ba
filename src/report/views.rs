//! Human views of the advise results: which columns a table shows, in which units.

use super::{Cell, Output, View};
use crate::advise::cliff::Cliff;
use crate::advise::row::{with_interval, ScenarioRow};
use crate::units::GIB;

use super::cells::gib;
pub use super::cells::{tokens, tokens_floor};

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
    speed_rows(r, &mut kv);
    cost_rows(r, &mut kv);
    View::quantities(rows)
}

/// Predict's bytes per token, speeds and bounds.
fn speed_rows(r: &ScenarioRow, kv: &mut impl FnMut(&str, Cell)) {
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
}

/// Predict's efficiency source, extrapolation, power, energy and cost.
fn cost_rows(r: &ScenarioRow, kv: &mut impl FnMut(&str, Cell)) {
    kv("efficiency", r.efficiency.into());
    if !r.extrapolation.is_empty() {
        kv("extrapolates (why)", r.extrapolation.joined().into());
    }
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

pub use super::row_views::{
    fit_columns, fit_table, fit_view, rank_columns, rank_table, sweep_columns, sweep_table,
    sweep_view,
};
