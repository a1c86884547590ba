//! Scenario rows ([`ScenarioRow`]) written field by field as CSV records and JSON lines:
//! integers as itoa writes them (`digits`), floats through ryu (CSV, as the `csv` crate writes them) or zmij
//! (JSON, as serde_json writes them), JSON keys escaped once, and a unit's five names
//! (device, model, quant, backend, KV type) encoded once for all its rows. The bytes are
//! those the `csv` crate and serde_json make of the same rows (the tests compare them);
//! pretty JSON goes through serde ([`ChunkEncoder`]).

use super::digits::{put_i64, put_u64, Piece};
use super::stream::{ChunkEncoder, RowFormat};
use crate::advise::row::ScenarioRow;
use crate::model::decode::Bound;
use crate::scenario::extrapolation::Reasons;
use std::io;
use std::sync::LazyLock;

/// The columns (and JSON keys) of a row, in order; the last two only when set (`fit` and
/// `predict` rows, never a sweep's).
pub const COLUMNS: [&str; 49] = [
    "device",
    "model",
    "quant",
    "backend",
    "kv_type",
    "ctx",
    "depth",
    "prompt",
    "gen",
    "weights_bytes",
    "kv_bytes",
    "state_bytes",
    "overhead_bytes",
    "total_bytes",
    "fast_need_bytes",
    "usable_bytes",
    "headroom_bytes",
    "fast_bytes",
    "host_bytes",
    "verdict",
    "offload",
    "gpu_layers",
    "n_layers",
    "batch",
    "aggregate_decode_tok_s",
    "decode_tok_s",
    "decode_tok_s_lo",
    "decode_tok_s_hi",
    "prefill_tok_s",
    "prefill_tok_s_lo",
    "prefill_tok_s_hi",
    "ttft_s",
    "total_s",
    "bound",
    "prefill_bound",
    "roofline_tok_s",
    "bytes_per_token_fast",
    "bytes_per_token_host",
    "bytes_per_token_link",
    "efficiency",
    "extrapolation",
    "price_usd",
    "energy_j_per_token",
    "power_limit_w",
    "decode_power_w",
    "prefill_power_w",
    "local_usd_per_m_tokens",
    "verify_command",
    "max_fast_ctx",
];

/// The columns every row has (a CSV header names these): all but `verify_command` and
/// `max_fast_ctx`, which only some rows carry.
const ALWAYS: usize = COLUMNS.len() - 2;
/// The names that lead a row and stay the same for all the rows of a unit.
const NAMES: usize = 5;

/// Each column's JSON key with what comes before it: `{"device":`, `,"model":`, …
static JSON_KEYS: LazyLock<Vec<Piece>> = LazyLock::new(|| {
    COLUMNS
        .iter()
        .enumerate()
        .map(|(i, k)| Piece::new(format!("{}\"{k}\":", if i == 0 { "{" } else { "," }).as_bytes()))
        .collect()
});

/// Where a row's fields go, column by column: a CSV record or a JSON object.
trait Fields {
    /// Starts the field of column `col`: the separator, or the JSON key.
    fn start(&mut self, col: usize);
    /// The output.
    fn out(&mut self) -> &mut Vec<u8>;
    /// A name, quoted or escaped as the format needs.
    fn text(&mut self, s: &str);
    /// A spelling made of `parts` that never need quoting or escaping (an enum's, ASCII).
    fn words(&mut self, parts: &[&str]);
    /// One such spelling.
    fn word(&mut self, s: &str) {
        self.words(&[s]);
    }
    /// A float.
    fn float(&mut self, v: f64);
    /// A missing value.
    fn none(&mut self);
    /// A list of spellings.
    fn reasons(&mut self, r: &Reasons);
}

/// A CSV record (`csv` crate conventions: fields quoted only when they must be).
struct Csv<'b>(&'b mut Vec<u8>);

impl Fields for Csv<'_> {
    fn start(&mut self, col: usize) {
        if col > 0 {
            self.0.push(b',');
        }
    }
    fn out(&mut self) -> &mut Vec<u8> {
        self.0
    }
    fn text(&mut self, s: &str) {
        if s.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
            self.0.push(b'"');
            for b in s.bytes() {
                if b == b'"' {
                    self.0.push(b'"');
                }
                self.0.push(b);
            }
            self.0.push(b'"');
        } else {
            self.0.extend_from_slice(s.as_bytes());
        }
    }
    fn words(&mut self, parts: &[&str]) {
        parts
            .iter()
            .for_each(|p| self.0.extend_from_slice(p.as_bytes()));
    }
    fn float(&mut self, v: f64) {
        self.0
            .extend_from_slice(ryu::Buffer::new().format(v).as_bytes());
    }
    fn none(&mut self) {}
    fn reasons(&mut self, r: &Reasons) {
        for (i, e) in r.as_slice().iter().enumerate() {
            if i > 0 {
                self.0.push(b';');
            }
            self.0.extend_from_slice(e.as_str().as_bytes());
        }
    }
}

/// A compact JSON object (serde_json conventions: non-finite floats are null).
struct Json<'b>(&'b mut Vec<u8>);

impl Fields for Json<'_> {
    fn start(&mut self, col: usize) {
        JSON_KEYS[col].put(self.0);
    }
    fn out(&mut self) -> &mut Vec<u8> {
        self.0
    }
    fn text(&mut self, s: &str) {
        serde_json::to_writer(&mut *self.0, s).expect("a string serializes into memory");
    }
    fn words(&mut self, parts: &[&str]) {
        self.0.push(b'"');
        parts
            .iter()
            .for_each(|p| self.0.extend_from_slice(p.as_bytes()));
        self.0.push(b'"');
    }
    fn float(&mut self, v: f64) {
        if v.is_finite() {
            self.0
                .extend_from_slice(zmij::Buffer::new().format_finite(v).as_bytes());
        } else {
            self.none();
        }
    }
    fn none(&mut self) {
        self.0.extend_from_slice(b"null");
    }
    fn reasons(&mut self, r: &Reasons) {
        self.0.push(b'[');
        for (i, e) in r.as_slice().iter().enumerate() {
            if i > 0 {
                self.0.push(b',');
            }
            self.word(e.as_str());
        }
        self.0.push(b']');
    }
}

/// Writes the fields of a row from column `NAMES` on (the names are the caller's).
fn fields<F: Fields>(f: &mut F, r: &ScenarioRow) {
    let mut col = NAMES;
    let mut next = |f: &mut F| {
        f.start(col);
        col += 1;
    };
    let int = |f: &mut F, v: u64| put_u64(f.out(), v);
    for v in [r.ctx, r.depth, r.prompt, r.gen, r.weights_bytes, r.kv_bytes]
        .into_iter()
        .chain([
            r.state_bytes,
            r.overhead_bytes,
            r.total_bytes,
            r.fast_need_bytes,
            r.usable_bytes,
        ])
    {
        next(f);
        int(f, v);
    }
    next(f);
    put_i64(f.out(), r.headroom_bytes);
    for v in [r.fast_bytes, r.host_bytes] {
        next(f);
        int(f, v);
    }
    for w in [r.verdict.as_str(), r.offload.as_str()] {
        next(f);
        f.word(w);
    }
    for v in [r.gpu_layers, r.n_layers, r.batch] {
        next(f);
        int(f, u64::from(v));
    }
    let speeds = [r.aggregate_decode_tok_s, r.decode_tok_s, r.decode_tok_s_lo];
    let speeds = speeds
        .into_iter()
        .chain([r.decode_tok_s_hi, r.prefill_tok_s]);
    let speeds = speeds.chain([r.prefill_tok_s_lo, r.prefill_tok_s_hi, r.ttft_s, r.total_s]);
    for v in speeds {
        next(f);
        optional(f, v);
    }
    for b in [r.bound, r.prefill_bound] {
        next(f);
        bound(f, b);
    }
    next(f);
    f.float(r.roofline_tok_s);
    for v in [r.bytes_per_token_fast, r.bytes_per_token_host] {
        next(f);
        int(f, v);
    }
    next(f);
    int(f, r.bytes_per_token_link);
    next(f);
    f.word(r.efficiency);
    next(f);
    f.reasons(&r.extrapolation);
    let costs = [r.price_usd, r.energy_j_per_token, r.power_limit_w];
    let costs = costs
        .into_iter()
        .chain([r.decode_power_w, r.prefill_power_w]);
    for v in costs.chain([r.local_usd_per_m_tokens]) {
        next(f);
        optional(f, v);
    }
    debug_assert_eq!(col, ALWAYS);
    if let Some(c) = &r.verify_command {
        f.start(ALWAYS);
        f.text(c);
    }
    if let Some(c) = r.max_fast_ctx {
        f.start(ALWAYS + 1);
        int(f, c);
    }
}

fn optional<F: Fields>(f: &mut F, v: Option<f64>) {
    match v {
        Some(v) => f.float(v),
        None => f.none(),
    }
}

/// `kind:tier`, as [`Bound`] serializes.
fn bound<F: Fields>(f: &mut F, b: Bound) {
    f.words(&[b.kind.as_str(), ":", b.tier.as_str()]);
}

/// Encodes scenario rows in one format into a chunk of bytes, on any thread (the scenario-row
/// counterpart of [`ChunkEncoder`], with the same chunk conventions).
#[derive(Debug)]
pub struct RowEncoder {
    format: RowFormat,
    buf: Vec<u8>,
    /// Pretty JSON, through serde.
    pretty: Option<ChunkEncoder>,
    /// The names the prefix holds.
    names: [String; NAMES],
    /// The encoded names of the current unit (empty: none yet).
    prefix: Vec<u8>,
}

impl RowEncoder {
    /// An encoder whose chunk starts with the CSV header when `header` is set, written into
    /// `buf` (cleared; pass a used buffer back in to spare the allocation).
    pub fn new(format: RowFormat, header: bool, mut buf: Vec<u8>) -> RowEncoder {
        buf.clear();
        let pretty = (format == RowFormat::Json)
            .then(|| ChunkEncoder::new(format, header, std::mem::take(&mut buf)));
        if format == RowFormat::Csv && header {
            buf.extend_from_slice(COLUMNS[..ALWAYS].join(",").as_bytes());
            buf.push(b'\n');
        }
        RowEncoder {
            format,
            buf,
            pretty,
            names: Default::default(),
            prefix: Vec::new(),
        }
    }

    /// Encodes one row.
    pub fn row(&mut self, r: &ScenarioRow) -> io::Result<()> {
        if let Some(p) = self.pretty.as_mut() {
            return p.row(r);
        }
        let names = [&r.device, &r.model, &r.quant, &r.backend, &r.kv_type];
        if self.prefix.is_empty() || names.iter().zip(&self.names).any(|(a, b)| a[..] != b[..]) {
            self.names = names.map(|n| n.to_string());
            self.prefix.clear();
            match self.format {
                RowFormat::Csv => write_names(&mut Csv(&mut self.prefix), &self.names),
                _ => write_names(&mut Json(&mut self.prefix), &self.names),
            }
        }
        self.buf.extend_from_slice(&self.prefix);
        match self.format {
            RowFormat::Csv => fields(&mut Csv(&mut self.buf), r),
            _ => {
                fields(&mut Json(&mut self.buf), r);
                self.buf.push(b'}');
            }
        }
        self.buf.push(b'\n');
        Ok(())
    }

    /// The encoded chunk.
    pub fn finish(self) -> io::Result<Vec<u8>> {
        match self.pretty {
            Some(p) => p.finish(),
            None => Ok(self.buf),
        }
    }
}

fn write_names<F: Fields>(f: &mut F, names: &[String; NAMES]) {
    for (col, n) in names.iter().enumerate() {
        f.start(col);
        f.text(n);
    }
}

#[cfg(test)]
#[path = "row_encoder_tests.rs"]
mod tests;
