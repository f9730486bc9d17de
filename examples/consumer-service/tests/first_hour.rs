//! The README's "Testing your service", compiled: a mock test, a sandbox test, a snapshot
//! test and a fault test of the service's event handler.

use std::sync::Arc;

use carbonext_domain::testing::{fixtures, redacted};
use carbonext_domain::{Carbonext, Credentials, Environment, MockVcuMarket, OrderKey, VcuMarket};
use carbonext_sandbox::Sandbox;
use consumer_service::on_shipment_delivered;

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .deterministic(true)
        .start()
        .await
        .unwrap()
}

fn connect(sandbox: &Sandbox) -> Arc<dyn VcuMarket> {
    let carbonext = Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()
        .unwrap();
    Arc::new(carbonext)
}

// Mock: what the handler asked the market for, no HTTP.
#[tokio::test]
async fn the_handler_orders_once_under_the_shipment_s_key() {
    let mut market = MockVcuMarket::new();
    market
        .expect_place_order()
        .withf(|order| {
            order.key() == &OrderKey::from_external_id("shipment", "SHP-1").unwrap()
                && order.pays_with_balance()
        })
        .times(1)
        .returning(|_| Ok(fixtures::placed_order()));
    let market: Arc<dyn VcuMarket> = Arc::new(market);
    on_shipment_delivered(&market, "SHP-1", "0.02".parse().unwrap())
        .await
        .unwrap();
}

// Sandbox: a redelivered event finds the order its first delivery placed.
#[tokio::test]
async fn a_redelivered_event_places_one_order() {
    let sandbox = sandbox().await;
    let market = connect(&sandbox);
    for _ in 0..2 {
        on_shipment_delivered(&market, "SHP-1", "2".parse().unwrap())
            .await
            .unwrap();
    }
    let key = OrderKey::from_external_id("shipment", "SHP-1").unwrap();
    assert_eq!(sandbox.orders_with_key(key.as_str()).len(), 1);
}

// Snapshot: `cargo insta review` accepts a change; `INSTA_UPDATE=no` in CI refuses one.
#[tokio::test]
async fn the_receipt_snapshots_with_ids_redacted() {
    let sandbox = sandbox().await;
    let receipt = on_shipment_delivered(&connect(&sandbox), "SHP-2", "3".parse().unwrap())
        .await
        .unwrap();
    insta::assert_json_snapshot!("receipt", redacted(&receipt));
}

// Faults: half the creations' answers lost, at random (seeded): still one order.
#[tokio::test]
async fn lost_answers_still_place_exactly_one_order() {
    let sandbox = Sandbox::builder().fault_seed(26).start().await.unwrap();
    sandbox.faults().drop_after_commit(0.5);
    let market = connect(&sandbox);
    for shipment in ["SHP-3", "SHP-4", "SHP-5", "SHP-6"] {
        on_shipment_delivered(&market, shipment, "1".parse().unwrap())
            .await
            .unwrap();
        let key = OrderKey::from_external_id("shipment", shipment).unwrap();
        assert_eq!(sandbox.orders_with_key(key.as_str()).len(), 1, "{shipment}");
    }
}
