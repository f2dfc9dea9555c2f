//! Black-box HTTP tests: the real app on port 0 with a fresh database, on SQLite and on PostgreSQL.

#[path = "../support/mod.rs"]
mod support;

mod app;
mod auth;
mod catalog;
mod checkout;
mod collection;
mod confirm;
mod connhex;
mod custom_fields;
mod dashboard;
mod events;
mod faults;
mod flowglad;
mod flowglad_spec;
mod health;
mod idempotency;
mod inline_prices;
mod languages;
mod mail;
mod metrics;
mod openapi;
mod pages;
mod payment_links;
mod portal;
mod refunds;
mod renewals;
mod security;
mod stripe;
pub mod stripe_double;
mod stripe_processor;
mod subscriptions;
mod tax_rates;
pub mod webhooks;
mod zenskar;
