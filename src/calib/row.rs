//! One validated row (a measurement beside its prediction and interval), what the
//! predicting fit left out, and the depth ranges the error is reported by.

use super::trace::Test;
use serde::Serialize;

/// What is left out of the fit that predicts a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Holdout {
    /// The row's device.
    Device,
    /// The row's model.
    Model,
    /// Nothing: in-sample.
    None,
    /// No refit: each row predicted with the calibration the databases ship (and the local
    /// one), exactly as `predict` would have answered.
    Shipped,
}

/// One validated row.
#[derive(Debug, Clone, Serialize)]
pub struct ValidationRow {
    /// File.
    pub file: String,
    /// Line.
    pub line: usize,
    /// Device id.
    pub device: String,
    /// Backend id.
    pub backend: String,
    /// Model id.
    pub model: String,
    /// Quant id.
    pub quant: String,
    /// pp or tg.
    pub test: Test,
    /// Prompt tokens.
    pub n_prompt: u64,
    /// Generated tokens.
    pub n_gen: u64,
    /// Depth.
    pub n_depth: u64,
    /// Measured tok/s.
    pub measured_tok_s: f64,
    /// Predicted tok/s.
    pub predicted_tok_s: f64,
    /// Lower end of the predicted interval.
    pub predicted_tok_s_lo: f64,
    /// Upper end.
    pub predicted_tok_s_hi: f64,
    /// |predicted / measured − 1| × 100.
    pub ape_pct: f64,
    /// Concurrent streams of the measurement (1: single stream); tok/s are aggregates.
    pub batch: u32,
    /// Where the efficiency came from (fitted, family, backend, prior).
    pub efficiency: &'static str,
}

/// The depth ranges of [`by_depth`](crate::calib::validate::by_depth): empty cache, up to 4,096, up to 16,384, and beyond.
pub const DEPTH_RANGES: [(u64, Option<u64>); 4] = [
    (0, Some(0)),
    (1, Some(4096)),
    (4097, Some(16384)),
    (16385, None),
];
