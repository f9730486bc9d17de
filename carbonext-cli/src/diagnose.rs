//! Configuration mistakes said as what to fix: a token URL that is only the auth host's base,
//! a host that cannot be reached (named with its port and the setting it came from), on one
//! line, without the error chain.
//!
//! ```
//! use carbonext_cli::diagnose;
//! use carbonext_cli::exit::ExitCode;
//!
//! let error = carbonext_auth::AuthError::UnexpectedResponse { status: 404, detail: "Not Found".into() };
//! let error = diagnose::auth(error, None);
//! assert!(error.message.contains("/protocol/openid-connect/token"));
//! assert_eq!(error.code, ExitCode::Usage);
//! ```

use carbonext_auth::AuthError;

use crate::exit::CliError;
use crate::target::{host_of, RemoteTarget, Source};

/// The CLI error of a failed token request, knowing the target (`None`: embedded sandbox).
pub fn auth(error: AuthError, remote: Option<&RemoteTarget>) -> CliError {
    let token_url = remote.map(|r| (r.environment.token_url().to_owned(), r.token_source));
    match (&error, token_url) {
        (
            AuthError::OAuth { status: 404, .. }
            | AuthError::UnexpectedResponse { status: 404, .. },
            token_url,
        ) => {
            let (url, source) = match token_url {
                Some((url, source)) => (url, from(source)),
                None => ("of the sandbox".to_owned(), "embedded".to_owned()),
            };
            CliError::usage(format!(
                "the token URL {url} ({source}) answered 404: it must be the full token endpoint, \
                 ending in …/protocol/openid-connect/token, not the auth host's base"
            ))
        }
        (AuthError::Transport { source, .. }, Some((url, from))) if source.is_connect() => {
            unreachable("token URL", &url, from)
        }
        _ => CliError::from(error),
    }
}

/// `error` with the API host named when it was a connection that could not be made.
pub fn api(error: CliError, remote: Option<&RemoteTarget>) -> CliError {
    match remote {
        Some(remote) if error.unreachable => {
            unreachable("API URL", remote.environment.api_url(), remote.api_source)
        }
        _ => error,
    }
}

fn from(source: Source) -> String {
    match source {
        Source::Default => "the environment's default".to_owned(),
        other => other.to_string(),
    }
}

fn unreachable(setting: &str, url: &str, source: Source) -> CliError {
    CliError::unavailable(format!(
        "could not connect to {} (the {setting}, {})",
        host_of(url),
        from(source)
    ))
}
