//! What the order-event tests share: a frozen deterministic sandbox, a facade on it, orders
//! placed and cancelled through the API, a handler that records every hand-over, and waits
//! on the watcher's status (never sleeps).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use carbonext_domain::events::{EventHandler, EventStore, OrderEvent, WatchOptions, WatchStatus};
use carbonext_domain::{Carbonext, Credentials, Environment, OrderId, RetryPolicy};
use carbonext_sandbox::Sandbox;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub const DAY: Duration = Duration::from_secs(86_400);

/// A deterministic sandbox (2024-01-15T12:00:00Z) whose clock moves only when told.
pub async fn frozen_sandbox() -> Sandbox {
    Sandbox::builder()
        .deterministic(true)
        .frozen_clock(true)
        .token_lifetime(Duration::from_secs(365 * 86_400))
        .start()
        .await
        .expect("the sandbox starts")
}

/// The facade on `sandbox`'s seeded key, with quick retries.
pub fn connect(sandbox: &Sandbox) -> Carbonext {
    connect_with(sandbox, &sandbox.client_id(), &sandbox.client_secret())
}

/// The facade on `sandbox` with another key.
pub fn connect_with(sandbox: &Sandbox, client_id: &str, client_secret: &str) -> Carbonext {
    Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(client_id, client_secret))
        .retry_policy(RetryPolicy {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            max_elapsed: Duration::from_secs(60),
        })
        .timeout(Duration::from_secs(10))
        .build()
        .expect("the facade builds")
}

/// Places an order through the raw client (no key lookup, so no list request of ours),
/// again after an injected 5xx or 429 (answered before the handler: nothing was stored).
pub async fn place(carbonext: &Carbonext, vcus: &str, pay_with_balance: bool) -> OrderId {
    place_counting(carbonext, vcus, pay_with_balance).await.0
}

/// [`place`], and how many injected failures it met.
pub async fn place_counting(
    carbonext: &Carbonext,
    vcus: &str,
    pay_with_balance: bool,
) -> (OrderId, u32) {
    let mut refused = 0;
    loop {
        let body = carbonext_api::types::NewOrder {
            certificate_recipient_info: None,
            meta_data: None,
            pay_with_balance: Some(pay_with_balance),
            target_currency: None,
            vcu_amount: vcus.parse::<rust_decimal::Decimal>().unwrap().into(),
        };
        match carbonext.raw().create_order().body(body).send().await {
            Ok(order) => return (OrderId(order.into_inner().id), refused),
            Err(error)
                if error
                    .status()
                    .is_some_and(|s| s.as_u16() == 429 || s.is_server_error()) =>
            {
                refused += 1;
            }
            Err(other) => panic!("placing an order failed: {other:?}"),
        }
    }
}

/// One hand-over: the event, whether the handler accepted it, and when (tokio's clock).
#[derive(Clone, Debug)]
pub struct Call {
    pub event: OrderEvent,
    pub accepted: bool,
    pub at: tokio::time::Instant,
}

/// Whether the handler refuses an event, given how many times it was handed over before.
type Refusal = Box<dyn Fn(&OrderEvent, usize) -> bool + Send + Sync>;

/// `carbonext`'s watcher with `store` and `handler`, on a task of its own (a test aborts it
/// when done).
pub fn spawn_watcher(
    carbonext: &Carbonext,
    options: WatchOptions,
    store: impl EventStore + 'static,
    handler: impl EventHandler + 'static,
) -> JoinHandle<carbonext_domain::Result<()>> {
    let carbonext = carbonext.clone();
    tokio::spawn(async move { carbonext.watch_orders(options, store, handler).await })
}

/// A handler that records every call; `refuse(event, earlier calls of it)` makes it fail.
pub struct Recorder {
    calls: Mutex<Vec<Call>>,
    refuse: Refusal,
}

impl Recorder {
    /// Accepts everything.
    pub fn new() -> Arc<Self> {
        Self::refusing(|_, _| false)
    }

    /// Refuses when `refuse(event, how many times it was handed over before)`.
    pub fn refusing(
        refuse: impl Fn(&OrderEvent, usize) -> bool + Send + Sync + 'static,
    ) -> Arc<Self> {
        Arc::new(Self {
            calls: Mutex::new(Vec::new()),
            refuse: Box::new(refuse),
        })
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The events accepted, in order.
    pub fn accepted(&self) -> Vec<OrderEvent> {
        self.calls()
            .into_iter()
            .filter(|c| c.accepted)
            .map(|c| c.event)
            .collect()
    }

    /// `(order, previous, status)` of each accepted event, in order.
    pub fn moves(&self) -> Vec<(OrderId, Option<String>, String)> {
        self.accepted()
            .iter()
            .map(|e| {
                (
                    e.order.id,
                    e.previous.as_ref().map(|s| s.to_string()),
                    e.status.to_string(),
                )
            })
            .collect()
    }
}

#[async_trait]
impl EventHandler for Recorder {
    async fn handle(
        &self,
        event: &OrderEvent,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut calls = self.calls.lock().unwrap();
        let before = calls.iter().filter(|c| c.event.id == event.id).count();
        let accepted = !(self.refuse)(event, before);
        calls.push(Call {
            event: event.clone(),
            accepted,
            at: tokio::time::Instant::now(),
        });
        if accepted {
            Ok(())
        } else {
            Err("refused by the test".into())
        }
    }
}

/// A status channel for [`WatchOptions::status`](carbonext_domain::events::WatchOptions::status).
pub fn status() -> (watch::Sender<WatchStatus>, watch::Receiver<WatchStatus>) {
    watch::channel(WatchStatus::default())
}

/// The longest a test waits for the watcher, in virtual time (paused tokio clock: an hour
/// passes in moments), so that a watcher that never gets there fails the test instead of
/// hanging it.
pub const PATIENCE: Duration = Duration::from_secs(3_600);

/// Waits until the watcher's status satisfies `ready` (at most [`PATIENCE`]).
pub async fn until(
    status: &mut watch::Receiver<WatchStatus>,
    what: &str,
    ready: impl FnMut(&WatchStatus) -> bool,
) -> WatchStatus {
    let waited = tokio::time::timeout(PATIENCE, status.wait_for(ready))
        .await
        .map(|ready| ready.map(|s| s.clone()));
    match waited {
        Ok(Ok(ready)) => ready,
        Ok(Err(_)) => panic!("the watcher stopped before {what}"),
        Err(_) => panic!("no {what} within {PATIENCE:?}: {:?}", *status.borrow()),
    }
}

/// Waits until the watcher has completed `polls` polls.
pub async fn polls(status: &mut watch::Receiver<WatchStatus>, polls: u64) -> WatchStatus {
    until(status, &format!("poll {polls}"), |s| s.polls >= polls).await
}

/// Waits for a poll that started after this call: whatever changed before it is seen.
pub async fn next_poll(status: &mut watch::Receiver<WatchStatus>) -> WatchStatus {
    let now = status.borrow().polls;
    polls(status, now + 2).await
}

/// Waits until every recorded event has been handed over and acknowledged.
pub async fn drained(status: &mut watch::Receiver<WatchStatus>) -> WatchStatus {
    until(status, "empty queue", |s| s.pending == 0).await
}
