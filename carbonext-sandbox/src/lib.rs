//! Offline emulator of the Carbonext homologation environment, the SDK's test peer.
//!
//! ```
//! use std::time::Duration;
//! use carbonext_sandbox::Sandbox;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let sandbox = Sandbox::builder()
//!     .deterministic(true)
//!     .token_lifetime(Duration::from_secs(300))
//!     .start()
//!     .await?;
//! println!("API {} token {}", sandbox.api_url(), sandbox.token_url());
//! println!("client id {} secret {}", sandbox.client_id(), sandbox.client_secret());
//!
//! sandbox.faults().fail_share(503, 0.2);            // a fifth of API requests, at random: 503
//! sandbox.advance_clock(Duration::from_secs(600));  // tokens issued so far have expired
//! assert_eq!(sandbox.counters().operation("create_order"), 0);
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! A Keycloak-style token endpoint and the whole B2B API of `openapi.yaml`, with in-memory
//! state, the documented business rules and switchable faults. It is the peer the SDK's crates
//! are tested against, and the CLI's embedded default (`carbonext sandbox serve`, see [`cli`]).
//!
//! Every body it reads or writes is a generated wire type of `carbonext-api`, so the
//! emulator and the spec cannot drift apart.
//!
//! # What is seeded
//!
//! One customer (see [`Sandbox::customer`]) with one API key holding all 11 permissions
//! (client id `cbx_b2b_<uuid>`, secret a UUID) and one paid credit-card invoice (`prePaid`)
//! of [`SandboxBuilder::initial_vcu_credit`] VCUs in BRL, which is its VCU balance.
//! More customers come from [`Sandbox::add_customer`] (each seeded the same way, seeing only
//! its own data), and restricted keys from [`Sandbox::create_api_key`].
//!
//! # Rules
//!
//! See [`ledger`] (orders, cancellation, balance), [`billing`] (postpaid orders billed at the
//! end of their month, invoices paid through [`Sandbox::pay_invoice`]), [`accounts`] (users, API keys),
//! [`filter`] and [`query`] (lists), [`auth`] (tokens, 401/403), [`calculator`] (emissions),
//! [`faults`], [`hold`] and [`counters`]. Errors are RFC 7807 problem details ([`problem`]).

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

pub mod accounts;
pub mod airports;
pub mod app;
pub mod auth;
pub mod billing;
pub mod calculator;
pub mod cli;
pub mod clock;
pub mod counters;
pub mod extract;
pub mod faults;
pub mod filter;
pub mod gate;
pub mod hold;
pub mod ids;
pub mod ledger;
pub mod permissions;
pub mod problem;
pub mod query;
mod records;
pub mod routes;
pub mod seed;
pub mod server;
pub mod snapshot;
mod state;
pub mod state_file;
pub mod store;

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use carbonext_api::Currency;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

pub use billing::PaymentError;
pub use counters::Counters;
pub use faults::{FaultSchedule, Faults};
pub use hold::{HoldReport, Holds};
pub use state_file::{StateFile, StateFileError};
pub use store::{StatusChange, DEFAULT_ISSUED_TOKENS_KEPT};

use crate::app::AppState;
use crate::clock::SandboxClock;
use crate::counters::CounterSet;
use crate::ids::IdSource;
use crate::store::{IssuedTokens, Redacted, Store};

/// Default token lifetime (the docs' `expires_in`).
pub const DEFAULT_TOKEN_LIFETIME: Duration = Duration::from_secs(36_000);

/// Default unit prices: BRL 110.00 (the docs' order example) and USD 20.50.
pub fn default_prices() -> Vec<(Currency, Decimal)> {
    vec![
        (Currency::Brl, Decimal::new(11_000, 2)),
        (Currency::Usd, Decimal::new(2_050, 2)),
    ]
}

/// Whether orders accept the undocumented `metaData_eq`/`metaData_like` filters unless told
/// otherwise ([`SandboxBuilder::metadata_filter`]): off, so that the sandbox grants exactly
/// what the API documents (`GET /v1/allowed-filters/orders`), and nothing tested against it
/// relies on more.
pub const DEFAULT_METADATA_FILTER: bool = false;

/// Default VCUs of the seeded paid invoice.
pub const DEFAULT_INITIAL_VCU_CREDIT: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// Credentials of a customer's API key. Its `Debug` redacts the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerCredentials {
    /// The customer.
    pub customer_id: Uuid,
    /// Client id of the key (`cbx_b2b_...`).
    pub client_id: String,
    /// Client secret of the key (fake test data).
    pub client_secret: String,
}

/// What a running sandbox tells its users (also `GET /__sandbox/credentials` and the
/// binary's `--print-credentials-json`). Its `Debug` redacts the secret (so does the
/// [`Sandbox`]'s).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SandboxInfo {
    /// API base URL, no trailing slash.
    pub api_url: String,
    /// Full token endpoint URL.
    pub token_url: String,
    /// The seeded customer.
    pub customer_id: Uuid,
    /// Client id of the seeded key.
    pub client_id: String,
    /// Client secret of the seeded key.
    pub client_secret: String,
    /// VCUs of each customer's seeded paid invoice.
    pub initial_vcu_credit: Decimal,
}

impl fmt::Debug for CustomerCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerCredentials")
            .field("customer_id", &self.customer_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &Redacted)
            .finish()
    }
}

impl fmt::Debug for SandboxInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SandboxInfo")
            .field("api_url", &self.api_url)
            .field("token_url", &self.token_url)
            .field("customer_id", &self.customer_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &Redacted)
            .field("initial_vcu_credit", &self.initial_vcu_credit)
            .finish()
    }
}

/// Settings of a sandbox; finish with [`SandboxBuilder::start`].
#[derive(Clone, Debug)]
pub struct SandboxBuilder {
    deterministic: bool,
    frozen_clock: bool,
    token_lifetime: Duration,
    prices: Vec<(Currency, Decimal)>,
    initial_vcu_credit: Decimal,
    port: u16,
    issued_tokens_kept: usize,
    metadata_filter: bool,
    state_file: Option<PathBuf>,
    fault_schedule: Option<FaultSchedule>,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            deterministic: false,
            frozen_clock: false,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            prices: default_prices(),
            initial_vcu_credit: DEFAULT_INITIAL_VCU_CREDIT,
            port: 0,
            issued_tokens_kept: DEFAULT_ISSUED_TOKENS_KEPT,
            metadata_filter: DEFAULT_METADATA_FILTER,
            state_file: None,
            fault_schedule: None,
        }
    }
}

impl SandboxBuilder {
    /// Fixed ids, client secret and clock start (2024-01-15T12:00:00Z), for snapshot tests.
    /// Access tokens stay random. Default `false`.
    pub fn deterministic(mut self, deterministic: bool) -> Self {
        self.deterministic = deterministic;
        self
    }

    /// Seed of the fault shares ([`faults`]): the same seed fires the same draws. Default:
    /// [`faults::DETERMINISTIC_FAULT_SEED`] when [`deterministic`](Self::deterministic),
    /// otherwise random ([`Faults::schedule`] tells which).
    pub fn fault_seed(self, seed: u64) -> Self {
        self.fault_schedule(FaultSchedule::Seeded(seed))
    }

    /// How fault shares pick their requests: seeded at random (the default) or
    /// [`FaultSchedule::Periodic`] for a test that counts on "every n-th request".
    pub fn fault_schedule(mut self, schedule: FaultSchedule) -> Self {
        self.fault_schedule = Some(schedule);
        self
    }

    /// A clock that stands still: only [`Sandbox::advance_clock`] moves it, so a test can put
    /// an order exactly ten days in the past or keep the sandbox's time in step with a paused
    /// tokio clock. Default `false` (the clock runs at wall speed).
    pub fn frozen_clock(mut self, frozen: bool) -> Self {
        self.frozen_clock = frozen;
        self
    }

    /// Lifetime of access tokens (`expires_in`). Default 36000 s.
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// Unit price of one VCU in `currency` (replacing the default for it). Defaults: BRL
    /// 110.00, USD 20.50.
    pub fn price(mut self, currency: Currency, price: Decimal) -> Self {
        self.prices.retain(|(c, _)| *c != currency);
        self.prices.push((currency, price));
        self
    }

    /// VCUs of the seeded paid credit-card invoice, i.e. the initial balance. Default 1000.
    pub fn initial_vcu_credit(mut self, vcus: Decimal) -> Self {
        self.initial_vcu_credit = vcus;
        self
    }

    /// Port on 127.0.0.1; 0 (the default) lets the OS choose.
    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// How many of the most recent access tokens [`Sandbox::issued_tokens`] remembers; older
    /// ones are forgotten, so the record stays bounded however long the sandbox runs. Default
    /// [`DEFAULT_ISSUED_TOKENS_KEPT`] (65,536).
    pub fn issued_tokens_kept(mut self, kept: usize) -> Self {
        self.issued_tokens_kept = kept;
        self
    }

    /// Whether orders accept `metaData_eq` and `metaData_like` in `filter-by` and
    /// `GET /v1/allowed-filters/orders` lists them. Off, the sandbox serves exactly the
    /// documented filters and answers any other with a 400 naming it, as the API does.
    /// Default [`DEFAULT_METADATA_FILTER`] (off).
    pub fn metadata_filter(mut self, enabled: bool) -> Self {
        self.metadata_filter = enabled;
        self
    }

    /// Keeps the state in `path` (see [`state_file`]): loaded at start (seeded and written
    /// when missing), saved after each write and at shutdown, merged with what other
    /// processes saved meanwhile. Without it (the default) the state lives in memory only.
    pub fn state_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.state_file = Some(path.into());
        self
    }

    /// Binds 127.0.0.1, seeds the data (or loads the state file) and serves in the
    /// background. A state file that cannot be read fails with
    /// [`std::io::ErrorKind::InvalidData`] around a [`StateFileError`].
    pub async fn start(self) -> std::io::Result<Sandbox> {
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, self.port)))
                .await?;
        let addr = listener.local_addr()?;
        let opening = match self.state_file.clone() {
            Some(path) => Some(
                tokio::task::spawn_blocking(move || {
                    state_file::Opening::start(StateFile::new(path))
                })
                .await
                .map_err(std::io::Error::other)??,
            ),
            None => None,
        };
        let clock = opening
            .as_ref()
            .and_then(|o| o.clock(self.deterministic))
            .unwrap_or_else(|| {
                let start = self.deterministic.then(clock::deterministic_start);
                if self.frozen_clock {
                    SandboxClock::frozen_at(start)
                } else {
                    SandboxClock::starting_at(start)
                }
            });
        let store = Arc::new(Store::new(
            Arc::new(clock),
            IdSource::new(self.deterministic),
            self.prices,
        ));
        store.lock().issued_tokens = IssuedTokens::keeping(self.issued_tokens_kept);
        let credit = self.initial_vcu_credit;
        let (seeded, persistence) = match opening {
            Some(opening) => {
                let (seeded, persistence) =
                    opening.finish(&store, || seed::customer(&store, credit))?;
                (seeded, Some(persistence))
            }
            None => (seed::customer(&store, credit), None),
        };
        let fault_schedule = self.fault_schedule.unwrap_or(if self.deterministic {
            FaultSchedule::Seeded(faults::DETERMINISTIC_FAULT_SEED)
        } else {
            FaultSchedule::random()
        });
        let api_url = format!("http://{addr}");
        let info = Arc::new(SandboxInfo {
            token_url: format!("{api_url}{}", carbonext_api::TOKEN_PATH),
            api_url,
            customer_id: seeded.customer_id,
            client_id: seeded.client_id,
            client_secret: seeded.client_secret,
            initial_vcu_credit: self.initial_vcu_credit,
        });
        let state = AppState {
            faults: Faults::new(store.clone(), self.token_lifetime, fault_schedule),
            filters: filter::Catalog::new(self.metadata_filter),
            store,
            counters: Arc::new(CounterSet::default()),
            holds: Holds::default(),
            info,
            persistence,
        };
        let (shutdown, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(server::serve(
            listener,
            app::router(state.clone()),
            shutdown_rx,
        ));
        Ok(Sandbox {
            addr,
            state,
            shutdown,
            task: Some(task),
        })
    }
}

/// A running sandbox on 127.0.0.1. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    addr: SocketAddr,
    state: AppState,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// A builder with the defaults.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// API base URL, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn api_url(&self) -> String {
        self.state.info.api_url.clone()
    }

    /// Base URL of the auth host (the same server).
    pub fn auth_url(&self) -> String {
        self.state.info.api_url.clone()
    }

    /// Full token endpoint URL.
    pub fn token_url(&self) -> String {
        self.state.info.token_url.clone()
    }

    /// Client id of the seeded all-permission key.
    pub fn client_id(&self) -> String {
        self.state.info.client_id.clone()
    }

    /// Client secret of the seeded all-permission key.
    pub fn client_secret(&self) -> String {
        self.state.info.client_secret.clone()
    }

    /// The seeded customer and its key.
    pub fn customer(&self) -> CustomerCredentials {
        CustomerCredentials {
            customer_id: self.state.info.customer_id,
            client_id: self.client_id(),
            client_secret: self.client_secret(),
        }
    }

    /// URLs and seeded credentials.
    pub fn info(&self) -> &SandboxInfo {
        &self.state.info
    }

    /// Whether orders accept the `metaData` filter
    /// ([`SandboxBuilder::metadata_filter`]).
    pub fn metadata_filter(&self) -> bool {
        self.state.filters.metadata_filter()
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        &self.state.faults
    }

    /// The request holds, to force races (see [`hold`]).
    pub fn holds(&self) -> &Holds {
        &self.state.holds
    }

    /// A snapshot of the request counters.
    pub fn counters(&self) -> Counters {
        self.state.counters.snapshot()
    }

    /// Every access token the token endpoint has issued so far, oldest first: live, expired,
    /// revoked and revoked-on-issue ones alike (also `GET /__sandbox/tokens`). Only the most
    /// recent [`SandboxBuilder::issued_tokens_kept`] (default [`DEFAULT_ISSUED_TOKENS_KEPT`],
    /// 65,536) are remembered, so the record does not grow forever in a long-running sandbox;
    /// a test that issues fewer sees every one.
    ///
    /// A test aid: with it a test knows exactly which tokens its client was given, and can
    /// check that none of them shows up in the client's logs, errors or output. The sandbox
    /// itself never logs a token, and its `Debug` output only counts them.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.store.lock().issued_tokens.to_vec()
    }

    /// How many access tokens the API accepts now (issued, not expired, not revoked). Expired
    /// ones are dropped when they are presented or when a new token is issued.
    pub fn live_tokens(&self) -> usize {
        let now = self.state.store.clock.now();
        let state = self.state.store.lock();
        state
            .tokens
            .values()
            .filter(|grant| grant.expires_at > now)
            .count()
    }

    /// Moves the sandbox clock forward (token expiry, cancellation window, `createdAt`, and
    /// the monthly billing of postpaid orders: see [`billing`]).
    pub fn advance_clock(&self, by: Duration) {
        self.state.store.clock.advance(by);
    }

    /// The sandbox clock's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.state.store.clock.now()
    }

    /// Adds another customer, seeded like the first (all-permission key, paid invoice of the
    /// initial credit). It sees only its own data: the others' ids are 404 to it.
    pub fn add_customer(&self) -> CustomerCredentials {
        seed::customer(&self.state.store, self.state.info.initial_vcu_credit)
    }

    /// A new key of the seeded customer with exactly `permissions` (keys such as
    /// `orders_read`), as `(client_id, client_secret)`.
    ///
    /// # Panics
    ///
    /// When a permission key is not one of the 11 documented keys.
    pub fn create_api_key(&self, permissions: &[&str]) -> (String, String) {
        self.create_api_key_for(self.state.info.customer_id, permissions)
    }

    /// Like [`Sandbox::create_api_key`], for any customer.
    ///
    /// # Panics
    ///
    /// When a permission key is not one of the 11 documented keys.
    pub fn create_api_key_for(&self, customer_id: Uuid, permissions: &[&str]) -> (String, String) {
        match seed::api_key(&self.state.store, customer_id, permissions) {
            Ok(c) => (c.client_id, c.client_secret),
            Err(unknown) => panic!("unknown permission `{unknown}`"),
        }
    }

    /// The state file, when it keeps one ([`SandboxBuilder::state_file`]).
    pub fn state_file(&self) -> Option<&Path> {
        self.state.persistence.as_ref().map(|p| p.file().path())
    }

    /// Saves to the state file now (merging with what other processes saved), if it keeps
    /// one. Writes already save after each request and at shutdown; this is for a test or
    /// a caller that changed the state directly ([`Sandbox::add_customer`], the clock).
    pub async fn save_state(&self) -> Result<(), StateFileError> {
        match &self.state.persistence {
            Some(persistence) => persistence.save_async(&self.state.store).await,
            None => Ok(()),
        }
    }

    /// Stops accepting connections, waits (up to 5 s) for requests in flight and, with a
    /// state file, saves a last time (a failure is logged).
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Err(error) = self.save_state().await {
            tracing::error!(%error, "could not save the sandbox state at shutdown");
        }
    }

    /// Serves until `signal` completes, then shuts down.
    pub async fn run_until(self, signal: impl std::future::Future<Output = ()>) {
        signal.await;
        self.shutdown().await;
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
