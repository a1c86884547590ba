//! (Included with `#[path]` by the trace-reader tests.) Fixture paths, reading a fixture,
//! the line of a parse error, and a tolerance check.
#![allow(dead_code)]

use std::path::PathBuf;

use tokenfit::calib::read::{read_trace_file, TraceFile};
use tokenfit::Error;

pub fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel)
}

pub fn read(rel: &str) -> TraceFile {
    read_trace_file(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The line of a parse error, failing the test on anything else.
pub fn parse_error_line(result: tokenfit::Result<TraceFile>) -> Option<usize> {
    match result {
        Err(Error::Parse { line, .. }) => line,
        Err(other) => panic!("expected a parse error, got {other}"),
        Ok(t) => panic!("expected a parse error, got {} rows", t.rows.len()),
    }
}

pub fn assert_close(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: got {got}, want {want} ± {tol}"
    );
}
