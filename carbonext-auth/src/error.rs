//! [`AuthError`]: everything that can go wrong between credentials and a usable access token.
//!
//! Errors from the token endpoint are mapped from the RFC 6749 §5.2 error object
//! (`{"error": "invalid_client", "error_description": "..."}`); the codes a caller can act on
//! get their own variant, the rest land in [`AuthError::OAuth`]. No variant ever holds the
//! client secret or an access token: descriptions and body excerpts written by the server are
//! scrubbed of the secret before they are stored, and the body of a successful token response
//! (which holds the token) is never quoted.
//!
//! ```
//! use carbonext_auth::AuthError;
//!
//! let error = AuthError::InvalidClient { description: Some("Invalid client credentials".into()) };
//! assert_eq!(
//!     error.to_string(),
//!     "token endpoint rejected the client credentials (invalid_client): Invalid client credentials"
//! );
//! assert!(!error.is_transient());
//! ```

use std::fmt;
use std::sync::Arc;

/// Why no access token could be obtained, or why the configuration is unusable.
///
/// Cheap to clone: one failed token request is reported to every caller that waited on it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The token endpoint does not accept the client id / secret pair (`invalid_client`).
    #[error("token endpoint rejected the client credentials (invalid_client){}", Described(.description))]
    InvalidClient {
        /// The server's `error_description`, if any.
        description: Option<String>,
    },

    /// The client exists but may not use the `client_credentials` grant (`unauthorized_client`).
    #[error("client is not authorized to use the client_credentials grant (unauthorized_client){}", Described(.description))]
    UnauthorizedClient {
        /// The server's `error_description`, if any.
        description: Option<String>,
    },

    /// The requested scope is unknown or not granted to this client (`invalid_scope`).
    #[error("token endpoint rejected the requested scope (invalid_scope){}", Described(.description))]
    InvalidScope {
        /// The server's `error_description`, if any.
        description: Option<String>,
    },

    /// Any other RFC 6749 error object (`invalid_request`, `unsupported_grant_type`,
    /// `server_error`, ...).
    #[error("token endpoint answered HTTP {status} with oauth error `{code}`{}", Described(.description))]
    OAuth {
        /// HTTP status of the answer.
        status: u16,
        /// The `error` code.
        code: String,
        /// The server's `error_description`, if any.
        description: Option<String>,
    },

    /// The token request could not be sent or its answer not read (connection refused, timeout,
    /// reset, or a malformed token URL), even after the retries of the
    /// [`RetryPolicy`](crate::RetryPolicy).
    #[error("token request failed after {attempts} attempt(s)")]
    Transport {
        /// Requests sent, retries included.
        attempts: u32,
        /// The last transport error.
        #[source]
        source: Arc<reqwest::Error>,
    },

    /// The token endpoint answered something that is neither a token nor an RFC 6749 error.
    #[error("unexpected response from the token endpoint (HTTP {status}): {detail}")]
    UnexpectedResponse {
        /// HTTP status of the answer.
        status: u16,
        /// What was wrong: a bounded excerpt of an error body, or what a successful body lacked.
        /// Never contains the client secret or a token.
        detail: String,
    },

    /// A required environment variable is not set (or is empty).
    #[error("environment variable {name} is not set")]
    MissingEnvVar {
        /// The variable's name.
        name: &'static str,
    },

    /// An environment variable holds a value that cannot be used.
    #[error("invalid environment variable {name}: {reason}")]
    InvalidEnvironment {
        /// The variable's name.
        name: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

impl AuthError {
    /// The variant's name in snake case (`"invalid_client"`, `"transport"`…): the
    /// `error.type` of a failed token request's span.
    pub fn kind(&self) -> &'static str {
        match self {
            AuthError::InvalidClient { .. } => "invalid_client",
            AuthError::UnauthorizedClient { .. } => "unauthorized_client",
            AuthError::InvalidScope { .. } => "invalid_scope",
            AuthError::OAuth { .. } => "oauth",
            AuthError::Transport { .. } => "transport",
            AuthError::UnexpectedResponse { .. } => "unexpected_response",
            AuthError::MissingEnvVar { .. } => "missing_env_var",
            AuthError::InvalidEnvironment { .. } => "invalid_environment",
        }
    }

    /// Whether trying again later may succeed without changing the configuration: transport
    /// failures (but a malformed URL), 408, 429 and 5xx answers. Rejected credentials or
    /// scopes are not transient.
    pub fn is_transient(&self) -> bool {
        match self {
            // A request that cannot even be built (a malformed URL) never will be.
            Self::Transport { source, .. } => !source.is_builder(),
            Self::OAuth { status, code, .. } => {
                is_transient_status(*status)
                    || code == "temporarily_unavailable"
                    || code == "server_error"
            }
            Self::UnexpectedResponse { status, .. } => is_transient_status(*status),
            _ => false,
        }
    }

    /// Maps an RFC 6749 §5.2 error object to the matching variant.
    pub(crate) fn from_oauth(status: u16, code: String, description: Option<String>) -> Self {
        match code.as_str() {
            "invalid_client" => Self::InvalidClient { description },
            "unauthorized_client" => Self::UnauthorizedClient { description },
            "invalid_scope" => Self::InvalidScope { description },
            _ => Self::OAuth {
                status,
                code,
                description,
            },
        }
    }
}

/// Statuses worth retrying: the server may answer differently in a moment.
pub(crate) fn is_transient_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..=599).contains(&status)
}

/// Formats an optional server description as `: description`.
struct Described<'a>(&'a Option<String>);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_deref() {
            Some(text) if !text.trim().is_empty() => write!(f, ": {}", text.trim()),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_codes_map_to_variants() {
        assert!(matches!(
            AuthError::from_oauth(401, "invalid_client".into(), None),
            AuthError::InvalidClient { description: None }
        ));
        assert!(matches!(
            AuthError::from_oauth(400, "unauthorized_client".into(), None),
            AuthError::UnauthorizedClient { .. }
        ));
        assert!(matches!(
            AuthError::from_oauth(400, "invalid_scope".into(), None),
            AuthError::InvalidScope { .. }
        ));
        let other = AuthError::from_oauth(400, "invalid_request".into(), Some("bad".into()));
        assert_eq!(
            other.to_string(),
            "token endpoint answered HTTP 400 with oauth error `invalid_request`: bad"
        );
    }

    #[test]
    fn messages_are_lower_case_without_trailing_period() {
        let errors = [
            AuthError::InvalidClient { description: None },
            AuthError::UnauthorizedClient { description: None },
            AuthError::InvalidScope { description: None },
            AuthError::MissingEnvVar {
                name: "CARBONEXT_CLIENT_ID",
            },
            AuthError::UnexpectedResponse {
                status: 502,
                detail: "bad gateway".into(),
            },
        ];
        for error in errors {
            let text = error.to_string();
            assert!(text.starts_with(|c: char| c.is_lowercase()), "{text}");
            assert!(!text.ends_with('.'), "{text}");
        }
    }

    #[test]
    fn transient_classification() {
        assert!(AuthError::from_oauth(503, "server_error".into(), None).is_transient());
        assert!(AuthError::UnexpectedResponse {
            status: 429,
            detail: String::new()
        }
        .is_transient());
        assert!(!AuthError::from_oauth(401, "invalid_client".into(), None).is_transient());
        assert!(!AuthError::from_oauth(400, "invalid_request".into(), None).is_transient());
    }
}
