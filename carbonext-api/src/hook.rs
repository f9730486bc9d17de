//! The client's one extension point: [`RequestHook`]s, run for every request.
//!
//! The generated [`Client`] holds a [`Hooks`] value. Every operation goes through this crate's
//! implementation of progenitor's `ClientHooks` for `Client` (its `pre`, then its `exec`),
//! which
//!
//! 1. lets each hook [`prepare`](RequestHook::prepare) the request
//!    (authentication adds its `Authorization` header here; a failure ends the call before
//!    anything is sent, with `Error::CommunicationError` whose source chain holds a typed
//!    [`HookFailure`]: the hook's name and its own error);
//! 2. passes the request down the chain of the hooks' [`send`](RequestHook::send)s, the last
//!    of which is the `reqwest::Client` itself (authentication resends once after a 401 here);
//! 3. records a `tracing` span `carbonext.http` per HTTP exchange (a resend after a 401 is a
//!    second one), with OpenTelemetry's HTTP client field names: `http.request.method`,
//!    `server.address`, `server.port`, `url.path`, `http.response.status_code`, `error.type`,
//!    `http.request.resend_count`, plus `carbonext.operation_id` and the problem details'
//!    `carbonext.trace_id` — never headers, query strings or bodies;
//! 4. makes every 4xx/5xx answer decodable as [`types::ProblemDetails`]: a body that is not
//!    problem details (empty, HTML from a proxy, plain text) is replaced by
//!    `{"type": "about:blank", "title": <reason phrase>, "status": <status>, "detail": <excerpt>}`
//!    (RFC 7807 §4.2), so the status and the server's words always reach the caller;
//! 5. caps every other body at [`Hooks::body_limit`] (32 MiB unless
//!    [`Hooks::with_body_limit`] says otherwise): a response whose `Content-Length` is above
//!    the limit fails without being downloaded, and a chunked one fails as soon as it passes
//!    the limit. The call then ends with `Error::ResponseBodyError` whose source chain holds a
//!    [`BodyTooLarge`](crate::BodyTooLarge) (status, limit, an excerpt) — never with the whole body in memory.
//!    A body whose `Content-Length` is within the limit is passed through untouched (hyper
//!    enforces the length), so the cap costs nothing on the usual path.
//!
//! Because of 4. and 5., `Error::InvalidResponsePayload` can only come from an operation's
//! documented success status, which [`success_status`] gives per operation id.
//!
//! With no hook installed ([`Hooks::none`]) the client is a plain raw client.
//!
//! ```
//! use carbonext_api::{Client, Hooks, HookError, OperationInfo, RequestHook};
//! use futures::future::BoxFuture;
//!
//! /// Adds a correlation header to every request.
//! struct Correlation(&'static str);
//!
//! impl RequestHook for Correlation {
//!     fn prepare<'a>(
//!         &'a self,
//!         request: &'a mut reqwest::Request,
//!         _info: &'a OperationInfo,
//!     ) -> BoxFuture<'a, Result<(), HookError>> {
//!         request.headers_mut().insert("x-correlation-id", self.0.parse().unwrap());
//!         Box::pin(async { Ok(()) })
//!     }
//! }
//!
//! let client = Client::new("http://127.0.0.1:8080", Hooks::none().with(Correlation("abc")));
//! ```
//!
//! [`Client`]: crate::Client
//! [`types::ProblemDetails`]: crate::types::ProblemDetails

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use progenitor_client::ClientInfo;
use tracing::Instrument;

pub use progenitor_client::OperationInfo;

use crate::body::{limit_body, problem_or_synthesized};
use crate::failure::{HookError, HookFailure, TransportFailure};
use crate::Client;

/// Default of [`Hooks::body_limit`]: 32 MiB, far above any page the API sends (a page of
/// 100 orders is tens of KiB).
pub const DEFAULT_BODY_LIMIT: u64 = 32 * 1024 * 1024;

/// The documented success status of operation `operation_id` (as in
/// [`OperationInfo::operation_id`]), when the spec gives it exactly one success status with a
/// body; from the table `cargo xtask codegen` generates from `openapi.yaml`.
///
/// The generated client decodes a typed body only for a documented status, and the client's
/// hook turns every 4xx/5xx body into decodable problem details, so an
/// `Error::InvalidResponsePayload` (which carries no status) was answered with this status.
///
/// ```
/// assert_eq!(carbonext_api::success_status("create_order"), Some(200));
/// assert_eq!(carbonext_api::success_status("no_such_operation"), None);
/// ```
pub fn success_status(operation_id: &str) -> Option<u16> {
    let mut found = crate::SUCCESS_STATUSES
        .iter()
        .filter(|(id, _)| *id == operation_id)
        .map(|(_, status)| *status);
    match (found.next(), found.next()) {
        (Some(status), None) => Some(status),
        _ => None,
    }
}

/// Behaviour added around every request of a [`Client`].
///
/// Both methods have defaults, so a hook implements only what it needs. The trait is
/// object-safe: hooks are held as `Arc<dyn RequestHook>`.
pub trait RequestHook: Send + Sync + 'static {
    /// The hook's name in errors ([`HookFailure::hook`]): its type's path unless it says
    /// otherwise.
    fn name(&self) -> &str {
        std::any::type_name::<Self>()
    }

    /// Changes the request before it is sent (headers, for instance). An error aborts the call
    /// before anything is sent.
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        info: &'a OperationInfo,
    ) -> BoxFuture<'a, Result<(), HookError>> {
        let _ = (request, info);
        Box::pin(async { Ok(()) })
    }

    /// Sends the request by calling `next.run(request, info)`, possibly more than once (a body
    /// can be replayed when `request.try_clone()` succeeds), and returns the response to use.
    fn send<'a>(
        &'a self,
        request: reqwest::Request,
        info: &'a OperationInfo,
        next: Next<'a>,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        next.run(request, info)
    }
}

/// The rest of the hook chain, ending with the HTTP exchange.
#[derive(Clone, Copy)]
pub struct Next<'a> {
    rest: &'a [Arc<dyn RequestHook>],
    exchange: &'a Exchange<'a>,
}

/// The end of every chain: one HTTP exchange of one operation call.
struct Exchange<'a> {
    http: &'a reqwest::Client,
    body_limit: u64,
    /// Exchanges made so far for this call (a hook may send a request again).
    sends: AtomicU32,
}

impl<'a> Next<'a> {
    /// Sends `request` through the remaining hooks and then over HTTP.
    pub fn run(
        self,
        request: reqwest::Request,
        info: &'a OperationInfo,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        match self.rest.split_first() {
            Some((hook, rest)) => hook.send(
                request,
                info,
                Next {
                    rest,
                    exchange: self.exchange,
                },
            ),
            None => Box::pin(self.exchange.send(request, info)),
        }
    }
}

/// The hooks a [`Client`] runs, outermost first, and the size limit of successful bodies.
/// Cheap to clone.
#[derive(Clone)]
pub struct Hooks {
    chain: Arc<[Arc<dyn RequestHook>]>,
    body_limit: u64,
}

impl Default for Hooks {
    fn default() -> Self {
        Self {
            chain: Arc::new([]),
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }
}

impl Hooks {
    /// No hooks: a plain raw client (with the default body limit).
    pub fn none() -> Self {
        Self::default()
    }

    /// These hooks, with successful response bodies capped at `bytes` instead of
    /// [`DEFAULT_BODY_LIMIT`] (32 MiB). A larger body ends the call with
    /// `Error::ResponseBodyError` caused by [`BodyTooLarge`](crate::BodyTooLarge); error bodies are read only as far
    /// as an excerpt whatever this limit.
    ///
    /// ```
    /// use carbonext_api::{Client, Hooks};
    ///
    /// let hooks = Hooks::none().with_body_limit(4 * 1024 * 1024);
    /// assert_eq!(hooks.body_limit(), 4 * 1024 * 1024);
    /// let client = Client::new("http://127.0.0.1:8080", hooks);
    /// ```
    pub fn with_body_limit(mut self, bytes: u64) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Most bytes of a successful response body the client reads.
    pub fn body_limit(&self) -> u64 {
        self.body_limit
    }

    /// These hooks plus `hook`, which runs inside the ones already added.
    pub fn with(self, hook: impl RequestHook) -> Self {
        self.with_arc(Arc::new(hook))
    }

    /// Like [`Hooks::with`], for a hook that is already shared.
    pub fn with_arc(self, hook: Arc<dyn RequestHook>) -> Self {
        let mut chain: Vec<_> = self.chain.iter().cloned().collect();
        chain.push(hook);
        Self {
            chain: chain.into(),
            body_limit: self.body_limit,
        }
    }

    /// Number of hooks installed.
    pub fn len(&self) -> usize {
        self.chain.len()
    }

    /// Whether no hook is installed.
    pub fn is_empty(&self) -> bool {
        self.chain.is_empty()
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field("len", &self.len())
            .field("body_limit", &self.body_limit)
            .finish()
    }
}

impl Client {
    /// The hooks this client runs for every request.
    pub fn hooks(&self) -> &Hooks {
        self.inner()
    }
}

impl progenitor_client::ClientHooks<Hooks> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        for hook in self.inner().chain.iter() {
            if let Err(source) = hook.prepare(request, info).await {
                let failure = HookFailure::new(hook.name(), source);
                return Err(progenitor_client::Error::CommunicationError(
                    failure.into_reqwest_error().await,
                ));
            }
        }
        Ok(())
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let exchange = Exchange {
            http: self.client(),
            body_limit: self.inner().body_limit,
            sends: AtomicU32::new(0),
        };
        Next {
            rest: &self.inner().chain,
            exchange: &exchange,
        }
        .run(request, info)
        .await
    }
}

impl Exchange<'_> {
    /// Sends `request` over HTTP in a span of its own, with OpenTelemetry's HTTP client field
    /// names (never a header, a query string or a body: no secret or token), then steps 4
    /// and 5 of the module docs.
    async fn send(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let resends = self.sends.fetch_add(1, Ordering::Relaxed);
        let url = request.url();
        let span = tracing::info_span!(
            "carbonext.http",
            otel.kind = "client",
            otel.name = %request.method(),
            carbonext.operation_id = info.operation_id,
            http.request.method = %request.method(),
            server.address = url.host_str().unwrap_or_default(),
            server.port = url.port_or_known_default(),
            url.path = url.path(),
            http.request.resend_count = tracing::field::Empty,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
            carbonext.trace_id = tracing::field::Empty,
        );
        if resends > 0 {
            span.record("http.request.resend_count", resends);
        }
        let started = Instant::now();
        async move {
            let result = self.http.execute(request).await;
            let span = tracing::Span::current();
            let duration_ms = started.elapsed().as_millis() as u64;
            match &result {
                Ok(response) => {
                    let status = response.status();
                    span.record("http.response.status_code", status.as_u16());
                    if status.is_client_error() || status.is_server_error() {
                        span.record("error.type", status.as_str());
                    }
                    tracing::debug!(duration_ms, "response received");
                }
                Err(err) => {
                    span.record("error.type", TransportFailure::of(err).as_str());
                    tracing::debug!(duration_ms, error = %err, "request failed");
                }
            }
            self.answer(result, info).await
        }
        .instrument(span)
        .await
    }

    /// Steps 4 and 5 of the module docs for what the exchange brought.
    async fn answer(
        &self,
        result: reqwest::Result<reqwest::Response>,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        let response = result?;
        let status = response.status();
        Ok(if status.is_client_error() || status.is_server_error() {
            problem_or_synthesized(response, info).await
        } else {
            limit_body(response, self.body_limit)
        })
    }
}
