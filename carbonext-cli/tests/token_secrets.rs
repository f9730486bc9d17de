//! The `carbonext` binary never prints the client secret nor any access token it was issued,
//! with `-vv` (TRACE) logs, through success, a refresh after revocation, a persistent 401 and
//! rejected credentials. The tokens are known exactly: the in-process sandbox records every
//! access token it hands out (`Sandbox::issued_tokens`), and its `revoke_on_issue` fault makes
//! tokens the API refuses. The SDK half of this check is `carbonext-bench/tests/secrets.rs`.

use std::process::{Command, Output};

use carbonext_sandbox::Sandbox;

const WRONG_SECRET: &str = "wrong-secret-5d0b7a31";

/// The binary against the sandbox, `-vv`.
fn carbonext(sandbox: &Sandbox, secret: &str) -> Command {
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
            &sandbox.token_url(),
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
    let mut outputs = Vec::new();

    // Success.
    for args in [
        &["price", "--vcu", "0.02"][..],
        &["orders", "create", "--vcu", "1", "--pay-with-balance"],
        &["orders", "export", "--format", "jsonl"],
        &["balance", "-o", "json"],
    ] {
        let output = run(carbonext(&sandbox, &secret), args).await;
        assert!(output.status.success(), "{args:?}: {}", text(&output));
        outputs.push(output);
    }
    assert_eq!(sandbox.issued_tokens().len(), 4, "one token per process");

    // Refresh after revocation: the first token is revoked as soon as it is issued; the API
    // answers 401 and the CLI fetches a second one.
    sandbox.faults().revoke_on_issue(1);
    let output = run(carbonext(&sandbox, &secret), &["balance"]).await;
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(
        sandbox.issued_tokens().len(),
        6,
        "the revoked token was replaced"
    );
    outputs.push(output);

    // Persistent 401.
    sandbox.faults().revoke_on_issue(u64::MAX);
    let output = run(carbonext(&sandbox, &secret), &["price"]).await;
    assert!(!output.status.success(), "{}", text(&output));
    outputs.push(output);

    // Rejected credentials.
    sandbox.faults().revoke_on_issue(0);
    let output = run(carbonext(&sandbox, WRONG_SECRET), &["balance"]).await;
    assert_eq!(output.status.code(), Some(3), "{}", text(&output));
    outputs.push(output);

    let tokens = sandbox.issued_tokens();
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
