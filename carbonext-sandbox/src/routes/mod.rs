//! HTTP handlers, one module per area of the API, plus the sandbox's own control paths.
//!
//! Handlers decode with [`crate::extract`], apply rules from [`crate::ledger`] and
//! [`crate::accounts`], and answer the generated wire types of `carbonext-api`.

pub mod applications;
pub mod balance;
pub mod calculators;
pub mod catalog;
pub mod control;
pub mod invoices;
pub mod orders;
pub mod prices;
pub mod users;
