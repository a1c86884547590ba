//! Reading a measured-trace file in any supported format, detected from the extension
//! (`.csv`, `.json`, `.jsonl`, `.md`) or, without one, from the content:
//!
//! - normalized CSV (header with `test` and `tok_s`): [`super::normalized`];
//! - llama-bench `-o csv` (header with `avg_ts`), `-o json`, `-o jsonl`, `-o md`, and
//!   llama-batched-bench's markdown table: [`super::llama_bench`].
//!
//! Every reader returns the rows it could map plus the lines it deliberately skipped
//! (combined pp+tg tests), with the reason, so callers can report them.

use std::path::Path;

use super::csv_table::{parse_csv, CsvTable};
pub(crate) use super::file::parse_error;
pub use super::file::TraceFile;
use super::llama_bench;
use super::markdown;
use super::normalized;
use crate::{Error, Result};

const EXPECTED: &str = "expected a normalized trace CSV (header with 'test' and 'tok_s': \
device,backend,model,params_b,quant,model_size_gib,test,n_prompt,n_gen,n_depth,tok_s,bw_gbs,\
source_url,notes), a llama-bench CSV (header with 'avg_ts'), llama-bench JSON or JSONL \
(objects with 'avg_ts'), or a markdown table from llama-bench ('| model | … | test | t/s |') \
or llama-batched-bench ('| PP | TG | B | … | S_PP t/s | … | S_TG t/s | …')";

/// Reads one trace file, detecting its format from the extension, else from the content.
pub fn read_trace_file(path: &Path) -> Result<TraceFile> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        cause: source,
    })?;
    read_trace_str(&path.display().to_string(), &text)
}

/// Reads trace text named `name` (a path, or `<stdin>`): the format comes from `name`'s
/// extension when it is `.csv`, `.json`, `.jsonl` or `.md`, else from the content.
pub fn read_trace_str(name: &str, text: &str) -> Result<TraceFile> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(parse_error(name, 1, format!("empty file: {EXPECTED}")));
    }
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => read_csv(name, text),
        Some("json") => llama_bench::read_json(name, text),
        Some("jsonl" | "ndjson") => llama_bench::read_jsonl(name, text),
        Some("md" | "markdown") => read_markdown(name, text),
        _ => sniff(name, text),
    }
}

/// Detects the format from the content alone.
fn sniff(name: &str, text: &str) -> Result<TraceFile> {
    let first = text.trim_start();
    if first.starts_with('[') {
        return llama_bench::read_json(name, text);
    }
    if first.starts_with('{') {
        let line = first.lines().next().unwrap_or_default();
        return match serde_json::from_str::<serde_json::Value>(line) {
            Ok(_) => llama_bench::read_jsonl(name, text),
            Err(_) => llama_bench::read_json(name, text),
        };
    }
    if markdown::has_markdown_table(text) {
        return markdown::read_markdown(name, text);
    }
    read_csv(name, text)
}

/// Reads a CSV, choosing the reader from its header.
fn read_csv(name: &str, text: &str) -> Result<TraceFile> {
    let records = parse_csv(name, text)?;
    let header: Vec<&str> = records
        .first()
        .map_or(vec![], |r| r.fields.iter().map(|f| f.trim()).collect());
    let has = |column: &str| header.contains(&column);
    if has("tok_s") && has("test") {
        normalized::rows_from_table(&CsvTable::new(name, records)?)
    } else if has("avg_ts") {
        llama_bench::rows_from_csv_table(&CsvTable::new(name, records)?)
    } else {
        let line = records.first().map_or(1, |r| r.line);
        let msg = format!("unrecognised header '{}': {EXPECTED}", header.join(","));
        Err(parse_error(name, line, msg))
    }
}

/// Reads a markdown file, failing when it holds no llama-bench or batched-bench table.
fn read_markdown(name: &str, text: &str) -> Result<TraceFile> {
    if !markdown::has_markdown_table(text) {
        return Err(parse_error(
            name,
            1,
            format!("no recognisable markdown table: {EXPECTED}"),
        ));
    }
    markdown::read_markdown(name, text)
}
