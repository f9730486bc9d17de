//! Proves that `OffsetService::offset` is safe to retry: the same request id sent twice (a
//! caller retrying after a time-out) places one order against the sandbox, and the retry
//! answers with that order.

use std::sync::Arc;

use carbonext_domain::{Carbonext, Credentials, Environment, OrderKey};
use carbonext_sandbox::Sandbox;
use consumer_service::OffsetService;

#[tokio::test]
async fn the_same_request_sent_twice_places_one_order() {
    let sandbox = Sandbox::builder()
        .deterministic(true)
        .start()
        .await
        .expect("the sandbox starts on 127.0.0.1");
    let carbonext = Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()
        .expect("the facade builds");
    let service = OffsetService::new(Arc::new(carbonext));

    let first = service
        .offset("req-2026-0001", "2.5".parse().unwrap(), "fleet, april")
        .await
        .unwrap();
    let retry = service
        .offset("req-2026-0001", "2.5".parse().unwrap(), "fleet, april")
        .await
        .unwrap();

    assert_eq!(retry, first, "the retry answers with the first order");
    let key = OrderKey::from_external_id("request", "req-2026-0001").unwrap();
    assert_eq!(sandbox.orders_with_key(key.as_str()).len(), 1);
    assert_eq!(sandbox.counters().operation("create_order"), 1);
}
