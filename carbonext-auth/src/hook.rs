//! [`AuthHook`]: the [`RequestHook`] that signs every request with the cached token and
//! retries once on 401. The type's docs describe both steps and show manual wiring.

use carbonext_api::{HookError, Next, OperationInfo, RequestHook};
use futures_util::future::BoxFuture;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;

use crate::cache::AccessToken;
use crate::TokenCache;

/// Signs requests with the token of a [`TokenCache`] and resends once after a 401: the one
/// place of the SDK that handles a 401.
///
/// - `prepare` sets `Authorization: Bearer <token>` (marked sensitive). When no token can be
///   had the call ends there, nothing sent, with the [`AuthError`](crate::AuthError) itself as the hook's error:
///   the raw client's `Error::CommunicationError` holds a [`carbonext_api::HookFailure`] named
///   [`AuthHook::NAME`] whose [`take_source`](carbonext_api::HookFailure::take_source)
///   downcasts to [`AuthError`](crate::AuthError).
///   Operations the spec marks public (`security: []`, [`carbonext_api::Operation::public`]:
///   calculators, airports, resources, allowed filters) never wait for a token: they carry the
///   cached one if there is one, and go without otherwise (should the API answer 401 after
///   all, the resend below adds one).
/// - `send` makes the request carry the cache's current token (a hook placed outside this one
///   may send a request again after a delay), sends it and, when the API answers 401, drops
///   the token that request carried, gets a new one and sends the request **once** more. A
///   second 401 is returned as it is; a request whose body cannot be replayed is not resent.
///
/// ```no_run
/// use carbonext_api::{Client, Hooks};
/// use carbonext_auth::{AuthHook, Credentials, Environment, TokenCache};
///
/// # fn demo() -> Result<(), carbonext_auth::AuthError> {
/// let environment = Environment::from_env()?;
/// let cache = TokenCache::builder(Credentials::from_env()?, environment.token_url()).build();
/// let client = Client::new(environment.api_url(), Hooks::none().with(AuthHook::new(cache.clone())));
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct AuthHook {
    cache: TokenCache,
}

impl AuthHook {
    /// The hook's [`name`](RequestHook::name) in a [`carbonext_api::HookFailure`].
    pub const NAME: &'static str = "carbonext_auth::AuthHook";

    /// A hook using `cache` (which may be shared with other clients and hooks).
    pub fn new(cache: TokenCache) -> Self {
        Self { cache }
    }

    /// The cache this hook reads tokens from.
    pub fn cache(&self) -> &TokenCache {
        &self.cache
    }

    /// `response` unless it is a 401 that a new token may fix: then drops the token the
    /// request carried, gets a new one and sends `replay` once.
    async fn after_unauthorized(
        &self,
        response: reqwest::Response,
        replay: Option<reqwest::Request>,
        info: &OperationInfo,
        next: Next<'_>,
    ) -> reqwest::Result<reqwest::Response> {
        let Some(mut replay) = replay else {
            tracing::debug!(
                operation_id = info.operation_id,
                "API answered 401; the request body cannot be replayed, not resending"
            );
            return Ok(response);
        };
        // The replay is a copy of the request sent: it carries the rejected header.
        let sent_with = replay.headers().get(AUTHORIZATION).cloned();
        if let Some(value) = &sent_with {
            self.cache.invalidate_if_authorization(value);
        }
        let fresh = match self.cache.token().await {
            Ok(fresh) => fresh,
            Err(error) => {
                tracing::debug!(
                    operation_id = info.operation_id,
                    error = %error,
                    "API answered 401 and no new access token could be had; not resending"
                );
                return Ok(response);
            }
        };
        if sent_with.is_some() && sent_with.as_ref() == fresh.authorization() {
            // The cache still hands out the rejected token (another caller refreshed to the
            // same value): sending it again would be rejected again.
            return Ok(response);
        }
        tracing::debug!(
            operation_id = info.operation_id,
            "API answered 401; sending once more with a new access token"
        );
        set_bearer(&mut replay, &fresh);
        drop(response);
        next.run(replay, info).await
    }
}

impl RequestHook for AuthHook {
    fn name(&self) -> &str {
        Self::NAME
    }

    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        if is_public(info) {
            if let Some(token) = self.cache.cached() {
                set_bearer(request, &token);
            }
            return Box::pin(Prepared);
        }
        // A fresh token in the cache (the usual case): no future to allocate.
        if self
            .cache
            .with_fresh(|token| set_bearer(request, token))
            .is_some()
        {
            return Box::pin(Prepared);
        }
        Box::pin(async move {
            let token = self
                .cache
                .token()
                .await
                .map_err(|error| Box::new(error) as HookError)?;
            set_bearer(request, &token);
            Ok(())
        })
    }

    fn send<'a>(
        &'a self,
        mut request: reqwest::Request,
        info: &'a OperationInfo,
        next: Next<'a>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        // The usual case, a fresh token that `prepare` has just set, is settled here without
        // a wait; a request an outer hook sends again later may need a new one.
        let current = is_public(info)
            || self
                .cache
                .with_fresh(|token| carry(&mut request, token))
                .is_some();
        Box::pin(async move {
            if !current {
                if let Ok(token) = self.cache.token().await {
                    carry(&mut request, &token);
                }
            }
            let replay = replay_copy(&request);
            let response = next.run(request, info).await?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            self.after_unauthorized(response, replay, info, next).await
        })
    }
}

/// What `prepare` returns when it is done without waiting: a zero-sized future, which
/// `Box::pin` does not allocate.
struct Prepared;

impl std::future::Future for Prepared {
    type Output = Result<(), HookError>;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// Whether the spec marks the operation public (`security: []`); unknown ids are not.
fn is_public(info: &OperationInfo) -> bool {
    carbonext_api::Operation::find(info.operation_id).is_some_and(|op| op.public)
}

fn set_bearer(request: &mut reqwest::Request, token: &AccessToken) {
    // The endpoint module only accepts tokens that are valid header values.
    if let Some(value) = token.authorization() {
        request.headers_mut().insert(AUTHORIZATION, value.clone());
    }
}

/// A copy of `request` to send again after a 401, `None` when its body cannot be replayed.
///
/// A request without a body (every read) is copied field by field: `Request::try_clone`
/// also rebuilds reqwest's per-request extension map even when it holds nothing, an
/// allocation and a hash per request that this copy skips. The extensions of a request
/// built with `reqwest`'s builder hold only its per-request timeout, which is copied.
fn replay_copy(request: &reqwest::Request) -> Option<reqwest::Request> {
    if request.body().is_some() {
        return request.try_clone();
    }
    let mut copy = reqwest::Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    if let Some(timeout) = request.timeout() {
        *copy.timeout_mut() = Some(*timeout);
    }
    Some(copy)
}

/// Makes `request` carry `token`, unless it already does.
fn carry(request: &mut reqwest::Request, token: &AccessToken) {
    if !carries(request, token) {
        set_bearer(request, token);
    }
}

/// Whether the request already carries `token` (same header bytes).
fn carries(request: &reqwest::Request, token: &AccessToken) -> bool {
    token.authorization().is_some() && request.headers().get(AUTHORIZATION) == token.authorization()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_built_once_per_token_and_marked_sensitive() {
        let token = AccessToken::new(
            carbonext_api::Secret::new("abc"),
            tokio::time::Instant::now(),
            tokio::time::Instant::now() + std::time::Duration::from_secs(60),
            None,
        );
        let mut request = reqwest::Request::new(
            reqwest::Method::GET,
            "http://127.0.0.1/v1/prices".parse().unwrap(),
        );
        assert!(!carries(&request, &token));
        set_bearer(&mut request, &token);
        assert!(carries(&request, &token));
        let value = request.headers().get(AUTHORIZATION).unwrap();
        assert_eq!(value, "Bearer abc");
        assert!(value.is_sensitive());
        assert!(!format!("{:?}", request.headers()).contains("abc"));
    }

    #[test]
    fn the_replay_copy_keeps_method_url_headers_timeout_and_body() {
        let mut get = reqwest::Request::new(
            reqwest::Method::GET,
            "http://127.0.0.1/v1/prices?vcu-amount=1".parse().unwrap(),
        );
        get.headers_mut()
            .insert(AUTHORIZATION, "Bearer abc".parse().unwrap());
        get.headers_mut()
            .insert("x-correlation-id", "42".parse().unwrap());
        *get.timeout_mut() = Some(std::time::Duration::from_secs(3));
        let copy = replay_copy(&get).expect("a bodiless request is always replayable");
        assert_eq!(copy.method(), get.method());
        assert_eq!(copy.url(), get.url());
        assert_eq!(copy.headers(), get.headers());
        assert_eq!(copy.version(), get.version());
        assert_eq!(copy.timeout(), Some(&std::time::Duration::from_secs(3)));
        assert!(copy.body().is_none());

        let mut post = reqwest::Request::new(
            reqwest::Method::POST,
            "http://127.0.0.1/v1/orders".parse().unwrap(),
        );
        *post.body_mut() = Some(reqwest::Body::from(r#"{"vcuAmount":"1"}"#));
        let copy = replay_copy(&post).expect("a byte body is replayable");
        assert_eq!(copy.method(), reqwest::Method::POST);
        assert_eq!(
            copy.body().and_then(reqwest::Body::as_bytes),
            Some(&br#"{"vcuAmount":"1"}"#[..])
        );
        let mut streamed = post;
        *streamed.body_mut() = Some(reqwest::Body::wrap_stream(futures_util::stream::iter(
            vec![Ok::<_, std::io::Error>(b"{}".to_vec())],
        )));
        assert!(
            replay_copy(&streamed).is_none(),
            "a stream cannot be sent twice"
        );
    }

    #[test]
    fn public_operations_match_the_spec() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi.yaml");
        let spec: serde_yaml::Value =
            serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let mut public = Vec::new();
        for (_, item) in spec["paths"].as_mapping().unwrap() {
            for (_, operation) in item.as_mapping().unwrap() {
                let Some(id) = operation.get("operationId").and_then(|v| v.as_str()) else {
                    continue;
                };
                let open = operation
                    .get("security")
                    .and_then(|v| v.as_sequence())
                    .is_some_and(|s| s.is_empty());
                if open {
                    public.push(snake_case(id));
                }
            }
        }
        public.sort();
        let listed: Vec<String> = carbonext_api::operations::ALL
            .iter()
            .filter(|op| op.public)
            .map(|op| op.id.to_owned())
            .collect();
        assert_eq!(listed, public, "the generated table agrees with the spec");
        assert!(listed.iter().all(|id| is_public(&OperationInfo {
            operation_id: id_of(id)
        })));
    }

    /// The generated `&'static str` id for `id`.
    fn id_of(id: &str) -> &'static str {
        carbonext_api::Operation::find(id)
            .expect("a generated operation")
            .id
    }

    fn snake_case(camel: &str) -> String {
        let mut out = String::new();
        for c in camel.chars() {
            if c.is_ascii_uppercase() {
                out.push('_');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }
}
