//! Rendering of command results: one [`Output`] per command, written as a table
//! (comfy-table), CSV, JSON or Markdown. CSV and JSON carry the typed results (unit in every
//! key); tables and Markdown carry a curated human view with one scaled unit per column.

pub mod breakeven_views;
mod cells;
pub mod columns;
mod csv;
mod digits;
mod json;
mod markdown;
pub mod plot;
pub mod power_views;
pub mod row_encoder;
mod row_views;
pub mod stream;
pub mod sweep_stream;
mod table;
pub mod views;

use serde_json::Value;

/// JSON schema version of every command's output.
pub const SCHEMA_VERSION: u32 = 1;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Human table.
    Table,
    /// Comma-separated values, one row per result.
    Csv,
    /// One JSON object.
    Json,
    /// JSON lines: one result object per line.
    Jsonl,
    /// A Markdown table.
    Markdown,
}

impl Format {
    /// The row-by-row writer of this format, if it has one (tables need every row first).
    pub fn row_format(self) -> Option<stream::RowFormat> {
        match self {
            Format::Csv => Some(stream::RowFormat::Csv),
            Format::Json => Some(stream::RowFormat::Json),
            Format::Jsonl => Some(stream::RowFormat::Jsonl),
            Format::Table | Format::Markdown => None,
        }
    }
}

/// One cell of the human view.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A number shown with this many decimals.
    Num(f64, usize),
    /// Nothing (shown as —).
    Empty,
}

impl Cell {
    /// A number, or empty when absent.
    pub fn opt(v: Option<f64>, decimals: usize) -> Cell {
        v.map_or(Cell::Empty, |x| Cell::Num(x, decimals))
    }
    /// Display text.
    pub fn show(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(v, d) if v.is_finite() => format!("{v:.d$}", d = *d),
            Cell::Num(_, _) => "∞".into(),
            Cell::Empty => "—".into(),
        }
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<std::borrow::Cow<'_, str>> for Cell {
    fn from(s: std::borrow::Cow<'_, str>) -> Cell {
        Cell::Text(s.into_owned())
    }
}
impl From<&std::borrow::Cow<'_, str>> for Cell {
    fn from(s: &std::borrow::Cow<'_, str>) -> Cell {
        Cell::Text(s.to_string())
    }
}
impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::Text(s)
    }
}

/// The human view: headers (with units) and rows.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

impl View {
    /// A breakdown of one result: a `quantity` and a `value` column, one row per quantity.
    pub fn quantities(rows: Vec<Vec<Cell>>) -> View {
        View {
            headers: vec!["quantity".into(), "value".into()],
            rows,
        }
    }
}

/// A command's results: rows of one type, written straight to JSON and JSON lines by
/// serde (no JSON value in between); CSV of whole results flattens them
/// (`csv::render`: nested entries become dotted columns).
pub trait ResultRows: std::fmt::Debug {
    /// Number of rows.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Appends the rows in a row format (see [`stream::encode`]).
    fn encode(&self, f: stream::RowFormat, out: &mut Vec<u8>) -> std::io::Result<()>;
    /// The rows as JSON values (for CSV flattening and tests).
    fn to_values(&self) -> Vec<Value>;
}

impl<T: serde::Serialize + std::fmt::Debug> ResultRows for Vec<T> {
    fn len(&self) -> usize {
        Vec::len(self)
    }
    fn encode(&self, f: stream::RowFormat, out: &mut Vec<u8>) -> std::io::Result<()> {
        stream::encode(f, self.iter(), true, out)
    }
    fn to_values(&self) -> Vec<Value> {
        self.iter()
            .map(|r| serde_json::to_value(r).expect("result rows serialize"))
            .collect()
    }
}

/// Everything a command produced.
#[derive(Debug)]
pub struct Output<'a> {
    /// The resolved inputs.
    pub inputs: Value,
    /// The results, typed.
    pub results: Box<dyn ResultRows + 'a>,
    /// Aggregates (validate, capacity …).
    pub summary: Option<Value>,
    /// Human view.
    pub view: View,
    /// Lines printed under the human view (a title, a breakdown, the verify command).
    pub notes: Vec<String>,
    /// Lines printed before the human view.
    pub title: Option<String>,
    /// Warnings, printed on stderr.
    pub warnings: Vec<String>,
    /// Extra top-level JSON members (validate's `rows`).
    pub extra: Vec<(String, Value)>,
    /// Text that replaces the human view in table format (calibrate's YAML).
    pub raw_text: Option<String>,
    /// Headers of the columns a table may leave out, first to last, when even its narrowest
    /// layout is wider than the terminal (a listing of many columns; CSV and JSON keep all).
    pub drop_to_fit: Vec<&'static str>,
}

impl<'a> Output<'a> {
    /// An output with these inputs and nothing else.
    pub fn new(inputs: Value) -> Output<'a> {
        Output {
            inputs,
            results: Box::new(Vec::<Value>::new()),
            summary: None,
            view: View::default(),
            notes: vec![],
            title: None,
            warnings: vec![],
            extra: vec![],
            raw_text: None,
            drop_to_fit: vec![],
        }
    }

    /// Sets the results.
    pub fn set_results<T: serde::Serialize + std::fmt::Debug + 'a>(&mut self, rows: Vec<T>) {
        self.results = Box::new(rows);
    }

    /// Renders in a format (a table with each row on one line).
    pub fn render(&self, f: Format) -> String {
        self.render_width(f, None)
    }

    /// Renders in a format; a table wraps its cells to fit `width` columns when given.
    pub fn render_width(&self, f: Format, width: Option<u16>) -> String {
        match f {
            Format::Table => self
                .raw_text
                .clone()
                .unwrap_or_else(|| table::render(self, width)),
            Format::Csv => csv::render(&self.results.to_values()),
            Format::Json => json::render(self),
            Format::Jsonl => json::render_lines(self),
            Format::Markdown => markdown::render(self),
        }
    }
}
