//! RFC 7807 problem details: the one error shape of every API answer that is not a success.
//!
//! Handlers return `Result<_, Problem>`; a [`Problem`] renders as the generated
//! [`carbonext_api::types::ProblemDetails`] with the ASP.NET-style `type` URI for its status, a
//! `traceId`, and, for validation failures, `errors` mapping each field to its messages. The
//! content type is `application/json` (what `openapi.yaml` documents for these bodies).
//!
//! ```
//! use carbonext_sandbox::problem::Problem;
//! let problem = Problem::validation("vcuAmount", "must be greater than 0");
//! assert_eq!(problem.status().as_u16(), 400);
//! ```

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use carbonext_api::types::ProblemDetails;

/// An error answer of the API (boxed: handlers return it in `Result`s).
#[derive(Clone, Debug)]
pub struct Problem(Box<Inner>);

#[derive(Clone, Debug)]
struct Inner {
    status: StatusCode,
    title: String,
    detail: Option<String>,
    errors: HashMap<String, Vec<String>>,
    headers: Vec<(header::HeaderName, HeaderValue)>,
}

impl Problem {
    /// A problem with `status` and a human-readable `title`.
    pub fn new(status: StatusCode, title: impl Into<String>) -> Self {
        Self(Box::new(Inner {
            status,
            title: title.into(),
            detail: None,
            errors: HashMap::new(),
            headers: Vec::new(),
        }))
    }

    /// 400 with one validation message for `field`.
    pub fn validation(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "One or more validation errors occurred.",
        )
        .with_error(field, message)
    }

    /// 400 without a field.
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Bad Request").with_detail(detail)
    }

    /// 404 for something the caller cannot see.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "Not Found").with_detail(what)
    }

    /// 409: the request conflicts with the current state.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "Conflict").with_detail(detail)
    }

    /// 422: well-formed but refused by a business rule.
    pub fn unprocessable(field: impl Into<String>, message: impl Into<String>) -> Self {
        let message = message.into();
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "Unprocessable Entity")
            .with_detail(message.clone())
            .with_error(field, message)
    }

    /// Adds a message for `field`.
    pub fn with_error(mut self, field: impl Into<String>, message: impl Into<String>) -> Self {
        self.0
            .errors
            .entry(field.into())
            .or_default()
            .push(message.into());
        self
    }

    /// Sets the `detail` member.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.0.detail = Some(detail.into());
        self
    }

    /// Adds a response header (`Retry-After`, `WWW-Authenticate`).
    pub fn with_header(mut self, name: header::HeaderName, value: HeaderValue) -> Self {
        self.0.headers.push((name, value));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    /// The body as the generated wire type.
    pub fn details(&self) -> ProblemDetails {
        let inner = &self.0;
        ProblemDetails {
            type_: Some(type_uri(inner.status).to_owned()),
            title: Some(inner.title.clone()),
            status: Some(i32::from(inner.status.as_u16())),
            detail: inner.detail.clone(),
            instance: None,
            trace_id: Some(next_trace_id()),
            errors: inner.errors.clone(),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.details()).expect("problem details serialise");
        let mut response = (self.0.status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        for (name, value) in self.0.headers {
            headers.insert(name, value);
        }
        response
    }
}

/// The RFC section ASP.NET links for a status, as its `type` member.
fn type_uri(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "https://tools.ietf.org/html/rfc7231#section-6.5.1",
        401 => "https://tools.ietf.org/html/rfc7235#section-3.1",
        403 => "https://tools.ietf.org/html/rfc7231#section-6.5.3",
        404 => "https://tools.ietf.org/html/rfc7231#section-6.5.4",
        405 => "https://tools.ietf.org/html/rfc7231#section-6.5.5",
        409 => "https://tools.ietf.org/html/rfc7231#section-6.5.8",
        415 => "https://tools.ietf.org/html/rfc7231#section-6.5.13",
        422 => "https://tools.ietf.org/html/rfc4918#section-11.2",
        429 => "https://tools.ietf.org/html/rfc6585#section-4",
        500 => "https://tools.ietf.org/html/rfc7231#section-6.6.1",
        502 => "https://tools.ietf.org/html/rfc7231#section-6.6.3",
        503 => "https://tools.ietf.org/html/rfc7231#section-6.6.4",
        504 => "https://tools.ietf.org/html/rfc7231#section-6.6.5",
        _ => "about:blank",
    }
}

/// A W3C trace-context style id, as ASP.NET puts in `traceId`.
fn next_trace_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "00-{:032x}-{:016x}-00",
        u128::from(n) * 0x9E37_79B9_7F4A_7C15,
        n
    )
}
