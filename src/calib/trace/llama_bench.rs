//! Readers for llama.cpp's own benchmark output: llama-bench `-o csv`, `-o json`,
//! `-o jsonl` and `-o md`, and llama-batched-bench's markdown table.
//!
//! llama-bench fields map as: device = `gpu_info`, else `cpu_info` (kept whole when it
//! lists several devices); backend = `backends`; `model_type` "llama 7B Q4_0" splits into
//! model "llama 7B" (first two words) and quant "Q4_0" (the rest; old builds' "mostly " /
//! "all " prefix dropped); `model_size` bytes; `model_n_params` / 1e9 = params_b;
//! `avg_ts` ± `stddev_ts`; `flash_attn` true/false or 1/0 (-1 = auto → unknown).
//! A test is pp when `n_gen` = 0, tg when `n_prompt` = 0; combined pp+tg rows are skipped
//! and reported. Builds differ in their columns: only `n_prompt`, `n_gen` and `avg_ts` are
//! required, anything else missing is unknown.
//!
//! Markdown tables carry fewer fields (no device): `model` (= model_type), `size`
//! ("3.56 GiB"), `params` ("6.74 B"), `backend`, optional `ngl`, `fa`, `n_ubatch`,
//! `n_batch`, `type_k`, `type_v`, `test` ("pp512", "tg128", "pp512 @ d4096") and `t/s`
//! ("577.37 ± 3.55"). Each llama-batched-bench row (`PP | TG | B | … | S_PP t/s | … |
//! S_TG t/s | …`) gives a pp row (PP prompt tokens in each of B sequences) and a tg row
//! (TG tokens at depth PP), both aggregate over the B sequences; settings come from the
//! `main: n_kv_max = …, n_ubatch = …, flash_attn = …` line printed above the table.

use std::collections::HashMap;

use serde_json::Value;

use super::csv_table::{parse_csv, CsvTable};
use super::file::{At, TraceFile};
use super::normalized::{parse_flag, NoteHints};
use super::{Test, TraceRow};
use crate::{Error, Result};

/// One llama-bench result: field name → its text (a CSV cell, or a JSON scalar printed).
type Record = HashMap<String, String>;

/// Reads llama-bench `-o csv` text.
pub fn read_csv(file: &str, text: &str) -> Result<TraceFile> {
    rows_from_csv_table(&CsvTable::new(file, parse_csv(file, text)?)?)
}

/// Maps a parsed llama-bench CSV (header with `avg_ts`); repeated header rows, as left by
/// concatenating several runs' output, are passed over.
pub fn rows_from_csv_table(table: &CsvTable) -> Result<TraceFile> {
    let at = At {
        file: &table.file,
        line: table.header_line,
    };
    if table.column("avg_ts").is_none() {
        return Err(at.err("missing column 'avg_ts': not llama-bench CSV output"));
    }
    let mut out = TraceFile::default();
    for rec in &table.records {
        let cells = rec.fields.iter().map(|f| f.trim());
        if cells.eq(table.header.iter().map(String::as_str)) {
            continue;
        }
        let fields = rec.fields.iter().cloned();
        let record: Record = table.header.iter().cloned().zip(fields).collect();
        push_record(
            &mut out,
            At {
                line: rec.line,
                ..at
            },
            &record,
        )?;
    }
    Ok(out)
}

/// Reads llama-bench `-o json` text: an array of result objects (a lone object is
/// accepted too). Rows are numbered by record, from 1.
pub fn read_json(file: &str, text: &str) -> Result<TraceFile> {
    let value: Value = serde_json::from_str(text).map_err(|e| json_error(file, e.line(), &e))?;
    let items = match value {
        Value::Array(items) => items,
        obj @ Value::Object(_) => vec![obj],
        _ => return Err(At { file, line: 1 }.err("expected a JSON array of llama-bench results")),
    };
    let mut out = TraceFile::default();
    for (i, item) in items.iter().enumerate() {
        let at = At { file, line: i + 1 };
        let in_record = |e: Error| match e {
            Error::Parse { file, line, msg } => {
                let msg = format!("JSON record {}: {msg}", at.line);
                Error::Parse { file, line, msg }
            }
            other => other,
        };
        let record = json_record(at, item).map_err(in_record)?;
        push_record(&mut out, at, &record).map_err(in_record)?;
    }
    Ok(out)
}

/// Reads llama-bench `-o jsonl` text: one result object per line.
pub fn read_jsonl(file: &str, text: &str) -> Result<TraceFile> {
    let mut out = TraceFile::default();
    for (i, l) in text.lines().enumerate() {
        let (at, l) = (At { file, line: i + 1 }, l.trim());
        if !l.is_empty() {
            let value: Value =
                serde_json::from_str(l).map_err(|e| json_error(file, at.line, &e))?;
            push_record(&mut out, at, &json_record(at, &value)?)?;
        }
    }
    Ok(out)
}

/// serde_json's message without its "at line … column …", the line given separately.
fn json_error(file: &str, line: usize, e: &serde_json::Error) -> Error {
    let full = e.to_string();
    let msg = full
        .rsplit_once(" at line ")
        .map_or(full.as_str(), |(m, _)| m);
    let at = At {
        file,
        line: line.max(1),
    };
    at.err(format!("invalid JSON: {msg} (column {})", e.column()))
}

/// Flattens a JSON object's scalar fields to text; arrays and objects are left out.
fn json_record(at: At, value: &Value) -> Result<Record> {
    let Value::Object(map) = value else {
        return Err(at.err("expected a JSON object (one llama-bench result)"));
    };
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => Some(String::new()),
        Value::Array(_) | Value::Object(_) => None,
    };
    let fields = map
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), scalar(v)?)));
    Ok(fields.collect())
}

/// Maps one llama-bench result, or records why it was skipped.
fn push_record(out: &mut TraceFile, at: At, rec: &Record) -> Result<()> {
    let get = |k: &str| rec.get(k).map_or("", |v| v.trim());
    let required = ["n_prompt", "n_gen", "avg_ts"];
    if let Some(k) = required.into_iter().find(|k| !rec.contains_key(*k)) {
        return Err(at.err(format!("missing field '{k}': not a llama-bench result")));
    }
    let (n_prompt, n_gen) = (
        at.req("n_prompt", get("n_prompt"))?,
        at.req("n_gen", get("n_gen"))?,
    );
    let Some(test) = phase(out, at, n_prompt, n_gen) else {
        return Ok(());
    };
    let mut r = TraceRow::new(at.file, at.line, test, at.speed("avg_ts", get("avg_ts"))?);
    (r.n_prompt, r.n_gen) = (n_prompt, n_gen);
    r.n_depth = at.opt("n_depth", get("n_depth"))?.unwrap_or(0);
    let gpu = get("gpu_info");
    r.device = if gpu.is_empty() { get("cpu_info") } else { gpu }.to_string();
    r.backend = get("backends").to_string();
    (r.model, r.quant) = split_model_type(get("model_type"));
    r.model_filename = text(get("model_filename"));
    r.model_size_bytes = at.opt("model_size", get("model_size"))?;
    let params: Option<f64> = at.opt("model_n_params", get("model_n_params"))?;
    r.params_b = params.map(|p| p / 1e9);
    r.stddev_tok_s = at.opt("stddev_ts", get("stddev_ts"))?;
    r.n_gpu_layers = at.opt("n_gpu_layers", get("n_gpu_layers"))?;
    r.flash_attn = flash(at, "flash_attn", get("flash_attn"))?;
    r.flash_attn_auto = is_auto(get("flash_attn"));
    r.n_threads = at
        .opt("n_threads", get("n_threads"))?
        .filter(|t: &u32| *t > 0);
    (r.type_k, r.type_v) = (text(get("type_k")), text(get("type_v")));
    r.n_ubatch = at.opt("n_ubatch", get("n_ubatch"))?;
    r.n_batch = at.opt("n_batch", get("n_batch"))?;
    r.build = get("build_number").trim().parse().ok();
    let build = get("build_commit");
    if !build.is_empty() {
        r.notes = Some(format!(
            "llama-bench build {build} ({})",
            get("build_number")
        ));
    }
    out.rows.push(r);
    Ok(())
}

/// pp when only prompt tokens are measured, tg when only generated ones; anything else
/// is recorded in `out.skipped` with the reason, and None returned.
fn phase(out: &mut TraceFile, at: At, n_prompt: u64, n_gen: u64) -> Option<Test> {
    let reason = match (n_prompt, n_gen) {
        (p, 0) if p > 0 => return Some(Test::Pp),
        (0, g) if g > 0 => return Some(Test::Tg),
        (0, 0) => "n_prompt and n_gen are both 0: nothing measured".to_string(),
        (p, g) => format!("combined test pp{p}+tg{g} skipped: it mixes prefill and decode"),
    };
    out.skipped.push((at.line, reason));
    None
}

/// "llama 7B Q4_0" → ("llama 7B", "Q4_0"); "glm4moe 106B.A12B Q4_K - Medium" →
/// ("glm4moe 106B.A12B", "Q4_K - Medium"); old builds' "mostly Q4_0" → "Q4_0".
fn split_model_type(s: &str) -> (String, String) {
    let words: Vec<&str> = s.split_whitespace().collect();
    if words.len() <= 2 {
        return (words.join(" "), String::new());
    }
    let quant = match words[2] {
        "mostly" | "all" if words.len() > 3 => &words[3..],
        _ => &words[2..],
    };
    (words[..2].join(" "), quant.join(" "))
}

fn text(v: &str) -> Option<String> {
    Some(v.trim().to_string()).filter(|s| !s.is_empty())
}

/// A flash-attention cell that says auto (`-1`, `auto`).
fn is_auto(v: &str) -> bool {
    v == "-1" || v.eq_ignore_ascii_case("auto")
}

/// A flash-attention cell: true/false, 1/0, on/off; -1 or auto → unknown.
fn flash(at: At, column: &str, v: &str) -> Result<Option<bool>> {
    if v.is_empty() || v == "-1" || v.eq_ignore_ascii_case("auto") {
        return Ok(None);
    }
    let msg = || format!("column '{column}': expected true/false, 1/0 or -1 (auto), got '{v}'");
    parse_flag(v).map(Some).ok_or_else(|| at.err(msg()))
}

/// A markdown data row with its table's header.
pub(super) struct Row<'a> {
    pub(super) header: &'a [String],
    pub(super) cells: &'a [String],
}

impl<'a> Row<'a> {
    /// The cell under `column`, or "" when the table has no such column.
    fn get(&self, column: &str) -> &'a str {
        let cells = self.cells;
        self.header
            .iter()
            .position(|h| h == column)
            .map_or("", |k| cells[k].as_str())
    }
}

/// One llama-bench markdown row.
pub(super) fn bench_row(out: &mut TraceFile, at: At, row: &Row) -> Result<()> {
    let get = |column| row.get(column);
    let name = get("test");
    let (n_prompt, n_gen, n_depth) = parse_test_name(name).ok_or_else(|| {
        at.err(format!(
            "column 'test': expected like 'pp512', 'tg128' or 'pp512 @ d4096', got '{name}'"
        ))
    })?;
    let Some(test) = phase(out, at, n_prompt, n_gen) else {
        return Ok(());
    };
    let (mean, sd) = get("t/s").split_once('±').unwrap_or((get("t/s"), ""));
    let (mean, sd) = (mean.trim(), sd.trim());
    let mut r = TraceRow::new(at.file, at.line, test, at.speed("t/s", mean)?);
    r.stddev_tok_s = at.opt("t/s", sd)?;
    (r.n_prompt, r.n_gen, r.n_depth) = (n_prompt, n_gen, n_depth);
    (r.model, r.quant) = split_model_type(get("model"));
    r.backend = get("backend").to_string();
    r.model_size_bytes = scaled(at, "size", get("size"), &SIZE_UNITS, "3.56 GiB")?;
    let params = scaled(at, "params", get("params"), &PARAM_UNITS, "6.74 B")?;
    r.params_b = params.map(|p| p / 1e9);
    r.n_gpu_layers = at.opt("ngl", get("ngl"))?;
    r.flash_attn = flash(at, "fa", get("fa"))?;
    r.flash_attn_auto = is_auto(get("fa"));
    r.n_threads = at.opt("threads", get("threads"))?.filter(|t: &u32| *t > 0);
    r.n_ubatch = at.opt("n_ubatch", get("n_ubatch"))?;
    r.n_batch = at.opt("n_batch", get("n_batch"))?;
    (r.type_k, r.type_v) = (text(get("type_k")), text(get("type_v")));
    out.rows.push(r);
    Ok(())
}

/// One llama-batched-bench row → a pp and a tg row, each aggregate over B sequences.
pub(super) fn batched_row(out: &mut TraceFile, at: At, row: &Row, config: &str) -> Result<()> {
    let get = |column| row.get(column);
    let (pp, tg): (u64, u64) = (at.req("PP", get("PP"))?, at.req("TG", get("TG"))?);
    let b: u32 = at.req("B", get("B"))?;
    let notes = match config {
        "" => format!("llama-batched-bench B={b}"),
        _ => format!("llama-batched-bench B={b}; {config}"),
    };
    let hints = NoteHints::parse(&notes);
    let mut push = |test, tok_s| {
        let mut r = TraceRow::new(at.file, at.line, test, tok_s);
        match test {
            Test::Pp => r.n_prompt = pp,
            Test::Tg => (r.n_gen, r.n_depth) = (tg, pp),
        }
        r.batch = Some(b);
        hints.apply(&mut r);
        r.notes = Some(notes.clone());
        out.rows.push(r);
    };
    if pp > 0 {
        push(Test::Pp, at.speed("S_PP t/s", get("S_PP t/s"))?);
    }
    if tg > 0 {
        push(Test::Tg, at.speed("S_TG t/s", get("S_TG t/s"))?);
    }
    Ok(())
}

/// "pp512" → (512, 0, 0); "tg128 @ d4096" → (0, 128, 4096); "pp512+tg128" → (512, 128, 0);
/// old builds' "pp 512" too.
fn parse_test_name(s: &str) -> Option<(u64, u64, u64)> {
    let (name, depth) = match s.split_once('@') {
        Some((name, d)) => (name, d.trim().strip_prefix('d')?.trim().parse().ok()?),
        None => (s, 0),
    };
    let name: String = name.chars().filter(|c| !c.is_whitespace()).collect();
    let (mut n_prompt, mut n_gen) = (0, 0);
    for part in name.split('+') {
        if let Some(n) = part.strip_prefix("pp") {
            n_prompt = n.parse().ok()?;
        } else if let Some(n) = part.strip_prefix("tg") {
            n_gen = n.parse().ok()?;
        } else {
            return None;
        }
    }
    Some((n_prompt, n_gen, depth))
}

const SIZE_UNITS: [(&str, f64); 5] = [
    ("B", 1.0),
    ("KiB", 1024.0),
    ("MiB", 1048576.0),
    ("GiB", 1073741824.0),
    ("TiB", 1099511627776.0),
];
const PARAM_UNITS: [(&str, f64); 4] = [("K", 1e3), ("M", 1e6), ("B", 1e9), ("T", 1e12)];

/// A number with a unit suffix ("136.40 MiB", "6.74 B") → the base quantity; empty → None.
fn scaled(
    at: At,
    column: &str,
    v: &str,
    units: &[(&str, f64)],
    example: &str,
) -> Result<Option<f64>> {
    if v.is_empty() {
        return Ok(None);
    }
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (num, unit) = (v[..split].trim(), v[split..].trim());
    let scale = units.iter().find(|(u, _)| *u == unit).map(|(_, s)| *s);
    match (num.parse::<f64>(), scale) {
        (Ok(n), Some(s)) if n.is_finite() => Ok(Some(n * s)),
        _ => Err(at.err(format!(
            "column '{column}': expected like '{example}', got '{v}'"
        ))),
    }
}
