//! Exactly-once placement through PostgreSQL advisory locks, against a throwaway cluster and
//! the sandbox over HTTP: concurrent tasks of one process, two OS processes racing on the same
//! keys (the `place_orders` example, built by `cargo test`), answers dropped after commit, a
//! stopped database, a lost session and a bounded wait.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use carbonext_api::operations;
use carbonext_domain::key_lock::OrderKeyLock;
use carbonext_domain::{Carbonext, Error, KeyLockError, NewOrder, OrderKey};
use carbonext_postgres_lock::PostgresKeyLock;
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
            tokio::spawn(async move { carbonext.place_order_once(order).await })
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_racing_eight_placements_each_of_one_key_place_one_order() {
    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    // Slow answers, so that the two processes' lookups overlap whatever their start-up times.
    sandbox.faults().set_latency(Duration::from_millis(200));
    let keys = vec!["shared_key_000001".to_owned(); 8];

    let first = spawn_process(&sandbox, &cluster, &keys);
    let second = spawn_process(&sandbox, &cluster, &keys);
    let mut lines = results(first).await;
    lines.extend(results(second).await);

    assert_eq!(lines.len(), 16);
    let orders = sandbox.orders_snapshot();
    assert_eq!(orders.len(), 1, "one order for one key: {orders:?}");
    assert_eq!(lines.iter().filter(|l| status(l) == "placed").count(), 1);
    assert_eq!(lines.iter().filter(|l| status(l) == "existing").count(), 15);
    let ids: BTreeSet<_> = lines.iter().map(|l| l["order_id"].to_string()).collect();
    assert_eq!(ids.len(), 1, "every placement reports the same order");
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_over_two_hundred_keys_with_dropped_answers_place_exactly_two_hundred() {
    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    sandbox.faults().drop_after_commit(0.2);
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
    assert!(
        sandbox.counters().operation(operations::CREATE_ORDER.id) >= 200,
        "answers were dropped and settled"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_is_a_typed_error_and_nothing_is_sent() {
    let (cluster, sandbox, carbonext) = set_up().await;
    carbonext
        .place_order_once(order(&OrderKey::new("before_stop_01").unwrap()))
        .await
        .expect("placed while the database runs");

    cluster.stop();
    let key = OrderKey::new("after_stop_0001").unwrap();
    let err = carbonext.place_order_once(order(&key)).await.unwrap_err();
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
    let placed = carbonext.place_order_once(order(&key)).await.unwrap();
    assert!(!placed.already_existed);
    assert_eq!(sandbox.orders_snapshot().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lost_while_holding_the_key_stops_the_placement_before_it_creates() {
    let (cluster, sandbox, carbonext) = set_up().await;
    carbonext.authenticate().await.unwrap();
    // The key lookup takes 400 ms; the session is terminated meanwhile.
    sandbox.faults().set_latency(Duration::from_millis(400));
    let key = OrderKey::new("lost_session_01").unwrap();
    let placement = {
        let carbonext = carbonext.clone();
        let order = order(&key);
        tokio::spawn(async move { carbonext.place_order_once(order).await })
    };
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(
        terminate_lock_sessions(&cluster).await,
        1,
        "the placement's session held the key"
    );

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
    let err = carbonext.place_order_once(order(&key)).await.unwrap_err();
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
    let placed = tokio::time::timeout(
        Duration::from_secs(5),
        carbonext.place_order_once(order(&key)),
    )
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

/// Ends the lock's database sessions (as a restart or a network cut would); returns how many.
async fn terminate_lock_sessions(cluster: &Cluster) -> i64 {
    let (admin, connection) = tokio_postgres::connect(&cluster.url(), tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    admin
        .query_one(
            "select count(pg_terminate_backend(pid)) from pg_stat_activity \
             where application_name = 'carbonext-order-key-lock'",
            &[],
        )
        .await
        .unwrap()
        .get::<_, i64>(0)
}

/// Every request takes 600 ms: the key lookup runs from 0 to 600 ms, the creation from 600 to
/// 1,200 ms, a lookup after it from 1,200 to 1,800 ms.
const SLOW: Duration = Duration::from_millis(600);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lost_while_a_creation_is_in_flight_keeps_the_confirmed_order() {
    let (cluster, sandbox, carbonext) = set_up().await;
    carbonext.authenticate().await.unwrap();
    sandbox.faults().set_latency(SLOW);
    let key = OrderKey::new("lost_in_flight_01").unwrap();
    let placement = {
        let carbonext = carbonext.clone();
        let order = order(&key);
        tokio::spawn(async move { carbonext.place_order_once(order).await })
    };
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(terminate_lock_sessions(&cluster).await, 1);

    // The creation was answered: the order is confirmed, and returned as placed.
    let placed = placement.await.unwrap().expect("the confirmed order");
    assert!(!placed.already_existed);
    assert_eq!(placed.order.key(), Some(&key));
    assert_eq!(sandbox.orders_snapshot().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_lost_while_an_unanswered_creation_is_in_flight_is_not_sent_again() {
    let (cluster, sandbox, carbonext) = set_up().await;
    carbonext.authenticate().await.unwrap();
    sandbox.faults().set_latency(SLOW);
    let key = OrderKey::new("lost_in_flight_02").unwrap();
    let placement = {
        let carbonext = carbonext.clone();
        let order = order(&key);
        tokio::spawn(async move { carbonext.place_order_once(order).await })
    };
    // During the creation: the session ends, and the creation will be answered 503 (not
    // processed); the lookup after it is answered normally and finds nothing.
    tokio::time::sleep(Duration::from_millis(900)).await;
    sandbox.faults().fail_share(503, 1.0);
    assert_eq!(terminate_lock_sessions(&cluster).await, 1);
    tokio::time::sleep(Duration::from_millis(600)).await;
    sandbox.faults().fail_share(503, 0.0);

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
    assert!(sandbox.orders_snapshot().is_empty());
}
