//! Rows written as they come: CSV (a header, then a record per row), JSON (the
//! `{schema_version, inputs, results}` document with each result written as it is
//! encoded, byte for byte what a whole-document pretty print gives) and JSON lines (one
//! compact result per line). Chunks of rows are encoded on any thread into bytes
//! ([`encode`]), and one [`StreamWriter`] writes them in order, so memory does not grow
//! with the number of rows.

use super::SCHEMA_VERSION;
use serde::Serialize;
use serde_json::Value;
use std::io::{self, Write};

/// A format that can be written row by row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowFormat {
    /// CSV with a header row.
    Csv,
    /// One pretty-printed JSON document.
    Json,
    /// One compact JSON object per line.
    Jsonl,
}

/// Indentation of a result inside the pretty-printed document (two levels).
const RESULT_INDENT: &[u8] = b"    ";

/// Encodes rows in one format into a chunk of bytes, on any thread. The CSV header is
/// written when asked (the first chunk); each JSON result is preceded by `,` and a new line
/// ([`StreamWriter::chunk`] drops the first comma).
#[derive(Debug)]
pub struct ChunkEncoder {
    format: RowFormat,
    csv: Option<csv::Writer<Vec<u8>>>,
    buf: Vec<u8>,
    one: Vec<u8>,
}

impl ChunkEncoder {
    /// An encoder whose chunk starts with the CSV header when `header` is set, written into
    /// `buf` (cleared; pass a used buffer back in to spare the allocation).
    pub fn new(format: RowFormat, header: bool, mut buf: Vec<u8>) -> ChunkEncoder {
        buf.clear();
        let (csv, buf) = match format {
            RowFormat::Csv => (
                Some(
                    csv::WriterBuilder::new()
                        .has_headers(header)
                        .from_writer(buf),
                ),
                Vec::new(),
            ),
            _ => (None, buf),
        };
        ChunkEncoder {
            format,
            csv,
            buf,
            one: Vec::new(),
        }
    }

    /// Encodes one row.
    pub fn row<R: Serialize>(&mut self, r: &R) -> io::Result<()> {
        match (self.format, self.csv.as_mut()) {
            (RowFormat::Csv, Some(w)) => w.serialize(r).map_err(io::Error::other),
            (RowFormat::Json, _) => {
                self.one.clear();
                serde_json::to_writer_pretty(&mut self.one, r)?;
                self.buf.extend_from_slice(b",\n");
                self.buf.extend_from_slice(RESULT_INDENT);
                indent_into(&self.one, RESULT_INDENT, &mut self.buf);
                Ok(())
            }
            _ => {
                serde_json::to_writer(&mut self.buf, r)?;
                self.buf.push(b'\n');
                Ok(())
            }
        }
    }

    /// The encoded chunk.
    pub fn finish(self) -> io::Result<Vec<u8>> {
        match self.csv {
            Some(w) => w.into_inner().map_err(|e| io::Error::other(e.to_string())),
            None => Ok(self.buf),
        }
    }
}

/// Encodes `rows` in `format` and appends the bytes to `out` (see [`ChunkEncoder`]).
pub fn encode<'r, R: Serialize + 'r>(
    format: RowFormat,
    rows: impl IntoIterator<Item = &'r R>,
    header: bool,
    out: &mut Vec<u8>,
) -> io::Result<()> {
    let mut e = ChunkEncoder::new(format, header, Vec::new());
    for r in rows {
        e.row(r)?;
    }
    out.extend_from_slice(&e.finish()?);
    Ok(())
}

/// Copies pretty JSON, indenting every line after the first (JSON strings hold no raw
/// new lines, so every `\n` is a line break).
fn indent_into(json: &[u8], indent: &[u8], out: &mut Vec<u8>) {
    for (i, line) in json.split(|b| *b == b'\n').enumerate() {
        if i > 0 {
            out.push(b'\n');
            out.extend_from_slice(indent);
        }
        out.extend_from_slice(line);
    }
}

/// Pretty JSON of `v` indented one level, as it appears as a member of the document.
fn member(v: &Value) -> io::Result<Vec<u8>> {
    let pretty = serde_json::to_vec_pretty(v)?;
    let mut out = Vec::with_capacity(pretty.len() + 64);
    indent_into(&pretty, b"  ", &mut out);
    Ok(out)
}

/// Writes a streamed result set: the document head, encoded chunks in order, the tail.
#[derive(Debug)]
pub struct StreamWriter<W: Write> {
    w: W,
    format: RowFormat,
    wrote_rows: bool,
}

impl<W: Write> StreamWriter<W> {
    /// Starts the output: for JSON, the head up to the opening of `results`.
    pub fn begin(mut w: W, format: RowFormat, inputs: &Value) -> io::Result<StreamWriter<W>> {
        if format == RowFormat::Json {
            write!(
                w,
                "{{\n  \"schema_version\": {SCHEMA_VERSION},\n  \"inputs\": "
            )?;
            w.write_all(&member(inputs)?)?;
            w.write_all(b",\n  \"results\": [")?;
        }
        Ok(StreamWriter {
            w,
            format,
            wrote_rows: false,
        })
    }

    /// Writes a chunk [`encode`] made.
    pub fn chunk(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let bytes = match (self.format, self.wrote_rows) {
            (RowFormat::Json, false) => bytes.strip_prefix(b",").unwrap_or(bytes),
            _ => bytes,
        };
        self.wrote_rows = true;
        self.w.write_all(bytes)
    }

    /// Whether no row has been written yet (the next chunk carries the CSV header).
    pub fn is_empty(&self) -> bool {
        !self.wrote_rows
    }

    /// Ends the output (JSON: closes `results`, adds `summary` and the `extra` members) and
    /// returns the writer.
    pub fn finish(mut self, summary: Option<&Value>, extra: &[(String, Value)]) -> io::Result<W> {
        if self.format == RowFormat::Json {
            self.w
                .write_all(if self.wrote_rows { b"\n  ]" } else { b"]" })?;
            if let Some(s) = summary {
                self.w.write_all(b",\n  \"summary\": ")?;
                self.w.write_all(&member(s)?)?;
            }
            for (k, v) in extra {
                self.w.write_all(b",\n  ")?;
                serde_json::to_writer(&mut self.w, k)?;
                self.w.write_all(b": ")?;
                self.w.write_all(&member(v)?)?;
            }
            self.w.write_all(b"\n}\n")?;
        }
        self.w.flush()?;
        Ok(self.w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(rows: &[Value], chunk: usize) -> String {
        let inputs = json!({"command": "t", "list": [1, 2], "nested": {"a": null}});
        let mut w = StreamWriter::begin(Vec::new(), RowFormat::Json, &inputs).unwrap();
        for c in rows.chunks(chunk.max(1)) {
            let mut b = Vec::new();
            encode(RowFormat::Json, c, w.is_empty(), &mut b).unwrap();
            w.chunk(&b).unwrap();
        }
        let summary = json!({"n": rows.len()});
        String::from_utf8(w.finish(Some(&summary), &[]).unwrap()).unwrap()
    }

    #[test]
    fn streamed_json_is_the_pretty_document() {
        let rows: Vec<Value> = (0..5)
            .map(|i| json!({"i": i, "s": "a,\"b\"\n", "o": {"x": [1.5, null]}, "e": []}))
            .collect();
        for n in [0, 1, 5] {
            let whole = json!({
                "schema_version": SCHEMA_VERSION,
                "inputs": {"command": "t", "list": [1, 2], "nested": {"a": null}},
                "results": rows[..n],
                "summary": {"n": n},
            });
            let want = serde_json::to_string_pretty(&whole).unwrap() + "\n";
            for chunk in [1, 2, 7] {
                assert_eq!(doc(&rows[..n], chunk), want, "{n} rows, chunks of {chunk}");
            }
        }
    }

    #[test]
    fn csv_has_one_header_and_quotes_fields() {
        #[derive(Serialize)]
        struct R<'a> {
            name: &'a str,
            v: Option<f64>,
        }
        let rows = [
            R {
                name: "a,b",
                v: Some(1.5),
            },
            R { name: "c", v: None },
        ];
        let mut w = StreamWriter::begin(Vec::new(), RowFormat::Csv, &Value::Null).unwrap();
        for r in &rows {
            let mut b = Vec::new();
            encode(RowFormat::Csv, [r], w.is_empty(), &mut b).unwrap();
            w.chunk(&b).unwrap();
        }
        let out = String::from_utf8(w.finish(None, &[]).unwrap()).unwrap();
        assert_eq!(out, "name,v\n\"a,b\",1.5\nc,\n");
    }

    #[test]
    fn jsonl_is_one_object_per_line() {
        let rows = [json!({"a": 1}), json!({"a": 2})];
        let mut b = Vec::new();
        encode(RowFormat::Jsonl, &rows, true, &mut b).unwrap();
        assert_eq!(String::from_utf8(b).unwrap(), "{\"a\":1}\n{\"a\":2}\n");
    }
}
