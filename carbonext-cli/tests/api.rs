//! `carbonext api` (one authenticated request, the answer as received; `--paginate` prints
//! every page's items as one JSON array), `orders get`, and `--file -`, as real processes
//! against a sandbox on 127.0.0.1.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;

use carbonext_domain::{Carbonext, Credentials, Environment, NewOrder, VcuMarket};
use common::{assert_code, bare, carbonext, ok, stderr, stdout};
use futures::StreamExt;
use serde_json::value::RawValue;

/// `id` → the exact text of `vcuAmount`, `totalPrice` and `vcuUnitPrice` of every order in a
/// JSON array.
fn amounts(text: &str) -> BTreeMap<String, Vec<String>> {
    let orders: Vec<BTreeMap<String, Box<RawValue>>> =
        serde_json::from_str(text).unwrap_or_else(|e| panic!("a JSON array ({e}): {text:.300}"));
    orders
        .into_iter()
        .map(|order| {
            let id = order["id"].get().to_owned();
            let fields = ["vcuAmount", "totalPrice", "vcuUnitPrice"]
                .iter()
                .map(|field| {
                    order
                        .get(*field)
                        .map_or("-".to_owned(), |v| v.get().to_owned())
                })
                .collect();
            (id, fields)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paginate_prints_every_order_with_the_amounts_of_orders_list() {
    let sandbox = common::sandbox().await;
    let sdk = Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(
            sandbox.client_id(),
            sandbox.client_secret(),
        ))
        .build()
        .expect("a client");
    // 250 orders, more than two pages of 100, with amounts of varied digits.
    let placed = futures::stream::iter(0..250)
        .map(|i| {
            let sdk = &sdk;
            async move {
                let amount = format!("{}.{:03}", i % 7 + 1, i)
                    .parse()
                    .expect("an amount");
                sdk.place_order(NewOrder::builder(amount).build().expect("an order"))
                    .await
                    .expect("placed")
                    .order
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await;
    assert_eq!(placed.len(), 250);

    let output = common::run(carbonext(&sandbox), &["api", "/v1/orders", "--paginate"]);
    assert_code(&output, 0);
    let raw = amounts(&stdout(&output));
    assert_eq!(raw.len(), 250, "one array of every order");
    let listed = amounts(&ok(
        carbonext(&sandbox),
        &["orders", "list", "--all", "-o", "json"],
    ));
    assert_eq!(raw, listed, "the same orders with the same digits");
    assert!(
        raw.values().any(|fields| fields[0].ends_with('0')),
        "trailing zeros kept"
    );

    // orders get: found by listing newest first.
    let id = placed[17].id.to_string();
    let one = ok(carbonext(&sandbox), &["orders", "get", &id, "-o", "json"]);
    assert!(one.contains(&id), "{one}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_prints_the_body_as_received_and_exits_4_on_a_rejection() {
    let sandbox = common::sandbox().await;
    let output = common::run(
        carbonext(&sandbox),
        &[
            "api",
            "/v1/prices?vcu-amount=0.020&target-currency=BRL",
            "--include",
        ],
    );
    assert_code(&output, 0);
    let text = stdout(&output);
    assert!(text.starts_with("HTTP/1.1 200 OK\n"), "{text}");
    assert!(text.contains("content-type: application/json"), "{text}");

    let missing = common::run(
        carbonext(&sandbox),
        &["api", "/v1/invoices/00000000-0000-0000-0000-000000000000"],
    );
    assert_code(&missing, 4);
    assert!(stderr(&missing).contains("404"), "{}", stderr(&missing));

    let url = common::run(
        carbonext(&sandbox),
        &["api", "http://example.com/v1/orders"],
    );
    assert_code(&url, 2);

    let bad_json = common::run(
        carbonext(&sandbox),
        &["api", "-X", "POST", "/v1/orders", "-d", "{nope"],
    );
    assert_code(&bad_json, 2);
    assert!(sandbox.orders_snapshot().is_empty(), "nothing was sent");

    let mut posted = carbonext(&sandbox)
        .args(["api", "-X", "POST", "/v1/orders", "-d", "@-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    posted
        .stdin
        .take()
        .unwrap()
        .write_all(br#"{"vcuAmount": 1.50, "targetCurrency": "BRL"}"#)
        .unwrap();
    let posted = posted.wait_with_output().unwrap();
    assert_code(&posted, 0);
    assert_eq!(sandbox.orders_snapshot().len(), 1, "{}", stdout(&posted));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_writes_to_production_need_confirmation() {
    let sandbox = common::sandbox().await;
    let production = || {
        let mut command = bare();
        command
            .env("CARBONEXT_ENV", "production")
            .env("CARBONEXT_PRODUCTION_API_URL", sandbox.api_url())
            .env("CARBONEXT_PRODUCTION_AUTH_URL", sandbox.token_url())
            .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
            .env("CARBONEXT_CLIENT_SECRET", sandbox.client_secret())
            .stdin(Stdio::null());
        command
    };
    let body = r#"{"vcuAmount": 1, "targetCurrency": "BRL"}"#;
    let refused = common::run(
        production(),
        &["api", "-X", "POST", "/v1/orders", "-d", body],
    );
    assert_code(&refused, 2);
    assert!(stderr(&refused).contains("--yes"), "{}", stderr(&refused));
    assert!(sandbox.orders_snapshot().is_empty(), "nothing was sent");
    // Reads need no confirmation; a confirmed write goes through.
    assert_code(&common::run(production(), &["api", "/v1/orders"]), 0);
    let confirmed = common::run(
        production(),
        &["api", "-X", "POST", "/v1/orders", "-d", body, "--yes"],
    );
    assert_code(&confirmed, 0);
    assert_eq!(sandbox.orders_snapshot().len(), 1);
}

#[test]
fn offset_batch_reads_the_file_from_stdin() {
    let mut child = bare()
        .args(["offset", "batch", "--file", "-", "--dry-run"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"key,kind,tonnes\nstdin_row_0001,tonnes,1.5\n")
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_code(&output, 0);
    assert!(
        stdout(&output).contains("stdin_row_0001"),
        "{}",
        stdout(&output)
    );
}
