//! Retries and exactly-once orders under the sandbox's injected faults.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use carbonext_domain::{
    Accounts, Currency, Error, Ledger, NewOrder, OrderQuery, OrderSort, SortDirection, VcuAmount,
    VcuMarket,
};
use carbonext_sandbox::FaultSchedule;
use futures::{StreamExt, TryStreamExt};

fn vcu(text: &str) -> VcuAmount {
    text.parse().expect("a valid amount")
}

#[tokio::test]
async fn reads_are_retried_through_injected_server_errors() {
    let sandbox = common::sandbox().await;
    // Counts on the exact "every n-th request" schedule.
    sandbox.faults().set_schedule(FaultSchedule::Periodic);
    let carbonext = common::connect(&sandbox);
    carbonext.quote(vcu("1"), Currency::Brl).await.unwrap(); // warm the token
    sandbox.faults().fail_share(503, 0.5);
    for _ in 0..10 {
        carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    }
    assert!(
        sandbox.counters().operation("get_price") > 11,
        "no retry happened"
    );
}

#[tokio::test]
async fn throttled_reads_wait_for_retry_after() {
    let sandbox = common::sandbox().await;
    // Counts on the exact "every n-th request" schedule.
    sandbox.faults().set_schedule(FaultSchedule::Periodic);
    let carbonext = common::connect(&sandbox);
    carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    sandbox.faults().rate_limit(0.5, 1);
    let started = std::time::Instant::now();
    for _ in 0..4 {
        carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    }
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was not honoured"
    );
}

#[tokio::test]
async fn two_hundred_orders_with_dropped_answers_are_placed_exactly_once() {
    let sandbox = common::sandbox().await;
    // Counts on the exact "every n-th request" schedule.
    sandbox.faults().set_schedule(FaultSchedule::Periodic);
    let carbonext = common::connect(&sandbox);
    let before = carbonext
        .orders(OrderQuery::new())
        .try_collect::<Vec<_>>()
        .await
        .unwrap()
        .len();
    sandbox.faults().drop_after_commit(0.2);

    let keys: Vec<_> = futures::stream::iter(0..200)
        .map(|i| {
            let carbonext = carbonext.clone();
            async move {
                let order = NewOrder::builder(vcu("0.01"))
                    .meta_data(format!("batch order {i}"))
                    .build()
                    .unwrap();
                let key = order.key().clone();
                let placed = carbonext.place_order(order).await.expect("placed").order;
                assert_eq!(placed.key(), Some(&key));
                key
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    sandbox.faults().clear();

    let orders: Vec<_> = carbonext
        .orders(OrderQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(orders.len(), before + 200, "orders lost or doubled");
    let stored: HashSet<_> = orders.iter().filter_map(|o| o.key().cloned()).collect();
    assert_eq!(stored.len(), 200);
    assert!(keys.iter().all(|k| stored.contains(k)));
    // Every 5th answer was dropped after the commit: each of those 40 orders was found by
    // its key (a lookup) instead of being sent again.
    let counters = sandbox.counters();
    assert_eq!(counters.dropped_answers(), 40, "answers were dropped");
    assert_eq!(counters.operation("create_order"), 200, "none sent twice");
    assert!(counters.operation("list_orders") >= 1, "settled by lookups");
}

#[tokio::test]
async fn an_order_whose_fate_cannot_be_checked_is_reported_with_its_key() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    sandbox.faults().fail_share(503, 1.0);
    let order = NewOrder::builder(vcu("1")).build().unwrap();
    let key = order.key().clone();
    let err = carbonext.place_order(order).await.unwrap_err();
    match err {
        Error::OutcomeUnknown { key: reported, .. } => assert_eq!(reported, key),
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
}

#[tokio::test]
async fn ten_thousand_orders_stream_in_order_with_prefetch() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    futures::stream::iter(1..=10_000u32)
        .map(|i| {
            let carbonext = carbonext.clone();
            async move {
                let amount = VcuAmount::new(rust_decimal::Decimal::new(i64::from(i), 2)).unwrap();
                carbonext
                    .place_order(NewOrder::builder(amount).build().unwrap())
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;

    let streamed: Vec<_> = carbonext
        .clone()
        .with_prefetch(4)
        .orders(
            OrderQuery::new()
                .sort(OrderSort::VcuAmount, SortDirection::Asc)
                .page_size(250),
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(streamed.len(), 10_000);
    assert!(
        streamed
            .windows(2)
            .all(|w| w[0].vcu_amount < w[1].vcu_amount),
        "out of order"
    );
    assert_eq!(sandbox.counters().operation("list_orders"), 40);
}

#[tokio::test]
async fn orders_lost_before_the_server_saw_them_are_sent_again_once_proven_absent() {
    const ORDERS: u64 = 20;
    let sandbox = common::sandbox().await;
    // Counts on the exact "every n-th request" schedule.
    sandbox.faults().set_schedule(FaultSchedule::Periodic);
    let carbonext = common::connect(&sandbox);
    carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    let before = sandbox.counters();
    sandbox.faults().drop_before_handler(0.2);
    for _ in 0..ORDERS {
        let order = NewOrder::builder(vcu("1")).build().unwrap();
        let key = order.key().clone();
        let placed = carbonext.place_order(order).await.expect("placed").order;
        assert_eq!(placed.key(), Some(&key));
    }
    sandbox.faults().clear();
    let counters = sandbox.counters();
    let created = counters.operation("create_order") - before.operation("create_order");
    let lookups = counters.operation("list_orders") - before.operation("list_orders");
    // Every 5th API request was dropped unseen (the placements run one after another, so the
    // share is exact): each dropped creation was looked up once, found absent, and sent again.
    // A lookup comes right after a drop, never five requests later, so none was dropped.
    let dropped = (created + lookups) / 5;
    assert!(dropped >= 4, "the fault fired: {dropped} drops");
    assert_eq!(lookups, dropped, "one lookup per dropped creation");
    assert_eq!(created, ORDERS + dropped, "sent again only after a lookup");

    let orders: Vec<_> = carbonext
        .orders(OrderQuery::new())
        .try_collect()
        .await
        .unwrap();
    let keyed = orders.iter().filter(|o| o.key().is_some()).count();
    assert_eq!(keyed as u64, ORDERS, "orders lost or doubled");
}

#[tokio::test]
async fn timeouts_are_retried_a_bounded_number_of_times() {
    let sandbox = common::sandbox().await;
    let carbonext = common::builder(&sandbox)
        .retry_policy(carbonext_domain::RetryPolicy {
            max_attempts: 3,
            ..common::quick_retries()
        })
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    sandbox.faults().set_latency(Duration::from_millis(1000));
    let err = carbonext.quote(vcu("1"), Currency::Brl).await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(sandbox.counters().operation("get_price"), 1 + 3);

    // A timed-out order may exist: the lookup times out too, so the outcome is unknown.
    let order = NewOrder::builder(vcu("1")).build().unwrap();
    let err = carbonext.place_order(order).await.unwrap_err();
    assert!(matches!(err, Error::OutcomeUnknown { .. }), "{err:?}");
}

/// On a paused tokio clock, the one the time limit runs on: the sandbox's latency (a sleep on
/// that clock) holds each answer for 5 virtual seconds, so only the limit can end the attempts,
/// and the virtual time the call took is exactly what the limit and the backoff allow.
#[tokio::test(start_paused = true)]
async fn the_time_limit_bounds_attempts_on_a_shared_client_and_unrepeated_calls() {
    let sandbox = common::sandbox().await;
    // A client with no timeout of its own: the facade's limit is what ends the attempts.
    let carbonext = common::builder(&sandbox)
        .http_client(reqwest::Client::new())
        .retry_policy(carbonext_domain::RetryPolicy {
            max_attempts: 2,
            ..common::quick_retries()
        })
        .timeout(Duration::from_millis(250))
        .build()
        .unwrap();
    carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    sandbox.faults().set_latency(Duration::from_secs(5));

    let started = tokio::time::Instant::now();
    let err = carbonext.quote(vcu("1"), Currency::Brl).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(err.to_string().contains("250ms"), "{err}");
    assert_eq!(sandbox.counters().operation("get_price"), 1 + 2);
    // Two attempts of 250 ms and at most one backoff between them, in virtual time.
    let limit = Duration::from_millis(2 * 250) + common::quick_retries().max_backoff;
    assert!(
        elapsed >= Duration::from_millis(2 * 250) && elapsed <= limit,
        "{elapsed:?}"
    );

    // Creating a user is never repeated: one attempt, then the time-out error.
    let err = carbonext
        .create_user(carbonext_domain::accounts::NewUser {
            email: "slow@acme.example".into(),
            name: "Slow".into(),
            permissions: vec![],
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("timed out"), "{err}");
    assert_eq!(sandbox.counters().operation("create_user"), 1);
}

#[tokio::test]
async fn a_wrong_secret_is_an_auth_error_that_names_no_secret() {
    let sandbox = common::sandbox().await;
    let carbonext = carbonext_domain::Carbonext::builder()
        .environment(carbonext_domain::Environment::custom(
            sandbox.api_url(),
            sandbox.token_url(),
        ))
        .credentials(carbonext_domain::Credentials::new(
            sandbox.client_id(),
            "not-the-secret-7f3a",
        ))
        .retry_policy(common::quick_retries())
        .build()
        .unwrap();
    let err = carbonext.quote(vcu("1"), Currency::Brl).await.unwrap_err();
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(
        text.contains("invalid client") || text.contains("invalid_client"),
        "{text}"
    );
    assert!(!text.contains("not-the-secret-7f3a"), "{text}");
    assert!(
        !text.contains("authentication failed: authentication failed"),
        "{text}"
    );
    assert_eq!(sandbox.counters().total_api_requests(), 0);
}
