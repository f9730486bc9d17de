//! Token endpoint behaviours the sandbox cannot produce, against a scripted server on
//! 127.0.0.1: transient failures, retries, timeouts, failure sharing, an API that keeps
//! answering 401.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::FutureExt;

use carbonext_auth::{AuthError, ClientBuilder, Credentials, RetryPolicy, TokenCache};
use common::{Answer, Scripted, INVALID_CLIENT};

fn fast_retries() -> RetryPolicy {
    RetryPolicy::new(4, Duration::from_millis(20), Duration::from_millis(100))
}

fn cache(server: &Scripted) -> carbonext_auth::TokenCacheBuilder {
    TokenCache::builder(Credentials::new("app", "the-secret"), server.token_url())
        .retry_policy(fast_retries())
}

#[tokio::test]
async fn transient_token_failures_are_retried_with_backoff() {
    let server = Scripted::start(
        vec![
            Answer::Json(503, r#"{"error":"temporarily_unavailable"}"#),
            Answer::Json(502, "<html>bad gateway</html>"),
            Answer::RetryAfter(429, 0),
        ],
        Answer::Token { expires_in: 300 },
    )
    .await;
    let cache = cache(&server).build();
    let started = Instant::now();
    let token = cache.token().await.expect("fourth attempt succeeds");
    assert_eq!(server.token_requests(), 4);
    assert_eq!(token.secret().expose(), server.issued()[0]);
    // Backoff waits of at least half their step after the first two failures (10 + 20 ms);
    // none after the 429, whose `Retry-After: 0` is honoured as given.
    assert!(started.elapsed() >= Duration::from_millis(15));
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = Scripted::start(vec![], Answer::Json(503, "{}")).await;
    let error = cache(&server).build().token().await.unwrap_err();
    assert_eq!(server.token_requests(), 4, "max_attempts requests, no more");
    assert!(
        matches!(error, AuthError::UnexpectedResponse { status: 503, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn invalid_client_is_not_retried() {
    let server = Scripted::start(vec![], Answer::Json(401, INVALID_CLIENT)).await;
    let error = cache(&server).build().token().await.unwrap_err();
    assert_eq!(server.token_requests(), 1);
    let AuthError::InvalidClient { description } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(
        description.as_deref(),
        Some("Invalid client or Invalid client credentials")
    );
}

#[tokio::test]
async fn other_client_errors_are_not_retried() {
    for (body, check) in [
        (
            r#"{"error":"unauthorized_client"}"#,
            (|e: &AuthError| matches!(e, AuthError::UnauthorizedClient { .. })) as fn(&_) -> bool,
        ),
        (r#"{"error":"invalid_scope"}"#, |e| {
            matches!(e, AuthError::InvalidScope { .. })
        }),
        (
            r#"{"error":"invalid_request","error_description":"x"}"#,
            |e| matches!(e, AuthError::OAuth { status: 400, code, .. } if code == "invalid_request"),
        ),
        ("not json", |e| {
            matches!(e, AuthError::UnexpectedResponse { status: 400, .. })
        }),
    ] {
        let server = Scripted::start(vec![], Answer::Json(400, body)).await;
        let error = cache(&server).build().token().await.unwrap_err();
        assert_eq!(server.token_requests(), 1, "{body}");
        assert!(check(&error), "{body}: {error:?}");
    }
}

#[tokio::test]
async fn connection_errors_are_retried_then_reported_as_transport() {
    // Bind then drop a listener: nothing answers on that port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = TokenCache::builder(
        Credentials::new("app", "the-secret"),
        format!("http://127.0.0.1:{port}/token"),
    )
    .retry_policy(RetryPolicy::new(
        3,
        Duration::from_millis(1),
        Duration::from_millis(5),
    ))
    .build();
    let error = cache.token().await.unwrap_err();
    assert!(
        matches!(error, AuthError::Transport { attempts: 3, .. }),
        "{error:?}"
    );
    assert!(std::error::Error::source(&error).is_some());
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out_and_is_retried() {
    let server = Scripted::start(
        vec![Answer::Delay(
            Duration::from_secs(5),
            Box::new(Answer::Token { expires_in: 300 }),
        )],
        Answer::Token { expires_in: 300 },
    )
    .await;
    let cache = cache(&server)
        .request_timeout(Duration::from_millis(200))
        .build();
    let token = cache.token().await.expect("second attempt succeeds");
    assert_eq!(server.token_requests(), 2);
    assert_eq!(token.secret().expose(), server.issued()[0]);
}

#[tokio::test]
async fn concurrent_callers_share_one_failure() {
    let server = Scripted::start(
        vec![],
        Answer::Delay(
            Duration::from_millis(300),
            Box::new(Answer::Json(401, INVALID_CLIENT)),
        ),
    )
    .await;
    let cache = cache(&server).build();
    let calls: Vec<_> = (0..200)
        .map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move { cache.token().await })
        })
        .collect();
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert!(
            matches!(error, AuthError::InvalidClient { .. }),
            "{error:?}"
        );
    }
    assert_eq!(server.token_requests(), 1, "one request, not a storm");

    // The failure is not cached: the next caller tries again.
    server.set_otherwise(Answer::Token { expires_in: 300 });
    cache.token().await.expect("a later call succeeds");
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn many_rejections_of_one_token_cause_one_refresh() {
    let server = Scripted::start(
        vec![],
        Answer::Delay(
            Duration::from_millis(50),
            Box::new(Answer::Token { expires_in: 300 }),
        ),
    )
    .await;
    let cache = cache(&server).build();
    let stale = cache.token().await.unwrap();
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let (cache, stale) = (cache.clone(), stale.clone());
            tokio::spawn(async move {
                cache.invalidate_if_current(&stale);
                cache.token().await.unwrap()
            })
        })
        .collect();
    let mut fresh = Vec::new();
    for call in calls {
        fresh.push(call.await.unwrap());
    }
    assert_eq!(
        server.token_requests(),
        2,
        "the first token and one refresh"
    );
    assert!(fresh
        .iter()
        .all(|t| t.same_as(&fresh[0]) && !t.same_as(&stale)));
}

/// Time passes on tokio's paused clock, so a stalled machine cannot carry the 4 s token past
/// its end before the refresh is tried.
#[tokio::test(start_paused = true)]
async fn a_failed_refresh_falls_back_to_the_still_valid_token() {
    let server = Scripted::start(
        vec![Answer::Token { expires_in: 4 }],
        Answer::Json(503, "{}"),
    )
    .await;
    let cache = cache(&server)
        .retry_policy(RetryPolicy::none())
        .refresh_fraction(0.5)
        .build();
    let first = cache.token().await.unwrap();
    tokio::time::advance(Duration::from_millis(2100)).await;
    // Expiring: a refresh is tried, fails, and the valid token is served instead.
    let again = cache.token().await.unwrap();
    assert!(again.same_as(&first));
    assert_eq!(server.token_requests(), 2);
    // The failed refresh is not retried on every call (it pauses before the next try).
    for _ in 0..20 {
        assert!(cache.token().await.unwrap().same_as(&first));
    }
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn an_api_that_keeps_answering_401_is_retried_once_only() {
    let server = Scripted::start(vec![], Answer::Token { expires_in: 300 }).await;
    let cache = cache(&server).build();
    let client = ClientBuilder::new(server.api_url(), cache.clone()).build();

    let error = client.get_price().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
    assert_eq!(server.api_requests(), 2, "the request and one retry");
    assert_eq!(
        server.token_requests(),
        2,
        "the first token and one refresh"
    );

    // Concurrent calls rejected with the same token share one refresh per round. The server
    // answers only once all 50 requests of a round have arrived, so every first attempt
    // carries the same token, and every retry the one refreshed token.
    server.answer_api_in_rounds_of(50);
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.get_price().send().await })
        })
        .collect();
    for call in calls {
        let error = call.await.unwrap().unwrap_err();
        assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
    }
    assert_eq!(
        server.api_requests(),
        2 + 100,
        "each call retried exactly once"
    );
    assert_eq!(
        server.token_requests(),
        3,
        "one refresh for the round rejected with the same token"
    );
    let issued = server.issued();
    let bearer = |n: usize| format!("Bearer {}", issued[n]);
    let authorizations = server.api_authorizations();
    let (first, retries) = authorizations[2..].split_at(50);
    assert!(first.iter().all(|a| *a == bearer(1)), "{first:?}");
    assert!(retries.iter().all(|a| *a == bearer(2)), "{retries:?}");
}

#[tokio::test]
async fn a_token_failure_ends_the_call_with_the_typed_auth_error() {
    let server = Scripted::start(vec![], Answer::Json(401, INVALID_CLIENT)).await;
    let client = ClientBuilder::new(server.api_url(), cache(&server).build()).build();
    let error = client.get_price().send().await.unwrap_err();
    let carbonext_api::Error::CommunicationError(transport) = &error else {
        panic!("{error:?}")
    };
    let failure = carbonext_api::HookFailure::find(transport).expect("the auth hook's failure");
    assert_eq!(failure.hook(), carbonext_auth::AuthHook::NAME);
    assert_eq!(
        failure.message(),
        "token endpoint rejected the client credentials \
         (invalid_client): Invalid client or Invalid client credentials"
    );
    let auth = failure
        .take_source()
        .expect("the hook's error")
        .downcast::<carbonext_auth::AuthError>()
        .expect("typed");
    assert!(
        matches!(*auth, carbonext_auth::AuthError::InvalidClient { .. }),
        "{auth:?}"
    );
    assert_eq!(server.api_requests(), 0, "nothing sent without a token");
    assert_eq!(server.token_requests(), 1);
}

#[tokio::test]
async fn clones_of_a_cache_share_one_token() {
    let server = Scripted::start(vec![], Answer::Token { expires_in: 300 }).await;
    let cache = Arc::new(cache(&server).build());
    let a = cache.token().await.unwrap();
    let b = (*cache).clone().token().await.unwrap();
    assert!(a.same_as(&b));
    assert_eq!(server.token_requests(), 1);
}

/// Gives every request a streamed body, which cannot be replayed.
struct StreamedBody;

impl carbonext_api::RequestHook for StreamedBody {
    fn send<'a>(
        &'a self,
        mut request: reqwest::Request,
        info: &'a carbonext_api::OperationInfo,
        next: carbonext_api::Next<'a>,
    ) -> futures::future::BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let chunks = futures::stream::iter([Ok::<_, std::io::Error>(b"{}".to_vec())]);
        *request.body_mut() = Some(reqwest::Body::wrap_stream(chunks));
        next.run(request, info)
    }
}

#[tokio::test]
async fn a_request_whose_body_cannot_be_replayed_is_not_retried() {
    let server = Scripted::start(vec![], Answer::Token { expires_in: 300 }).await;
    let client = ClientBuilder::new(server.api_url(), cache(&server).build())
        .outer_hook(StreamedBody)
        .build();
    let error = client.get_price().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401), "{error:?}");
    assert_eq!(server.api_requests(), 1, "no replay of a streamed body");
    assert_eq!(server.token_requests(), 1, "and no refresh for nothing");
}

#[tokio::test]
async fn a_malformed_token_url_fails_at_once() {
    let cache = TokenCache::builder(Credentials::new("app", "the-secret"), "not a url").build();
    let error = cache.token().await.unwrap_err();
    assert!(
        matches!(error, AuthError::Transport { attempts: 1, .. }),
        "{error:?}"
    );
    assert!(!error.is_transient());
}

/// Time passes on tokio's paused clock, and the refresh in flight is held at the server
/// until the test releases it: while it is held, every other caller is answered on the first
/// poll of its call, with the current token.
#[tokio::test(start_paused = true)]
async fn early_in_the_refresh_window_callers_do_not_wait_for_the_refresh() {
    let server = Scripted::start(
        vec![
            Answer::Token { expires_in: 4 },
            Answer::Held(Box::new(Answer::Token { expires_in: 300 })),
        ],
        Answer::Json(500, "{}"),
    )
    .await;
    // Buffer: half of 4 s, so the refresh window is 2 s..4 s and its first half 2 s..3 s.
    let cache = cache(&server).refresh_fraction(0.5).build();
    let old = cache.token().await.unwrap();
    tokio::time::advance(Duration::from_millis(2100)).await;

    let leader = tokio::spawn({
        let cache = cache.clone();
        async move { cache.token().await }
    });
    server.held().await;
    for _ in 0..10 {
        let token = cache
            .token()
            .now_or_never()
            .expect("answered without waiting for the refresh in flight")
            .unwrap();
        assert!(token.same_as(&old));
    }
    assert_eq!(server.token_requests(), 2, "the leader's refresh only");

    server.release();
    let new = leader.await.unwrap().unwrap();
    assert!(!new.same_as(&old));
    assert!(cache.token().await.unwrap().same_as(&new));
    assert_eq!(server.token_requests(), 2);
}

#[tokio::test]
async fn the_grant_is_a_form_post_with_the_credentials_and_scope() {
    let server = Scripted::start(vec![], Answer::Token { expires_in: 300 }).await;
    let cache = TokenCache::builder(
        Credentials::new("cbx_b2b_app", "s3cr&t=1 2"),
        server.token_url(),
    )
    .scope("roles")
    .build();
    let token = cache.token().await.unwrap();
    assert_eq!(token.scope(), Some("profile email roles"));
    let forms = server.forms();
    assert_eq!(forms.len(), 1);
    let (content_type, body) = &forms[0];
    assert_eq!(content_type, "application/x-www-form-urlencoded");
    let mut fields: Vec<&str> = body.split('&').collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "client_id=cbx_b2b_app",
            "client_secret=s3cr%26t%3D1+2",
            "grant_type=client_credentials",
            "scope=roles",
        ]
    );
}

#[tokio::test]
async fn a_public_operation_the_api_protects_after_all_gets_a_token_on_401() {
    let server = Scripted::start(vec![], Answer::Token { expires_in: 300 }).await;
    let client = ClientBuilder::new(server.api_url(), cache(&server).build()).build();
    let types = client
        .list_calculator_types()
        .send()
        .await
        .expect("retried with a token");
    assert!(types.types.is_empty());
    assert_eq!(server.api_requests(), 2, "without a token, then with one");
    assert_eq!(server.token_requests(), 1);

    // Now that a token is cached, public calls carry it from the start.
    client.list_calculator_types().send().await.expect("types");
    assert_eq!(server.api_requests(), 3);
    assert_eq!(server.token_requests(), 1);
}
