//! An order placed exactly once, keyed by the id of the event that asked for it.
//!
//! A service placing orders from a queue can receive an event twice (a redelivery after a
//! crash, a retry after a time-out). The order's key is made from the event's own id with
//! `OrderKey::from_external_id`, so the second delivery finds the order the first one placed
//! instead of placing another. This example starts the embedded sandbox, places the order of
//! an event, then handles the same event again: the second placement reports
//! `already_existed == true` with the same order, and the sandbox holds one order under the
//! key, created by one request. It exits non-zero otherwise.
//!
//! ```sh
//! cargo run -p carbonext-domain --example order_with_key
//! ```

use carbonext_domain::{
    Carbonext, Credentials, Environment, NewOrder, OrderKey, PlacedOrder, VcuAmount, VcuMarket,
};
use carbonext_sandbox::Sandbox;

/// What the service does with one "emissions reported" event from its queue.
async fn on_emissions_reported(
    market: &impl VcuMarket,
    event_id: &str,
    tonnes: VcuAmount,
) -> carbonext_domain::Result<PlacedOrder> {
    // Any text is a valid id (`evt-…` is hashed into the key); the namespace tells the
    // service's kinds of ids apart.
    let key = OrderKey::from_external_id("event", event_id)?;
    let order = NewOrder::builder(tonnes)
        .pay_with_balance(true)
        .key(key)
        .meta_data(format!("emissions reported by {event_id}"))
        .build()?;
    market.place_order(order).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::builder().start().await?;
    let carbonext = Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()?;

    let event_id = "evt-2026-03-000123";
    let tonnes: VcuAmount = "2.5".parse()?;

    let first = on_emissions_reported(&carbonext, event_id, tonnes).await?;
    let key = first
        .order
        .key()
        .expect("the order carries its key")
        .clone();
    println!(
        "first delivery:  order {} of {} VCU, key {key}, already existed: {}",
        first.order.id, first.order.vcu_amount, first.already_existed
    );
    assert!(
        !first.already_existed,
        "the first delivery places the order"
    );
    assert_eq!(key, OrderKey::from_external_id("event", event_id)?);

    // The queue delivers the same event again.
    let again = on_emissions_reported(&carbonext, event_id, tonnes).await?;
    println!(
        "second delivery: order {} of {} VCU, already existed: {}",
        again.order.id, again.order.vcu_amount, again.already_existed
    );
    assert!(again.already_existed, "the redelivery finds the order");
    assert_eq!(
        again.order.id, first.order.id,
        "the same order, not a second one"
    );

    let orders = sandbox.orders_with_key(key.as_str());
    let creations = sandbox.counters().operation("create_order");
    println!(
        "orders under the key: {}, creation requests: {creations}",
        orders.len()
    );
    assert_eq!(orders.len(), 1, "one order under the key");
    assert_eq!(creations, 1, "one creation request in all");
    println!("ok: the event was handled twice and one order exists");
    Ok(())
}
