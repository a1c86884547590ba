//! tokenfit: does this model fit on this machine, how fast will it run, where is the cliff?
//!
//! A roofline model of local LLM inference: decode is bound by memory bandwidth (every token
//! reads the active weights and the KV cache once), prefill by compute, and both are scaled
//! by efficiencies calibrated on measured llama.cpp traces. Dependencies point one way:
//! `units → db → model (pure physics) → scenario (building a scenario from the databases)
//! → import / calib / machine → advise → report`, and the binary (`src/cli/`) on top.
#![deny(missing_docs)]

pub mod advise;
pub mod calib;
pub mod db;
pub mod error;
pub mod file;
pub mod import;
pub mod machine;
pub mod model;
pub mod report;
pub mod scenario;
pub mod units;

pub use error::{Error, Result};
