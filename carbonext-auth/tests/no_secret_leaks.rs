//! Proof that the client secret and the access tokens never reach logs, errors or `Debug`.
//!
//! Everything emitted at TRACE level (this crate's events, the API client's spans, reqwest's
//! and hyper's `log` records) during a full run (authenticated calls, an early refresh, a
//! refresh after revocation, a cold client whose first token is revoked as it is issued, a
//! persistent 401, a retried transient failure, rejected credentials) is captured into a
//! buffer. The tokens are known exactly: the sandbox records every access token its token
//! endpoint hands out (`Sandbox::issued_tokens`, revoked ones included), the scripted token
//! server every one it answers, and a hook inside the auth hook keeps every `Authorization`
//! value that was sent (each must be one of the issued tokens). Then neither the secret nor any
//! token may occur in the buffer, nor in any error's `Display`/`Debug`, nor in the `Debug` of
//! the public types.
//!
//! This file is its own test binary because it installs a global subscriber.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use carbonext_api::{HookError, OperationInfo, RequestHook};
use carbonext_auth::{AuthError, ClientBuilder, Credentials, Environment, RetryPolicy, TokenCache};
use carbonext_sandbox::Sandbox;
use common::{Answer, Scripted, INVALID_CLIENT};
use futures::future::BoxFuture;

/// Captured output of the global subscriber.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

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

/// Every `Authorization` token value the client sent.
#[derive(Clone, Default)]
struct Tokens(Arc<Mutex<Vec<String>>>);

impl Tokens {
    fn add(&self, token: String) {
        self.0.lock().unwrap().push(token);
    }

    fn all(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Records the `Authorization` value of every request actually sent (retries included).
struct RecordBearer(Tokens);

impl RequestHook for RecordBearer {
    fn send<'a>(
        &'a self,
        request: reqwest::Request,
        info: &'a OperationInfo,
        next: carbonext_api::Next<'a>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        if let Some(value) = request.headers().get("authorization") {
            let value = value.to_str().unwrap();
            self.0
                .add(value.strip_prefix("Bearer ").unwrap().to_owned());
        }
        next.run(request, info)
    }

    fn prepare<'a>(
        &'a self,
        _request: &'a mut reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn secrets_and_tokens_never_reach_logs_errors_or_debug() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::FULL)
        .with_ansi(false)
        .with_writer(capture.clone())
        .try_init()
        .expect("the only subscriber of this test binary");

    let sandbox = Sandbox::builder()
        .token_lifetime(Duration::from_secs(36000))
        .deterministic(false)
        .start()
        .await
        .expect("sandbox starts");
    let secret = sandbox.client_secret();
    let sent = Tokens::default();
    let environment = Environment::custom(sandbox.api_url(), sandbox.token_url());
    let mut texts: Vec<String> = Vec::new();

    // A full authenticated call.
    let cache = TokenCache::builder(
        Credentials::new(sandbox.client_id(), secret.clone()),
        environment.token_url(),
    )
    .build();
    let client = ClientBuilder::new(environment.api_url(), cache.clone())
        .hook(RecordBearer(sent.clone()))
        .build();
    let price = client.get_price().send().await.expect("price");
    texts.push(format!("{price:?}"));

    // An early refresh: a 2 s token, replaced 0.2 s before it expires.
    sandbox.faults().set_token_lifetime(Duration::from_secs(2));
    cache.invalidate();
    client.get_price().send().await.expect("price");
    tokio::time::sleep(Duration::from_millis(1850)).await;
    client.get_price().send().await.expect("price");
    sandbox
        .faults()
        .set_token_lifetime(Duration::from_secs(36000));

    // A refresh after revocation: 401, new token, retried once.
    sandbox.faults().revoke_all_tokens();
    client.get_price().send().await.expect("price");
    assert_eq!(sandbox.issued_tokens().len(), 4);

    // A cold client whose first token is revoked as it is issued: 401, new token, success.
    let cold = |sent: &Tokens| {
        let cache = TokenCache::builder(
            Credentials::new(sandbox.client_id(), secret.clone()),
            environment.token_url(),
        )
        .build();
        ClientBuilder::new(environment.api_url(), cache)
            .hook(RecordBearer(sent.clone()))
            .build()
    };
    sandbox.faults().revoke_on_issue(1);
    let price = cold(&sent).get_price().send().await.expect("price");
    texts.push(format!("{price:?}"));
    assert_eq!(
        sandbox.issued_tokens().len(),
        6,
        "the revoked token was replaced"
    );

    // A persistent 401: every token handed out is refused by the API; the retry gives up.
    sandbox.faults().revoke_on_issue(u64::MAX);
    let refused = cold(&sent);
    let error = refused.get_price().send().await.unwrap_err();
    texts.push(format!("{error} {error:?}"));
    texts.push(format!("{refused:?}"));
    sandbox.faults().revoke_on_issue(0);
    assert_eq!(
        sandbox.issued_tokens().len(),
        8,
        "a token and its one replacement"
    );

    texts.push(format!("{cache:?}"));
    texts.push(format!("{:?}", cache.token().await.unwrap()));
    texts.push(format!("{client:?}"));
    texts.push(format!("{environment:?}"));
    texts.push(format!(
        "{:?}",
        Credentials::new(sandbox.client_id(), secret.clone())
    ));

    // Rejected credentials: the secret is sent and refused.
    let wrong_secret = "wrong-secret-0f9e8d7c";
    let wrong = TokenCache::builder(
        Credentials::new(sandbox.client_id(), wrong_secret),
        environment.token_url(),
    )
    .build();
    let error = wrong.token().await.unwrap_err();
    assert!(matches!(error, AuthError::InvalidClient { .. }));
    texts.push(format!("{error} {error:?}"));
    let wrong_client = ClientBuilder::new(environment.api_url(), wrong).build();
    let error = wrong_client.get_price().send().await.unwrap_err();
    texts.push(format!("{error} {error:?}"));

    // A transient failure retried, a server that echoes the secret in its description, and a
    // token endpoint that is not there.
    let scripted = Scripted::start(
        vec![
            Answer::Json(503, r#"{"error":"temporarily_unavailable"}"#),
            Answer::Token { expires_in: 60 },
        ],
        Answer::Json(401, INVALID_CLIENT),
    )
    .await;
    let flaky = TokenCache::builder(
        Credentials::new("app", secret.clone()),
        scripted.token_url(),
    )
    .retry_policy(RetryPolicy::new(
        3,
        Duration::from_millis(10),
        Duration::from_millis(50),
    ))
    .build();
    let token = flaky.token().await.expect("retried");
    texts.push(format!("{token:?}"));
    let echo = Scripted::start(
        vec![],
        Answer::Json(
            400,
            Box::leak(
                format!(r#"{{"error":"invalid_request","error_description":"bad {secret}"}}"#)
                    .into_boxed_str(),
            ),
        ),
    )
    .await;
    let error = TokenCache::builder(Credentials::new("app", secret.clone()), echo.token_url())
        .build()
        .token()
        .await
        .unwrap_err();
    texts.push(format!("{error} {error:?}"));
    let error = TokenCache::builder(
        Credentials::new("app", secret.clone()),
        "http://127.0.0.1:9/token",
    )
    .retry_policy(RetryPolicy::none())
    .build()
    .token()
    .await
    .unwrap_err();
    texts.push(format!("{error} {error:?}"));

    // What was exercised.
    let counters = sandbox.counters();
    let from_sandbox = sandbox.issued_tokens();
    let from_scripted = scripted.issued();
    let sent = sent.all();
    assert_eq!(
        from_sandbox.len(),
        4 + 2 + 2,
        "first, 2 s, its refresh, after revocation; revoked on issue and its replacement; \
         the persistent 401's two"
    );
    assert_eq!(from_scripted.len(), 1, "one scripted");
    assert_eq!(
        counters.token_requests(),
        8 + 2,
        "plus two rejected requests"
    );
    assert!(
        counters.expired_token_rejections() >= 1 + 1 + 2,
        "the revocation, the one revoked on issue, the persistent 401's two"
    );
    let issued: Vec<String> = from_sandbox.into_iter().chain(from_scripted).collect();
    assert!(
        sent.iter().all(|token| issued.contains(token)),
        "every token sent was recorded as issued"
    );
    assert!(sent.len() >= 9);

    let logs = capture.text();
    assert!(
        logs.contains("reason=\"expiring\"") || logs.contains("reason=\"expired\""),
        "the early refresh is logged with its reason"
    );
    for expected in [
        "requesting access token",
        "access token issued",
        "expires_in_s",
        "reason=\"invalidated\"",
        "sending once more with a new access token",
        "token request failed",
        "retrying",
        "carbonext.http",
        "carbonext.token",
    ] {
        assert!(logs.contains(expected), "logs lack `{expected}`");
    }

    let mut needles: Vec<(&str, String)> = vec![("client secret", secret.clone())];
    needles.push(("wrong secret", wrong_secret.to_owned()));
    needles.extend(issued.iter().map(|t| ("issued token", t.clone())));
    for (what, needle) in &needles {
        assert!(needle.len() >= 8, "a {what} long enough to search for");
        assert!(!logs.contains(needle.as_str()), "a {what} is in the logs");
        for text in &texts {
            assert!(
                !text.contains(needle.as_str()),
                "a {what} is in an error or Debug output: {text}"
            );
        }
    }
}
