//! CSV text split into records with the line each starts on, read with the `csv` crate
//! (RFC 4180: fields separated by commas, optionally quoted, `""` an escaped quote,
//! newlines allowed inside quotes, CRLF or LF line ends), and a header-indexed table over
//! them that the normalized and llama-bench CSV readers share. Every error names file:line.

use super::file::parse_error;
use crate::Result;

/// One CSV record and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct CsvRecord {
    /// 1-based line of the record's first character.
    pub line: usize,
    /// The unquoted fields.
    pub fields: Vec<String>,
}

/// Parses CSV text into records, skipping blank lines. A quote opened and never closed is
/// an error at the line where it opens; so is text the `csv` crate cannot read (invalid
/// UTF-8), at the line it reports. A character after a closing quote is kept (`"x"y` reads
/// `xy`), as the `csv` crate reads it.
pub fn parse_csv(file: &str, text: &str) -> Result<Vec<CsvRecord>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(line) = unterminated_quote(text) {
        let msg = "unterminated quoted field: a '\"' opened here is never closed";
        return Err(parse_error(file, line, msg));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    // The crate counts a CRLF's LF on the next record: lines come from byte offsets instead.
    let mut lines = LineCounter::new(text);
    for rec in reader.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(1, |p| lines.line_at(p.byte() as usize));
            parse_error(file, line, e.to_string())
        })?;
        let line = rec
            .position()
            .map_or(1, |p| lines.line_at(p.byte() as usize));
        let fields: Vec<String> = rec.iter().map(str::to_string).collect();
        let blank = fields.len() == 1 && fields[0].trim().is_empty();
        if !blank {
            records.push(CsvRecord { line, fields });
        }
    }
    Ok(records)
}

/// Line numbers of byte offsets visited in increasing order (O(n) over a file).
struct LineCounter<'t> {
    bytes: &'t [u8],
    at: usize,
    line: usize,
}

impl<'t> LineCounter<'t> {
    fn new(text: &'t str) -> Self {
        LineCounter {
            bytes: text.as_bytes(),
            at: 0,
            line: 1,
        }
    }

    /// The 1-based line of the first character at or after `byte` that ends no line.
    fn line_at(&mut self, mut byte: usize) -> usize {
        while self
            .bytes
            .get(byte)
            .is_some_and(|b| *b == b'\r' || *b == b'\n')
        {
            byte += 1;
        }
        let end = byte.min(self.bytes.len());
        if end > self.at {
            self.line += self.bytes[self.at..end]
                .iter()
                .filter(|b| **b == b'\n')
                .count();
            self.at = end;
        }
        self.line
    }
}

/// The line of a quote that opens a field and is never closed, if any (the `csv` crate
/// would read the rest of the file into that field).
fn unterminated_quote(text: &str) -> Option<usize> {
    let (mut line, mut opened) = (1, None);
    let mut field_start = true;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (opened, c) {
            (Some(_), '"') if chars.peek() == Some(&'"') => {
                chars.next();
            }
            (Some(_), '"') => opened = None,
            (None, '"') if field_start => opened = Some(line),
            _ => {}
        }
        if c == '\n' {
            line += 1;
        }
        field_start = opened.is_none() && (c == ',' || c == '\n');
    }
    opened
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
        // A quote inside an unquoted field is text; one after a closing quote is kept.
        assert_eq!(fields("a,b\n5\"x,1\n")[1].1[0], "5\"x");
        assert_eq!(fields("a,b\n\"x\"y,1\n")[1].1[0], "xy");
    }
}
