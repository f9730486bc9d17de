//! From the raw client's errors to [`Error`](crate::Error): status, problem details and
//! excerpts kept, secrets never included.

use std::collections::BTreeMap;

use carbonext_api::types::ProblemDetails;
use carbonext_api::BodyTooLarge;

use crate::error::{ApiRejection, Error, ValidationError};
use crate::retry::retry_after;

/// Characters of an undecodable body kept in an error.
const EXCERPT_CHARS: usize = 200;

pub(crate) fn excerpt(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .take(EXCERPT_CHARS)
        .collect()
}

/// The [`BodyTooLarge`] behind a body error, if the client's size limit caused it.
pub(crate) fn body_too_large(err: &reqwest::Error) -> Option<&BodyTooLarge> {
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        if let Some(found) = cause.downcast_ref::<BodyTooLarge>() {
            return Some(found);
        }
        source = cause.source();
    }
    None
}

/// Maps an error of the raw client's operation `operation` (its operation id, e.g.
/// `"create_order"`, which gives the status of an undecodable success).
pub(crate) fn error_from_api(operation: &str, err: carbonext_api::Error<ProblemDetails>) -> Error {
    use carbonext_api::Error as E;
    match err {
        E::ResponseBodyError(source) if body_too_large(&source).is_some() => {
            let too_large = body_too_large(&source).expect("checked just above");
            Error::Decode {
                status: Some(too_large.status().as_u16()),
                // "the response body exceeds the 32 MiB limit (chunked)"
                message: format!("the {too_large}"),
                excerpt: excerpt(too_large.excerpt()),
            }
        }
        E::InvalidRequest(message) => Error::Validation(ValidationError::Request(message)),
        // The only hook that fails a call before sending is the auth hook.
        E::Custom(message) => Error::Auth {
            message: message
                .strip_prefix("authentication failed: ")
                .map(str::to_owned)
                .unwrap_or(message),
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
            let retry_after = retry_after(rv.headers());
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
            status: carbonext_api::success_status(operation),
            message: format!("a successful response did not match the API's schema: {err}"),
            excerpt: excerpt(&bytes),
        },
        E::UnexpectedResponse(response) => Error::Decode {
            status: Some(response.status().as_u16()),
            message: "a status the API does not document".to_owned(),
            excerpt: String::new(),
        },
    }
}

fn describe_transport(err: &reqwest::Error) -> String {
    let what = if err.is_connect() {
        "could not connect"
    } else if err.is_timeout() {
        "timed out"
    } else if err.is_body() || err.is_decode() {
        "the response body could not be read"
    } else {
        "the connection failed"
    };
    // reqwest's Display includes the URL, which carries no secret (tokens travel in headers).
    let mut message = format!("{what}: {err}");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}
