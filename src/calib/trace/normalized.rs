//! The normalized trace CSV (`shared/calibration-data/README.md`):
//!
//! `device,backend,model,params_b,quant,model_size_gib,test,n_prompt,n_gen,n_depth,tok_s,bw_gbs,source_url,notes`
//!
//! plus the optional `device_id,model_id,quant_id,backend_id,flash_attn` (1/0; else from the notes), `n_threads`. Columns may come in any
//! order and unknown ones are ignored. `test` is `pp` or `tg`; empty numbers are unknown
//! (empty token counts are 0); `model_size_gib` is GiB (× 2^30 bytes). Run settings are
//! recovered from the free-text `notes` when written as `key=value` or `key = value`:
//! `flash_attn`/`fa`, `n_ubatch`/`ub`, `n_batch`, `n_gpu_layers`/`ngl` and the batched-bench
//! sequence count `B`.

use super::csv_table::{parse_csv, CsvRecord, CsvTable};
use super::file::{parse_error, At, TraceFile};
use super::{Test, TraceRow};
use crate::Result;

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
    let mut first_rounded: Option<(usize, String)> = None;
    for rec in &table.records {
        let (r, rounded) = row(table, rec)?;
        if let (None, Some(c)) = (&first_rounded, rounded) {
            first_rounded = Some((rec.line, c));
        }
        out.rows.push(r);
    }
    if let Some((line, column)) = first_rounded {
        out.notes.push(format!(
            "{}:{line}: non-integer token counts (first in '{column}'; a mean over runs) \
             were read rounded to the nearest token",
            table.file
        ));
    }
    Ok(out)
}

/// Maps one record; also names the first token-count column it had to round, if any.
fn row(table: &CsvTable, rec: &CsvRecord) -> Result<(TraceRow, Option<String>)> {
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
    let mut rounded = None;
    for (column, slot) in [
        ("n_prompt", &mut r.n_prompt),
        ("n_gen", &mut r.n_gen),
        ("n_depth", &mut r.n_depth),
    ] {
        let (n, was_rounded) = at.count(column, get(column))?;
        *slot = n.unwrap_or(0);
        if was_rounded && rounded.is_none() {
            rounded = Some(column.to_string());
        }
    }
    let _bandwidth: Option<f64> = at.opt("bw_gbs", get("bw_gbs"))?;
    (r.source_url, r.notes) = (text("source_url"), text("notes"));
    r.flash_attn = text("flash_attn").and_then(|v| parse_flag(&v));
    r.n_threads = at
        .opt("n_threads", get("n_threads"))?
        .filter(|t: &u32| *t > 0);
    r.harness = text("harness");
    // The backend label's own flags (`Vulkan (AMDVLK, -ub 512)`) are the row's; the notes may
    // quote a command line that other rows of the table share.
    NoteHints::parse_flags(&r.backend).apply(&mut r);
    NoteHints::parse(r.notes.as_deref().unwrap_or_default()).apply(&mut r);
    Ok((r, rounded))
}

/// Bytes in a GiB.
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Run settings recognised in free text such as the `notes` column or llama-batched-bench's
/// `main: n_kv_max = …, n_batch = 2048, n_ubatch = 2048, flash_attn = 1, …` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NoteHints {
    /// `flash_attn=` or `fa=` (1/0, true/false, on/off; auto or -1 → unknown).
    pub flash_attn: Option<bool>,
    /// `n_ubatch=` (or llama-bench's short `ub=`).
    pub n_ubatch: Option<u32>,
    /// `n_batch=`.
    pub n_batch: Option<u32>,
    /// `n_gpu_layers=` (or llama-bench's short `ngl=`).
    pub n_gpu_layers: Option<i64>,
    /// `B=`: parallel sequences (llama-batched-bench).
    pub batch: Option<u32>,
    /// The llama.cpp build number: `(NNNN)` right after a hexadecimal commit hash, as
    /// llama-bench prints `build: 01612b74 (5922)`.
    pub build: Option<u32>,
}

impl NoteHints {
    /// Finds the hints in `text`; a key whose value does not parse is ignored (free text).
    pub fn parse(text: &str) -> Self {
        let num = |key: &str| hint_value(text, key).and_then(|v| v.parse().ok());
        let flash = hint_value(text, "flash_attn").or_else(|| hint_value(text, "fa"));
        NoteHints {
            flash_attn: flash.and_then(parse_flag).or_else(|| fa_table(text)),
            n_ubatch: num("n_ubatch").or_else(|| num("ub")),
            n_batch: num("n_batch"),
            n_gpu_layers: hint_value(text, "n_gpu_layers")
                .or_else(|| hint_value(text, "ngl"))
                .and_then(|v| v.parse().ok()),
            batch: num("B"),
            build: build_number(text),
        }
    }

    /// llama-bench's command-line flags in `text`: `-ub N`, `-fa 1|0|on|off`, `-ngl N` (`-ngl
    /// -1` too), with a space or `=` before the value; the first occurrence with a value wins.
    pub fn parse_flags(text: &str) -> Self {
        let value = |key: &str| {
            text.match_indices(key).find_map(|(at, _)| {
                let starts = text[..at]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_ascii_alphanumeric());
                // The key stands alone (`-fast` is not `-fa`): `=` or spaces follow it.
                let rest = &text[at + key.len()..];
                let word = match rest.strip_prefix('=') {
                    Some(w) => w,
                    None => rest.trim_start_matches(' '),
                };
                let end = word
                    .char_indices()
                    .find(|&(i, c)| !(c.is_ascii_alphanumeric() || (i == 0 && c == '-')))
                    .map_or(word.len(), |(i, _)| i);
                (starts && word.len() < rest.len() && end > 0).then(|| &word[..end])
            })
        };
        NoteHints {
            flash_attn: value("-fa").and_then(parse_flag),
            n_ubatch: value("-ub").and_then(|v| v.parse().ok()),
            n_gpu_layers: value("-ngl").and_then(|v| v.parse().ok()),
            ..Self::default()
        }
    }

    /// Fills the row's settings that are still unknown.
    pub fn apply(&self, r: &mut TraceRow) {
        r.flash_attn = r.flash_attn.or(self.flash_attn);
        r.n_ubatch = r.n_ubatch.or(self.n_ubatch);
        r.n_batch = r.n_batch.or(self.n_batch);
        r.n_gpu_layers = r.n_gpu_layers.or(self.n_gpu_layers);
        r.batch = r.batch.or(self.batch);
        r.build = r.build.or(self.build);
    }
}

/// The number in `<hash> (<number>)`: a hexadecimal word of 7 to 40 digits, one space, and
/// a parenthesised decimal number, with or without the `b` of a release tag (`(b8038)`).
fn build_number(text: &str) -> Option<u32> {
    text.match_indices(" (").find_map(|(at, _)| {
        let hash = text[..at]
            .rsplit(|c: char| !c.is_ascii_alphanumeric())
            .next()?;
        let rest = &text[at + 2..];
        let digits = &rest[..rest.find(')')?];
        let digits = digits.strip_prefix('b').unwrap_or(digits);
        let is_hash = (7..=40).contains(&hash.len()) && hash.chars().all(|c| c.is_ascii_hexdigit());
        let is_number = !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit());
        if is_hash && is_number {
            digits.parse().ok()
        } else {
            None
        }
    })
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

    #[test]
    fn non_integer_token_counts_are_rounded_and_noted_once() {
        let text = "device,backend,model,quant,test,n_prompt,n_gen,n_depth,tok_s\n\
                    d,b,m,q,tg,0,1471.375,985,49.4\n\
                    d,b,m,q,tg,0,1063.5,985,49.2\n\
                    d,b,m,q,pp,985,0,0,2181.7\n";
        let f = read_normalized("t.csv", text).expect("read, not refused");
        assert_eq!(f.rows.len(), 3);
        assert_eq!((f.rows[0].n_gen, f.rows[1].n_gen), (1471, 1064));
        assert_eq!(f.notes.len(), 1, "{:?}", f.notes);
        assert!(f.notes[0].contains("t.csv:2") && f.notes[0].contains("n_gen"));
        let bad = "device,backend,model,quant,test,n_prompt,tok_s\nd,b,m,q,pp,-5.5,1\n";
        assert!(read_normalized("t.csv", bad).is_err());
    }

    #[test]
    fn hints_from_notes() {
        let h = NoteHints::parse("llama-batched-bench B=8 (x); n_batch = 2048, n_ubatch = 512, flash_attn = 1, n_gpu_layers = -1");
        assert_eq!(
            (h.batch, h.n_batch, h.n_ubatch, h.flash_attn, h.n_gpu_layers),
            (Some(8), Some(2048), Some(512), Some(true), Some(-1))
        );
        let h = NoteHints::parse("ngl=0; ub=1024; comment by x");
        assert_eq!((h.n_gpu_layers, h.n_ubatch), (Some(0), Some(1024)));
        assert_eq!(NoteHints::parse("xngl=0").n_gpu_layers, None);
        let h = NoteHints::parse("Build=abc; sofa=1; flash_attn=False");
        assert_eq!((h.batch, h.flash_attn), (None, Some(false)));
        assert_eq!(NoteHints::parse("fa=1; -fa auto").flash_attn, Some(true));
        assert_eq!(NoteHints::parse("flash_attn = auto").flash_attn, None);
        assert_eq!(
            NoteHints::parse("x; llama.cpp 01612b74 (5922); y").build,
            Some(5922)
        );
        assert_eq!(
            NoteHints::parse("build=d5cb8684 (3891); source=z").build,
            Some(3891)
        );
        assert_eq!(
            NoteHints::parse("Qwen3 (30B) at 8 (512) tokens").build,
            None
        );
        assert_eq!(NoteHints::parse("commit zz01612b7 (12)").build, None);
        assert_eq!(
            NoteHints::parse("llama.cpp 05a6f0e89 (b8038); 2026-02-13").build,
            Some(8038)
        );
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
