//! A key is bound to what it ordered, including what the order does not record (whether it
//! was paid from the balance): the fingerprint beside the key in metaData tells the payment
//! apart, and a marker written without one (before 0.1.0) is still read.

mod common;

use carbonext_api::operations;
use carbonext_domain::{Error, NewOrder, OrderKey, VcuMarket};

fn keyed(key: &str, pay_with_balance: bool) -> NewOrder {
    NewOrder::builder("2".parse().unwrap())
        .pay_with_balance(pay_with_balance)
        .key(OrderKey::new(key).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_same_key_paid_another_way_is_a_conflict_and_nothing_is_sent() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let first = carbonext
        .place_order(keyed("binding_0001", false))
        .await
        .unwrap();
    assert!(!first.already_existed);
    assert_eq!(
        first.order.request_fingerprint.as_deref(),
        Some(keyed("binding_0001", false).fingerprint().as_str())
    );

    let err = carbonext
        .place_order(keyed("binding_0001", true))
        .await
        .unwrap_err();
    match err {
        Error::KeyConflict {
            key,
            existing,
            differing,
        } => {
            assert_eq!(key.as_str(), "binding_0001");
            assert_eq!(existing.id, first.order.id);
            assert_eq!(differing, ["payWithBalance"]);
        }
        other => panic!("expected a key conflict, got {other:?}"),
    }
    // The same payment again: the first order, said so.
    let again = carbonext
        .place_order(keyed("binding_0001", false))
        .await
        .unwrap();
    assert!(again.already_existed);
    assert_eq!(again.order.id, first.order.id);
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 1);
    assert_eq!(sandbox.orders_with_key("binding_0001").len(), 1);
}

#[tokio::test]
async fn a_marker_without_a_fingerprint_is_found_and_compared_on_what_the_order_records() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    // An order placed by an SDK before 0.1.0: the marker alone, through the raw client.
    let legacy = carbonext_api::types::NewOrder {
        vcu_amount: rust_decimal::Decimal::from(2).into(),
        target_currency: None,
        pay_with_balance: None,
        certificate_recipient_info: None,
        meta_data: Some("[cbx-key:binding_legacy]".try_into().unwrap()),
    };
    carbonext
        .raw()
        .create_order()
        .body(legacy)
        .send()
        .await
        .unwrap();

    // Either payment finds it (the payment cannot be compared), another amount does not.
    for pay_with_balance in [true, false] {
        let found = carbonext
            .place_order(keyed("binding_legacy", pay_with_balance))
            .await
            .unwrap();
        assert!(found.already_existed);
        assert_eq!(found.order.request_fingerprint, None);
    }
    let other_amount = NewOrder::builder("3".parse().unwrap())
        .key(OrderKey::new("binding_legacy").unwrap())
        .build()
        .unwrap();
    assert!(matches!(
        carbonext.place_order(other_amount).await,
        Err(Error::KeyConflict { ref differing, .. }) if differing == &["vcuAmount"]
    ));
    assert_eq!(sandbox.counters().operation(operations::CREATE_ORDER.id), 1);
}
