//! The integrating walkthrough through the generated client: token, price, order, balance.

mod common;

use carbonext_api::types::NewOrder;
use carbonext_api::{Currency, DecimalText, OrderStatus};
use rust_decimal_macros::dec;

#[tokio::test]
async fn token_price_order_balance_walkthrough() {
    let sandbox = common::sandbox().await;
    let api = common::api(&sandbox).await;

    let price = api
        .get_price()
        .vcu_amount("0.02".parse::<DecimalText>().unwrap())
        .target_currency(Currency::Brl)
        .send()
        .await
        .expect("price")
        .into_inner();
    assert_eq!(price.vcu_price, dec!(110.00));
    assert_eq!(price.currency, Currency::Brl);

    let order = api
        .create_order()
        .body(NewOrder {
            vcu_amount: dec!(0.02).into(),
            target_currency: Some(Currency::Brl),
            certificate_recipient_info: None,
            meta_data: Some("walkthrough".parse().unwrap()),
            pay_with_balance: Some(true),
        })
        .send()
        .await
        .expect("order")
        .into_inner();
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(order.total_price, Some(dec!(2.2).into()));
    assert_eq!(order.vcu_unit_price, Some(dec!(110.00).into()));
    assert!(order.created_at.unwrap().as_str().ends_with('Z'));

    let balance = api
        .get_balance()
        .send()
        .await
        .expect("balance")
        .into_inner();
    let brl = &balance.balances_by_currency[0];
    assert_eq!(brl.currency, Currency::Brl);
    assert_eq!(brl.vcu_balance.credit, Some(dec!(1000).into()));
    assert_eq!(brl.vcu_balance.debt, Some(dec!(0.02).into()));
    assert_eq!(brl.vcu_balance.balance, dec!(999.98));
    assert!(balance.start_date.is_none() && balance.end_date.is_none());

    let listed = api.list_orders().send().await.expect("list").into_inner();
    assert_eq!(listed.total_count, 1);
    assert_eq!(listed.items[0].id, order.id);
    assert_eq!(sandbox.orders_snapshot().len(), 1);

    let counters = sandbox.counters();
    assert_eq!(counters.token_requests(), 1);
    assert_eq!(counters.operation("get_price"), 1);
    assert_eq!(counters.operation("create_order"), 1);
    assert_eq!(counters.total_api_requests(), 4);
}

#[tokio::test]
async fn builder_sets_prices_and_initial_credit() {
    let sandbox = carbonext_sandbox::Sandbox::builder()
        .price(Currency::Usd, dec!(19.99))
        .initial_vcu_credit(dec!(16.0))
        .start()
        .await
        .unwrap();
    let api = common::api(&sandbox).await;
    let usd = api
        .get_price()
        .target_currency(Currency::Usd)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(usd.vcu_price, dec!(19.99));
    let balance = api.get_balance().send().await.unwrap().into_inner();
    assert_eq!(
        balance.balances_by_currency[0].vcu_balance.balance,
        dec!(16.0)
    );
    let invoices = api.list_invoices().send().await.unwrap().into_inner();
    assert_eq!(invoices.total_count, 1);
    let invoice = &invoices.items[0];
    assert_eq!(invoice.total_vcu_amount, Some(dec!(16.0).into()));
    assert_eq!(invoice.total_price, Some(dec!(1760.000).into()));
    assert_eq!(
        invoice.payment_type,
        Some(carbonext_api::PaymentType::CreditCard)
    );
    assert_eq!(
        invoice.purchase_type,
        Some(carbonext_api::PurchaseType::PrePaid)
    );
    sandbox.shutdown().await;
}

#[tokio::test]
async fn deterministic_mode_fixes_ids_and_secret() {
    let a = carbonext_sandbox::Sandbox::builder()
        .deterministic(true)
        .start()
        .await
        .unwrap();
    let b = carbonext_sandbox::Sandbox::builder()
        .deterministic(true)
        .start()
        .await
        .unwrap();
    assert_eq!(a.client_id(), b.client_id());
    assert_eq!(a.client_secret(), b.client_secret());
    assert!(a.client_id().starts_with("cbx_b2b_"));
    assert_eq!(a.now().date_naive().to_string(), "2024-01-15");
    // Tokens stay random.
    assert_ne!(common::token(&a).await, common::token(&b).await);
    let random = common::sandbox().await;
    assert_ne!(random.client_id(), a.client_id());
}
