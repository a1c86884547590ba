//! The hand-written encoders against the `csv` crate and serde_json on the same rows.

use super::*;
use crate::advise::sweep::{Axes, Plan};
use crate::db::Db;
use crate::scenario::Options;
use serde_json::Value;
use std::borrow::Cow;

/// Rows of a small sweep over devices and models of every kind (GPU, SoC, CPU; dense, MoE,
/// MLA, hybrid), at contexts inside and past the calibrated ones.
fn sweep_rows(db: &Db) -> Vec<ScenarioRow<'_>> {
    let pick = |ids: &[&str]| ids.iter().map(|i| db.device(i).expect("device")).collect();
    let axes = Axes {
        devices: pick(&["rtx-4090", "strix-halo-128gb", "mi300x"]),
        models: [
            "llama-3.1-8b",
            "qwen3-30b-a3b",
            "deepseek-v3",
            "qwen3.6-27b",
        ]
        .iter()
        .map(|m| db.model(m).expect("model"))
        .collect(),
        quants: ["q4_k_m", "f16"]
            .iter()
            .map(|q| db.quant(q).expect("quant"))
            .collect(),
        ctxs: vec![1024, 131072],
        kv_types: vec!["f16".into(), "q8_0".into()],
    };
    let plan = Plan::new(db, axes, &Options::default()).expect("plan");
    let mut rows = Vec::new();
    plan.for_each_row(0..plan.units(), |r| rows.push(r.clone()))
        .expect("rows");
    assert!(rows.len() > 50);
    rows
}

/// A row with names that need quoting and escaping and every optional field set.
fn odd_row(mut r: ScenarioRow<'_>) -> ScenarioRow<'_> {
    r.device = Cow::Borrowed("a,b \"quoted\"");
    r.model = Cow::Borrowed("line\nbreak\\ \u{1} é");
    r.backend = Cow::Borrowed("cr\r");
    r.verify_command = Some("llama-bench -m \"x y.gguf\", -p 512".into());
    r.max_fast_ctx = Some(4096);
    r.headroom_bytes = -12345;
    r.price_usd = Some(1599.0);
    r.ttft_s = Some(1.0e-7);
    r.total_s = Some(1.5e21);
    r
}

fn encoded(format: RowFormat, rows: &[ScenarioRow], header: bool) -> String {
    let mut e = RowEncoder::new(format, header, Vec::new());
    rows.iter().for_each(|r| e.row(r).expect("encoded"));
    String::from_utf8(e.finish().expect("finished")).expect("UTF-8")
}

#[test]
fn json_lines_are_serde_json() {
    let db = Db::builtin().expect("databases");
    let mut rows = sweep_rows(&db);
    let odd = odd_row(rows[3].clone());
    let mut odder = odd.clone();
    odder.roofline_tok_s = f64::INFINITY;
    odder.decode_tok_s = Some(f64::NAN);
    rows.insert(5, odd);
    rows.push(odder);
    let want: String = rows
        .iter()
        .map(|r| serde_json::to_string(r).expect("serializes") + "\n")
        .collect();
    assert_eq!(encoded(RowFormat::Jsonl, &rows, true), want);
}

/// One field as the `csv` crate serializes it.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum Field {
    Text(String),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    Empty(Option<f64>),
}

/// The row written by the `csv` crate, its fields read off its JSON (lists joined with `;`).
fn csv_crate_record(w: &mut csv::Writer<Vec<u8>>, r: &ScenarioRow) {
    let Value::Object(m) = serde_json::to_value(r).expect("serializes") else {
        panic!("a row is an object");
    };
    let fields: Vec<Field> = m
        .into_iter()
        .map(|(_, v)| match v {
            Value::String(s) => Field::Text(s),
            Value::Number(n) if n.is_u64() => Field::Unsigned(n.as_u64().expect("u64")),
            Value::Number(n) if n.is_i64() => Field::Signed(n.as_i64().expect("i64")),
            Value::Number(n) => Field::Float(n.as_f64().expect("f64")),
            Value::Array(a) => Field::Text(
                a.iter()
                    .map(|x| x.as_str().expect("a reason").to_string())
                    .collect::<Vec<_>>()
                    .join(";"),
            ),
            _ => Field::Empty(None),
        })
        .collect();
    w.serialize(fields).expect("written");
}

#[test]
fn csv_records_are_the_csv_crates() {
    let db = Db::builtin().expect("databases");
    let mut rows = sweep_rows(&db);
    let mut odd = odd_row(rows[3].clone());
    (odd.verify_command, odd.max_fast_ctx) = (None, None);
    rows.insert(5, odd);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&COLUMNS[..ALWAYS]).expect("header");
    rows.iter().for_each(|r| csv_crate_record(&mut w, r));
    let want = String::from_utf8(w.into_inner().expect("flushed")).expect("UTF-8");
    assert_eq!(encoded(RowFormat::Csv, &rows, true), want);
    let body = want.split_once('\n').expect("header").1;
    assert_eq!(encoded(RowFormat::Csv, &rows, false), body);
}

#[test]
fn columns_are_the_rows_keys() {
    let db = Db::builtin().expect("databases");
    let row = odd_row(sweep_rows(&db).swap_remove(0));
    let Value::Object(m) = serde_json::to_value(&row).expect("serializes") else {
        panic!("a row is an object");
    };
    assert_eq!(m.keys().collect::<Vec<_>>(), COLUMNS.to_vec());
}
