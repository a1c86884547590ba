//! Answers built on the physics: fit ranking, the cliff, sweeps, energy and break-even.

pub mod breakeven;
pub mod capacity;
pub mod check;
pub mod cliff;
pub mod energy;
pub mod fit;
pub mod ordered;
pub mod payback;
pub mod power;
pub mod rank;
pub mod row;
pub mod select;
pub mod sweep;
pub mod verify;
