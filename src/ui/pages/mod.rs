pub mod billing;
pub mod checkout;
pub mod dashboard;
pub mod home;
pub mod not_found;
