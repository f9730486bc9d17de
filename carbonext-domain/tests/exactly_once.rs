//! Exactly-once placement when the same caller-given key arrives several times at once in one
//! process (a queue delivering one event to several tasks), against the sandbox over HTTP.

mod common;

use std::sync::Arc;

use carbonext_domain::{NewOrder, OrderKey};

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
            tokio::spawn(async move { carbonext.place_order_once(order).await })
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
                let order = NewOrder::builder("1".parse().unwrap())
                    .key(OrderKey::new(format!("distinct_{n:04}")).unwrap())
                    .build()
                    .unwrap();
                carbonext.place_order_once(order).await
            })
        })
        .collect();
    for task in tasks {
        let placed = task.await.unwrap().expect("placed");
        assert!(!placed.already_existed);
    }
    assert_eq!(sandbox.orders_snapshot().len(), 16);
}
