//! A trace file being read: its name, its rows and its notes, and a position in it (file and
//! line) that every reader's errors name.

use super::TraceRow;
use crate::{Error, Result};
use serde::Serialize;
use std::str::FromStr;

/// What one trace file gave.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct TraceFile {
    /// Rows mapped, in file order.
    pub rows: Vec<TraceRow>,
    /// Lines (or JSON record indices) skipped on purpose, with the reason.
    pub skipped: Vec<(usize, String)>,
    /// Things read but adjusted (non-integer token counts rounded), each said once per file.
    pub notes: Vec<String>,
}

/// A parse error at `file:line`.
pub(crate) fn parse_error(file: &str, line: usize, msg: impl Into<String>) -> Error {
    Error::Parse {
        file: file.to_string(),
        line: Some(line),
        msg: msg.into(),
    }
}

/// Where a value was read: file and line, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct At<'a> {
    /// File name.
    pub file: &'a str,
    /// 1-based line (or JSON record index).
    pub line: usize,
}

impl At<'_> {
    /// A parse error here.
    pub fn err(self, msg: impl Into<String>) -> Error {
        parse_error(self.file, self.line, msg)
    }

    /// An optional numeric cell: empty → `None`; anything unparseable is an error naming
    /// the column and quoting the value.
    pub fn opt<T: FromStr>(self, column: &str, value: &str) -> Result<Option<T>> {
        let v = value.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<T>().map(Some).map_err(|_| {
            let whole = !std::any::type_name::<T>().starts_with('f');
            let what = if whole { "a whole number" } else { "a number" };
            self.err(format!("column '{column}': expected {what}, got '{value}'"))
        })
    }

    /// A required numeric cell: empty is an error too.
    pub fn req<T: FromStr>(self, column: &str, value: &str) -> Result<T> {
        self.opt(column, value)?
            .ok_or_else(|| self.err(format!("column '{column}': value missing")))
    }

    /// A token count: a whole number, or a non-negative number with a fraction (a mean over
    /// runs, such as `n_gen` 1471.375), rounded to the nearest token; the second value says
    /// whether it was rounded. Empty is `None`.
    pub fn count(self, column: &str, value: &str) -> Result<(Option<u64>, bool)> {
        let v = value.trim();
        if let Ok(n) = v.parse::<u64>() {
            return Ok((Some(n), false));
        }
        match self.opt::<f64>(column, value)? {
            None => Ok((None, false)),
            Some(x) if x.is_finite() && x >= 0.0 => Ok((Some(x.round() as u64), true)),
            Some(_) => {
                let msg = format!("column '{column}': expected a token count, got '{value}'");
                Err(self.err(msg))
            }
        }
    }

    /// A tokens-per-second cell: a finite, positive number.
    pub fn speed(self, column: &str, value: &str) -> Result<f64> {
        let v: f64 = self.req(column, value)?;
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            let msg = format!("column '{column}': expected a positive speed, got '{value}'");
            Err(self.err(msg))
        }
    }
}
