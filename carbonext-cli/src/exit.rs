//! Exit codes and the one error type every command ends with.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | ok |
//! | 1 | another failure: a request hook refused the request (nothing was sent) |
//! | 2 | invalid input or usage: nothing was sent |
//! | 3 | authentication failed |
//! | 4 | the API rejected the request (its message is shown) |
//! | 5 | network or server failure, after retries |
//! | 6 | the outcome of an order is unknown (its key and how to check it are shown) |
//! | 7 | the order key's lock (`--lock-url`) could not be had, or was lost before anything was sent: nothing was placed |
//! | 8 | `offset`, `orders create`: the quote is above `--max-total-price`: nothing was ordered |
//! | 10 | the order key was already used for a different order (VCUs, currency, recipient): nothing was sent; stderr names the key and the fields |
//! | 9 | `offset batch`: some rows failed (the others were offset; the results say which) |
//! | 130 | `offset batch` interrupted (Ctrl-C, SIGTERM): rows in flight settled and recorded, no new row started |
//!
//! ```
//! use carbonext_cli::exit::{CliError, ExitCode};
//!
//! let error = CliError::from(carbonext_domain::Error::from(
//!     "0".parse::<carbonext_domain::VcuAmount>().unwrap_err(),
//! ));
//! assert_eq!(error.code, ExitCode::Usage);
//! ```

use std::fmt;

use carbonext_domain::{Error, KeyLockError};

/// What the process exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Everything went fine (or the reader of stdout stopped reading).
    Ok = 0,
    /// Any other failure, such as a request hook refusing the request (nothing was sent).
    Failure = 1,
    /// Invalid input or usage; nothing was sent.
    Usage = 2,
    /// No access token could be had, or the API refused it.
    Auth = 3,
    /// The API answered with an error.
    Rejected = 4,
    /// The network or the server failed, after retries.
    Unavailable = 5,
    /// An order may or may not have been placed.
    OutcomeUnknown = 6,
    /// The order key's lock could not be had (or was lost before sending); nothing was placed.
    KeyLock = 7,
    /// The quote was above the caller's price limit; nothing was ordered.
    PriceAboveLimit = 8,
    /// A batch finished with failed rows (the others were processed).
    BatchFailed = 9,
    /// The order key was already used for a different order: nothing was sent.
    KeyConflict = 10,
    /// Interrupted (Ctrl-C or SIGTERM): what was under way was settled and recorded.
    Interrupted = 130,
}

impl ExitCode {
    /// The numeric process exit code.
    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

/// Why a command failed: an exit code, a one-line message, and optional further lines
/// (what to do next). Never holds a secret: messages come from errors that exclude them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// Process exit code.
    pub code: ExitCode,
    /// First line on stderr, after `error: `.
    pub message: String,
    /// Further lines: hints, the order key to check…
    pub hints: Vec<String>,
    /// Set when the failure was a connection that could not be made to the API, so the
    /// caller that knows the target can name its host and the setting it came from.
    pub unreachable: bool,
}

impl CliError {
    /// An error with `code` and `message`.
    pub fn new(code: ExitCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            hints: Vec::new(),
            unreachable: false,
        }
    }

    /// Invalid input or configuration (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Usage, message)
    }

    /// A network or server failure (exit code 5).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ExitCode::Unavailable, message)
    }

    /// Adds a line after the message.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        for hint in &self.hints {
            write!(f, "\n  {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CliError {}

impl From<Error> for CliError {
    fn from(error: Error) -> Self {
        match &error {
            Error::Validation(_) => CliError::usage(error.to_string()),
            Error::Auth { source, .. } => {
                // Without a token error, the API itself refused the token.
                let transient = source.as_ref().is_some_and(|s| s.is_transient());
                let text = error.to_string();
                if transient {
                    CliError::unavailable(text)
                        .hint("the token endpoint could not be reached or failed; try again later")
                } else {
                    CliError::new(ExitCode::Auth, text).hint(
                        "check CARBONEXT_CLIENT_ID, CARBONEXT_CLIENT_SECRET and the environment \
                         (--env, --auth-url)",
                    )
                }
            }
            Error::Api(rejection) => {
                let code = if rejection.status == 429 || rejection.status >= 500 {
                    ExitCode::Unavailable
                } else {
                    ExitCode::Rejected
                };
                CliError::new(code, error.to_string())
            }
            Error::Transport { source, .. } => CliError {
                unreachable: source.as_ref().is_some_and(reqwest::Error::is_connect),
                ..CliError::unavailable(error.to_string())
            },
            Error::Decode { status, .. } => {
                let code = match status {
                    Some(status) if (400..500).contains(status) && *status != 429 => {
                        ExitCode::Rejected
                    }
                    _ => ExitCode::Unavailable,
                };
                CliError::new(code, error.to_string())
            }
            Error::OutcomeUnknown { key, .. } => {
                CliError::new(ExitCode::OutcomeUnknown, error.to_string())
                    .hint(format!(
                        "the order may or may not have been placed; its key is {key}"
                    ))
                    .hint(format!("check with: carbonext orders list --key {key}"))
                    .hint(format!(
                "running `carbonext orders create … --key {key}` again places it only if it does \
                 not exist"
            ))
            }
            Error::KeyLock {
                key,
                reason: KeyLockError::Lost { sent: true, .. },
            } => CliError::new(ExitCode::OutcomeUnknown, error.to_string())
                .hint(format!("check with: carbonext orders list --key {key}")),
            Error::KeyLock { reason, .. } => {
                let error = CliError::new(ExitCode::KeyLock, error.to_string());
                match reason {
                    KeyLockError::TimedOut { .. } => error.hint(
                        "another placement of this key is still running; try again when it ends",
                    ),
                    _ => error.hint("check --lock-url / CARBONEXT_LOCK_URL and the database"),
                }
            }
            Error::KeyConflict { key, existing, .. } => {
                CliError::new(ExitCode::KeyConflict, error.to_string())
                    .hint(format!(
                        "order {} (status {}) holds key {key}: {} VCU, {}",
                        existing.id,
                        existing.status,
                        existing.vcu_amount,
                        existing
                            .target_currency
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default()
                    ))
                    .hint("to order something else, use another --key")
            }
            Error::Hook { hook, .. } => CliError::new(ExitCode::Failure, error.to_string()).hint(
                format!("the request hook {hook} refused the request; nothing was sent"),
            ),
            Error::PriceAboveLimit { .. } => {
                CliError::new(ExitCode::PriceAboveLimit, error.to_string())
                    .hint("raise --max-total-price, or see the price with --dry-run")
            }
            _ => CliError::unavailable(error.to_string()),
        }
    }
}

impl From<carbonext_auth::AuthError> for CliError {
    fn from(error: carbonext_auth::AuthError) -> Self {
        use carbonext_auth::AuthError;
        let text = describe_chain(&error);
        match &error {
            AuthError::MissingEnvVar { .. } | AuthError::InvalidEnvironment { .. } => {
                CliError::usage(text)
            }
            _ if error.is_transient() => {
                CliError::unavailable(format!("could not get an access token: {text}"))
            }
            _ => CliError::new(ExitCode::Auth, format!("authentication failed: {text}")).hint(
                "check CARBONEXT_CLIENT_ID, CARBONEXT_CLIENT_SECRET and the environment \
                 (--env, --auth-url)",
            ),
        }
    }
}

/// An error and its causes on one line (causes carry no secrets in this workspace).
pub fn describe_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use carbonext_domain::{ApiRejection, OrderKey, ValidationError};

    fn rejection(status: u16) -> ApiRejection {
        ApiRejection {
            status,
            problem_type: None,
            title: Some("Order not found".into()),
            detail: None,
            field_errors: Default::default(),
            trace_id: None,
            retry_after: None,
        }
    }

    #[test]
    fn each_error_kind_has_its_exit_code() {
        let cases = [
            (
                Error::Validation(ValidationError::Empty { what: "ids" }),
                ExitCode::Usage,
            ),
            (
                Error::Auth {
                    message: "the API refused the access token".into(),
                    source: None,
                },
                ExitCode::Auth,
            ),
            (
                Error::Auth {
                    message: "token endpoint answered HTTP 503".into(),
                    source: Some(carbonext_auth::AuthError::OAuth {
                        status: 503,
                        code: "temporarily_unavailable".into(),
                        description: None,
                    }),
                },
                ExitCode::Unavailable,
            ),
            (
                Error::Hook {
                    hook: "tenant".into(),
                    message: "no tenant header".into(),
                    source: None,
                },
                ExitCode::Failure,
            ),
            (Error::Api(Box::new(rejection(404))), ExitCode::Rejected),
            (Error::Api(Box::new(rejection(422))), ExitCode::Rejected),
            (Error::Api(Box::new(rejection(503))), ExitCode::Unavailable),
            (
                Error::Transport {
                    message: "could not connect".into(),
                    source: None,
                },
                ExitCode::Unavailable,
            ),
            (
                Error::Decode {
                    status: None,
                    message: "bad".into(),
                    excerpt: String::new(),
                },
                ExitCode::Unavailable,
            ),
        ];
        for (error, expected) in cases {
            let text = error.to_string();
            assert_eq!(CliError::from(error).code, expected, "{text}");
        }
    }

    #[test]
    fn outcome_unknown_names_the_key_and_how_to_check_it() {
        let key = OrderKey::new("invoice_2026_03").expect("valid key");
        let error = CliError::from(Error::OutcomeUnknown {
            key,
            message: "connection reset; looking the order up failed".into(),
        });
        assert_eq!(error.code, ExitCode::OutcomeUnknown);
        assert_eq!(error.code.code(), 6);
        let text = error.to_string();
        assert!(text.starts_with("error: order outcome unknown for key invoice_2026_03"));
        assert!(text.contains("carbonext orders list --key invoice_2026_03"));
    }

    #[test]
    fn a_quote_above_the_price_limit_exits_8() {
        let error = CliError::from(Error::PriceAboveLimit {
            vcus: "1.25".parse().expect("amount"),
            quoted: "137.5000".parse().expect("decimal"),
            limit: "100".parse().expect("decimal"),
            currency: carbonext_domain::Currency::Brl,
        });
        assert_eq!(error.code, ExitCode::PriceAboveLimit);
        assert_eq!(error.code.code(), 8);
        assert_eq!(ExitCode::BatchFailed.code(), 9);
        assert_eq!(ExitCode::KeyConflict.code(), 10);
        assert!(error.message.contains("137.5000 BRL"), "{}", error.message);
        assert!(
            error.message.contains("nothing was ordered"),
            "{}",
            error.message
        );
    }

    #[test]
    fn missing_credentials_are_a_usage_error_naming_the_variable() {
        let error = CliError::from(carbonext_auth::AuthError::MissingEnvVar {
            name: "CARBONEXT_CLIENT_SECRET",
        });
        assert_eq!(error.code, ExitCode::Usage);
        assert!(error.message.contains("CARBONEXT_CLIENT_SECRET"));
    }
}
