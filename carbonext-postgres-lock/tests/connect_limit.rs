//! The lock's time to connect comes from the facade's `Timeouts` (issue "A facade you can
//! read": one place for time): a database that accepts the TCP connection but never answers
//! ends the placement after `Timeouts::connect`, on tokio's clock, with nothing sent.

use std::time::Duration;

use carbonext_domain::{
    Carbonext, Credentials, Environment, Error, KeyLockError, NewOrder, OrderKey, Timeouts,
    VcuMarket,
};
use carbonext_postgres_lock::PostgresKeyLock;
use carbonext_sandbox::Sandbox;

/// A listener whose connections are accepted by the kernel and never answered.
async fn silent_database() -> (tokio::net::TcpListener, String) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    (
        listener,
        format!("host=127.0.0.1 port={port} user=orders dbname=orders"),
    )
}

async fn placing_with(lock: PostgresKeyLock, connect: Duration) -> (Error, Duration, Sandbox) {
    let sandbox = Sandbox::builder().start().await.unwrap();
    let carbonext = Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .timeouts(Timeouts::default().connect(connect))
        .order_key_lock(lock)
        .build()
        .unwrap();
    let order = NewOrder::builder("1".parse().unwrap())
        .key(OrderKey::new("connect_limit_1").unwrap())
        .build()
        .unwrap();
    let started = tokio::time::Instant::now();
    let err = carbonext.place_order(order).await.unwrap_err();
    (err, started.elapsed(), sandbox)
}

#[tokio::test(start_paused = true)]
async fn a_database_that_never_answers_ends_the_placement_after_the_clients_connect_limit() {
    let (_listener, url) = silent_database().await;
    let lock = PostgresKeyLock::from_url(&url).unwrap().build();
    let (err, waited, sandbox) = placing_with(lock, Duration::from_secs(3)).await;

    match &err {
        Error::KeyLock {
            reason: KeyLockError::Unavailable { message },
            ..
        } => assert!(message.contains("no connection within 3s"), "{message}"),
        other => panic!("expected an unavailable lock, got {other:?}"),
    }
    // On tokio's (paused) clock: the facade's 3 s, not the order key wait (60 s).
    assert!(
        waited >= Duration::from_secs(3) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
    assert_eq!(sandbox.counters().total_api_requests(), 0, "nothing sent");
}

#[tokio::test(start_paused = true)]
async fn a_connect_timeout_in_the_connection_string_wins_over_the_clients() {
    let (_listener, url) = silent_database().await;
    let lock = PostgresKeyLock::from_url(&format!("{url} connect_timeout=1"))
        .unwrap()
        .build();
    let (err, waited, _sandbox) = placing_with(lock, Duration::from_secs(30)).await;

    assert!(
        matches!(
            err,
            Error::KeyLock {
                reason: KeyLockError::Unavailable { .. },
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
}
