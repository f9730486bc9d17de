//! [`Carbonext::watch_orders`]: the poll loop and the hand-over loop of one watcher, in one
//! future (no task or thread of its own), every wait on tokio's clock.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::MissedTickBehavior;

use super::tracker::Tracker;
use super::{
    EventHandler, EventStore, EventStoreError, OrderEvent, StartFrom, WatchOptions, WatchStatus,
};
use crate::error::{Error, Result};
use crate::Carbonext;

/// Page size of the watcher's lists (the API's largest).
pub const POLL_PAGE_SIZE: u32 = 1000;

/// Page size of the first page of the scan for new orders: most polls find fewer new orders
/// than this, and read this one small page.
pub const SCAN_FIRST_PAGE_SIZE: u32 = 100;

impl Carbonext {
    /// Watches the customer's orders and hands each change to `handler` as an
    /// [`OrderEvent`]: a new order (`previous: None`), an order billed, paid or cancelled.
    /// Runs until the future is dropped (abort it, or race it against Ctrl-C), or until a
    /// failure retrying cannot fix: the API refusing the credentials or a request
    /// ([`Error::Auth`], a 4xx [`Error::Api`]), or `store` failing
    /// [`WatchOptions::store_attempts`] times in a row ([`Error::EventStore`]).
    ///
    /// Feature `events`. The API has no webhooks, so this polls every
    /// [`WatchOptions::interval`] on tokio's clock, on documented filters only: see
    /// [`events`](crate::events) for what each poll lists and what it costs.
    ///
    /// - **At least once, in order per order**: each poll's events are recorded in `store`
    ///   ([`EventStore::record`]) before any is handed over, handed over one at a time in the
    ///   order recorded (within a poll, oldest order first; an order's own events in the order
    ///   they happened), and acknowledged ([`EventStore::acknowledge`]) once the handler
    ///   returns `Ok`.
    /// - **A failing handler** gets the same event again after a back-off
    ///   ([`WatchOptions::retry_backoff`]: 1 s doubling up to 5 min), without end; every later
    ///   event waits for it (all orders, not only its own). Polling goes on meanwhile, so no
    ///   change is missed while the handler is down: its events queue in the store.
    /// - **A failed poll** (the API still failing after the facade's retries) records nothing
    ///   and makes no event; the next interval polls again.
    /// - **A restart** on the same store resumes: it hands over first the events recorded and
    ///   not acknowledged (those whose handling was under way, or not yet started, when the
    ///   last watcher stopped: at most these are handed over twice), then goes on from the
    ///   orders it tracked. A fresh store follows [`WatchOptions::start`].
    /// - **Two watchers** on one store: [`EventStore::lead`] makes the second wait
    ///   ([`FileEventStore`](crate::events::FileEventStore) and the PostgreSQL store do).
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use async_trait::async_trait;
    /// use carbonext_domain::events::{EventHandler, FileEventStore, OrderEvent, WatchOptions};
    ///
    /// struct Notify;
    ///
    /// #[async_trait]
    /// impl EventHandler for Notify {
    ///     async fn handle(
    ///         &self,
    ///         event: &OrderEvent,
    ///     ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    ///         // Receivers may see an event twice after a restart: `event.id` is stable.
    ///         println!("{} {:?} -> {}", event.order.id, event.previous, event.status);
    ///         Ok(())
    ///     }
    /// }
    ///
    /// # async fn run(carbonext: carbonext_domain::Carbonext) -> carbonext_domain::Result<()> {
    /// let options = WatchOptions::default().interval(Duration::from_secs(60));
    /// let store = FileEventStore::new("order-events.json");
    /// carbonext.watch_orders(options, store, Notify).await
    /// # }
    /// ```
    #[cfg_attr(docsrs, doc(cfg(feature = "events")))]
    pub async fn watch_orders(
        &self,
        options: WatchOptions,
        store: impl EventStore + 'static,
        handler: impl EventHandler + 'static,
    ) -> Result<()> {
        let store = &store;
        let _leadership = retry_store(&options, "lead", || store.lead()).await?;
        let progress = retry_store(&options, "load", || store.load()).await?;
        let mut tracker = Tracker::from_progress(&progress);
        let shared = Shared::new(progress.pending, &options, tracker.len());
        tokio::select! {
            polled = self.poll_loop(&options, store, &mut tracker, &shared) => polled,
            delivered = deliver_loop(&options, store, &handler, &shared) => delivered,
        }
    }

    /// Polls every interval, records what changed, queues its events.
    async fn poll_loop(
        &self,
        options: &WatchOptions,
        store: &impl EventStore,
        tracker: &mut Tracker,
        shared: &Shared,
    ) -> Result<()> {
        let mut ticker = tokio::time::interval(options.interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let started = tokio::time::Instant::now();
            let adopt = tracker.is_fresh() && options.start == StartFrom::Now;
            let observed = match self.observe_orders(tracker, options.start).await {
                Ok(observed) => observed,
                Err(error) if gives_up(&error) => return Err(error),
                Err(error) => {
                    tracing::warn!(%error, "order poll failed; polling again at the next interval");
                    shared.report(|s| s.failed_polls += 1);
                    continue;
                }
            };
            let record = tracker.apply(observed.observations, adopt);
            if !record.is_empty() {
                retry_store(options, "record", || store.record(&record)).await?;
            }
            tracker.commit(&record);
            shared.queue(record.events);
            shared.report(|s| {
                s.polls += 1;
                s.last_poll_requests = observed.requests;
                s.last_poll_time = started.elapsed();
                s.tracked = tracker.len();
            });
        }
    }
}

/// Hands the queued events over one at a time, each until the handler accepts it.
async fn deliver_loop(
    options: &WatchOptions,
    store: &impl EventStore,
    handler: &impl EventHandler,
    shared: &Shared,
) -> Result<()> {
    loop {
        let event = loop {
            if let Some(event) = shared.next() {
                break event;
            }
            shared.ready.notified().await;
        };
        let mut wait = options.retry_initial;
        while let Err(error) = handler.handle(&event).await {
            tracing::warn!(
                event = %event.id,
                %error,
                retry_in = ?wait,
                "the order event handler failed; the event will be handed over again"
            );
            shared.report(|s| s.handler_failures += 1);
            tokio::time::sleep(wait).await;
            wait = doubled(wait, options.retry_max);
        }
        retry_store(options, "acknowledge", || store.acknowledge(&event.id)).await?;
        shared.done();
    }
}

/// Whether a poll's error ends the watcher: what waiting cannot fix (refused credentials or
/// permissions, a request the API refuses). Network failures, 5xx, 429 and unreadable
/// answers are retried at the next interval.
fn gives_up(error: &Error) -> bool {
    !error.is_retryable() && !matches!(error, Error::Decode { .. })
}

fn doubled(wait: Duration, max: Duration) -> Duration {
    wait.saturating_mul(2).min(max)
}

/// Runs a store call until it succeeds, waiting after each failure, giving up after
/// [`WatchOptions::store_attempts`] failures in a row.
async fn retry_store<T, F, Fut>(
    options: &WatchOptions,
    call: &'static str,
    mut attempt: F,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<T, EventStoreError>>,
{
    let mut wait = options.retry_initial;
    let mut failures = 0;
    loop {
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(error) => {
                failures += 1;
                if failures >= options.store_attempts {
                    return Err(Error::EventStore(error));
                }
                tracing::warn!(%error, call, retry_in = ?wait, "order event store failed");
                tokio::time::sleep(wait).await;
                wait = doubled(wait, options.retry_max);
            }
        }
    }
}

/// What the two loops share: the events to hand over and the status.
struct Shared {
    queue: Mutex<VecDeque<OrderEvent>>,
    ready: Notify,
    status: Mutex<WatchStatus>,
    sender: Option<Arc<tokio::sync::watch::Sender<WatchStatus>>>,
}

impl Shared {
    fn new(pending: Vec<OrderEvent>, options: &WatchOptions, tracked: usize) -> Self {
        let status = WatchStatus {
            pending: pending.len(),
            tracked,
            ..WatchStatus::default()
        };
        let shared = Self {
            queue: Mutex::new(pending.into()),
            ready: Notify::new(),
            status: Mutex::new(status),
            sender: options.status.clone(),
        };
        shared.report(|_| {});
        shared
    }

    fn queue(&self, events: Vec<OrderEvent>) {
        if events.is_empty() {
            return;
        }
        let pending = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.extend(events);
            queue.len()
        };
        self.report(|s| s.pending = pending);
        self.ready.notify_one();
    }

    /// The next event to hand over (it stays queued until [`Shared::done`]).
    fn next(&self) -> Option<OrderEvent> {
        let queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.front().cloned()
    }

    /// The event [`Shared::next`] gave was handled and acknowledged.
    fn done(&self) {
        let pending = {
            let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
            queue.pop_front();
            queue.len()
        };
        self.report(|s| {
            s.pending = pending;
            s.delivered += 1;
        });
    }

    fn report(&self, change: impl FnOnce(&mut WatchStatus)) {
        let mut status = self.status.lock().unwrap_or_else(|e| e.into_inner());
        change(&mut status);
        if let Some(sender) = &self.sender {
            sender.send_replace(status.clone());
        }
    }
}
