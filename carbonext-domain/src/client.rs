//! [`Carbonext`]: the facade implementing every trait over the generated client and the token
//! cache, with retries, exactly-once orders and prefetching pagination streams.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use carbonext_api::types::ProblemDetails;
use carbonext_api::{DecimalText, Page};
use carbonext_auth::TokenGeneration;
use futures::stream::{self, BoxStream, StreamExt};
use rust_decimal::Decimal;
use tokio::time::Instant;

use crate::accounts::{
    AllowedFilters, ApiKey, ApiKeyId, NewApiKey, NewApiKeySecret, NewUser, Permission, User,
    UserId, UserUpdate,
};
use crate::calculator::{Airport, Emission, TransportType};
use crate::error::{Error, Result, ValidationError};
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

/// A token for the request about to be signed, when the cache had none, and its generation
/// (`None` if it was dropped again at once).
async fn fresh_token(
    tokens: &carbonext_auth::TokenCache,
) -> std::result::Result<Option<TokenGeneration>, AttemptError> {
    tokens.token().await.map_err(AttemptError::Auth)?;
    Ok(tokens.generation())
}

/// Stands for a time limit too large to add to an `Instant`.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 86_400);

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
    /// The client the facade's calls use.
    api: carbonext_api::Client,
    /// The client [`Carbonext::raw`] hands out: `api` itself, unless the facade built `api`
    /// with an auth hook that only signs (then this one's hook handles 401s itself).
    raw: carbonext_api::Client,
    /// Set when the facade built the client: its auth hook then only signs requests, and the
    /// facade answers a 401 itself: it drops the refused token from this cache and sends the
    /// attempt again (built anew) once. A client given to [`Carbonext::from_client`] handles
    /// 401s in its own hook, if it has one.
    tokens: Option<carbonext_auth::TokenCache>,
    retry: RetryPolicy,
    prefetch: usize,
    /// Time limit of one attempt (request sent, answer read whole).
    timeout: Duration,
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
#[derive(Debug, Default)]
pub struct CarbonextBuilder {
    environment: Option<carbonext_auth::Environment>,
    credentials: Option<carbonext_auth::Credentials>,
    http: Option<reqwest::Client>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    prefetch: Option<usize>,
    body_limit: Option<u64>,
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
        let client = || {
            carbonext_auth::ClientBuilder::new(environment.api_url(), tokens.clone())
                .http_client(http.clone())
                .body_limit(body_limit)
        };
        // The facade answers 401s itself, by dropping the refused token and building the
        // request again: its own client's hook only signs. `raw()` users get a hook that
        // handles 401s on its own.
        let api = client().sign_only().build();
        let raw = client().build();
        let carbonext = Carbonext::from_client(api)
            .with_retry_policy(self.retry.unwrap_or_default())
            .with_prefetch(self.prefetch.unwrap_or(4))
            .with_timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT));
        Ok(carbonext.rebuild(|inner| {
            inner.raw = raw;
            inner.tokens = Some(tokens);
        }))
    }
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
                raw: api.clone(),
                api,
                tokens: None,
                retry: RetryPolicy::default(),
                prefetch: 4,
                timeout: DEFAULT_TIMEOUT,
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

    /// The same client with another prefetch depth for the streams.
    pub fn with_prefetch(self, pages: usize) -> Self {
        self.rebuild(|inner| inner.prefetch = pages.max(1))
    }

    fn rebuild(self, change: impl FnOnce(&mut Inner)) -> Self {
        let mut inner = Inner {
            api: self.inner.api.clone(),
            raw: self.inner.raw.clone(),
            tokens: self.inner.tokens.clone(),
            retry: self.inner.retry.clone(),
            prefetch: self.inner.prefetch,
            timeout: self.inner.timeout,
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

    /// The raw client underneath, for calls this crate does not wrap: it shares the facade's
    /// HTTP connections and token cache, and its auth hook drops a refused token and sends the
    /// request again once by itself (see `carbonext_auth::AuthHook`). For a facade made with
    /// [`Carbonext::from_client`], the client given.
    pub fn raw(&self) -> &carbonext_api::Client {
        &self.inner.raw
    }

    fn api(&self) -> &carbonext_api::Client {
        &self.inner.api
    }

    /// Runs one attempt (the request `make` builds) within the facade's time limit; when the
    /// API answers it 401 and the facade built the client, drops the refused token and sends a
    /// newly built request once more, with a new token. A 401 means the request was not
    /// processed, so this holds for orders too.
    ///
    /// `operation` is the operation's id; `now` is the current time, which the caller has
    /// read already.
    async fn attempt<T, F, Fut>(
        &self,
        operation: &'static str,
        now: Instant,
        mut make: F,
    ) -> std::result::Result<T, AttemptError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>> + Unpin,
    {
        let Some(tokens) = &self.inner.tokens else {
            return self.timed(now, make()).await;
        };
        // The token the request will carry, to drop exactly that one if the API refuses it.
        let signed_with = match tokens.generation() {
            Some(generation) => Some(generation),
            // A public operation goes without a token rather than wait for one, as the auth
            // hook does (should the API answer 401 after all, the resend gets one).
            None if carbonext_auth::is_public_operation(operation) => None,
            // Boxed: only a cold cache pays for the token request.
            None => Box::pin(self.token_within(now, tokens)).await?,
        };
        match self.timed(now, make()).await {
            // Boxed: only a 401 pays for the second attempt's future.
            Err(AttemptError::Api(err)) if unauthorized(&err) => {
                Box::pin(self.resend(tokens, signed_with, make)).await
            }
            first => first,
        }
    }

    /// The second send of [`Carbonext::attempt`], after a 401 to a request signed with the
    /// token of generation `refused`.
    async fn resend<T, F, Fut>(
        &self,
        tokens: &carbonext_auth::TokenCache,
        refused: Option<TokenGeneration>,
        mut make: F,
    ) -> std::result::Result<T, AttemptError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>> + Unpin,
    {
        if let Some(refused) = refused {
            tokens.invalidate_if_generation(refused);
        }
        tracing::debug!("API answered 401; sending again with a new access token");
        let now = Instant::now();
        let signed_with = match tokens.generation() {
            Some(generation) => Some(generation),
            None => self.token_within(now, tokens).await?,
        };
        let outcome = self.timed(now, make()).await;
        if let Err(AttemptError::Api(err)) = &outcome {
            if let Some(refused) = signed_with.filter(|_| unauthorized(err)) {
                // Refused again: not resent, but the next call must not carry it either.
                tokens.invalidate_if_generation(refused);
            }
        }
        outcome
    }

    /// A token for the request of an attempt started at `now`, when the cache has none, and
    /// its generation; within the attempt's time limit.
    async fn token_within(
        &self,
        now: Instant,
        tokens: &carbonext_auth::TokenCache,
    ) -> std::result::Result<Option<TokenGeneration>, AttemptError> {
        match tokio::time::timeout_at(self.deadline(now), fresh_token(tokens)).await {
            Ok(generation) => generation,
            Err(_) => Err(AttemptError::TimedOut(self.inner.timeout)),
        }
    }

    /// The end of the time limit of an attempt started at `now`.
    fn deadline(&self, now: Instant) -> Instant {
        // A time limit too large to add is no limit: a deadline decades away.
        now.checked_add(self.inner.timeout)
            .unwrap_or_else(|| now + FAR_FUTURE)
    }

    /// Runs `attempt`, started at `now`, within the facade's time limit.
    async fn timed<T, Fut>(
        &self,
        now: Instant,
        attempt: Fut,
    ) -> std::result::Result<T, AttemptError>
    where
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>> + Unpin,
    {
        match tokio::time::timeout_at(self.deadline(now), attempt).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(AttemptError::Api(Box::new(err))),
            Err(_) => Err(AttemptError::TimedOut(self.inner.timeout)),
        }
    }

    /// One attempt of a call that is never repeated (it creates something whose answer
    /// cannot be recovered).
    async fn once<T, F, Fut>(&self, operation: &'static str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>>,
    {
        self.attempt(operation, Instant::now(), || Box::pin(attempt()))
            .await
            .map_err(|err| err.into_error(operation))
    }

    /// Runs `attempt` under the retry policy; for calls that are safe to repeat.
    ///
    /// Only the first attempt is part of this future: the retries (their loop, their back-off
    /// sleep, their logging) are a boxed future of their own that only a failed call makes,
    /// so that the code every successful call runs stays small.
    async fn retrying<T, F, Fut>(&self, operation: &'static str, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>>,
    {
        let started = Instant::now();
        // Boxed where it is made: the generated client's futures are nearly a kilobyte,
        // and every layer above (time limit, retry loop, the trait's boxed future) would
        // otherwise copy them whole as they move.
        match self
            .attempt(operation, started, || Box::pin(attempt()))
            .await
        {
            Ok(value) => Ok(value),
            Err(err) => Box::pin(self.retry_after(operation, started, err, attempt)).await,
        }
    }

    /// The rest of [`Carbonext::retrying`] after its first attempt failed with `err`.
    async fn retry_after<T, F, Fut>(
        &self,
        operation: &'static str,
        started: Instant,
        mut err: AttemptError,
        mut attempt: F,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = std::result::Result<T, carbonext_api::Error<ProblemDetails>>>,
    {
        let policy = &self.inner.retry;
        let mut tries = 1;
        loop {
            let failure = err.failure();
            let wait = match failure {
                Failure::Throttled(Some(secs)) => Duration::from_secs(secs),
                _ => policy.backoff(tries),
            };
            let out_of_budget =
                tries >= policy.max_attempts || started.elapsed() + wait > policy.max_elapsed;
            if !failure.retryable() || out_of_budget {
                return Err(err.into_error(operation));
            }
            tracing::debug!(
                operation,
                attempt = tries,
                ?failure,
                wait_ms = wait.as_millis() as u64,
                "retrying"
            );
            tokio::time::sleep(wait).await;
            tries += 1;
            err = match self
                .attempt(operation, Instant::now(), || Box::pin(attempt()))
                .await
            {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
        }
    }

    /// [`VcuMarket::place_order`], also telling whether an order with the caller-given key
    /// already existed (so nothing was placed by this call).
    pub async fn place_order_once(&self, order: NewOrder) -> Result<PlacedOrder> {
        let policy = &self.inner.retry;
        let key = order.key().clone();
        if order.key_was_given() {
            if let Some(existing) = self.find_by_key(&key).await? {
                tracing::debug!(order_key = %key, order_id = %existing.id, "an order with this key exists; not placing another");
                return Ok(PlacedOrder {
                    order: existing,
                    already_existed: true,
                });
            }
        }
        let body = order.to_wire();
        let started = Instant::now();
        let mut tries = 0;
        loop {
            tries += 1;
            let send = || Box::pin(self.api().create_order().body(body.clone()).send());
            let err = match self.attempt("create_order", Instant::now(), send).await {
                Ok(created) => {
                    return Ok(PlacedOrder {
                        order: Order::from(created.into_inner()),
                        already_existed: false,
                    })
                }
                Err(err) => err,
            };
            // `Processed`: a 2xx whose body was undecodable or too large, so the order exists.
            let failure = err.failure();
            tracing::debug!(attempt = tries, ?failure, order_key = %key, "placing the order failed");
            match failure {
                Failure::Final => return Err(err.into_error("create_order")),
                Failure::NotSent | Failure::Throttled(_) => {}
                Failure::Ambiguous | Failure::Processed => match self.find_by_key(&key).await {
                    Ok(Some(existing)) => {
                        tracing::debug!(order_key = %key, order_id = %existing.id, "the order was placed after all");
                        return Ok(PlacedOrder {
                            order: existing,
                            already_existed: false,
                        });
                    }
                    // Never sent again after a success status: that could place it twice.
                    Ok(None) if failure == Failure::Processed => {
                        return Err(Error::OutcomeUnknown {
                            key,
                            message: format!(
                                "{}; no order with this key was found",
                                err.into_error("create_order")
                            ),
                        })
                    }
                    Ok(None) => {}
                    Err(lookup) => {
                        return Err(Error::OutcomeUnknown {
                            key,
                            message: format!(
                                "{}; looking the order up failed: {lookup}",
                                err.into_error("create_order")
                            ),
                        })
                    }
                },
            }
            let wait = match failure {
                Failure::Throttled(Some(secs)) => Duration::from_secs(secs),
                _ => policy.backoff(tries),
            };
            if tries >= policy.max_attempts || started.elapsed() + wait > policy.max_elapsed {
                // Every ambiguous failure was checked: the order provably does not exist.
                return Err(err.into_error("create_order"));
            }
            tokio::time::sleep(wait).await;
        }
    }

    /// Looks an order up by its key: `Ok(Some)` found, `Ok(None)` provably absent.
    async fn find_by_key(&self, key: &OrderKey) -> Result<Option<Order>> {
        let page = self
            .orders_page(OrderQuery::new().key(key).page_size(10), 1)
            .await?;
        Ok(page.items.into_iter().find(|o| o.key() == Some(key)))
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
            .retrying("get_price", || {
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
            .retrying("cancel_order", || {
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
            .retrying("cancel_orders", || {
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
            .retrying("get_balance", || {
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
            .retrying("list_orders", || {
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
            .retrying("list_invoices", || {
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
            .retrying("get_invoice", || self.api().get_invoice().id(id.0).send())
            .await?;
        Ok(Invoice::from(invoice.into_inner()))
    }
}

/// Page numbers and sizes are validated ≥ 1 before they get here.
fn nonzero(value: i32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(value as u32).expect("validated to be at least 1")
}

#[async_trait]
impl Calculator for Carbonext {
    async fn transport_types(&self) -> Result<Vec<TransportType>> {
        let types = self
            .retrying("list_calculator_types", || {
                self.api().list_calculator_types().send()
            })
            .await?;
        Ok(types.into_inner().types)
    }

    fn airports(&self) -> BoxStream<'static, Result<Airport>> {
        let this = self.clone();
        self.paginate(move |page| {
            let this = this.clone();
            async move {
                let page = check_page(page)?;
                let result = this
                    .retrying("list_airports", || {
                        this.api()
                            .list_airports()
                            .page(nonzero(page))
                            .page_size(nonzero(STREAM_PAGE_SIZE as i32))
                            .send()
                    })
                    .await?;
                Ok(result.into_inner())
            }
        })
    }

    async fn emissions_by_distance(&self, transport: i32, meters: Decimal) -> Result<Emission> {
        if meters <= Decimal::ZERO {
            return Err(ValidationError::NonPositiveAmount {
                value: meters.to_string(),
            }
            .into());
        }
        let body = carbonext_api::EmissionRequest::DistanceEmissionRequest(
            carbonext_api::types::DistanceEmissionRequest {
                type_: transport,
                distance: meters.into(),
            },
        );
        let emission = self
            .retrying("calculate_emission", || {
                self.api().calculate_emission().body(body.clone()).send()
            })
            .await?;
        Ok(emission.into_inner())
    }

    async fn emissions_by_route(
        &self,
        transport: i32,
        origin: String,
        destination: String,
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
                type_: transport,
                origin_code: origin,
                dest_code: destination,
                unit_value: units.into(),
            },
        );
        let emission = self
            .retrying("calculate_emission", || {
                self.api().calculate_emission().body(body.clone()).send()
            })
            .await?;
        Ok(emission.into_inner())
    }
}

#[async_trait]
impl Accounts for Carbonext {
    async fn create_user(&self, user: NewUser) -> Result<User> {
        // Not retried: a lost answer could otherwise create the user twice.
        let created = self
            .once("create_user", || {
                self.api().create_user().body(user.clone()).send()
            })
            .await?;
        Ok(created.into_inner())
    }

    async fn users_page(&self, page: u32, page_size: u32) -> Result<Page<User>> {
        let (page, size) = (check_page(page)?, check_page_size(page_size)?);
        let users = self
            .retrying("list_users", || {
                self.api()
                    .list_users()
                    .page(nonzero(page))
                    .page_size(nonzero(size))
                    .send()
            })
            .await?;
        Ok(users.into_inner())
    }

    async fn user(&self, id: UserId) -> Result<User> {
        let user = self
            .retrying("get_user", || {
                self.api()
                    .get_user()
                    .id(id)
                    .include_permissions(true)
                    .send()
            })
            .await?;
        Ok(user.into_inner())
    }

    async fn update_user(&self, id: UserId, update: UserUpdate) -> Result<User> {
        let user = self
            .retrying("update_user", || {
                self.api().update_user().id(id).body(update.clone()).send()
            })
            .await?;
        Ok(user.into_inner())
    }

    async fn delete_user(&self, id: UserId) -> Result<()> {
        self.retrying("delete_user", || self.api().delete_user().id(id).send())
            .await?;
        Ok(())
    }

    async fn create_api_key(&self, key: NewApiKey) -> Result<NewApiKeySecret> {
        // Not retried: a lost answer would lose the secret, and a retry would create a second key.
        let created = self
            .once("create_application", || {
                self.api().create_application().body(key.clone()).send()
            })
            .await?;
        Ok(created.into_inner())
    }

    async fn api_keys_page(&self, page: u32, page_size: u32) -> Result<Page<ApiKey>> {
        let (page, size) = (check_page(page)?, check_page_size(page_size)?);
        let keys = self
            .retrying("list_applications", || {
                self.api()
                    .list_applications()
                    .page(nonzero(page))
                    .page_size(nonzero(size))
                    .send()
            })
            .await?;
        Ok(keys.into_inner())
    }

    async fn api_key(&self, id: ApiKeyId) -> Result<ApiKey> {
        let key = self
            .retrying("get_application", || {
                self.api().get_application().id(id).send()
            })
            .await?;
        Ok(key.into_inner())
    }

    async fn permissions(&self) -> Result<Vec<Permission>> {
        let list = self
            .retrying("list_permissions", || {
                self.api()
                    .list_permissions()
                    .page(nonzero(1))
                    .page_size(nonzero(MAX_PAGE_SIZE as i32))
                    .send()
            })
            .await?;
        Ok(match list.into_inner() {
            carbonext_api::types::PermissionList::Array(items) => items,
            carbonext_api::types::PermissionList::PermissionPage(page) => page.items,
        })
    }

    async fn resources(&self) -> Result<Vec<String>> {
        let resources = self
            .retrying("list_resources", || self.api().list_resources().send())
            .await?;
        Ok(resources.into_inner().entities)
    }

    async fn allowed_filters(&self, resource: String) -> Result<AllowedFilters> {
        let filters = self
            .retrying("get_allowed_filters", || {
                self.api()
                    .get_allowed_filters()
                    .resource(resource.clone())
                    .send()
            })
            .await?;
        Ok(filters.into_inner())
    }
}

/// Whether the API answered the attempt 401 (its token was refused).
fn unauthorized(err: &carbonext_api::Error<ProblemDetails>) -> bool {
    matches!(err, carbonext_api::Error::ErrorResponse(response) if response.status() == 401)
}
