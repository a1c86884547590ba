//! Answers built on the physics: fit ranking, the cliff, sweeps, energy and break-even.

pub mod breakeven;
pub mod capacity;
pub mod check;
pub mod cliff;
pub mod energy;
pub mod fit;
pub mod payback;
pub mod power;
pub mod row;
pub use crate::model::build as scenario;
pub mod sweep;
pub mod verify;
