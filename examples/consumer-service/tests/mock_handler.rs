//! Proves that the service's own handler can be tested with `carbonext_domain::MockVcuMarket`
//! (feature `mock`) and no HTTP: the order it places (keyed by the caller's request id), the
//! receipt it returns, and that invalid input is refused without calling the market.

use std::sync::Arc;

use carbonext_domain::testing::fixtures;
use carbonext_domain::{Error, MockVcuMarket, OrderKey, OrderStatus, ValidationError};
use consumer_service::{OffsetService, Receipt};
use rust_decimal::Decimal;

#[tokio::test]
async fn offset_places_one_order_keyed_by_the_request_paid_with_the_balance() {
    let mut market = MockVcuMarket::new();
    market
        .expect_place_order()
        .withf(|order| {
            order.vcu_amount().value() == Decimal::new(250, 2)
                && order.key() == &OrderKey::from_external_id("request", "req-7").unwrap()
                && order.pays_with_balance()
                && order.meta_data() == Some("fleet, march")
        })
        .times(1)
        .returning(|order| {
            let mut placed = fixtures::order();
            placed.vcu_amount = order.vcu_amount().value();
            placed.status = OrderStatus::Paid;
            placed.meta_data = order.meta_data().map(str::to_owned);
            placed.order_key = Some(order.key().clone());
            Ok(carbonext_domain::PlacedOrder {
                order: placed,
                already_existed: false,
            })
        });
    let service = OffsetService::new(Arc::new(market));

    let receipt = service
        .offset("req-7", "2.50".parse().unwrap(), "fleet, march")
        .await
        .unwrap();

    assert_eq!(
        receipt,
        Receipt {
            order_id: fixtures::order().id.to_string(),
            status: "Paid".to_owned(),
            tonnes: "2.50".parse().unwrap(),
            note: "fleet, march".to_owned(),
        }
    );
    assert_eq!(receipt.tonnes.to_string(), "2.50");
}

#[tokio::test]
async fn offset_of_zero_tonnes_is_refused_without_placing_an_order() {
    let mut market = MockVcuMarket::new();
    market.expect_place_order().never();
    let service = OffsetService::new(Arc::new(market));

    let err = service
        .offset("req-8", Decimal::ZERO, "none")
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

#[tokio::test]
async fn offset_of_negative_tonnes_is_refused_without_placing_an_order() {
    let mut market = MockVcuMarket::new();
    market.expect_place_order().times(0);
    let service = OffsetService::new(Arc::new(market));

    let err = service
        .offset("req-9", "-1.5".parse().unwrap(), "refund")
        .await
        .unwrap_err();

    assert!(
        matches!(
            err,
            Error::Validation(ValidationError::NonPositiveAmount { ref value }) if value == "-1.5"
        ),
        "{err:?}"
    );
}
