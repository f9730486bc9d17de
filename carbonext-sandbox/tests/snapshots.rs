//! Wire payloads of a deterministic sandbox, snapshotted: ids and the client secret are fixed
//! in deterministic mode and kept; timestamps, tokens and trace ids are redacted; amounts never.
//!
//! Payloads are read by `common::exact_json`, which keeps each fractional number's exact digits
//! as a string (`"110.00"`), and snapshotted as the JSON text serde_json writes.

mod common;

use common::Caller;
use serde_json::{json, Value};

async fn deterministic() -> carbonext_sandbox::Sandbox {
    carbonext_sandbox::Sandbox::builder()
        .deterministic(true)
        .start()
        .await
        .expect("sandbox starts")
}

/// Pretty JSON of `value` with every member named in `keys` (at any depth) redacted.
fn redacted(mut value: Value, keys: &[&str]) -> String {
    fn walk(value: &mut Value, keys: &[&str]) {
        match value {
            Value::Object(map) => {
                for (key, member) in map.iter_mut() {
                    if keys.contains(&key.as_str()) && !member.is_null() {
                        *member = Value::String(format!("[{key}]"));
                    } else {
                        walk(member, keys);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| walk(item, keys)),
            _ => {}
        }
    }
    walk(&mut value, keys);
    serde_json::to_string_pretty(&value).expect("JSON prints")
}

const VOLATILE: &[&str] = &[
    "access_token",
    "createdAt",
    "paidAt",
    "paymentDate",
    "traceId",
];

#[tokio::test]
async fn seeded_credentials_and_token_response() {
    let sandbox = deterministic().await;
    insta::assert_snapshot!(
        "seeded_customer",
        serde_json::to_string_pretty(&sandbox.customer()).unwrap()
    );
    let response: Value = common::http()
        .post(sandbox.token_url())
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", &sandbox.client_id()),
            ("client_secret", &sandbox.client_secret()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    insta::assert_snapshot!("token_response", redacted(response, VOLATILE));
}

#[tokio::test]
async fn order_invoice_balance_and_problem_payloads() {
    let sandbox = deterministic().await;
    let caller = Caller::seeded(&sandbox).await;
    let order = caller
        .order(
            json!({"vcuAmount": 0.02, "targetCurrency": "BRL", "metaData": "snapshot",
            "certificateRecipientInfo": {"name": "Example First", "email": "example@email.com",
                "taxId": "000.000.000-00"}}),
        )
        .await;
    insta::assert_snapshot!("issued_order", redacted(order, VOLATILE));

    let invoices = caller.get("/v1/invoices").await.body;
    insta::assert_snapshot!("invoice_page", redacted(invoices, VOLATILE));

    let balance = caller.get("/v1/customers/balance").await.body;
    insta::assert_snapshot!("balance", redacted(balance, VOLATILE));

    let problem = caller
        .post("/v1/orders", json!({"vcuAmount": 0}))
        .await
        .body;
    insta::assert_snapshot!("validation_problem", redacted(problem, VOLATILE));
}
