//! Every operation of `openapi.yaml` through the generated client: the sandbox's answers
//! decode into the wire types, success and error alike, so spec and emulator agree.

mod common;

use carbonext_api::types::{
    CancelOrders, DistanceEmissionRequest, NewApplication, NewOrder, NewUser, PermissionList,
    PermissionRef, RouteEmissionRequest, TokenRequest, UserUpdate,
};
use carbonext_api::{CancelledOrders, Client, EmissionRequest, Error, Hooks, OrderStatus};
use rust_decimal_macros::dec;

fn new_order(amount: rust_decimal::Decimal) -> NewOrder {
    NewOrder {
        vcu_amount: amount.into(),
        target_currency: None,
        certificate_recipient_info: None,
        meta_data: None,
        pay_with_balance: None,
    }
}

#[tokio::test]
async fn every_operation_decodes_through_the_generated_client() {
    let sandbox = common::sandbox().await;
    let anonymous = Client::new(&sandbox.api_url(), Hooks::none());

    // request_token
    let token = anonymous
        .request_token()
        .body(TokenRequest {
            grant_type: "client_credentials".into(),
            client_id: sandbox.client_id(),
            client_secret: sandbox.client_secret().into(),
            scope: Some("roles".into()),
        })
        .send()
        .await
        .expect("token")
        .into_inner();
    assert_eq!(token.token_type, "Bearer");
    let api = Client::new(
        &sandbox.api_url(),
        Hooks::none().with(common::Bearer(token.access_token.expose().to_owned())),
    );

    // get_price, create_order, list_orders, cancel_order, cancel_orders
    api.get_price().send().await.expect("price");
    let first = api
        .create_order()
        .body(new_order(dec!(1)))
        .send()
        .await
        .expect("order");
    let second = api
        .create_order()
        .body(new_order(dec!(2)))
        .send()
        .await
        .expect("order");
    let third = api
        .create_order()
        .body(new_order(dec!(3)))
        .send()
        .await
        .expect("order");
    let page = api
        .list_orders()
        .page(1u32)
        .page_size(2u32)
        .sort_by("vcuAmount_asc")
        .send()
        .await;
    let page = page.expect("orders").into_inner();
    assert_eq!((page.items.len(), page.total_count), (2, 3));
    let cancelled = api
        .cancel_order()
        .order_id(first.id)
        .send()
        .await
        .expect("cancel");
    assert_eq!(cancelled.status, OrderStatus::Cancelled);
    let batch = api
        .cancel_orders()
        .body(CancelOrders {
            orders_ids: vec![second.id, third.id],
        })
        .send()
        .await
        .expect("batch cancel")
        .into_inner();
    assert!(matches!(batch, CancelledOrders::Array(ref orders) if orders.len() == 2));

    // get_balance, list_invoices, get_invoice
    let today = sandbox.now().date_naive();
    let balance = api
        .get_balance()
        .start_date(today)
        .end_date(today)
        .send()
        .await;
    assert!(balance.expect("balance").start_date.is_some());
    let invoices = api
        .list_invoices()
        .filter_by("status_in:paid-pending")
        .send()
        .await;
    let invoice = invoices.expect("invoices").into_inner().items.remove(0);
    api.get_invoice()
        .id(invoice.id)
        .send()
        .await
        .expect("invoice");

    // users
    let user = api
        .create_user()
        .body(NewUser {
            email: "generated@example.com".into(),
            name: "Generated".into(),
            permissions: vec![PermissionRef {
                id: None,
                key: Some("orders_read".into()),
            }],
        })
        .send()
        .await
        .expect("user")
        .into_inner();
    api.list_users().send().await.expect("users");
    let fetched = api
        .get_user()
        .id(user.id)
        .include_permissions(true)
        .send()
        .await;
    assert_eq!(fetched.expect("user").permissions.len(), 1);
    let updated = api
        .update_user()
        .id(user.id)
        .body(UserUpdate {
            name: Some("Renamed".into()),
            permissions: vec![],
        })
        .send()
        .await
        .expect("update");
    assert_eq!(updated.name.as_deref(), Some("Renamed"));
    assert!(api
        .delete_user()
        .id(user.id)
        .send()
        .await
        .expect("delete")
        .into_inner());

    // applications and permissions
    let key = api
        .create_application()
        .body(NewApplication {
            client_id: "generated".into(),
            display_name: "Generated".into(),
            permissions: vec![],
        })
        .send()
        .await
        .expect("application")
        .into_inner();
    assert_eq!(key.client_id, "cbx_b2b_generated");
    api.list_applications().send().await.expect("applications");
    api.get_application()
        .id(key.id)
        .send()
        .await
        .expect("application");
    let permissions = api
        .list_permissions()
        .send()
        .await
        .expect("permissions")
        .into_inner();
    assert!(matches!(permissions, PermissionList::PermissionPage(ref p) if p.total_count == 11));

    // public catalogue and calculators
    anonymous.list_resources().send().await.expect("resources");
    anonymous
        .get_allowed_filters()
        .resource("orders")
        .send()
        .await
        .expect("filters");
    anonymous
        .list_calculator_types()
        .send()
        .await
        .expect("types");
    anonymous
        .list_airports()
        .page_size(50u32)
        .send()
        .await
        .expect("airports");
    let by_distance = anonymous
        .calculate_emission()
        .body(EmissionRequest::DistanceEmissionRequest(
            DistanceEmissionRequest {
                type_: 0,
                distance: dec!(100000).into(),
            },
        ))
        .send()
        .await
        .expect("emission");
    assert_eq!(by_distance.emission, dec!(0.03885));
    anonymous
        .calculate_emission()
        .body(EmissionRequest::RouteEmissionRequest(
            RouteEmissionRequest {
                type_: 1,
                origin_code: "GIG".into(),
                dest_code: "CDG".into(),
                unit_value: dec!(1).into(),
            },
        ))
        .send()
        .await
        .expect("emission");

    let counters = sandbox.counters();
    for operation in [
        "request_token",
        "get_price",
        "create_order",
        "list_orders",
        "cancel_order",
        "cancel_orders",
        "get_balance",
        "list_invoices",
        "get_invoice",
        "create_user",
        "list_users",
        "get_user",
        "update_user",
        "delete_user",
        "create_application",
        "list_applications",
        "get_application",
        "list_permissions",
        "list_resources",
        "get_allowed_filters",
        "list_calculator_types",
        "list_airports",
        "calculate_emission",
    ] {
        assert!(
            counters.operation(operation) >= 1,
            "{operation} was counted"
        );
    }
}

#[tokio::test]
async fn errors_decode_as_problem_details_and_oauth_errors() {
    let sandbox = common::sandbox().await;
    let api = common::api(&sandbox).await;
    match api.create_order().body(new_order(dec!(0))).send().await {
        Err(Error::ErrorResponse(problem)) => {
            assert_eq!(problem.status(), 400);
            assert_eq!(problem.status, Some(400));
            assert!(problem.errors.contains_key("vcuAmount"));
            assert!(problem.trace_id.is_some());
        }
        other => panic!("expected a problem, got {other:?}"),
    }
    match api
        .cancel_order()
        .order_id(uuid::Uuid::new_v4())
        .send()
        .await
    {
        Err(Error::ErrorResponse(problem)) => assert_eq!(problem.status(), 404),
        other => panic!("expected 404, got {other:?}"),
    }
    let anonymous = Client::new(&sandbox.api_url(), Hooks::none());
    match anonymous.list_orders().send().await {
        Err(Error::ErrorResponse(problem)) => assert_eq!(problem.status(), 401),
        other => panic!("expected 401, got {other:?}"),
    }
    let refused = anonymous
        .request_token()
        .body(TokenRequest {
            grant_type: "client_credentials".into(),
            client_id: sandbox.client_id(),
            client_secret: "wrong".into(),
            scope: None,
        })
        .send()
        .await;
    match refused {
        Err(Error::ErrorResponse(error)) => {
            assert_eq!(error.status(), 401);
            assert_eq!(error.error, "invalid_client");
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
}
