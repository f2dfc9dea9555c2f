//! The business logic behind every edge (API dialects, server functions, the CLI): each operation
//! takes the store and plain arguments, and returns records or a typed error.

pub mod api_keys;
pub mod demo;
pub mod ids;
pub mod passwords;
