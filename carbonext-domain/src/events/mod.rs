//! Order events without webhooks (feature `events`): the Carbonext API pushes nothing, so
//! [`Carbonext::watch_orders`](crate::Carbonext::watch_orders) polls the documented order
//! listing and hands each change to an [`EventHandler`] as an [`OrderEvent`], **at least
//! once and in order per order**, keeping its progress in an [`EventStore`]
//! ([`MemoryEventStore`], [`FileEventStore`], or the PostgreSQL store of
//! `carbonext-postgres-lock`). `carbonext orders watch` is the same watcher on the command
//! line; [`verify_signature`] checks what it forwards.
//!
//! # Events
//!
//! An order seen for the first time (`previous: None`: placed since the last poll, or every
//! order at a fresh start with [`StartFrom::Beginning`]), and each status an order moves to:
//! `Issued` → `Billed` (its invoice in [`Order::invoice_ids`]) → `Paid`, or `Issued` →
//! `Cancelled`. The event id is `"{order id}:{status}"` ([`EventId`]): the same transition
//! handed over again (after a restart) has the same id. A status that goes back is ignored
//! (the API documents no such move); a status this version does not know is reported once
//! and then treated as final.
//!
//! # What a poll lists, and what it costs
//!
//! Only documented filters and sorts (`GET /v1/allowed-filters/orders`); the API has no
//! lookup by id. Each poll, every [`WatchOptions::interval`]:
//!
//! | step | request | requests |
//! |---|---|---|
//! | open orders | `filter-by=status_in:Issued-Billed`, `sort-by=createdAt_desc`, pages of 1,000 | ⌈O / 1,000⌉, at least 1 (O: orders now `Issued` or `Billed`) |
//! | new orders | no filter, `createdAt_desc`, down to the first order it knows (or one created before the newest it saw) | 1 (a page of 100) while fewer than 100 orders were placed since the last poll; else 1 + ⌈(N + 1) / 1,000⌉ (N: orders placed since) |
//! | settlement of each tracked open order neither list showed (it was paid or cancelled) | `invoiceId_eq:ID` when it was billed, else `createdAt_eq:DAY` (its creation day), matched by id; one listing per invoice and per day | ⌈orders of the invoice / 1,000⌉ per invoice, ⌈orders created that day / 1,000⌉ per day |
//!
//! A steady poll (nothing changed) costs **⌈O / 1,000⌉ + 1** requests. A fresh store's first
//! poll costs the same ([`StartFrom::Now`]: the open orders and the newest order), or reads
//! the whole history once (⌈orders / 1,000⌉, [`StartFrom::Beginning`]). Each request is
//! retried by the facade's pipeline (5xx, 429, network failures: [`RetryPolicy`](crate::RetryPolicy));
//! a poll that still fails records nothing and makes no event, and the next interval polls
//! again. `BENCHMARKS.md` (P9) has the figures at 10,000 orders.
//!
//! # Guarantees
//!
//! - Each poll's events are recorded ([`EventStore::record`]) before any is handed over, and
//!   acknowledged ([`EventStore::acknowledge`]) after the handler returns `Ok`: a restarted
//!   watcher hands over again at most the events recorded and not acknowledged.
//! - Events are handed over one at a time in the order recorded; a handler error is retried
//!   after a back-off and holds back every later event ([`WatchOptions::retry_backoff`]).
//!   Polling goes on meanwhile.
//! - A change is seen if it lasts until the next poll: an order that moves twice between two
//!   polls (billed and paid within one interval) is one event, from the status the watcher
//!   knew to the one it sees.
//! - The watcher waits on tokio's clock only and starts no task or thread: it runs inside
//!   the future [`Carbonext::watch_orders`](crate::Carbonext::watch_orders) returns.
//!
//! The types below are the contract between the watcher, the PostgreSQL store and the CLI.

use std::collections::BTreeMap;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::{InvoiceId, Order, OrderId, OrderStatus, Timestamp};

mod forward;
mod poll;
pub mod signature;
pub mod store;
mod tracker;
mod watcher;

pub use signature::{sign, verify_signature, SignatureError, SIGNATURE_HEADER};
pub use store::{FileEventStore, MemoryEventStore};
pub use watcher::{POLL_PAGE_SIZE, SCAN_FIRST_PAGE_SIZE};

/// A stable event id: the order id and the status it reached (`"{order_id}:{status}"`), so
/// the same transition observed twice (after a restart) has the same id and a receiver can
/// drop the repeat.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(String);

impl EventId {
    /// The id of `order` reaching `status`.
    pub fn new(order: &OrderId, status: &OrderStatus) -> Self {
        Self(format!("{order}:{status}"))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One observed change of one order: it appeared (`previous == None`) or its status moved.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderEvent {
    /// Stable id (order id + new status).
    pub id: EventId,
    /// The order as the listing returned it when the change was observed.
    pub order: Order,
    /// The status the watcher knew before, `None` for an order seen for the first time.
    pub previous: Option<OrderStatus>,
    /// The status it has now.
    pub status: OrderStatus,
    /// When the watcher observed it (the API's `Date` header when it sent one).
    pub observed_at: Timestamp,
}

/// What the watcher remembers of one order between polls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrackedOrder {
    /// The last status handed over (or recorded as pending).
    pub status: OrderStatus,
    /// When it was created (to find it again with `createdAt_eq` on its day).
    pub created_at: Option<Timestamp>,
    /// The invoice that billed it, when known (to find it again with `invoiceId_eq`).
    pub invoice_id: Option<InvoiceId>,
}

/// A watcher's progress as a store keeps it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Progress {
    /// Every order the watcher knows, with its last recorded status.
    pub orders: BTreeMap<OrderId, TrackedOrder>,
    /// Events recorded but not yet acknowledged as handled, in the order they must be handed
    /// over (per order, oldest first).
    pub pending: Vec<OrderEvent>,
    /// `None` until the watcher's first poll is recorded (a fresh store: [`StartFrom`]
    /// decides what it does with the orders that already exist). Then the creation instant
    /// of the newest order seen (the Unix epoch while there was none): the scan for new
    /// orders never reads past it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<Timestamp>,
}

/// One poll's outcome, recorded atomically: the orders' new states and the events they made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollRecord {
    /// Orders whose tracked state changed (new ones included).
    pub orders: BTreeMap<OrderId, TrackedOrder>,
    /// Orders that reached a final status and whose events are all recorded: the watcher
    /// forgets them once their events are acknowledged.
    pub finished: Vec<OrderId>,
    /// New events, in hand-over order.
    pub events: Vec<OrderEvent>,
    /// The new [`Progress::horizon`], when it moved (always `Some` in a fresh store's first
    /// record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub horizon: Option<Timestamp>,
}

impl PollRecord {
    /// Whether recording it would change nothing.
    pub fn is_empty(&self) -> bool {
        self.orders.is_empty()
            && self.finished.is_empty()
            && self.events.is_empty()
            && self.horizon.is_none()
    }
}

/// A store failed (I/O, database): the watcher stops polling and retries the store on its
/// back-off; nothing is handed over that is not recorded first.
#[derive(Debug, thiserror::Error)]
#[error("event store: {message}")]
pub struct EventStoreError {
    message: String,
    #[source]
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl EventStoreError {
    /// A failure with a message and its cause.
    pub fn new(
        message: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self {
            message: message.into(),
            source: Some(source.into()),
        }
    }

    /// A failure described by a message only.
    pub fn msg(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            source: None,
        }
    }
}

/// Held while a watcher leads; dropping it lets another watcher of the same store take over.
pub struct Leadership(Option<Box<dyn Send + Sync>>);

impl Leadership {
    /// Leadership that holds nothing (a store only one watcher uses).
    pub fn unshared() -> Self {
        Self(None)
    }

    /// Leadership that lasts as long as `guard` lives (a database session, a file lock).
    pub fn held_by(guard: impl Send + Sync + 'static) -> Self {
        Self(Some(Box::new(guard)))
    }
}

impl std::fmt::Debug for Leadership {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Leadership")
            .field("shared", &self.0.is_some())
            .finish()
    }
}

/// Where a watcher keeps its progress so a restarted one resumes where it stopped.
///
/// The watcher calls [`EventStore::record`] before it hands any event of a poll over and
/// [`EventStore::acknowledge`] after the handler returned `Ok`, so a crash in between
/// re-delivers only the events whose handling was not recorded.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// Waits until this watcher may work on the store and returns what keeps it the leader.
    /// Stores used by one watcher return at once ([`Leadership::unshared`]).
    async fn lead(&self) -> Result<Leadership, EventStoreError> {
        Ok(Leadership::unshared())
    }

    /// The recorded progress (empty for a new store).
    async fn load(&self) -> Result<Progress, EventStoreError>;

    /// Records one poll's outcome atomically: each of `poll.orders` replaces what the store
    /// had for that order; `poll.events` are appended to the pending events (an id already
    /// pending is not added twice); `poll.horizon`, when `Some`, replaces the horizon; each
    /// order of `poll.finished` is dropped from the orders once none of its events is pending
    /// (at once when none is). The watcher may send the same record again after a failure.
    async fn record(&self, poll: &PollRecord) -> Result<(), EventStoreError>;

    /// Records that `event` was handled: it leaves the pending events (an id not pending is
    /// no error), and a finished order whose last pending event it was is dropped.
    async fn acknowledge(&self, event: &EventId) -> Result<(), EventStoreError>;
}

/// What the watcher hands each event to. Returning `Err` makes the watcher hand the same
/// event over again after a back-off; later events of the same order wait for it.
#[async_trait]
pub trait EventHandler: Send + Sync {
    /// Handles one event.
    async fn handle(
        &self,
        event: &OrderEvent,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>>;
}

/// What a fresh watcher (an empty store, [`Progress::horizon`] `None`) does with the orders
/// that already exist at its first poll. A watcher that resumes from its store ignores it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartFrom {
    /// Events only for what happens from now on (the default, like `stripe listen`): the
    /// first poll adopts the orders in `Issued` or `Billed` without an event (their later
    /// changes are events) and remembers the newest order, so that every order created after
    /// it is an event. Costs what a steady poll costs.
    #[default]
    Now,
    /// One event with `previous: None` for every order that exists, whatever its status,
    /// then every change. The first poll reads the whole history, newest first:
    /// ⌈orders / 1,000⌉ requests.
    Beginning,
}

/// A running watcher's counters, sent on the channel given to [`WatchOptions::status`] after
/// each poll and each hand-over: for health checks and metrics, and for tests that wait for
/// a poll instead of sleeping.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WatchStatus {
    /// Polls completed and recorded since this watcher started.
    pub polls: u64,
    /// Polls that failed (an API error after the facade's retries) and were dropped without
    /// an event; the next interval polls again.
    pub failed_polls: u64,
    /// List requests the last completed poll made, the facade's retries not counted.
    pub last_poll_requests: u64,
    /// How long the last completed poll took, its requests and recording (tokio's clock).
    pub last_poll_time: std::time::Duration,
    /// Events handed over and acknowledged since this watcher started.
    pub delivered: u64,
    /// Times the handler returned an error (each retried after a back-off).
    pub handler_failures: u64,
    /// Events recorded and not yet acknowledged.
    pub pending: usize,
    /// Orders the watcher tracks (those that can still change, and the newest one).
    pub tracked: usize,
}

/// How [`Carbonext::watch_orders`](crate::Carbonext::watch_orders) polls.
///
/// ```
/// use std::time::Duration;
/// use carbonext_domain::events::{StartFrom, WatchOptions};
/// let options = WatchOptions::default()
///     .interval(Duration::from_secs(60))
///     .start(StartFrom::Beginning)
///     .retry_backoff(Duration::from_millis(500), Duration::from_secs(60));
/// assert_eq!(options.store_attempts, 10);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WatchOptions {
    /// Time between polls, on tokio's clock.
    pub interval: std::time::Duration,
    /// What a fresh store's first poll does with existing orders ([`StartFrom::Now`]).
    pub start: StartFrom,
    /// First wait before handing a failed event over again, or retrying a failed store call;
    /// doubled after each failure (1 s).
    pub retry_initial: std::time::Duration,
    /// Longest of those waits (5 min).
    pub retry_max: std::time::Duration,
    /// Consecutive failures of one store call after which the watcher gives up with
    /// [`Error::EventStore`](crate::Error::EventStore) (10). A failing handler is retried
    /// without end: its later events wait.
    pub store_attempts: u32,
    /// Where to send a [`WatchStatus`] after each poll and hand-over.
    pub status: Option<std::sync::Arc<tokio::sync::watch::Sender<WatchStatus>>>,
}

impl Default for WatchOptions {
    fn default() -> Self {
        Self {
            interval: std::time::Duration::from_secs(30),
            start: StartFrom::Now,
            retry_initial: std::time::Duration::from_secs(1),
            retry_max: std::time::Duration::from_secs(300),
            store_attempts: 10,
            status: None,
        }
    }
}

impl WatchOptions {
    /// Polls every `interval`.
    pub fn interval(mut self, interval: std::time::Duration) -> Self {
        self.interval = interval;
        self
    }

    /// What a fresh store's first poll does with existing orders.
    pub fn start(mut self, start: StartFrom) -> Self {
        self.start = start;
        self
    }

    /// Back-off of the handler and store retries: from `initial`, doubling, up to `max`.
    pub fn retry_backoff(mut self, initial: std::time::Duration, max: std::time::Duration) -> Self {
        self.retry_initial = initial;
        self.retry_max = max.max(initial);
        self
    }

    /// Consecutive failures of one store call before the watcher gives up (at least 1).
    pub fn store_attempts(mut self, attempts: u32) -> Self {
        self.store_attempts = attempts.max(1);
        self
    }

    /// Sends the watcher's [`WatchStatus`] on `sender` after each poll and hand-over.
    pub fn status(mut self, sender: tokio::sync::watch::Sender<WatchStatus>) -> Self {
        self.status = Some(std::sync::Arc::new(sender));
        self
    }
}
