//! The client's one extension point: [`RequestHook`]s, run for every request.
//!
//! The generated [`Client`] holds a [`Hooks`] value. Every operation goes through this crate's
//! implementation of progenitor's `ClientHooks` for `Client` (its `pre`, then its `exec`),
//! which
//!
//! 1. lets each hook [`prepare`](RequestHook::prepare) the request
//!    (authentication adds its `Authorization` header here; a failure ends the call with
//!    `Error::Custom` before anything is sent);
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
//!    [`BodyTooLarge`] (status, limit, an excerpt) — never with the whole body in memory.
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

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::{Stream, StreamExt};
use progenitor_client::ClientInfo;
use reqwest::ResponseBuilderExt;
use tracing::Instrument;

pub use progenitor_client::OperationInfo;

use crate::types::ProblemDetails;
use crate::Client;

/// Error a hook returns from [`RequestHook::prepare`]; its `Display` becomes the message of
/// `Error::Custom`, so it must never contain a secret.
pub type HookError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Most bytes of an error body read to build an excerpt; the rest is not downloaded.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// Most characters of a non-JSON error body kept in `detail`.
const EXCERPT_CHARS: usize = 512;
/// Most bytes of an oversized successful body kept in [`BodyTooLarge::excerpt`].
const OVERSIZED_EXCERPT_BYTES: usize = 512;

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

/// Why a successful response's body was not read: it is larger than [`Hooks::body_limit`].
///
/// Found in the source chain of the `reqwest::Error` of `Error::ResponseBodyError` (walk
/// [`std::error::Error::source`] and downcast). Its `Display` names the limit, e.g.
/// `response body exceeds the 32 MiB limit (Content-Length 1073741824)`; the status is
/// [`BodyTooLarge::status`].
///
/// Its `Debug` shows the excerpt's length, not its bytes (a body may carry a token or a secret).
#[derive(Clone)]
pub struct BodyTooLarge {
    status: reqwest::StatusCode,
    limit: u64,
    content_length: Option<u64>,
    excerpt: Bytes,
}

impl BodyTooLarge {
    /// HTTP status of the response.
    pub fn status(&self) -> reqwest::StatusCode {
        self.status
    }

    /// The limit, in bytes.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The `Content-Length` the server declared, `None` for a chunked body.
    pub fn content_length(&self) -> Option<u64> {
        self.content_length
    }

    /// The first bytes of the body (at most 512; empty when nothing was downloaded because
    /// `Content-Length` was already above the limit).
    pub fn excerpt(&self) -> &[u8] {
        &self.excerpt
    }
}

impl fmt::Debug for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BodyTooLarge")
            .field("status", &self.status)
            .field("limit", &self.limit)
            .field("content_length", &self.content_length)
            .field("excerpt_len", &self.excerpt.len())
            .finish()
    }
}

impl fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "response body exceeds the {} limit",
            human_bytes(self.limit)
        )?;
        match self.content_length {
            Some(length) => write!(f, " (Content-Length {length})"),
            None => write!(f, " (chunked)"),
        }
    }
}

impl std::error::Error for BodyTooLarge {}

fn human_bytes(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    match bytes {
        b if b >= GIB && b % GIB == 0 => format!("{} GiB", b / GIB),
        b if b >= MIB && b % MIB == 0 => format!("{} MiB", b / MIB),
        b if b >= KIB && b % KIB == 0 => format!("{} KiB", b / KIB),
        b => format!("{b}-byte"),
    }
}

/// Behaviour added around every request of a [`Client`].
///
/// Both methods have defaults, so a hook implements only what it needs. The trait is
/// object-safe: hooks are held as `Arc<dyn RequestHook>`.
pub trait RequestHook: Send + Sync + 'static {
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
    /// `Error::ResponseBodyError` caused by [`BodyTooLarge`]; error bodies are read only as far
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
            hook.prepare(request, info)
                .await
                .map_err(|e| progenitor_client::Error::Custom(e.to_string()))?;
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
                    span.record("error.type", transport_error_type(err));
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

/// `error.type` of an exchange that got no response.
fn transport_error_type(err: &reqwest::Error) -> &'static str {
    if err.is_timeout() {
        "timeout"
    } else if err.is_connect() {
        "connect"
    } else if err.is_body() || err.is_decode() {
        "body"
    } else {
        "request"
    }
}

/// Keeps an error response whose body is problem details (or, for the token endpoint, an
/// RFC 6749 error object); otherwise replaces the body by one built from the status and an
/// excerpt of what the server sent.
async fn problem_or_synthesized(
    mut response: reqwest::Response,
    info: &OperationInfo,
) -> reqwest::Response {
    let mut parts = take_parts(&mut response);
    let status = parts.status;
    let body = read_prefix(response, ERROR_BODY_LIMIT).await;
    let is_oauth = info.operation_id == crate::operations::REQUEST_TOKEN.id;
    let well_formed = body.complete
        && body.bytes.first() == Some(&b'{')
        && if is_oauth {
            serde_json::from_slice::<crate::types::OAuthError>(&body.bytes).is_ok()
        } else {
            // Every member is optional, so any object decodes: a gateway's
            // `{"message": "Unauthorized"}` would become an empty ProblemDetails.
            serde_json::from_slice::<ProblemDetails>(&body.bytes).is_ok_and(|p| {
                if let Some(trace_id) = &p.trace_id {
                    tracing::Span::current().record("carbonext.trace_id", trace_id.as_str());
                }
                p.type_.is_some() || p.title.is_some() || p.status.is_some()
            })
        };
    let bytes = if well_formed {
        body.bytes
    } else {
        let excerpt: String = String::from_utf8_lossy(&body.bytes)
            .chars()
            .take(EXCERPT_CHARS)
            .collect();
        let excerpt = excerpt.trim();
        let reason = status.canonical_reason().unwrap_or("Unknown Status");
        let synthesized = if is_oauth {
            serde_json::json!({
                "error": "unexpected_response",
                "error_description": format!("HTTP {} {reason}: {excerpt}", status.as_u16()),
            })
        } else {
            serde_json::json!({
                "type": "about:blank",
                "title": reason,
                "status": status.as_u16(),
                "detail": excerpt,
            })
        };
        parts.headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        serde_json::to_vec(&synthesized).expect("a JSON value serialises")
    };
    parts.headers.remove(reqwest::header::CONTENT_LENGTH);
    parts.headers.remove(reqwest::header::TRANSFER_ENCODING);
    parts.headers.remove(reqwest::header::CONTENT_ENCODING);
    parts.into_response(reqwest::Body::from(bytes))
}

/// Caps a non-error body at `limit` bytes: passed through untouched when `Content-Length` is
/// within the limit (hyper stops at the declared length), replaced by a failing body when it
/// is above (nothing downloaded; the connection is dropped), wrapped in a counting stream when
/// there is no `Content-Length` (chunked).
fn limit_body(response: reqwest::Response, limit: u64) -> reqwest::Response {
    match response.content_length() {
        Some(length) if length <= limit => response,
        Some(length) => {
            let error = BodyTooLarge {
                status: response.status(),
                limit,
                content_length: Some(length),
                excerpt: Bytes::new(),
            };
            let failing = futures::stream::once(async move { Err::<Bytes, _>(error) });
            rebuild(response, reqwest::Body::wrap_stream(failing))
        }
        None => {
            let status = response.status();
            let mut response = response;
            let parts = take_parts(&mut response);
            let limited = Limited {
                inner: Box::pin(response.bytes_stream()),
                status,
                limit,
                seen: 0,
                excerpt: Bytes::new(),
                done: false,
            };
            parts.into_response(reqwest::Body::wrap_stream(limited))
        }
    }
}

/// Status, version, headers, extensions and URL of a response, without its body.
struct Parts {
    status: reqwest::StatusCode,
    version: reqwest::Version,
    headers: reqwest::header::HeaderMap,
    extensions: http::Extensions,
    url: reqwest::Url,
}

fn take_parts(response: &mut reqwest::Response) -> Parts {
    Parts {
        status: response.status(),
        version: response.version(),
        headers: std::mem::take(response.headers_mut()),
        extensions: std::mem::take(response.extensions_mut()),
        url: response.url().clone(),
    }
}

impl Parts {
    fn into_response(self, body: reqwest::Body) -> reqwest::Response {
        let mut rebuilt = http::Response::builder()
            .status(self.status)
            .version(self.version)
            .url(self.url)
            .body(body)
            .expect("status and version come from a valid response");
        *rebuilt.headers_mut() = self.headers;
        rebuilt.extensions_mut().extend(self.extensions);
        reqwest::Response::from(rebuilt)
    }
}

/// `response` with its body replaced by `body` (the old body is dropped unread).
fn rebuild(mut response: reqwest::Response, body: reqwest::Body) -> reqwest::Response {
    let mut parts = take_parts(&mut response);
    drop(response);
    parts.headers.remove(reqwest::header::CONTENT_LENGTH);
    parts.into_response(body)
}

/// A body stream that fails with [`BodyTooLarge`] once more than `limit` bytes have come.
struct Limited {
    inner: Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>,
    status: reqwest::StatusCode,
    limit: u64,
    seen: u64,
    /// The start of the body, kept for the error (a cheap, reference-counted slice).
    excerpt: Bytes,
    done: bool,
}

impl Stream for Limited {
    type Item = Result<Bytes, HookError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let chunk = match self.inner.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => return Poll::Ready(None),
            Poll::Ready(Some(Err(err))) => {
                self.done = true;
                return Poll::Ready(Some(Err(Box::new(err))));
            }
            Poll::Ready(Some(Ok(chunk))) => chunk,
        };
        if self.excerpt.len() < OVERSIZED_EXCERPT_BYTES && !chunk.is_empty() {
            let room = OVERSIZED_EXCERPT_BYTES - self.excerpt.len();
            let head = chunk.slice(..room.min(chunk.len()));
            self.excerpt = if self.excerpt.is_empty() {
                head
            } else {
                [&self.excerpt[..], &head[..]].concat().into()
            };
        }
        self.seen = self.seen.saturating_add(chunk.len() as u64);
        if self.seen > self.limit {
            self.done = true;
            let error = BodyTooLarge {
                status: self.status,
                limit: self.limit,
                content_length: None,
                excerpt: std::mem::take(&mut self.excerpt),
            };
            return Poll::Ready(Some(Err(Box::new(error))));
        }
        Poll::Ready(Some(Ok(chunk)))
    }
}

struct Prefix {
    bytes: Vec<u8>,
    complete: bool,
}

/// Reads at most `limit` bytes of the body; a transport error mid-body ends the read early.
async fn read_prefix(response: reqwest::Response, limit: usize) -> Prefix {
    let mut stream = response.bytes_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) if bytes.len() + chunk.len() <= limit => bytes.extend_from_slice(&chunk),
            Ok(chunk) => {
                bytes.extend_from_slice(&chunk[..limit - bytes.len()]);
                return Prefix {
                    bytes,
                    complete: false,
                };
            }
            Err(_) => {
                return Prefix {
                    bytes,
                    complete: false,
                }
            }
        }
    }
    Prefix {
        bytes,
        complete: true,
    }
}
