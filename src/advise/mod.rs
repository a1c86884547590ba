//! Answers built on the physics: fit ranking, the cliff, sweeps.

pub mod cliff;
pub mod fit;
pub mod row;
pub use crate::model::build as scenario;
pub mod sweep;
