//! Calibration: measured llama.cpp traces read from every supported format, mapped to the
//! databases, and fitted; validation of the fit on data it did not see.

pub mod cpu_fit;
pub mod features;
pub mod fit;
pub mod heldout;
pub mod local;
pub mod map;
pub mod multi;
pub mod power;
mod row;
pub mod run;
pub mod trace;
pub mod validate;

pub use fit::solve;
pub use trace::{llama_bench, normalized, read};
