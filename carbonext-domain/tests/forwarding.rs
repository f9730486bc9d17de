//! Every trait is implemented for `&T`, `Box<T>` and `Arc<T>`: a handler written against
//! `&impl Trait` accepts a shared trait object, a boxed one and a plain reference, and the
//! calls reach the object behind them.

use std::sync::Arc;

use carbonext_domain::offset::{EmissionSource, OffsetRequest};
use carbonext_domain::testing::fixtures;
use carbonext_domain::{
    Accounts, Calculator, Currency, Ledger, MockAccounts, MockCalculator, MockLedger,
    MockOffsetting, MockVcuMarket, Offsetting, OrderKey, VcuMarket,
};

async fn quote_one(market: &impl VcuMarket) -> String {
    let quote = market
        .quote("1".parse().unwrap(), Currency::Brl)
        .await
        .unwrap();
    quote.total_price.to_string()
}

async fn offset_one(offsets: &impl Offsetting) -> &'static str {
    let request = OffsetRequest::builder(
        EmissionSource::tonnes("0.02".parse().unwrap()).unwrap(),
        OrderKey::from_external_id("shipment", "SHP-1").unwrap(),
    )
    .build()
    .unwrap();
    offsets.offset(request).await.unwrap().outcome.as_str()
}

async fn everything(
    ledger: &impl Ledger,
    calculator: &impl Calculator,
    accounts: &impl Accounts,
) -> usize {
    let balance = ledger.balance(None).await.unwrap();
    let types = calculator.transport_types().await.unwrap();
    let permissions = accounts.permissions().await.unwrap();
    balance.balances_by_currency.len() + types.len() + permissions.len()
}

fn market_quoting(times: usize) -> MockVcuMarket {
    let mut market = MockVcuMarket::new();
    market
        .expect_quote()
        .times(times)
        .returning(|_, _| Ok(fixtures::quote()));
    market
}

#[tokio::test]
async fn arc_box_and_reference_of_a_dyn_market_are_accepted_as_impl_vcu_market() {
    let shared: Arc<dyn VcuMarket> = Arc::new(market_quoting(2));
    assert_eq!(quote_one(&shared).await, "137.5");
    assert_eq!(quote_one(&&*shared).await, "137.5");

    let boxed: Box<dyn VcuMarket> = Box::new(market_quoting(1));
    assert_eq!(quote_one(&boxed).await, "137.5");

    let concrete = Arc::new(market_quoting(1));
    assert_eq!(quote_one(&concrete).await, "137.5");
    // The mocks' `times` expectations are checked when they drop: each call reached them.
}

#[tokio::test]
async fn every_trait_forwards_through_arc_and_box() {
    let mut offsets = MockOffsetting::new();
    offsets
        .expect_offset()
        .withf(|request| request.key().as_str().starts_with("shipment__SHP_1_"))
        .times(1)
        .returning(|_| Ok(fixtures::offset()));
    let offsets: Arc<dyn Offsetting> = Arc::new(offsets);
    assert_eq!(offset_one(&offsets).await, "placed");

    let mut ledger = MockLedger::new();
    ledger
        .expect_balance()
        .times(1)
        .returning(|_| Ok(fixtures::balance()));
    let mut calculator = MockCalculator::new();
    calculator
        .expect_transport_types()
        .times(1)
        .returning(|| Ok(fixtures::transport_types()));
    let mut accounts = MockAccounts::new();
    accounts
        .expect_permissions()
        .times(1)
        .returning(|| Ok(vec![fixtures::permission()]));
    let ledger: Box<dyn Ledger> = Box::new(ledger);
    let calculator: Arc<dyn Calculator> = Arc::new(calculator);
    let accounts: Box<dyn Accounts> = Box::new(accounts);
    assert_eq!(everything(&ledger, &calculator, &accounts).await, 1 + 3 + 1);
}
