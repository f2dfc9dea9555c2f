//! The domain: pure Rust shared by the server and the browser. No sqlx, axum or leptos here.

pub mod account;
pub mod address;
pub mod card;
pub mod catalog;
pub mod custom_field;
pub mod customer;
pub mod event;
pub mod field;
pub mod ids;
pub mod mode;
pub mod money;
pub mod payment;
pub mod payment_link;
pub mod processor;
pub mod redirect_url;
pub mod session;
pub mod tax_id;
pub mod transition;
pub mod webhook;

pub use card::{CardBrand, CardNumber, CardNumberError};
pub use catalog::{PriceType, RecurringInterval};
pub use mode::Mode;
pub use money::{Currency, Money, Rate};
