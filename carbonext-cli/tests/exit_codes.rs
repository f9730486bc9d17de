//! Each exit code, provoked against a real sandbox over 127.0.0.1: 2 (nothing sent), 3, 4, 5
//! and 6, each with one clear first line on stderr.

mod common;

use common::{assert_code, bare, carbonext, run, sandbox, stderr, stdout};

/// The error's line (notes such as "Writing to …" may come before it).
fn error_line(text: &str) -> &str {
    text.lines()
        .find(|line| line.starts_with("error:"))
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_amounts_exit_2_and_send_nothing() {
    let sandbox = sandbox().await;
    let route = |from: &'static str, to: &'static str| -> [&'static str; 10] {
        [
            "calculate",
            "route",
            "--type",
            "0",
            "--from",
            from,
            "--to",
            to,
            "--units",
            "1",
        ]
    };
    let (mixed, bad_zip, bad_airport) = (
        route("GRU", "01310-100"),
        route("0131-0100", "20040-020"),
        route("GR1", "GIG"),
    );
    let cases: [&[&str]; 13] = [
        &mixed,
        &bad_zip,
        &bad_airport,
        &["calculate", "distance", "--type", "truck", "--meters", "1"],
        &["price", "--vcu", "0"],
        &["price", "--vcu", "abc"],
        &["orders", "create", "--vcu", "-1"],
        &["orders", "create", "--vcu", "1e3"],
        &["orders", "create", "--vcu", "1", "--key", "bad key!"],
        &["orders", "list", "--status", "Retired"],
        &["balance", "--start", "2024-02-01", "--end", "2024-01-01"],
        &["users", "update", "00000000-0000-4000-8000-000000000000"],
        &["calculate", "distance", "--type", "0", "--meters", "0"],
    ];
    for args in cases {
        let output = run(carbonext(&sandbox), args);
        assert_code(&output, 2);
        assert!(stdout(&output).is_empty(), "{args:?}");
        assert!(
            error_line(&stderr(&output)).starts_with("error:"),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let long = "x".repeat(501);
    let output = run(
        carbonext(&sandbox),
        &["orders", "create", "--vcu", "1", "--meta-data", &long],
    );
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("metaData has 501 characters"),
        "{}",
        stderr(&output)
    );

    let counters = sandbox.counters();
    assert_eq!(counters.total_api_requests(), 0);
    assert_eq!(counters.token_requests(), 0);
    sandbox.shutdown().await;
}

#[test]
fn missing_credentials_exit_2_naming_the_variables() {
    let output = run(bare(), &["--env", "homologation", "balance"]);
    assert_code(&output, 2);
    let err = stderr(&output);
    assert!(
        error_line(&err).contains("CARBONEXT_CLIENT_ID and CARBONEXT_CLIENT_SECRET"),
        "{err}"
    );

    let mut only_id = bare();
    only_id.env("CARBONEXT_CLIENT_ID", "cbx_b2b_x");
    let output = run(only_id, &["--env", "homologation", "balance"]);
    assert_code(&output, 2);
    let err = stderr(&output);
    assert!(
        error_line(&err).contains("set CARBONEXT_CLIENT_SECRET"),
        "{err}"
    );
    assert!(!error_line(&err).contains("CARBONEXT_CLIENT_ID"), "{err}");
}

#[test]
fn an_api_url_without_a_token_url_exits_2() {
    let output = run(bare(), &["--api-url", "http://127.0.0.1:9", "balance"]);
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("--auth-url"),
        "{}",
        stderr(&output)
    );
    let output = run(bare(), &["--env", "staging", "balance"]);
    assert_code(&output, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_exits_3() {
    let sandbox = sandbox().await;
    let mut command = carbonext(&sandbox);
    command.env("CARBONEXT_CLIENT_SECRET", "not-the-secret");
    let output = run(command, &["price"]);
    assert_code(&output, 3);
    let err = stderr(&output);
    assert!(
        error_line(&err).starts_with("error: authentication failed"),
        "{err}"
    );
    assert!(err.contains("invalid_client"), "{err}");
    assert!(!err.contains("not-the-secret"), "{err}");
    assert_eq!(sandbox.counters().total_api_requests(), 0);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejections_by_the_api_exit_4_with_its_message() {
    let sandbox = sandbox().await;
    let output = run(
        carbonext(&sandbox),
        &["orders", "cancel", "00000000-0000-4000-8000-000000000000"],
    );
    assert_code(&output, 4);
    let err = stderr(&output);
    assert!(
        error_line(&err).starts_with("error: the API refused the request (HTTP 404)"),
        "{err}"
    );

    let output = run(
        carbonext(&sandbox),
        &["orders", "create", "--vcu", "5000", "--pay-with-balance"],
    );
    assert_code(&output, 4);
    let err = stderr(&output);
    assert!(error_line(&err).contains("HTTP 4"), "{err}");
    assert!(err.to_lowercase().contains("balance"), "{err}");
    assert_eq!(sandbox.orders_snapshot().len(), 0);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_api_exits_5() {
    let sandbox = sandbox().await;
    let mut command = bare();
    command
        .args([
            "--api-url",
            "http://127.0.0.1:1",
            "--auth-url",
            &sandbox.token_url(),
        ])
        .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
        .env("CARBONEXT_CLIENT_SECRET", sandbox.client_secret())
        .env("CARBONEXT_RETRY_ATTEMPTS", "2");
    let output = run(command, &["balance"]);
    assert_code(&output, 5);
    let err = stderr(&output);
    assert!(
        error_line(&err) == "error: could not connect to 127.0.0.1:1 (the API URL, from --api-url)",
        "{err}"
    );
    sandbox.shutdown().await;
}

#[test]
fn an_unreachable_token_endpoint_exits_5() {
    let mut command = bare();
    command
        .args([
            "--api-url",
            "http://127.0.0.1:1",
            "--auth-url",
            "http://127.0.0.1:1/token",
        ])
        .env("CARBONEXT_CLIENT_ID", "cbx_b2b_x")
        .env("CARBONEXT_CLIENT_SECRET", "s3cr3t-value")
        .env("CARBONEXT_RETRY_ATTEMPTS", "2");
    let output = run(command, &["price"]);
    assert_code(&output, 5);
    let err = stderr(&output);
    assert!(
        error_line(&err)
            == "error: could not connect to 127.0.0.1:1 (the token URL, from --auth-url)",
        "{err}"
    );
    assert!(!err.contains("s3cr3t-value"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_errors_after_retries_exit_5() {
    let sandbox = sandbox().await;
    sandbox.faults().fail_share(503, 1.0);
    let output = run(carbonext(&sandbox), &["balance"]);
    assert_code(&output, 5);
    assert!(stderr(&output).contains("HTTP 503"), "{}", stderr(&output));
    assert_eq!(
        sandbox.counters().operation("get_balance"),
        2,
        "retried once"
    );
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_order_answer_that_cannot_be_settled_exits_6_with_the_key() {
    let sandbox = sandbox().await;
    // Request 1: the CLI looks the key up (nothing yet). Request 2: the order is stored and
    // its answer dropped. Request 3: the SDK's lookup by key gets a 503, and with retries
    // off nothing settles the outcome. (A periodic share of 0.34 fires on the 3rd request.)
    sandbox
        .faults()
        .set_schedule(carbonext_sandbox::FaultSchedule::Periodic);
    sandbox.faults().drop_after_commit(1.0);
    sandbox.faults().fail_share(503, 0.34);
    let mut command = carbonext(&sandbox);
    command.env("CARBONEXT_RETRY_ATTEMPTS", "1");
    let output = run(
        command,
        &[
            "orders",
            "create",
            "--vcu",
            "1",
            "--pay-with-balance",
            "--key",
            "lost_answer_01",
        ],
    );
    sandbox.faults().clear();
    let err = stderr(&output);
    assert_code(&output, 6);
    assert!(
        error_line(&err).starts_with("error: order outcome unknown for key lost_answer_01"),
        "{err}"
    );
    assert!(
        err.contains("carbonext orders list --key lost_answer_01"),
        "{err}"
    );

    // The advice works: the order is found by its key, and re-running does not duplicate it.
    let listed = run(
        carbonext(&sandbox),
        &["orders", "list", "--key", "lost_answer_01", "-o", "json"],
    );
    assert_code(&listed, 0);
    let page: serde_json::Value = serde_json::from_str(&stdout(&listed)).expect("JSON");
    assert_eq!(page["totalCount"], 1, "the order was stored");
    let stored_before = sandbox.orders_snapshot().len();
    let again = run(
        carbonext(&sandbox),
        &[
            "orders",
            "create",
            "--vcu",
            "1",
            "--pay-with-balance",
            "--key",
            "lost_answer_01",
        ],
    );
    assert_code(&again, 0);
    assert_eq!(sandbox.orders_snapshot().len(), stored_before);
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_without_the_permission_exits_4() {
    let sandbox = sandbox().await;
    let (client_id, client_secret) = sandbox.create_api_key(&["orders_read"]);
    let mut command = carbonext(&sandbox);
    command
        .env("CARBONEXT_CLIENT_ID", client_id)
        .env("CARBONEXT_CLIENT_SECRET", client_secret);
    let output = run(command, &["balance"]);
    assert_code(&output, 4);
    assert!(
        error_line(&stderr(&output)).contains("HTTP 403"),
        "{}",
        stderr(&output)
    );
    sandbox.shutdown().await;
}

#[test]
fn help_and_version_exit_0_and_a_missing_subcommand_exits_2() {
    assert_code(&run(bare(), &["--help"]), 0);
    assert_code(&run(bare(), &["--version"]), 0);
    assert_code(&run(bare(), &["orders", "--help"]), 0);
    assert_code(&run(bare(), &[]), 2);
    assert_code(&run(bare(), &["orders", "cancel"]), 2);
    assert_code(&run(bare(), &["orders", "cancel", "not-a-uuid"]), 2);
}
