//! Exactly-once placement when the same caller-given key arrives several times at once in one
//! process (a queue delivering one event to several tasks), against the sandbox over HTTP.

mod common;

use carbonext_domain::VcuMarket;
use std::sync::Arc;
use std::time::Duration;

use carbonext_api::operations;
use carbonext_domain::key_lock::{HeldKey, InProcessKeyLock, KeyGuard, OrderKeyLock};
use carbonext_domain::{Error, KeyLockError, NewOrder, OrderKey};

/// An order of 1 VCU under the caller-given `key`.
fn keyed(key: &OrderKey) -> NewOrder {
    NewOrder::builder("1".parse().unwrap())
        .key(key.clone())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_concurrent_placements_of_one_key_place_one_order() {
    let sandbox = common::sandbox().await;
    let carbonext = Arc::new(common::connect(&sandbox));
    let key = OrderKey::new("event_0000000042").unwrap();
    let order = NewOrder::builder("1.5".parse().unwrap())
        .key(key.clone())
        .pay_with_balance(true)
        .build()
        .unwrap();

    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let carbonext = Arc::clone(&carbonext);
            let order = order.clone();
            tokio::spawn(async move { carbonext.place_order(order).await })
        })
        .collect();
    let mut placed = Vec::new();
    for task in tasks {
        placed.push(task.await.unwrap().expect("every placement succeeds"));
    }

    let orders = sandbox.orders_snapshot();
    assert_eq!(orders.len(), 1, "one order for one key: {orders:?}");
    let new: Vec<_> = placed.iter().filter(|p| !p.already_existed).collect();
    assert_eq!(new.len(), 1, "exactly one placement placed it");
    assert_eq!(placed.iter().filter(|p| p.already_existed).count(), 15);
    assert!(
        placed.iter().all(|p| p.order.id == new[0].order.id),
        "all report the same order"
    );
    assert_eq!(new[0].order.key(), Some(&key));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_placements_of_distinct_keys_each_place_their_order() {
    let sandbox = common::sandbox().await;
    let carbonext = Arc::new(common::connect(&sandbox));
    let tasks: Vec<_> = (0..16)
        .map(|n| {
            let carbonext = Arc::clone(&carbonext);
            tokio::spawn(async move {
                let key = OrderKey::new(format!("distinct_{n:04}")).unwrap();
                carbonext.place_order(keyed(&key)).await
            })
        })
        .collect();
    for task in tasks {
        let placed = task.await.unwrap().expect("placed");
        assert!(!placed.already_existed);
    }
    assert_eq!(sandbox.orders_snapshot().len(), 16);
}

#[tokio::test]
async fn a_key_held_longer_than_the_wait_ends_the_placement_with_nothing_sent() {
    let sandbox = common::sandbox().await;
    let lock = InProcessKeyLock::default();
    let carbonext = common::builder(&sandbox)
        .order_key_lock(lock.clone())
        .order_key_wait(Duration::from_millis(100))
        .build()
        .unwrap();
    let key = OrderKey::new("held_elsewhere_01").unwrap();
    // Another placement of the key is in progress.
    let _other = lock.acquire(&key).await.unwrap();

    let order = keyed(&key);
    let err = carbonext.place_order(order).await.unwrap_err();
    match &err {
        Error::KeyLock {
            key: reported,
            reason: KeyLockError::TimedOut { waited },
        } => {
            assert_eq!(reported, &key);
            assert_eq!(*waited, Duration::from_millis(100));
        }
        other => panic!("expected a lock time-out, got {other:?}"),
    }
    assert_eq!(err.kind(), "key_lock");
    assert!(err.to_string().contains("nothing was sent"), "{err}");
    assert_eq!(sandbox.counters().operation(operations::LIST_ORDERS.id), 0);
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 0);
    assert!(sandbox.orders_snapshot().is_empty());
}

/// A lock whose hold is lost as soon as it is taken (a database session that closed).
#[derive(Debug)]
struct LosesItsHold;

struct Lost;

impl HeldKey for Lost {
    fn is_held(&self) -> Result<(), String> {
        Err("the session closed".to_owned())
    }
}

#[async_trait::async_trait]
impl OrderKeyLock for LosesItsHold {
    async fn acquire(&self, _key: &OrderKey) -> carbonext_domain::Result<KeyGuard> {
        Ok(KeyGuard::new(Lost))
    }
}

#[tokio::test]
async fn a_lock_lost_before_creation_stops_the_placement_before_it_sends() {
    let sandbox = common::sandbox().await;
    let carbonext = common::builder(&sandbox)
        .order_key_lock(LosesItsHold)
        .build()
        .unwrap();
    let key = OrderKey::new("lost_lock_00001").unwrap();
    let order = keyed(&key);
    let err = carbonext.place_order(order).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::KeyLock { reason: KeyLockError::Lost { sent: false, message }, .. }
                if message == "the session closed"
        ),
        "{err:?}"
    );
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 0);
    assert!(sandbox.orders_snapshot().is_empty());

    // A placement without a caller-given key takes no lock and is not stopped by it.
    let unkeyed = NewOrder::builder("1".parse().unwrap()).build().unwrap();
    carbonext.place_order(unkeyed).await.unwrap();
    assert_eq!(sandbox.orders_snapshot().len(), 1);
}

#[tokio::test]
async fn a_key_found_only_past_the_first_page_of_matches_is_not_placed_again() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let key = OrderKey::new("shipment_1").unwrap();
    let first = carbonext.place_order(keyed(&key)).await.unwrap();
    // 120 newer orders whose keys contain it: a `like` lookup matches them all, newest first.
    for n in 0..120 {
        let other = OrderKey::new(format!("shipment_1{n:03}")).unwrap();
        let order = keyed(&other);
        carbonext.place_order(order).await.unwrap();
    }
    let again = carbonext.place_order(keyed(&key)).await.unwrap();
    assert!(again.already_existed, "found past the first page");
    assert_eq!(again.order.id, first.order.id);
    assert_eq!(sandbox.orders_snapshot().len(), 121);
}
