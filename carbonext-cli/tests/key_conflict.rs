//! A key is bound to what it ordered, and `orders list --key` lists exactly that key: real
//! `carbonext` processes against a sandbox with the documented filters only.

mod common;

use common::{assert_code, carbonext, ok, run, sandbox, stderr};

fn orders_with(sandbox: &carbonext_sandbox::Sandbox, key: &str) -> usize {
    sandbox.orders_with_key(key).len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_key_with_other_parameters_is_refused_and_the_same_ones_find_the_order() {
    let sandbox = sandbox().await;
    let first = ok(
        carbonext(&sandbox),
        &[
            "-o",
            "json",
            "orders",
            "create",
            "--vcu",
            "3",
            "--key",
            "money_safe_0001",
        ],
    );
    let first: serde_json::Value = serde_json::from_str(&first).expect("JSON");
    assert_eq!(first["alreadyExisted"], false, "{first}");
    assert_eq!(orders_with(&sandbox, "money_safe_0001"), 1);

    // The same parameters: the existing order, said so, nothing placed.
    let again = ok(
        carbonext(&sandbox),
        &[
            "-o",
            "json",
            "orders",
            "create",
            "--vcu",
            "3.00",
            "--key",
            "money_safe_0001",
        ],
    );
    let again: serde_json::Value = serde_json::from_str(&again).expect("JSON");
    assert_eq!(again["alreadyExisted"], true, "{again}");
    assert_eq!(again["id"], first["id"]);

    // Another amount, another currency, another recipient: exit 10, stderr names the key and
    // the field, whatever the output mode, and nothing is placed.
    for (args, field) in [
        (vec!["--vcu", "50"], "vcuAmount"),
        (vec!["--vcu", "3", "--currency", "USD"], "targetCurrency"),
        (
            vec!["--vcu", "3", "--recipient-name", "Someone Else"],
            "certificateRecipientInfo.name",
        ),
        // Not recorded by the order: told apart by the fingerprint beside the key.
        (vec!["--vcu", "3", "--pay-with-balance"], "payWithBalance"),
    ] {
        for json in [false, true] {
            let mut full = vec![];
            if json {
                full.extend(["-o", "json"]);
            }
            full.extend(["orders", "create"]);
            full.extend(args.iter().copied());
            full.extend(["--key", "money_safe_0001"]);
            let refused = run(carbonext(&sandbox), &full);
            assert_code(&refused, 10);
            let text = stderr(&refused);
            assert!(text.contains("money_safe_0001"), "{text}");
            assert!(text.contains(field), "{field}: {text}");
        }
    }
    assert_eq!(
        orders_with(&sandbox, "money_safe_0001"),
        1,
        "nothing placed"
    );
    assert_eq!(sandbox.counters().operation("create_order"), 1);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_list_by_key_lists_that_key_only_not_the_keys_that_contain_it() {
    let sandbox = sandbox().await;
    for n in 1..=12 {
        let key = format!("ship_key_{n}");
        ok(
            carbonext(&sandbox),
            &["orders", "create", "--vcu", "1", "--key", key.as_str()],
        );
    }
    let listed = ok(
        carbonext(&sandbox),
        &[
            "-o",
            "json",
            "orders",
            "list",
            "--key",
            "ship_key_1",
            "--all",
        ],
    );
    let listed: serde_json::Value = serde_json::from_str(&listed).expect("JSON");
    let items = listed.as_array().expect("an array");
    assert_eq!(items.len(), 1, "{listed}");
    assert!(items[0]["metaData"]
        .as_str()
        .is_none_or(|m| !m.contains("ship_key_10")));
    assert_eq!(orders_with(&sandbox, "ship_key_1"), 1);
    sandbox.shutdown().await;
}
