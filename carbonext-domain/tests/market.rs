//! `VcuMarket` and `Ledger` end to end against the sandbox over 127.0.0.1: the walkthrough,
//! every method, validation that sends nothing, retries, and snapshots of domain values.

mod common;

use carbonext_domain::testing::redacted;
use carbonext_domain::{
    Currency, Decimal, Error, InvoiceQuery, Ledger, NewOrder, OrderId, OrderQuery, OrderSort,
    OrderStatus, Period, Recipient, SortDirection, ValidationError, VcuAmount, VcuMarket,
};
use chrono::NaiveDate;
use futures::TryStreamExt;

fn vcu(text: &str) -> VcuAmount {
    text.parse().expect("a valid amount")
}

#[tokio::test]
async fn walkthrough_quotes_orders_and_debits_the_balance() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);

    let quote = carbonext.quote(vcu("1"), Currency::Brl).await.unwrap();
    assert_eq!(quote.currency, Currency::Brl);
    assert!(quote.vcu_price > Decimal::ZERO);
    assert_eq!(quote.total_price, quote.vcu_price);

    let before = carbonext.balance(None).await.unwrap();
    let before = before.currency(&Currency::Brl).unwrap().balance;

    let order = NewOrder::builder(vcu("3"))
        .pay_with_balance(true)
        .recipient(Recipient::new().name("ACME").email("esg@acme.example"))
        .meta_data("walkthrough")
        .build()
        .unwrap();
    let key = order.key().clone();
    let placed = carbonext.place_order(order).await.unwrap().order;
    assert_eq!(placed.vcu_amount, Decimal::from(3));
    assert_eq!(placed.status, OrderStatus::Paid);
    assert_eq!(placed.key(), Some(&key));
    assert_eq!(placed.meta_data.as_deref(), Some("walkthrough"));
    assert_eq!(
        placed
            .certificate_recipient_info
            .as_ref()
            .and_then(|r| r.name.as_deref()),
        Some("ACME")
    );

    let after = carbonext.balance(None).await.unwrap();
    let after = after.currency(&Currency::Brl).unwrap().balance;
    assert_eq!(before - after, Decimal::from(3));
}

#[tokio::test]
async fn quote_keeps_the_exact_digits_of_fractional_amounts() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let quote = carbonext.quote(vcu("0.02"), Currency::Usd).await.unwrap();
    assert_eq!(quote.vcu_amount.to_string(), "0.02");
    assert_eq!(quote.currency, Currency::Usd);
    assert_eq!(quote.total_price, quote.vcu_price * Decimal::new(2, 2));
}

#[tokio::test]
async fn invalid_input_is_refused_before_any_request() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let requests = || {
        let counters = sandbox.counters();
        (counters.total_api_requests(), counters.token_requests())
    };
    let before = requests();

    assert!(matches!(
        "0".parse::<VcuAmount>(),
        Err(ValidationError::NonPositiveAmount { .. })
    ));
    assert!(matches!(
        "-1".parse::<VcuAmount>(),
        Err(ValidationError::NonPositiveAmount { .. })
    ));
    for garbage in ["NaN", "inf", "1e3", "abc", "", "1.2.3"] {
        assert!(
            matches!(
                garbage.parse::<VcuAmount>(),
                Err(ValidationError::InvalidAmount { .. })
            ),
            "{garbage:?} was accepted"
        );
    }
    let long = "x".repeat(500);
    assert!(matches!(
        NewOrder::builder(vcu("1")).meta_data(long).build(),
        Err(ValidationError::MetaDataTooLong { .. })
    ));
    let err = carbonext.cancel_orders(vec![]).await.unwrap_err();
    assert!(
        matches!(err, Error::Validation(ValidationError::Empty { .. })),
        "{err:?}"
    );
    let err = carbonext
        .orders_page(OrderQuery::new(), 0)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation(ValidationError::OutOfRange { .. })),
        "{err:?}"
    );
    let err = carbonext
        .orders_page(OrderQuery::new().page_size(5000), 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation(ValidationError::OutOfRange { .. })),
        "{err:?}"
    );
    let err = carbonext
        .invoices_page(InvoiceQuery::new().status_in([]), 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Validation(ValidationError::Empty { .. })),
        "{err:?}"
    );
    let day = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap();
    assert!(Period::between(day(10), day(1)).is_err());

    assert_eq!(requests(), before, "validation sent requests");
}

#[tokio::test]
async fn orders_are_listed_filtered_sorted_and_streamed() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    for amount in ["1.5", "0.25", "2"] {
        let order = NewOrder::builder(vcu(amount)).build().unwrap();
        carbonext.place_order(order).await.unwrap();
    }
    let paid = NewOrder::builder(vcu("4"))
        .pay_with_balance(true)
        .build()
        .unwrap();
    carbonext.place_order(paid).await.unwrap();

    let issued = carbonext
        .orders_page(
            OrderQuery::new()
                .status_in([OrderStatus::Issued])
                .sort(OrderSort::VcuAmount, SortDirection::Asc),
            1,
        )
        .await
        .unwrap();
    let amounts: Vec<String> = issued
        .items
        .iter()
        .map(|o| o.vcu_amount.to_string())
        .collect();
    assert_eq!(amounts, ["0.25", "1.5", "2"]);
    assert!(issued.items.iter().all(|o| o.status == OrderStatus::Issued));

    let all: Vec<_> = carbonext
        .orders(OrderQuery::new().page_size(1))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 4);
}

#[tokio::test]
async fn orders_are_cancelled_one_by_one_and_in_batches() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let order = NewOrder::builder(vcu("1")).build().unwrap();
        ids.push(carbonext.place_order(order).await.unwrap().order.id);
    }
    let one = carbonext.cancel_order(ids[0]).await.unwrap();
    assert_eq!(one.status, OrderStatus::Cancelled);
    let batch = carbonext.cancel_orders(ids[1..].to_vec()).await.unwrap();
    assert_eq!(batch.len(), 2);
    assert!(batch.iter().all(|o| o.status == OrderStatus::Cancelled));

    // Cancelling again is a rejection by the API, not retried.
    let before = sandbox.counters().operation("cancel_order");
    let err = carbonext.cancel_order(ids[0]).await.unwrap_err();
    assert!(
        matches!(err, Error::Api(ref r) if (400..500).contains(&r.status)),
        "{err:?}"
    );
    assert_eq!(sandbox.counters().operation("cancel_order"), before + 1);

    let missing = OrderId(uuid::Uuid::new_v4());
    let err = carbonext.cancel_order(missing).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

#[tokio::test]
async fn invoices_and_balance_periods_are_read() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let invoices: Vec<_> = carbonext
        .invoices(InvoiceQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert!(!invoices.is_empty(), "the sandbox seeds a paid invoice");
    let first = carbonext.invoice(invoices[0].id).await.unwrap();
    assert_eq!(first, invoices[0]);

    let far_past = Period::between(
        NaiveDate::from_ymd_opt(2000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2000, 1, 2).unwrap(),
    )
    .unwrap();
    let empty = carbonext.balance(Some(far_past)).await.unwrap();
    let total: Decimal = empty.balances_by_currency.iter().map(|b| b.balance).sum();
    assert_eq!(total, Decimal::ZERO);
}

#[tokio::test]
async fn domain_values_snapshot_with_ids_and_timestamps_redacted() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let quote = carbonext.quote(vcu("3"), Currency::Brl).await.unwrap();
    let order = NewOrder::builder(vcu("3"))
        .pay_with_balance(true)
        .meta_data("snapshot")
        .key("snapshot_key_0001".parse().unwrap())
        .build()
        .unwrap();
    let placed = carbonext.place_order(order).await.unwrap().order;
    let balance = carbonext.balance(None).await.unwrap();
    insta::assert_json_snapshot!("quote", redacted(&quote));
    insta::assert_json_snapshot!("placed_order", redacted(&placed));
    insta::assert_json_snapshot!("balance_after_order", redacted(&balance));
}

#[tokio::test]
async fn placing_twice_with_the_same_given_key_places_one_order() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let key: carbonext_domain::OrderKey = "nightly_job_2026_11_24".parse().unwrap();
    let order = || {
        NewOrder::builder(vcu("2"))
            .key(key.clone())
            .build()
            .unwrap()
    };
    let first = carbonext.place_order(order()).await.unwrap().order;
    let again = carbonext.place_order(order()).await.unwrap().order;
    assert_eq!(first.id, again.id);
    assert_eq!(sandbox.counters().operation("create_order"), 1);
}

#[tokio::test]
async fn authenticate_reports_bad_credentials_as_a_typed_auth_error() {
    let sandbox = common::sandbox().await;
    let carbonext = carbonext_domain::Carbonext::builder()
        .environment(carbonext_domain::Environment::custom(
            sandbox.api_url(),
            sandbox.token_url(),
        ))
        .credentials(carbonext_domain::Credentials::new(
            sandbox.client_id(),
            "wrong",
        ))
        .build()
        .unwrap();
    let err = carbonext.authenticate().await.unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                source: Some(carbonext_domain::AuthError::InvalidClient { .. }),
                ..
            }
        ),
        "{err:?}"
    );
    common::connect(&sandbox).authenticate().await.unwrap();
}
