//! Retries: a classifier (what failed, and may it be sent again?) and a [`RetryPolicy`]
//! (how often and how long to wait).
//!
//! Only calls that are safe to repeat are retried: reads, and cancellations (cancelling twice
//! cannot cost money). Connect errors, timeouts, 5xx and 429 are retried with exponential
//! backoff and jitter, honouring `Retry-After`; every other 4xx is final. Placing an order is
//! never retried blindly: see [`VcuMarket::place_order`](crate::VcuMarket::place_order).

use std::time::Duration;

use carbonext_api::types::ProblemDetails;

/// The SDK's one retry policy (shared with the token endpoint), and the loop that runs it.
pub use carbonext_auth::RetryPolicy;

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
        E::CommunicationError(e) if e.is_connect() => Failure::NotSent,
        E::ResponseBodyError(e)
            if crate::wire::body_too_large(e).is_some_and(|b| b.status().is_success()) =>
        {
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
