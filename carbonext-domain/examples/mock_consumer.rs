//! Testing a service's own code with `MockVcuMarket` (feature `mock`), and running the same
//! code against the embedded sandbox.
//!
//! The service's handler takes `&impl VcuMarket` (a `&dyn VcuMarket` or an
//! `Arc<dyn VcuMarket>` works the same), so its tests give it a mock and assert what it asked
//! for, with no HTTP: the order it places (VCUs, paid with the balance, keyed by the event's
//! id), what it reports for a redelivered event, and that bad input never reaches the market.
//! Then the unchanged handler runs against the sandbox through the `Carbonext` facade: a
//! redelivery finds the order and the sandbox holds exactly one. Each check runs here as
//! `main`; in a service they are `#[tokio::test]`s. It exits non-zero if any fails (a mock
//! whose expectation is not met panics).
//!
//! ```sh
//! cargo run -p carbonext-domain --example mock_consumer --features mock,testing
//! ```

use carbonext_domain::testing::fixtures;
use carbonext_domain::{
    Carbonext, Credentials, Decimal, Environment, Error, MockVcuMarket, NewOrder, OrderKey,
    PlacedOrder, VcuAmount, VcuMarket,
};
use carbonext_sandbox::Sandbox;

/// A "shipment delivered" event from the service's queue.
struct Delivered {
    event_id: &'static str,
    tonnes: Decimal,
}

/// What the handler tells the queue.
#[derive(Debug, PartialEq)]
enum Handled {
    /// This delivery placed the order.
    Ordered(String),
    /// An earlier delivery of the same event placed it.
    AlreadyOrdered(String),
}

/// The service's code: one order per event, paid with the balance, keyed by the event's id.
async fn on_delivered(market: &impl VcuMarket, event: &Delivered) -> Result<Handled, Error> {
    let order = NewOrder::builder(VcuAmount::new(event.tonnes)?)
        .pay_with_balance(true)
        .key(OrderKey::from_external_id("delivery", event.event_id)?)
        .build()?;
    let placed = market.place_order(order).await?;
    let id = placed.order.id.to_string();
    Ok(if placed.already_existed {
        Handled::AlreadyOrdered(id)
    } else {
        Handled::Ordered(id)
    })
}

fn event(event_id: &'static str, tonnes: &str) -> Delivered {
    Delivered {
        event_id,
        tonnes: Decimal::from_str_exact(tonnes).expect("a decimal"),
    }
}

/// The mock expects exactly one placement, of `tonnes` paid with the balance under the key of
/// `event_id`, and answers it with the fixture order.
fn market_expecting(event_id: &'static str, tonnes: &str, already_existed: bool) -> MockVcuMarket {
    let tonnes = Decimal::from_str_exact(tonnes).expect("a decimal");
    let key = OrderKey::from_external_id("delivery", event_id).expect("a valid key");
    let mut market = MockVcuMarket::new();
    market
        .expect_place_order()
        .withf(move |order| {
            order.key() == &key && order.vcu_amount().value() == tonnes && order.pays_with_balance()
        })
        .times(1)
        .returning(move |_| {
            Ok(PlacedOrder {
                already_existed,
                ..fixtures::placed_order()
            })
        });
    market
}

async fn the_handler_places_one_keyed_order_per_event() {
    let market = market_expecting("evt-41", "2.5", false);
    let handled = on_delivered(&market, &event("evt-41", "2.5"))
        .await
        .unwrap();
    assert_eq!(handled, Handled::Ordered(fixtures::order().id.to_string()));
}

async fn a_redelivered_event_is_reported_as_already_ordered() {
    let market = market_expecting("evt-42", "0.75", true);
    let handled = on_delivered(&market, &event("evt-42", "0.75"))
        .await
        .unwrap();
    assert_eq!(
        handled,
        Handled::AlreadyOrdered(fixtures::order().id.to_string())
    );
}

async fn zero_tonnes_never_reach_the_market() {
    let mut market = MockVcuMarket::new();
    market.expect_place_order().never();
    let err = on_delivered(&market, &event("evt-43", "0"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "validation", "{err}");
    assert!(!err.is_retryable());
}

async fn against_the_sandbox_a_redelivery_places_one_order() {
    let sandbox = Sandbox::builder()
        .start()
        .await
        .expect("the sandbox starts");
    let carbonext = Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()
        .expect("the facade builds");
    let delivered = event("evt-44", "1.25");
    let Handled::Ordered(first) = on_delivered(&carbonext, &delivered).await.unwrap() else {
        panic!("the first delivery places the order");
    };
    let again = on_delivered(&carbonext, &delivered).await.unwrap();
    assert_eq!(again, Handled::AlreadyOrdered(first));
    let key = OrderKey::from_external_id("delivery", "evt-44").unwrap();
    assert_eq!(sandbox.orders_with_key(key.as_str()).len(), 1);
}

#[tokio::main]
async fn main() {
    the_handler_places_one_keyed_order_per_event().await;
    println!("ok: the handler places one keyed order per event (mock)");
    a_redelivered_event_is_reported_as_already_ordered().await;
    println!("ok: a redelivered event is reported as already ordered (mock)");
    zero_tonnes_never_reach_the_market().await;
    println!("ok: zero tonnes never reach the market (mock)");
    against_the_sandbox_a_redelivery_places_one_order().await;
    println!("ok: against the sandbox, a redelivery places one order");
}
