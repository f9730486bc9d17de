//! Where a command goes and what it may write, as a user runs it: the real binary against
//! sandboxes on 127.0.0.1, requests counted by the sandboxes.
//!
//! Production's hosts are replaced by a local sandbox through `CARBONEXT_PRODUCTION_API_URL`
//! and `CARBONEXT_PRODUCTION_AUTH_URL`, so nothing here leaves the machine.

mod common;

use std::process::{Command, Stdio};

use carbonext_sandbox::Sandbox;
use common::{assert_code, bare, carbonext, run, sandbox, stderr, stdout};

/// Requests a sandbox has seen: token and API.
fn seen(sandbox: &Sandbox) -> (u64, u64) {
    let counters = sandbox.counters();
    (counters.token_requests(), counters.total_api_requests())
}

/// The binary with `sandbox`'s credentials in the environment and no target at all; stdin
/// is not a terminal.
fn with_credentials(sandbox: &Sandbox) -> Command {
    let mut command = bare();
    command
        .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
        .env("CARBONEXT_CLIENT_SECRET", sandbox.client_secret())
        .env("CARBONEXT_RETRY_ATTEMPTS", "1")
        .stdin(Stdio::null());
    command
}

/// Like [`with_credentials`], with production's hosts replaced by `production`'s.
fn production_is(production: &Sandbox) -> Command {
    let mut command = with_credentials(production);
    command
        .env("CARBONEXT_PRODUCTION_API_URL", production.api_url())
        .env("CARBONEXT_PRODUCTION_AUTH_URL", production.token_url());
    command
}

/// Like [`with_credentials`], with the target in the environment variables.
fn env_target(sandbox: &Sandbox) -> Command {
    let mut command = with_credentials(sandbox);
    command
        .env("CARBONEXT_API_URL", sandbox.api_url())
        .env("CARBONEXT_AUTH_URL", sandbox.token_url());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_target_comes_whole_from_the_flags_and_the_ignored_variables_are_named() {
    let production = sandbox().await;
    let elsewhere = sandbox().await;
    let mut command = production_is(&production);
    command
        .env("CARBONEXT_API_URL", elsewhere.api_url())
        .env("CARBONEXT_AUTH_URL", elsewhere.token_url());
    let output = run(command, &["--env", "production", "price", "--vcu", "1"]);
    assert_code(&output, 0);
    let err = stderr(&output);
    assert!(
        err.contains("ignoring CARBONEXT_API_URL, CARBONEXT_AUTH_URL (the environment)"),
        "{err}"
    );
    assert!(
        err.contains("warning: CARBONEXT_PRODUCTION_API_URL is set"),
        "{err}"
    );
    assert_eq!(seen(&elsewhere), (0, 0), "the ignored variables were used");
    assert!(production.counters().operation("get_price") == 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_setting_comes_from_the_flag_then_the_variable_then_the_default() {
    let by_flag = sandbox().await;
    let by_env = sandbox().await;

    // API URL and token URL: the flags win over the variables (and the variables are named).
    let mut command = env_target(&by_env);
    command.args([
        "--api-url",
        &by_flag.api_url(),
        "--auth-url",
        &by_flag.token_url(),
    ]);
    let output = run(command, &["price", "--vcu", "1"]);
    assert_code(&output, 0);
    assert!(stderr(&output).contains("ignoring CARBONEXT_API_URL"));
    assert_eq!(seen(&by_env), (0, 0));
    assert_eq!(by_flag.counters().operation("get_price"), 1);

    // The variables alone: used, without a note.
    let output = run(env_target(&by_env), &["price", "--vcu", "1"]);
    assert_code(&output, 0);
    assert!(!stderr(&output).contains("ignoring"), "{}", stderr(&output));
    assert_eq!(by_env.counters().operation("get_price"), 1);

    // Client id: --client wins over CARBONEXT_CLIENT_ID (a wrong flag fails authentication).
    let mut command = env_target(&by_env);
    command.args(["--client", "not_a_client"]);
    let output = run(command, &["price", "--vcu", "1"]);
    assert_code(&output, 3);
    let output = run(
        env_target(&by_env),
        &["--client", &by_env.client_id(), "balance"],
    );
    assert_code(&output, 0);

    // The default: the embedded sandbox, said on stderr; the others see nothing.
    let before = (seen(&by_flag), seen(&by_env));
    let output = run(bare(), &["price", "--vcu", "1"]);
    assert_code(&output, 0);
    assert!(stderr(&output).contains("embedded sandbox"));
    assert_eq!((seen(&by_flag), seen(&by_env)), before);

    // The environment's default token URL comes with a --env given in the variables.
    let mut command = with_credentials(&by_env);
    command
        .env("CARBONEXT_ENV", "production")
        .env("CARBONEXT_PRODUCTION_API_URL", by_env.api_url())
        .env("CARBONEXT_PRODUCTION_AUTH_URL", by_env.token_url());
    let output = run(command, &["price", "--vcu", "1"]);
    assert_code(&output, 0);
    assert_eq!(by_env.counters().operation("get_price"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_with_a_foreign_url_is_refused_and_nothing_is_sent() {
    let production = sandbox().await;
    let foreign = sandbox().await;
    let mut command = production_is(&production);
    command.args(["--env", "production", "--api-url", &foreign.api_url()]);
    let output = run(command, &["price", "--vcu", "1"]);
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("not production's"),
        "{}",
        stderr(&output)
    );
    // Within the variables alone as well.
    let mut command = production_is(&production);
    command
        .env("CARBONEXT_ENV", "production")
        .env("CARBONEXT_API_URL", foreign.api_url());
    let output = run(command, &["price", "--vcu", "1"]);
    assert_code(&output, 2);
    assert_eq!(seen(&production), (0, 0));
    assert_eq!(seen(&foreign), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_production_write_without_a_terminal_or_yes_sends_nothing() {
    let production = sandbox().await;
    for args in [
        &["orders", "create", "--vcu", "3", "--key", "prod_order_0001"][..],
        &["offset", "tonnes", "1.5", "--key", "prod_offset_0001"],
        &[
            "users",
            "create",
            "--name",
            "Ana",
            "--email",
            "ana@example.com",
        ],
    ] {
        let mut command = production_is(&production);
        command.args(["--env", "production"]);
        let output = run(command, args);
        assert_code(&output, 2);
        let err = stderr(&output);
        assert!(err.contains("--yes"), "{err}");
        assert!(err.contains("nothing was sent"), "{err}");
    }
    assert_eq!(seen(&production), (0, 0));
    assert!(production.orders_snapshot().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_production_order_confirmed_with_yes_shows_the_quote_and_is_placed() {
    let production = sandbox().await;
    let mut command = production_is(&production);
    command.args(["--env", "production", "--yes"]);
    let output = run(
        command,
        &["orders", "create", "--vcu", "3", "--key", "prod_order_0002"],
    );
    assert_code(&output, 0);
    let err = stderr(&output);
    assert!(err.contains("production: real orders"), "{err}");
    assert!(err.contains("order 3 VCUs (BRL)"), "{err}");
    assert!(err.contains("quote: 110.00 BRL per VCU"), "{err}");
    assert!(err.contains("total: 330.00 BRL"), "{err}");
    assert_eq!(production.orders_snapshot().len(), 1);

    // CARBONEXT_ASSUME_YES=1 does the same.
    let mut command = production_is(&production);
    command
        .env("CARBONEXT_ENV", "production")
        .env("CARBONEXT_ASSUME_YES", "1");
    let output = run(
        command,
        &["orders", "create", "--vcu", "1", "--key", "prod_order_0003"],
    );
    assert_code(&output, 0);
    assert_eq!(production.orders_snapshot().len(), 2);

    // An offset shows its VCUs and quote (from a dry run) before ordering.
    let mut command = production_is(&production);
    command.args(["--env", "production", "--yes"]);
    let output = run(
        command,
        &["offset", "tonnes", "1.25", "--key", "prod_offset_0002"],
    );
    assert_code(&output, 0);
    let err = stderr(&output);
    assert!(err.contains("VCUs: 1.25"), "{err}");
    assert!(err.contains("total: 137.5000 BRL"), "{err}");
    assert_eq!(production.orders_snapshot().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_to_a_remote_target_names_its_host_and_homologation_never_asks() {
    let sandbox = sandbox().await;
    let mut command = carbonext(&sandbox);
    command.stdin(Stdio::null());
    let output = run(command, &["orders", "create", "--vcu", "1"]);
    assert_code(&output, 0);
    let host = sandbox.api_url().trim_start_matches("http://").to_owned();
    assert!(
        stderr(&output).contains(&format!("Writing to {host}")),
        "{}",
        stderr(&output)
    );
    let mut command = with_credentials(&sandbox);
    command.args([
        "--env",
        "homologation",
        "--api-url",
        &sandbox.api_url(),
        "--auth-url",
        &sandbox.token_url(),
    ]);
    let output = run(command, &["orders", "create", "--vcu", "1"]);
    assert_code(&output, 0);
    assert!(stderr(&output).contains("(homologation)"));
    assert_eq!(sandbox.orders_snapshot().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_above_its_price_limit_exits_8_and_orders_nothing() {
    let sandbox = sandbox().await;
    let output = run(
        carbonext(&sandbox),
        &[
            "orders",
            "create",
            "--vcu",
            "3",
            "--max-total-price",
            "100",
            "--key",
            "limited_0001",
        ],
    );
    assert_code(&output, 8);
    assert!(
        stderr(&output).contains("330.00 BRL"),
        "{}",
        stderr(&output)
    );
    assert!(sandbox.orders_snapshot().is_empty());
    let output = run(
        carbonext(&sandbox),
        &[
            "orders",
            "create",
            "--vcu",
            "3",
            "--max-total-price",
            "330.00",
        ],
    );
    assert_code(&output, 0);
    assert_eq!(sandbox.orders_snapshot().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undocumented_currency_is_refused_before_anything_is_sent() {
    let sandbox = sandbox().await;
    for args in [
        &["price", "--vcu", "1", "--currency", "EUR"][..],
        &["orders", "create", "--vcu", "1", "--currency", "EUR"],
    ] {
        let output = run(carbonext(&sandbox), args);
        assert_code(&output, 2);
        assert!(stderr(&output).contains("BRL, USD"), "{}", stderr(&output));
    }
    assert_eq!(seen(&sandbox), (0, 0));
    let output = run(
        carbonext(&sandbox),
        &["price", "--vcu", "1", "--currency", "usd"],
    );
    assert_code(&output, 0);
    assert!(stdout(&output).contains("20.50"), "{}", stdout(&output));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_mistakes_say_what_to_fix() {
    let sandbox = sandbox().await;
    // The auth host's base instead of the token endpoint: a 404 from the sandbox.
    let output = run(
        with_credentials(&sandbox),
        &[
            "--api-url",
            &sandbox.api_url(),
            "--auth-url",
            &format!("{}/auth", sandbox.api_url()),
            "balance",
        ],
    );
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("/protocol/openid-connect/token"),
        "{}",
        stderr(&output)
    );
    // `/v1` at the end of the API URL.
    let output = run(
        with_credentials(&sandbox),
        &[
            "--api-url",
            &format!("{}/v1", sandbox.api_url()),
            "--auth-url",
            &sandbox.token_url(),
            "balance",
        ],
    );
    assert_code(&output, 2);
    assert!(
        stderr(&output).contains("without /v1"),
        "{}",
        stderr(&output)
    );
    // A closed port: host, port and the setting, on one line.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("address").port();
    drop(closed);
    let mut command = with_credentials(&sandbox);
    command
        .env("CARBONEXT_API_URL", format!("http://127.0.0.1:{port}"))
        .env(
            "CARBONEXT_AUTH_URL",
            format!("http://127.0.0.1:{port}/token"),
        );
    let output = run(command, &["balance"]);
    assert_code(&output, 5);
    let err = stderr(&output);
    assert_eq!(
        err.trim(),
        format!(
            "error: could not connect to 127.0.0.1:{port} (the token URL, from CARBONEXT_AUTH_URL)"
        )
    );
}
