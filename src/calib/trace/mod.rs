//! A measured trace row: one llama-bench (or llama-batched-bench) test on one machine,
//! as read from any supported format, before it is mapped to database ids; and the readers,
//! one per format: [`normalized`] (the project's trace CSV), [`llama_bench`] (llama-bench
//! `-o csv|json|jsonl|md`, llama-batched-bench tables), over [`csv_table`] (the `csv` crate,
//! file:line in every error); [`read`] picks the reader from the extension or the content.

pub mod csv_table;
pub mod file;
pub mod llama_bench;
mod markdown;
pub mod normalized;
pub mod read;

use serde::Serialize;

/// Which phase a row measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Test {
    /// Prompt processing (prefill).
    Pp,
    /// Token generation (decode).
    Tg,
}

impl Test {
    /// Its name in traces and in what the calibration writes: `pp` or `tg`.
    pub fn label(self) -> &'static str {
        match self {
            Test::Pp => "pp",
            Test::Tg => "tg",
        }
    }
}

/// One measured row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceRow {
    /// File it came from.
    pub file: String,
    /// 1-based line (CSV/JSONL/Markdown) or record index (JSON) in that file.
    pub line: usize,
    /// Device label (gpu_info, else cpu_info, or the normalized CSV's `device`).
    pub device: String,
    /// Backend label (llama-bench `backends`, or the CSV's `backend`).
    pub backend: String,
    /// Model label (model_type without its quant suffix, or the CSV's `model`).
    pub model: String,
    /// Quant label (the model_type suffix, or the CSV's `quant`).
    pub quant: String,
    /// Database ids given directly (normalized CSV optional columns).
    pub device_id: Option<String>,
    /// Model id given directly.
    pub model_id: Option<String>,
    /// Quant id given directly.
    pub quant_id: Option<String>,
    /// Backend id given directly.
    pub backend_id: Option<String>,
    /// Model file name, when known.
    pub model_filename: Option<String>,
    /// Parameters, billions (llama-bench model_n_params / 1e9).
    pub params_b: Option<f64>,
    /// Model file size, bytes (llama-bench model_size, or model_size_gib × 2^30).
    pub model_size_bytes: Option<f64>,
    /// pp or tg.
    pub test: Test,
    /// Prompt tokens.
    pub n_prompt: u64,
    /// Generated tokens.
    pub n_gen: u64,
    /// Tokens in the cache before the test.
    pub n_depth: u64,
    /// Measured tokens per second (aggregate over `batch` sequences for batched rows).
    pub tok_s: f64,
    /// Standard deviation of tok/s, when given.
    pub stddev_tok_s: Option<f64>,
    /// llama-bench n_gpu_layers.
    pub n_gpu_layers: Option<i64>,
    /// Flash attention on (None: unknown / auto).
    pub flash_attn: Option<bool>,
    /// llama-bench said `flash_attn = -1` (auto: on where the backend supports it).
    pub flash_attn_auto: bool,
    /// Threads (llama-bench `n_threads`; None: not said, the machine's physical cores).
    pub n_threads: Option<u32>,
    /// KV cache K type.
    pub type_k: Option<String>,
    /// KV cache V type.
    pub type_v: Option<String>,
    /// Micro-batch.
    pub n_ubatch: Option<u32>,
    /// Logical batch.
    pub n_batch: Option<u32>,
    /// Parallel sequences (llama-batched-bench B; None or 1 for single-stream rows).
    pub batch: Option<u32>,
    /// llama.cpp build number (llama-bench `build_number`, or the `(NNNN)` after the commit
    /// hash in the notes), when the row says.
    pub build: Option<u32>,
    /// Where the measurement was published.
    pub source_url: Option<String>,
    /// Free text.
    pub notes: Option<String>,
    /// The program that measured the row when it is not llama-bench (normalized CSV column
    /// `harness`, e.g. `llama-server`).
    pub harness: Option<String>,
}

impl TraceRow {
    /// A row with only its origin (file, line), test and speed set; every other field empty.
    pub fn new(file: &str, line: usize, test: Test, tok_s: f64) -> Self {
        TraceRow {
            file: file.to_string(),
            line,
            device: String::new(),
            backend: String::new(),
            model: String::new(),
            quant: String::new(),
            device_id: None,
            model_id: None,
            quant_id: None,
            backend_id: None,
            model_filename: None,
            params_b: None,
            model_size_bytes: None,
            test,
            n_prompt: 0,
            n_gen: 0,
            n_depth: 0,
            tok_s,
            stddev_tok_s: None,
            n_gpu_layers: None,
            flash_attn: None,
            flash_attn_auto: false,
            n_threads: None,
            type_k: None,
            type_v: None,
            n_ubatch: None,
            n_batch: None,
            batch: None,
            source_url: None,
            notes: None,
            harness: None,
            build: None,
        }
    }
}
