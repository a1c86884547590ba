//! `devices`, `models`, `quants`, `apis`: list database entries or show one in full.

use crate::cli::common::ShowArgs;
use anyhow::Result;
use serde_json::{json, Value};
use tokenfit::db::Db;
use tokenfit::report::breakeven_views;
use tokenfit::report::views;
use tokenfit::report::{Cell, Output, View};

pub(crate) fn kv_view(v: &Value) -> View {
    let mut flat = Vec::new();
    flatten("", v, &mut flat);
    View {
        headers: vec!["field".into(), "value".into()],
        rows: flat
            .into_iter()
            .map(|(k, v)| vec![Cell::Text(k), Cell::Text(v)])
            .collect(),
    }
}

fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&key, x, out);
            }
        }
        Value::Array(a) if a.iter().any(|x| x.is_object()) => {
            for (i, x) in a.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), x, out);
            }
        }
        Value::Array(a) => out.push((
            prefix.into(),
            a.iter()
                .map(|x| x.as_str().map_or(x.to_string(), String::from))
                .collect::<Vec<_>>()
                .join("; "),
        )),
        Value::Null => {}
        Value::String(s) => out.push((prefix.into(), s.clone())),
        other => out.push((prefix.into(), other.to_string())),
    }
}

pub(crate) fn devices_cmd(db: &Db, a: ShowArgs) -> Result<Output<'_>> {
    let mut out = Output::new(json!({ "command": "devices", "id": a.id }));
    if let Some(id) = &a.id {
        let d = db.device(id)?;
        let v = device_value(d);
        out.view = kv_view(&v);
        out.set_results(vec![v]);
        return Ok(out);
    }
    out.view = View {
        headers: [
            "id",
            "name",
            "kind",
            "fast GiB",
            "usable GiB",
            "bandwidth GB/s",
            "host GiB",
            "FP16 TFLOP/s",
            "sustained TFLOP/s",
            "power W",
            "price USD",
        ]
        .map(String::from)
        .to_vec(),
        rows: db
            .devices
            .iter()
            .map(|d| {
                vec![
                    d.raw.id.as_str().into(),
                    d.raw.name.as_str().into(),
                    d.raw.kind.label().into(),
                    Cell::Num(d.fast.capacity.gib(), 0),
                    Cell::Num(d.fast.usable.gib(), 1),
                    Cell::Num(d.fast.bandwidth.gb_per_s(), 0),
                    Cell::opt(d.host.map(|h| h.usable.gib()), 0),
                    Cell::Num(d.fp16_peak.tflops(), 1),
                    Cell::Num(d.sustained_peak.tflops(), 1),
                    Cell::Num(d.raw.power_w, 0),
                    Cell::opt(d.price_usd(), 0),
                ]
            })
            .collect(),
    };
    // On a narrow terminal the listing keeps id, kind, memory, bandwidth, peak and price.
    out.drop_to_fit = vec![
        "name",
        "sustained TFLOP/s",
        "host GiB",
        "usable GiB",
        "power W",
    ];
    let results: Vec<_> = db.devices.iter().map(device_value).collect();
    out.set_results(results);
    Ok(out)
}

/// A device's entry with the FP16 rate predictions use: the datasheet peak under the board's
/// power limit.
fn device_value(d: &tokenfit::db::hardware::Device) -> Value {
    let mut v = serde_json::to_value(&d.raw).expect("devices serialize");
    v["sustained_fp16_tflops"] = json!(d.sustained_peak.tflops());
    // One flat set of price keys for every device (CSV: one `price_usd` column).
    if let Some(m) = v.as_object_mut() {
        let price = m.remove("price");
        let p = price.as_ref().filter(|p| p.is_object());
        let field = |k: &str| p.and_then(|p| p.get(k)).cloned().unwrap_or(Value::Null);
        m.insert("price_usd".into(), field("usd"));
        m.insert("price_as_of".into(), field("as_of"));
        m.insert("price_kind".into(), field("kind"));
        m.insert("price_source".into(), field("source"));
        m.insert("price_note".into(), field("note"));
    }
    v
}

pub(crate) fn models_cmd(db: &Db, a: ShowArgs) -> Result<Output<'_>> {
    use tokenfit::model::footprint::kv_bytes_per_token;
    use tokenfit::model::params::param_groups;
    let mut out = Output::new(json!({ "command": "models", "id": a.id }));
    let summary = |m: &tokenfit::db::model::ModelRaw| {
        let p = param_groups(m);
        json!({
            "computed_total_params_b": p.total() / 1e9,
            "computed_active_params_b": p.active() / 1e9,
            "kv_bytes_per_token_f16": kv_bytes_per_token(m, 2.0).0,
            "n_layers": m.n_layers(),
        })
    };
    if let Some(id) = &a.id {
        let m = db.model(id)?;
        let mut v = serde_json::to_value(m)?;
        v["computed"] = summary(m);
        out.view = kv_view(&v);
        out.set_results(vec![v]);
        return Ok(out);
    }
    out.view = View {
        headers: [
            "id",
            "name",
            "layers",
            "params B",
            "active B",
            "published B",
            "max ctx",
            "KV KiB/token (f16)",
        ]
        .map(String::from)
        .to_vec(),
        rows: db
            .models
            .iter()
            .map(|m| {
                let p = param_groups(m);
                vec![
                    m.id.as_str().into(),
                    m.name.as_str().into(),
                    Cell::Num(f64::from(m.n_layers()), 0),
                    Cell::Num(p.total() / 1e9, 2),
                    Cell::Num(p.active() / 1e9, 2),
                    Cell::Num(m.published.total_params_b, 2),
                    Cell::Text(views::tokens(m.max_context)),
                    Cell::Num(kv_bytes_per_token(m, 2.0).0 / 1024.0, 1),
                ]
            })
            .collect(),
    };
    let results: Vec<_> = db
        .models
        .iter()
        .map(|m| {
            let mut v = serde_json::to_value(m).expect("models serialize");
            v["computed"] = summary(m);
            v
        })
        .collect();
    out.set_results(results);
    Ok(out)
}

pub(crate) fn quants_cmd(db: &Db, a: ShowArgs) -> Result<Output<'_>> {
    let mut out = Output::new(json!({ "command": "quants", "id": a.id }));
    if let Some(id) = &a.id {
        let v = match db.quant(id) {
            Ok(q) => serde_json::to_value(q)?,
            Err(e) => match db.kv_type(id) {
                Ok(k) => serde_json::to_value(k)?,
                Err(_) => return Err(e.into()),
            },
        };
        out.view = kv_view(&v);
        out.set_results(vec![v]);
        return Ok(out);
    }
    let mut rows: Vec<Vec<Cell>> = db
        .quants
        .iter()
        .map(|q| {
            vec![
                q.id.as_str().into(),
                q.name.as_str().into(),
                q.format.as_str().into(),
                Cell::Num(q.bpw, 4),
                format!("{:?}", q.compute).to_lowercase().into(),
            ]
        })
        .collect();
    rows.extend(db.kv_types.iter().map(|k| {
        vec![
            k.id.as_str().into(),
            k.id.to_uppercase().into(),
            "kv-cache".into(),
            Cell::Num(k.bytes_per_element * 8.0, 4),
            Cell::Empty,
        ]
    }));
    out.view = View {
        headers: ["id", "name", "format", "bits per weight", "compute"]
            .map(String::from)
            .to_vec(),
        rows,
    };
    let results: Vec<_> = db
        .quants
        .iter()
        .map(|q| serde_json::to_value(q).expect("quants serialize"))
        .chain(db.kv_types.iter().map(|k| {
            let mut v = serde_json::to_value(k).expect("kv types serialize");
            v["format"] = json!("kv-cache");
            v
        }))
        .collect();
    out.set_results(results);
    Ok(out)
}

/// `tokenfit apis [ID]`.
pub fn apis_cmd(db: &Db, a: ShowArgs) -> Result<Output<'_>> {
    let mut out = Output::new(json!({ "command": "apis", "id": a.id }));
    if let Some(id) = &a.id {
        let v = serde_json::to_value(db.offering(id)?)?;
        out.view = kv_view(&v);
        out.set_results(vec![v]);
        return Ok(out);
    }
    out.view = breakeven_views::apis_view(&db.offerings);
    out.set_results(db.offerings.clone());
    out.notes.push(format!(
        "Electricity default: ${}/kWh ({}, {}); purchases amortized over {} years.",
        db.local_cost.kwh_usd,
        db.local_cost.kwh_source,
        db.local_cost.kwh_as_of,
        db.local_cost.amortization_years
    ));
    Ok(out)
}
