//! The facade's pipeline against the sandbox: requests per offset counted by the server,
//! typed failures of hooks and of authentication, and the operation's time limit.

mod common;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use carbonext_api::{operations, HookError, OperationInfo, RequestHook};
use carbonext_domain::offset::{EmissionSource, OffsetOutcome, OffsetRequest};
use carbonext_domain::{
    AuthError, Credentials, Currency, Decimal, Environment, Error, Offsetting, OrderKey, Timeouts,
    VcuAmount, VcuMarket,
};
use futures::future::BoxFuture;

fn offset_of(tonnes: &str, key: &str) -> OffsetRequest {
    let source = EmissionSource::tonnes(Decimal::from_str_exact(tonnes).unwrap()).unwrap();
    OffsetRequest::builder(source, OrderKey::new(key).unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_new_offset_of_known_tonnes_takes_three_requests_and_a_rerun_one_or_none() {
    let sandbox = common::sandbox().await;
    let carbonext = common::connect(&sandbox);
    carbonext.authenticate().await.expect("token");
    let counters = sandbox.counters();
    assert_eq!(counters.total_api_requests(), 0);

    let first = carbonext
        .offset(offset_of("1.5", "requests_0001"))
        .await
        .expect("offset");
    assert!(matches!(first.outcome, OffsetOutcome::Placed(_)));
    let counters = sandbox.counters();
    assert_eq!(
        counters.operation(operations::LIST_ORDERS.id),
        1,
        "one lookup"
    );
    assert_eq!(counters.operation(operations::GET_PRICE.id), 1, "one quote");
    assert_eq!(
        counters.operation(operations::CREATE_ORDER.id),
        1,
        "one creation"
    );
    assert_eq!(counters.total_api_requests(), 3);

    // A re-run in the same client: the order it placed is known, nothing is sent.
    let again = carbonext
        .offset(offset_of("1.5", "requests_0001"))
        .await
        .expect("re-run");
    assert_eq!(again.order().map(|o| o.id), first.order().map(|o| o.id));
    assert!(matches!(again.outcome, OffsetOutcome::Existing(_)));
    assert_eq!(sandbox.counters().total_api_requests(), 3, "nothing sent");

    // A re-run in another process (a fresh client): it only looks its key up.
    let fresh = common::connect(&sandbox);
    fresh.authenticate().await.expect("token");
    let rerun = fresh
        .offset(offset_of("1.5", "requests_0001"))
        .await
        .expect("re-run");
    assert_eq!(rerun.order().map(|o| o.id), first.order().map(|o| o.id));
    assert!(matches!(rerun.outcome, OffsetOutcome::Existing(_)));
    assert_eq!(
        sandbox.counters().total_api_requests(),
        4,
        "a re-run only looks its key up"
    );
    assert_eq!(sandbox.orders_snapshot().len(), 1);
}

/// A user's hook that refuses every request before it is sent.
struct NeedsTenant {
    calls: Arc<AtomicUsize>,
}

#[derive(Debug)]
struct NoTenant;

impl fmt::Display for NoTenant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("no tenant for this request")
    }
}

impl std::error::Error for NoTenant {}

impl RequestHook for NeedsTenant {
    fn name(&self) -> &str {
        "needs_tenant"
    }

    fn prepare<'a>(
        &'a self,
        _request: &'a mut reqwest::Request,
        _info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Err(Box::new(NoTenant) as HookError) })
    }
}

#[tokio::test]
async fn a_failing_user_hook_is_error_hook_with_its_typed_cause_and_nothing_is_sent() {
    let sandbox = common::sandbox().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let carbonext = common::builder(&sandbox)
        .hook(NeedsTenant {
            calls: calls.clone(),
        })
        .build()
        .unwrap();
    let amount: VcuAmount = "1".parse().unwrap();
    let error = carbonext
        .quote(amount, Currency::Brl)
        .await
        .expect_err("the hook refuses");
    assert_eq!(error.kind(), "hook");
    let Error::Hook {
        hook,
        message,
        source,
    } = &error
    else {
        panic!("expected Error::Hook, got {error:?}")
    };
    assert_eq!(hook, "needs_tenant");
    assert_eq!(message, "no tenant for this request");
    assert!(source.as_ref().is_some_and(|s| s.is::<NoTenant>()));
    assert!(!error.to_string().contains("authentication"), "{error}");
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "a hook's refusal is not retried"
    );
    assert_eq!(sandbox.counters().total_api_requests(), 0, "nothing sent");
}

#[tokio::test]
async fn a_revoked_secret_and_an_unreachable_token_endpoint_differ_by_type() {
    let sandbox = common::sandbox().await;
    let wrong = common::builder(&sandbox)
        .credentials(Credentials::new(sandbox.client_id(), "not-the-secret"))
        .build()
        .unwrap();
    let amount: VcuAmount = "1".parse().unwrap();
    let error = wrong.quote(amount, Currency::Brl).await.unwrap_err();
    match &error {
        Error::Auth {
            source: Some(AuthError::InvalidClient { .. }),
            ..
        } => {}
        other => panic!("expected Error::Auth caused by InvalidClient, got {other:?}"),
    }
    assert!(
        !error.is_retryable(),
        "a revoked secret is not retried: alert"
    );
    assert_eq!(error.kind(), "auth");
    assert!(!error.to_string().contains("not-the-secret"));

    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let unreachable = common::builder(&sandbox)
        .environment(Environment::custom(
            sandbox.api_url(),
            format!("http://127.0.0.1:{port}/token"),
        ))
        .retry_policy(carbonext_domain::RetryPolicy::none())
        .build()
        .unwrap();
    let error = unreachable.quote(amount, Currency::Brl).await.unwrap_err();
    match &error {
        Error::Auth {
            source: Some(cause @ AuthError::Transport { .. }),
            ..
        } => assert!(cause.is_transient()),
        other => panic!("expected Error::Auth caused by a transport failure, got {other:?}"),
    }
    assert!(
        error.is_retryable(),
        "an unreachable token endpoint is retried later"
    );
    assert_eq!(sandbox.counters().total_api_requests(), 0);
}

#[tokio::test]
async fn no_attempt_starts_once_the_operation_s_time_limit_has_run_out() {
    let sandbox = common::sandbox().await;
    let carbonext = common::builder(&sandbox)
        .timeouts(Timeouts::default().operation(Duration::ZERO))
        .build()
        .unwrap();
    assert_eq!(carbonext.timeouts().operation, Duration::ZERO);
    let amount: VcuAmount = "1".parse().unwrap();
    let error = carbonext.quote(amount, Currency::Brl).await.unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.to_string().contains("operation's limit"), "{error}");
    assert_eq!(sandbox.counters().total_api_requests(), 0);
}
