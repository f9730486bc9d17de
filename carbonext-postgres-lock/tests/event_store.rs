//! [`PostgresEventStore`] against a throwaway PostgreSQL cluster: what a poll records is what
//! a restarted watcher loads (exact amounts included), acknowledgements forget finished
//! orders, stores of different names share tables but nothing else, and the leader lock: a
//! second store waits while the first leads, takes over when the first's session ends, and
//! the first can no longer write. And two watcher processes (the `watch_orders` example) on
//! one store: one handles every event, the other waits, and takes over when the first is
//! killed.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use carbonext_domain::events::{
    EventId, EventStore, OrderEvent, PollRecord, Progress, TrackedOrder,
};
use carbonext_domain::{InvoiceId, Order, OrderId, OrderStatus, Timestamp};
use carbonext_postgres_lock::PostgresEventStore;
use common::pg::Cluster;
use tokio_postgres::NoTls;

fn store(cluster: &Cluster, name: &str) -> PostgresEventStore {
    PostgresEventStore::from_url(&cluster.url(), name)
        .expect("the URL parses")
        .lead_poll(Duration::from_millis(20))
        .build()
        .expect("a valid store")
}

fn order(n: u128, status: OrderStatus) -> Order {
    let mut order = carbonext_domain::testing::fixtures::order();
    order.id = OrderId(uuid::Uuid::from_u128(n));
    order.status = status;
    // Digits a float or jsonb would not keep as written.
    order.vcu_amount = "1.230000000000000000000000001".parse().unwrap();
    order
}

fn tracked(status: OrderStatus, invoice: Option<u128>) -> TrackedOrder {
    TrackedOrder {
        status,
        created_at: Some("2026-12-07T10:00:00.1234567Z".parse::<Timestamp>().unwrap()),
        invoice_id: invoice.map(|n| InvoiceId(uuid::Uuid::from_u128(n))),
    }
}

fn event(n: u128, previous: Option<OrderStatus>, status: OrderStatus) -> OrderEvent {
    let order = order(n, status.clone());
    OrderEvent {
        id: EventId::new(&order.id, &status),
        order,
        previous,
        status,
        observed_at: "2026-12-07T10:00:30.0000000Z".parse().unwrap(),
    }
}

fn horizon(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn id(n: u128) -> OrderId {
    OrderId(uuid::Uuid::from_u128(n))
}

fn event_ids(progress: &Progress) -> Vec<String> {
    progress.pending.iter().map(|e| e.id.to_string()).collect()
}

/// Rows of the store's tables, read over a session of the test's own.
async fn rows(cluster: &Cluster, sql: &str) -> i64 {
    let (client, connection) = tokio_postgres::connect(&cluster.url(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    client.query_one(sql, &[]).await.unwrap().get(0)
}

#[tokio::test]
async fn a_recorded_poll_loads_back_and_acknowledging_forgets_finished_orders() {
    let cluster = Cluster::start();
    let store = store(&cluster, "acme");
    assert_eq!(
        store.load().await.unwrap(),
        Progress::default(),
        "a new store is empty"
    );

    // First poll: order 1 appears Issued, order 2 appears and is already Cancelled.
    let first = PollRecord {
        orders: BTreeMap::from([
            (id(1), tracked(OrderStatus::Issued, None)),
            (id(2), tracked(OrderStatus::Cancelled, None)),
        ]),
        finished: vec![id(2)],
        events: vec![
            event(1, None, OrderStatus::Issued),
            event(2, None, OrderStatus::Cancelled),
        ],
        horizon: Some(horizon("2026-12-07T10:00:00.1234567Z")),
    };
    store.record(&first).await.unwrap();
    // Second poll: order 1 billed then paid (two events of one order, in order).
    let second = PollRecord {
        orders: BTreeMap::from([(id(1), tracked(OrderStatus::Paid, Some(9)))]),
        finished: vec![id(1)],
        events: vec![
            event(1, Some(OrderStatus::Issued), OrderStatus::Billed),
            event(1, Some(OrderStatus::Billed), OrderStatus::Paid),
        ],
        horizon: None,
    };
    store.record(&second).await.unwrap();

    // A restarted watcher (a new store on the same database) loads exactly that.
    let restarted = self::store(&cluster, "acme");
    let progress = restarted.load().await.unwrap();
    assert_eq!(
        progress.orders,
        BTreeMap::from([
            (id(1), tracked(OrderStatus::Paid, Some(9))),
            (id(2), tracked(OrderStatus::Cancelled, None)),
        ])
    );
    assert_eq!(
        progress.horizon, first.horizon,
        "the horizon as last moved (a record without one keeps it)"
    );
    let expected: Vec<OrderEvent> = first.events.iter().chain(&second.events).cloned().collect();
    assert_eq!(
        progress.pending, expected,
        "every event, in record order, exact"
    );
    assert_eq!(
        progress.pending[0].order.vcu_amount.to_string(),
        "1.230000000000000000000000001"
    );

    // Recording an event again (a re-observed transition) does not duplicate it.
    restarted
        .record(&PollRecord {
            events: vec![event(2, None, OrderStatus::Cancelled)],
            ..PollRecord::default()
        })
        .await
        .unwrap();
    assert_eq!(
        event_ids(&restarted.load().await.unwrap()),
        event_ids(&progress)
    );

    // Acknowledging order 2's only event forgets it (finished); order 1 stays while any of
    // its events is pending, and goes with the last.
    restarted.acknowledge(&expected[1].id).await.unwrap();
    let progress = restarted.load().await.unwrap();
    assert!(!progress.orders.contains_key(&id(2)));
    assert!(progress.orders.contains_key(&id(1)));
    for event in [&expected[0], &expected[2]] {
        restarted.acknowledge(&event.id).await.unwrap();
        assert!(restarted.load().await.unwrap().orders.contains_key(&id(1)));
    }
    restarted.acknowledge(&expected[3].id).await.unwrap();
    let settled = Progress {
        horizon: first.horizon.clone(),
        ..Progress::default()
    };
    assert_eq!(restarted.load().await.unwrap(), settled);
    // Acknowledging twice (a crash between handling and acknowledging, then a redelivery)
    // is harmless.
    restarted.acknowledge(&expected[3].id).await.unwrap();

    // An order finished without a pending event is forgotten at once.
    restarted
        .record(&PollRecord {
            orders: BTreeMap::from([(id(3), tracked(OrderStatus::Paid, None))]),
            finished: vec![id(3)],
            events: vec![],
            horizon: Some(horizon("2026-12-08T00:00:00.0000000Z")),
        })
        .await
        .unwrap();
    let progress = restarted.load().await.unwrap();
    assert!(progress.orders.is_empty() && progress.pending.is_empty());
    assert_eq!(
        progress.horizon,
        Some(horizon("2026-12-08T00:00:00.0000000Z"))
    );
}

#[tokio::test]
async fn stores_of_different_names_share_the_tables_but_nothing_else() {
    let cluster = Cluster::start();
    let acme = store(&cluster, "acme");
    let globex = store(&cluster, "globex");
    let poll = |n| PollRecord {
        orders: BTreeMap::from([(id(n), tracked(OrderStatus::Issued, None))]),
        finished: vec![],
        events: vec![event(n, None, OrderStatus::Issued)],
        horizon: Some(horizon(&format!("2026-12-0{n}T00:00:00Z"))),
    };
    acme.record(&poll(1)).await.unwrap();
    globex.record(&poll(2)).await.unwrap();
    // The same event id in both stores is two events.
    globex.record(&poll(1)).await.unwrap();

    let acme_progress = acme.load().await.unwrap();
    assert_eq!(acme_progress.horizon, Some(horizon("2026-12-01T00:00:00Z")));
    assert_eq!(acme_progress.orders.keys().collect::<Vec<_>>(), [&id(1)]);
    assert_eq!(acme_progress.pending.len(), 1);
    let globex_progress = globex.load().await.unwrap();
    assert_eq!(
        globex_progress.horizon,
        Some(horizon("2026-12-01T00:00:00Z"))
    );
    assert_eq!(globex_progress.orders.len(), 2);
    assert_eq!(globex_progress.pending.len(), 2);

    globex
        .acknowledge(&event(1, None, OrderStatus::Issued).id)
        .await
        .unwrap();
    assert_eq!(
        acme.load().await.unwrap(),
        acme_progress,
        "acme's event is still pending"
    );
    assert_eq!(
        rows(
            &cluster,
            "select count(*) from carbonext_order_events_pending"
        )
        .await,
        2
    );

    // Both leaders at once: the lock is per store.
    let _acme = acme.lead().await.unwrap();
    let _globex = globex.lead().await.unwrap();
}

/// Waits until the session of `application` has run the leader lock's statement (and got
/// false, since another session holds it).
async fn tried_and_waiting(cluster: &Cluster, application: &str) {
    let (client, connection) = tokio_postgres::connect(&cluster.url(), NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    loop {
        let tries: i64 = client
            .query_one(
                "select count(*) from pg_stat_activity \
                 where application_name = $1 and query like '%pg_try_advisory_lock%'",
                &[&application],
            )
            .await
            .unwrap()
            .get(0);
        if tries > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_watcher_waits_for_the_leader_and_takes_over_when_its_session_ends() {
    let cluster = Cluster::start();
    let first = store(&cluster, "acme");
    let url = format!("{}?application_name=second_watcher", cluster.url());
    let second = PostgresEventStore::from_url(&url, "acme")
        .unwrap()
        .lead_poll(Duration::from_millis(20))
        .build()
        .unwrap();

    let leadership = first.lead().await.unwrap();
    let waiting = tokio::spawn({
        let second = second.clone();
        async move { second.lead().await }
    });
    tried_and_waiting(&cluster, "second_watcher").await;
    assert!(
        !waiting.is_finished(),
        "the second waits while the first leads"
    );
    // The leader writes through its leadership session.
    let poll = PollRecord {
        orders: BTreeMap::from([(id(1), tracked(OrderStatus::Issued, None))]),
        finished: vec![],
        events: vec![event(1, None, OrderStatus::Issued)],
        horizon: None,
    };
    first.record(&poll).await.unwrap();
    assert!(!waiting.is_finished());

    // The leader goes (its session ends): the second takes over and sees its progress.
    drop(leadership);
    let _second_leads = waiting.await.unwrap().expect("the second leads");
    assert_eq!(second.load().await.unwrap().pending, poll.events);

    // The old leader can no longer write beside the new one.
    let refused = first.record(&poll).await.unwrap_err().to_string();
    assert!(refused.contains("leadership ended"), "{refused}");
    assert!(first.acknowledge(&poll.events[0].id).await.is_err());
    assert_eq!(second.load().await.unwrap().pending, poll.events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_whose_session_was_killed_stops_writing_and_another_takes_over() {
    let cluster = Cluster::start();
    let url = format!("{}?application_name=doomed_leader", cluster.url());
    let first = PostgresEventStore::from_url(&url, "acme")
        .unwrap()
        .build()
        .unwrap();
    let second = store(&cluster, "acme");
    let _leadership = first.lead().await.unwrap();
    first.load().await.unwrap();

    // The database ends the leader's session (an admin, a failover) while it is held.
    let killed = rows(
        &cluster,
        "select count(pg_terminate_backend(pid)) from pg_stat_activity \
         where application_name = 'doomed_leader'",
    )
    .await;
    assert_eq!(
        killed, 1,
        "one session: the leader's, also used for its writes"
    );
    let _second_leads = second.lead().await.unwrap();
    let refused = first
        .record(&PollRecord::default())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("session closed") || refused.contains("transaction failed"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_store_without_leadership_reconnects_after_the_database_restarts() {
    let cluster = Cluster::start();
    let store = store(&cluster, "acme");
    store.load().await.unwrap();
    cluster.stop();
    assert!(store.load().await.is_err(), "the database is down");
    cluster.run_start();
    store.load().await.expect("a new session");
}

#[test]
fn bad_names_and_urls_are_refused_before_connecting() {
    let url = "postgres://u:hunter2@127.0.0.1:1/db";
    assert!(PostgresEventStore::from_url(url, " ")
        .unwrap()
        .build()
        .is_err());
    let refused = PostgresEventStore::from_url(url, "acme")
        .unwrap()
        .table("events; drop table x")
        .build()
        .unwrap_err()
        .to_string();
    assert!(refused.contains("table name"), "{refused}");
    let refused = PostgresEventStore::from_url("postgres://u:hunter2@[::1", "acme")
        .unwrap_err()
        .to_string();
    assert!(!refused.contains("hunter2"), "{refused}");
    let store = PostgresEventStore::from_url(url, "acme")
        .unwrap()
        .build()
        .unwrap();
    assert!(!format!("{store:?}").contains("hunter2"));
}

/// The `watch_orders` example, which `cargo test --features events` builds beside the tests.
fn watcher_example() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join("watch_orders"))
        .unwrap();
    assert!(
        path.exists(),
        "{} is missing: run `cargo test -p carbonext-postgres-lock --features events` (which \
         builds the examples)",
        path.display()
    );
    path
}

/// A watcher process tagged `tag`, appending handled event ids to `handled`.
fn spawn_watcher(
    sandbox: &carbonext_sandbox::Sandbox,
    cluster: &Cluster,
    handled: &std::path::Path,
    tag: &str,
) -> std::process::Child {
    std::process::Command::new(watcher_example())
        .arg(handled)
        .arg(tag)
        .env_remove("CARBONEXT_ENV")
        .env("CARBONEXT_API_URL", sandbox.api_url())
        .env("CARBONEXT_AUTH_URL", sandbox.token_url())
        .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
        .env("CARBONEXT_CLIENT_SECRET", sandbox.client_secret())
        .env(
            "CARBONEXT_EVENTS_URL",
            format!("{}?application_name=watcher_{tag}", cluster.url()),
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("the example starts")
}

/// The lines `child` prints on stdout, as they come (read by a thread).
fn lines(child: &mut std::process::Child) -> tokio::sync::mpsc::UnboundedReceiver<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    rx
}

/// Waits for the line `expected` (panics if the process ends first).
async fn line(lines: &mut tokio::sync::mpsc::UnboundedReceiver<String>, expected: &str) {
    while let Some(line) = lines.recv().await {
        if line == expected {
            return;
        }
    }
    panic!("the process ended before printing {expected:?}");
}

/// `tag → event ids` of the lines in `handled`.
fn handled_by(handled: &std::path::Path) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in std::fs::read_to_string(handled).unwrap_or_default().lines() {
        let (tag, id) = line.split_once(' ').expect("`tag id` lines");
        by.entry(tag.to_owned()).or_default().push(id.to_owned());
    }
    by
}

/// Every event the sandbox's histories imply (`order:status`).
fn expected_events(sandbox: &carbonext_sandbox::Sandbox) -> std::collections::BTreeSet<String> {
    sandbox
        .order_histories()
        .into_iter()
        .flat_map(|(id, history)| {
            history
                .into_iter()
                .map(move |change| format!("{id}:{}", change.status))
        })
        .collect()
}

/// Polls (another process writes them) until every expected event is handled and none is
/// pending in the store.
async fn all_handled_and_acknowledged(
    cluster: &Cluster,
    sandbox: &carbonext_sandbox::Sandbox,
    handled: &std::path::Path,
) {
    loop {
        let expected = expected_events(sandbox);
        let seen: std::collections::BTreeSet<String> =
            handled_by(handled).into_values().flatten().collect();
        let done = expected.is_subset(&seen)
            && rows(
                cluster,
                "select count(*) from carbonext_order_events_pending",
            )
            .await
                == 0;
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_watcher_processes_on_one_store_handle_each_event_once_and_the_second_takes_over() {
    use carbonext_domain::VcuMarket;

    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    let carbonext = common::builder(&sandbox).build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let handled = dir.path().join("handled.txt");

    let mut first = Watcher(spawn_watcher(&sandbox, &cluster, &handled, "first"));
    let mut first_says = lines(&mut first.0);
    // Orders placed before the first poll would be taken as they are (`StartFrom::Now`).
    line(&mut first_says, "leading").await;
    line(&mut first_says, "polled").await;
    let mut second = Watcher(spawn_watcher(&sandbox, &cluster, &handled, "second"));
    let mut second_says = lines(&mut second.0);
    tokio::select! {
        () = tried_and_waiting(&cluster, "watcher_second") => {}
        () = line(&mut second_says, "leading") => panic!("the second leads beside the first"),
    }

    // Twelve orders appear, four are cancelled, the rest are billed by the clock: while both
    // run, the first handles all of it and the second nothing.
    let mut ids = Vec::new();
    for _ in 0..12 {
        let order = carbonext_domain::NewOrder::builder("1.5".parse().unwrap())
            .build()
            .unwrap();
        ids.push(carbonext.place_order(order).await.unwrap().order.id);
    }
    all_handled_and_acknowledged(&cluster, &sandbox, &handled).await;
    for id in &ids[..4] {
        carbonext.cancel_order(*id).await.unwrap();
    }
    sandbox.advance_clock(Duration::from_secs(40 * 86_400));
    all_handled_and_acknowledged(&cluster, &sandbox, &handled).await;
    let before = handled_by(&handled);
    assert_eq!(before.keys().collect::<Vec<_>>(), ["first"], "{before:?}");
    assert_eq!(before["first"].len(), 12 + 4 + 8);
    assert_eq!(
        before["first"]
            .iter()
            .cloned()
            .collect::<std::collections::BTreeSet<_>>(),
        expected_events(&sandbox),
        "every event once, none invented"
    );

    // The leader dies: the second takes over and handles what follows, nothing twice.
    first.0.kill().unwrap();
    first.0.wait().unwrap();
    line(&mut second_says, "leading").await;
    let invoice = sandbox
        .invoices_snapshot()
        .into_iter()
        .find(|i| i.status == carbonext_domain::InvoiceStatus::Pending)
        .expect("the month's invoice");
    sandbox.pay_invoice(invoice.id).unwrap();
    all_handled_and_acknowledged(&cluster, &sandbox, &handled).await;
    let after = handled_by(&handled);
    assert_eq!(
        after["first"], before["first"],
        "the first handled nothing more"
    );
    assert_eq!(after["second"].len(), 8, "the eight payments: {after:?}");
    let all: Vec<&String> = after.values().flatten().collect();
    let distinct: std::collections::BTreeSet<&String> = all.iter().copied().collect();
    assert_eq!(all.len(), distinct.len(), "no event handled twice");
    assert_eq!(distinct.len(), expected_events(&sandbox).len());
}

/// A watcher process, killed when the test ends (even by a failed assertion).
struct Watcher(std::process::Child);

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
