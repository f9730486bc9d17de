//! The client's one extension point: [`RequestHook`]s, run for every request.
//!
//! The generated [`Client`] holds a [`Hooks`] value. Every operation goes through this crate's
//! implementation of progenitor's `ClientHooks` for `Client`, which
//!
//! 1. lets each hook [`prepare`](RequestHook::prepare) the request (authentication adds its
//!    `Authorization` header here; a failure ends the call with `Error::Custom` before anything
//!    is sent);
//! 2. passes the request down the chain of [`send`](RequestHook::send)s, the last of which is
//!    the `reqwest::Client` itself (authentication retries once on 401 here);
//! 3. records a `tracing` debug span per request: operation id, method, path, status, duration —
//!    never headers, query strings or bodies;
//! 4. makes every 4xx/5xx answer decodable as [`types::ProblemDetails`]: a body that is not
//!    problem details (empty, HTML from a proxy, plain text) is replaced by
//!    `{"type": "about:blank", "title": <reason phrase>, "status": <status>, "detail": <excerpt>}`
//!    (RFC 7807 §4.2), so the status and the server's words always reach the caller.
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
use std::sync::Arc;
use std::time::Instant;

use futures::future::BoxFuture;
use futures::StreamExt;
use progenitor_client::ClientInfo;
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

/// The rest of the hook chain, ending with the HTTP client.
#[derive(Clone, Copy)]
pub struct Next<'a> {
    http: &'a reqwest::Client,
    rest: &'a [Arc<dyn RequestHook>],
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
                    http: self.http,
                    rest,
                },
            ),
            None => Box::pin(self.http.execute(request)),
        }
    }
}

/// The hooks a [`Client`] runs, outermost first. Cheap to clone.
#[derive(Clone, Default)]
pub struct Hooks {
    chain: Arc<[Arc<dyn RequestHook>]>,
}

impl Hooks {
    /// No hooks: a plain raw client.
    pub fn none() -> Self {
        Self::default()
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
        f.debug_struct("Hooks").field("len", &self.len()).finish()
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
        let span = tracing::debug_span!(
            "carbonext.request",
            operation_id = info.operation_id,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        let next = Next {
            http: self.client(),
            rest: &self.inner().chain,
        };
        async move {
            let result = next.run(request, info).await;
            let span = tracing::Span::current();
            span.record("duration_ms", started.elapsed().as_millis() as u64);
            match result {
                Ok(response) => {
                    span.record("status", response.status().as_u16());
                    tracing::debug!("response received");
                    if response.status().is_client_error() || response.status().is_server_error() {
                        Ok(problem_or_synthesized(response, info).await)
                    } else {
                        Ok(response)
                    }
                }
                Err(err) => {
                    tracing::debug!(error = %err, "request failed");
                    Err(err)
                }
            }
        }
        .instrument(span)
        .await
    }
}

/// Keeps an error response whose body is problem details (or, for the token endpoint, an
/// RFC 6749 error object); otherwise replaces the body by one built from the status and an
/// excerpt of what the server sent.
async fn problem_or_synthesized(
    response: reqwest::Response,
    info: &OperationInfo,
) -> reqwest::Response {
    let status = response.status();
    let mut headers = response.headers().clone();
    let version = response.version();
    let body = read_prefix(response, ERROR_BODY_LIMIT).await;
    let is_oauth = info.operation_id == "request_token";
    let well_formed = body.complete
        && body.bytes.first() == Some(&b'{')
        && if is_oauth {
            serde_json::from_slice::<crate::types::OAuthError>(&body.bytes).is_ok()
        } else {
            // Every member is optional, so any object decodes: a gateway's
            // `{"message": "Unauthorized"}` would become an empty ProblemDetails.
            serde_json::from_slice::<ProblemDetails>(&body.bytes)
                .is_ok_and(|p| p.type_.is_some() || p.title.is_some() || p.status.is_some())
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
        headers.insert(
            reqwest::header::CONTENT_TYPE,
            reqwest::header::HeaderValue::from_static("application/json"),
        );
        serde_json::to_vec(&synthesized).expect("a JSON value serialises")
    };
    headers.remove(reqwest::header::CONTENT_LENGTH);
    headers.remove(reqwest::header::TRANSFER_ENCODING);
    headers.remove(reqwest::header::CONTENT_ENCODING);
    let mut rebuilt = http::Response::new(reqwest::Body::from(bytes));
    *rebuilt.status_mut() = status;
    *rebuilt.headers_mut() = headers;
    *rebuilt.version_mut() = version;
    reqwest::Response::from(rebuilt)
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
