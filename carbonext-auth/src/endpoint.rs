//! The token endpoint on the wire: one `client_credentials` grant, its decoding, its retries.
//!
//! The request is a form POST to the full token URL, sent with `reqwest` directly rather than
//! through the generated `request_token` operation, because the URL is a full, overridable URL
//! on another host than the API. A successful answer decodes as
//! [`TokenResponse`]; an error answer as the RFC 6749
//! [`OAuthError`] object when it is one.
//!
//! Nothing read from the server is quoted without being bounded and scrubbed of the client
//! secret, and the body of a successful answer (which holds the token) is never quoted.

use std::sync::Arc;
use std::time::Duration;

use carbonext_api::types::{OAuthError, TokenResponse};
use carbonext_api::Secret;

use tracing::Instrument;

use crate::retry::{retry_after, Verdict};
use crate::{AuthError, Credentials, RetryPolicy};

/// Most bytes of a token endpoint answer read; a token response is a few hundred bytes.
const BODY_LIMIT: usize = 64 * 1024;
/// Most characters of server text (error body, description, code) kept in an error.
const EXCERPT_CHARS: usize = 256;
/// Longest lifetime believed; protects `Instant` arithmetic from absurd `expires_in` values.
const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// Where and how tokens are requested.
#[derive(Clone)]
pub(crate) struct TokenEndpoint {
    pub(crate) http: reqwest::Client,
    pub(crate) url: String,
    pub(crate) credentials: Credentials,
    pub(crate) scope: Option<String>,
    pub(crate) timeout: Duration,
    pub(crate) retry: RetryPolicy,
}

/// A token as issued, before the cache dates it.
pub(crate) struct Issued {
    pub(crate) access_token: Secret,
    pub(crate) lifetime: Duration,
    pub(crate) scope: Option<String>,
}

/// One failed attempt.
struct Failure {
    error: AuthError,
    retry_after: Option<Duration>,
}

impl TokenEndpoint {
    /// Runs the grant, retrying transient failures per the retry policy.
    pub(crate) async fn fetch(&self) -> Result<Issued, AuthError> {
        let mut attempts = 0;
        let outcome = self
            .retry
            .run(
                |_| self.attempt(),
                |failure: Failure, attempt| {
                    attempts = attempt;
                    std::future::ready(if failure.error.is_transient() {
                        tracing::warn!(
                            attempt,
                            max_attempts = self.retry.max_attempts,
                            error = %failure.error,
                            "token request failed"
                        );
                        Verdict::Retry {
                            after: failure.retry_after,
                            error: failure,
                        }
                    } else {
                        Verdict::Done(Err(failure))
                    })
                },
            )
            .await;
        outcome.map_err(|Failure { mut error, .. }| {
            if let AuthError::Transport { attempts: n, .. } = &mut error {
                *n = attempts;
            }
            error
        })
    }

    /// One token request, in a `carbonext.token` span with OpenTelemetry's HTTP client field
    /// names (the form, which holds the secret, is never recorded).
    async fn attempt(&self) -> Result<Issued, Failure> {
        let url = reqwest::Url::parse(&self.url).ok();
        let span = tracing::info_span!(
            "carbonext.token",
            otel.kind = "client",
            otel.name = "POST",
            http.request.method = "POST",
            server.address = url.as_ref().and_then(|u| u.host_str()).unwrap_or_default(),
            server.port = url.as_ref().and_then(reqwest::Url::port_or_known_default),
            url.path = url.as_ref().map(reqwest::Url::path).unwrap_or_default(),
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        let outcome = self.request().instrument(span.clone()).await;
        if let Err(failure) = &outcome {
            span.record("error.type", failure.error.kind());
        }
        outcome
    }

    async fn request(&self) -> Result<Issued, Failure> {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", self.credentials.client_id()),
            ("client_secret", self.credentials.expose_secret()),
        ];
        if let Some(scope) = &self.scope {
            form.push(("scope", scope));
        }
        let response = self
            .http
            .post(&self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.timeout)
            .form(&form)
            .send()
            .await
            .map_err(|error| self.transport(error))?;
        let status = response.status();
        tracing::Span::current().record("http.response.status_code", status.as_u16());
        let retry_after = retry_after(response.headers());
        let body = read_limited(response)
            .await
            .map_err(|error| self.transport(error))?;
        if status.is_success() {
            self.decode_token(status.as_u16(), &body)
                .map_err(|error| Failure {
                    error,
                    retry_after: None,
                })
        } else {
            Err(Failure {
                error: self.decode_error(status, &body),
                retry_after,
            })
        }
    }

    fn transport(&self, error: reqwest::Error) -> Failure {
        Failure {
            error: AuthError::Transport {
                attempts: 1,
                source: Arc::new(error),
            },
            retry_after: None,
        }
    }

    /// Decodes a 2xx answer. Its body holds the token, so no part of it is ever quoted.
    fn decode_token(&self, status: u16, body: &[u8]) -> Result<Issued, AuthError> {
        let unexpected = |detail: String| AuthError::UnexpectedResponse { status, detail };
        let response: TokenResponse = serde_json::from_slice(body).map_err(|error| {
            let what = error.to_string();
            // serde's "missing field `x`" names a field, never a value; other messages may
            // quote the offending value, which could be the token.
            if what.starts_with("missing field") {
                unexpected(format!("token response is not valid: {what}"))
            } else {
                unexpected(format!(
                    "token response is not valid JSON of the expected shape ({:?} error at line {} column {})",
                    error.classify(),
                    error.line(),
                    error.column()
                ))
            }
        })?;
        if !response.token_type.eq_ignore_ascii_case("bearer") {
            return Err(unexpected(format!(
                "token type `{}` is not supported (expected `Bearer`)",
                self.excerpt(&response.token_type)
            )));
        }
        let token = response.access_token.expose();
        if token.is_empty()
            || !token.bytes().all(|b| b.is_ascii_graphic())
            || reqwest::header::HeaderValue::from_str(token).is_err()
        {
            return Err(unexpected(
                "access token is empty or not usable in an Authorization header".to_owned(),
            ));
        }
        if response.expires_in <= 0 {
            return Err(unexpected(format!(
                "expires_in is {}, a token must live at least one second",
                response.expires_in
            )));
        }
        Ok(Issued {
            access_token: response.access_token,
            lifetime: Duration::from_secs(response.expires_in as u64).min(MAX_LIFETIME),
            scope: response.scope,
        })
    }

    /// Decodes an error answer: the RFC 6749 object when it is one, else an excerpt.
    fn decode_error(&self, status: reqwest::StatusCode, body: &[u8]) -> AuthError {
        if let Ok(oauth) = serde_json::from_slice::<OAuthError>(body) {
            return AuthError::from_oauth(
                status.as_u16(),
                self.excerpt(&oauth.error),
                oauth
                    .error_description
                    .as_deref()
                    .map(|text| self.excerpt(text)),
            );
        }
        let text = String::from_utf8_lossy(body);
        let excerpt = self.excerpt(text.trim());
        let reason = status.canonical_reason().unwrap_or("unknown status");
        AuthError::UnexpectedResponse {
            status: status.as_u16(),
            detail: if excerpt.is_empty() {
                format!("{reason}, empty body")
            } else {
                format!("{reason}: {excerpt}")
            },
        }
    }

    /// Server text made safe to keep: the client secret (plain or form-encoded) replaced,
    /// at most [`EXCERPT_CHARS`] characters.
    fn excerpt(&self, text: &str) -> String {
        scrub(text, self.credentials.expose_secret())
            .chars()
            .take(EXCERPT_CHARS)
            .collect()
    }
}

/// `text` without any occurrence of `secret`, as is or form-encoded.
pub(crate) fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        return text.to_owned();
    }
    let mut clean = text.replace(secret, "[REDACTED]");
    let encoded = form_encode(secret);
    if encoded != secret {
        clean = clean.replace(&encoded, "[REDACTED]");
    }
    clean
}

/// `application/x-www-form-urlencoded` encoding, as reqwest sends the secret.
fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(byte as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

async fn read_limited(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = BODY_LIMIT - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == BODY_LIMIT {
            break;
        }
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(secret: &str) -> TokenEndpoint {
        TokenEndpoint {
            http: reqwest::Client::new(),
            url: "http://127.0.0.1:9/token".into(),
            credentials: Credentials::new("id", secret),
            scope: None,
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::none(),
        }
    }

    #[test]
    fn scrub_removes_plain_and_form_encoded_secret() {
        let secret = "a b/c+d";
        let text = "got client_secret=a+b%2Fc%2Bd and a b/c+d";
        let clean = scrub(text, secret);
        assert_eq!(clean, "got client_secret=[REDACTED] and [REDACTED]");
    }

    #[test]
    fn oauth_error_description_is_scrubbed_and_bounded() {
        let endpoint = endpoint("hunter2");
        let body = format!(
            r#"{{"error":"invalid_client","error_description":"bad secret hunter2 {}"}}"#,
            "x".repeat(1000)
        );
        let error = endpoint.decode_error(reqwest::StatusCode::UNAUTHORIZED, body.as_bytes());
        let AuthError::InvalidClient {
            description: Some(description),
        } = &error
        else {
            panic!("{error:?}")
        };
        assert!(!description.contains("hunter2"));
        assert!(description.chars().count() <= EXCERPT_CHARS);
    }

    #[test]
    fn html_error_body_becomes_an_excerpt() {
        let error = endpoint("sekrit").decode_error(
            reqwest::StatusCode::BAD_GATEWAY,
            b"<html>upstream down</html>",
        );
        assert_eq!(
            error.to_string(),
            "unexpected response from the token endpoint (HTTP 502): Bad Gateway: <html>upstream down</html>"
        );
        assert!(error.is_transient());
    }

    #[test]
    fn malformed_success_never_quotes_the_body() {
        let endpoint = endpoint("s");
        let body = br#"{"access_token":"tok-123","expires_in":"soon","token_type":"Bearer"}"#;
        let error = endpoint.decode_token(200, body).err().unwrap();
        assert!(!error.to_string().contains("tok-123"), "{error}");
        assert!(!format!("{error:?}").contains("tok-123"));

        let body = br#"{"access_token":"tok-123","expires_in":60,"token_type":"mac"}"#;
        let error = endpoint.decode_token(200, body).err().unwrap();
        assert!(error.to_string().contains("`mac`"), "{error}");

        let body = br#"{"access_token":"tok 123","expires_in":60,"token_type":"Bearer"}"#;
        assert!(endpoint.decode_token(200, body).is_err());

        let body = br#"{"access_token":"tok-123","expires_in":0,"token_type":"Bearer"}"#;
        assert!(endpoint.decode_token(200, body).is_err());

        let body = br#"{"expires_in":60,"token_type":"Bearer"}"#;
        let error = endpoint.decode_token(200, body).err().unwrap();
        assert!(error.to_string().contains("missing field `access_token`"));
    }

    #[test]
    fn keycloak_response_decodes() {
        let body = br#"{"access_token":"kRjvJJpQpwWHoWKi-K_5SO0w0dkAqiO2QudmyoJxlTI","expires_in":36000,
            "refresh_expires_in":0,"token_type":"Bearer","not-before-policy":0,"scope":"profile email roles"}"#;
        let issued = endpoint("s").decode_token(200, body).ok().unwrap();
        assert_eq!(issued.lifetime, Duration::from_secs(36000));
        assert_eq!(issued.scope.as_deref(), Some("profile email roles"));
    }
}
