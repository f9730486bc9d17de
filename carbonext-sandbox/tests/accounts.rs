//! Users, API keys, permissions and isolation between customers.

mod common;

use common::{http, Caller};
use serde_json::json;

#[tokio::test]
async fn users_crud_round_trip() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    let created = caller
        .post(
            "/v1/users",
            json!({"email": "userteste@email.com", "name": "Teste",
                "permissions": [{"id": "5db0f399-28ab-4980-b320-9c321eea3bb1"}, {"key": "users_write"}]}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_owned();
    assert_eq!(created.body["isEmailVerified"], false);
    let keys: Vec<&str> = created.body["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["orders_read", "users_write"]);

    let again = caller
        .post(
            "/v1/users",
            json!({"email": "USERTESTE@email.com", "name": "Dup"}),
        )
        .await;
    again.problem(409);
    caller
        .post("/v1/users", json!({"email": "no-at-sign", "name": "X"}))
        .await
        .problem(400);
    let unknown = caller
        .post(
            "/v1/users",
            json!({"email": "x@y.z", "name": "X", "permissions": [{"key": "root"}]}),
        )
        .await;
    assert!(unknown.problem(400)["permissions[0]"].is_array());

    let fetched = caller
        .get(&format!(
            "/v1/users/{id}?force-refresh=true&include-permissions=true"
        ))
        .await;
    assert_eq!(fetched.body["email"], "userteste@email.com");
    let bare = caller
        .get(&format!("/v1/users/{id}?include-permissions=false"))
        .await;
    assert!(bare.body.get("permissions").is_none());

    let updated = caller
        .put(
            &format!("/v1/users/{id}"),
            json!({"name": "Renamed", "permissions": []}),
        )
        .await;
    assert_eq!(updated.body["name"], "Renamed");
    assert!(
        updated.body.get("permissions").is_none(),
        "permissions replaced by none"
    );
    let renamed_only = caller
        .put(&format!("/v1/users/{id}"), json!({"name": "Again"}))
        .await;
    assert_eq!(renamed_only.body["name"], "Again");

    let list = caller
        .get("/v1/users?filter-by=email_like:TESTE&sort-by=name_asc")
        .await;
    assert_eq!(list.body["totalCount"], 1);

    let deleted = caller.delete(&format!("/v1/users/{id}")).await;
    assert_eq!((deleted.status, deleted.body.clone()), (200, json!(true)));
    caller.delete(&format!("/v1/users/{id}")).await.problem(404);
    caller.get(&format!("/v1/users/{id}")).await.problem(404);
}

#[tokio::test]
async fn a_new_api_key_works_at_once_with_its_own_permissions() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    let created = caller
        .post(
            "/v1/customers/applications",
            json!({"clientId": "myapp_name", "displayName": "My test app",
                "permissions": [{"key": "orders_read"}]}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    assert_eq!(created.body["clientId"], "cbx_b2b_myapp_name");
    let secret = created.body["clientSecret"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(secret).is_ok());
    let id = created.body["id"].as_str().unwrap();

    let app = Caller::with_key(&sandbox, "cbx_b2b_myapp_name", secret).await;
    assert_eq!(app.get("/v1/orders").await.status, 200);
    app.post("/v1/orders", json!({"vcuAmount": 1}))
        .await
        .problem(403);

    let fetched = caller
        .get(&format!("/v1/customers/applications/{id}"))
        .await;
    assert_eq!(fetched.body["displayName"], "My test app");
    assert_eq!(fetched.body["permissions"][0]["name"], "orders_read");
    let list = caller
        .get("/v1/customers/applications?sort-by=clientId_asc")
        .await;
    assert_eq!(list.body["totalCount"], 2, "the seeded key and the new one");

    caller
        .post(
            "/v1/customers/applications",
            json!({"clientId": "myapp_name", "displayName": "Again"}),
        )
        .await
        .problem(409);
    caller
        .post(
            "/v1/customers/applications",
            json!({"clientId": "has spaces", "displayName": "Bad"}),
        )
        .await
        .problem(400);
    let other_customer = caller
        .post(
            &format!(
                "/v1/customers/applications?customer-id={}",
                uuid::Uuid::new_v4()
            ),
            json!({"clientId": "x", "displayName": "X"}),
        )
        .await;
    other_customer.problem(404);
}

#[tokio::test]
async fn customers_never_see_each_others_data() {
    let sandbox = common::long_lived().await;
    let first = Caller::seeded(&sandbox).await;
    let second_credentials = sandbox.add_customer();
    assert_ne!(
        second_credentials.customer_id,
        sandbox.customer().customer_id
    );
    let second = Caller::with_key(
        &sandbox,
        &second_credentials.client_id,
        &second_credentials.client_secret,
    )
    .await;

    let order = first.order(json!({"vcuAmount": 1})).await;
    let order_id = order["id"].as_str().unwrap();
    let user = first
        .post(
            "/v1/users",
            json!({"email": "first@x.com", "name": "First"}),
        )
        .await
        .body;
    let invoice = first.get("/v1/invoices").await.body["items"][0].clone();

    assert_eq!(second.get("/v1/orders").await.body["totalCount"], 0);
    second
        .post(&format!("/v1/orders/{order_id}/cancel"), json!(null))
        .await
        .problem(404);
    second
        .post("/v1/orders/cancel", json!({"ordersIds": [order_id]}))
        .await
        .problem(404);
    second
        .get(&format!("/v1/invoices/{}", invoice["id"].as_str().unwrap()))
        .await
        .problem(404);
    second
        .get(&format!("/v1/users/{}", user["id"].as_str().unwrap()))
        .await
        .problem(404);
    second
        .delete(&format!("/v1/users/{}", user["id"].as_str().unwrap()))
        .await
        .problem(404);
    assert_eq!(second.get("/v1/users").await.body["totalCount"], 0);
    assert_eq!(
        second.get("/v1/customers/applications").await.body["totalCount"],
        1
    );

    // Each has its own balance (seeded alike) and its own invoice.
    let own_invoices = second.get("/v1/invoices").await.body;
    assert_eq!(own_invoices["totalCount"], 1);
    assert_ne!(own_invoices["items"][0]["id"], invoice["id"]);
    assert_eq!(sandbox.orders_of(second_credentials.customer_id).len(), 0);
    assert_eq!(sandbox.orders_of(sandbox.customer().customer_id).len(), 1);
    assert_eq!(
        first
            .get(&format!("/v1/invoices/{}", invoice["id"].as_str().unwrap()))
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn permissions_list_is_the_paginated_catalogue() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    let page = caller.get("/v1/permissions").await.body;
    assert_eq!(page["totalCount"], 11);
    let names: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for key in [
        "orders_read",
        "orders_write",
        "customer_applications_read",
        "customer_applications_write",
        "financial_write",
        "financial_read",
        "users_write",
        "users_read",
        "subscriptions_write",
        "subscriptions_read",
        "certificates_read",
    ] {
        assert!(names.contains(&key), "{key}");
    }
    let again = caller.get("/v1/permissions").await.body;
    assert_eq!(page["items"], again["items"], "stable ids");
    let second = caller.get("/v1/permissions?page=2&page-size=10").await.body;
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn balance_date_range_counts_only_those_days() {
    let sandbox = common::long_lived().await;
    let caller = Caller::seeded(&sandbox).await;
    let seeded_day = sandbox.now().date_naive();
    sandbox.advance_clock(std::time::Duration::from_secs(3 * 86_400));
    caller
        .order(json!({"vcuAmount": 2, "payWithBalance": true}))
        .await;
    caller.order(json!({"vcuAmount": 5})).await;
    let order_day = sandbox.now().date_naive();

    let all = caller.get("/v1/customers/balance").await.body;
    let vcu = &all["balancesByCurrency"][0]["vcuBalance"];
    assert_eq!(
        (
            common::dec(&vcu["credit"]),
            common::dec(&vcu["debt"]),
            common::dec(&vcu["futureDebt"])
        ),
        ("1000".into(), "2".into(), "5".into())
    );

    let orders_only = caller
        .get(&format!("/v1/customers/balance?startDate={order_day}"))
        .await
        .body;
    let vcu = &orders_only["balancesByCurrency"][0]["vcuBalance"];
    assert_eq!(common::dec(&vcu["credit"]), "0");
    assert_eq!(common::dec(&vcu["balance"]), "-2");
    assert!(orders_only["startDate"]
        .as_str()
        .unwrap()
        .starts_with(&order_day.to_string()));
    assert!(orders_only.get("endDate").is_none());

    let seed_only = caller
        .get(&format!(
            "/v1/customers/balance?startDate={seeded_day}&endDate={seeded_day}"
        ))
        .await
        .body;
    let vcu = &seed_only["balancesByCurrency"][0]["vcuBalance"];
    assert_eq!(common::dec(&vcu["credit"]), "1000");
    assert_eq!(common::dec(&vcu["debt"]), "0");

    let empty = caller
        .get("/v1/customers/balance?endDate=2000-01-01")
        .await
        .body;
    assert_eq!(empty["balancesByCurrency"], json!([]));

    for query in [
        "startDate=2024-02-30",
        "endDate=15/01/2024",
        "startDate=2024-02-02&endDate=2024-02-01",
    ] {
        caller
            .get(&format!("/v1/customers/balance?{query}"))
            .await
            .problem(400);
    }
}

#[tokio::test]
async fn unknown_paths_methods_and_bad_ids_are_problem_details() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    caller.get("/v1/nothing-here").await.problem(404);
    caller.delete("/v1/orders").await.problem(405);
    caller.get("/v1/invoices/12345").await.problem(400);
    caller
        .get(&format!("/v1/invoices/{}", uuid::Uuid::new_v4()))
        .await
        .problem(404);
    caller.get("/v1/prices?vcu-amount=abc").await.problem(400);
    caller.get("/v1/prices?vcu-amount=0").await.problem(400);
    caller
        .get("/v1/prices?target-currency=EUR")
        .await
        .problem(400);
    let usd = caller
        .get("/v1/prices?target-currency=usd&vcu-amount=0.02")
        .await;
    assert_eq!(
        (
            usd.body["currency"].as_str(),
            common::dec(&usd.body["vcuPrice"])
        ),
        (Some("USD"), "20.50".into())
    );
    caller
        .put("/v1/users/not-a-uuid", json!({"name": "x"}))
        .await
        .problem(400);
    caller.post_raw("/v1/users", "[]").await.problem(400);
    let wrong_type = caller
        .post("/v1/users", json!({"email": 5, "name": "x"}))
        .await;
    assert!(wrong_type.problem(400)["email"].is_array());
    // No plain-text rejection anywhere, even for a non-JSON body.
    let response = http()
        .post(format!("{}/v1/orders", sandbox.api_url()))
        .bearer_auth(&caller.token)
        .header("content-type", "text/plain")
        .body("vcuAmount=1")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn customers_keys_and_orders_are_reachable_over_the_control_paths() {
    let sandbox = common::sandbox().await;
    let base = sandbox.api_url();
    let client = http();
    let info: carbonext_sandbox::SandboxInfo =
        common::control_get(&sandbox, "/__sandbox/credentials").await;
    assert_eq!(&info, sandbox.info());

    let customer: carbonext_sandbox::CustomerCredentials =
        common::control_post(&sandbox, "/__sandbox/customers", None).await;
    let other = Caller::with_key(&sandbox, &customer.client_id, &customer.client_secret).await;
    other.order(json!({"vcuAmount": 1})).await;

    let key: carbonext_sandbox::CustomerCredentials = common::control_post(
        &sandbox,
        "/__sandbox/api-keys",
        Some(json!({"permissions": ["financial_read"]})),
    )
    .await;
    assert_eq!(key.customer_id, sandbox.customer().customer_id);
    let reader = Caller::with_key(&sandbox, &key.client_id, &key.client_secret).await;
    assert_eq!(reader.get("/v1/invoices").await.status, 200);
    reader.get("/v1/orders").await.problem(403);
    let unknown = client
        .post(format!("{base}/__sandbox/api-keys"))
        .json(&json!({"permissions": ["root"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 400);

    let orders: Vec<carbonext_api::types::Order> =
        common::control_get(&sandbox, "/__sandbox/orders").await;
    assert_eq!(orders.len(), 1);
    assert_eq!(orders, sandbox.orders_snapshot());
}
