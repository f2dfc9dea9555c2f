//! The domain: pure Rust shared by the server and the browser. No sqlx, axum or leptos here.

pub mod card;
pub mod catalog;
pub mod mode;

pub use card::{CardBrand, CardNumber, CardNumberError};
pub use catalog::{PriceType, RecurringInterval};
pub use mode::Mode;
