//! How a consumer tests its own code with the `mock` feature: a small "offset my emissions"
//! service function, tested against `MockVcuMarket` and `MockLedger`, and a "how much did this
//! shipment emit" one against `MockCalculator`, with no HTTP at all.

use std::sync::{Arc, Mutex};

use carbonext_domain::calculator::{Emission, Route, TransportId};
use carbonext_domain::testing::fixtures;
use carbonext_domain::{
    Calculator, Currency, Decimal, Error, Ledger, MockCalculator, MockLedger, MockVcuMarket,
    NewOrder, Order, ValidationError, VcuAmount, VcuMarket,
};

/// What a consumer service might write: neutralise `tonnes` of CO2, paying from the balance
/// when it covers the amount, postpaid otherwise.
async fn offset_emissions(
    market: Arc<dyn VcuMarket>,
    ledger: Arc<dyn Ledger>,
    tonnes: Decimal,
    note: &str,
) -> Result<Order, Error> {
    let amount = VcuAmount::new(tonnes)?;
    let balance = ledger.balance(None).await?;
    let covered = balance
        .currency(&Currency::Brl)
        .is_some_and(|b| b.balance >= amount.value());
    let order = NewOrder::builder(amount)
        .currency(Currency::Brl)
        .pay_with_balance(covered)
        .meta_data(note)
        .build()?;
    market.place_order(order).await.map(|placed| placed.order)
}

/// Runs `offset_emissions` for `tonnes` against a ledger holding the fixture balance
/// (15.997878 VCU in BRL), and returns the one order it asked the market to place.
async fn order_placed_for(tonnes: &str, note: &str) -> NewOrder {
    let mut ledger = MockLedger::new();
    ledger
        .expect_balance()
        .withf(|period| period.is_none())
        .times(1)
        .returning(|_| Ok(fixtures::balance()));
    let placed = Arc::new(Mutex::new(Vec::new()));
    let mut market = MockVcuMarket::new();
    market.expect_place_order().times(1).returning({
        let placed = placed.clone();
        move |order| {
            placed.lock().unwrap().push(order);
            Ok(fixtures::placed_order())
        }
    });
    offset_emissions(
        Arc::new(market),
        Arc::new(ledger),
        tonnes.parse().unwrap(),
        note,
    )
    .await
    .expect("the order is placed");
    let mut placed = placed.lock().unwrap();
    assert_eq!(placed.len(), 1);
    placed.remove(0)
}

#[tokio::test]
async fn offset_pays_with_balance_when_the_balance_covers_it() {
    let order = order_placed_for("3", "fleet, march").await;
    assert!(order.pays_with_balance());
    assert_eq!(order.vcu_amount().to_string(), "3");
    assert_eq!(order.currency(), &Currency::Brl);
    assert_eq!(order.meta_data(), Some("fleet, march"));
    // The whole balance is enough.
    let order = order_placed_for("15.997878", "all of it").await;
    assert!(order.pays_with_balance());
    assert_eq!(order.vcu_amount().to_string(), "15.997878");
}

#[tokio::test]
async fn offset_goes_postpaid_when_the_balance_is_short() {
    let order = order_placed_for("20", "q1").await;
    assert!(!order.pays_with_balance());
    assert_eq!(order.vcu_amount().to_string(), "20");
    assert_eq!(order.currency(), &Currency::Brl);
    assert_eq!(order.meta_data(), Some("q1"));
    // A millionth of a VCU short is short.
    let order = order_placed_for("15.997879", "q1").await;
    assert!(!order.pays_with_balance());
}

#[tokio::test]
async fn offset_refuses_a_zero_amount_without_calling_anything() {
    // No expectations: any call on these mocks would panic the test.
    let market = MockVcuMarket::new();
    let ledger = MockLedger::new();
    let err = offset_emissions(Arc::new(market), Arc::new(ledger), Decimal::ZERO, "none")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Validation(ValidationError::NonPositiveAmount { .. })
        ),
        "{err:?}"
    );
}

/// What a consumer service might write: the emissions of a truck shipment of `kilograms`
/// between two ZIP codes typed by a person.
async fn shipment_emissions(
    calculator: Arc<dyn Calculator>,
    from: &str,
    to: &str,
    kilograms: Decimal,
) -> Result<Emission, Error> {
    let route = Route::from_codes(from, to)?;
    let grams = kilograms * Decimal::from(1000);
    calculator
        .emissions_by_route(TransportId::CARGO_TRUCK, route, grams)
        .await
}

#[tokio::test]
async fn a_shipment_is_calculated_on_the_normalised_road_route() {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let mut calculator = MockCalculator::new();
    calculator.expect_emissions_by_route().times(1).returning({
        let asked = asked.clone();
        move |transport, route, units| {
            asked.lock().unwrap().push((transport, route, units));
            Ok(Emission {
                emission: "0.2732945985".parse().unwrap(),
                unit: Some("tCO2eq".into()),
            })
        }
    });

    shipment_emissions(
        Arc::new(calculator),
        "01310-100",
        "20040-020",
        "1.5".parse().unwrap(),
    )
    .await
    .expect("an emission");

    // What the consumer asked: a cargo truck, the ZIP codes without their dashes as a road
    // route, and the kilograms as grams.
    let asked = asked.lock().unwrap();
    assert_eq!(asked.len(), 1);
    let (transport, route, units) = &asked[0];
    assert_eq!(*transport, TransportId::CARGO_TRUCK);
    assert_eq!(*route, Route::road("01310100", "20040020").unwrap());
    assert_eq!(route.origin_code(), "01310100");
    assert_eq!(*units, Decimal::from(1500));
}

#[tokio::test]
async fn a_shipment_between_a_zip_code_and_an_airport_calls_nothing() {
    // No expectations: a call would panic the test.
    let calculator = MockCalculator::new();
    let err = shipment_emissions(Arc::new(calculator), "01310-100", "GIG", Decimal::ONE)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation(ValidationError::MixedRoute { .. })),
        "{err:?}"
    );
}

/// What a queue consumer writes: place the event's order under the event's key, and bill the
/// customer only when this delivery placed it (a redelivery finds the order already there).
async fn handle_event(
    market: &dyn VcuMarket,
    key: &str,
    bill: &Mutex<Vec<String>>,
) -> Result<bool, Error> {
    let order = NewOrder::builder("2".parse().unwrap())
        .key(key.parse().unwrap())
        .build()?;
    let placed = market.place_order(order).await?;
    if !placed.already_existed {
        bill.lock().unwrap().push(placed.order.id.to_string());
    }
    Ok(placed.already_existed)
}

#[tokio::test]
async fn a_consumer_bills_once_when_a_redelivery_finds_the_order_already_placed() {
    let mut market = MockVcuMarket::new();
    let deliveries = Arc::new(Mutex::new(0));
    market.expect_place_order().times(2).returning({
        let deliveries = deliveries.clone();
        move |order| {
            assert_eq!(order.key().as_str(), "event_000042");
            let mut n = deliveries.lock().unwrap();
            *n += 1;
            // The first delivery places it; the redelivery finds it under its key.
            Ok(carbonext_domain::PlacedOrder {
                already_existed: *n > 1,
                ..fixtures::placed_order()
            })
        }
    });
    let billed = Mutex::new(Vec::new());
    assert!(!handle_event(&market, "event_000042", &billed)
        .await
        .unwrap());
    assert!(handle_event(&market, "event_000042", &billed)
        .await
        .unwrap());
    let billed = billed.into_inner().unwrap();
    assert_eq!(
        billed,
        [fixtures::order().id.to_string()],
        "billed once, not twice"
    );
}
