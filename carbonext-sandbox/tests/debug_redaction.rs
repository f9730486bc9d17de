//! No client secret in the sandbox's `Debug` output: `ApiKey`, `CustomerCredentials`,
//! `SandboxInfo` and the `Sandbox` itself (which holds every key and the seeded credentials)
//! show the client ids but redact every secret, whether the key was seeded, added in process or
//! created over HTTP. The secrets stay available where they are meant to be: the accessors,
//! `GET /__sandbox/credentials` and the token endpoint.

mod common;

use carbonext_sandbox::{CustomerCredentials, SandboxInfo};
use common::Caller;
use serde_json::json;

#[tokio::test]
async fn debug_redacts_every_client_secret() {
    let sandbox = common::sandbox().await;
    let caller = Caller::seeded(&sandbox).await;

    // Keys of every origin: seeded, a second customer, a restricted key, one over the API and
    // one over the control path.
    let seeded = sandbox.customer();
    let other = sandbox.add_customer();
    let (restricted_id, restricted_secret) = sandbox.create_api_key(&["orders_read"]);
    let created = caller
        .post(
            "/v1/customers/applications",
            json!({"clientId": "debug_probe", "displayName": "Debug probe",
                "permissions": [{"key": "orders_read"}]}),
        )
        .await;
    assert_eq!(created.status, 200, "{}", created.body);
    let over_api = (
        created.body["clientId"].as_str().unwrap().to_owned(),
        created.body["clientSecret"].as_str().unwrap().to_owned(),
    );
    let over_control: CustomerCredentials = common::control_post(
        &sandbox,
        "/__sandbox/api-keys",
        Some(json!({"permissions": ["financial_read"]})),
    )
    .await;
    let keys = [
        (seeded.client_id.clone(), seeded.client_secret.clone()),
        (other.client_id.clone(), other.client_secret.clone()),
        (restricted_id, restricted_secret),
        over_api,
        (
            over_control.client_id.clone(),
            over_control.client_secret.clone(),
        ),
    ];
    // They are the real secrets: each one gets a token.
    for (client_id, secret) in &keys {
        assert!(secret.len() >= 8, "a secret long enough to search for");
        common::token_for(&sandbox, client_id, secret).await;
    }

    // And still served where they are meant to be.
    let served: SandboxInfo = common::control_get(&sandbox, "/__sandbox/credentials").await;
    assert_eq!(served.client_secret, sandbox.client_secret());
    assert_eq!(&served, sandbox.info());

    let sandbox_debug = format!("{sandbox:?}");
    let texts = [
        sandbox_debug.clone(),
        format!("{sandbox:#?}"),
        format!("{:?}", sandbox.info()),
        format!("{served:?}"),
        format!("{seeded:?}"),
        format!("{other:?}"),
        format!("{over_control:?}"),
        format!("{:?}", sandbox.faults()),
    ];
    for text in &texts {
        for (_, secret) in &keys {
            assert!(!text.contains(secret.as_str()), "a client secret in {text}");
        }
    }
    // Not vacuous: the Debug output shows every key, with its secret redacted.
    for (client_id, _) in &keys {
        let shown = format!("client_id: {client_id:?}, client_secret: [REDACTED]");
        assert!(
            sandbox_debug.contains(&shown),
            "{shown} not in {sandbox_debug}"
        );
    }
    for shown in ["Debug probe", "orders_read", "financial_read"] {
        assert!(sandbox_debug.contains(shown), "{sandbox_debug}");
    }
    assert!(
        format!("{seeded:?}").contains(&format!("client_id: {:?}", seeded.client_id)),
        "{seeded:?}"
    );
    assert!(
        format!("{:?}", sandbox.info()).contains("client_secret: [REDACTED]"),
        "{:?}",
        sandbox.info()
    );
}
