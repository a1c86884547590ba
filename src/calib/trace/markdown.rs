//! llama-bench's and llama-batched-bench's Markdown tables (`-o md`): which kind of table, its
//! cells, and its rows read like the other formats'.

use super::file::{At, TraceFile};
use super::llama_bench::{batched_row, bench_row, Row};
use crate::Result;

/// The markdown table kinds read here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Table {
    Bench,
    Batched,
}

fn table_kind(header: &[String]) -> Option<Table> {
    let has = |name: &str| header.iter().any(|h| h == name);
    if has("S_PP t/s") && has("S_TG t/s") {
        Some(Table::Batched)
    } else if has("t/s") && has("test") {
        Some(Table::Bench)
    } else {
        None
    }
}

/// The trimmed cells of a markdown table line, or None for any other line.
fn cells(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?;
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    Some(inner.split('|').map(|c| c.trim().to_string()).collect())
}

fn is_separator(line: &str) -> bool {
    let dashes = |c: &String| c.contains('-') && c.chars().all(|ch| matches!(ch, '-' | ':' | ' '));
    cells(line).is_some_and(|cs| cs.iter().all(dashes))
}

/// Whether `text` holds a llama-bench or llama-batched-bench markdown table.
pub fn has_markdown_table(text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    let header = |l: &str| cells(l).and_then(|h| table_kind(&h)).is_some();
    lines.windows(2).any(|w| is_separator(w[1]) && header(w[0]))
}

/// Reads every llama-bench and llama-batched-bench table in markdown text; other tables
/// and the prose between them are passed over.
pub fn read_markdown(file: &str, text: &str) -> Result<TraceFile> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = TraceFile::default();
    let mut table: Option<(Table, Vec<String>)> = None;
    let mut config = String::new();
    let mut i = 0;
    while i < lines.len() {
        let at = At { file, line: i + 1 };
        i += 1;
        let Some(cells) = cells(lines[at.line - 1]) else {
            table = None;
            if lines[at.line - 1].contains("n_kv_max") {
                config = lines[at.line - 1].trim().to_string();
            }
            continue;
        };
        if lines.get(i).is_some_and(|l| is_separator(l)) {
            table = table_kind(&cells).map(|kind| (kind, cells));
            i += 1;
        } else if let Some((kind, header)) = &table {
            if cells.len() != header.len() {
                let (h, n) = (header.len(), cells.len());
                return Err(at.err(format!(
                    "expected {h} cells as in the table header, found {n}"
                )));
            }
            let row = Row {
                header,
                cells: &cells,
            };
            match kind {
                Table::Bench => bench_row(&mut out, at, &row)?,
                Table::Batched => batched_row(&mut out, at, &row, &config)?,
            }
        }
    }
    Ok(out)
}
