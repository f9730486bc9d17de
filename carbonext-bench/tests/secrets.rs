//! The client secret and every issued access token stay out of logs and errors of the SDK
//! (`carbonext_domain::Carbonext`), through success, a refresh after revocation, a persistent
//! 401 and rejected credentials, with every `tracing` event (and `log` record) at TRACE
//! captured. The tokens are known exactly: the sandbox records every access token it hands
//! out (`Sandbox::issued_tokens`), and its `revoke_on_issue` fault makes tokens the API
//! refuses. The CLI half of this check is `carbonext-cli/tests/token_secrets.rs`.
//!
//! Its own test binary because it installs a global subscriber.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carbonext_domain::{
    Carbonext, Credentials, Currency, Environment, Error, Ledger, NewOrder, OrderQuery,
    RetryPolicy, VcuAmount, VcuMarket,
};
use carbonext_sandbox::Sandbox;
use futures::TryStreamExt;

const WRONG_SECRET: &str = "wrong-secret-8c1f2e9a";

/// Output of the global subscriber.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn connect(sandbox: &Sandbox, secret: &str) -> Carbonext {
    Carbonext::builder()
        .environment(Environment::custom(sandbox.api_url(), sandbox.token_url()))
        .credentials(Credentials::new(sandbox.client_id(), secret))
        .retry_policy(RetryPolicy {
            max_attempts: 2,
            initial_backoff: Duration::from_millis(5),
            max_backoff: Duration::from_millis(20),
            max_elapsed: Duration::from_secs(5),
        })
        .build()
        .expect("facade")
}

fn one() -> VcuAmount {
    "1".parse().expect("valid")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_never_shows_the_secret_or_any_issued_token() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .try_init()
        .expect("the only subscriber of this binary");

    let sandbox = Sandbox::builder().start().await.expect("sandbox");
    let secret = sandbox.client_secret();
    // Display and Debug of everything the calls returned.
    let mut shown: Vec<String> = Vec::new();

    // Success.
    let sdk = connect(&sandbox, &secret);
    let quote = sdk.quote(one(), Currency::Brl).await.expect("quote");
    let order = sdk
        .place_order(NewOrder::builder(one()).build().expect("order"))
        .await
        .expect("placed")
        .order;
    let orders: Vec<_> = sdk
        .orders(OrderQuery::new())
        .try_collect()
        .await
        .expect("orders");
    let balance = sdk.balance(None).await.expect("balance");
    shown.push(format!(
        "{sdk:?} {quote:?} {order:?} {orders:?} {balance:?}"
    ));
    assert_eq!(sandbox.issued_tokens().len(), 1);

    // Refresh after revocation: the warm token is revoked, the API answers 401, the SDK
    // fetches a second token and the call succeeds.
    sandbox.faults().revoke_all_tokens();
    sdk.quote(one(), Currency::Brl)
        .await
        .expect("refreshed after revocation");
    // And a cold client whose first token is revoked as soon as it is issued.
    sandbox.faults().revoke_on_issue(1);
    connect(&sandbox, &secret)
        .balance(None)
        .await
        .expect("refreshed after revocation");
    assert_eq!(sandbox.issued_tokens().len(), 4, "two refreshes");

    // Persistent 401: every token the client gets is refused by the API.
    sandbox.faults().revoke_on_issue(u64::MAX);
    let err = connect(&sandbox, &secret)
        .quote(one(), Currency::Brl)
        .await
        .expect_err("bogus tokens are refused");
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    shown.push(format!("{err} {err:?}"));

    // Rejected credentials.
    sandbox.faults().revoke_on_issue(0);
    let err = connect(&sandbox, WRONG_SECRET)
        .place_order(NewOrder::builder(one()).build().expect("order"))
        .await
        .expect_err("invalid_client");
    assert!(matches!(err, Error::Auth { .. }), "{err:?}");
    shown.push(format!("{err} {err:?}"));

    let log = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(
        log.contains("TRACE") && log.contains("carbonext_auth"),
        "the capture holds the TRACE events"
    );
    let tokens = sandbox.issued_tokens();
    assert!(tokens.len() >= 5, "tokens issued: {}", tokens.len());
    let mut needles = vec![secret.clone(), WRONG_SECRET.to_owned()];
    needles.extend(tokens);
    for needle in &needles {
        assert!(
            !log.contains(needle.as_str()),
            "a secret or token is in the TRACE log"
        );
        for text in &shown {
            assert!(
                !text.contains(needle.as_str()),
                "a secret or token is in a result or an error: {text}"
            );
        }
    }
    sandbox.shutdown().await;
}
