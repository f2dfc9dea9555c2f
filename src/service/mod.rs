//! The business logic behind every edge (API dialects, server functions, the CLI): each operation
//! takes the store and plain arguments, and returns records or a typed error.

pub mod accounts;
pub mod api_keys;
pub mod catalog;
pub mod charts;
pub mod checkout;
pub mod demo;
pub mod events;
pub mod ids;
pub mod mail;
pub mod passwords;
pub mod payment;
pub mod payment_links;
pub mod phone;
pub mod portal;
pub mod processors;
pub mod renewals;
pub mod subscriptions;
pub mod tax_rates;
pub mod vault;
pub mod webhooks;

use crate::domain::field::FieldError;
use crate::domain::transition::{Status, TransitionError};
use crate::store::StoreError;

/// Why an operation was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is wrong; each error names its field. A 400.
    #[error("invalid request: {}", .0.first().map(|e| e.message.as_str()).unwrap_or(""))]
    Invalid(Vec<FieldError>),
    /// The request clashes with what exists (a slug or an external id taken). A 409.
    #[error("conflict: {}", .0.message)]
    Conflict(FieldError),
    /// The object the request is about (by its path) does not exist for this caller. A 404.
    #[error("no such {0}")]
    NotFound(&'static str),
    /// A fault of kassa's own. A 500.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<Vec<FieldError>> for ServiceError {
    fn from(errors: Vec<FieldError>) -> Self {
        ServiceError::Invalid(errors)
    }
}

impl From<FieldError> for ServiceError {
    fn from(error: FieldError) -> Self {
        ServiceError::Invalid(vec![error])
    }
}

/// A state machine refused a move this code makes: the record was not where the code put it,
/// which only a bug or a row edited by hand can cause. A 500.
impl<S: Status> From<TransitionError<S>> for ServiceError {
    fn from(error: TransitionError<S>) -> Self {
        ServiceError::Store(StoreError::Corrupt(error.to_string()))
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;
