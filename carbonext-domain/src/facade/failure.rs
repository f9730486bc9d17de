//! What a failed attempt means: whether it may be sent again ([`Failure`]), and the caller's
//! [`Error`] for it — status, problem details and excerpts kept, secrets never included, a
//! hook's refusal typed ([`Error::Hook`], or [`Error::Auth`] with its
//! [`AuthError`](carbonext_auth::AuthError)).

use std::collections::BTreeMap;
use std::time::Duration;

use carbonext_api::types::ProblemDetails;
use carbonext_api::{BodyTooLarge, HookFailure, Operation, TransportFailure};

use crate::error::{ApiRejection, Error, ValidationError};

/// Characters of an undecodable body kept in an error.
const EXCERPT_CHARS: usize = 200;

/// The excerpt of a success body of `operation`, withheld when that body carries a secret
/// (`createApplication` answers with the new key's `clientSecret`).
fn success_excerpt(operation: Operation, bytes: &[u8]) -> String {
    if operation.secret_in_response {
        "<withheld: this answer carries a secret>".to_owned()
    } else {
        excerpt(bytes)
    }
}

fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .take(EXCERPT_CHARS)
        .collect()
}

/// The [`BodyTooLarge`] behind a body error, if the client's size limit caused it.
fn body_too_large(err: &reqwest::Error) -> Option<&BodyTooLarge> {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(found) = cause.downcast_ref::<BodyTooLarge>() {
            return Some(found);
        }
        source = cause.source();
    }
    None
}

/// How one attempt of a call failed: the raw client's error, or the facade's time limit.
#[derive(Debug)]
pub(crate) enum AttemptError {
    /// The raw client's error (boxed: it is large, and the success path moves the `Result`).
    Api(Box<carbonext_api::Error<ProblemDetails>>),
    /// No complete answer within the facade's time limit; the attempt was dropped.
    TimedOut(Duration),
    /// The operation's time limit ran out before this attempt could start: nothing sent.
    OutOfTime(Duration),
    /// Already the caller's error (an order placement settled as of unknown outcome).
    Settled(Error),
}

impl AttemptError {
    /// What the failure means for the next attempt.
    pub(crate) fn failure(&self) -> Failure {
        match self {
            AttemptError::Api(err) => classify(err),
            // The request may have been sent, and processed, before the time ran out.
            AttemptError::TimedOut(_) => Failure::Ambiguous,
            AttemptError::OutOfTime(_) | AttemptError::Settled(_) => Failure::Final,
        }
    }

    /// The caller's error, for operation `operation` (see [`error_from_api`]).
    pub(crate) fn into_error(self, operation: Operation) -> Error {
        match self {
            AttemptError::Settled(err) => err,
            AttemptError::Api(err) => error_from_api(operation, *err),
            AttemptError::TimedOut(limit) => Error::Transport {
                message: format!("timed out: no complete answer within {limit:?}"),
                source: None,
            },
            AttemptError::OutOfTime(limit) => Error::Transport {
                message: format!(
                    "timed out: the operation's limit of {limit:?} ran out before another attempt"
                ),
                source: None,
            },
        }
    }
}

/// Maps an error of the raw client's operation `operation` (whose id gives the status of an
/// undecodable success).
pub(crate) fn error_from_api(
    operation: Operation,
    err: carbonext_api::Error<ProblemDetails>,
) -> Error {
    use carbonext_api::Error as E;
    match err {
        E::ResponseBodyError(source) if body_too_large(&source).is_some() => {
            let too_large = body_too_large(&source).expect("checked just above");
            Error::Decode {
                status: Some(too_large.status().as_u16()),
                // "the response body exceeds the 32 MiB limit (chunked)"
                message: format!("the {too_large}"),
                excerpt: success_excerpt(operation, too_large.excerpt()),
            }
        }
        E::InvalidRequest(message) => Error::Validation(ValidationError::Request(message)),
        E::CommunicationError(source) if HookFailure::find(&source).is_some() => {
            hook_error(HookFailure::find(&source).expect("checked just above"))
        }
        E::Custom(message) => Error::Hook {
            hook: "unknown".to_owned(),
            message,
            source: None,
        },
        E::CommunicationError(source)
        | E::InvalidUpgrade(source)
        | E::ResponseBodyError(source) => Error::Transport {
            message: describe_transport(&source),
            source: Some(source),
        },
        E::ErrorResponse(rv) => {
            let status = rv.status().as_u16();
            let retry_after = carbonext_auth::retry_after(rv.headers()).map(|wait| wait.as_secs());
            let problem = rv.into_inner();
            let rejection = ApiRejection {
                status,
                problem_type: problem.type_,
                title: problem.title,
                detail: problem.detail,
                field_errors: problem.errors.into_iter().collect::<BTreeMap<_, _>>(),
                trace_id: problem.trace_id,
                retry_after,
            };
            if status == 401 {
                Error::Auth {
                    message: format!("the API refused the access token: {rejection}"),
                    source: None,
                }
            } else {
                Error::Api(Box::new(rejection))
            }
        }
        // Only a documented success status decodes a typed body (every error body is made
        // decodable by the client's hook), so the status is the operation's success status.
        E::InvalidResponsePayload(bytes, err) => Error::Decode {
            status: carbonext_api::success_status(operation.id),
            message: if operation.secret_in_response {
                // serde's message can quote a value, and the value can be the secret.
                format!(
                    "a successful response did not match the API's schema ({:?} error at line {} column {})",
                    err.classify(),
                    err.line(),
                    err.column()
                )
            } else {
                format!("a successful response did not match the API's schema: {err}")
            },
            excerpt: success_excerpt(operation, &bytes),
        },
        E::UnexpectedResponse(response) => Error::Decode {
            status: Some(response.status().as_u16()),
            message: "a status the API does not document".to_owned(),
            excerpt: String::new(),
        },
    }
}

fn describe_transport(err: &reqwest::Error) -> String {
    let what = TransportFailure::of(err).describe();
    // reqwest's Display includes the URL, which carries no secret (tokens travel in headers).
    format!("{what}: {}", with_causes(err))
}

/// The caller's error for a token that could not be had: [`Error::Auth`] with its typed cause.
pub(crate) fn auth_error(source: carbonext_auth::AuthError) -> Error {
    Error::Auth {
        message: with_causes(&source),
        source: Some(source),
    }
}

/// The caller's error for a hook that refused a request: [`Error::Auth`] when the hook's
/// error is an [`AuthError`](carbonext_auth::AuthError) (the auth hook's), [`Error::Hook`]
/// otherwise.
fn hook_error(failure: &HookFailure) -> Error {
    let hook = failure.hook().to_owned();
    match failure.take_source() {
        Some(source) => match source.downcast::<carbonext_auth::AuthError>() {
            Ok(auth) => auth_error(*auth),
            Err(source) => Error::Hook {
                hook,
                message: failure.message().to_owned(),
                source: Some(source),
            },
        },
        None if hook == carbonext_auth::AuthHook::NAME => Error::Auth {
            message: failure.message().to_owned(),
            source: None,
        },
        None => Error::Hook {
            hook,
            message: failure.message().to_owned(),
            source: None,
        },
    }
}

/// `err` and its causes, separated by `: ` (the same text the auth hook gives a token failure).
fn with_causes(err: &dyn std::error::Error) -> String {
    let mut message = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

/// What a failed attempt means for the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The request never reached the server (connect error): sending again is safe.
    NotSent,
    /// The server refused without processing (429): safe to send again, after its
    /// `Retry-After` wait when it gave one.
    Throttled(Option<Duration>),
    /// The request may have been processed (timeout, dropped connection, 5xx).
    Ambiguous,
    /// The server answered with a success status, but its body is unusable (undecodable, or
    /// over the client's size limit): the request was processed, and sending it again would
    /// process it twice and get the same answer. Not retried.
    Processed,
    /// Retrying cannot help (4xx, authentication).
    Final,
}

impl Failure {
    pub(crate) fn retryable(self) -> bool {
        !matches!(self, Failure::Final | Failure::Processed)
    }

    /// The wait the server asked for (`Retry-After` of a 429), if any.
    pub(crate) fn wait(self) -> Option<Duration> {
        match self {
            Failure::Throttled(wait) => wait,
            _ => None,
        }
    }
}

pub(crate) fn classify(err: &carbonext_api::Error<ProblemDetails>) -> Failure {
    use carbonext_api::Error as E;
    match err {
        // A hook refused the request before sending it: the token endpoint's own retries
        // have run, and a user's hook would refuse again.
        E::CommunicationError(e) if TransportFailure::of(e) == TransportFailure::Hook => {
            Failure::Final
        }
        E::CommunicationError(e) if TransportFailure::of(e) == TransportFailure::Connect => {
            Failure::NotSent
        }
        E::ResponseBodyError(e) if body_too_large(e).is_some_and(|b| b.status().is_success()) => {
            Failure::Processed
        }
        E::InvalidResponsePayload(..) => Failure::Processed,
        E::CommunicationError(_) | E::ResponseBodyError(_) => Failure::Ambiguous,
        E::ErrorResponse(rv) => match rv.status().as_u16() {
            429 => Failure::Throttled(carbonext_auth::retry_after(rv.headers())),
            500..=599 => Failure::Ambiguous,
            _ => Failure::Final,
        },
        _ => Failure::Final,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn undecodable(body: &'static [u8]) -> carbonext_api::Error<ProblemDetails> {
        let err = serde_json::from_slice::<ProblemDetails>(body).expect_err("truncated");
        carbonext_api::Error::InvalidResponsePayload(body.into(), err)
    }

    #[test]
    fn an_undecodable_success_has_the_operation_s_status_and_an_excerpt() {
        let err = error_from_api(
            carbonext_api::operations::GET_PRICE,
            undecodable(br#"{"vcuPrice": 1"#),
        );
        match err {
            Error::Decode {
                status, excerpt, ..
            } => {
                assert_eq!(status, Some(200));
                assert_eq!(excerpt, r#"{"vcuPrice": 1"#);
            }
            other => panic!("expected Error::Decode, got {other:?}"),
        }
    }

    #[test]
    fn an_undecodable_new_api_key_keeps_no_excerpt_of_its_secret() {
        let body = br#"{"id": "a", "clientId": "cbx_b2b_x", "clientSecret": "s3cr3t-value", "#;
        let wrong_type = br#"{"id": "a", "clientId": "cbx_b2b_x", "clientSecret": 12345678}"#;
        let err = error_from_api(
            carbonext_api::operations::CREATE_APPLICATION,
            undecodable(body),
        );
        assert_eq!(err.status(), Some(200));
        assert!(!err.to_string().contains("s3cr3t-value"), "{err}");
        assert!(!format!("{err:?}").contains("s3cr3t-value"), "{err:?}");
        let typed =
            serde_json::from_slice::<carbonext_api::types::ApplicationCredentials>(wrong_type)
                .expect_err("a number is no secret");
        let err = error_from_api(
            carbonext_api::operations::CREATE_APPLICATION,
            carbonext_api::Error::InvalidResponsePayload(wrong_type.as_slice().into(), typed),
        );
        assert!(!err.to_string().contains("12345678"), "{err}");
        assert!(!format!("{err:?}").contains("12345678"), "{err:?}");
    }
}
