//! The normalized trace CSV (`shared/calibration-data/README.md`):
//!
//! `device,backend,model,params_b,quant,model_size_gib,test,n_prompt,n_gen,n_depth,tok_s,bw_gbs,source_url,notes`
//!
//! plus the optional `device_id,model_id,quant_id,backend_id`. Columns may come in any
//! order and unknown ones are ignored. `test` is `pp` or `tg`; empty numbers are unknown
//! (empty token counts are 0); `model_size_gib` is GiB (× 2^30 bytes). Run settings are
//! recovered from the free-text `notes` when written as `key=value` or `key = value`:
//! `flash_attn`/`fa`, `n_ubatch`, `n_batch`, `n_gpu_layers` and the batched-bench
//! sequence count `B`.
//!
//! Also home of the small RFC 4180 CSV parser the llama-bench CSV reader shares: fields
//! separated by commas, optionally quoted, `""` an escaped quote, newlines allowed inside
//! quotes, CRLF or LF line ends.

use std::iter::Peekable;
use std::str::Chars;

use super::read::{parse_error, At, TraceFile};
use super::trace::{Test, TraceRow};
use crate::Result;

/// One CSV record and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRecord {
    /// 1-based line of the record's first character.
    pub line: usize,
    /// The unquoted fields.
    pub fields: Vec<String>,
}

/// Parses CSV text into records, skipping blank lines. An unterminated quote, or text
/// between a closing quote and the next comma, is an error at the line where it occurs.
pub fn parse_csv(file: &str, text: &str) -> Result<Vec<CsvRecord>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut records = Vec::new();
    let (mut fields, mut field) = (Vec::new(), String::new());
    let (mut line, mut start) = (1, 1);
    let mut was_quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if field.is_empty() && !was_quoted => {
                let opened = line;
                if !read_quoted(&mut chars, &mut field, &mut line) {
                    let msg = "unterminated quoted field: a '\"' opened here is never closed";
                    return Err(parse_error(file, opened, msg));
                }
                was_quoted = true;
            }
            ',' => {
                fields.push(std::mem::take(&mut field));
                was_quoted = false;
            }
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' => {
                fields.push(std::mem::take(&mut field));
                end_record(&mut records, std::mem::take(&mut fields), start, was_quoted);
                was_quoted = false;
                line += 1;
                start = line;
            }
            _ if was_quoted => {
                let msg =
                    format!("unexpected '{c}' after a closing quote: expected ',' or end of line");
                return Err(parse_error(file, line, msg));
            }
            _ => field.push(c),
        }
    }
    if !field.is_empty() || !fields.is_empty() || was_quoted {
        fields.push(field);
        end_record(&mut records, fields, start, was_quoted);
    }
    Ok(records)
}

/// Reads a quoted field's content after its opening quote, up to the closing one (`""` is
/// a quote, newlines count lines); false when the text ends first.
fn read_quoted(chars: &mut Peekable<Chars>, field: &mut String, line: &mut usize) -> bool {
    while let Some(c) = chars.next() {
        match c {
            '"' if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            '"' => return true,
            _ => {
                *line += usize::from(c == '\n');
                field.push(c);
            }
        }
    }
    false
}

fn end_record(records: &mut Vec<CsvRecord>, fields: Vec<String>, line: usize, was_quoted: bool) {
    let blank = !was_quoted && fields.len() == 1 && fields[0].trim().is_empty();
    if !blank {
        records.push(CsvRecord { line, fields });
    }
}

/// A CSV split into its header and data records, with column lookup by name.
#[derive(Debug, Clone)]
pub struct CsvTable {
    /// File name, for errors.
    pub file: String,
    /// Column names, trimmed.
    pub header: Vec<String>,
    /// Line of the header.
    pub header_line: usize,
    /// Data records, each with as many fields as the header.
    pub records: Vec<CsvRecord>,
}

impl CsvTable {
    /// Splits off the header; fails on an empty file or a record whose field count
    /// differs from the header's.
    pub fn new(file: &str, mut records: Vec<CsvRecord>) -> Result<Self> {
        if records.is_empty() {
            return Err(parse_error(file, 1, "empty file: expected a header row"));
        }
        let head = records.remove(0);
        let header: Vec<String> = head.fields.iter().map(|h| h.trim().to_string()).collect();
        for r in &records {
            if r.fields.len() != header.len() {
                let msg = format!(
                    "expected {} fields as in the header, found {}",
                    header.len(),
                    r.fields.len()
                );
                return Err(parse_error(file, r.line, msg));
            }
        }
        Ok(CsvTable {
            file: file.to_string(),
            header,
            header_line: head.line,
            records,
        })
    }

    /// Index of a column, by exact name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

const REQUIRED: [&str; 6] = ["device", "backend", "model", "quant", "test", "tok_s"];

/// Reads normalized trace CSV text.
pub fn read_normalized(file: &str, text: &str) -> Result<TraceFile> {
    rows_from_table(&CsvTable::new(file, parse_csv(file, text)?)?)
}

/// Maps a parsed normalized CSV to rows. Missing required columns, a bad number or a
/// `test` other than `pp`/`tg` are errors at file:line.
pub fn rows_from_table(table: &CsvTable) -> Result<TraceFile> {
    if let Some(missing) = REQUIRED.iter().find(|c| table.column(c).is_none()) {
        let msg = format!(
            "missing column '{missing}': the header needs at least {}",
            REQUIRED.join(",")
        );
        return Err(parse_error(&table.file, table.header_line, msg));
    }
    let mut out = TraceFile::default();
    for rec in &table.records {
        out.rows.push(row(table, rec)?);
    }
    Ok(out)
}

/// Maps one record.
fn row(table: &CsvTable, rec: &CsvRecord) -> Result<TraceRow> {
    let at = At {
        file: &table.file,
        line: rec.line,
    };
    let get = |c: &str| table.column(c).map_or("", |i| rec.fields[i].trim());
    let text = |c: &str| Some(get(c).to_string()).filter(|s| !s.is_empty());
    let test = match get("test") {
        "pp" => Test::Pp,
        "tg" => Test::Tg,
        other => {
            return Err(at.err(format!(
                "column 'test': expected 'pp' or 'tg', got '{other}'"
            )))
        }
    };
    let mut r = TraceRow::new(at.file, at.line, test, at.speed("tok_s", get("tok_s"))?);
    (r.device, r.backend) = (get("device").to_string(), get("backend").to_string());
    (r.model, r.quant) = (get("model").to_string(), get("quant").to_string());
    (r.device_id, r.model_id) = (text("device_id"), text("model_id"));
    (r.quant_id, r.backend_id) = (text("quant_id"), text("backend_id"));
    r.params_b = at.opt("params_b", get("params_b"))?;
    let gib: Option<f64> = at.opt("model_size_gib", get("model_size_gib"))?;
    r.model_size_bytes = gib.map(|g| g * GIB);
    r.n_prompt = at.opt("n_prompt", get("n_prompt"))?.unwrap_or(0);
    r.n_gen = at.opt("n_gen", get("n_gen"))?.unwrap_or(0);
    r.n_depth = at.opt("n_depth", get("n_depth"))?.unwrap_or(0);
    let _bandwidth: Option<f64> = at.opt("bw_gbs", get("bw_gbs"))?;
    (r.source_url, r.notes) = (text("source_url"), text("notes"));
    NoteHints::parse(r.notes.as_deref().unwrap_or_default()).apply(&mut r);
    Ok(r)
}

/// Bytes in a GiB.
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Run settings recognised in free text such as the `notes` column or llama-batched-bench's
/// `main: n_kv_max = …, n_batch = 2048, n_ubatch = 2048, flash_attn = 1, …` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoteHints {
    /// `flash_attn=` or `fa=` (1/0, true/false, on/off; auto or -1 → unknown).
    pub flash_attn: Option<bool>,
    /// `n_ubatch=`.
    pub n_ubatch: Option<u32>,
    /// `n_batch=`.
    pub n_batch: Option<u32>,
    /// `n_gpu_layers=`.
    pub n_gpu_layers: Option<i64>,
    /// `B=`: parallel sequences (llama-batched-bench).
    pub batch: Option<u32>,
}

impl NoteHints {
    /// Finds the hints in `text`; a key whose value does not parse is ignored (free text).
    pub fn parse(text: &str) -> Self {
        let num = |key: &str| hint_value(text, key).and_then(|v| v.parse().ok());
        let flash = hint_value(text, "flash_attn").or_else(|| hint_value(text, "fa"));
        NoteHints {
            flash_attn: flash.and_then(parse_flag).or_else(|| fa_table(text)),
            n_ubatch: num("n_ubatch"),
            n_batch: num("n_batch"),
            n_gpu_layers: hint_value(text, "n_gpu_layers").and_then(|v| v.parse().ok()),
            batch: num("B"),
        }
    }

    /// Fills the row's settings that are still unknown.
    pub fn apply(&self, r: &mut TraceRow) {
        r.flash_attn = r.flash_attn.or(self.flash_attn);
        r.n_ubatch = r.n_ubatch.or(self.n_ubatch);
        r.n_batch = r.n_batch.or(self.n_batch);
        r.n_gpu_layers = r.n_gpu_layers.or(self.n_gpu_layers);
        r.batch = r.batch.or(self.batch);
    }
}

/// A scoreboard's table label: `with FA` or `without FA` (the llama.cpp scoreboards publish
/// one table with flash attention and one without).
fn fa_table(text: &str) -> Option<bool> {
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    (0..words.len().saturating_sub(1)).find_map(|i| {
        let next = words.get(i + 2).map(|w| w.to_ascii_lowercase());
        let off = next.as_deref() == Some("off");
        match (words[i].to_ascii_lowercase().as_str(), words[i + 1]) {
            ("with", "FA") => Some(!off),
            ("without", "FA") => Some(false),
            _ => None,
        }
    })
}

/// Reads a flash-attention setting: 1/true/on/yes, 0/false/off/no; anything else
/// (auto, -1) is unknown.
pub fn parse_flag(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" | "enabled" => Some(true),
        "0" | "false" | "off" | "no" | "disabled" => Some(false),
        _ => None,
    }
}

/// The value after the first `key =` in `text` where `key` stands as a whole word.
fn hint_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    text.match_indices(key).find_map(|(at, _)| {
        if text[..at].chars().next_back().is_some_and(is_word) {
            return None;
        }
        let rest = text[at + key.len()..].trim_start_matches([' ', '\t']);
        let rest = rest.strip_prefix('=')?.trim_start_matches([' ', '\t']);
        let end = rest
            .find(|c: char| !(is_word(c) || c == '-' || c == '.'))
            .unwrap_or(rest.len());
        Some(&rest[..end]).filter(|v| !v.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<(usize, Vec<String>)> {
        parse_csv("t.csv", text)
            .expect("valid CSV")
            .into_iter()
            .map(|r| (r.line, r.fields))
            .collect()
    }

    #[test]
    fn csv_quotes_commas_newlines_and_crlf() {
        let recs = fields("a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\r\n\n3,\n");
        assert_eq!(recs[0], (1, vec!["a".to_string(), "b".to_string()]));
        assert_eq!(
            recs[1],
            (2, vec!["x, \"y\"".to_string(), "two\nlines".to_string()])
        );
        assert_eq!(recs[2], (5, vec!["3".to_string(), String::new()]));
        assert_eq!(recs.len(), 3);
    }

    #[test]
    fn csv_errors_name_the_line() {
        let e = parse_csv("t.csv", "a,b\n1,\"open\n2,3\n").unwrap_err();
        assert!(
            matches!(e, crate::Error::Parse { line: Some(2), .. }),
            "{e}"
        );
        let e = parse_csv("t.csv", "a,b\n\"x\"y,1\n").unwrap_err();
        assert!(
            matches!(e, crate::Error::Parse { line: Some(2), .. }),
            "{e}"
        );
    }

    #[test]
    fn hints_from_notes() {
        let h = NoteHints::parse("llama-batched-bench B=8 (x); n_batch = 2048, n_ubatch = 512, flash_attn = 1, n_gpu_layers = -1");
        assert_eq!(
            (h.batch, h.n_batch, h.n_ubatch, h.flash_attn, h.n_gpu_layers),
            (Some(8), Some(2048), Some(512), Some(true), Some(-1))
        );
        let h = NoteHints::parse("Build=abc; sofa=1; flash_attn=False");
        assert_eq!((h.batch, h.flash_attn), (None, Some(false)));
        assert_eq!(NoteHints::parse("fa=1; -fa auto").flash_attn, Some(true));
        assert_eq!(NoteHints::parse("flash_attn = auto").flash_attn, None);
        let table = |t: &str| NoteHints::parse(t).flash_attn;
        assert_eq!(
            table("scoreboard table: with FA (per the parser)"),
            Some(true)
        );
        assert_eq!(
            table("scoreboard table: without FA; stddev=±1"),
            Some(false)
        );
        assert_eq!(table("fa=0; scoreboard table: with FA"), Some(false));
        assert_eq!(table("with FAQ"), None);
        assert_eq!(table("With FA: the second table"), Some(true));
        assert_eq!(table("compared with FA off"), Some(false));
    }
}
