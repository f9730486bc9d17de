//! Each of the 23 operations of the generated [`carbonext_api::Client`] reaches a real HTTP
//! peer on 127.0.0.1 with the documented method, path, query string, headers and body, and
//! decodes the documented response.
//!
//! Request bodies are the doc examples of `tests/fixtures/`, decoded into the generated
//! request type and sent by the client; the peer must receive the same JSON, numbers
//! digit for digit. Query strings are asserted as the exact text the client emits.

mod common;

use carbonext_api::types;
use carbonext_api::{Client, Currency, DecimalText, Hooks, Page, Secret};
use common::{encoded, fixture, json, number_text, round_trip_differences, Canned, Peer, Recorded};
use serde::de::DeserializeOwned;
use serde::Serialize;
use uuid::Uuid;

const ORDER_ID: &str = "4158d5d1-9364-46e6-8d0d-451f528261e7";
const INVOICE_ID: &str = "24882adc-d020-4e5a-ac26-36c12d24c507";
const USER_ID: &str = "161429f6-a6e6-4583-8a5e-f55784b10c63";
const APPLICATION_ID: &str = "02c75cc5-b575-4b5f-87d8-bf09e6009c23";
const CUSTOMER_ID: &str = "d762a683-cb74-43a4-979a-6579dc53cec1";

/// A peer answering every request with the fixture `response`, and a client pointed at it.
async fn peer_answering(response: &str) -> (Peer, Client) {
    let peer = Peer::start(Canned::json(fixture(response))).await;
    let client = Client::new(&peer.url, Hooks::none());
    (peer, client)
}

fn uuid(text: &str) -> Uuid {
    text.parse().unwrap()
}

/// The fixture decoded as a request type, to be sent by the client.
fn request_body<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&fixture(name)).unwrap()
}

/// The decoded response holds everything of the fixture the peer sent (numbers by text).
fn assert_decoded_as<T: Serialize>(decoded: &T, response: &str) {
    let differences = round_trip_differences(&json(&fixture(response)), &encoded(decoded));
    assert!(
        differences.is_empty(),
        "decoded {response} differs:\n{}",
        differences.join("\n")
    );
}

/// The request carried the fixture `body` as JSON: same members, numbers digit for digit.
fn assert_json_body(received: &Recorded, body: &str) {
    assert_eq!(received.header("content-type"), Some("application/json"));
    let differences = round_trip_differences(&json(&fixture(body)), &json(received.body_text()));
    assert!(
        differences.is_empty(),
        "sent body differs from {body}:\n{}\nsent: {}",
        differences.join("\n"),
        received.body_text()
    );
}

fn assert_no_body(received: &Recorded) {
    assert!(
        received.body.is_empty(),
        "unexpected body: {}",
        received.body_text()
    );
}

/// Headers every generated call sends.
fn assert_common_headers(received: &Recorded) {
    assert_eq!(received.header("accept"), Some("application/json"));
    // progenitor's `api-version` header is not part of the Carbonext API: never sent.
    assert_eq!(received.header("api-version"), None);
    assert_eq!(
        received.header("authorization"),
        None,
        "no hook, no credentials"
    );
}

// --- auth ---------------------------------------------------------------------------------

#[tokio::test]
async fn request_token_posts_the_client_credentials_form_to_the_keycloak_path() {
    let (peer, client) = peer_answering("request_token.response.json").await;
    let token = client
        .request_token()
        .body(types::TokenRequest {
            grant_type: "client_credentials".into(),
            client_id: "cbx_b2b_3fe7cbb3-212b-4591-acb3-009ca9e57ff7".into(),
            client_secret: Secret::new("7beb0588-edb3-44f4-bbfc-9779cd5c9dbf"),
            scope: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "POST");
    assert_eq!(
        received.path,
        "/auth/realms/co2free/protocol/openid-connect/token"
    );
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_eq!(
        received.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        received.body_text(),
        "client_id=cbx_b2b_3fe7cbb3-212b-4591-acb3-009ca9e57ff7\
         &client_secret=7beb0588-edb3-44f4-bbfc-9779cd5c9dbf\
         &grant_type=client_credentials"
    );
    assert_eq!(
        token.access_token.expose(),
        "kRjvJJpQpwWHoWKi-K_5SO0w0dkAqiO2QudmyoJxlTI"
    );
    assert_decoded_as(&token, "request_token.response.json");
}

#[tokio::test]
async fn request_token_sends_the_optional_scope_in_the_form() {
    let (peer, client) = peer_answering("request_token.response.json").await;
    client
        .request_token()
        .body(request_body::<types::TokenRequest>(
            "request_token.request.json",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        peer.only_request().body_text(),
        "client_id=cbx_b2b_3fe7cbb3-212b-4591-acb3-009ca9e57ff7\
         &client_secret=7beb0588-edb3-44f4-bbfc-9779cd5c9dbf\
         &grant_type=client_credentials&scope=roles"
    );
}

// --- prices -------------------------------------------------------------------------------

#[tokio::test]
async fn get_price_sends_vcu_amount_as_exact_text_and_the_currency() {
    let (peer, client) = peer_answering("get_price.response.json").await;
    let price = client
        .get_price()
        .vcu_amount("0.02".parse::<DecimalText>().unwrap())
        .target_currency(Currency::Brl)
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/prices");
    assert_eq!(
        received.query.as_deref(),
        Some("target-currency=BRL&vcu-amount=0.02")
    );
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(price.vcu_price.to_string(), "137.5");
    assert_eq!(price.currency, Currency::Brl);
    assert_decoded_as(&price, "get_price.response.json");
}

#[tokio::test]
async fn get_price_without_parameters_sends_no_query_string() {
    let (peer, client) = peer_answering("get_price.response.json").await;
    client.get_price().send().await.unwrap();
    let received = peer.only_request();
    assert_eq!(received.path, "/v1/prices");
    assert_eq!(received.query, None);
}

#[tokio::test]
async fn get_price_keeps_trailing_zeros_and_sends_an_unknown_currency_as_is() {
    let (peer, client) = peer_answering("get_price.response.json").await;
    client
        .get_price()
        .vcu_amount("1.50".parse::<DecimalText>().unwrap())
        .target_currency(Currency::from("EUR"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        peer.only_request().query.as_deref(),
        Some("target-currency=EUR&vcu-amount=1.50")
    );
}

// --- orders -------------------------------------------------------------------------------

#[tokio::test]
async fn create_order_posts_the_order_with_vcu_amount_as_a_json_number() {
    let (peer, client) = peer_answering("create_order.response.json").await;
    let order = client
        .create_order()
        .body(request_body::<types::NewOrder>("create_order.request.json"))
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, "/v1/orders");
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_json_body(&received, "create_order.request.json");
    assert!(
        received.body_text().contains(r#""vcuAmount":0.02"#),
        "{}",
        received.body_text()
    );
    assert_eq!(order.id, uuid(ORDER_ID));
    assert_eq!(order.total_price.unwrap().to_string(), "2.200");
    assert_decoded_as(&order, "create_order.response.json");
}

#[tokio::test]
async fn list_orders_sends_page_size_sort_and_filter() {
    let (peer, client) = peer_answering("list_orders.response.json").await;
    let page = client
        .list_orders()
        .page(1u32)
        .page_size(100u32)
        .sort_by("createdAt_desc")
        .filter_by("status_in:Paid-pending~totalPrice_ge:7000")
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/orders");
    assert_eq!(
        received.query.as_deref(),
        Some(
            "filter-by=status_in%3APaid-pending%7EtotalPrice_ge%3A7000\
             &page=1&page-size=100&sort-by=createdAt_desc"
        )
    );
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[1].vcu_unit_price.unwrap().to_string(), "110.00");
    assert_decoded_as(&page, "list_orders.response.json");
}

#[tokio::test]
async fn cancel_order_posts_to_the_order_cancel_path_without_body() {
    let (peer, client) = peer_answering("cancel_order.response.json").await;
    let order = client
        .cancel_order()
        .order_id(uuid(ORDER_ID))
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, format!("/v1/orders/{ORDER_ID}/cancel"));
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(order.status, carbonext_api::OrderStatus::Cancelled);
    assert_decoded_as(&order, "cancel_order.response.json");
}

#[tokio::test]
async fn cancel_orders_posts_the_order_ids_to_the_batch_path() {
    let (peer, client) = peer_answering("cancel_orders.response.json").await;
    let second = "07c8543f-752f-43c7-af65-04a6cf3c8841";
    let cancelled = client
        .cancel_orders()
        .body(types::CancelOrders {
            orders_ids: vec![uuid(ORDER_ID), uuid(second)],
        })
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, "/v1/orders/cancel");
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_eq!(received.header("content-type"), Some("application/json"));
    assert_eq!(
        received.body_text(),
        format!(r#"{{"ordersIds":["{ORDER_ID}","{second}"]}}"#)
    );
    let carbonext_api::CancelledOrders::Order(order) = &cancelled else {
        panic!("the documented single-order answer decodes as one order: {cancelled:?}");
    };
    assert_eq!(order.id, uuid(ORDER_ID));
    assert_decoded_as(&cancelled, "cancel_orders.response.json");
}

#[tokio::test]
async fn cancel_orders_also_decodes_an_array_of_orders() {
    let order = fixture("cancel_order.response.json");
    let peer = Peer::start(Canned::json(format!("[{order}, {order}]"))).await;
    let client = Client::new(&peer.url, Hooks::none());
    let cancelled = client
        .cancel_orders()
        .body(types::CancelOrders {
            orders_ids: vec![uuid(ORDER_ID)],
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(
        matches!(&cancelled, carbonext_api::CancelledOrders::Array(orders) if orders.len() == 2)
    );
}

// --- balance and invoices -----------------------------------------------------------------

#[tokio::test]
async fn get_balance_sends_the_period_as_dates() {
    let (peer, client) = peer_answering("get_balance.getting_started.response.json").await;
    let balance = client
        .get_balance()
        .start_date(chrono::NaiveDate::from_ymd_opt(2022, 7, 12).unwrap())
        .end_date(chrono::NaiveDate::from_ymd_opt(2022, 7, 21).unwrap())
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/customers/balance");
    assert_eq!(
        received.query.as_deref(),
        Some("endDate=2022-07-21&startDate=2022-07-12")
    );
    assert_common_headers(&received);
    assert_no_body(&received);
    let brl = &balance.balances_by_currency[0];
    assert_eq!(brl.currency, Currency::Brl);
    assert_eq!(brl.vcu_balance.debt.unwrap().to_string(), "37.53443683424");
    assert_decoded_as(&balance, "get_balance.getting_started.response.json");
}

#[tokio::test]
async fn list_invoices_sends_the_documented_filter_query() {
    let (peer, client) = peer_answering("list_invoices.filtered.response.json").await;
    let page = client
        .list_invoices()
        .page(1u32)
        .page_size(10u32)
        .sort_by("totalVcuAmount_asc")
        .filter_by("totalVcuAmount_ge:30~status_in:Paid-pending")
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/invoices");
    assert_eq!(
        received.query.as_deref(),
        Some(
            "filter-by=totalVcuAmount_ge%3A30%7Estatus_in%3APaid-pending\
             &page=1&page-size=10&sort-by=totalVcuAmount_asc"
        )
    );
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(page.total_count, 7);
    assert_decoded_as(&page, "list_invoices.filtered.response.json");
}

#[tokio::test]
async fn get_invoice_gets_the_invoice_by_id() {
    let (peer, client) = peer_answering("get_invoice.response.json").await;
    let invoice = client
        .get_invoice()
        .id(uuid(INVOICE_ID))
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, format!("/v1/invoices/{INVOICE_ID}"));
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(invoice.status, carbonext_api::InvoiceStatus::Paid);
    assert_eq!(invoice.total_price.unwrap().to_string(), "137.5");
    assert_decoded_as(&invoice, "get_invoice.response.json");
}

// --- users --------------------------------------------------------------------------------

#[tokio::test]
async fn create_user_posts_the_user_with_permission_ids() {
    let (peer, client) = peer_answering("create_user.response.json").await;
    let user = client
        .create_user()
        .body(request_body::<types::NewUser>("create_user.request.json"))
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, "/v1/users");
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_json_body(&received, "create_user.request.json");
    assert_eq!(user.permissions.len(), 3);
    assert_decoded_as(&user, "create_user.response.json");
}

#[tokio::test]
async fn list_users_sends_page_and_page_size() {
    let (peer, client) = peer_answering("list_users.response.json").await;
    let page = client
        .list_users()
        .page(1u32)
        .page_size(10u32)
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/users");
    assert_eq!(received.query.as_deref(), Some("page=1&page-size=10"));
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(page.items[0].email, "usuario2@email.com");
    assert_decoded_as(&page, "list_users.response.json");
}

#[tokio::test]
async fn get_user_sends_force_refresh_and_include_permissions() {
    let (peer, client) = peer_answering("get_user.response.json").await;
    let user = client
        .get_user()
        .id(uuid(USER_ID))
        .force_refresh(true)
        .include_permissions(true)
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, format!("/v1/users/{USER_ID}"));
    assert_eq!(
        received.query.as_deref(),
        Some("force-refresh=true&include-permissions=true")
    );
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(user.id, uuid(USER_ID));
    assert_decoded_as(&user, "get_user.response.json");
}

#[tokio::test]
async fn update_user_puts_name_and_permission_keys() {
    let (peer, client) = peer_answering("get_user.response.json").await;
    let user = client
        .update_user()
        .id(uuid(USER_ID))
        .body(types::UserUpdate {
            name: Some("Teste".into()),
            permissions: vec![
                types::PermissionRef {
                    id: None,
                    key: Some("customer_applications_write".into()),
                },
                types::PermissionRef {
                    id: Some(uuid("5db0f399-28ab-4980-b320-9c321eea3bb1")),
                    key: None,
                },
            ],
        })
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "PUT");
    assert_eq!(received.path, format!("/v1/users/{USER_ID}"));
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_eq!(received.header("content-type"), Some("application/json"));
    assert_eq!(
        received.body_text(),
        r#"{"name":"Teste","permissions":[{"key":"customer_applications_write"},{"id":"5db0f399-28ab-4980-b320-9c321eea3bb1"}]}"#
    );
    assert_decoded_as(&user, "get_user.response.json");
}

#[tokio::test]
async fn delete_user_deletes_by_id_and_decodes_the_bare_true() {
    let (peer, client) = peer_answering("delete_user.response.json").await;
    let deleted = client
        .delete_user()
        .id(uuid(USER_ID))
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "DELETE");
    assert_eq!(received.path, format!("/v1/users/{USER_ID}"));
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_no_body(&received);
    assert!(deleted);
}

// --- applications -------------------------------------------------------------------------

#[tokio::test]
async fn create_application_posts_the_key_request_with_the_customer_id_query() {
    let (peer, client) = peer_answering("create_application.response.json").await;
    let credentials = client
        .create_application()
        .customer_id(uuid(CUSTOMER_ID))
        .body(request_body::<types::NewApplication>(
            "create_application.request.json",
        ))
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, "/v1/customers/applications");
    assert_eq!(received.query, Some(format!("customer-id={CUSTOMER_ID}")));
    assert_common_headers(&received);
    assert_json_body(&received, "create_application.request.json");
    assert_eq!(credentials.client_id, "cbx_b2b_myapp_name");
    assert_eq!(
        credentials.client_secret.expose(),
        "1d49c575-81f8-4d8c-bc18-93711cf7eb24"
    );
    assert_decoded_as(&credentials, "create_application.response.json");
}

#[tokio::test]
async fn list_applications_sends_page_and_page_size() {
    let (peer, client) = peer_answering("list_applications.response.json").await;
    let page = client
        .list_applications()
        .page(2u32)
        .page_size(10u32)
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/customers/applications");
    assert_eq!(received.query.as_deref(), Some("page=2&page-size=10"));
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(page.items[0].display_name.as_deref(), Some("My test app44"));
    assert_decoded_as(&page, "list_applications.response.json");
}

#[tokio::test]
async fn get_application_gets_the_key_by_id() {
    let (peer, client) = peer_answering("get_application.response.json").await;
    let application = client
        .get_application()
        .id(uuid(APPLICATION_ID))
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(
        received.path,
        format!("/v1/customers/applications/{APPLICATION_ID}")
    );
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(application.id, uuid(APPLICATION_ID));
    assert_decoded_as(&application, "get_application.response.json");
}

// --- permissions, resources, filters ------------------------------------------------------

#[tokio::test]
async fn list_permissions_sends_paging_and_decodes_the_bare_array() {
    let (peer, client) = peer_answering("list_permissions.response.json").await;
    let permissions = client
        .list_permissions()
        .page(1u32)
        .page_size(20u32)
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/permissions");
    assert_eq!(received.query.as_deref(), Some("page=1&page-size=20"));
    assert_common_headers(&received);
    assert_no_body(&received);
    let types::PermissionList::Array(items) = &permissions else {
        panic!("the documented bare array decodes as an array: {permissions:?}");
    };
    assert_eq!(items[0].name.as_deref(), Some("users_write"));
    assert_decoded_as(&permissions, "list_permissions.response.json");
}

#[tokio::test]
async fn list_permissions_also_decodes_a_page() {
    let permissions: Vec<serde_json::Value> =
        serde_json::from_str(&fixture("list_permissions.response.json")).unwrap();
    let page = serde_json::json!({
        "items": permissions, "pageIndex": 1, "totalPages": 1, "totalCount": 3,
        "aggregations": null, "hasPreviousPage": false, "hasNextPage": false,
    });
    let peer = Peer::start(Canned::json(page.to_string())).await;
    let client = Client::new(&peer.url, Hooks::none());
    let list = client.list_permissions().send().await.unwrap().into_inner();
    assert!(matches!(&list, types::PermissionList::PermissionPage(p) if p.total_count == 3));
}

#[tokio::test]
async fn list_resources_gets_the_filterable_resources() {
    let (peer, client) = peer_answering("list_resources.response.json").await;
    let resources = client.list_resources().send().await.unwrap().into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/resources");
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_no_body(&received);
    assert!(resources.entities.contains(&"orders".to_owned()));
    assert_decoded_as(&resources, "list_resources.response.json");
}

#[tokio::test]
async fn get_allowed_filters_puts_the_resource_in_the_path() {
    let (peer, client) = peer_answering("get_allowed_filters.response.json").await;
    let filters = client
        .get_allowed_filters()
        .resource("orders")
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/allowed-filters/orders");
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(
        filters.sort,
        ["createdAt", "vcuAmount", "status", "vcuUnitPrice"]
    );
    assert_decoded_as(&filters, "get_allowed_filters.response.json");
}

#[tokio::test]
async fn get_allowed_filters_percent_encodes_the_resource_segment() {
    let (peer, client) = peer_answering("get_allowed_filters.response.json").await;
    client
        .get_allowed_filters()
        .resource("a/b c")
        .send()
        .await
        .unwrap();
    assert_eq!(peer.only_request().path, "/v1/allowed-filters/a%2Fb%20c");
}

// --- calculators --------------------------------------------------------------------------

#[tokio::test]
async fn list_calculator_types_gets_the_transport_types() {
    let (peer, client) = peer_answering("list_calculator_types.response.json").await;
    let types = client
        .list_calculator_types()
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/calculators/types");
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(types.types[1].name, "PassengerAirplane");
    assert_decoded_as(&types, "list_calculator_types.response.json");
}

#[tokio::test]
async fn list_airports_sends_page_and_page_size() {
    let (peer, client) = peer_answering("list_airports.response.json").await;
    let page: Page<types::Airport> = client
        .list_airports()
        .page(2u32)
        .page_size(10u32)
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "GET");
    assert_eq!(received.path, "/v1/calculators/airports");
    assert_eq!(received.query.as_deref(), Some("page=2&page-size=10"));
    assert_common_headers(&received);
    assert_no_body(&received);
    assert_eq!(page.total_count, 458);
    assert_decoded_as(&page, "list_airports.response.json");
}

#[tokio::test]
async fn calculate_emission_posts_the_distance_form() {
    let (peer, client) = peer_answering("calculate_emission.distance.response.json").await;
    let emission = client
        .calculate_emission()
        .body(request_body::<carbonext_api::EmissionRequest>(
            "calculate_emission.distance.request.json",
        ))
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, "/v1/calculators/calculate");
    assert_eq!(received.query, None);
    assert_common_headers(&received);
    assert_json_body(&received, "calculate_emission.distance.request.json");
    assert!(received.body_text().contains(r#""distance":100000"#));
    assert_eq!(emission.emission.to_string(), "0.03885");
    assert_decoded_as(&emission, "calculate_emission.distance.response.json");
}

#[tokio::test]
async fn calculate_emission_posts_the_route_form() {
    let (peer, client) = peer_answering("calculate_emission.route.response.json").await;
    let emission = client
        .calculate_emission()
        .body(request_body::<carbonext_api::EmissionRequest>(
            "calculate_emission.route.request.json",
        ))
        .send()
        .await
        .unwrap()
        .into_inner();

    let received = peer.only_request();
    assert_eq!(received.method, "POST");
    assert_eq!(received.path, "/v1/calculators/calculate");
    assert_common_headers(&received);
    assert_json_body(&received, "calculate_emission.route.request.json");
    assert!(received.body_text().contains(r#""destCode":"66060425""#));
    assert_eq!(emission.emission.to_string(), "0.0293110549184694");
    assert_decoded_as(&emission, "calculate_emission.route.response.json");
}

// --- requests the client refuses to send --------------------------------------------------

#[test]
fn order_meta_data_over_500_characters_cannot_be_built_or_decoded() {
    let error = types::NewOrderMetaData::try_from("x".repeat(501)).unwrap_err();
    assert_eq!(error.to_string(), "longer than 500 characters");
    let body = format!(
        r#"{{"vcuAmount": 0.02, "metaData": "{}"}}"#,
        "x".repeat(501)
    );
    let error = serde_json::from_str::<types::NewOrder>(&body).unwrap_err();
    assert!(
        error.to_string().contains("longer than 500 characters"),
        "{error}"
    );
}

#[tokio::test]
async fn create_order_with_meta_data_of_500_characters_is_sent() {
    let (peer, client) = peer_answering("create_order.response.json").await;
    client
        .create_order()
        .body(
            types::NewOrder::builder()
                .vcu_amount(rust_decimal::Decimal::new(2, 2))
                .meta_data(Some(
                    types::NewOrderMetaData::try_from("é".repeat(500)).unwrap(),
                )),
        )
        .send()
        .await
        .unwrap();
    let sent = json(peer.only_request().body_text());
    assert_eq!(sent["metaData"].as_str().unwrap().chars().count(), 500);
    assert_eq!(number_text(&sent["vcuAmount"]), Some("0.02"));
}

#[tokio::test]
async fn create_order_without_vcu_amount_is_refused_before_sending() {
    let (peer, client) = peer_answering("create_order.response.json").await;
    let error = client
        .create_order()
        .body(types::NewOrder::builder().target_currency(Currency::Brl))
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(&error, carbonext_api::Error::InvalidRequest(m) if m.contains("vcu_amount")),
        "{error:?}"
    );
    assert!(peer.received().is_empty());
}
