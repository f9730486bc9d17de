//! Retries: a classifier (what failed, and may it be sent again?) and a [`RetryPolicy`]
//! (how often and how long to wait).
//!
//! Only calls that are safe to repeat are retried: reads, and cancellations (cancelling twice
//! cannot cost money). Connect errors, timeouts, 5xx and 429 are retried with exponential
//! backoff and jitter, honouring `Retry-After`; every other 4xx is final. Placing an order is
//! never retried blindly: see [`VcuMarket::place_order`](crate::VcuMarket::place_order).

use std::time::Duration;

use carbonext_api::types::ProblemDetails;
use rand::Rng;

/// How many times and how long to retry a failed call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Wait before the first retry.
    pub initial_backoff: Duration,
    /// Longest wait between two attempts.
    pub max_backoff: Duration,
    /// No retry starts once this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1-based): exponential, capped, with jitter in
    /// `[d/2, d]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let capped = exp.min(self.max_backoff);
        let half = capped / 2;
        let jitter = rand::rng().random_range(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter)
    }
}

/// What a failed attempt means for the next one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The request never reached the server (connect error): sending again is safe.
    NotSent,
    /// The server refused without processing (429): safe to send again, after `Some(secs)`.
    Throttled(Option<u64>),
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
            429 => Failure::Throttled(retry_after(rv.headers())),
            500..=599 => Failure::Ambiguous,
            _ => Failure::Final,
        },
        _ => Failure::Final,
    }
}

/// Seconds of a `Retry-After` header (delta-seconds form).
pub(crate) fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_stays_within_the_cap() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(400),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let fifth = policy.backoff(5);
            assert!(fifth >= Duration::from_millis(200) && fifth <= Duration::from_millis(400));
        }
    }
}
