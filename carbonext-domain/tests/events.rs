//! The order watcher against the sandbox over loopback HTTP, on a paused tokio clock and the
//! sandbox's frozen clock: what becomes an event, what a poll costs in requests (the
//! sandbox's counters), a failing handler, a failing poll, a refused key, and a file store
//! across a restart.

mod watching;

use std::sync::Arc;
use std::time::Duration;

use carbonext_domain::events::{
    EventId, EventStore, EventStoreError, FileEventStore, MemoryEventStore, PollRecord, Progress,
    StartFrom, WatchOptions,
};
use carbonext_domain::{Error, OrderId, VcuMarket};
use watching::{
    connect, drained, frozen_sandbox, next_poll, place, polls, spawn_watcher, status, until,
    Recorder, DAY,
};

const INTERVAL: Duration = Duration::from_secs(10);
const SECOND: Duration = Duration::from_secs(1);

fn moves(list: &[(OrderId, Option<&str>, &str)]) -> Vec<(OrderId, Option<String>, String)> {
    list.iter()
        .map(|(id, previous, status)| (*id, previous.map(str::to_owned), (*status).to_owned()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn existing_orders_are_adopted_and_every_later_change_is_one_event() {
    let sandbox = frozen_sandbox().await;
    let carbonext = connect(&sandbox);
    let before_issued = place(&carbonext, "1", false).await;
    sandbox.advance_clock(SECOND);
    let _before_paid = place(&carbonext, "1", true).await;

    let store = Arc::new(MemoryEventStore::new());
    let recorder = Recorder::new();
    let (sender, mut watched) = status();
    let options = WatchOptions::default().interval(INTERVAL).status(sender);
    let watcher = spawn_watcher(&carbonext, options, store.clone(), recorder.clone());
    let first = polls(&mut watched, 1).await;
    assert!(recorder.calls().is_empty(), "existing orders are no events");
    assert_eq!(
        first.tracked, 2,
        "the issued order, and the newest as the scan's stop"
    );

    // A cancellation, a postpaid order and one paid from the balance: three events, oldest
    // order first, each with the API's Date as its observation time.
    carbonext.cancel_order(before_issued).await.unwrap();
    sandbox.advance_clock(SECOND);
    let postpaid = place(&carbonext, "2", false).await;
    sandbox.advance_clock(SECOND);
    let paid = place(&carbonext, "0.5", true).await;
    next_poll(&mut watched).await;
    drained(&mut watched).await;
    assert_eq!(
        recorder.moves(),
        moves(&[
            (before_issued, Some("Issued"), "Cancelled"),
            (postpaid, None, "Issued"),
            (paid, None, "Paid"),
        ])
    );
    let events = recorder.accepted();
    assert_eq!(events[0].id.as_str(), format!("{before_issued}:Cancelled"));
    assert_eq!(events[0].order.status.as_str(), "Cancelled");
    assert_eq!(events[0].observed_at.utc(), sandbox.now());

    // The month ends: the postpaid order is billed, the event names its invoice.
    sandbox.advance_clock(17 * DAY);
    next_poll(&mut watched).await;
    drained(&mut watched).await;
    let billed = recorder.accepted().pop().unwrap();
    assert_eq!(
        (
            billed.order.id,
            billed.previous.clone(),
            billed.status.as_str()
        ),
        (postpaid, Some("Issued".into()), "Billed")
    );
    let invoice = billed.order.invoice_ids[0];
    assert_eq!(billed.observed_at.utc(), sandbox.now());

    // Its invoice is paid: it left the open orders and is settled through `invoiceId_eq`.
    sandbox.pay_invoice(invoice.0).unwrap();
    next_poll(&mut watched).await;
    drained(&mut watched).await;
    let paid_event = recorder.accepted().pop().unwrap();
    assert_eq!(
        (
            paid_event.order.id,
            paid_event.previous,
            paid_event.status.as_str()
        ),
        (postpaid, Some("Billed".into()), "Paid")
    );
    assert!(paid_event.order.payment_date.is_some());

    // Nothing else happened, nothing else is handed over; everything was handed over once.
    next_poll(&mut watched).await;
    assert_eq!(recorder.calls().len(), 5);
    assert!(store.progress().pending.is_empty());
    watcher.abort();
}

#[tokio::test(start_paused = true)]
async fn from_the_beginning_every_existing_order_is_an_event() {
    let sandbox = frozen_sandbox().await;
    let carbonext = connect(&sandbox);
    let first = place(&carbonext, "1", false).await;
    sandbox.advance_clock(SECOND);
    let second = place(&carbonext, "1", true).await;
    sandbox.advance_clock(SECOND);
    let third = place(&carbonext, "3", false).await;
    carbonext.cancel_order(third).await.unwrap();

    let recorder = Recorder::new();
    let (sender, mut watched) = status();
    let options = WatchOptions::default()
        .interval(INTERVAL)
        .start(StartFrom::Beginning)
        .status(sender);
    let watcher = spawn_watcher(
        &carbonext,
        options,
        MemoryEventStore::new(),
        recorder.clone(),
    );
    polls(&mut watched, 1).await;
    drained(&mut watched).await;
    assert_eq!(
        recorder.moves(),
        moves(&[
            (first, None, "Issued"),
            (second, None, "Paid"),
            (third, None, "Cancelled"),
        ])
    );
    watcher.abort();
}

/// The documented bound, checked against the sandbox's own count of `list_orders`: with `O`
/// open orders, a poll costs ⌈O/1000⌉ for the open orders, 1 for new orders (fewer than 100
/// since the last poll), and ⌈n/1000⌉ per invoice or creation day of `n` orders to settle.
#[tokio::test(start_paused = true)]
async fn each_poll_costs_the_documented_requests() {
    const OPEN: usize = 1_200;
    let sandbox = frozen_sandbox().await;
    let carbonext = connect(&sandbox);
    let mut ids = Vec::new();
    for _ in 0..OPEN {
        ids.push(place(&carbonext, "0.01", false).await);
    }
    let recorder = Recorder::new();
    let (sender, mut watched) = status();
    let options = WatchOptions::default().interval(INTERVAL).status(sender);
    let watcher = spawn_watcher(
        &carbonext,
        options,
        MemoryEventStore::new(),
        recorder.clone(),
    );
    polls(&mut watched, 1).await;
    // Steady, 1,200 open orders: 2 pages of open orders + 1 page of new ones.
    for _ in 0..3 {
        assert_eq!(poll_cost(&sandbox, &mut watched).await, 2 + 1);
    }
    // Five cancelled, all created on one day of 1,200 orders: + 2 for that day.
    for id in &ids[..5] {
        carbonext.cancel_order(*id).await.unwrap();
    }
    assert_eq!(poll_cost(&sandbox, &mut watched).await, 2 + 1 + 2);
    // The month ends: 1,195 billed, all still listed as open orders.
    sandbox.advance_clock(17 * DAY);
    assert_eq!(poll_cost(&sandbox, &mut watched).await, 2 + 1);
    let invoice = sandbox
        .invoices_snapshot()
        .into_iter()
        .find(|i| i.status.as_str() == "Pending")
        .unwrap();
    // Paid: no open order left (1), new orders (1), one invoice of 1,195 orders (2).
    sandbox.pay_invoice(invoice.id).unwrap();
    assert_eq!(poll_cost(&sandbox, &mut watched).await, 1 + 1 + 2);
    // Steady again, nothing open.
    assert_eq!(poll_cost(&sandbox, &mut watched).await, 1 + 1);
    drained(&mut watched).await;
    assert_eq!(recorder.accepted().len(), 5 + 1_195 + 1_195);
    watcher.abort();
}

/// The `list_orders` requests of the next poll (call it while the watcher waits for its next
/// interval): the sandbox's count, checked against the watcher's own.
async fn poll_cost(
    sandbox: &carbonext_sandbox::Sandbox,
    watched: &mut tokio::sync::watch::Receiver<carbonext_domain::events::WatchStatus>,
) -> u64 {
    let lists = || sandbox.counters().operation("list_orders");
    let before = lists();
    let done = watched.borrow().polls;
    let status = polls(watched, done + 1).await;
    let counted = lists() - before;
    assert_eq!(
        counted, status.last_poll_requests,
        "the watcher's own count"
    );
    counted
}

#[tokio::test(start_paused = true)]
async fn a_failing_handler_is_retried_with_backoff_and_holds_back_later_events() {
    let sandbox = frozen_sandbox().await;
    let carbonext = connect(&sandbox);
    let (sender, mut watched) = status();
    let options = WatchOptions::default()
        .interval(INTERVAL)
        .retry_backoff(Duration::from_secs(1), Duration::from_secs(4))
        .status(sender);
    let first = place(&carbonext, "1", false).await;
    // The first event is refused five times.
    let recorder = Recorder::refusing(move |event, before| event.order.id == first && before < 5);
    let options = options.start(StartFrom::Beginning);
    let watcher = spawn_watcher(
        &carbonext,
        options,
        MemoryEventStore::new(),
        recorder.clone(),
    );
    polls(&mut watched, 1).await;
    let second = place(&carbonext, "2", false).await;
    drained(&mut watched).await;

    let calls = recorder.calls();
    let of_first: Vec<_> = calls.iter().filter(|c| c.event.order.id == first).collect();
    assert_eq!(of_first.len(), 6);
    let waits: Vec<u64> = of_first
        .windows(2)
        .map(|w| (w[1].at - w[0].at).as_secs())
        .collect();
    assert_eq!(waits, [1, 2, 4, 4, 4], "doubling up to the maximum");
    // The second order's event waited for the first's: handed over after it, once.
    let of_second: Vec<_> = calls
        .iter()
        .filter(|c| c.event.order.id == second)
        .collect();
    assert_eq!(of_second.len(), 1);
    assert!(of_second[0].at >= of_first[5].at);
    // Polling went on while the handler failed.
    let status = watched.borrow().clone();
    assert_eq!(status.handler_failures, 5);
    assert!(status.polls >= 2, "{status:?}");
    watcher.abort();
}

#[tokio::test(start_paused = true)]
async fn a_failed_poll_makes_no_event_and_the_next_one_catches_up() {
    let sandbox = frozen_sandbox().await;
    let carbonext = connect(&sandbox);
    let order = place(&carbonext, "1", false).await;
    let recorder = Recorder::new();
    let (sender, mut watched) = status();
    let options = WatchOptions::default().interval(INTERVAL).status(sender);
    let watcher = spawn_watcher(
        &carbonext,
        options,
        MemoryEventStore::new(),
        recorder.clone(),
    );
    polls(&mut watched, 1).await;
    carbonext.cancel_order(order).await.unwrap();
    sandbox.faults().fail_share(503, 1.0);
    until(&mut watched, "two failed polls", |s| s.failed_polls >= 2).await;
    assert!(recorder.calls().is_empty());
    sandbox.faults().clear();
    next_poll(&mut watched).await;
    drained(&mut watched).await;
    assert_eq!(
        recorder.moves(),
        moves(&[(order, Some("Issued"), "Cancelled")])
    );
    watcher.abort();
}

#[tokio::test(start_paused = true)]
async fn a_key_that_may_not_read_orders_ends_the_watcher() {
    let sandbox = frozen_sandbox().await;
    let (client_id, secret) = sandbox.create_api_key(&["financial_read"]);
    let carbonext = watching::connect_with(&sandbox, &client_id, &secret);
    let ended = carbonext
        .watch_orders(
            WatchOptions::default(),
            MemoryEventStore::new(),
            Recorder::new(),
        )
        .await;
    match ended {
        Err(Error::Api(rejection)) => assert_eq!(rejection.status, 403),
        other => panic!("{other:?}"),
    }
}

/// A memory store whose `record` waits at a gate the test opens.
struct GatedStore {
    inner: MemoryEventStore,
    entered: tokio::sync::Notify,
    gate: tokio::sync::Semaphore,
}

#[async_trait::async_trait]
impl EventStore for GatedStore {
    async fn load(&self) -> Result<Progress, EventStoreError> {
        self.inner.load().await
    }

    async fn record(&self, poll: &PollRecord) -> Result<(), EventStoreError> {
        self.entered.notify_one();
        self.gate.acquire().await.expect("open").forget();
        self.inner.record(poll).await
    }

    async fn acknowledge(&self, event: &EventId) -> Result<(), EventStoreError> {
        self.inner.acknowledge(event).await
    }
}

/// Nothing reaches the handler before the store has recorded it: while `record` waits, the
/// handler gets nothing, however long; once recorded, the event is handed over.
#[tokio::test(start_paused = true)]
async fn nothing_is_handed_over_before_it_is_recorded() {
    let sandbox = frozen_sandbox().await;
    let carbonext = connect(&sandbox);
    let order = place(&carbonext, "1", false).await;
    let store = Arc::new(GatedStore {
        inner: MemoryEventStore::new(),
        entered: tokio::sync::Notify::new(),
        gate: tokio::sync::Semaphore::new(0),
    });
    let recorder = Recorder::new();
    let (sender, mut watched) = status();
    let options = WatchOptions::default()
        .interval(INTERVAL)
        .start(StartFrom::Beginning)
        .status(sender);
    let watcher = spawn_watcher(&carbonext, options, store.clone(), recorder.clone());
    store.entered.notified().await;
    tokio::time::sleep(Duration::from_secs(600)).await;
    assert!(
        recorder.calls().is_empty(),
        "handed over before it was recorded"
    );
    assert!(store.inner.progress().pending.is_empty());

    store.gate.add_permits(1_000);
    until(&mut watched, "the event", |s| s.delivered == 1).await;
    assert_eq!(recorder.moves(), moves(&[(order, None, "Issued")]));
    watcher.abort();
}

fn state_file(name: &str) -> std::path::PathBuf {
    let folder = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("order-events-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&folder);
    folder.join("events.json")
}

/// A restart on the same file (a new store, as a new process would open it): events
/// acknowledged before are not handed over again; the one under way when the watcher was
/// killed is, first. While a watcher runs, another on the same file waits.
#[tokio::test(start_paused = true)]
async fn a_file_store_resumes_after_a_restart_and_is_never_shared() {
    let sandbox = frozen_sandbox().await;
    let carbonext = connect(&sandbox);
    let path = state_file("restart");
    let a = place(&carbonext, "1", false).await;
    sandbox.advance_clock(SECOND);
    let b = place(&carbonext, "2", false).await;
    // The handler accepts everything but b's cancellation, which it never finishes.
    let recorder = Recorder::refusing(move |event, _| {
        event.order.id == b && event.status.as_str() == "Cancelled"
    });
    let (sender, mut watched) = status();
    let options = WatchOptions::default()
        .interval(INTERVAL)
        .start(StartFrom::Beginning)
        .status(sender);
    let first = spawn_watcher(
        &carbonext,
        options,
        FileEventStore::new(&path),
        recorder.clone(),
    );
    polls(&mut watched, 1).await;
    until(&mut watched, "two events", |s| s.delivered == 2).await;
    carbonext.cancel_order(a).await.unwrap();
    carbonext.cancel_order(b).await.unwrap();
    until(&mut watched, "a refused cancellation", |s| {
        s.delivered == 3 && s.handler_failures > 0
    })
    .await;
    first.abort();
    let _ = first.await;

    let on_disk = FileEventStore::new(&path).load().await.unwrap();
    assert_eq!(on_disk.pending.len(), 1, "b's cancellation is under way");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    let resumed = Recorder::new();
    let (sender, mut watched) = status();
    let options = WatchOptions::default().interval(INTERVAL).status(sender);
    let second = spawn_watcher(
        &carbonext,
        options,
        FileEventStore::new(&path),
        resumed.clone(),
    );
    polls(&mut watched, 1).await;
    sandbox.advance_clock(SECOND);
    let c = place(&carbonext, "3", true).await;
    next_poll(&mut watched).await;
    drained(&mut watched).await;
    assert_eq!(
        resumed.moves(),
        moves(&[(b, Some("Issued"), "Cancelled"), (c, None, "Paid")]),
        "only what was not acknowledged, then what is new"
    );

    // A third watcher on the same file waits for the second to stop.
    let third = FileEventStore::new(&path);
    assert!(
        tokio::time::timeout(Duration::from_secs(60), third.lead())
            .await
            .is_err(),
        "the file is in use"
    );
    second.abort();
    let _ = second.await;
    let leadership = tokio::time::timeout(Duration::from_secs(60), third.lead())
        .await
        .expect("free once the second watcher stopped")
        .unwrap();
    drop(leadership);
}
