//! `carbonext orders create --key … --lock-url …`: placements in separate processes share a
//! PostgreSQL advisory lock per key (a throwaway cluster of the test's own), and a database
//! that is down stops the placement with exit code 7 before anything is sent.

mod common;
#[path = "../../carbonext-postgres-lock/tests/common/pg.rs"]
mod pg;

use std::process::Output;
use std::time::Duration;

use pg::Cluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_processes_placing_one_key_through_the_lock_place_one_order() {
    let cluster = Cluster::start();
    let sandbox = common::sandbox().await;
    // Slow answers, so that the processes' lookups overlap whatever their start-up times.
    sandbox.faults().set_latency(Duration::from_millis(150));
    let url = cluster.url();
    let children: Vec<_> = (0..8)
        .map(|_| {
            let mut command = common::carbonext(&sandbox);
            command
                .env("CARBONEXT_LOCK_URL", &url)
                .args(["orders", "create", "--vcu", "1", "--key", "cli_shared_0001"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the binary starts")
        })
        .collect();
    let outputs: Vec<Output> = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect()
    })
    .await
    .unwrap();

    for output in &outputs {
        common::assert_code(output, 0);
    }
    let existing = outputs
        .iter()
        .filter(|o| common::stderr(o).contains("already exists: not placing it again"))
        .count();
    assert_eq!(existing, 7, "seven found the order the eighth placed");
    assert_eq!(sandbox.orders_snapshot().len(), 1);
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
