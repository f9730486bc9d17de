//! [`Carbonext`]: the facade implementing every trait over the generated client and the token
//! cache, with retries, exactly-once orders and prefetching pagination streams.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use carbonext_api::types::ProblemDetails;
use carbonext_api::{operations, Operation};
use carbonext_api::{DecimalText, Page};
use carbonext_auth::Verdict;
use futures::stream::{self, BoxStream, StreamExt};
use rust_decimal::Decimal;
use tokio::time::Instant;
use tracing::Instrument;

use crate::accounts::{
    AllowedFilters, ApiKey, ApiKeyId, NewApiKey, NewApiKeySecret, NewUser, Permission, Resource,
    User, UserId, UserUpdate,
};
use crate::calculator::{Airport, Emission, Route, TransportId, TransportType};
use crate::error::{Error, KeyLockError, Result, ValidationError};
use crate::key_lock::{InProcessKeyLock, KeyGuard, OrderKeyLock};
use crate::ledger::{Balance, Invoice, InvoiceId, Period};
use crate::order::{NewOrder, Order, OrderId, OrderKey, Quote};
use crate::query::{InvoiceQuery, OrderQuery, MAX_PAGE_SIZE};
use crate::retry::{Failure, RetryPolicy};
use crate::wire::AttemptError;
use crate::{Accounts, Calculator, Currency, Ledger, VcuAmount, VcuMarket};

/// Page size the streams ask for when the query sets none.
const STREAM_PAGE_SIZE: u32 = 100;

/// Time limit of one attempt unless [`CarbonextBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Stands for a time limit too large to add to an `Instant`.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 86_400);

/// Longest wait for an order key's lock unless [`CarbonextBuilder::order_key_wait`] says
/// otherwise.
pub const DEFAULT_ORDER_KEY_WAIT: Duration = Duration::from_secs(60);

/// Time limit to connect unless [`CarbonextBuilder::connect_timeout`] says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The Carbonext API, authenticated, with retries. Cheap to clone; clones share the HTTP
/// connection pool and the token cache.
#[derive(Clone, Debug)]
pub struct Carbonext {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    /// The client the facade's calls use (and [`Carbonext::raw`] hands out).
    api: carbonext_api::Client,
    /// Set when the facade built the client (whose auth hook reads it): a cold cache is
    /// filled before an attempt, for a typed [`Error::Auth`].
    tokens: Option<carbonext_auth::TokenCache>,
    retry: RetryPolicy,
    prefetch: usize,
    /// Time limit of one attempt (request sent, answer read whole).
    timeout: Duration,
    /// Held over each placement of an order with a caller-given key.
    key_lock: Arc<dyn OrderKeyLock>,
    /// Longest wait for `key_lock`.
    key_wait: Duration,
}

/// What [`Carbonext::place_order_once`] did.
#[derive(Clone, Debug, PartialEq)]
pub struct PlacedOrder {
    /// The order, as the API reports it.
    pub order: Order,
    /// `true` when an order with the caller-given key already existed and none was placed.
    pub already_existed: bool,
}

/// Builder of [`Carbonext`].
#[derive(Default)]
pub struct CarbonextBuilder {
    environment: Option<carbonext_auth::Environment>,
    credentials: Option<carbonext_auth::Credentials>,
    http: Option<reqwest::Client>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    prefetch: Option<usize>,
    body_limit: Option<u64>,
    hooks: Vec<Arc<dyn carbonext_api::RequestHook>>,
    key_lock: Option<Arc<dyn OrderKeyLock>>,
    key_wait: Option<Duration>,
}

impl std::fmt::Debug for CarbonextBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarbonextBuilder")
            .field("environment", &self.environment)
            .field("credentials", &self.credentials)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("prefetch", &self.prefetch)
            .field("body_limit", &self.body_limit)
            .field("hooks", &self.hooks.len())
            .field("key_lock", &self.key_lock)
            .field("key_wait", &self.key_wait)
            .finish_non_exhaustive()
    }
}

impl CarbonextBuilder {
    /// Where to connect (default: [`carbonext_auth::Environment::from_env`]).
    pub fn environment(mut self, environment: carbonext_auth::Environment) -> Self {
        self.environment = Some(environment);
        self
    }
    /// The API key to authenticate with (default: [`carbonext_auth::Credentials::from_env`]).
    pub fn credentials(mut self, credentials: carbonext_auth::Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }
    /// An HTTP client to share. Its own settings apply (so `connect_timeout` is ignored);
    /// the facade's [`timeout`](Self::timeout) bounds every attempt all the same.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }
    /// Time limit of one attempt: getting a token if none is cached, sending the request and
    /// reading its whole answer (default 30 s, [`DEFAULT_TIMEOUT`]). An attempt that runs out
    /// of time is dropped and ends with [`Error::Transport`] ("timed out"); calls that are
    /// safe to repeat are then retried, and an order is looked up by its key before anything
    /// is sent again, as for any answer that was lost.
    ///
    /// The limit is kept on tokio's clock (`tokio::time::timeout_at`), like every other wait of
    /// the SDK, so tests under `#[tokio::test(start_paused = true)]` see it in virtual time.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Time limit to connect, set on the HTTP client the builder makes (default 10 s,
    /// [`DEFAULT_CONNECT_TIMEOUT`]).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }
    /// Retry policy for safe-to-repeat calls (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = Some(policy);
        self
    }
    /// Pages fetched ahead by the list streams (default 4, at least 1).
    pub fn prefetch(mut self, pages: usize) -> Self {
        self.prefetch = Some(pages);
        self
    }

    /// Most bytes of a successful response body read (default 32 MiB,
    /// [`carbonext_api::DEFAULT_BODY_LIMIT`]); a larger answer ends the call with
    /// [`Error::Decode`] without being read whole.
    pub fn body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// Adds a hook of your own to every request (tracing, metrics, headers…), run after the
    /// facade's authentication: its `prepare` sees the signed request and its `send` each
    /// HTTP exchange, the resend after a 401 included. Hooks run in the order added; the
    /// facade's time limit and retries wrap them all.
    ///
    /// ```
    /// use carbonext_api::{HookError, OperationInfo, RequestHook};
    /// use futures::future::BoxFuture;
    ///
    /// struct Tenant;
    ///
    /// impl RequestHook for Tenant {
    ///     fn prepare<'a>(
    ///         &'a self,
    ///         request: &'a mut reqwest::Request,
    ///         _info: &'a OperationInfo,
    ///     ) -> BoxFuture<'a, Result<(), HookError>> {
    ///         request.headers_mut().insert("x-tenant", "acme".parse().unwrap());
    ///         Box::pin(async { Ok(()) })
    ///     }
    /// }
    ///
    /// let builder = carbonext_domain::Carbonext::builder().hook(Tenant);
    /// ```
    pub fn hook(mut self, hook: impl carbonext_api::RequestHook) -> Self {
        self.hooks.push(Arc::new(hook));
        self
    }

    /// The lock held over each placement of an order with a caller-given key, from the key
    /// lookup through creation and reconciliation (default: [`InProcessKeyLock`], which
    /// serialises placements of one key within this process). Share one lock across replicas
    /// to make placements exactly-once between them too.
    pub fn order_key_lock(mut self, lock: impl OrderKeyLock + 'static) -> Self {
        self.key_lock = Some(Arc::new(lock));
        self
    }

    /// Longest wait for the order key's lock while another placement of the same key holds it
    /// (default 60 s, [`DEFAULT_ORDER_KEY_WAIT`]). Running out ends the placement with
    /// [`Error::KeyLock`] ([`KeyLockError::TimedOut`](crate::KeyLockError::TimedOut)) and
    /// nothing sent. Kept on tokio's clock.
    pub fn order_key_wait(mut self, wait: Duration) -> Self {
        self.key_wait = Some(wait);
        self
    }

    /// Builds the facade. Nothing is sent until the first call.
    pub fn build(self) -> Result<Carbonext> {
        let environment = match self.environment {
            Some(environment) => environment,
            None => carbonext_auth::Environment::from_env().map_err(auth_config_error)?,
        };
        let credentials = match self.credentials {
            Some(credentials) => credentials,
            None => carbonext_auth::Credentials::from_env().map_err(auth_config_error)?,
        };
        let http = match self.http {
            Some(http) => http,
            // No `reqwest` timeout: the facade bounds each attempt (see `timeout`).
            None => reqwest::Client::builder()
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .build()
                .map_err(|e| Error::Transport {
                    message: format!("could not build the HTTP client: {e}"),
                    source: Some(e),
                })?,
        };
        let tokens = carbonext_auth::TokenCache::builder(credentials, environment.token_url())
            .http_client(http.clone())
            .build();
        let body_limit = self.body_limit.unwrap_or(carbonext_api::DEFAULT_BODY_LIMIT);
        let api = carbonext_auth::ClientBuilder::new(environment.api_url(), tokens.clone())
            .http_client(http)
            .body_limit(body_limit)
            .hooks(self.hooks)
            .build();
        let carbonext = Carbonext::from_client(api)
            .with_retry_policy(self.retry.unwrap_or_default())
            .with_prefetch(self.prefetch.unwrap_or(4))
            .with_timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT));
        let key_lock = self.key_lock;
        let key_wait = self.key_wait;
        Ok(carbonext.rebuild(|inner| {
            inner.tokens = Some(tokens);
            if let Some(lock) = key_lock {
                inner.key_lock = lock;
            }
            if let Some(wait) = key_wait {
                inner.key_wait = wait;
            }
        }))
    }
}

/// [`Error::KeyLock`] when the placement of `key` holds a lock that was lost; `sent` says
/// whether a request to create the order went out.
fn lost_lock(key: &OrderKey, held: Option<&KeyGuard>, sent: bool) -> Option<Error> {
    let message = held?.is_held().err()?;
    tracing::warn!(order_key = %key, %message, "the order key lock was lost; stopping the placement");
    Some(Error::KeyLock {
        key: key.clone(),
        reason: KeyLockError::Lost { message, sent },
    })
}

fn auth_config_error(err: carbonext_auth::AuthError) -> Error {
    Error::Validation(ValidationError::Config(err.to_string()))
}

impl Carbonext {
    /// Starts a builder.
    pub fn builder() -> CarbonextBuilder {
        CarbonextBuilder::default()
    }

    /// Everything from the environment: `CARBONEXT_ENV`, `CARBONEXT_API_URL`,
    /// `CARBONEXT_AUTH_URL`, `CARBONEXT_CLIENT_ID`, `CARBONEXT_CLIENT_SECRET`.
    pub fn from_env() -> Result<Self> {
        Self::builder().build()
    }

    /// Wraps a raw client you configured yourself (its hooks do the authentication). Each
    /// attempt is bounded by [`DEFAULT_TIMEOUT`] unless [`Carbonext::with_timeout`] says
    /// otherwise.
    pub fn from_client(api: carbonext_api::Client) -> Self {
        Self {
            inner: Arc::new(Inner {
                api,
                tokens: None,
                retry: RetryPolicy::default(),
                prefetch: 4,
                timeout: DEFAULT_TIMEOUT,
                key_lock: Arc::new(InProcessKeyLock::default()),
                key_wait: DEFAULT_ORDER_KEY_WAIT,
            }),
        }
    }

    /// The same client with another retry policy.
    pub fn with_retry_policy(self, retry: RetryPolicy) -> Self {
        self.rebuild(|inner| inner.retry = retry)
    }

    /// The same client with another time limit per attempt (see
    /// [`CarbonextBuilder::timeout`]; default 30 s).
    pub fn with_timeout(self, timeout: Duration) -> Self {
        self.rebuild(|inner| inner.timeout = timeout)
    }

    /// The same client holding `lock` over each placement with a caller-given key (see
    /// [`CarbonextBuilder::order_key_lock`]).
    pub fn with_order_key_lock(self, lock: impl OrderKeyLock + 'static) -> Self {
        let lock: Arc<dyn OrderKeyLock> = Arc::new(lock);
        self.rebuild(|inner| inner.key_lock = lock)
    }

    /// The same client with another longest wait for the order key's lock (see
    /// [`CarbonextBuilder::order_key_wait`]; default 60 s).
    pub fn with_order_key_wait(self, wait: Duration) -> Self {
        self.rebuild(|inner| inner.key_wait = wait)
    }

    /// The same client with another prefetch depth for the streams.
    pub fn with_prefetch(self, pages: usize) -> Self {
        self.rebuild(|inner| inner.prefetch = pages.max(1))
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            api: self.inner.api.clone(),
            tokens: self.inner.tokens.clone(),
            retry: self.inner.retry.clone(),
            prefetch: self.inner.prefetch,
            timeout: self.inner.timeout,
            key_lock: Arc::clone(&self.inner.key_lock),
            key_wait: self.inner.key_wait,
        };
        change(&mut inner);
        Self {
            inner: Arc::new(inner),
        }
    }

    /// Gets an access token now (or confirms the cached one), so that bad credentials or an
    /// unreachable token endpoint surface as a typed [`Error::Auth`] before any business call.
    /// A facade built with [`Carbonext::from_client`] has no token cache of its own and
    /// returns `Ok(())`.
    pub async fn authenticate(&self) -> Result<()> {
        match &self.inner.tokens {
            Some(cache) => cache.token().await.map(drop).map_err(|source| Error::Auth {
                message: source.to_string(),
                source: Some(source),
            }),
            None => Ok(()),
        }
    }

    /// The raw client underneath, for calls this crate does not wrap: the facade's own, with
    /// its HTTP connections, token cache and hooks (its auth hook resends once after a 401,
    /// see `carbonext_auth::AuthHook`). For a facade made with [`Carbonext::from_client`],
    /// the client given.
    pub fn raw(&self) -> &carbonext_api::Client {
        &self.inner.api
    }

    fn api(&self) -> &carbonext_api::Client {
        &self.inner.api
    }

    /// Runs one attempt of `operation` within the facade's time limit. A 401 is not handled
    /// here: the client's auth hook resends once with a new token (`carbonext_auth::AuthHook`).
    ///
    /// On a cold cache the token is requested first, within the same limit, so that a failure
    /// is a typed [`Error::Auth`] (the hook could only report it as a message); public
    /// operations never wait for one.
    async fn attempt<T, Fut>(
        &self,
        operation: Operation,
        attempt: Fut,
    ) -> std::result::Result<T, AttemptError>
    where
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>>,
    {
        let now = Instant::now();
        // A time limit too large to add is no limit: a deadline decades away.
        let deadline = now
            .checked_add(self.inner.timeout)
            .unwrap_or_else(|| now + FAR_FUTURE);
        let timed_out = || AttemptError::TimedOut(self.inner.timeout);
        if let Some(tokens) = &self.inner.tokens {
            if !operation.public && tokens.cached().is_none() {
                match tokio::time::timeout_at(deadline, tokens.token()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(err)) => return Err(AttemptError::Auth(err)),
                    Err(_) => return Err(timed_out()),
                }
            }
        }
        match tokio::time::timeout_at(deadline, attempt).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(AttemptError::Api(Box::new(err))),
            Err(_) => Err(timed_out()),
        }
    }

    /// One attempt of a call that is never repeated (it creates something whose answer
    /// cannot be recovered).
    async fn once<T, Fut>(&self, operation: Operation, attempt: Fut) -> Result<T>
    where
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>>,
    {
        let span = operation_span(operation, None);
        span.record("carbonext.attempts", 1);
        let outcome = self
            .attempt(operation, attempt)
            .instrument(span.clone())
            .await
            .map_err(|err| err.into_error(operation));
        record_outcome(&span, &outcome);
        outcome
    }

    /// Runs `attempt` under the retry policy; for calls that are safe to repeat.
    async fn retrying<T, F, Fut>(&self, operation: Operation, attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>>,
    {
        self.with_retries(operation, None, attempt, |err| async move {
            let failure = err.failure();
            if failure.retryable() {
                Verdict::Retry {
                    after: failure.wait(),
                    error: err,
                }
            } else {
                Verdict::Done(Err(err))
            }
        })
        .await
    }

    /// The facade's use of the one retry loop ([`RetryPolicy::run`]): each attempt bounded
    /// by the time limit, `settle` deciding after each failure, the error made the caller's.
    async fn with_retries<T, F, Fut, S, SF>(
        &self,
        operation: Operation,
        order_key: Option<&OrderKey>,
        mut attempt: F,
        mut settle: S,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>>,
        S: FnMut(AttemptError) -> SF,
        SF: Future<Output = Verdict<T, AttemptError>>,
    {
        let span = operation_span(operation, order_key);
        let outcome = self
            .inner
            .retry
            .run(
                |tries| {
                    tracing::Span::current().record("carbonext.attempts", tries);
                    // Boxed where it is made: the generated client's futures are large, and
                    // the loop would otherwise carry them inline.
                    Box::pin(self.attempt(operation, attempt()))
                },
                |err, tries| {
                    tracing::debug!(attempt = tries, failure = ?err.failure(), "attempt failed");
                    settle(err)
                },
            )
            .instrument(span.clone())
            .await
            .map_err(|err| err.into_error(operation));
        record_outcome(&span, &outcome);
        outcome
    }

    /// [`VcuMarket::place_order`], also telling whether an order with the caller-given key
    /// already existed (so nothing was placed by this call).
    ///
    /// Sent again only when it provably was not processed: connect errors and 429 are
    /// retried; after an ambiguous failure (time-out, dropped connection, 5xx) the order is
    /// looked up by its key first, and sent again only when no order carries it.
    pub async fn place_order_once(&self, order: NewOrder) -> Result<PlacedOrder> {
        if !order.key_was_given() {
            // A generated key is this call's alone and needs no lock.
            return self.place_order_held(order, None).await;
        }
        let key = order.key().clone();
        // Held until this placement is settled: concurrent placements of the key wait, then
        // find this one's order.
        let wait = self.inner.key_wait;
        let now = Instant::now();
        let deadline = now.checked_add(wait).unwrap_or_else(|| now + FAR_FUTURE);
        let held = match tokio::time::timeout_at(deadline, self.inner.key_lock.acquire(&key)).await
        {
            Ok(held) => held?,
            Err(_) => {
                return Err(Error::KeyLock {
                    key,
                    reason: KeyLockError::TimedOut { waited: wait },
                })
            }
        };
        let placed = self.place_order_held(order, Some(&held)).await;
        held.release().await;
        placed
    }

    /// The placement itself, with the key's lock `held` when the caller gave the key.
    async fn place_order_held(
        &self,
        order: NewOrder,
        held: Option<&KeyGuard>,
    ) -> Result<PlacedOrder> {
        let key = order.key().clone();
        if held.is_some() {
            if let Some(existing) = self.find_by_key(&key).await? {
                tracing::debug!(order_key = %key, order_id = %existing.id, "an order with this key exists; not placing another");
                return Ok(PlacedOrder {
                    order: existing,
                    already_existed: true,
                });
            }
            if let Some(lost) = lost_lock(&key, held, false) {
                return Err(lost);
            }
        }
        let body = order.to_wire();
        let key = &key;
        self.with_retries(
            operations::CREATE_ORDER,
            Some(key),
            || {
                let sent = self.api().create_order().body(body.clone()).send();
                async move {
                    let created = sent.await?.into_inner();
                    Ok(PlacedOrder {
                        order: Order::from(created),
                        already_existed: false,
                    })
                }
            },
            |err| self.settle_order(key, held, err),
        )
        .await
    }

    /// What a failed attempt to place the order with `key` means: retried when it provably
    /// was not processed, settled by looking the key up when it may have been.
    ///
    /// With the key's lock `held`, a lost lock stops the placement instead of sending again:
    /// another process may hold the key by now.
    async fn settle_order(
        &self,
        key: &OrderKey,
        held: Option<&KeyGuard>,
        err: AttemptError,
    ) -> Verdict<PlacedOrder, AttemptError> {
        let lost =
            || lost_lock(key, held, true).map(|e| Verdict::Done(Err(AttemptError::Settled(e))));
        let unknown = |err: AttemptError, why: String| {
            Verdict::Done(Err(AttemptError::Settled(Error::OutcomeUnknown {
                key: key.clone(),
                message: format!("{}; {why}", err.into_error(operations::CREATE_ORDER)),
            })))
        };
        // `Processed`: a 2xx whose body was undecodable or too large, so the order exists.
        let failure = err.failure();
        match failure {
            Failure::Final => Verdict::Done(Err(err)),
            Failure::NotSent | Failure::Throttled(_) => lost().unwrap_or(Verdict::Retry {
                after: failure.wait(),
                error: err,
            }),
            Failure::Ambiguous | Failure::Processed => match self.find_by_key(key).await {
                Ok(Some(existing)) => {
                    tracing::debug!(order_key = %key, order_id = %existing.id, "the order was placed after all");
                    Verdict::Done(Ok(PlacedOrder {
                        order: existing,
                        already_existed: false,
                    }))
                }
                // Never sent again after a success status: that could place it twice.
                Ok(None) if failure == Failure::Processed => {
                    unknown(err, "no order with this key was found".to_owned())
                }
                // Provably absent: safe to send again (the policy permitting), while the key
                // is still ours.
                Ok(None) => lost().unwrap_or(Verdict::Retry {
                    after: None,
                    error: err,
                }),
                Err(lookup) => unknown(err, format!("looking the order up failed: {lookup}")),
            },
        }
    }

    /// Looks an order up by its key: `Ok(Some)` found, `Ok(None)` provably absent.
    ///
    /// The API filters metaData with `like`, which also matches the keys that contain this
    /// one (`shipment_1` in `shipment_10`…): every page of matches is read until the exact key
    /// turns up, since stopping at the first page could miss it and place it twice. Orders
    /// created meanwhile only push matches towards later pages, so none is skipped.
    pub(crate) async fn find_by_key(&self, key: &OrderKey) -> Result<Option<Order>> {
        let query = OrderQuery::new().key(key).page_size(STREAM_PAGE_SIZE);
        let mut number = 1;
        loop {
            let page = self.orders_page(query.clone(), number).await?;
            if let Some(found) = page.items.into_iter().find(|o| o.key() == Some(key)) {
                return Ok(Some(found));
            }
            if i64::from(number) >= i64::from(page.total_pages) {
                return Ok(None);
            }
            number += 1;
        }
    }

    fn paginate<T, F, Fut>(&self, fetch: F) -> BoxStream<'static, Result<T>>
    where
        T: Send + 'static,
        F: Fn(u32) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Page<T>>> + Send + 'static,
    {
        let prefetch = self.inner.prefetch;
        let fetch = Arc::new(fetch);
        let first = fetch(1);
        stream::once(first)
            .flat_map(move |first| match first {
                Err(err) => stream::iter(vec![Err(err)]).boxed(),
                Ok(page) => {
                    let pages = u32::try_from(page.total_pages).unwrap_or(0).max(1);
                    let fetch = Arc::clone(&fetch);
                    let rest = stream::iter(2..=pages)
                        .map(move |n| fetch(n))
                        .buffered(prefetch)
                        .flat_map(|page| match page {
                            Ok(page) => {
                                stream::iter(page.items.into_iter().map(Ok).collect::<Vec<_>>())
                            }
                            Err(err) => stream::iter(vec![Err(err)]),
                        });
                    stream::iter(page.items.into_iter().map(Ok).collect::<Vec<_>>())
                        .chain(rest)
                        .boxed()
                }
            })
            .scan(false, |failed, item| {
                // End the stream after the first error.
                if *failed {
                    return futures::future::ready(None);
                }
                *failed = item.is_err();
                futures::future::ready(Some(item))
            })
            .boxed()
    }
}

/// The span of one SDK operation, around all its attempts: `carbonext.operation` (the
/// operation id), `carbonext.attempts`, `carbonext.order_key` when there is one, and
/// `error.type` when it fails. Each attempt's HTTP exchanges are `carbonext.http` spans inside.
fn operation_span(operation: Operation, order_key: Option<&OrderKey>) -> tracing::Span {
    let span = tracing::info_span!(
        "carbonext.operation",
        otel.name = operation.id,
        carbonext.operation = operation.id,
        carbonext.attempts = tracing::field::Empty,
        carbonext.order_key = tracing::field::Empty,
        error.type = tracing::field::Empty,
    );
    if let Some(key) = order_key {
        span.record("carbonext.order_key", key.as_str());
    }
    span
}

/// Records a failed operation's `error.type` (the [`Error`] variant) on its span.
fn record_outcome<T>(span: &tracing::Span, outcome: &Result<T>) {
    if let Err(err) = outcome {
        span.record("error.type", err.kind());
    }
}

fn check_page(page: u32) -> Result<i32> {
    if page == 0 || page > i32::MAX as u32 {
        return Err(ValidationError::OutOfRange {
            what: "page",
            value: u64::from(page),
            max: i32::MAX as u64,
        }
        .into());
    }
    Ok(page as i32)
}

fn check_page_size(size: u32) -> Result<i32> {
    if size == 0 || size > MAX_PAGE_SIZE {
        return Err(ValidationError::OutOfRange {
            what: "page size",
            value: u64::from(size),
            max: u64::from(MAX_PAGE_SIZE),
        }
        .into());
    }
    Ok(size as i32)
}

#[async_trait]
impl VcuMarket for Carbonext {
    async fn quote(&self, amount: VcuAmount, currency: Currency) -> Result<Quote> {
        let price = self
            .retrying(operations::GET_PRICE, || {
                self.api()
                    .get_price()
                    .vcu_amount(DecimalText(amount.value()))
                    .target_currency(currency.clone())
                    .send()
            })
            .await?
            .into_inner();
        Quote::new(amount, price.vcu_price.value(), price.currency).ok_or_else(|| {
            ValidationError::AmountTooLarge {
                value: amount.to_string(),
            }
            .into()
        })
    }

    async fn place_order(&self, order: NewOrder) -> Result<Order> {
        self.place_order_once(order)
            .await
            .map(|placed| placed.order)
    }

    async fn cancel_order(&self, id: OrderId) -> Result<Order> {
        let order = self
            .retrying(operations::CANCEL_ORDER, || {
                self.api().cancel_order().order_id(id.0).send()
            })
            .await?;
        Ok(Order::from(order.into_inner()))
    }

    async fn cancel_orders(&self, ids: Vec<OrderId>) -> Result<Vec<Order>> {
        if ids.is_empty() {
            return Err(ValidationError::Empty {
                what: "the list of orders to cancel",
            }
            .into());
        }
        let body = carbonext_api::types::CancelOrders {
            orders_ids: ids.iter().map(|id| id.0).collect(),
        };
        let cancelled = self
            .retrying(operations::CANCEL_ORDERS, || {
                self.api().cancel_orders().body(body.clone()).send()
            })
            .await?
            .into_inner();
        Ok(match cancelled {
            carbonext_api::CancelledOrders::Array(orders) => {
                orders.into_iter().map(Order::from).collect()
            }
            carbonext_api::CancelledOrders::Order(order) => vec![Order::from(order)],
        })
    }
}

#[async_trait]
impl Ledger for Carbonext {
    async fn balance(&self, period: Option<Period>) -> Result<Balance> {
        let period = period.unwrap_or_default();
        let balance = self
            .retrying(operations::GET_BALANCE, || {
                let mut call = self.api().get_balance();
                if let Some(start) = period.start() {
                    call = call.start_date(start);
                }
                if let Some(end) = period.end() {
                    call = call.end_date(end);
                }
                call.send()
            })
            .await?;
        Ok(Balance::from(balance.into_inner()))
    }

    async fn orders_page(&self, query: OrderQuery, page: u32) -> Result<Page<Order>> {
        let page = check_page(page)?;
        let filter = query.filter_by()?;
        let sort = query.sort_by();
        let size = query
            .checked_page_size()?
            .map(check_page_size)
            .transpose()?;
        let result = self
            .retrying(operations::LIST_ORDERS, || {
                let mut call = self.api().list_orders().page(nonzero(page));
                if let Some(size) = size {
                    call = call.page_size(nonzero(size));
                }
                if let Some(filter) = &filter {
                    call = call.filter_by(filter.clone());
                }
                if let Some(sort) = &sort {
                    call = call.sort_by(sort.clone());
                }
                call.send()
            })
            .await?;
        Ok(result.into_inner().map(Order::from))
    }

    fn orders(&self, query: OrderQuery) -> BoxStream<'static, Result<Order>> {
        let query = query.with_default_page_size(STREAM_PAGE_SIZE);
        let this = self.clone();
        self.paginate(move |page| {
            let this = this.clone();
            let query = query.clone();
            async move { this.orders_page(query, page).await }
        })
    }

    async fn invoices_page(&self, query: InvoiceQuery, page: u32) -> Result<Page<Invoice>> {
        let page = check_page(page)?;
        let filter = query.filter_by()?;
        let sort = query.sort_by();
        let size = query
            .checked_page_size()?
            .map(check_page_size)
            .transpose()?;
        let result = self
            .retrying(operations::LIST_INVOICES, || {
                let mut call = self.api().list_invoices().page(nonzero(page));
                if let Some(size) = size {
                    call = call.page_size(nonzero(size));
                }
                if let Some(filter) = &filter {
                    call = call.filter_by(filter.clone());
                }
                if let Some(sort) = &sort {
                    call = call.sort_by(sort.clone());
                }
                call.send()
            })
            .await?;
        Ok(result.into_inner().map(Invoice::from))
    }

    fn invoices(&self, query: InvoiceQuery) -> BoxStream<'static, Result<Invoice>> {
        let query = query.with_default_page_size(STREAM_PAGE_SIZE);
        let this = self.clone();
        self.paginate(move |page| {
            let this = this.clone();
            let query = query.clone();
            async move { this.invoices_page(query, page).await }
        })
    }

    async fn invoice(&self, id: InvoiceId) -> Result<Invoice> {
        let invoice = self
            .retrying(operations::GET_INVOICE, || {
                self.api().get_invoice().id(id.0).send()
            })
            .await?;
        Ok(Invoice::from(invoice.into_inner()))
    }
}

/// A page of airports as domain values. An airport whose code is not three letters could not
/// be used in a route: it is left out, with a warning.
fn airports_page(page: Page<carbonext_api::types::Airport>) -> Page<Airport> {
    let index = page.page_index;
    page.filter_map(|wire| match Airport::try_from(wire) {
        Ok(airport) => Some(airport),
        Err(err) => {
            tracing::warn!(page = index, "airport left out: {err}");
            None
        }
    })
}

/// Page numbers and sizes are validated ≥ 1 before they get here.
fn nonzero(value: i32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(value as u32).expect("validated to be at least 1")
}

#[async_trait]
impl Calculator for Carbonext {
    async fn transport_types(&self) -> Result<Vec<TransportType>> {
        let types = self
            .retrying(operations::LIST_CALCULATOR_TYPES, || {
                self.api().list_calculator_types().send()
            })
            .await?;
        Ok(types
            .into_inner()
            .types
            .into_iter()
            .map(TransportType::from)
            .collect())
    }

    fn airports(&self) -> BoxStream<'static, Result<Airport>> {
        let this = self.clone();
        self.paginate(move |page| {
            let this = this.clone();
            async move {
                let page = check_page(page)?;
                let result = this
                    .retrying(operations::LIST_AIRPORTS, || {
                        this.api()
                            .list_airports()
                            .page(nonzero(page))
                            .page_size(nonzero(STREAM_PAGE_SIZE as i32))
                            .send()
                    })
                    .await?;
                Ok(airports_page(result.into_inner()))
            }
        })
    }

    async fn emissions_by_distance(
        &self,
        transport: TransportId,
        meters: Decimal,
    ) -> Result<Emission> {
        if meters <= Decimal::ZERO {
            return Err(ValidationError::NonPositiveAmount {
                value: meters.to_string(),
            }
            .into());
        }
        let body = carbonext_api::EmissionRequest::DistanceEmissionRequest(
            carbonext_api::types::DistanceEmissionRequest {
                type_: transport.value(),
                distance: meters.into(),
            },
        );
        let emission = self
            .retrying(operations::CALCULATE_EMISSION, || {
                self.api().calculate_emission().body(body.clone()).send()
            })
            .await?;
        Ok(Emission::from(emission.into_inner()))
    }

    async fn emissions_by_route(
        &self,
        transport: TransportId,
        route: Route,
        units: Decimal,
    ) -> Result<Emission> {
        if units <= Decimal::ZERO {
            return Err(ValidationError::NonPositiveAmount {
                value: units.to_string(),
            }
            .into());
        }
        let body = carbonext_api::EmissionRequest::RouteEmissionRequest(
            carbonext_api::types::RouteEmissionRequest {
                type_: transport.value(),
                origin_code: route.origin_code().to_owned(),
                dest_code: route.destination_code().to_owned(),
                unit_value: units.into(),
            },
        );
        let emission = self
            .retrying(operations::CALCULATE_EMISSION, || {
                self.api().calculate_emission().body(body.clone()).send()
            })
            .await?;
        Ok(Emission::from(emission.into_inner()))
    }
}

#[async_trait]
impl Accounts for Carbonext {
    async fn create_user(&self, user: NewUser) -> Result<User> {
        // Not retried: a lost answer could otherwise create the user twice.
        let created = self
            .once(
                operations::CREATE_USER,
                self.api().create_user().body(user.to_wire()).send(),
            )
            .await?;
        Ok(User::from(created.into_inner()))
    }

    async fn users_page(&self, page: u32, page_size: u32) -> Result<Page<User>> {
        let (page, size) = (check_page(page)?, check_page_size(page_size)?);
        let users = self
            .retrying(operations::LIST_USERS, || {
                self.api()
                    .list_users()
                    .page(nonzero(page))
                    .page_size(nonzero(size))
                    .send()
            })
            .await?;
        Ok(users.into_inner().map(User::from))
    }

    async fn user(&self, id: UserId) -> Result<User> {
        let user = self
            .retrying(operations::GET_USER, || {
                self.api()
                    .get_user()
                    .id(id.0)
                    .include_permissions(true)
                    .send()
            })
            .await?;
        Ok(User::from(user.into_inner()))
    }

    async fn update_user(&self, id: UserId, update: UserUpdate) -> Result<User> {
        let update = update.to_wire();
        let user = self
            .retrying(operations::UPDATE_USER, || {
                self.api()
                    .update_user()
                    .id(id.0)
                    .body(update.clone())
                    .send()
            })
            .await?;
        Ok(User::from(user.into_inner()))
    }

    async fn delete_user(&self, id: UserId) -> Result<()> {
        self.retrying(operations::DELETE_USER, || {
            self.api().delete_user().id(id.0).send()
        })
        .await?;
        Ok(())
    }

    async fn create_api_key(&self, key: NewApiKey) -> Result<NewApiKeySecret> {
        // Not retried: a lost answer would lose the secret, and a retry would create a second key.
        let created = self
            .once(
                operations::CREATE_APPLICATION,
                self.api().create_application().body(key.to_wire()).send(),
            )
            .await?;
        Ok(NewApiKeySecret::from(created.into_inner()))
    }

    async fn api_keys_page(&self, page: u32, page_size: u32) -> Result<Page<ApiKey>> {
        let (page, size) = (check_page(page)?, check_page_size(page_size)?);
        let keys = self
            .retrying(operations::LIST_APPLICATIONS, || {
                self.api()
                    .list_applications()
                    .page(nonzero(page))
                    .page_size(nonzero(size))
                    .send()
            })
            .await?;
        Ok(keys.into_inner().map(ApiKey::from))
    }

    async fn api_key(&self, id: ApiKeyId) -> Result<ApiKey> {
        let key = self
            .retrying(operations::GET_APPLICATION, || {
                self.api().get_application().id(id.0).send()
            })
            .await?;
        Ok(ApiKey::from(key.into_inner()))
    }

    async fn permissions(&self) -> Result<Vec<Permission>> {
        let list = self
            .retrying(operations::LIST_PERMISSIONS, || {
                self.api()
                    .list_permissions()
                    .page(nonzero(1))
                    .page_size(nonzero(MAX_PAGE_SIZE as i32))
                    .send()
            })
            .await?;
        let items = match list.into_inner() {
            carbonext_api::types::PermissionList::Array(items) => items,
            carbonext_api::types::PermissionList::PermissionPage(page) => page.items,
        };
        Ok(items.into_iter().map(Permission::from).collect())
    }

    async fn resources(&self) -> Result<Vec<Resource>> {
        let resources = self
            .retrying(operations::LIST_RESOURCES, || {
                self.api().list_resources().send()
            })
            .await?;
        Ok(resources
            .into_inner()
            .entities
            .into_iter()
            .map(Resource::from)
            .collect())
    }

    async fn allowed_filters(&self, resource: Resource) -> Result<AllowedFilters> {
        let filters = self
            .retrying(operations::GET_ALLOWED_FILTERS, || {
                self.api()
                    .get_allowed_filters()
                    .resource(resource.as_str())
                    .send()
            })
            .await?;
        Ok(AllowedFilters::from(filters.into_inner()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn airports_whose_code_no_route_could_use_are_left_out_of_the_page() {
        let wire = |code: &str| carbonext_api::types::Airport {
            code: code.to_owned(),
            city: Some("Somewhere".into()),
            country: None,
        };
        let page = Page {
            items: vec![wire("gru"), wire("SBGR"), wire("GIG")],
            page_index: 3,
            total_pages: 7,
            total_count: 61,
            aggregations: None,
            has_previous_page: true,
            has_next_page: true,
        };
        let page = airports_page(page);
        let codes: Vec<&str> = page.items.iter().map(|a| a.code.as_str()).collect();
        assert_eq!(codes, ["GRU", "GIG"]);
        assert_eq!(
            (page.page_index, page.total_pages, page.total_count),
            (3, 7, 61)
        );
        assert_eq!(page.items[0].city.as_deref(), Some("Somewhere"));
    }
}
