//! How a consumer tests its own code with the `mock` feature: a small "offset my emissions"
//! service function, tested against `MockVcuMarket` and `MockLedger`, and a "how much did this
//! shipment emit" one against `MockCalculator`, with no HTTP at all.

use std::sync::Arc;

use carbonext_domain::calculator::{Emission, Route, TransportId};
use carbonext_domain::testing::fixtures;
use carbonext_domain::{
    Calculator, Currency, Decimal, Error, Ledger, MockCalculator, MockLedger, MockVcuMarket,
    NewOrder, Order, OrderStatus, ValidationError, VcuAmount, VcuMarket,
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
    market.place_order(order).await
}

#[tokio::test]
async fn offset_pays_with_balance_when_the_balance_covers_it() {
    let mut ledger = MockLedger::new();
    ledger
        .expect_balance()
        .times(1)
        .returning(|_| Ok(fixtures::balance())); // 15.997878 VCU available
    let mut market = MockVcuMarket::new();
    market
        .expect_place_order()
        .withf(|order| {
            order.pays_with_balance()
                && order.vcu_amount().to_string() == "3"
                && order.meta_data() == Some("fleet, march")
        })
        .times(1)
        .returning(|order| {
            let mut placed = fixtures::order();
            placed.vcu_amount = order.vcu_amount().value();
            placed.status = OrderStatus::Paid;
            placed.order_key = Some(order.key().clone());
            Ok(placed)
        });

    let placed = offset_emissions(
        Arc::new(market),
        Arc::new(ledger),
        Decimal::from(3),
        "fleet, march",
    )
    .await
    .unwrap();
    assert_eq!(placed.status, OrderStatus::Paid);
    assert_eq!(placed.vcu_amount, Decimal::from(3));
}

#[tokio::test]
async fn offset_goes_postpaid_when_the_balance_is_short() {
    let mut ledger = MockLedger::new();
    ledger
        .expect_balance()
        .returning(|_| Ok(fixtures::balance()));
    let mut market = MockVcuMarket::new();
    market
        .expect_place_order()
        .withf(|order| !order.pays_with_balance() && order.vcu_amount().to_string() == "20")
        .times(1)
        .returning(|_| Ok(fixtures::order()));

    let placed = offset_emissions(Arc::new(market), Arc::new(ledger), Decimal::from(20), "q1")
        .await
        .unwrap();
    assert_eq!(placed.status, OrderStatus::Issued);
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
    let mut calculator = MockCalculator::new();
    calculator
        .expect_emissions_by_route()
        .withf(|transport, route, units| {
            *transport == TransportId::CARGO_TRUCK
                && *route == Route::road("01310100", "20040020").unwrap()
                && route.origin_code() == "01310100"
                && *units == Decimal::from(1500)
        })
        .times(1)
        .returning(|_, _, _| {
            Ok(Emission {
                emission: "0.2732945985".parse().unwrap(),
                unit: Some("tCO2eq".into()),
            })
        });

    let emission = shipment_emissions(
        Arc::new(calculator),
        "01310-100",
        "20040-020",
        "1.5".parse().unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(emission.emission.to_string(), "0.2732945985");
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
