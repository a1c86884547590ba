//! Calibration: measured llama.cpp traces read from every supported format, mapped to the
//! databases, and fitted; validation of the fit on data it did not see.

pub mod features;
pub mod fit;
pub mod llama_bench;
pub mod local;
pub mod map;
pub mod multi;
pub mod normalized;
pub mod power;
pub mod read;
pub mod run;
pub mod solve;
pub mod trace;
pub mod validate;
