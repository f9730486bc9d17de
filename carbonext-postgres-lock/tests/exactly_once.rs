//! Exactly-once placement through PostgreSQL advisory locks, against a throwaway cluster and
//! the sandbox over HTTP: concurrent tasks of one process, two OS processes racing on the same
//! keys (the `place_orders` example, built by `cargo test`), answers dropped after commit, a
//! stopped database, a lost session and a bounded wait. Races and in-flight moments are
//! forced with the sandbox's holds ([`carbonext_sandbox::hold`]), never waited for.

mod common;

use carbonext_domain::VcuMarket;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use carbonext_api::operations;
use carbonext_domain::key_lock::OrderKeyLock;
use carbonext_domain::{Carbonext, Error, KeyLockError, NewOrder, OrderKey};
use carbonext_postgres_lock::PostgresKeyLock;
use carbonext_sandbox::hold::ReleaseCause;
use carbonext_sandbox::Sandbox;
use common::pg::Cluster;

fn lock(cluster: &Cluster) -> PostgresKeyLock {
    PostgresKeyLock::from_url(&cluster.url())
        .expect("the URL parses")
        .build()
}

/// A cluster, a sandbox, and a facade on both.
async fn set_up() -> (Cluster, Sandbox, Carbonext) {
    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    let carbonext = common::builder(&sandbox)
        .order_key_lock(lock(&cluster))
        .build()
        .unwrap();
    (cluster, sandbox, carbonext)
}

fn order(key: &OrderKey) -> NewOrder {
    NewOrder::builder("1".parse().unwrap())
        .key(key.clone())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_tasks_of_one_process_place_one_order_for_one_key() {
    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    let lock = lock(&cluster);
    let carbonext = common::builder(&sandbox)
        .order_key_lock(lock.clone())
        .build()
        .unwrap();
    let key = OrderKey::new("pg_event_000042").unwrap();

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let carbonext = carbonext.clone();
            let order = order(&key);
            tokio::spawn(async move { carbonext.place_order(order).await })
        })
        .collect();
    let mut placed = Vec::new();
    for task in tasks {
        placed.push(task.await.unwrap().expect("every placement succeeds"));
    }

    assert_eq!(sandbox.orders_snapshot().len(), 1);
    assert_eq!(placed.iter().filter(|p| !p.already_existed).count(), 1);
    assert_eq!(placed.iter().filter(|p| p.already_existed).count(), 15);
    let ids: BTreeSet<_> = placed.iter().map(|p| p.order.id).collect();
    assert_eq!(ids.len(), 1, "all report the same order");
    // Same-process placements queue in memory: one session did all the work.
    assert_eq!(lock.idle_sessions(), 1);
}

/// The `place_orders` example, which `cargo test` builds beside the test binaries.
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .map(|profile| profile.join("examples").join("place_orders"))
        .unwrap();
    assert!(
        path.exists(),
        "{} is missing: run the tests with `cargo test -p carbonext-postgres-lock` (which \
         builds the examples), or build it with `cargo build -p carbonext-postgres-lock \
         --example place_orders`",
        path.display()
    );
    path
}

/// Starts a process placing `keys` at once (a key listed several times races with itself).
fn spawn_process(sandbox: &Sandbox, cluster: &Cluster, keys: &[String]) -> std::process::Child {
    Command::new(example())
        .args(keys)
        .env_remove("CARBONEXT_ENV")
        .env("CARBONEXT_API_URL", sandbox.api_url())
        .env("CARBONEXT_AUTH_URL", sandbox.token_url())
        .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
        .env("CARBONEXT_CLIENT_SECRET", sandbox.client_secret())
        .env("CARBONEXT_LOCK_URL", cluster.url())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the example starts")
}

/// Waits for a process and reads its lines: key → statuses.
async fn results(child: std::process::Child) -> Vec<serde_json::Value> {
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "the process failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect()
}

fn status(line: &serde_json::Value) -> &str {
    line["status"].as_str().unwrap()
}

/// Longest a hold lasts; the holds of these tests are released by their count or by the test.
const HOLD_LIMIT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_racing_eight_placements_each_of_one_key_place_one_order() {
    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    // Each process also places a key of its own. A process's lookups share one refresh of its
    // key index at a time, so the sandbox holds the lookups until two wait at once: one of
    // each process, both inside at once, with all their placements started together (the
    // shared key's among them: the other process's can only wait for the key). Without the
    // lock it would look the key up too and place it again (see the CLI's test with the
    // in-process lock only).
    sandbox.holds().hold_order_lists(2, HOLD_LIMIT);
    let shared = "shared_key_000001".to_owned();
    let keys = |own: &str| {
        let mut keys = vec![shared.clone(); 8];
        keys.push(own.to_owned());
        keys
    };

    let first = spawn_process(&sandbox, &cluster, &keys("own_key_first_01"));
    let second = spawn_process(&sandbox, &cluster, &keys("own_key_second_1"));
    let mut lines = results(first).await;
    lines.extend(results(second).await);

    let race = sandbox.holds().report("list_orders").unwrap();
    assert_eq!(
        race.held_together,
        Some(2),
        "both processes raced: {race:?}"
    );
    assert_eq!(race.released_by, Some(ReleaseCause::Count));
    assert_eq!(lines.len(), 18);
    let of_shared: Vec<_> = lines
        .iter()
        .filter(|l| l["key"] == shared.as_str())
        .collect();
    assert_eq!(
        of_shared.iter().filter(|l| status(l) == "placed").count(),
        1
    );
    assert_eq!(
        of_shared.iter().filter(|l| status(l) == "existing").count(),
        15
    );
    let ids: BTreeSet<_> = of_shared
        .iter()
        .map(|l| l["order_id"].to_string())
        .collect();
    assert_eq!(ids.len(), 1, "every placement reports the same order");
    let orders = sandbox.orders_snapshot();
    assert_eq!(orders.len(), 3, "one order per key: {orders:?}");
    // One creation per key; at most one lookup per placement (the first of the shared key's
    // found nothing, the fifteen after it found its order; concurrent lookups of a process
    // share a refresh of its key index).
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 3);
    let lookups = sandbox.counters().operation(operations::LIST_ORDERS.id);
    assert!((2..=18).contains(&lookups), "{lookups}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_over_two_hundred_keys_with_dropped_answers_place_exactly_two_hundred() {
    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    // Every 5th answer, exactly: the counts below rely on it.
    sandbox
        .faults()
        .set_schedule(carbonext_sandbox::FaultSchedule::Periodic);
    sandbox.faults().drop_after_commit(0.2);
    // A process's lookups share one refresh of its key index at a time, so two lookups
    // waiting at once are both processes' at work together.
    sandbox.holds().hold_order_lists(2, HOLD_LIMIT);
    let key = |n: usize| format!("batch_key_{n:05}");
    // 100 keys each of their own, and 100 both race on, from opposite ends.
    let first: Vec<String> = (0..150).map(key).collect();
    let second: Vec<String> = (50..200).rev().map(key).collect();

    let a = spawn_process(&sandbox, &cluster, &first);
    let b = spawn_process(&sandbox, &cluster, &second);
    let mut lines = results(a).await;
    lines.extend(results(b).await);

    assert_eq!(lines.len(), 300);
    let failed: Vec<_> = lines.iter().filter(|l| status(l) == "failed").collect();
    assert!(failed.is_empty(), "no placement fails: {failed:?}");
    let orders = sandbox.orders_snapshot();
    assert_eq!(orders.len(), 200, "none missing, none doubled");
    // Each key is in exactly one order, and exactly one placement reports placing it.
    let mut per_key: BTreeMap<String, usize> = BTreeMap::new();
    for order in &orders {
        let meta = order.meta_data.clone().unwrap_or_default();
        let key = (0..200)
            .map(key)
            .find(|k| meta.contains(k.as_str()))
            .unwrap_or_else(|| panic!("an order without a batch key: {meta:?}"));
        *per_key.entry(key).or_default() += 1;
    }
    assert_eq!(per_key.len(), 200);
    assert!(per_key.values().all(|&n| n == 1));
    let placed: BTreeSet<_> = lines
        .iter()
        .filter(|l| status(l) == "placed")
        .map(|l| l["key"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(placed.len(), 200);
    assert_eq!(lines.iter().filter(|l| status(l) == "placed").count(), 200);
    let race = sandbox.holds().report("list_orders").unwrap();
    assert_eq!(
        race.held_together,
        Some(2),
        "both processes raced: {race:?}"
    );
    assert_eq!(race.released_by, Some(ReleaseCause::Count));
    // Each order was sent once. A fifth of the 200 answers (every 5th) were dropped after the
    // order was stored, and each was settled by a lookup that found it: at most 300 lookups
    // before creating (100 of them finding the other process's order) and 40 settling, fewer
    // where a process's concurrent lookups shared a refresh.
    let counters = sandbox.counters();
    assert_eq!(counters.dropped_answers(), 40, "answers were dropped");
    assert_eq!(counters.operation(operations::CREATE_ORDER.id), 200);
    let lookups = counters.operation(operations::LIST_ORDERS.id);
    assert!((2..=300 + 40).contains(&lookups), "{lookups}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_is_a_typed_error_and_nothing_is_sent() {
    let (cluster, sandbox, carbonext) = set_up().await;
    carbonext
        .place_order(order(&OrderKey::new("before_stop_01").unwrap()))
        .await
        .expect("placed while the database runs");

    cluster.stop();
    let key = OrderKey::new("after_stop_0001").unwrap();
    let err = carbonext.place_order(order(&key)).await.unwrap_err();
    match &err {
        Error::KeyLock {
            key: reported,
            reason: KeyLockError::Unavailable { message },
        } => {
            assert_eq!(reported, &key);
            assert!(message.contains("postgres@127.0.0.1"), "{message}");
        }
        other => panic!("expected the lock to be unavailable, got {other:?}"),
    }
    assert!(err.to_string().contains("nothing was sent"), "{err}");
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 1);
    assert_eq!(sandbox.orders_snapshot().len(), 1);

    // Back up: the pool drops the dead session and opens a new one.
    cluster.run_start();
    let placed = carbonext.place_order(order(&key)).await.unwrap();
    assert!(!placed.already_existed);
    assert_eq!(sandbox.orders_snapshot().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lost_while_holding_the_key_stops_the_placement_before_it_creates() {
    let (cluster, sandbox, carbonext) = set_up().await;
    carbonext.authenticate().await.unwrap();
    // The key lookup is held until the session has been terminated.
    sandbox.holds().hold_order_lists(2, HOLD_LIMIT);
    let key = OrderKey::new("lost_session_01").unwrap();
    let placement = {
        let carbonext = carbonext.clone();
        let order = order(&key);
        tokio::spawn(async move { carbonext.place_order(order).await })
    };
    sandbox.holds().held("list_orders", 1).await.unwrap();
    assert_eq!(
        terminate_lock_sessions(&cluster).await,
        1,
        "the placement's session held the key"
    );
    sandbox.holds().release("list_orders");

    let err = placement.await.unwrap().unwrap_err();
    assert!(
        matches!(
            &err,
            Error::KeyLock {
                reason: KeyLockError::Lost { sent: false, .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 0);
    assert!(sandbox.orders_snapshot().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_another_process_holds_past_the_wait_is_a_time_out_with_nothing_sent() {
    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    // Another process: a lock of its own, with its own sessions.
    let elsewhere = lock(&cluster);
    let key = OrderKey::new("held_by_another").unwrap();
    let held = elsewhere.acquire(&key).await.unwrap();

    let ours = lock(&cluster);
    let carbonext = common::builder(&sandbox)
        .order_key_lock(ours.clone())
        .order_key_wait(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = carbonext.place_order(order(&key)).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::KeyLock {
                reason: KeyLockError::TimedOut { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(sandbox.counters().operation(operations::LIST_ORDERS.id), 0);
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 0);
    // The abandoned wait kept no session (nor lock) of ours.
    assert_eq!(ours.idle_sessions(), 0);

    // Released (even by dropping the guard, which ends its session), the key is ours at once.
    drop(held);
    let placed = tokio::time::timeout(Duration::from_secs(5), carbonext.place_order(order(&key)))
        .await
        .expect("the key is free again")
        .unwrap();
    assert!(!placed.already_existed);
    assert_eq!(
        ours.idle_sessions(),
        1,
        "a finished placement returns its session"
    );
    drop(Arc::new(elsewhere));
}

/// Ends the lock's database sessions (as a restart or a network cut would) and waits until
/// their server processes have exited, so their sockets are closed; returns how many.
async fn terminate_lock_sessions(cluster: &Cluster) -> i64 {
    let (admin, connection) = tokio_postgres::connect(&cluster.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .query_one(
            "select count(pg_terminate_backend(pid, 60000)) from pg_stat_activity \
             where application_name = 'carbonext-order-key-lock'",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lost_while_a_creation_is_in_flight_keeps_the_confirmed_order() {
    let (cluster, sandbox, carbonext) = set_up().await;
    carbonext.authenticate().await.unwrap();
    // The creation is held at the sandbox until the session has been terminated.
    sandbox.holds().hold("create_order", 2, HOLD_LIMIT);
    let key = OrderKey::new("lost_in_flight_01").unwrap();
    let placement = {
        let carbonext = carbonext.clone();
        let order = order(&key);
        tokio::spawn(async move { carbonext.place_order(order).await })
    };
    sandbox.holds().held("create_order", 1).await.unwrap();
    assert_eq!(terminate_lock_sessions(&cluster).await, 1);
    sandbox.holds().release("create_order");

    // The creation was answered: the order is confirmed, and returned as placed.
    let placed = placement.await.unwrap().expect("the confirmed order");
    assert!(!placed.already_existed);
    assert_eq!(placed.order.key(), Some(&key));
    assert_eq!(sandbox.orders_snapshot().len(), 1);
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lost_while_an_unanswered_creation_is_in_flight_is_not_sent_again() {
    let (cluster, sandbox, carbonext) = set_up().await;
    carbonext.authenticate().await.unwrap();
    sandbox.holds().hold("create_order", 2, HOLD_LIMIT);
    let key = OrderKey::new("lost_in_flight_02").unwrap();
    let placement = {
        let carbonext = carbonext.clone();
        let order = order(&key);
        tokio::spawn(async move { carbonext.place_order(order).await })
    };
    // During the creation: the session ends, and the creation will be answered 503 (not
    // processed: faults apply when a held request is let go).
    sandbox.holds().held("create_order", 1).await.unwrap();
    sandbox.faults().fail_share(503, 1.0);
    assert_eq!(terminate_lock_sessions(&cluster).await, 1);
    sandbox.holds().hold_order_lists(2, HOLD_LIMIT);
    sandbox.holds().release("create_order");
    // The lookup after it is answered normally and finds nothing.
    sandbox.holds().held("list_orders", 1).await.unwrap();
    sandbox.faults().fail_share(503, 0.0);
    sandbox.holds().release("list_orders");

    // Another process may hold the key now: the placement stops instead of sending again, and
    // says that an order may exist.
    let err = placement.await.unwrap().unwrap_err();
    assert!(
        matches!(
            &err,
            Error::KeyLock {
                reason: KeyLockError::Lost { sent: true, .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("look it up by its key"), "{err}");
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 1);
    // The lookup before creating and the one after the 503.
    assert_eq!(sandbox.counters().operation(operations::LIST_ORDERS.id), 2);
    assert!(sandbox.orders_snapshot().is_empty());
}
