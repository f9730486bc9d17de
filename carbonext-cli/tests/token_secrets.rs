//! The `carbonext` binary never prints the client secret nor any access token it was issued,
//! with `-vv` (TRACE) logs, through success, a refresh after revocation, a persistent 401 and
//! rejected credentials. The tokens are known exactly: `--auth-url` points at a recording proxy
//! (`token_secrets/token_proxy.rs`) in front of the sandbox's token endpoint. The SDK half of
//! this check is `carbonext-bench/tests/secrets.rs`.

#[path = "token_secrets/token_proxy.rs"]
mod token_proxy;

use std::process::{Command, Output};

use carbonext_sandbox::Sandbox;
use token_proxy::{Mode, TokenProxy};

const WRONG_SECRET: &str = "wrong-secret-5d0b7a31";

/// The binary against the sandbox's API and the proxy's token endpoint, `-vv`.
fn carbonext(sandbox: &Sandbox, proxy: &TokenProxy, secret: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_carbonext"));
    for var in [
        "CARBONEXT_ENV",
        "CARBONEXT_RETRY_ATTEMPTS",
        "CARBONEXT_TIMEOUT_SECS",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command
        .args([
            "-vv",
            "--api-url",
            &sandbox.api_url(),
            "--auth-url",
            &proxy.url(),
        ])
        .env("CARBONEXT_CLIENT_ID", sandbox.client_id())
        .env("CARBONEXT_CLIENT_SECRET", secret)
        .env("CARBONEXT_RETRY_ATTEMPTS", "2")
        .env("NO_COLOR", "1");
    command
}

async fn run(mut command: Command, args: &[&str]) -> Output {
    command.args(args);
    tokio::task::spawn_blocking(move || command.output().expect("the binary runs"))
        .await
        .expect("joined")
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_nor_issued_token_in_any_output_with_trace_logs() {
    let sandbox = Sandbox::builder().start().await.expect("sandbox");
    let secret = sandbox.client_secret();
    let faults = sandbox.faults().clone();
    let proxy = TokenProxy::start(sandbox.token_url(), move || faults.revoke_all_tokens()).await;
    let mut outputs = Vec::new();

    // Success.
    for args in [
        &["price", "--vcu", "0.02"][..],
        &["orders", "create", "--vcu", "1", "--pay-with-balance"],
        &["orders", "export", "--format", "jsonl"],
        &["balance", "-o", "json"],
    ] {
        let output = run(carbonext(&sandbox, &proxy, &secret), args).await;
        assert!(output.status.success(), "{args:?}: {}", text(&output));
        outputs.push(output);
    }
    assert_eq!(proxy.tokens().len(), 4, "one token per process");

    // Refresh after revocation: the first token is revoked as soon as it is issued; the API
    // answers 401 and the CLI fetches a second one.
    proxy.set_mode(Mode::RevokeAfterNextIssue);
    let output = run(carbonext(&sandbox, &proxy, &secret), &["balance"]).await;
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(proxy.tokens().len(), 6, "the revoked token was replaced");
    outputs.push(output);

    // Persistent 401.
    proxy.set_mode(Mode::Bogus);
    let output = run(carbonext(&sandbox, &proxy, &secret), &["price"]).await;
    assert!(!output.status.success(), "{}", text(&output));
    outputs.push(output);

    // Rejected credentials.
    proxy.set_mode(Mode::Forward);
    let output = run(carbonext(&sandbox, &proxy, WRONG_SECRET), &["balance"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    outputs.push(output);

    let tokens = proxy.tokens();
    assert!(tokens.len() >= 7, "tokens issued: {}", tokens.len());
    let mut needles = vec![secret, WRONG_SECRET.to_owned()];
    needles.extend(tokens);
    for output in &outputs {
        let text = text(output);
        assert!(text.contains(" DEBUG "), "-vv logs: {text}");
        for needle in &needles {
            assert!(
                !text.contains(needle.as_str()),
                "a secret or an issued token appears in the output:\n{text}"
            );
        }
    }
    sandbox.shutdown().await;
}
