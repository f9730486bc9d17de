//! The token lifecycle against the sandbox over 127.0.0.1: reuse, single flight, early
//! refresh across short lifetimes, revocation, the server clock running ahead, wrong secret.

use std::time::Duration;

use carbonext_auth::{
    authenticated_client, AuthError, ClientBuilder, Credentials, Environment, TokenCache,
};
use carbonext_sandbox::Sandbox;

async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .token_lifetime(Duration::from_secs(36000))
        .deterministic(false)
        .start()
        .await
        .expect("sandbox starts")
}

fn environment(sandbox: &Sandbox) -> Environment {
    Environment::custom(sandbox.api_url(), sandbox.token_url())
}

fn credentials(sandbox: &Sandbox) -> Credentials {
    Credentials::new(sandbox.client_id(), sandbox.client_secret())
}

#[tokio::test]
async fn sequential_calls_reuse_one_token() {
    let sandbox = sandbox().await;
    let client = authenticated_client(credentials(&sandbox), &environment(&sandbox), None);
    for _ in 0..100 {
        client.get_price().send().await.expect("price");
    }
    let counters = sandbox.counters();
    assert_eq!(counters.token_requests(), 1);
    assert_eq!(counters.operation("get_price"), 100);
    assert_eq!(counters.expired_token_rejections(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_concurrent_calls_on_a_cold_cache_share_one_token_request() {
    let sandbox = sandbox().await;
    let client = authenticated_client(credentials(&sandbox), &environment(&sandbox), None);
    let calls: Vec<_> = (0..1000)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_price().send().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("price");
    }
    let counters = sandbox.counters();
    assert_eq!(counters.token_requests(), 1);
    assert_eq!(counters.operation("get_price"), 1000);
    assert_eq!(counters.expired_token_rejections(), 0);
}

/// Neither clock moves unless the test moves it, and it moves both in step: tokio's paused
/// clock (the cache's) and the sandbox's frozen clock (token expiry). Every 50 ms of that
/// shared time, 8 concurrent calls go out. With a 2 s lifetime the default buffer is 0.2 s:
/// each token is replaced 1.8 s after it was requested, before it expires, whatever the real
/// time the run takes.
#[tokio::test(start_paused = true)]
async fn short_lived_tokens_are_refreshed_before_they_expire() {
    let sandbox = Sandbox::builder()
        .frozen_clock(true)
        .token_lifetime(Duration::from_secs(2))
        .start()
        .await
        .expect("sandbox starts");
    let client = authenticated_client(credentials(&sandbox), &environment(&sandbox), None);

    let step = Duration::from_millis(50);
    let steps = 140; // 7 s: three and a half lifetimes
    for n in 0..steps {
        let calls = (0..8).map(|_| client.get_price().send());
        for outcome in futures::future::join_all(calls).await {
            outcome.expect("price");
        }
        // A token at 0 s, then one every 1.8 s: at 1.8, 3.6 and 5.4 s.
        let at = step * n;
        let expected = 1 + at.as_millis() / 1800;
        assert_eq!(
            u128::from(sandbox.counters().token_requests()),
            expected,
            "token requests after the calls at {at:?}"
        );
        tokio::time::advance(step).await;
        sandbox.advance_clock(step);
    }
    let counters = sandbox.counters();
    assert_eq!(
        counters.expired_token_rejections(),
        0,
        "no request left with an expired token"
    );
    assert_eq!(counters.operation("get_price"), 8 * u64::from(steps));
    assert_eq!(counters.token_requests(), 4);
}

#[tokio::test]
async fn a_revoked_token_is_refreshed_once_and_the_call_succeeds() {
    let sandbox = sandbox().await;
    let client = authenticated_client(credentials(&sandbox), &environment(&sandbox), None);
    client.get_price().send().await.expect("price");
    let before = sandbox.counters();

    sandbox.faults().revoke_all_tokens();
    client
        .get_price()
        .send()
        .await
        .expect("retried with a new token");

    let after = sandbox.counters();
    assert_eq!(after.token_requests() - before.token_requests(), 1);
    assert_eq!(
        after.expired_token_rejections() - before.expired_token_rejections(),
        1
    );
    assert_eq!(
        after.operation("get_price") - before.operation("get_price"),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_calls_after_revocation_share_one_refresh() {
    let sandbox = sandbox().await;
    let client = authenticated_client(credentials(&sandbox), &environment(&sandbox), None);
    client.get_price().send().await.expect("price");
    sandbox.faults().revoke_all_tokens();

    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_price().send().await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().expect("price");
    }
    let counters = sandbox.counters();
    assert_eq!(
        counters.token_requests(),
        2,
        "100 rejections of one token, one refresh"
    );
}

/// The sandbox clock jumps past the token's lifetime while the cache (on real time) still
/// believes the token valid: the API says 401, the hook refreshes once and the call succeeds.
#[tokio::test]
async fn a_server_clock_running_ahead_costs_one_rejection_and_one_refresh() {
    let sandbox = sandbox().await;
    let client = authenticated_client(credentials(&sandbox), &environment(&sandbox), None);
    client.get_price().send().await.expect("price");

    sandbox.advance_clock(Duration::from_secs(36001));
    client.get_price().send().await.expect("price");
    client.get_price().send().await.expect("price");

    let counters = sandbox.counters();
    assert_eq!(counters.expired_token_rejections(), 1);
    assert_eq!(counters.token_requests(), 2);
    assert_eq!(counters.operation("get_price"), 4);
}

#[tokio::test]
async fn a_wrong_secret_is_an_invalid_client_error_after_one_request() {
    let sandbox = sandbox().await;
    let wrong = Credentials::new(sandbox.client_id(), "not-the-secret");
    let cache = TokenCache::builder(wrong.clone(), sandbox.token_url()).build();

    let error = cache.token().await.unwrap_err();
    assert!(
        matches!(error, AuthError::InvalidClient { .. }),
        "{error:?}"
    );
    assert_eq!(
        sandbox.counters().token_requests(),
        1,
        "one request, no retry"
    );

    // Through the client: the call ends before reaching the API, with a clear message.
    let client = authenticated_client(wrong, &environment(&sandbox), None);
    let error = client.get_price().send().await.unwrap_err();
    let carbonext_api::Error::CommunicationError(transport) = &error else {
        panic!("{error:?}")
    };
    let failure = carbonext_api::HookFailure::find(transport).expect("the auth hook's failure");
    assert!(failure.message().contains("invalid_client"), "{failure}");
    let auth = failure.take_source().expect("the hook's error");
    assert!(auth.downcast_ref::<AuthError>().is_some(), "{auth:?}");
    let counters = sandbox.counters();
    assert_eq!(counters.token_requests(), 2);
    assert_eq!(counters.total_api_requests(), 0);
}

#[tokio::test]
async fn one_cache_serves_several_clients() {
    let sandbox = sandbox().await;
    let cache = TokenCache::builder(credentials(&sandbox), sandbox.token_url()).build();
    let a = ClientBuilder::new(sandbox.api_url(), cache.clone()).build();
    let b = ClientBuilder::new(sandbox.api_url(), cache.clone()).build();
    a.get_price().send().await.expect("price");
    b.get_price().send().await.expect("price");
    let token = cache
        .token()
        .await
        .expect("typed access for the domain layer");
    assert!(token.remaining() > Duration::from_secs(35000));
    assert_eq!(sandbox.counters().token_requests(), 1);
}

/// Revokes every token right before each request reaches the wire, so the sandbox rejects
/// every attempt.
struct RevokeBeforeSend(carbonext_sandbox::Faults);

impl carbonext_api::RequestHook for RevokeBeforeSend {
    fn send<'a>(
        &'a self,
        request: reqwest::Request,
        info: &'a carbonext_api::OperationInfo,
        next: carbonext_api::Next<'a>,
    ) -> futures::future::BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.0.revoke_all_tokens();
        next.run(request, info)
    }
}

#[tokio::test]
async fn a_request_rejected_again_after_the_refresh_fails_after_one_retry() {
    let sandbox = sandbox().await;
    let cache = TokenCache::builder(credentials(&sandbox), sandbox.token_url()).build();
    let client = ClientBuilder::new(sandbox.api_url(), cache)
        .hook(RevokeBeforeSend(sandbox.faults().clone()))
        .build();

    let error = client.get_price().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
    let counters = sandbox.counters();
    assert_eq!(
        counters.operation("get_price"),
        2,
        "the request and one retry"
    );
    assert_eq!(counters.expired_token_rejections(), 2);
    assert_eq!(
        counters.token_requests(),
        2,
        "the first token and one refresh"
    );
}

#[tokio::test]
async fn public_operations_need_no_token() {
    let sandbox = sandbox().await;
    let wrong = Credentials::new(sandbox.client_id(), "not-the-secret");
    let client = authenticated_client(wrong, &environment(&sandbox), None);
    client
        .list_calculator_types()
        .send()
        .await
        .expect("public: no token needed");
    client
        .list_airports()
        .send()
        .await
        .expect("public: no token needed");
    assert_eq!(sandbox.counters().token_requests(), 0);

    // With a cached token, public calls carry it and cause no token request.
    let client = authenticated_client(credentials(&sandbox), &environment(&sandbox), None);
    client.get_price().send().await.expect("price");
    client.list_calculator_types().send().await.expect("types");
    assert_eq!(sandbox.counters().token_requests(), 1);
}

/// Sends every request twice, revoking and dropping the token in between, like a retry
/// policy replaying a request long after `prepare` ran.
struct ReplayAfterRevocation {
    faults: carbonext_sandbox::Faults,
    cache: TokenCache,
}

impl carbonext_api::RequestHook for ReplayAfterRevocation {
    fn send<'a>(
        &'a self,
        request: reqwest::Request,
        info: &'a carbonext_api::OperationInfo,
        next: carbonext_api::Next<'a>,
    ) -> futures::future::BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let replay = request.try_clone().expect("a GET replays");
            let first = next.run(request, info).await?;
            assert!(first.status().is_success());
            self.faults.revoke_all_tokens();
            self.cache.invalidate();
            next.run(replay, info).await
        })
    }
}

#[tokio::test]
async fn a_request_replayed_by_an_outer_hook_carries_a_current_token() {
    let sandbox = sandbox().await;
    let cache = TokenCache::builder(credentials(&sandbox), sandbox.token_url()).build();
    let client = ClientBuilder::new(sandbox.api_url(), cache.clone())
        .outer_hook(ReplayAfterRevocation {
            faults: sandbox.faults().clone(),
            cache,
        })
        .build();
    client.get_price().send().await.expect("price");
    let counters = sandbox.counters();
    assert_eq!(counters.operation("get_price"), 2);
    assert_eq!(counters.token_requests(), 2);
    assert_eq!(
        counters.expired_token_rejections(),
        0,
        "the replay did not carry the revoked token"
    );
}

/// The cache keeps time on tokio's clock: under a paused clock, a token is reused until its
/// refresh point in *virtual* time (10 h lifetime, refreshed 60 s before it ends) and replaced
/// right after it, with no real waiting.
#[tokio::test(start_paused = true)]
async fn early_refresh_follows_the_callers_paused_clock() {
    let sandbox = sandbox().await;
    let cache = TokenCache::builder(credentials(&sandbox), sandbox.token_url()).build();

    let first = cache.token().await.expect("a token");
    tokio::time::advance(Duration::from_secs(35_800)).await;
    let before = cache.token().await.expect("the cached token");
    assert!(
        before.same_as(&first),
        "reused 140 s before the refresh point"
    );
    assert_eq!(sandbox.counters().token_requests(), 1);

    tokio::time::advance(Duration::from_secs(150)).await;
    let after = cache.token().await.expect("a new token");
    assert!(
        !after.same_as(&first),
        "replaced once past the refresh point"
    );
    assert_eq!(sandbox.counters().token_requests(), 2);
}
