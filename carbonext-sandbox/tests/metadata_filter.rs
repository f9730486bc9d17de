//! The orders' `metaData` filter is an option of the sandbox (`metadata_filter`): off, orders
//! accept and list exactly the documented filters; on, `metaData_eq` and `metaData_like` too.
//! Every test sets the option explicitly, so flipping the default changes none of them.

mod common;

use carbonext_sandbox::Sandbox;
use common::{http, Caller};
use serde_json::{json, Value};

/// The order filters `GET /v1/allowed-filters/orders` lists in the public docs, in their order.
const DOCUMENTED_ORDER_FILTERS: [&str; 23] = [
    "status_eq",
    "status_ne",
    "status_in",
    "vcuUnitPrice_ge",
    "vcuUnitPrice_le",
    "vcuUnitPrice_gt",
    "vcuUnitPrice_lt",
    "vcuAmount_eq",
    "vcuAmount_ge",
    "vcuAmount_le",
    "vcuAmount_gt",
    "vcuAmount_lt",
    "invoiceId_eq",
    "createdAt_eq",
    "createdAt_ge",
    "createdAt_le",
    "createdAt_gt",
    "createdAt_lt",
    "totalPrice_eq",
    "totalPrice_ge",
    "totalPrice_le",
    "totalPrice_gt",
    "totalPrice_lt",
];

async fn sandbox(metadata_filter: bool) -> Sandbox {
    Sandbox::builder()
        .metadata_filter(metadata_filter)
        .start()
        .await
        .expect("sandbox starts")
}

/// `GET /v1/allowed-filters/{resource}` (public), answered 200.
async fn allowed_filters(sandbox: &Sandbox, resource: &str) -> Vec<String> {
    let response = http()
        .get(format!(
            "{}/v1/allowed-filters/{resource}",
            sandbox.api_url()
        ))
        .send()
        .await
        .expect("the sandbox answers");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    serde_json::from_value(body["filters"].clone()).expect("a list of names")
}

/// Places two orders with keys in their `metaData`.
async fn two_keyed_orders(caller: &Caller) {
    for key in ["key-a", "key-b"] {
        caller
            .order(json!({"vcuAmount": 1, "payWithBalance": true, "metaData": key}))
            .await;
    }
}

#[tokio::test]
async fn without_the_option_orders_list_exactly_the_documented_filters() {
    let sandbox = sandbox(false).await;
    assert!(!sandbox.metadata_filter());
    assert_eq!(
        allowed_filters(&sandbox, "orders").await,
        DOCUMENTED_ORDER_FILTERS
    );
}

#[tokio::test]
async fn with_the_option_orders_also_list_the_metadata_filters() {
    let sandbox = sandbox(true).await;
    assert!(sandbox.metadata_filter());
    let mut expected = DOCUMENTED_ORDER_FILTERS.map(str::to_owned).to_vec();
    expected.extend(["metaData_eq".to_owned(), "metaData_like".to_owned()]);
    assert_eq!(allowed_filters(&sandbox, "orders").await, expected);
}

#[tokio::test]
async fn the_option_changes_no_other_resource() {
    let (off, on) = (sandbox(false).await, sandbox(true).await);
    for resource in [
        "applications",
        "invoices",
        "subscriptions",
        "retirements",
        "users",
    ] {
        assert_eq!(
            allowed_filters(&off, resource).await,
            allowed_filters(&on, resource).await,
            "{resource}"
        );
    }
}

#[tokio::test]
async fn without_the_option_a_metadata_filter_is_a_400_naming_it() {
    let sandbox = sandbox(false).await;
    let caller = Caller::seeded(&sandbox).await;
    two_keyed_orders(&caller).await;
    for filter in ["metaData_like", "metaData_eq"] {
        let answer = caller
            .get(&format!("/v1/orders?filter-by={filter}:key-a"))
            .await;
        let errors = answer.problem(400);
        let message = errors["filter-by"][0].as_str().expect("a filter-by error");
        assert!(message.contains(filter), "{message}");
        assert!(message.contains("/v1/allowed-filters/orders"), "{message}");
    }
    // A documented filter next to it does not make it pass.
    let answer = caller
        .get("/v1/orders?filter-by=status_eq:Paid~metaData_like:key")
        .await;
    answer.problem(400);
    // The documented filters still work.
    let page = caller.get("/v1/orders?filter-by=status_eq:Paid").await.body;
    assert_eq!(page["totalCount"], 2);
}

#[tokio::test]
async fn with_the_option_metadata_filters_find_orders_by_key() {
    let sandbox = sandbox(true).await;
    let caller = Caller::seeded(&sandbox).await;
    two_keyed_orders(&caller).await;
    let page = caller.get("/v1/orders?filter-by=metaData_like:KEY-A").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.body["totalCount"], 1);
    assert_eq!(page.body["items"][0]["metaData"], "key-a");
    let page = caller.get("/v1/orders?filter-by=metaData_eq:key-b").await;
    assert_eq!(page.body["totalCount"], 1);
    assert_eq!(page.body["items"][0]["metaData"], "key-b");
}

#[tokio::test]
async fn filters_no_resource_lists_are_refused_on_every_list() {
    let sandbox = sandbox(false).await;
    let caller = Caller::seeded(&sandbox).await;
    for (path, filter) in [
        ("/v1/invoices", "metaData_like"),
        ("/v1/users", "status_eq"),
        ("/v1/customers/applications", "totalPrice_ge"),
    ] {
        let answer = caller.get(&format!("{path}?filter-by={filter}:1")).await;
        let errors = answer.problem(400);
        let message = errors["filter-by"][0].as_str().expect("a filter-by error");
        assert!(message.contains(filter), "{path}: {message}");
    }
}
