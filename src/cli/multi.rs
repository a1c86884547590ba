//! `predict --devices`: several devices serving one model.

use anyhow::{bail, Context, Result};
use serde::Serialize;
use serde_json::json;
use tokenfit::advise::row::sig;
use tokenfit::db::hardware::{Device, DeviceKind};
use tokenfit::db::model::ModelRaw;
use tokenfit::db::quant::QuantRaw;
use tokenfit::db::Db;
use tokenfit::model::parallel::{predict_multi, LinkSpec, Split};
use tokenfit::model::predict::predict;
use tokenfit::report::{views, Output};
use tokenfit::scenario::{build, Options};

/// `predict --parallel`: how several devices split a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ParallelArg {
    // Whole layers per device (llama.cpp --split-mode layer, RPC).
    #[value(alias = "pipeline", alias = "pp")]
    Layer,
    // Each layer's matrices split across devices.
    #[value(alias = "tp")]
    Tensor,
}

/// Parses `2x dgx-spark`, `rtx-5090,rtx-3090`, `2x rtx-3090, rtx-4090`.
pub fn parse_devices<'a>(db: &'a Db, list: &str) -> Result<Vec<&'a Device>> {
    let mut out = Vec::new();
    for item in list.split(',').map(str::trim).filter(|x| !x.is_empty()) {
        let (n, name) = match item.split_once(['x', '×']) {
            Some((k, rest))
                if !k.is_empty()
                    && k.trim().chars().all(|c| c.is_ascii_digit())
                    && rest.starts_with(' ') =>
            {
                (
                    k.trim().parse::<usize>().context("device count")?,
                    rest.trim(),
                )
            }
            _ => (1, item),
        };
        if n == 0 || n > 64 {
            bail!("'{item}': a device count must be between 1 and 64");
        }
        let d = db.device(name)?;
        out.extend(std::iter::repeat_n(d, n));
    }
    if out.len() < 2 {
        bail!("--devices needs at least two devices (e.g. '2x dgx-spark' or 'rtx-5090,rtx-3090'); for one, use --device");
    }
    Ok(out)
}

fn default_link(devs: &[&Device]) -> &'static str {
    if devs.iter().all(|d| d.id() == "dgx-spark") {
        "connectx-7"
    } else if devs.iter().all(|d| d.raw.kind == DeviceKind::DiscreteGpu) {
        "pcie-4.0-x16"
    } else {
        "10gbe"
    }
}

/// The result of `predict --devices`: the split, the speed and each device's part.
#[derive(Debug, Serialize)]
pub struct MultiRow {
    /// Device ids, in split order.
    pub devices: Vec<String>,
    /// layer | tensor.
    pub parallel: Split,
    /// Link id.
    pub link: String,
    /// Model id.
    pub model: String,
    /// Quant id.
    pub quant: String,
    /// Context, tokens.
    pub ctx: u64,
    /// fits | does_not_fit.
    pub verdict: tokenfit::model::Verdict,
    /// The parts, one per device.
    pub parts: Vec<tokenfit::model::parallel::Part>,
    /// Decode tok/s.
    pub decode_tok_s: Option<f64>,
    /// Lower end of the decode interval.
    pub decode_tok_s_lo: Option<f64>,
    /// Upper end of the decode interval.
    pub decode_tok_s_hi: Option<f64>,
    /// Prefill tok/s.
    pub prefill_tok_s: Option<f64>,
    /// Time to first token, s.
    pub ttft_s: Option<f64>,
    /// Link time per decoded token, s.
    pub decode_comm_s: f64,
    /// The first device alone, decode tok/s (when the model fits it).
    pub single_device_decode_tok_s: Option<f64>,
    /// Decode speed-up over the first device alone.
    pub speedup_vs_one: Option<f64>,
}

/// `decode 12.3 tok/s (10.1–14.2)`, or "does not fit".
fn with_interval(e: Option<tokenfit::model::predict::Estimate>) -> String {
    match e {
        Some(e) => format!(
            "decode {} tok/s ({}–{})",
            sig(e.value),
            sig(e.lo),
            sig(e.hi)
        ),
        None => "does not fit".into(),
    }
}

/// Each device's scenario, and the warnings met (each once).
fn scenarios<'a>(
    db: &'a Db,
    devs: &[&'a Device],
    model: &'a ModelRaw,
    quant: &'a QuantRaw,
    o: &Options,
) -> Result<(Vec<tokenfit::model::Scenario<'a>>, Vec<String>)> {
    let mut scs = Vec::with_capacity(devs.len());
    let mut warnings: Vec<String> = Vec::new();
    for d in devs {
        let r = build(db, d, model, quant, o)?;
        for w in r.warnings {
            if !warnings.contains(&w) {
                warnings.push(w);
            }
        }
        scs.push(r.scenario);
    }
    Ok((scs, warnings))
}

/// Runs the multi-device prediction.
pub fn multi_predict(
    db: &Db,
    list: &str,
    parallel: ParallelArg,
    link: Option<&str>,
    model: &ModelRaw,
    quant: &QuantRaw,
    o: &Options,
) -> Result<Output<'static>> {
    let devs = parse_devices(db, list)?;
    let split = match parallel {
        ParallelArg::Tensor => Split::Tensor,
        ParallelArg::Layer => Split::Layer,
    };
    let link = db.link(link.unwrap_or(default_link(&devs)))?;
    let spec = LinkSpec {
        bandwidth: link.bandwidth_gb_s * 1e9,
        latency: link.latency_us * 1e-6,
    };
    let (scs, warnings) = scenarios(db, &devs, model, quant, o)?;
    let m = predict_multi(&scs, split, spec);
    let single = predict(&scs[0]);
    let single_tok_s = single
        .decode_tok_s
        .filter(|_| single.placement.verdict == tokenfit::model::Verdict::Fits)
        .map(|e| e.value);
    let speedup = match (m.decode_tok_s, single_tok_s) {
        (Some(a), Some(b)) => Some(a.value / b),
        _ => None,
    };
    let names: Vec<&str> = devs.iter().map(|d| d.id()).collect();
    let mut out = Output::new(json!({
        "command": "predict", "devices": names, "parallel": split, "link": link.id, "model": model.id, "quant": quant.id,
        "ctx": scs[0].ctx, "prompt": scs[0].prompt, "gen": scs[0].gen,
    }));
    out.title = Some(format!(
        "{} · {} · {} split over {} ({}): {}",
        model.id,
        quant.id,
        format!("{split:?}").to_lowercase(),
        list,
        link.name,
        with_interval(m.decode_tok_s)
    ));
    out.view = views::multi_view(&m);
    out.notes.push(format!(
        "prefill {} tok/s, TTFT {} s; one {} alone: {}{}",
        m.prefill_tok_s.map_or("—".into(), |e| sig(e.value)),
        m.ttft_s.map_or("—".into(), |t| format!("{t:.2}")),
        names[0],
        single_tok_s.map_or("does not fit".into(), |v| format!("{} tok/s", sig(v))),
        speedup.map_or(String::new(), |s| format!(
            " → {s:.2}× with {} devices",
            devs.len()
        ))
    ));
    out.set_results(vec![MultiRow {
        devices: names.iter().map(|n| n.to_string()).collect(),
        parallel: split,
        link: link.id.clone(),
        model: model.id.clone(),
        quant: quant.id.clone(),
        ctx: scs[0].ctx,
        verdict: m.verdict,
        decode_tok_s: m.decode_tok_s.map(|e| e.value),
        decode_tok_s_lo: m.decode_tok_s.map(|e| e.lo),
        decode_tok_s_hi: m.decode_tok_s.map(|e| e.hi),
        prefill_tok_s: m.prefill_tok_s.map(|e| e.value),
        ttft_s: m.ttft_s,
        decode_comm_s: m.decode_comm_s,
        single_device_decode_tok_s: single_tok_s,
        speedup_vs_one: speedup,
        parts: m.parts,
    }]);
    out.warnings = warnings;
    Ok(out)
}
