//! Response bodies as the client's hook hands them on: error bodies made decodable as
//! problem details, successful bodies capped at the client's limit ([`BodyTooLarge`]).

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use progenitor_client::OperationInfo;
use reqwest::ResponseBuilderExt;

use crate::failure::HookError;
use crate::types::ProblemDetails;

/// Most bytes of an error body read to build an excerpt; the rest is not downloaded.
const ERROR_BODY_LIMIT: usize = 64 * 1024;
/// Most characters of a non-JSON error body kept in `detail`.
const EXCERPT_CHARS: usize = 512;
/// Most bytes of an oversized successful body kept in [`BodyTooLarge::excerpt`].
const OVERSIZED_EXCERPT_BYTES: usize = 512;

/// Why a successful response's body was not read: it is larger than [`Hooks::body_limit`](crate::Hooks::body_limit).
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

/// Keeps an error response whose body is problem details (or, for the token endpoint, an
/// RFC 6749 error object); otherwise replaces the body by one built from the status and an
/// excerpt of what the server sent.
pub(crate) async fn problem_or_synthesized(
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
pub(crate) fn limit_body(response: reqwest::Response, limit: u64) -> reqwest::Response {
    match response.content_length() {
        Some(length) if length <= limit => response,
        Some(length) => {
            let error = BodyTooLarge {
                status: response.status(),
                limit,
                content_length: Some(length),
                excerpt: Bytes::new(),
            };
            let failing = futures_util::stream::once(async move { Err::<Bytes, _>(error) });
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
