//! `carbonext orders create --key … --lock-url …`: placements in separate processes share a
//! PostgreSQL advisory lock per key (a throwaway cluster of the test's own), and a database
//! that is down stops the placement with exit code 7 before anything is sent. The processes
//! are made to race by the sandbox's holds, and a control shows that without the shared lock
//! the same race places the order more than once.

mod common;
#[path = "../../carbonext-postgres-lock/tests/common/pg.rs"]
mod pg;

use std::process::Output;
use std::time::Duration;

use carbonext_sandbox::hold::ReleaseCause;
use carbonext_sandbox::Sandbox;
use pg::Cluster;

/// Longest a hold lasts; the holds of these tests are released by their count.
const HOLD_LIMIT: Duration = Duration::from_secs(120);

/// How long the locked race's first lookup waits for a second one to join it.
const LOOKUP_WINDOW: Duration = Duration::from_secs(3);

/// Runs `processes` placements of `key` at once, each `carbonext orders create` process
/// locking through `lock_url` when given (else only in its own memory). The sandbox holds the
/// processes' token requests until all have arrived: every process starts its placement at
/// the same moment.
async fn race(
    sandbox: &Sandbox,
    processes: usize,
    key: &str,
    lock_url: Option<&str>,
) -> Vec<Output> {
    sandbox
        .holds()
        .hold("request_token", processes, HOLD_LIMIT)
        .expect("a known operation");
    let children: Vec<_> = (0..processes)
        .map(|_| {
            let mut command = common::carbonext(sandbox);
            if let Some(url) = lock_url {
                command.env("CARBONEXT_LOCK_URL", url);
            }
            command
                .args(["orders", "create", "--vcu", "1", "--key", key])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect()
    })
    .await
    .unwrap();
    let start = sandbox.holds().report("request_token").unwrap();
    assert_eq!(
        start.held_together,
        Some(processes),
        "every process started at once: {start:?}"
    );
    assert_eq!(start.released_by, Some(ReleaseCause::Count));
    outputs
}

fn already_existed(outputs: &[Output]) -> usize {
    outputs
        .iter()
        .filter(|o| common::stderr(o).contains("already exists: not placing it again"))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_placing_one_key_through_the_lock_place_one_order() {
    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    // The first lookup is held until a second one arrives, for at most LOOKUP_WINDOW: the
    // processes start together, so without a working lock a second process's lookup arrives
    // within it, both find nothing and both create (the control below shows the duplicates).
    // With the lock, no other lookup can come while the first process holds the key: the
    // window runs out with one lookup inside it.
    sandbox.holds().hold_order_lists(2, LOOKUP_WINDOW);
    let outputs = race(&sandbox, 8, "cli_shared_0001", Some(&cluster.url())).await;

    let lookups = sandbox.holds().report("list_orders").unwrap();
    assert_eq!(lookups.held_together, Some(1), "{lookups:?}");
    assert_eq!(lookups.released_by, Some(ReleaseCause::Deadline));
    for output in &outputs {
        common::assert_code(output, 0);
    }
    assert_eq!(
        already_existed(&outputs),
        7,
        "seven found the order the eighth placed"
    );
    assert_eq!(sandbox.orders_snapshot().len(), 1);
    // Each process looked the key up once, in turn: the first found nothing and created.
    assert_eq!(sandbox.counters().operation("list_orders"), 8);
    assert_eq!(sandbox.counters().operation("create_order"), 1);
}

/// The control of the test above: the same race with only each process's in-process lock.
/// Held until they all wait, the processes' lookups all find nothing, and each places the
/// order — what the lock above prevents, so that test would fail if its lock did not work.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_placing_one_key_without_a_shared_lock_place_it_more_than_once() {
    let sandbox = common::sandbox().await;
    sandbox.holds().hold_order_lists(8, HOLD_LIMIT);
    // The creations too: none is handled before all eight have arrived, so no lookup can see
    // another process's order however the machine schedules the handlers.
    sandbox
        .holds()
        .hold("create_order", 8, HOLD_LIMIT)
        .expect("a known operation");
    let outputs = race(&sandbox, 8, "cli_unlocked_001", None).await;

    for output in &outputs {
        common::assert_code(output, 0);
    }
    let lookups = sandbox.holds().report("list_orders").unwrap();
    assert_eq!(lookups.held_together, Some(8), "{lookups:?}");
    let creations = sandbox.holds().report("create_order").unwrap();
    assert_eq!(creations.held_together, Some(8), "{creations:?}");
    assert_eq!(already_existed(&outputs), 0);
    let orders = sandbox.orders_snapshot();
    assert!(orders.len() > 1, "the race placed duplicates: {orders:?}");
    assert_eq!(orders.len(), 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_database_is_exit_code_7_with_nothing_sent_and_no_password_shown() {
    let cluster = Cluster::start();
    cluster.stop();
    let sandbox = common::sandbox().await;
    // Trust authentication ignores the password; it must not be echoed anywhere.
    let url = cluster
        .url()
        .replace("postgres@", "postgres:hunter2-not-shown@");
    let output = common::run(
        common::carbonext(&sandbox),
        &[
            "--lock-url",
            &url,
            "orders",
            "create",
            "--vcu",
            "1",
            "--key",
            "cli_db_down_001",
        ],
    );
    common::assert_code(&output, 7);
    let stderr = common::stderr(&output);
    assert!(stderr.contains("order key lock is unavailable"), "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(
        stderr.contains("--lock-url"),
        "the hint names the flag: {stderr}"
    );
    let shown = format!("{stderr}{}", common::stdout(&output));
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(sandbox.orders_snapshot().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_url_that_does_not_parse_is_a_usage_error_that_does_not_echo_it() {
    let sandbox = common::sandbox().await;
    let output = common::run(
        common::carbonext(&sandbox),
        &[
            "--lock-url",
            "postgres://u:hunter2@host:notaport/db",
            "orders",
            "create",
            "--vcu",
            "1",
            "--key",
            "cli_bad_url_001",
        ],
    );
    common::assert_code(&output, 2);
    let stderr = common::stderr(&output);
    assert!(stderr.contains("does not parse"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(sandbox.orders_snapshot().is_empty());
}
