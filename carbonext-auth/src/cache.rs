//! [`TokenCache`]: one access token, shared, requested lazily, refreshed a buffer before it
//! expires, one request in flight at a time, invalidated when the API rejects it. The type's
//! docs list the guarantees and show an example; [`AccessToken`] is what it hands out.

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use carbonext_api::Secret;
use reqwest::header::HeaderValue;
use tokio::time::Instant;

use crate::endpoint::TokenEndpoint;
use crate::{AuthError, Credentials, RetryPolicy};

/// Default longest refresh buffer.
pub const DEFAULT_REFRESH_BUFFER: Duration = Duration::from_secs(60);
/// Default share of a token's lifetime used as refresh buffer (when below the longest).
pub const DEFAULT_REFRESH_FRACTION: f64 = 0.1;
/// Default timeout of one token request.
pub const DEFAULT_TOKEN_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest pause between two refresh attempts while a still-valid token is served.
const FALLBACK_PAUSE: Duration = Duration::from_secs(5);

/// An issued access token: the value and when it stops being valid.
///
/// Cheap to clone. `Debug` never shows the value.
#[derive(Clone)]
pub struct AccessToken(Arc<Issued>);

struct Issued {
    secret: Secret,
    /// `Bearer <token>`, built once per token (marked sensitive) rather than once per request.
    authorization: Option<HeaderValue>,
    requested_at: Instant,
    expires_at: Instant,
    scope: Option<String>,
}

impl AccessToken {
    pub(crate) fn new(
        secret: Secret,
        requested_at: Instant,
        expires_at: Instant,
        scope: Option<String>,
    ) -> Self {
        let authorization = HeaderValue::try_from(format!("Bearer {}", secret.expose()))
            .ok()
            .map(|mut value| {
                value.set_sensitive(true);
                value
            });
        Self(Arc::new(Issued {
            secret,
            authorization,
            requested_at,
            expires_at,
            scope,
        }))
    }

    /// The `Authorization` header value carrying this token (`Bearer <token>`, marked
    /// sensitive so `Debug` of a header map hides it); `None` for a token that is not a valid
    /// header value (the token endpoint module refuses those, so in practice always `Some`).
    pub(crate) fn authorization(&self) -> Option<&HeaderValue> {
        self.0.authorization.as_ref()
    }

    /// The token value, for an `Authorization: Bearer` header. Do not log it.
    pub fn secret(&self) -> &Secret {
        &self.0.secret
    }

    /// When the token request that produced it was sent.
    pub fn requested_at(&self) -> Instant {
        self.0.requested_at
    }

    /// When it expires, counted from [`AccessToken::requested_at`] (so no later than the
    /// server's own expiry).
    pub fn expires_at(&self) -> Instant {
        self.0.expires_at
    }

    /// Validity left now (zero once expired).
    pub fn remaining(&self) -> Duration {
        self.0.expires_at.saturating_duration_since(Instant::now())
    }

    /// Whether it has expired.
    pub fn is_expired(&self) -> bool {
        Instant::now() >= self.0.expires_at
    }

    /// The scopes granted, as the token endpoint listed them.
    pub fn scope(&self) -> Option<&str> {
        self.0.scope.as_deref()
    }

    /// Whether both are the same issued token (not merely equal values).
    pub fn same_as(&self, other: &AccessToken) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("value", &"[REDACTED]")
            .field("remaining", &self.remaining())
            .field("scope", &self.0.scope)
            .finish()
    }
}

/// A shared, self-refreshing access token for one set of credentials.
///
/// Cheap to clone: clones share the token. Build it with [`TokenCache::builder`].
///
/// - **Lazy**: the first [`TokenCache::token`] runs the grant; later calls reuse the token.
/// - **Early refresh**: a token is replaced once less than its refresh buffer is left, by
///   default `min(60 s, 10 % of its lifetime)` (a 10-hour token is refreshed 60 s early, a 2 s
///   token 0.2 s early). Lifetimes are counted from the moment the request was *sent*, so the
///   cache believes a token expires no later than the server does (if the server's clock
///   runs ahead, the API answers 401 and [`AuthHook`](crate::AuthHook) refreshes and retries).
/// - **Single flight**: however many callers find the cache cold or expiring, one token
///   request runs; the others wait for its outcome, success or failure. A warm read takes a
///   short `std::sync::RwLock` read, never an async lock. Early in the refresh window (its
///   first half), callers that find a refresh in flight do not wait: they use the current
///   token, which is still valid.
/// - **No poisoning**: a failed request is reported to the callers that waited for it and
///   then forgotten; the next caller tries again. While the old token is still valid, a
///   failed refresh falls back to it (and pauses up to 5 s before trying again).
/// - **Invalidation**: [`TokenCache::invalidate_if_current`] drops a token the API rejected;
///   many rejections of the same token cause one refresh.
///
/// ```no_run
/// # async fn demo() -> Result<(), carbonext_auth::AuthError> {
/// use carbonext_auth::{Credentials, Environment, TokenCache};
///
/// let environment = Environment::from_env()?;
/// let cache = TokenCache::builder(Credentials::from_env()?, environment.token_url())
///     .scope("roles")
///     .build();
/// let token = cache.token().await?;
/// println!("token valid for {:?}", token.remaining());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TokenCache {
    inner: Arc<Inner>,
}

struct Inner {
    endpoint: TokenEndpoint,
    refresh_buffer: Duration,
    refresh_fraction: f64,
    state: RwLock<State>,
    refreshing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct State {
    current: Option<AccessToken>,
    /// When `current` should be replaced.
    refresh_at: Option<Instant>,
    /// Set by an invalidation, cleared by the next token.
    invalidated: bool,
    /// Token requests finished (either way); lets waiters see that one ran while they waited.
    finished: u64,
    /// Outcome of the last finished request when it failed.
    last_failure: Option<AuthError>,
}

/// Why a token is being requested; logged with the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    Cold,
    Expiring,
    Expired,
    Invalidated,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Cold => "cold",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::Invalidated => "invalidated",
        }
    }
}

enum Lookup {
    Fresh(AccessToken),
    Stale {
        reason: Reason,
        finished: u64,
        /// The cached token while it is early in its refresh window: usable by callers that
        /// find a refresh already in flight.
        usable: Option<AccessToken>,
    },
}

impl TokenCache {
    /// A builder for a cache in front of the token endpoint at `token_url` (full URL, see
    /// [`Environment::token_url`](crate::Environment::token_url)).
    pub fn builder(credentials: Credentials, token_url: impl Into<String>) -> TokenCacheBuilder {
        TokenCacheBuilder {
            credentials,
            token_url: token_url.into(),
            scope: None,
            http: None,
            timeout: DEFAULT_TOKEN_REQUEST_TIMEOUT,
            retry: RetryPolicy::default(),
            refresh_buffer: DEFAULT_REFRESH_BUFFER,
            refresh_fraction: DEFAULT_REFRESH_FRACTION,
        }
    }

    /// A valid token: the cached one, or a new one when the cache is cold, expiring or
    /// invalidated. Concurrent callers share one token request.
    pub async fn token(&self) -> Result<AccessToken, AuthError> {
        match self.lookup() {
            Lookup::Fresh(token) => Ok(token),
            // Boxed: the refresh (a whole token request) would otherwise make every caller's
            // future kilobytes larger, warm reads included.
            Lookup::Stale {
                finished, usable, ..
            } => Box::pin(self.wait_or_refresh(finished, usable)).await,
        }
    }

    /// The slow path of [`TokenCache::token`]: `seen` is the number of finished token
    /// requests at the caller's lookup, `usable` the token it may keep using meanwhile.
    async fn wait_or_refresh(
        &self,
        seen: u64,
        usable: Option<AccessToken>,
    ) -> Result<AccessToken, AuthError> {
        let _refreshing = match usable {
            // Early in the refresh window: one caller refreshes, the others keep using the
            // current token instead of waiting for it.
            Some(token) => match self.inner.refreshing.try_lock() {
                Ok(guard) => guard,
                Err(_) => return Ok(token),
            },
            None => self.inner.refreshing.lock().await,
        };
        let reason = match self.lookup() {
            Lookup::Fresh(token) => return Ok(token),
            Lookup::Stale {
                reason, finished, ..
            } => {
                if finished != seen {
                    // A request ran while we waited for the lock and left no usable token:
                    // it failed (or its token was invalidated since). Share its failure
                    // rather than send another request right behind it.
                    let failure = self.read().last_failure.clone();
                    if let Some(error) = failure {
                        return self.fallback(error);
                    }
                }
                reason
            }
        };
        self.refresh(reason).await
    }

    /// Runs `f` on the cached token if it is fresh (not yet due for refresh), under the read
    /// lock and without cloning it: the per-request fast path of [`AuthHook`](crate::AuthHook).
    /// `None` when the token is missing or due: call [`TokenCache::token`] then.
    ///
    /// `f` must not use this cache (it runs under its lock).
    pub(crate) fn with_fresh<R>(&self, f: impl FnOnce(&AccessToken) -> R) -> Option<R> {
        let state = self.read();
        let now = Instant::now();
        match (&state.current, state.refresh_at) {
            (Some(token), Some(refresh_at)) if now < refresh_at && now < token.expires_at() => {
                Some(f(token))
            }
            _ => None,
        }
    }

    /// The cached token while it may be used (fresh, or early in its refresh window), without
    /// requesting one.
    pub fn cached(&self) -> Option<AccessToken> {
        match self.lookup() {
            Lookup::Fresh(token) => Some(token),
            Lookup::Stale { usable, .. } => usable,
        }
    }

    /// Drops the cached token, whichever it is; the next [`TokenCache::token`] requests a new
    /// one. Prefer [`TokenCache::invalidate_if_current`] when reacting to a 401.
    pub fn invalidate(&self) {
        let mut state = self.write();
        if state.current.is_some() {
            self.drop_current(&mut state);
        }
        state.invalidated = true;
    }

    /// Drops `token` if it is still the cached one, and says whether it was. A token the API
    /// rejected is invalidated by every request that carried it, but only the first call
    /// drops it; the others find a newer token (or a refresh in flight) and cause nothing.
    pub fn invalidate_if_current(&self, token: &AccessToken) -> bool {
        self.invalidate_where(|current| current.same_as(token))
    }

    /// Like [`TokenCache::invalidate_if_current`], matching the token by the `Authorization`
    /// header value a request carried.
    pub(crate) fn invalidate_if_authorization(&self, value: &HeaderValue) -> bool {
        self.invalidate_where(|current| current.authorization() == Some(value))
    }

    fn invalidate_where(&self, matches: impl Fn(&AccessToken) -> bool) -> bool {
        let mut state = self.write();
        match &state.current {
            Some(current) if matches(current) => {
                self.drop_current(&mut state);
                true
            }
            _ => false,
        }
    }

    /// Drops the cached token (the caller holds the write lock and checked there is one).
    fn drop_current(&self, state: &mut State) {
        state.current = None;
        state.invalidated = true;
        tracing::debug!("access token invalidated");
    }

    /// The token URL this cache requests tokens from.
    pub fn token_url(&self) -> &str {
        &self.inner.endpoint.url
    }

    /// The client id of the credentials this cache uses.
    pub fn client_id(&self) -> &str {
        self.inner.endpoint.credentials.client_id()
    }

    fn lookup(&self) -> Lookup {
        let state = self.read();
        let now = Instant::now();
        let mut usable = None;
        // One clock read per lookup: this runs twice per request.
        let reason = match (&state.current, state.refresh_at) {
            (Some(token), Some(refresh_at)) if now < refresh_at && now < token.expires_at() => {
                return Lookup::Fresh(token.clone())
            }
            (Some(token), _) if now >= token.expires_at() => Reason::Expired,
            (Some(token), refresh_at) => {
                // The first half of the window between `refresh_at` and expiry.
                let refresh_at = refresh_at.unwrap_or(now);
                let window = token.expires_at().saturating_duration_since(refresh_at);
                if now < refresh_at + window / 2 {
                    usable = Some(token.clone());
                }
                Reason::Expiring
            }
            (None, _) if state.invalidated => Reason::Invalidated,
            (None, _) => Reason::Cold,
        };
        Lookup::Stale {
            reason,
            finished: state.finished,
            usable,
        }
    }

    /// Runs one token request (with its retries); the caller holds the refresh lock.
    async fn refresh(&self, reason: Reason) -> Result<AccessToken, AuthError> {
        tracing::debug!(
            reason = reason.as_str(),
            token_url = %self.inner.endpoint.url,
            "requesting access token"
        );
        let requested_at = Instant::now();
        let outcome = self.inner.endpoint.fetch().await;
        let mut state = self.write();
        state.finished += 1;
        match outcome {
            Ok(issued) => {
                let lifetime = issued.lifetime;
                let buffer = self.buffer_for(lifetime);
                let token = AccessToken::new(
                    issued.access_token,
                    requested_at,
                    requested_at + lifetime,
                    issued.scope,
                );
                state.current = Some(token.clone());
                state.refresh_at = Some(requested_at + (lifetime - buffer));
                state.invalidated = false;
                state.last_failure = None;
                tracing::debug!(
                    reason = reason.as_str(),
                    expires_in_s = lifetime.as_secs(),
                    refresh_in_ms = (lifetime - buffer)
                        .saturating_sub(requested_at.elapsed())
                        .as_millis() as u64,
                    "access token issued"
                );
                Ok(token)
            }
            Err(error) => {
                tracing::debug!(reason = reason.as_str(), error = %error, "token request failed");
                state.last_failure = Some(error.clone());
                if let Some(current) = state.current.clone().filter(|t| !t.is_expired()) {
                    let pause = (current.remaining() / 2).min(FALLBACK_PAUSE);
                    state.refresh_at = Some(Instant::now() + pause);
                    tracing::warn!(
                        error = %error,
                        remaining_ms = current.remaining().as_millis() as u64,
                        "token refresh failed; using the current token while it is valid"
                    );
                    return Ok(current);
                }
                Err(error)
            }
        }
    }

    /// `error`, unless the cached token is still valid.
    fn fallback(&self, error: AuthError) -> Result<AccessToken, AuthError> {
        match self.read().current.clone() {
            Some(current) if !current.is_expired() => Ok(current),
            _ => Err(error),
        }
    }

    fn buffer_for(&self, lifetime: Duration) -> Duration {
        lifetime
            .mul_f64(self.inner.refresh_fraction)
            .min(self.inner.refresh_buffer)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.inner
            .state
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.inner
            .state
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.read();
        f.debug_struct("TokenCache")
            .field("token_url", &self.inner.endpoint.url)
            .field("client_id", &self.inner.endpoint.credentials.client_id())
            .field("scope", &self.inner.endpoint.scope)
            .field("current", &state.current)
            .finish_non_exhaustive()
    }
}

/// Options of a [`TokenCache`]; from [`TokenCache::builder`].
#[must_use]
pub struct TokenCacheBuilder {
    credentials: Credentials,
    token_url: String,
    scope: Option<String>,
    http: Option<reqwest::Client>,
    timeout: Duration,
    retry: RetryPolicy,
    refresh_buffer: Duration,
    refresh_fraction: f64,
}

impl TokenCacheBuilder {
    /// Scopes to request (space-separated, e.g. `"roles"`); none by default.
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
    }

    /// The HTTP client for token requests. By default one with a 10 s connect timeout that
    /// does not follow redirects (a 307 would resend the secret to the redirect target);
    /// a client given here is used as configured.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Timeout of one token request, retries aside; 10 s by default.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Retries of transient failures; [`RetryPolicy::default`] by default.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Longest refresh buffer: a token is replaced when `min(buffer, fraction × lifetime)` of
    /// its lifetime is left. 60 s by default.
    pub fn refresh_buffer(mut self, buffer: Duration) -> Self {
        self.refresh_buffer = buffer;
        self
    }

    /// Share of a token's lifetime used as refresh buffer when below
    /// [`refresh_buffer`](Self::refresh_buffer); clamped to `0.0..=0.5`, 0.1 by default.
    pub fn refresh_fraction(mut self, fraction: f64) -> Self {
        self.refresh_fraction = if fraction.is_nan() {
            DEFAULT_REFRESH_FRACTION
        } else {
            fraction.clamp(0.0, 0.5)
        };
        self
    }

    /// The cache. Nothing is requested until the first [`TokenCache::token`].
    pub fn build(self) -> TokenCache {
        let http = self.http.unwrap_or_else(default_token_http_client);
        TokenCache {
            inner: Arc::new(Inner {
                endpoint: TokenEndpoint {
                    http,
                    url: self.token_url,
                    credentials: self.credentials,
                    scope: self.scope,
                    timeout: self.timeout,
                    retry: self.retry,
                },
                refresh_buffer: self.refresh_buffer,
                refresh_fraction: self.refresh_fraction,
                state: RwLock::new(State::default()),
                refreshing: tokio::sync::Mutex::new(()),
            }),
        }
    }
}

impl fmt::Debug for TokenCacheBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCacheBuilder")
            .field("credentials", &self.credentials)
            .field("token_url", &self.token_url)
            .field("scope", &self.scope)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("refresh_buffer", &self.refresh_buffer)
            .field("refresh_fraction", &self.refresh_fraction)
            .finish_non_exhaustive()
    }
}

fn default_token_http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("the HTTP client's TLS backend initialises")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> TokenCache {
        TokenCache::builder(Credentials::new("id", "s"), "http://127.0.0.1:9/token").build()
    }

    #[test]
    fn buffer_is_the_smaller_of_cap_and_fraction() {
        let cache = cache();
        assert_eq!(
            cache.buffer_for(Duration::from_secs(36000)),
            Duration::from_secs(60)
        );
        assert_eq!(
            cache.buffer_for(Duration::from_secs(2)),
            Duration::from_millis(200)
        );
        let eager = TokenCache::builder(Credentials::new("id", "s"), "http://x/t")
            .refresh_fraction(3.0)
            .refresh_buffer(Duration::from_secs(3600))
            .build();
        assert_eq!(
            eager.buffer_for(Duration::from_secs(10)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn debug_never_shows_the_secret_or_token() {
        let cache = cache();
        {
            let mut state = cache.write();
            state.current = Some(AccessToken::new(
                Secret::new("tok-value"),
                Instant::now(),
                Instant::now() + Duration::from_secs(60),
                None,
            ));
        }
        let debug = format!("{cache:?}");
        assert!(!debug.contains("tok-value"), "{debug}");
        assert!(debug.contains("[REDACTED]"), "{debug}");
        let header = HeaderValue::from_static("Bearer tok-value");
        assert!(!cache.invalidate_if_authorization(&HeaderValue::from_static("Bearer other")));
        assert!(cache.invalidate_if_authorization(&header));
        assert!(!cache.invalidate_if_authorization(&header));
    }
}
