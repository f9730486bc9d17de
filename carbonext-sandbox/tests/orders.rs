//! Order rules: validation, paying with the balance, cancellation, and list queries.

mod common;

use std::time::Duration;

use common::{dec, Caller};
use serde_json::{json, Value};

#[tokio::test]
async fn invalid_orders_are_400_with_field_errors_and_store_nothing() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    let long = "x".repeat(501);
    let cases = [
        (json!({"vcuAmount": 0}), "vcuAmount"),
        (json!({"vcuAmount": -1.5}), "vcuAmount"),
        (json!({"vcuAmount": "lots"}), "vcuAmount"),
        (json!({"targetCurrency": "BRL"}), "$"),
        (
            json!({"vcuAmount": 1, "targetCurrency": "EUR"}),
            "targetCurrency",
        ),
        (json!({"vcuAmount": 1, "metaData": long}), "metaData"),
        (
            json!({"vcuAmount": 1, "payWithBalance": "yes"}),
            "payWithBalance",
        ),
    ];
    for (body, field) in cases {
        let answer = caller.post("/v1/orders", body.clone()).await;
        let errors = answer.problem(400);
        assert!(errors[field].is_array(), "{body} → errors {errors}");
    }
    caller
        .post_raw("/v1/orders", "{not json")
        .await
        .problem(400);
    caller.post_raw("/v1/orders", "").await.problem(400);
    assert!(sandbox.orders_snapshot().is_empty());

    // Exactly 500 characters is fine.
    caller
        .order(json!({"vcuAmount": 1, "metaData": "é".repeat(500)}))
        .await;
}

#[tokio::test]
async fn total_price_is_exact_and_unpaid_orders_are_issued_postpaid() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    let order = caller
        .order(json!({"vcuAmount": 0.123456789, "targetCurrency": "USD",
            "certificateRecipientInfo": {"name": "Example", "email": "e@x.com", "taxId": "000"}}))
        .await;
    assert_eq!(order["status"], "Issued");
    assert_eq!(order["type"], "Postpaid");
    assert_eq!(dec(&order["vcuUnitPrice"]), "20.50");
    assert_eq!(dec(&order["totalPrice"]), "2.53086417450");
    assert_eq!(order["targetCurrency"], "USD");
    assert_eq!(order["certificateRecipientInfo"]["taxId"], "000");
    let balance = caller.get("/v1/customers/balance").await.body;
    let usd = balance["balancesByCurrency"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["currency"] == "USD")
        .unwrap();
    assert_eq!(dec(&usd["vcuBalance"]["futureDebt"]), "0.123456789");
    assert_eq!(dec(&usd["vcuBalance"]["debt"]), "0");
}

#[tokio::test]
async fn paying_with_balance_debits_it_and_refuses_when_short() {
    let sandbox = carbonext_sandbox::Sandbox::builder()
        .initial_vcu_credit(rust_decimal_macros::dec!(16.0))
        .start()
        .await
        .unwrap();
    let caller = Caller::seeded(&sandbox).await;
    let paid = caller
        .order(json!({"vcuAmount": 10, "payWithBalance": true}))
        .await;
    assert_eq!(paid["status"], "Paid");
    assert!(paid["paymentDate"].is_string());

    let refused = caller
        .post(
            "/v1/orders",
            json!({"vcuAmount": 6.01, "payWithBalance": true}),
        )
        .await;
    refused.problem(422);
    assert_eq!(
        sandbox.orders_snapshot().len(),
        1,
        "a refused order is not stored"
    );

    caller
        .order(json!({"vcuAmount": 6, "payWithBalance": true}))
        .await;
    let balance = caller.get("/v1/customers/balance").await.body;
    let vcu = &balance["balancesByCurrency"][0]["vcuBalance"];
    assert_eq!(dec(&vcu["balance"]), "0.0");
    assert_eq!(dec(&vcu["credit"]), "16.0");
    assert_eq!(dec(&vcu["debt"]), "16");
    assert_eq!(vcu["type"], "VCU");
    // The USD balance is separate: nothing to pay with there.
    caller
        .post(
            "/v1/orders",
            json!({"vcuAmount": 1, "payWithBalance": true, "targetCurrency": "USD"}),
        )
        .await
        .problem(422);
}

#[tokio::test]
async fn cancel_only_issued_orders_within_ten_days() {
    let sandbox = common::long_lived().await;
    let caller = Caller::seeded(&sandbox).await;
    let issued = caller.order(json!({"vcuAmount": 1})).await;
    let paid = caller
        .order(json!({"vcuAmount": 1, "payWithBalance": true}))
        .await;
    let old = caller.order(json!({"vcuAmount": 2})).await;

    let cancelled = caller
        .post(
            &format!("/v1/orders/{}/cancel", issued["id"].as_str().unwrap()),
            json!(null),
        )
        .await;
    assert_eq!(cancelled.status, 200);
    assert_eq!(cancelled.body["status"], "Cancelled");
    // Twice: no longer Issued.
    caller
        .post(
            &format!("/v1/orders/{}/cancel", issued["id"].as_str().unwrap()),
            json!(null),
        )
        .await
        .problem(409);
    caller
        .post(
            &format!("/v1/orders/{}/cancel", paid["id"].as_str().unwrap()),
            json!(null),
        )
        .await
        .problem(409);

    sandbox.advance_clock(Duration::from_secs(10 * 86_400 + 1));
    caller
        .post(
            &format!("/v1/orders/{}/cancel", old["id"].as_str().unwrap()),
            json!(null),
        )
        .await
        .problem(409);
    caller
        .post(
            &format!("/v1/orders/{}/cancel", uuid::Uuid::new_v4()),
            json!(null),
        )
        .await
        .problem(404);
    caller
        .post("/v1/orders/not-a-uuid/cancel", json!(null))
        .await
        .problem(400);

    let balance = caller.get("/v1/customers/balance").await.body;
    let vcu = &balance["balancesByCurrency"][0]["vcuBalance"];
    assert_eq!(dec(&vcu["futureDebt"]), "2", "cancelled orders are no debt");
}

/// On a frozen clock the boundary is exact: an order is cancellable at exactly ten days
/// old, and no longer a millisecond later.
#[tokio::test]
async fn a_ten_day_old_order_can_still_be_cancelled() {
    let sandbox = carbonext_sandbox::Sandbox::builder()
        .frozen_clock(true)
        .token_lifetime(Duration::from_secs(365 * 86_400))
        .start()
        .await
        .expect("sandbox starts");
    let caller = Caller::seeded(&sandbox).await;
    let created = sandbox.now();
    let on_time = caller.order(json!({"vcuAmount": 1})).await;
    let late = caller.order(json!({"vcuAmount": 2})).await;
    let cancel = |order: &Value| format!("/v1/orders/{}/cancel", order["id"].as_str().unwrap());

    sandbox.advance_clock(Duration::from_secs(10 * 86_400));
    assert_eq!(sandbox.now() - created, chrono::Duration::days(10));
    let answer = caller.post(&cancel(&on_time), json!(null)).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["status"], "Cancelled");

    sandbox.advance_clock(Duration::from_millis(1));
    let refused = caller.post(&cancel(&late), json!(null)).await;
    refused.problem(409);
    let detail = refused.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("more than 10 days"), "{}", refused.body);
    let statuses: Vec<_> = sandbox
        .orders_snapshot()
        .iter()
        .map(|o| o.status.as_str().to_owned())
        .collect();
    assert_eq!(statuses, ["Cancelled", "Issued"]);
}

#[tokio::test]
async fn batch_cancel_is_all_or_nothing() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    let a = caller.order(json!({"vcuAmount": 1})).await["id"].clone();
    let b = caller.order(json!({"vcuAmount": 2})).await["id"].clone();
    let paid = caller
        .order(json!({"vcuAmount": 1, "payWithBalance": true}))
        .await["id"]
        .clone();

    caller
        .post("/v1/orders/cancel", json!({"ordersIds": [a, paid]}))
        .await
        .problem(409);
    caller
        .post(
            "/v1/orders/cancel",
            json!({"ordersIds": [a, uuid::Uuid::new_v4()]}),
        )
        .await
        .problem(404);
    assert!(sandbox
        .orders_snapshot()
        .iter()
        .all(|o| o.status != carbonext_api::OrderStatus::Cancelled));

    let answer = caller
        .post("/v1/orders/cancel", json!({"ordersIds": [a, b, a]}))
        .await;
    assert_eq!(answer.status, 200);
    let cancelled = answer.body.as_array().expect("an array of orders");
    assert_eq!(cancelled.len(), 2);
    assert!(cancelled.iter().all(|o| o["status"] == "Cancelled"));
    caller
        .post("/v1/orders/cancel", json!({"ordersIds": []}))
        .await
        .problem(400);
    caller
        .post("/v1/orders/cancel", json!({"ordersIds": ["x"]}))
        .await
        .problem(400);
}

fn amounts(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| dec(&o["vcuAmount"]))
        .collect()
}

#[tokio::test]
async fn list_pages_sorts_and_filters() {
    // The metaData filters are an option, for testing an API that offers them.
    let sandbox = carbonext_sandbox::Sandbox::builder()
        .token_lifetime(Duration::from_secs(365 * 86_400))
        .metadata_filter(true)
        .start()
        .await
        .expect("sandbox starts");
    let caller = Caller::seeded(&sandbox).await;
    for (i, amount) in ["3", "1", "5", "2", "4"].iter().enumerate() {
        let pay = i % 2 == 0;
        caller
            .order(
                json!({"vcuAmount": amount.parse::<u32>().unwrap(), "payWithBalance": pay,
                "metaData": format!("key-{i}")}),
            )
            .await;
        sandbox.advance_clock(Duration::from_secs(86_400));
    }
    // Default: createdAt_desc, page 1, size 10.
    let page = caller.get("/v1/orders").await.body;
    assert_eq!(amounts(&page), ["4", "2", "5", "1", "3"]);
    assert_eq!(page["pageIndex"], 1);
    assert_eq!(page["totalCount"], 5);

    let page = caller
        .get("/v1/orders?page=2&page-size=2&sort-by=vcuAmount_asc")
        .await
        .body;
    assert_eq!(amounts(&page), ["3", "4"]);
    assert_eq!(
        (
            page["totalPages"].as_i64(),
            page["hasPreviousPage"].as_bool(),
            page["hasNextPage"].as_bool()
        ),
        (Some(3), Some(true), Some(true))
    );
    let past_end = caller.get("/v1/orders?page=9&page-size=2").await.body;
    assert_eq!(past_end["items"], json!([]));
    assert_eq!(past_end["pageIndex"], 9);

    // `in` with case-insensitive enum values, and decimal comparison.
    let page = caller
        .get("/v1/orders?filter-by=status_in:PAID-cancelled~vcuAmount_ge:4&sort-by=vcuAmount_desc")
        .await
        .body;
    assert_eq!(amounts(&page), ["5", "4"]);
    let page = caller
        .get("/v1/orders?filter-by=status_eq:issued")
        .await
        .body;
    assert_eq!(page["totalCount"], 2);
    let page = caller
        .get("/v1/orders?filter-by=status_ne:Issued")
        .await
        .body;
    assert_eq!(page["totalCount"], 3);

    // metaData lookups (offered by this sandbox's option; not documented).
    let page = caller
        .get("/v1/orders?filter-by=metaData_like:KEY-3")
        .await
        .body;
    assert_eq!(amounts(&page), ["2"]);
    let page = caller
        .get("/v1/orders?filter-by=metaData_eq:key-0")
        .await
        .body;
    assert_eq!(amounts(&page), ["3"]);
    let page = caller
        .get("/v1/orders?filter-by=metaData_eq:KEY-0")
        .await
        .body;
    assert_eq!(page["totalCount"], 0, "eq on text is exact");

    // Dates compare by day.
    let first_day = sandbox.now() - chrono::Duration::days(5);
    let day = first_day.date_naive();
    let page = caller
        .get(&format!("/v1/orders?filter-by=createdAt_eq:{day}"))
        .await
        .body;
    assert_eq!(amounts(&page), ["3"]);
    let page = caller
        .get(&format!(
            "/v1/orders?filter-by=createdAt_gt:{day}~createdAt_le:{}&sort-by=createdAt_asc",
            day + chrono::Days::new(2)
        ))
        .await
        .body;
    assert_eq!(amounts(&page), ["1", "5"]);
    let page = caller
        .get("/v1/orders?filter-by=totalPrice_lt:300")
        .await
        .body;
    assert_eq!(page["totalCount"], 2);
}

#[tokio::test]
async fn bad_list_queries_are_400() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    for query in [
        "filter-by=colour_eq:red",
        "filter-by=status_like:paid",
        "filter-by=vcuAmount_ge:abc",
        "filter-by=createdAt_ge:24/01/2022",
        "filter-by=status",
        "sort-by=colour_asc",
        "sort-by=vcuAmount_up",
        "page=0",
        "page=-1",
        "page-size=0",
        "page-size=1001",
        "page=abc",
        "page=2147483648",
    ] {
        let answer = caller.get(&format!("/v1/orders?{query}")).await;
        answer.problem(400);
    }
}

#[tokio::test]
async fn orders_with_key_matches_the_exact_key_marker_only() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    for meta in [
        "truck [cbx-key:shipment_SHP_1]",
        "[cbx-key:shipment_SHP_10]",
        "[cbx-key:xshipment_SHP_1]",
        "mentions shipment_SHP_1 without a marker",
        "bus [cbx-key:shipment_SHP_1 fp=76a93b7c]",
        "[cbx-key:shipment_SHP_10 fp=76a93b7c]",
    ] {
        caller
            .order(json!({"vcuAmount": 1, "metaData": meta}))
            .await;
    }
    let found = sandbox.orders_with_key("shipment_SHP_1");
    let found: Vec<_> = found.iter().map(|o| o.meta_data.as_deref()).collect();
    assert_eq!(
        found,
        [
            Some("truck [cbx-key:shipment_SHP_1]"),
            Some("bus [cbx-key:shipment_SHP_1 fp=76a93b7c]")
        ]
    );
    assert!(sandbox.orders_with_key("shipment_SHP_2").is_empty());
}
