//! The token endpoint, token expiry, revocation and the 401/403 answers.

mod common;

use std::time::Duration;

use common::{http, Caller};
use serde_json::Value;

async fn token_answer(sandbox: &carbonext_sandbox::Sandbox, form: &[(&str, &str)]) -> (u16, Value) {
    let response = http()
        .post(sandbox.token_url())
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn client_credentials_grant_answers_a_keycloak_token() {
    let sandbox = common::sandbox().await;
    let (id, secret) = (sandbox.client_id(), sandbox.client_secret());
    let (status, body) = token_answer(
        &sandbox,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
            ("scope", "roles"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["expires_in"], 36000);
    assert_eq!(body["refresh_expires_in"], 0);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["not-before-policy"], 0);
    assert_eq!(body["scope"], "profile email roles");
    let token = body["access_token"].as_str().unwrap();
    assert!(token.len() >= 43, "32 random bytes, base64url");
    assert!(token
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    assert!(id.starts_with("cbx_b2b_"));
    assert!(uuid::Uuid::parse_str(&secret).is_ok());
}

#[tokio::test]
async fn token_errors_follow_rfc_6749() {
    let sandbox = common::sandbox().await;
    let id = sandbox.client_id();
    type Form<'a> = &'a [(&'a str, &'a str)];
    let cases: [(Form, u16, &str); 5] = [
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", &id),
                ("client_secret", "wrong"),
            ],
            401,
            "invalid_client",
        ),
        (
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "cbx_b2b_nobody"),
                ("client_secret", "x"),
            ],
            401,
            "invalid_client",
        ),
        (
            &[("grant_type", "password"), ("client_id", &id)],
            400,
            "unsupported_grant_type",
        ),
        (
            &[("client_id", &id), ("client_secret", "x")],
            400,
            "invalid_request",
        ),
        (
            &[("grant_type", "client_credentials"), ("client_id", &id)],
            400,
            "invalid_request",
        ),
    ];
    for (form, status, error) in cases {
        let (got, body) = token_answer(&sandbox, form).await;
        assert_eq!(
            (got, body["error"].as_str().unwrap()),
            (status, error),
            "{form:?}"
        );
        assert!(body["error_description"].is_string());
    }
    assert_eq!(sandbox.counters().token_requests(), 5);
}

#[tokio::test]
async fn expired_token_is_401_with_challenge_and_counted() {
    let sandbox = carbonext_sandbox::Sandbox::builder()
        .token_lifetime(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    let caller = Caller::seeded(&sandbox).await;
    assert_eq!(caller.get("/v1/customers/balance").await.status, 200);

    sandbox.advance_clock(Duration::from_secs(61));
    let answer = caller.get("/v1/customers/balance").await;
    answer.problem(401);
    let challenge = answer.headers["www-authenticate"].to_str().unwrap();
    assert!(
        challenge.starts_with("Bearer error=\"invalid_token\""),
        "{challenge}"
    );
    assert_eq!(sandbox.counters().expired_token_rejections(), 1);

    // A fresh grant works again.
    let fresh = Caller::seeded(&sandbox).await;
    assert_eq!(fresh.get("/v1/customers/balance").await.status, 200);
}

#[tokio::test]
async fn set_token_lifetime_changes_expires_in_of_new_tokens() {
    let sandbox = common::sandbox().await;
    sandbox.faults().set_token_lifetime(Duration::from_secs(5));
    let (id, secret) = (sandbox.client_id(), sandbox.client_secret());
    let (_, body) = token_answer(
        &sandbox,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &id),
            ("client_secret", &secret),
        ],
    )
    .await;
    assert_eq!(body["expires_in"], 5);
    let caller = Caller::seeded(&sandbox).await;
    sandbox.advance_clock(Duration::from_secs(5));
    caller.get("/v1/orders").await.problem(401);
    sandbox.faults().clear();
    assert_eq!(
        sandbox.faults().token_lifetime(),
        Duration::from_secs(36000)
    );
}

#[tokio::test]
async fn revoked_and_unknown_tokens_are_401_and_counted() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;
    assert_eq!(caller.get("/v1/orders").await.status, 200);
    sandbox.faults().revoke_all_tokens();
    caller.get("/v1/orders").await.problem(401);

    let stranger = Caller {
        token: "not-a-token".into(),
        ..Caller::seeded(&sandbox).await
    };
    stranger.get("/v1/orders").await.problem(401);
    assert_eq!(sandbox.counters().expired_token_rejections(), 2);

    let missing = http()
        .get(format!("{}/v1/orders", sandbox.api_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(
        sandbox.counters().expired_token_rejections(),
        2,
        "a request without a token is not an expired-token rejection"
    );
}

#[tokio::test]
async fn missing_permission_is_403_and_any_listed_permission_grants() {
    let sandbox = common::sandbox().await;
    let (id, secret) = sandbox.create_api_key(&["orders_read"]);
    let reader = Caller::with_key(&sandbox, &id, &secret).await;
    assert_eq!(reader.get("/v1/orders").await.status, 200);
    assert_eq!(reader.get("/v1/prices").await.status, 200);
    reader
        .post("/v1/orders", serde_json::json!({"vcuAmount": 1}))
        .await
        .problem(403);
    reader.get("/v1/customers/balance").await.problem(403);
    reader.get("/v1/users").await.problem(403);
    reader.get("/v1/permissions").await.problem(403);
    assert!(sandbox.orders_snapshot().is_empty());

    let (id, secret) = sandbox.create_api_key(&["financial_write"]);
    let finance = Caller::with_key(&sandbox, &id, &secret).await;
    assert_eq!(finance.get("/v1/customers/balance").await.status, 200);
    assert_eq!(finance.get("/v1/invoices").await.status, 200);
    finance.get("/v1/orders").await.problem(403);
}

#[tokio::test]
async fn public_endpoints_need_no_token() {
    let sandbox = common::sandbox().await;
    for path in [
        "/v1/resources",
        "/v1/allowed-filters/orders",
        "/v1/calculators/types",
        "/v1/calculators/airports",
    ] {
        let response = http()
            .get(format!("{}{path}", sandbox.api_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let response = http()
        .post(format!("{}/v1/calculators/calculate", sandbox.api_url()))
        .json(&serde_json::json!({"type": 0, "distance": 100000}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
