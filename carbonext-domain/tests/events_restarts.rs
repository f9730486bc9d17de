//! A thousand orders through random transitions (new orders, billing at the end of each
//! month, invoices paid, cancellations) while about a tenth of the API's answers are
//! injected 5xx or 429, and the watcher is killed (its task aborted) and started again three
//! times on the same store. Compared with the sandbox's own record of every order's
//! statuses: every transition handed over at least once, in order per order, none invented,
//! and handed over twice only when it was in flight at a kill.
//!
//! Runs on a paused tokio clock (back-offs, `Retry-After` and intervals take no real time)
//! and the sandbox's frozen clock (moved by the test a few days per round).

mod watching;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use carbonext_domain::events::{
    EventHandler, EventId, EventStore, FileEventStore, MemoryEventStore, OrderEvent, StartFrom,
    WatchOptions, WatchStatus,
};
use carbonext_domain::{Carbonext, OrderId, VcuMarket};
use carbonext_sandbox::Sandbox;
use chrono::Datelike;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use watching::{
    connect, drained, frozen_sandbox, next_poll, place_counting, polls, spawn_watcher, until,
    Recorder, DAY,
};

const INTERVAL: Duration = Duration::from_secs(30);

/// The recorder, with a yield on tokio's clock inside each hand-over: a kill can land while
/// the handler is at work, after it did its part and before the watcher heard back.
struct SlowHandler(Arc<Recorder>);

#[async_trait]
impl EventHandler for SlowHandler {
    async fn handle(
        &self,
        event: &OrderEvent,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let outcome = self.0.handle(event).await;
        tokio::time::sleep(Duration::from_millis(5)).await;
        outcome
    }
}

/// One running watcher and its status.
struct Running {
    task: JoinHandle<carbonext_domain::Result<()>>,
    status: watch::Receiver<WatchStatus>,
}

fn start(carbonext: &Carbonext, store: Arc<dyn EventStore>, recorder: &Arc<Recorder>) -> Running {
    let (sender, status) = watch::channel(WatchStatus::default());
    let options = WatchOptions::default()
        .interval(INTERVAL)
        .start(StartFrom::Beginning)
        .retry_backoff(Duration::from_millis(200), Duration::from_secs(5))
        .status(sender);
    let task = spawn_watcher(carbonext, options, store, SlowHandler(recorder.clone()));
    Running { task, status }
}

/// What the test changed, to keep each order to one change between two polls.
struct Scenario {
    rng: StdRng,
    /// Injected failures our own order placements met (so the faults did fire).
    injected: u32,
    sandbox: Sandbox,
    carbonext: Carbonext,
}

impl Scenario {
    /// One round of changes, each order changed at most once: the clock moves (months that
    /// end bill their orders), invoices billed in earlier rounds are paid, orders issued in
    /// earlier rounds are cancelled, new orders are placed.
    async fn round(&mut self, new_orders: usize) {
        let payable: Vec<uuid::Uuid> = self
            .sandbox
            .invoices_snapshot()
            .into_iter()
            .filter(|i| i.status.as_str() == "Pending")
            .map(|i| i.id)
            .collect();
        let cancellable: Vec<OrderId> = self
            .sandbox
            .orders_snapshot()
            .into_iter()
            .filter(|o| o.status.as_str() == "Issued")
            .map(|o| OrderId(o.id))
            .collect();
        self.sandbox
            .advance_clock(DAY * self.rng.random_range(1..=4u32));
        for invoice in payable {
            if self.rng.random_bool(0.6) {
                self.sandbox
                    .pay_invoice(invoice)
                    .expect("a pending invoice");
            }
        }
        let now = self.sandbox.now();
        let still_issued: BTreeSet<OrderId> = self
            .sandbox
            .orders_snapshot()
            .into_iter()
            .filter(|o| o.status.as_str() == "Issued")
            .filter(|o| now - o.created_at.as_ref().unwrap().utc() < chrono::Duration::days(9))
            .map(|o| OrderId(o.id))
            .collect();
        for id in cancellable {
            if still_issued.contains(&id) && self.rng.random_bool(0.15) {
                self.carbonext.cancel_order(id).await.expect("cancelled");
            }
        }
        for _ in 0..new_orders {
            // Minutes between orders, never across a month's end: an order billed before a
            // poll saw it issued would be two changes at once.
            let step = Duration::from_secs(self.rng.random_range(1..=600));
            let later = self.sandbox.now() + chrono::Duration::from_std(step).unwrap();
            if later.month() == self.sandbox.now().month() {
                self.sandbox.advance_clock(step);
            }
            let vcus = format!("0.{:02}", self.rng.random_range(1..=99));
            let pay = self.rng.random_bool(0.25);
            self.injected += place_counting(&self.carbonext, &vcus, pay).await.1;
        }
    }
}

/// Runs the scenario on `store` (made afresh by `open` at each restart, as a new process
/// would open it) and checks the deliveries against the sandbox's record.
/// `orders` placed over `rounds` rounds (a poll after each), the watcher killed after the
/// rounds `kills`.
async fn orders_through_restarts(
    orders: usize,
    rounds: usize,
    kills: [usize; 3],
    open: impl Fn() -> Arc<dyn EventStore>,
) {
    let sandbox = frozen_sandbox().await;
    let carbonext = connect(&sandbox);
    let mut scenario = Scenario {
        rng: StdRng::seed_from_u64(28),
        injected: 0,
        sandbox,
        carbonext: carbonext.clone(),
    };
    // Some orders exist before the first watcher: from the beginning, they are events too.
    scenario.round(orders / rounds).await;
    scenario.sandbox.faults().fail_share(503, 0.06);
    scenario.sandbox.faults().rate_limit(0.04, 1);

    // About one first hand-over in eleven is refused: retried after a back-off.
    let recorder = Recorder::refusing(|event, before| {
        before == 0 && event.id.as_str().bytes().map(u32::from).sum::<u32>() % 11 == 0
    });
    let mut running = start(&carbonext, open(), &recorder);
    polls(&mut running.status, 1).await;
    let mut in_flight: Vec<BTreeSet<EventId>> = Vec::new();
    for round in 1..rounds {
        scenario.round(orders / rounds).await;
        if kills.contains(&round) {
            // Killed once the poll after the changes is recorded, after a random part of
            // its events was handed over.
            let done = running.status.borrow().polls;
            let recorded = polls(&mut running.status, done + 1).await;
            let some = scenario.rng.random_range(0..=recorded.pending / 2) as u64;
            let delivered = recorded.delivered + some;
            until(&mut running.status, "hand-overs", |s| {
                s.delivered >= delivered
            })
            .await;
            running.task.abort();
            let _ = (&mut running.task).await;
            // What was recorded and not acknowledged, as the next watcher will find it.
            let store = open();
            let leadership = store.lead().await.unwrap();
            let pending = store.load().await.unwrap().pending;
            drop(leadership);
            assert!(!pending.is_empty(), "killed with events in flight");
            in_flight.push(pending.into_iter().map(|e| e.id).collect());
            running = start(&carbonext, store, &recorder);
        } else {
            next_poll(&mut running.status).await;
        }
    }
    scenario.sandbox.faults().clear();
    next_poll(&mut running.status).await;
    drained(&mut running.status).await;
    running.task.abort();

    // What the sandbox says happened: each order's statuses, in order.
    let histories: BTreeMap<OrderId, Vec<String>> = scenario
        .sandbox
        .order_histories()
        .into_iter()
        .map(|(id, h)| {
            (
                OrderId(id),
                h.iter().map(|c| c.status.to_string()).collect(),
            )
        })
        .collect();
    assert_eq!(histories.len(), orders);
    let transitions: usize = histories.values().map(Vec::len).sum();
    let billed = histories
        .values()
        .filter(|h| h.contains(&"Billed".to_owned()))
        .count();
    let paid_by_invoice = histories
        .values()
        .filter(|h| h.ends_with(&["Billed".into(), "Paid".into()]))
        .count();
    let cancelled = histories
        .values()
        .filter(|h| h.contains(&"Cancelled".to_owned()))
        .count();
    assert!(
        billed > orders / 5 && paid_by_invoice > orders / 10 && cancelled > orders / 40,
        "{billed} billed, {paid_by_invoice} paid by invoice, {cancelled} cancelled"
    );

    // What was handed over and accepted, per order, in order (repeats included).
    let accepted = recorder.accepted();
    let mut per_order: HashMap<OrderId, Vec<&OrderEvent>> = HashMap::new();
    for event in &accepted {
        per_order.entry(event.order.id).or_default().push(event);
    }
    for (id, history) in &histories {
        let events = per_order.get(id).map(Vec::as_slice).unwrap_or_default();
        // Each event is a step of the history (nothing invented), with its real previous
        // status; the steps never go back (in order per order, repeats next to each other).
        let mut last = 0usize;
        let mut seen = BTreeSet::new();
        for event in events {
            let step = history
                .iter()
                .position(|s| *s == event.status.as_str())
                .unwrap_or_else(|| panic!("{id}: {} is not in {history:?}", event.status));
            let previous = step.checked_sub(1).map(|p| history[p].clone());
            assert_eq!(
                event.previous.as_ref().map(|s| s.to_string()),
                previous,
                "{id}"
            );
            assert!(
                step + 1 >= last,
                "{id}: {history:?} handed over out of order"
            );
            assert_eq!(event.order.status, event.status);
            assert_eq!(event.id.as_str(), format!("{id}:{}", event.status));
            last = step + 1;
            seen.insert(step);
        }
        // Every step handed over.
        assert_eq!(seen.len(), history.len(), "{id}: {history:?}");
    }
    assert_eq!(per_order.len(), orders);

    // Repeats: only events that were recorded and not acknowledged at a kill, at most once
    // per kill.
    let mut times: HashMap<&EventId, usize> = HashMap::new();
    for event in &accepted {
        *times.entry(&event.id).or_default() += 1;
    }
    let repeats: usize = times.values().map(|n| n - 1).sum();
    let at_kills: usize = in_flight.iter().map(BTreeSet::len).sum();
    assert_eq!(accepted.len(), transitions + repeats);
    assert!(
        repeats <= at_kills,
        "{repeats} repeats, {at_kills} in flight at the kills"
    );
    for (id, n) in &times {
        if *n > 1 {
            let kills = in_flight.iter().filter(|set| set.contains(*id)).count();
            assert!(*n - 1 <= kills, "{id} handed over {n} times");
        }
    }
    assert!(
        repeats >= 1,
        "a kill landed while an event was being handled"
    );
    // The refused hand-overs were retried, and faults did fire (about a tenth of requests).
    assert!(recorder.calls().iter().any(|c| !c.accepted));
    let placements = orders as u32;
    assert!(
        scenario.injected * 20 > placements,
        "{} injected failures in {placements} placements",
        scenario.injected
    );
    eprintln!(
        "{transitions} transitions, {repeats} repeats, {at_kills} in flight at the kills, {} list requests, {} injected failures met by placements",
        scenario.sandbox.counters().operation("list_orders"),
        scenario.injected
    );
}

#[tokio::test(start_paused = true)]
async fn a_thousand_orders_with_faults_and_three_restarts_on_a_memory_store() {
    let store = Arc::new(MemoryEventStore::new());
    orders_through_restarts(1_000, 40, [9, 19, 29], || {
        store.clone() as Arc<dyn EventStore>
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn three_hundred_orders_with_faults_and_three_restarts_on_a_file_store() {
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("order-events-restarts-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    let path = folder.join("events.json");
    // Fewer orders: every hand-over rewrites and flushes the file.
    orders_through_restarts(300, 20, [4, 9, 14], || {
        Arc::new(FileEventStore::new(&path)) as Arc<dyn EventStore>
    })
    .await;
}
