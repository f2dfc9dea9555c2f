//! Paying: what a buyer types and how it is checked ([`details`]), and the life of one try at
//! paying a session ([`attempt`]).

pub mod attempt;
pub mod details;

pub use attempt::{AttemptStatus, AttemptTransition};
pub use details::*;
