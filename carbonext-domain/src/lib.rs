//! The Carbonext SDK for services: buy and retire carbon credits (VCUs, 1 VCU = 1 tCO2eq)
//! through the Carbonext B2B API.
//!
//! ```
//! use carbonext_domain::{
//!     Carbonext, Credentials, Currency, Environment, Ledger, NewOrder, OrderKey, VcuMarket,
//! };
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // An offline emulator of the homologation environment; in production use
//! // `Environment::homologation()` / `Environment::production()` with your API key, or
//! // `Carbonext::from_env()` (CARBONEXT_ENV, CARBONEXT_CLIENT_ID, CARBONEXT_CLIENT_SECRET).
//! let sandbox = carbonext_sandbox::Sandbox::builder().start().await?;
//! let carbonext = Carbonext::builder()
//!     .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
//!     .credentials(Credentials::new(sandbox.client_id(), sandbox.client_secret()))
//!     .build()?;
//!
//! let amount = "3".parse()?;
//! let quote = carbonext.quote(amount, Currency::Brl).await?;
//! println!("{} VCU cost {} {}", quote.vcu_amount, quote.total_price, quote.currency);
//!
//! let order = NewOrder::builder(amount)
//!     .pay_with_balance(true)
//!     .key(OrderKey::from_external_id("invoice", "INV-2026-03")?) // your event's id
//!     .build()?;
//! let placed = carbonext.place_order(order).await?; // exactly once, even across re-runs
//! assert_eq!(placed.order.vcu_amount, amount.value());
//! assert!(!placed.already_existed); // a re-run would find it: `already_existed == true`
//!
//! let balance = carbonext.balance(None).await?;
//! for b in &balance.balances_by_currency {
//!     println!("{}: {} VCU", b.currency, b.balance);
//! }
//! # Ok(()) }
//! ```
//!
//! # What you program against
//!
//! Five object-safe traits — [`VcuMarket`] (quotes, orders, cancellations), [`Ledger`]
//! (balance, orders, invoices), [`Calculator`] (transport emissions), [`Offsetting`] (from an
//! emission to its order, exactly once: see [`offset`]) and [`Accounts`] (users, API keys,
//! permissions) — implemented by the [`Carbonext`] facade. Take `Arc<dyn VcuMarket>`
//! (or a generic) in your own code and it can be tested without HTTP.
//!
//! With the feature `events`, `Carbonext::watch_orders` turns order status changes (billed,
//! paid, cancelled) into events for your handler, at least once and in order per order: the
//! API has no webhooks, so it polls on documented filters (the `events` module).
//!
//! # Testing your service
//!
//! ```toml
//! [dev-dependencies]
//! carbonext-domain = { git = "https://github.com/carbonext/carbonext-rs", features = ["mock", "testing"] }
//! carbonext-sandbox = { git = "https://github.com/carbonext/carbonext-rs" }
//! insta = { version = "1", features = ["json"] }
//! tokio = { version = "1", features = ["macros", "rt-multi-thread"] }
//! ```
//!
//! - feature `mock`: `MockVcuMarket`, `MockLedger`, `MockCalculator`, `MockOffsetting` and
//!   `MockAccounts` (mockall). Every trait is also implemented for `&T`, `Box<T>` and
//!   `Arc<T>`, so a handler taking `&impl VcuMarket` accepts an `&Arc<dyn VcuMarket>` or a mock.
//! - feature `testing`: `testing::fixtures` has a value for everything a trait returns
//!   (`order`, `offset`, `emission`, `user`…), and `testing::redacted` turns any value into
//!   JSON with ids and timestamps replaced by placeholders (never amounts), ready for
//!   `insta::assert_json_snapshot!` (`cargo insta review` accepts a changed snapshot).
//! - `carbonext-sandbox`: a real HTTP peer on 127.0.0.1 with `orders_with_key`, request
//!   counters and seeded random faults.
//!
//! The README's "Testing your service" shows a mock, a sandbox, a snapshot and a fault test
//! (`examples/consumer-service/tests/first_hour.rs`).
//!
//! # Guarantees
//!
//! - Amounts are exact [`rust_decimal::Decimal`]s; [`VcuAmount`] refuses zero, negative and
//!   non-decimal input, and invalid input never sends a request ([`ValidationError`]).
//! - Parameters are typed: ids are newtypes ([`OrderId`], [`accounts::UserId`]…), a
//!   [`calculator::Route`] holds two validated ZIP codes or two validated airport codes, and
//!   the traits return this crate's types, never the wire types of `carbonext-api`.
//! - Every attempt is bounded in time ([`CarbonextBuilder::timeout`], 30 s by default).
//! - Reads and cancellations are retried on connect errors, timeouts, 5xx and 429 (honouring
//!   `Retry-After`) per [`RetryPolicy`]; other 4xx are not.
//! - A call the API answers 401 (a revoked or expired token) is sent once more with a new
//!   token, whatever the operation (a 401 means nothing was processed), by the client's auth
//!   hook (`carbonext_auth::AuthHook`, the one place that handles a 401). A second 401 is
//!   [`Error::Auth`].
//! - [`VcuMarket::place_order`] never places an order twice: see [`order`] for where the client
//!   order key travels and how an ambiguous failure is settled, and [`Error::OutcomeUnknown`].
//! - [`Error::is_retryable`] and [`Error::kind`] say whether to retry a call later, dead-letter
//!   it or alert (the table is in [`error`]).
//! - [`Ledger::orders`] and [`Ledger::invoices`] stream every page in order, fetching a bounded
//!   number of pages ahead.
//! - Secrets never appear in `Debug`, `Display`, logs or errors.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod accounts;
pub mod amount;
pub mod calculator;
pub mod error;
#[cfg(feature = "events")]
#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
pub mod events;
mod facade;
pub mod json;
pub mod key_lock;
pub mod ledger;
pub mod offset;
pub mod order;
#[cfg(feature = "profiles")]
#[cfg_attr(docsrs, doc(cfg(feature = "profiles")))]
pub mod profiles;
pub mod query;
pub mod retry;
// Also in this crate's unit tests, which build their values from its fixtures.
#[cfg(any(test, feature = "testing"))]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod timeouts;
mod traits;
mod validation;

pub use amount::{Money, VcuAmount};
pub use error::{ApiRejection, Error, KeyLockError, Result, ValidationError};
pub use facade::{Carbonext, CarbonextBuilder, PlacedOrder};
pub use ledger::{Balance, CurrencyBalance, Invoice, InvoiceId, Period};
pub use order::{MetaData, NewOrder, NewOrderBuilder, Order, OrderId, OrderKey, Quote, Recipient};
pub use query::{FilterOp, InvoiceQuery, InvoiceSort, OrderQuery, OrderSort, SortDirection};
pub use retry::RetryPolicy;
pub use timeouts::{
    Timeouts, DEFAULT_CONNECT_TIMEOUT, DEFAULT_KEY_LOOKBACK, DEFAULT_OPERATION_TIMEOUT,
    DEFAULT_ORDER_KEY_WAIT, DEFAULT_TIMEOUT, DEFAULT_TOKEN_TIMEOUT,
};
pub use traits::{Accounts, Calculator, Ledger, Offsetting, VcuMarket};

#[cfg(feature = "mock")]
#[cfg_attr(docsrs, doc(cfg(feature = "mock")))]
pub use traits::{MockAccounts, MockCalculator, MockLedger, MockOffsetting, MockVcuMarket};

pub use carbonext_api::{
    Currency, InvoiceStatus, OrderStatus, OrderType, Page, PaymentType, PurchaseType, Timestamp,
};
pub use carbonext_auth::{AuthError, Credentials, Environment};
pub use rust_decimal::Decimal;
