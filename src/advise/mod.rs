//! Answers built on the physics: fit ranking, the cliff, sweeps.

pub mod cliff;
pub mod fit;
pub mod row;
pub mod scenario;
pub mod sweep;
