//! `Accounts` and `Calculator` end to end against the sandbox over 127.0.0.1.

mod common;

use carbonext_domain::accounts::{permission_key, NewApiKey, NewUser, PermissionRef, UserUpdate};
use carbonext_domain::{Accounts, Calculator, Decimal, Ledger};
use futures::TryStreamExt;

#[tokio::test]
async fn users_are_created_listed_updated_and_deleted() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let permissions = carbonext.permissions().await.unwrap();
    let orders_read = permissions
        .iter()
        .find(|p| permission_key(p) == Some("orders_read"))
        .expect("orders_read is a documented permission");

    let created = carbonext
        .create_user(NewUser {
            email: "ana@acme.example".into(),
            name: "Ana".into(),
            permissions: vec![PermissionRef {
                id: Some(orders_read.id),
                key: None,
            }],
        })
        .await
        .unwrap();
    assert_eq!(created.email, "ana@acme.example");

    let page = carbonext.users_page(1, 50).await.unwrap();
    assert!(page.items.iter().any(|u| u.id == created.id));

    let updated = carbonext
        .update_user(
            created.id,
            UserUpdate {
                name: Some("Ana Maria".into()),
                permissions: vec![],
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.name.as_deref(), Some("Ana Maria"));
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
    assert!(resources.iter().any(|r| r == "orders"));
    let filters = carbonext.allowed_filters("orders".into()).await.unwrap();
    assert!(filters.filters.iter().any(|f| f == "status_in"));
}

#[tokio::test]
async fn emissions_are_calculated_by_distance_and_by_route() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    let types = carbonext.transport_types().await.unwrap();
    assert!(types.iter().any(|t| t.name == "CargoTruck"));

    let by_distance = carbonext
        .emissions_by_distance(0, Decimal::from(100_000))
        .await
        .unwrap();
    assert!(*by_distance.emission > Decimal::ZERO);

    let airports: Vec<_> = carbonext.airports().try_collect().await.unwrap();
    assert!(airports.len() >= 100);
    assert!(airports.iter().any(|a| a.code == "GRU"));
    let flight = carbonext
        .emissions_by_route(1, "GRU".into(), "GIG".into(), Decimal::from(2))
        .await
        .unwrap();
    assert!(*flight.emission > Decimal::ZERO);
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
