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
async fn expired_tokens_do_not_accumulate_in_the_live_set() {
    let sandbox = carbonext_sandbox::Sandbox::builder()
        .token_lifetime(Duration::from_secs(60))
        .start()
        .await
        .unwrap();
    for _ in 0..20 {
        let caller = Caller::seeded(&sandbox).await;
        assert_eq!(caller.get("/v1/customers/balance").await.status, 200);
        sandbox.advance_clock(Duration::from_secs(61));
    }
    assert_eq!(sandbox.live_tokens(), 0);
    // What the store holds: the Debug output counts the entries it keeps.
    let fresh = Caller::seeded(&sandbox).await;
    assert_eq!(fresh.get("/v1/customers/balance").await.status, 200);
    assert_eq!(sandbox.live_tokens(), 1);
    let debug = format!("{sandbox:?}");
    assert!(debug.contains("1 live, redacted"), "{debug}");
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

/// `GET /__sandbox/tokens` as a list of tokens.
async fn tokens_over_http(sandbox: &carbonext_sandbox::Sandbox) -> Vec<String> {
    common::control_get(sandbox, "/__sandbox/tokens").await
}

#[tokio::test]
async fn issued_tokens_lists_every_token_handed_out_and_nothing_else() {
    let sandbox = common::sandbox().await;
    assert!(sandbox.issued_tokens().is_empty());
    assert!(tokens_over_http(&sandbox).await.is_empty());

    let first = common::token(&sandbox).await;
    let other = sandbox.add_customer();
    let second = common::token_for(&sandbox, &other.client_id, &other.client_secret).await;
    // Refused grants issue nothing.
    let (status, _) = token_answer(
        &sandbox,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", &sandbox.client_id()),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!(status, 401);
    // A revoked token and an expired one stay listed.
    sandbox.faults().revoke_all_tokens();
    let third = common::token(&sandbox).await;
    sandbox.advance_clock(Duration::from_secs(36_000));
    let expired = Caller {
        base: sandbox.api_url(),
        token: third.clone(),
        http: http(),
    };
    expired.get("/v1/orders").await.problem(401);
    let fourth = Caller::seeded(&sandbox).await;
    assert_eq!(fourth.get("/v1/orders").await.status, 200);

    let issued = sandbox.issued_tokens();
    assert_eq!(issued, [first, second, third, fourth.token]);
    assert_eq!(
        sandbox.counters().token_requests(),
        5,
        "4 issued, 1 refused"
    );
    assert_eq!(tokens_over_http(&sandbox).await, issued);

    // Never in the sandbox's Debug output, live or not.
    let debug = format!("{sandbox:?}");
    assert!(debug.contains("IssuedTokens(4 redacted)"), "{debug}");
    assert!(debug.contains("tokens: 1 live, redacted"), "{debug}");
    for token in &issued {
        assert!(!debug.contains(token.as_str()), "a token is in {debug}");
    }
}

#[tokio::test]
async fn revoke_on_issue_answers_tokens_the_api_refuses() {
    let sandbox = common::sandbox().await;
    sandbox.faults().revoke_on_issue(1);
    assert_eq!(sandbox.faults().settings().revoke_on_issue, Some(1));
    let dead = Caller::seeded(&sandbox).await;
    dead.get("/v1/orders").await.problem(401);
    assert_eq!(sandbox.faults().settings().revoke_on_issue, None, "used up");
    let live = Caller::seeded(&sandbox).await;
    assert_eq!(live.get("/v1/orders").await.status, 200);
    assert_eq!(
        sandbox.issued_tokens(),
        [dead.token.clone(), live.token.clone()]
    );

    // Every token from now on, until turned off; set over the control path.
    let settings: Value = common::control_post(
        &sandbox,
        "/__sandbox/faults",
        Some(serde_json::json!({"revokeOnIssue": u64::MAX})),
    )
    .await;
    assert_eq!(settings["revokeOnIssue"], u64::MAX);
    for _ in 0..3 {
        Caller::seeded(&sandbox)
            .await
            .get("/v1/orders")
            .await
            .problem(401);
    }
    assert_eq!(
        live.get("/v1/orders").await.status,
        200,
        "earlier tokens live"
    );
    assert_eq!(sandbox.faults().settings().revoke_on_issue, Some(u64::MAX));
    sandbox.faults().clear();
    let after = Caller::seeded(&sandbox).await;
    assert_eq!(after.get("/v1/orders").await.status, 200);
    assert_eq!(sandbox.issued_tokens().len(), 6);
    assert_eq!(sandbox.counters().expired_token_rejections(), 4);
}

#[tokio::test]
async fn issued_tokens_keeps_only_the_most_recent() {
    let sandbox = carbonext_sandbox::Sandbox::builder()
        .issued_tokens_kept(3)
        .start()
        .await
        .expect("sandbox starts");
    let mut all = Vec::new();
    for _ in 0..5 {
        all.push(common::token(&sandbox).await);
    }
    assert_eq!(sandbox.issued_tokens(), all[2..], "the 3 most recent");
    assert_eq!(tokens_over_http(&sandbox).await, all[2..]);
    assert_eq!(sandbox.counters().token_requests(), 5);
    let debug = format!("{sandbox:?}");
    assert!(
        debug.contains("IssuedTokens(3 redacted, 2 forgotten)"),
        "{debug}"
    );
    for token in &all {
        assert!(!debug.contains(token.as_str()), "a token is in {debug}");
    }
    // Forgetting a token only shortens the record: the token still works.
    let forgotten = Caller {
        base: sandbox.api_url(),
        token: all[0].clone(),
        http: http(),
    };
    assert_eq!(forgotten.get("/v1/orders").await.status, 200);

    // Keeping none records nothing and still issues working tokens.
    let none = carbonext_sandbox::Sandbox::builder()
        .issued_tokens_kept(0)
        .start()
        .await
        .expect("sandbox starts");
    let caller = Caller::seeded(&none).await;
    assert_eq!(caller.get("/v1/orders").await.status, 200);
    assert!(none.issued_tokens().is_empty());
    assert!(format!("{none:?}").contains("IssuedTokens(0 redacted, 1 forgotten)"));
}
