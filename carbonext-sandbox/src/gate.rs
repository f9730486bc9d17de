//! The gate every routed API request passes before its handler: counting, holds
//! ([`crate::hold`]), faults, then authentication and permissions.
//!
//! The operation is found from the method and the matched route, and named with progenitor's
//! snake_case operation ids (the names [`Counters::operation`](crate::Counters::operation)
//! takes). See [`crate::faults`] for the order in which faults apply.

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use carbonext_api::{operations, Operation};

use crate::app::AppState;
use crate::auth::{authenticate, forbidden};
use crate::faults::Verdict;
use crate::permissions;
use crate::problem::Problem;
use crate::server::ConnectionKill;

/// The operation id of a routed request, from the spec's table (`carbonext_api::operations`).
pub fn operation_id(method: &Method, route: &str) -> Option<&'static str> {
    Operation::route(method.as_str(), route).map(|op| op.id)
}

/// Counts every request under `/v1/`, routed or not.
pub async fn count_api_requests(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if request.uri().path().starts_with("/v1/") {
        app.counters.api_request();
    }
    let mut response = next.run(request).await;
    // The `Date` of every answer is the sandbox's clock (RFC 9110 §6.6.1), as a server's is
    // its own: clients that measure time by the server (the SDK's key lookback) see the
    // sandbox's time, advanced or deterministic.
    let now = app
        .store
        .clock
        .now()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    if let Ok(value) = axum::http::HeaderValue::from_str(&now) {
        response
            .headers_mut()
            .insert(axum::http::header::DATE, value);
    }
    response
}

/// Route layer of the API: see the module docs.
pub async fn gate(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let Some(operation) = operation_id(request.method(), &route) else {
        return next.run(request).await;
    };
    app.counters.operation(operation);
    app.holds.pass(operation).await;

    let latency = app.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if operation == operations::REQUEST_TOKEN.id {
        return next.run(request).await;
    }

    match app.faults.verdict() {
        Verdict::Pass => {}
        Verdict::DropBeforeHandler => {
            if let Some(kill) = request.extensions().get::<ConnectionKill>().cloned() {
                kill.abandon().await;
            }
            return Problem::new(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable")
                .with_detail("injected fault: connection drop (not available on this server)")
                .into_response();
        }
        Verdict::RateLimited(retry_after) => {
            return Problem::new(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests")
                .with_detail("injected fault: rate limit")
                .with_header(header::RETRY_AFTER, HeaderValue::from(retry_after))
                .into_response();
        }
        Verdict::Fail(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return Problem::new(status, status.canonical_reason().unwrap_or("Server Error"))
                .with_detail("injected fault: server error")
                .into_response();
        }
    }

    let accepted = permissions::required(operation).unwrap_or(&[]);
    if !accepted.is_empty() {
        let caller = match authenticate(&app, request.headers()) {
            Ok(caller) => caller,
            Err(problem) => return problem.into_response(),
        };
        if !caller.holds_any(accepted) {
            return forbidden(accepted).into_response();
        }
        request.extensions_mut().insert(caller);
    }
    next.run(request).await
}
