//! `Accounts` and `Calculator` end to end against the sandbox over 127.0.0.1.

mod common;

use carbonext_domain::accounts::{NewApiKey, NewUser, PermissionRef, Resource, UserUpdate};
use carbonext_domain::calculator::{Route, TransportId, ZipCode};
use carbonext_domain::{Accounts, Calculator, Decimal, Error, Ledger, ValidationError};
use futures::TryStreamExt;

#[tokio::test]
async fn users_are_created_listed_updated_and_deleted() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let permissions = carbonext.permissions().await.unwrap();
    let orders_read = permissions
        .iter()
        .find(|p| p.key.as_deref() == Some("orders_read"))
        .expect("orders_read is a documented permission");

    let created = carbonext
        .create_user(NewUser {
            email: "ana@acme.example".into(),
            name: "Ana".into(),
            permissions: vec![PermissionRef::Id(orders_read.id)],
        })
        .await
        .unwrap();
    assert_eq!(created.email, "ana@acme.example");
    assert_eq!(created.permissions, vec![orders_read.clone()]);

    let page = carbonext.users_page(1, 50).await.unwrap();
    assert!(page.items.iter().any(|u| u.id == created.id));

    let updated = carbonext
        .update_user(
            created.id,
            UserUpdate {
                name: Some("Ana Maria".into()),
                permissions: vec![PermissionRef::key("orders_write")],
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Ana Maria"));
    let keys: Vec<_> = updated
        .permissions
        .iter()
        .map(|p| p.key.as_deref())
        .collect();
    assert_eq!(keys, [Some("orders_write")]);
    assert_eq!(
        carbonext.user(created.id).await.unwrap().name.as_deref(),
        Some("Ana Maria")
    );

    carbonext.delete_user(created.id).await.unwrap();
    let err = carbonext.user(created.id).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
}

#[tokio::test]
async fn api_keys_are_created_and_read_back_with_a_redacted_secret() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let created = carbonext
        .create_api_key(NewApiKey {
            client_id: "billing_job".into(),
            display_name: "Billing job".into(),
            permissions: vec![],
        })
        .await
        .unwrap();
    assert!(created.client_id.ends_with("billing_job"));
    assert!(!format!("{created:?}").contains(created.client_secret.expose()));

    let key = carbonext.api_key(created.id).await.unwrap();
    assert_eq!(key.client_id, created.client_id);
    let page = carbonext.api_keys_page(1, 100).await.unwrap();
    assert!(page.items.iter().any(|k| k.id == created.id));
}

#[tokio::test]
async fn resources_and_allowed_filters_are_listed() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let resources = carbonext.resources().await.unwrap();
    assert!(resources.contains(&Resource::Orders), "{resources:?}");
    assert!(resources.iter().all(Resource::is_known), "{resources:?}");
    let filters = carbonext.allowed_filters(Resource::Orders).await.unwrap();
    assert!(filters.filters.iter().any(|f| f == "status_in"));
    let aggregate = filters.aggregate.expect("orders aggregate");
    assert!(aggregate.columns.iter().any(|c| c == "vcuAmount"));
}

#[tokio::test]
async fn an_unknown_resource_is_sent_as_named_and_answered_by_the_server() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let unknown = Resource::from("carbon_projects");
    assert_eq!(unknown, Resource::Unknown("carbon_projects".into()));
    let err = carbonext.allowed_filters(unknown).await.unwrap_err();
    assert_eq!(err.status(), Some(404), "{err:?}");
    assert!(err.to_string().contains("carbon_projects"), "{err}");
    assert_eq!(
        sandbox.counters().operation("get_allowed_filters"),
        1,
        "sent, not refused client-side"
    );
}

#[tokio::test]
async fn emissions_are_calculated_by_distance_and_by_route() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let types = carbonext.transport_types().await.unwrap();
    let truck = types
        .iter()
        .find(|t| t.name == "CargoTruck")
        .expect("CargoTruck is listed");
    assert_eq!(truck.id, TransportId::CARGO_TRUCK);

    let by_distance = carbonext
        .emissions_by_distance(truck.id, Decimal::from(100_000))
        .await
        .unwrap();
    // The docs' example: 100 km by truck is exactly 0.03885 tCO2eq per tonne.
    assert_eq!(by_distance.emission.to_string(), "0.03885");
    assert_eq!(by_distance.unit.as_deref(), Some("tCO2eq/tonne"));

    let by_road = carbonext
        .emissions_by_route(
            truck.id,
            Route::road("01526-000", "66060425").unwrap(),
            Decimal::from(20_000),
        )
        .await
        .unwrap();
    assert!(by_road.emission > Decimal::ZERO);
    assert_eq!(by_road.unit.as_deref(), Some("tCO2eq"));

    let airports: Vec<_> = carbonext.airports().try_collect().await.unwrap();
    assert!(airports.len() >= 100);
    let gru = airports
        .iter()
        .find(|a| a.code.as_str() == "GRU")
        .expect("GRU is listed");
    let gig = airports
        .iter()
        .find(|a| a.code.as_str() == "GIG")
        .expect("GIG is listed");
    let flight = carbonext
        .emissions_by_route(
            TransportId::PASSENGER_AIRPLANE,
            Route::Air {
                from: gru.code,
                to: gig.code,
            },
            Decimal::from(2),
        )
        .await
        .unwrap();
    assert!(flight.emission > Decimal::ZERO);
}

#[tokio::test]
async fn invalid_route_codes_are_refused_before_any_request() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let before = sandbox.counters();

    let err = "0131-0100".parse::<ZipCode>().unwrap_err();
    assert!(
        matches!(err, ValidationError::InvalidZipCode { .. }),
        "{err:?}"
    );
    for (origin, destination) in [("GRU", "01310-100"), ("GR1", "GIG"), ("01310-100", "123")] {
        let err = Route::from_codes(origin, destination).unwrap_err();
        let err = Error::from(err);
        assert_eq!(err.kind(), "validation", "{origin} → {destination}: {err}");
    }
    // Non-positive amounts are refused by the facade itself.
    let route = Route::air("GRU", "GIG").unwrap();
    for units in [Decimal::ZERO, Decimal::from(-2)] {
        let err = carbonext
            .emissions_by_route(TransportId::PASSENGER_AIRPLANE, route, units)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Validation(_)), "{err:?}");
    }

    let after = sandbox.counters();
    assert_eq!(after.operation("calculate_emission"), 0);
    assert_eq!(after.total_api_requests(), before.total_api_requests());
    assert_eq!(after.token_requests(), before.token_requests());
}

#[tokio::test]
async fn an_unknown_transport_id_is_sent_as_given_and_answered_by_the_server() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let unknown = TransportId::new(42);
    assert!(
        !carbonext
            .transport_types()
            .await
            .unwrap()
            .iter()
            .any(|t| t.id == unknown),
        "42 is not a documented type"
    );
    let err = carbonext
        .emissions_by_distance(unknown, Decimal::from(1000))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(400), "{err:?}");
    assert!(err.to_string().contains("unknown type 42"), "{err}");
    assert_eq!(sandbox.counters().operation("calculate_emission"), 1);
}

#[tokio::test]
async fn public_operations_need_no_token_even_with_wrong_credentials() {
    let sandbox = common::sandbox().await;
    let carbonext = common::builder(&sandbox)
        .credentials(carbonext_domain::Credentials::new(
            sandbox.client_id(),
            "not-the-secret",
        ))
        .build()
        .expect("the facade builds");

    let types = carbonext.transport_types().await.expect("public: no token");
    assert!(!types.is_empty());
    assert!(!carbonext.resources().await.expect("public").is_empty());
    assert!(
        carbonext
            .allowed_filters(Resource::Invoices)
            .await
            .expect("public")
            .filters
            .iter()
            .any(|f| f.starts_with("status_")),
        "invoices accept status filters"
    );
    assert_eq!(
        sandbox.counters().token_requests(),
        0,
        "a public operation never waits for a token"
    );

    let err = carbonext
        .balance(None)
        .await
        .expect_err("a protected operation needs a token");
    assert!(
        matches!(err, carbonext_domain::Error::Auth { .. }),
        "{err:?}"
    );
    assert!(!err.to_string().contains("not-the-secret"), "{err}");
}
