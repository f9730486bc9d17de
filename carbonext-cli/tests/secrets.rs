//! The client secret and access tokens never appear in any output, even with `-vv` logs.

mod common;

use common::{assert_code, bare, carbonext, run, sandbox, stderr, stdout};
use regex::Regex;

fn assert_clean(output: &std::process::Output, secret: &str) {
    for (name, text) in [("stdout", stdout(output)), ("stderr", stderr(output))] {
        assert!(
            !text.contains(secret),
            "the secret appears in {name}:\n{text}"
        );
        assert!(
            !text.contains("Bearer "),
            "a bearer token appears in {name}:\n{text}"
        );
        assert!(
            !text.contains("access_token"),
            "a token body appears in {name}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_never_appears_even_with_trace_logs() {
    let sandbox = sandbox().await;
    let secret = sandbox.client_secret();
    for args in [
        &["-vv", "price", "--vcu", "0.02"][..],
        &[
            "-vv",
            "orders",
            "create",
            "--vcu",
            "1",
            "--pay-with-balance",
        ],
        &["-vv", "orders", "list", "--all", "-o", "json"],
        &["-vv", "balance"],
    ] {
        let output = run(carbonext(&sandbox), args);
        assert_code(&output, 0);
        assert!(!stderr(&output).is_empty(), "-vv logs something");
        assert_clean(&output, &secret);
    }
    sandbox.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_secret_is_not_echoed() {
    let sandbox = sandbox().await;
    let mut command = carbonext(&sandbox);
    command.env("CARBONEXT_CLIENT_SECRET", "wrong-secret-4f1d9c");
    let output = run(command, &["-vv", "balance"]);
    assert_code(&output, 3);
    assert_clean(&output, "wrong-secret-4f1d9c");
    sandbox.shutdown().await;
}

#[test]
fn the_embedded_sandbox_credentials_are_not_printed_by_api_commands() {
    let output = run(bare(), &["-vv", "quickstart"]);
    assert_code(&output, 0);
    let all = format!("{}{}", stdout(&output), stderr(&output));
    assert!(!all.contains("Bearer "), "{all}");
    assert!(!all.contains("client_secret="), "{all}");
    assert!(!all.to_lowercase().contains("client secret:"), "{all}");

    // The embedded sandbox's secret is a random UUID the test cannot know beforehand, so its
    // value is looked for as any UUID the output cannot account for: only the client id's
    // (logged when connecting) and the placed order's may appear, under whatever label.
    let client_id = Regex::new(r#"client_id="cbx_b2b_([0-9a-f-]{36})""#).unwrap();
    let order = Regex::new(r"Order ([0-9a-f-]{36}) placed").unwrap();
    let known = [
        client_id.captures(&all).map(|c| c[1].to_owned()),
        order.captures(&all).map(|c| c[1].to_owned()),
    ];
    let [Some(client_id), Some(order)] = known else {
        panic!("the client id and the order id are shown: {all}")
    };
    let uuid = Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    for shown in uuid.find_iter(&all) {
        assert!(
            shown.as_str() == client_id || shown.as_str() == order,
            "an unaccounted-for UUID (the secret?) {}: {all}",
            shown.as_str()
        );
    }
}
