//! A change of status that a state machine allowed.
//!
//! Sessions and payment attempts each have a status with one-way rules. Their transition methods
//! (`SessionStatus::succeed`, `AttemptStatus::charge`, ...) are the only way to make a
//! [`Transition`], and the store applies one as a compare-and-set on `from`: a status change that
//! the rules forbid cannot be written, and of two writers racing from the same status one wins.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A move from one status to another that the state machine of `S` allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transition<S> {
    from: S,
    to: S,
}

impl<S: Copy> Transition<S> {
    /// Only the state machines of this crate make transitions, each from its own rules.
    pub(crate) fn new(from: S, to: S) -> Self {
        Transition { from, to }
    }

    /// The status the record must still be in for the change to apply.
    pub fn from(&self) -> S {
        self.from
    }

    /// The status it moves to.
    pub fn to(&self) -> S {
        self.to
    }
}

/// A transition the current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {} that is {from} cannot become {to}", S::NOUN)]
pub struct TransitionError<S: Status> {
    pub from: S,
    pub to: S,
}

/// A status with one-way rules.
pub trait Status: Copy + Eq + fmt::Display + fmt::Debug {
    /// What has the status, for messages ("session", "payment attempt").
    const NOUN: &'static str;

    /// Whether the rules allow `self` → `to`.
    fn allows(self, to: Self) -> bool;

    /// `self` → `to`, if the rules allow it.
    fn transition(self, to: Self) -> Result<Transition<Self>, TransitionError<Self>> {
        if self.allows(to) {
            Ok(Transition::new(self, to))
        } else {
            Err(TransitionError { from: self, to })
        }
    }
}
