//! The Keycloak-style token endpoint and bearer-token checks.
//!
//! `POST /auth/realms/co2free/protocol/openid-connect/token` takes a form body with
//! `grant_type=client_credentials`, `client_id`, `client_secret` and an optional `scope`
//! (the client may also authenticate with HTTP Basic, as Keycloak allows). Errors follow
//! RFC 6749 §5.2:
//!
//! | case | status | `error` |
//! |---|---|---|
//! | body not a form, `grant_type`/`client_id`/`client_secret` missing | 400 | `invalid_request` |
//! | `grant_type` other than `client_credentials` | 400 | `unsupported_grant_type` |
//! | unknown client or wrong secret | 401 | `invalid_client` |
//!
//! Access tokens are 32 bytes from a CSPRNG seeded by the operating system, base64url without padding,
//! even in deterministic mode. They expire after the token lifetime on the sandbox clock. An
//! API request with a missing, unknown, expired or revoked token gets 401 problem details and
//! `WWW-Authenticate: Bearer error="invalid_token"`; one whose key lacks every permission the
//! operation accepts gets 403.
//!
//! Every token issued is recorded for tests ([`crate::Sandbox::issued_tokens`], `GET
//! /__sandbox/tokens`; the most recent
//! [`DEFAULT_ISSUED_TOKENS_KEPT`](crate::DEFAULT_ISSUED_TOKENS_KEPT) by default), including
//! those revoked on issue by [`Faults::revoke_on_issue`](crate::Faults::revoke_on_issue).
//! Tokens are never logged and never appear in the sandbox's `Debug` output, nor do client
//! secrets.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use carbonext_api::types::{OAuthError, TokenResponse};
use rand::RngCore;
use uuid::Uuid;

use crate::app::AppState;
use crate::problem::Problem;
use crate::store::TokenGrant;

/// Who is calling the API: the key behind the bearer token.
#[derive(Clone, Debug)]
pub struct Caller {
    /// The key's customer.
    pub customer_id: Uuid,
    /// The key's client id.
    pub client_id: String,
    /// The key's permission keys.
    pub permissions: Vec<&'static str>,
}

impl Caller {
    /// Whether the key holds any of `accepted`.
    pub fn holds_any(&self, accepted: &[&str]) -> bool {
        accepted.iter().any(|p| self.permissions.contains(p))
    }
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    let body = OAuthError {
        error: error.to_owned(),
        error_description: Some(description.to_owned()),
    };
    let mut response = (status, Json(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `POST /auth/realms/co2free/protocol/openid-connect/token`.
pub async fn token(State(app): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let bad =
        |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", description);
    let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else {
        return bad("the body must be application/x-www-form-urlencoded");
    };
    let field = |name: &str| {
        form.iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    let Some(grant_type) = field("grant_type") else {
        return bad("Missing form parameter: grant_type");
    };
    if grant_type != "client_credentials" {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "Unsupported grant_type",
        );
    }
    let (client_id, client_secret) = match (field("client_id"), field("client_secret")) {
        (Some(id), Some(secret)) => (id, secret),
        _ => match basic_credentials(&headers) {
            Some(pair) => pair,
            None => return bad("Missing form parameter: client_id or client_secret"),
        },
    };

    let lifetime = app.faults.token_lifetime();
    let mut state = app.store.lock();
    let known = state.keys.get(&client_id).is_some_and(|key| {
        constant_time_eq(key.client_secret.as_bytes(), client_secret.as_bytes())
    });
    if !known {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Invalid client or Invalid client credentials",
        );
    }
    let access_token = new_token();
    let now = app.store.clock.now();
    let expires_at = now + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::MAX);
    state.issued_tokens.record(&access_token);
    // Expired tokens leave the live set when a new one is issued (besides when they are
    // presented), so a long-running sandbox keeps no more live tokens than one lifetime issues.
    state.tokens.retain(|_, grant| grant.expires_at > now);
    // A token revoked on issue is answered as usual but never becomes live.
    if !app.faults.revokes_on_issue() {
        state.tokens.insert(
            access_token.clone(),
            TokenGrant {
                client_id,
                expires_at,
            },
        );
    }
    drop(state);
    let body = TokenResponse {
        access_token: access_token.into(),
        expires_in: i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX),
        refresh_expires_in: Some(0),
        token_type: "Bearer".to_owned(),
        not_before_policy: Some(0),
        scope: Some("profile email roles".to_owned()),
    };
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A fresh, unguessable access token.
fn new_token() -> String {
    let mut bytes = [0u8; 32];
    // ThreadRng is a CSPRNG seeded from the operating system.
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unauthorized(description: &str) -> Problem {
    let challenge = format!("Bearer error=\"invalid_token\", error_description=\"{description}\"");
    Problem::new(StatusCode::UNAUTHORIZED, "Unauthorized")
        .with_detail(description)
        .with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Bearer")),
        )
}

/// The caller behind the request's bearer token, or the 401 to answer.
pub fn authenticate(app: &AppState, headers: &HeaderMap) -> Result<Caller, Problem> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|t| !t.is_empty());
    let Some(token) = token else {
        return Err(unauthorized("a bearer token is required"));
    };
    let now = app.store.clock.now();
    let mut state = app.store.lock();
    let grant = match state.tokens.get(token) {
        Some(grant) if grant.expires_at > now => grant.clone(),
        Some(_) => {
            state.tokens.remove(token);
            drop(state);
            app.counters.token_rejection();
            return Err(unauthorized("the token has expired"));
        }
        None => {
            drop(state);
            app.counters.token_rejection();
            return Err(unauthorized("the token is unknown or revoked"));
        }
    };
    let Some(key) = state.keys.get(&grant.client_id) else {
        drop(state);
        app.counters.token_rejection();
        return Err(unauthorized("the token's API key no longer exists"));
    };
    Ok(Caller {
        customer_id: key.customer_id,
        client_id: key.client_id.clone(),
        permissions: key.permissions.clone(),
    })
}

/// 403 for a caller without any of `accepted`.
pub fn forbidden(accepted: &[&str]) -> Problem {
    Problem::new(StatusCode::FORBIDDEN, "Forbidden").with_detail(format!(
        "this API key needs one of these permissions: {}",
        accepted.join(", ")
    ))
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Caller>()
            .cloned()
            .ok_or_else(|| unauthorized("a bearer token is required"))
    }
}
