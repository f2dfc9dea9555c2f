//! A payment attempt's life: one try at paying a session, from its record to its outcome.
//!
//! ```text
//! created         → charging, succeeded
//! charging        → requires_action, processing, succeeded, declined, failed, refunded
//! requires_action → charging (the buyer acted), canceled (a newer attempt replaced it)
//! processing      → succeeded, failed, refunded
//! succeeded       → refunded
//! ```
//! - `created`: recorded, and nothing goes to a processor (a zero total, or a merchant's
//!   completion without a charge); it can only succeed.
//! - `charging`: recorded before a processor is asked to move money, and left so until its
//!   answer is recorded. Money may have moved: an attempt left charging is asked about, never
//!   taken for "nothing was charged".
//! - `requires_action`: the buyer must authenticate or approve; continuing charges again.
//!   `canceled` when a newer attempt replaced it before the buyer acted.
//! - `processing`: accepted, settling later (bank debits).
//! - `succeeded`, `declined`, `failed` end it; `refunded` is a charge given back, recorded straight
//!   from charging or processing when its session had ended another way before it could be
//!   recorded as succeeded.

use crate::domain::catalog::UnknownVariant;
use crate::domain::transition::{Status, Transition, TransitionError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Where a payment attempt is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    Created,
    Charging,
    RequiresAction,
    Processing,
    Succeeded,
    Declined,
    Failed,
    Canceled,
    Refunded,
}

/// An attempt's move from one status to another, as its rules allow.
pub type AttemptTransition = Transition<AttemptStatus>;
type Result = std::result::Result<AttemptTransition, TransitionError<AttemptStatus>>;

impl Status for AttemptStatus {
    const NOUN: &'static str = "payment attempt";

    fn allows(self, to: AttemptStatus) -> bool {
        use AttemptStatus::*;
        matches!(
            (self, to),
            (Created | RequiresAction, Charging)
                | (Charging, RequiresAction | Processing | Declined | Failed)
                | (Created | Charging | Processing, Succeeded)
                | (Processing, Failed)
                | (RequiresAction, Canceled)
                | (Charging | Processing | Succeeded, Refunded)
        )
    }
}

impl AttemptStatus {
    pub const ALL: [AttemptStatus; 9] = [
        AttemptStatus::Created,
        AttemptStatus::Charging,
        AttemptStatus::RequiresAction,
        AttemptStatus::Processing,
        AttemptStatus::Succeeded,
        AttemptStatus::Declined,
        AttemptStatus::Failed,
        AttemptStatus::Canceled,
        AttemptStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AttemptStatus::Created => "created",
            AttemptStatus::Charging => "charging",
            AttemptStatus::RequiresAction => "requires_action",
            AttemptStatus::Processing => "processing",
            AttemptStatus::Succeeded => "succeeded",
            AttemptStatus::Declined => "declined",
            AttemptStatus::Failed => "failed",
            AttemptStatus::Canceled => "canceled",
            AttemptStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<AttemptStatus> {
        AttemptStatus::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Whether nothing will happen to it any more (a succeeded one may still be refunded).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            AttemptStatus::Declined
                | AttemptStatus::Failed
                | AttemptStatus::Canceled
                | AttemptStatus::Refunded
        )
    }

    /// Whether a processor may be moving its money right now, its answer not yet recorded.
    pub fn outcome_unknown(self) -> bool {
        self == AttemptStatus::Charging
    }

    /// The processor is about to be asked to move money: created, or the buyer acted → charging.
    pub fn charge(self) -> Result {
        self.transition(AttemptStatus::Charging)
    }

    /// The buyer must authenticate or approve first: charging → requires_action.
    pub fn require_action(self) -> Result {
        self.transition(AttemptStatus::RequiresAction)
    }

    /// Accepted, settling later: charging → processing.
    pub fn begin_processing(self) -> Result {
        self.transition(AttemptStatus::Processing)
    }

    /// Paid (or nothing to pay): created, charging or processing → succeeded.
    pub fn succeed(self) -> Result {
        self.transition(AttemptStatus::Succeeded)
    }

    /// The processor or the buyer's bank refused it: charging → declined.
    pub fn decline(self) -> Result {
        self.transition(AttemptStatus::Declined)
    }

    /// It did not go through (the processor failed, or a bank debit did not settle):
    /// charging or processing → failed.
    pub fn fail(self) -> Result {
        self.transition(AttemptStatus::Failed)
    }

    /// A newer attempt replaced it before the buyer acted: requires_action → canceled.
    pub fn cancel(self) -> Result {
        self.transition(AttemptStatus::Canceled)
    }

    /// Its money was given back: charging or processing (a charge whose session had ended before
    /// it could be recorded), or succeeded → refunded.
    pub fn refund(self) -> Result {
        self.transition(AttemptStatus::Refunded)
    }
}

impl TryFrom<String> for AttemptStatus {
    type Error = UnknownVariant;

    fn try_from(s: String) -> std::result::Result<Self, Self::Error> {
        AttemptStatus::parse(&s).ok_or(UnknownVariant(s))
    }
}

impl fmt::Display for AttemptStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::AttemptStatus::*;
    use super::*;

    #[test]
    fn names_round_trip_and_match_the_wire() {
        for status in AttemptStatus::ALL {
            assert_eq!(AttemptStatus::parse(status.as_str()), Some(status));
            assert_eq!(serde_json::to_value(status).unwrap(), status.as_str());
        }
        assert_eq!(AttemptStatus::parse("started"), None);
    }

    #[test]
    fn the_state_machine_allows_only_its_arrows() {
        let to = |t: AttemptTransition| (t.from(), t.to());
        assert_eq!(Created.charge().map(to), Ok((Created, Charging)));
        assert_eq!(
            RequiresAction.charge().map(to),
            Ok((RequiresAction, Charging))
        );
        assert_eq!(
            Charging.require_action().map(to),
            Ok((Charging, RequiresAction))
        );
        assert_eq!(
            Charging.begin_processing().map(to),
            Ok((Charging, Processing))
        );
        for from in [Created, Charging, Processing] {
            assert_eq!(from.succeed().map(to), Ok((from, Succeeded)));
        }
        assert_eq!(Charging.decline().map(to), Ok((Charging, Declined)));
        assert_eq!(Charging.fail().map(to), Ok((Charging, Failed)));
        assert_eq!(Processing.fail().map(to), Ok((Processing, Failed)));
        assert_eq!(
            RequiresAction.cancel().map(to),
            Ok((RequiresAction, Canceled))
        );
        for from in [Charging, Processing, Succeeded] {
            assert_eq!(from.refund().map(to), Ok((from, Refunded)));
        }

        // The buyer's step is never paid without asking the processor again.
        assert_eq!(
            RequiresAction.succeed(),
            Err(TransitionError {
                from: RequiresAction,
                to: Succeeded
            })
        );
        // Nothing was charged when nothing went to a processor: no decline, no refund.
        assert!(Created.decline().is_err() && Created.refund().is_err());
        // A payment being settled by its bank cannot be cancelled or declined.
        assert!(Processing.cancel().is_err() && Processing.decline().is_err());
        assert!(RequiresAction.refund().is_err() && Declined.refund().is_err());
    }

    #[test]
    fn final_states_never_change() {
        for status in AttemptStatus::ALL {
            let moves = AttemptStatus::ALL
                .into_iter()
                .filter(|to| status.allows(*to))
                .collect::<Vec<_>>();
            match status {
                Succeeded => assert_eq!(moves, [Refunded]),
                s if s.is_final() => assert_eq!(moves, [], "{s}"),
                s => assert!(!moves.is_empty(), "{s} can move on"),
            }
        }
        let message = Declined.charge().unwrap_err().to_string();
        assert_eq!(
            message,
            "a payment attempt that is declined cannot become charging"
        );
    }
}
