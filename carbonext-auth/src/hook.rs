//! [`AuthHook`]: the [`RequestHook`] that signs every request with the cached token and
//! retries once on 401. The type's docs describe both steps and show manual wiring.

use std::fmt;

use carbonext_api::{HookError, Next, OperationInfo, RequestHook};
use futures::future::BoxFuture;
use reqwest::header::AUTHORIZATION;
use reqwest::StatusCode;

use crate::cache::AccessToken;
use crate::{AuthError, TokenCache};

/// Signs requests with the token of a [`TokenCache`] and retries once on 401.
///
/// - `prepare` sets `Authorization: Bearer <token>` (marked sensitive). When no token can be
///   had the call ends there with `Error::Custom`, whose message is the [`AuthError`] and its
///   causes, never a secret. Call [`TokenCache::token`] first for a typed error.
///   Operations the spec marks public (`security: []`: calculators, airports, resources,
///   allowed filters) never wait for a token: they carry the cached one if there is one, and
///   go without otherwise (should the API answer 401 after all, the retry below adds one).
/// - `send` re-reads the cache right before sending, so that a request replayed by an outer
///   hook after a delay carries a current token (a client from [`crate::ClientBuilder`]
///   without outer hooks skips this: nothing can replay around its hook).
/// - When the API answers 401, `send` drops the token that request carried, gets a new one
///   and sends the request **once** more. A second 401 is returned as it is; a request whose
///   body cannot be replayed is not retried. With [`AuthHook::resend_after_401`]`(false)` it
///   drops the rejected token the same way but returns the 401, for a caller that resends by
///   building the request again: the hook then keeps no copy of the request.
/// - With [`AuthHook::sign_only`] the hook has no `send` step at all: it signs requests and
///   leaves every answer, 401 included, to its caller, which drops the refused token itself
///   ([`TokenCache::invalidate_if_generation`]; the `carbonext-domain` facade does).
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
    resend_after_401: bool,
    /// Whether `send` checks the request still carries the current token: only a hook placed
    /// outside this one can send a request again later, so [`crate::ClientBuilder`] turns it
    /// off when it has no outer hooks.
    recheck_in_send: bool,
    /// No `send` step at all ([`AuthHook::sign_only`]).
    sign_only: bool,
}

impl AuthHook {
    /// A hook using `cache` (which may be shared with other clients and hooks).
    pub fn new(cache: TokenCache) -> Self {
        Self {
            cache,
            resend_after_401: true,
            recheck_in_send: true,
            sign_only: false,
        }
    }

    /// For a hook no other hook wraps: `send` then sends the request as `prepare` signed it,
    /// microseconds before, without reading the cache again.
    pub(crate) fn outermost(mut self) -> Self {
        self.recheck_in_send = false;
        self
    }

    /// Whether the hook itself sends a request again, with a new token, when the API answers
    /// it 401 (default `true`).
    ///
    /// Either way a 401 drops the token the request carried from the cache, so the next
    /// request gets a new one. With `false` the 401 response is returned, and the hook keeps
    /// no replay copy of each request (a clone of its URL and headers, made before sending in
    /// case a 401 comes back): for callers that resend after a 401 by building the request
    /// again (see also [`AuthHook::sign_only`]).
    pub fn resend_after_401(mut self, resend: bool) -> Self {
        self.resend_after_401 = resend;
        self
    }

    /// Only signs requests: the hook takes no part in sending them
    /// ([`RequestHook::wraps_send`] is `false`), so every answer, 401 included, reaches the
    /// caller as the API gave it and a refused token stays cached until the caller drops it.
    /// One dynamic call and one boxed future less per request than
    /// [`AuthHook::resend_after_401`]`(false)`.
    ///
    /// For callers that handle 401 themselves: read [`TokenCache::generation`] before
    /// building a request, and after a 401 call [`TokenCache::invalidate_if_generation`] with
    /// it, then build the request again (the `carbonext-domain` facade does).
    pub fn sign_only(mut self) -> Self {
        self.sign_only = true;
        self
    }

    /// The cache this hook reads tokens from.
    pub fn cache(&self) -> &TokenCache {
        &self.cache
    }

    /// Sends `request` with the current token; on 401, [`AuthHook::after_unauthorized`] (or,
    /// without resending, [`AuthHook::send_without_replay`]).
    ///
    /// On a warm cache everything up to sending happens here, synchronously, so the future
    /// holds only what it needs across the exchange (the pending send and, when this hook
    /// resends, the replay copy), not the request as well.
    #[inline]
    fn send_current<'a>(
        &'a self,
        mut request: reqwest::Request,
        info: &'a OperationInfo,
        next: Next<'a>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        // The current token, unless the request already carries it (the usual case: `prepare`
        // set it just before); read without cloning the token. Not read again when nothing
        // wraps this hook: then nothing can have held the request since `prepare`.
        let current = !self.recheck_in_send
            || (!is_public(info)
                && self
                    .cache
                    .with_fresh(|token| carry(&mut request, token))
                    .is_some());
        if !current {
            return Box::pin(async move {
                let token = if is_public(info) {
                    self.cache.cached()
                } else {
                    self.cache.token().await.ok()
                };
                if let Some(token) = &token {
                    carry(&mut request, token);
                }
                if !self.resend_after_401 {
                    return self.send_without_replay(request, info, next).await;
                }
                let replay = replay_copy(&request);
                let response = next.send(request, info).await?;
                self.after_unauthorized(response, replay, info, next).await
            });
        }
        if !self.resend_after_401 {
            return self.send_without_replay(request, info, next);
        }
        let replay = replay_copy(&request);
        let sent = next.send(request, info);
        Box::pin(async move {
            let response = sent.await?;
            if response.status() != StatusCode::UNAUTHORIZED {
                return Ok(response);
            }
            // Boxed: only a 401 pays for the retry's future.
            Box::pin(self.after_unauthorized(response, replay, info, next)).await
        })
    }

    /// Sends `request` as it is; when the API answers 401, drops the token it carried from
    /// the cache and returns the 401 (see [`AuthHook::resend_after_401`]).
    #[inline(always)]
    fn send_without_replay<'a>(
        &'a self,
        request: reqwest::Request,
        info: &'a OperationInfo,
        next: Next<'a>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let sent_with = authorization(&request);
        let sent = next.send(request, info);
        Box::pin(async move {
            let response = sent.await?;
            if response.status() == StatusCode::UNAUTHORIZED {
                self.refused(sent_with.as_ref(), info);
            }
            Ok(response)
        })
    }

    /// The API answered 401 to a request that carried `sent_with`: that token is dropped from
    /// the cache, and the caller resends. Out of line: no successful call runs this code.
    #[cold]
    #[inline(never)]
    fn refused(&self, sent_with: Option<&reqwest::header::HeaderValue>, info: &OperationInfo) {
        if let Some(value) = sent_with {
            self.cache.invalidate_if_authorization(value);
        }
        tracing::debug!(
            operation_id = info.operation_id,
            "API answered 401; the access token it carried is dropped, the caller resends"
        );
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
        if response.status() != StatusCode::UNAUTHORIZED {
            return Ok(response);
        }
        let Some(mut replay) = replay else {
            tracing::debug!(
                operation_id = info.operation_id,
                "API answered 401; the request body cannot be replayed, not retrying"
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
                    "API answered 401 and no new access token could be had; not retrying"
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
            "API answered 401; retrying once with a new access token"
        );
        set_bearer(&mut replay, &fresh);
        drop(response);
        next.send(replay, info).await
    }
}

impl RequestHook for AuthHook {
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
                .map_err(|error| Box::new(PrepareError(error)) as HookError)?;
            set_bearer(request, &token);
            Ok(())
        })
    }

    #[inline]
    fn send<'a>(
        &'a self,
        request: reqwest::Request,
        info: &'a OperationInfo,
        next: Next<'a>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        if self.sign_only {
            return next.run(request, info);
        }
        self.send_current(request, info, next)
    }

    fn wraps_send(&self) -> bool {
        !self.sign_only
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

/// Operations `openapi.yaml` marks `security: []` (progenitor's snake_case ids; a test keeps
/// the list in step with the spec). The docs' examples call them without a token.
pub(crate) const PUBLIC_OPERATIONS: &[&str] = &[
    "request_token",
    "list_resources",
    "get_allowed_filters",
    "list_calculator_types",
    "list_airports",
    "calculate_emission",
];

fn is_public(info: &OperationInfo) -> bool {
    is_public_operation(info.operation_id)
}

/// Whether `openapi.yaml` marks operation `operation_id` (progenitor's snake_case id, as in
/// `OperationInfo::operation_id`) public, with `security: []`: the calculators, airports,
/// resources and allowed filters. An [`AuthHook`] never waits for a token for these; it adds
/// the cached one if there is one.
///
/// ```
/// assert!(carbonext_auth::is_public_operation("list_airports"));
/// assert!(!carbonext_auth::is_public_operation("get_price"));
/// ```
pub fn is_public_operation(operation_id: &str) -> bool {
    PUBLIC_OPERATIONS.contains(&operation_id)
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

/// The `Authorization` header `request` carries, found by walking its few headers: cheaper
/// than hashing the name for a lookup, on every request the facade sends.
fn authorization(request: &reqwest::Request) -> Option<reqwest::header::HeaderValue> {
    request
        .headers()
        .iter()
        .find(|(name, _)| *name == AUTHORIZATION)
        .map(|(_, value)| value.clone())
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

/// What `prepare` returns: the [`AuthError`] with its causes in one secret-free line, because
/// the client keeps only the `Display` of a hook error (`Error::Custom`).
#[derive(Debug)]
struct PrepareError(AuthError);

impl fmt::Display for PrepareError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "authentication failed: {}", self.0)?;
        let mut source = std::error::Error::source(&self.0);
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}

impl std::error::Error for PrepareError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prepare_error_lists_causes() {
        let error = PrepareError(AuthError::InvalidClient {
            description: Some("Invalid client credentials".into()),
        });
        assert_eq!(
            error.to_string(),
            "authentication failed: token endpoint rejected the client credentials \
             (invalid_client): Invalid client credentials"
        );
    }

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
    fn the_sent_authorization_is_found_among_other_headers() {
        let mut request = reqwest::Request::new(
            reqwest::Method::GET,
            "http://127.0.0.1/v1/prices".parse().unwrap(),
        );
        assert_eq!(authorization(&request), None);
        let headers = request.headers_mut();
        headers.insert(reqwest::header::ACCEPT, "application/json".parse().unwrap());
        headers.insert("x-correlation-id", "42".parse().unwrap());
        headers.insert(AUTHORIZATION, "Bearer abc".parse().unwrap());
        headers.insert(reqwest::header::USER_AGENT, "test".parse().unwrap());
        assert_eq!(
            authorization(&request),
            request.headers().get(AUTHORIZATION).cloned()
        );
        assert_eq!(authorization(&request).unwrap(), "Bearer abc");
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
        *streamed.body_mut() = Some(reqwest::Body::wrap_stream(futures::stream::iter(vec![
            Ok::<_, std::io::Error>(b"{}".to_vec()),
        ])));
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
        let mut listed: Vec<String> = PUBLIC_OPERATIONS.iter().map(|s| s.to_string()).collect();
        listed.sort();
        assert_eq!(listed, public);
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
