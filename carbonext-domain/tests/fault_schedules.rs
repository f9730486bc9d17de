//! Faults that fire at random, as real ones do: a placement whose creations are dropped or
//! failed half or nine tenths of the time still places exactly one order, given enough
//! attempts, where the periodic "every n-th request" schedule falls into step with the
//! placement's own rhythm (creation, lookup, creation…) and never lets a creation through.

mod common;

use std::time::Duration;

use carbonext_domain::{NewOrder, OrderKey, RetryPolicy, VcuMarket};
use carbonext_sandbox::{FaultSchedule, Sandbox};

#[derive(Clone, Copy, Debug)]
enum Drop {
    AfterCommit,
    BeforeHandler,
    ServerError,
}

fn inject(sandbox: &Sandbox, drop: Drop, share: f64) {
    match drop {
        Drop::AfterCommit => sandbox.faults().drop_after_commit(share),
        Drop::BeforeHandler => sandbox.faults().drop_before_handler(share),
        Drop::ServerError => sandbox.faults().fail_share(503, share),
    }
}

fn patient(max_attempts: u32) -> RetryPolicy {
    RetryPolicy {
        max_attempts,
        initial_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(2),
        max_elapsed: Duration::from_secs(120),
    }
}

fn order_for(shipment: &str) -> NewOrder {
    let key = OrderKey::from_external_id("shipment", shipment).unwrap();
    NewOrder::builder("0.5".parse().unwrap())
        .key(key)
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_drops_of_half_or_nine_tenths_of_creations_still_place_exactly_one_order() {
    for drop in [Drop::AfterCommit, Drop::BeforeHandler, Drop::ServerError] {
        for share in [0.5, 0.9] {
            let sandbox = common::sandbox().await;
            let carbonext = common::builder(&sandbox)
                .retry_policy(patient(400))
                .build()
                .unwrap();
            inject(&sandbox, drop, share);
            let order = order_for(&format!("SHP-{drop:?}-{share}"));
            let key = order.key().clone();
            let placed = carbonext
                .place_order(order)
                .await
                .unwrap_or_else(|e| panic!("{drop:?} at {share}: {e}"));
            sandbox.faults().clear();
            assert_eq!(placed.order.key(), Some(&key));
            assert_eq!(
                sandbox.orders_with_key(key.as_str()).len(),
                1,
                "{drop:?} at {share}: exactly one order"
            );
            assert_eq!(sandbox.orders_snapshot().len(), 1);
        }
    }
}

#[tokio::test]
async fn the_periodic_schedule_livelocks_a_placement_the_random_one_lets_through() {
    let sandbox = common::sandbox().await;
    sandbox.faults().set_schedule(FaultSchedule::Periodic);
    let carbonext = common::builder(&sandbox)
        .retry_policy(patient(20))
        .build()
        .unwrap();
    let order = order_for("SHP-periodic");
    let key = order.key().clone();
    sandbox.faults().fail_share(503, 0.5);
    // Every 2nd request fails: always the creation, never the lookup between two of them.
    let err = carbonext.place_order(order.clone()).await.unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(sandbox.orders_with_key(key.as_str()).is_empty());

    sandbox.faults().set_schedule(FaultSchedule::Seeded(26));
    sandbox.faults().fail_share(503, 0.5);
    carbonext.place_order(order).await.expect("placed");
    assert_eq!(sandbox.orders_with_key(key.as_str()).len(), 1);
}
