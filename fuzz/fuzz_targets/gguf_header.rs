//! Fuzz target: the GGUF header reader and the architecture derivation on arbitrary bytes.
//! Any panic, overflow (debug assertions are on), out-of-memory or sanitizer report is a bug;
//! every input must end in `Ok` or `Err`.
//!
//! Run: `RUSTC_BOOTSTRAP=1 cargo fuzz run gguf_header -- -max_total_time=600 -rss_limit_mb=2048`
//! (optionally `-dict=gguf.dict`).

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tokenfit::db::quant::TensorTypeRaw;
use tokenfit::import::gguf::{arch, read_bytes, GgufModel};

static TYPES: OnceLock<Vec<TensorTypeRaw>> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let types = TYPES.get_or_init(|| {
        tokenfit::db::Db::builtin()
            .expect("built-in databases load")
            .tensor_types
    });
    let Ok(h) = read_bytes(data, "fuzz.gguf", types) else {
        return;
    };
    let g = GgufModel {
        files: Vec::new(),
        version: h.version,
        metadata: h.metadata,
        tensors: h.tensors,
        file_bytes: h.file_size,
    };
    if let Ok(m) = arch::spec(&g) {
        let p = tokenfit::model::params::param_groups(&m);
        let _ = (p.total(), p.active());
        let _ = tokenfit::model::footprint::kv_bytes_per_token(&m, 2.0);
        let _ = tokenfit::model::footprint::state_bytes(&m);
    }
});
