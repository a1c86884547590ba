//! JSON: one object `{schema_version, inputs, results[, summary]}`, keys in a stable order,
//! written by the same [`StreamWriter`] a streamed sweep uses; JSON lines: one result per
//! line.

use super::stream::{RowFormat, StreamWriter};
use super::Output;

/// Renders the JSON document.
pub fn render(o: &Output) -> String {
    let write = || -> std::io::Result<Vec<u8>> {
        let mut w = StreamWriter::begin(Vec::new(), RowFormat::Json, &o.inputs)?;
        let mut rows = Vec::new();
        o.results.encode(RowFormat::Json, &mut rows)?;
        w.chunk(&rows)?;
        w.finish(o.summary.as_ref(), &o.extra)
    };
    let bytes = write().expect("results serialize to memory");
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

/// Renders JSON lines: one compact result object per line.
pub fn render_lines(o: &Output) -> String {
    let mut rows = Vec::new();
    o.results
        .encode(RowFormat::Jsonl, &mut rows)
        .expect("results serialize to memory");
    String::from_utf8(rows).expect("JSON is UTF-8")
}
