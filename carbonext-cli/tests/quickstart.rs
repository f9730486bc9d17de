//! The main job: `carbonext quickstart` with no configuration at all runs the four steps
//! against the embedded sandbox and exits 0.

mod common;

use common::{assert_code, bare, run, stderr, stdout};

#[test]
fn quickstart_with_zero_configuration_runs_every_step() {
    let output = run(bare(), &["quickstart"]);
    assert_code(&output, 0);
    let out = stdout(&output);
    for step in [
        "Step 1/4 · Getting an access token",
        "Access token obtained",
        "Step 2/4 · Asking the price of 1 VCU",
        "1 VCU costs 110.00 BRL.",
        "Step 3/4 · Placing an order of 3 VCU, paid with the balance",
        "3 VCU for 330.00 BRL, status Paid.",
        "Step 4/4 · Reading the balance",
        "BRL       997",
    ] {
        assert!(out.contains(step), "missing {step:?} in:\n{out}");
    }
    let err = stderr(&output);
    assert!(err.contains("embedded sandbox"), "{err}");
}

#[test]
fn quickstart_json_is_one_object_with_the_results() {
    let output = run(bare(), &["quickstart", "--output", "json"]);
    assert_code(&output, 0);
    let text = stdout(&output);
    let value: serde_json::Value = serde_json::from_str(&text).expect("one JSON object");
    assert_eq!(value["tokenObtained"], true);
    // Amounts are JSON numbers, as the API sends them, with exactly the digits received.
    assert_eq!(value["order"]["totalPrice"].as_f64(), Some(330.0));
    for exact in [
        r#""vcuPrice": 110.00"#,
        r#""vcuAmount": 3"#,
        r#""totalPrice": 330.00"#,
        r#""balance": 997"#,
    ] {
        assert!(text.contains(exact), "{exact} in {text}");
    }
    assert!(value.get("accessToken").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_against_a_remote_api_with_a_short_balance_exits_4_with_a_hint() {
    let sandbox = carbonext_sandbox::Sandbox::builder()
        .deterministic(true)
        .initial_vcu_credit(rust_decimal::Decimal::ONE)
        .start()
        .await
        .expect("sandbox starts");
    let output = run(common::carbonext(&sandbox), &["quickstart"]);
    assert_code(&output, 4);
    let out = stdout(&output);
    assert!(
        out.contains("talking to the API at http://127.0.0.1:"),
        "{out}"
    );
    assert!(out.contains("Step 3/4"), "{out}");
    assert!(!out.contains("Step 4/4"), "{out}");
    let err = stderr(&output);
    assert!(err.contains("see `carbonext balance`"), "{err}");
    assert!(!err.contains("embedded sandbox"), "{err}");
    sandbox.shutdown().await;
}
