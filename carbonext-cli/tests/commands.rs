//! Every command against a deterministic sandbox over 127.0.0.1, in both output modes, as
//! insta snapshots with ids and timestamps redacted (amounts never).

mod common;

use common::{
    assert_code, carbonext, first_uuid, ok, redact, redact_table, run, sandbox, stderr, stdout,
};
use insta::assert_snapshot;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_prints_exact_amounts_in_both_modes() {
    let sandbox = sandbox().await;
    let table = ok(carbonext(&sandbox), &["price", "--vcu", "0.02"]);
    assert_snapshot!("price_table", redact(&table));
    let json = ok(
        carbonext(&sandbox),
        &["price", "--vcu", "0.020", "--output", "json"],
    );
    assert_snapshot!("price_json", redact(&json));
    // JSON numbers, as the API sends them, with exactly the digits received.
    let value: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert!(value["totalPrice"].is_number(), "{json}");
    for exact in [
        r#""vcuAmount": 0.020"#,
        r#""vcuPrice": 110.00"#,
        r#""totalPrice": 2.20000"#,
    ] {
        assert!(json.contains(exact), "{exact} in {json}");
    }
    let usd = ok(
        carbonext(&sandbox),
        &["price", "--currency", "usd", "-o", "json"],
    );
    assert!(usd.contains("\"vcuPrice\": 20.50"), "{usd}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_create_shows_the_order_and_a_key_is_placed_once() {
    let sandbox = sandbox().await;
    let args = [
        "orders",
        "create",
        "--vcu",
        "2.5",
        "--pay-with-balance",
        "--meta-data",
        "march fleet",
        "--key",
        "invoice_2026_03",
        "--recipient-name",
        "ACME",
        "--recipient-email",
        "esg@acme.example",
        "--retirement-name",
        "ACME Foundation",
    ];
    let table = ok(carbonext(&sandbox), &args);
    assert_snapshot!("orders_create_table", redact(&table));

    // The same command again finds the order instead of placing a second one.
    let again = run(carbonext(&sandbox), &[&args[..], &["-o", "json"]].concat());
    assert_code(&again, 0);
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
    assert_snapshot!("orders_create_json", redact(&stdout(&again)));
    assert_eq!(sandbox.counters().operation("create_order"), 1);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_list_pages_filters_and_all() {
    let sandbox = sandbox().await;
    for (vcu, pay) in [("1", true), ("0.5", false), ("3.25", true)] {
        let mut args = vec!["orders", "create", "--vcu", vcu];
        if pay {
            args.push("--pay-with-balance");
        }
        ok(carbonext(&sandbox), &args);
    }
    let table = ok(
        carbonext(&sandbox),
        &[
            "orders",
            "list",
            "--page-size",
            "2",
            "--sort",
            "vcuAmount:asc",
        ],
    );
    assert_snapshot!("orders_list_table", redact_table(&table));
    let json = ok(
        carbonext(&sandbox),
        &[
            "orders",
            "list",
            "--page-size",
            "2",
            "--page",
            "2",
            "--sort",
            "vcuAmount:asc",
            "-o",
            "json",
        ],
    );
    assert_snapshot!("orders_list_json", redact(&json));
    let page: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    assert_eq!(page["pageIndex"], 2);
    assert_eq!(page["totalCount"], 3);

    let all = ok(
        carbonext(&sandbox),
        &[
            "orders",
            "list",
            "--all",
            "--page-size",
            "1",
            "--sort",
            "vcuAmount:desc",
            "-o",
            "json",
        ],
    );
    // Each member as its raw text, so the amounts' digits are compared exactly.
    type Raw = Box<serde_json::value::RawValue>;
    let items: Vec<std::collections::BTreeMap<String, Raw>> =
        serde_json::from_str(&all).expect("a JSON array");
    let amounts: Vec<&str> = items.iter().map(|o| o["vcuAmount"].get()).collect();
    assert_eq!(amounts, ["3.25", "1", "0.5"]);

    let issued = ok(
        carbonext(&sandbox),
        &[
            "orders", "list", "--all", "--status", "issued", "-o", "json",
        ],
    );
    let items: Vec<std::collections::BTreeMap<String, Raw>> =
        serde_json::from_str(&issued).expect("a JSON array");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["vcuAmount"].get(), "0.5");

    // Off a terminal no progress bar is drawn: stderr stays empty.
    let quiet = run(carbonext(&sandbox), &["orders", "list", "--all"]);
    assert_code(&quiet, 0);
    assert_eq!(stderr(&quiet), "");

    let all_table = ok(
        carbonext(&sandbox),
        &["orders", "list", "--all", "--status", "Paid"],
    );
    assert_snapshot!("orders_list_all_table", redact_table(&all_table));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_cancel_one_or_several() {
    let sandbox = sandbox().await;
    // Four orders: the first is cancelled alone, the next two together, the last never.
    let mut ids = Vec::new();
    for _ in 0..4 {
        let json = ok(
            carbonext(&sandbox),
            &["orders", "create", "--vcu", "1", "-o", "json"],
        );
        let order: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        ids.push(order["id"].as_str().expect("id").to_owned());
    }
    let one = ok(carbonext(&sandbox), &["orders", "cancel", &ids[0]]);
    assert_snapshot!("orders_cancel_table", redact(&one));
    // The snapshot redacts ids: the order shown and the order cancelled are checked here.
    assert_eq!(first_uuid(&one), ids[0], "{one}");
    assert_eq!(
        statuses(&sandbox, &ids),
        ["Cancelled", "Issued", "Issued", "Issued"]
    );

    let two = ok(
        carbonext(&sandbox),
        &["orders", "cancel", &ids[1], &ids[2], "-o", "json"],
    );
    assert_snapshot!("orders_cancel_json", redact(&two));
    let cancelled: Vec<serde_json::Value> = serde_json::from_str(&two).expect("array");
    let mut shown: Vec<&str> = cancelled
        .iter()
        .map(|o| o["id"].as_str().expect("id"))
        .collect();
    shown.sort_unstable();
    let mut asked = vec![ids[1].as_str(), ids[2].as_str()];
    asked.sort_unstable();
    assert_eq!(shown, asked, "{two}");
    assert!(cancelled.iter().all(|o| o["status"] == "Cancelled"));
    assert_eq!(
        statuses(&sandbox, &ids),
        ["Cancelled", "Cancelled", "Cancelled", "Issued"]
    );
    sandbox.shutdown().await;
}

/// The status the sandbox holds for each of `ids`, in that order.
fn statuses(sandbox: &carbonext_sandbox::Sandbox, ids: &[String]) -> Vec<String> {
    let stored = sandbox.orders_snapshot();
    ids.iter()
        .map(|id| {
            let order = stored
                .iter()
                .find(|o| o.id.to_string() == *id)
                .unwrap_or_else(|| panic!("order {id} is stored"));
            order.status.as_str().to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_export_streams_csv_and_jsonl() {
    let sandbox = sandbox().await;
    for vcu in ["0.02", "195.7295744096000"] {
        ok(
            carbonext(&sandbox),
            &[
                "orders",
                "create",
                "--vcu",
                vcu,
                "--meta-data",
                "a, \"quoted\" note",
            ],
        );
    }
    let csv = ok(
        carbonext(&sandbox),
        &[
            "orders",
            "export",
            "--format",
            "csv",
            "--page-size",
            "1",
            "--sort",
            "vcuAmount:asc",
        ],
    );
    assert_snapshot!("orders_export_csv", redact(&csv));
    let jsonl = ok(
        carbonext(&sandbox),
        &[
            "orders",
            "export",
            "--format",
            "jsonl",
            "--sort",
            "vcuAmount:asc",
        ],
    );
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect();
    assert_eq!(lines.len(), 2);
    // Amounts are JSON numbers (`jq '.totalPrice * 2'` works) with exactly the digits received.
    assert!(lines[1]["vcuAmount"].is_number(), "{jsonl}");
    assert!(
        jsonl.contains(r#""vcuAmount":195.7295744096000"#),
        "{jsonl}"
    );
    assert_snapshot!("orders_export_jsonl", redact(&jsonl));

    let empty = ok(
        carbonext(&sandbox),
        &["orders", "export", "--format", "csv", "--status", "Billed"],
    );
    assert_eq!(empty.lines().count(), 1, "header only: {empty}");
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_in_both_modes_and_over_a_period() {
    let sandbox = sandbox().await;
    ok(
        carbonext(&sandbox),
        &["orders", "create", "--vcu", "0.25", "--pay-with-balance"],
    );
    ok(carbonext(&sandbox), &["orders", "create", "--vcu", "1.5"]);
    let table = ok(carbonext(&sandbox), &["balance"]);
    assert_snapshot!("balance_table", redact(&table));
    let json = ok(carbonext(&sandbox), &["balance", "-o", "json"]);
    assert_snapshot!("balance_json", redact(&json));
    assert!(json.contains(r#""balance": 999.75"#), "{json}");

    // A month later (the sandbox clock starts on 2024-01-15), one more unpaid order.
    sandbox.advance_clock(std::time::Duration::from_secs(30 * 86_400));
    ok(carbonext(&sandbox), &["orders", "create", "--vcu", "2"]);

    // Each period counts only the orders and invoices of its own days, amounts exact. The
    // month's end has passed: January's unpaid order is billed (debt, no longer future debt;
    // its invoice, created on 1 February and pending, is no credit).
    let january = balance_over(&sandbox, "2024-01-01", "2024-01-31");
    let dates: serde_json::Value = serde_json::from_str(&january).expect("JSON");
    assert_eq!(
        dates["startDate"], "2024-01-01T00:00:00.0000000Z",
        "{january}"
    );
    assert_eq!(
        dates["endDate"], "2024-01-31T23:59:59.9999999Z",
        "{january}"
    );
    assert_eq!(
        brl_totals(&january),
        ["998.25", "1000", "1.75", "0"],
        "{january}"
    );
    let february = balance_over(&sandbox, "2024-02-01", "2024-02-29");
    assert_eq!(brl_totals(&february), ["0", "0", "0", "2"], "{february}");
    let table = ok(
        carbonext(&sandbox),
        &["balance", "--start", "2024-02-01", "--end", "2024-02-29"],
    );
    assert_eq!(
        table,
        "period: 2024-02-01T00:00:00.0000000Z to 2024-02-29T23:59:59.9999999Z\n\
         CURRENCY  BALANCE  CREDIT  DEBT  FUTURE DEBT\n\
         BRL       0        0       0     2\n"
    );
    // A period with nothing in it has no currency at all.
    let empty = balance_over(&sandbox, "2023-01-01", "2023-12-31");
    let empty: serde_json::Value = serde_json::from_str(&empty).expect("JSON");
    assert_eq!(
        empty["balancesByCurrency"],
        serde_json::json!([]),
        "{empty}"
    );
    sandbox.shutdown().await;
}

/// `carbonext balance --start START --end END -o json`.
fn balance_over(sandbox: &carbonext_sandbox::Sandbox, start: &str, end: &str) -> String {
    ok(
        carbonext(sandbox),
        &["balance", "--start", start, "--end", end, "-o", "json"],
    )
}

/// Balance, credit, debt and future debt of the only currency (BRL) in a balance's JSON, each
/// as the exact text of its number.
fn brl_totals(json: &str) -> Vec<String> {
    type Raw = Box<serde_json::value::RawValue>;
    #[derive(serde::Deserialize)]
    struct Balance {
        #[serde(rename = "balancesByCurrency")]
        currencies: Vec<std::collections::BTreeMap<String, Raw>>,
    }
    let parsed: Balance = serde_json::from_str(json).expect("a balance");
    assert_eq!(parsed.currencies.len(), 1, "{json}");
    assert_eq!(parsed.currencies[0]["currency"].get(), r#""BRL""#, "{json}");
    ["balance", "credit", "debt", "futureDebt"]
        .iter()
        .map(|field| parsed.currencies[0][*field].get().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoices_list_and_get() {
    let sandbox = sandbox().await;
    let table = ok(carbonext(&sandbox), &["invoices", "list"]);
    assert_snapshot!("invoices_list_table", redact_table(&table));
    let json = ok(
        carbonext(&sandbox),
        &["invoices", "list", "--sort", "createdAt:asc", "-o", "json"],
    );
    assert_snapshot!("invoices_list_json", redact(&json));
    let all = ok(
        carbonext(&sandbox),
        &[
            "invoices", "list", "--all", "--status", "paid", "-o", "json",
        ],
    );
    let items: Vec<serde_json::Value> = serde_json::from_str(&all).expect("array");
    assert_eq!(items.len(), 1);
    let id = items[0]["id"].as_str().expect("id").to_owned();
    let one = ok(carbonext(&sandbox), &["invoices", "get", &id]);
    assert_snapshot!("invoices_get_table", redact(&one));
    let json = ok(carbonext(&sandbox), &["invoices", "get", &id, "-o", "json"]);
    assert_snapshot!("invoices_get_json", redact(&json));
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calculate_types_distance_and_route() {
    let sandbox = sandbox().await;
    let types = ok(carbonext(&sandbox), &["calculate", "types"]);
    assert_snapshot!("calculate_types_table", types);
    let distance = ok(
        carbonext(&sandbox),
        &["calculate", "distance", "--type", "0", "--meters", "100000"],
    );
    assert_snapshot!("calculate_distance_table", distance);
    let json = ok(
        carbonext(&sandbox),
        &[
            "calculate",
            "route",
            "--type",
            "1",
            "--from",
            "GRU",
            "--to",
            "GIG",
            "--units",
            "2",
            "-o",
            "json",
        ],
    );
    assert_snapshot!("calculate_route_json", json);
    let route = ok(
        carbonext(&sandbox),
        &[
            "calculate",
            "route",
            "--type",
            "0",
            "--from",
            "01526-000",
            "--to",
            "20040-020",
            "--units",
            "1500000",
        ],
    );
    assert_snapshot!("calculate_route_table", route);
    let airports = ok(
        carbonext(&sandbox),
        &["calculate", "airports", "-o", "json"],
    );
    let airports: Vec<serde_json::Value> = serde_json::from_str(&airports).expect("array");
    assert!(airports.len() >= 100, "every page: {}", airports.len());
    assert!(airports.iter().any(|a| a["code"] == "GRU"));
    let table = ok(carbonext(&sandbox), &["calculate", "airports"]);
    assert!(table.starts_with("CODE"), "{table}");
    let types = ok(carbonext(&sandbox), &["calculate", "types", "-o", "json"]);
    assert_snapshot!("calculate_types_json", types);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_users_api_keys_and_permissions() {
    let sandbox = sandbox().await;
    let permissions = ok(carbonext(&sandbox), &["permissions"]);
    assert_snapshot!("permissions_table", redact_table(&permissions));
    let permissions = ok(carbonext(&sandbox), &["permissions", "-o", "json"]);
    let list: Vec<serde_json::Value> = serde_json::from_str(&permissions).expect("array");
    assert_eq!(list.len(), 11);
    assert_eq!(list[0]["key"], "orders_read");

    let created = ok(
        carbonext(&sandbox),
        &[
            "users",
            "create",
            "--name",
            "Ana",
            "--email",
            "ana@acme.example",
            "--permission",
            "orders_read",
            "-o",
            "json",
        ],
    );
    assert_snapshot!("users_create_json", redact(&created));
    let id = first_uuid(&created);
    let listed = ok(carbonext(&sandbox), &["users", "list"]);
    assert_snapshot!("users_list_table", redact_table(&listed));
    let listed = ok(
        carbonext(&sandbox),
        &["users", "list", "--page-size", "5", "-o", "json"],
    );
    assert_snapshot!("users_list_json", redact(&listed));
    let updated = ok(
        carbonext(&sandbox),
        &[
            "users",
            "update",
            &id,
            "--name",
            "Ana Lima",
            "--permission",
            "orders_write",
        ],
    );
    assert_snapshot!("users_update_table", redact(&updated));
    assert!(ok(carbonext(&sandbox), &["users", "get", &id]).contains("Ana Lima"));
    assert!(ok(carbonext(&sandbox), &["users", "delete", &id]).contains("deleted"));
    let gone = run(carbonext(&sandbox), &["users", "get", &id]);
    assert_code(&gone, 4);

    let key = ok(
        carbonext(&sandbox),
        &[
            "api-keys",
            "create",
            "--client-id",
            "billing_job",
            "--display-name",
            "Billing job",
            "--permission",
            "orders_read",
        ],
    );
    assert!(key.contains("client secret:"), "{key}");
    let keys = ok(carbonext(&sandbox), &["api-keys", "list", "-o", "json"]);
    let page: serde_json::Value = serde_json::from_str(&keys).expect("JSON");
    assert!(page["totalCount"].as_i64().unwrap_or(0) >= 2, "{keys}");
    let key_id = first_uuid(&key);
    let one = ok(carbonext(&sandbox), &["api-keys", "get", &key_id]);
    assert_snapshot!("api_keys_get_table", redact(&one));
    let one = ok(
        carbonext(&sandbox),
        &["api-keys", "get", &key_id, "-o", "json"],
    );
    assert_snapshot!("api_keys_get_json", redact(&one));
    sandbox.shutdown().await;
}

#[test]
fn completions_are_generated_for_each_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let script = ok(common::bare(), &["completions", shell]);
        assert!(script.contains("carbonext"), "{shell}");
        assert!(script.contains("quickstart"), "{shell}");
    }
}

#[test]
fn sandbox_serve_prints_urls_and_fake_credentials_until_stopped() {
    use std::io::{BufRead, BufReader};
    let mut child = common::bare()
        .args(["sandbox", "serve", "--port", "0", "--deterministic"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawns");
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let mut banner = String::new();
    for _ in 0..4 {
        banner.push_str(&lines.next().expect("a line").expect("UTF-8"));
        banner.push('\n');
    }
    child.kill().expect("stops");
    let _ = child.wait();
    assert!(
        banner.contains("API URL:       http://127.0.0.1:"),
        "{banner}"
    );
    assert!(banner.contains("token URL:"), "{banner}");
    assert!(banner.contains("client id:"), "{banner}");
}
