//! One call of the facade: each attempt bounded by [`Timeouts::attempt`](crate::Timeouts),
//! the whole operation by [`Timeouts::operation`](crate::Timeouts), repeated under the retry
//! policy when [`failure`](super::failure) says it may be, in a span of its own.
//!
//! A 401 is not handled here: the client's auth hook resends once with a new token
//! (`carbonext_auth::AuthHook`), and is the one owner of getting a token.

use std::future::Future;

use carbonext_api::types::ProblemDetails;
use carbonext_api::Operation;
use carbonext_auth::Verdict;
use tokio::time::Instant;
use tracing::Instrument;

use super::carbonext::Carbonext;
use super::config::deadline_after;
use super::failure::AttemptError;
use crate::error::{Result, ValidationError};
use crate::order::OrderKey;
use crate::query::MAX_PAGE_SIZE;

/// What one attempt of the raw client returns.
pub(crate) type RawResult<T> = std::result::Result<T, carbonext_api::Error<ProblemDetails>>;

impl Carbonext {
    /// Runs one attempt of `operation` until `deadline` at the latest (the attempt's own
    /// limit, or the operation's when nearer).
    async fn attempt<T, Fut>(
        &self,
        operation_deadline: Instant,
        attempt: Fut,
    ) -> std::result::Result<T, AttemptError>
    where
        Fut: Future<Output = RawResult<T>>,
    {
        let timeouts = self.config().timeouts;
        if Instant::now() >= operation_deadline {
            return Err(AttemptError::OutOfTime(timeouts.operation));
        }
        let deadline = deadline_after(timeouts.attempt).min(operation_deadline);
        match tokio::time::timeout_at(deadline, attempt).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(err)) => Err(AttemptError::Api(Box::new(err))),
            Err(_) if deadline == operation_deadline => {
                Err(AttemptError::TimedOut(timeouts.operation))
            }
            Err(_) => Err(AttemptError::TimedOut(timeouts.attempt)),
        }
    }

    /// One attempt of a call that is never repeated (it creates something whose answer
    /// cannot be recovered).
    pub(crate) async fn once<T, Fut>(&self, operation: Operation, attempt: Fut) -> Result<T>
    where
        Fut: Future<Output = RawResult<T>>,
    {
        let span = operation_span(operation, None);
        span.record("carbonext.attempts", 1);
        let deadline = deadline_after(self.config().timeouts.operation);
        let outcome = self
            .attempt(deadline, attempt)
            .instrument(span.clone())
            .await
            .map_err(|err| err.into_error(operation));
        record_outcome(&span, &outcome);
        outcome
    }

    /// Runs `attempt` under the retry policy; for calls that are safe to repeat.
    pub(crate) async fn retrying<T, F, Fut>(&self, operation: Operation, attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = RawResult<T>>,
    {
        self.with_retries(operation, None, attempt, |err| async move {
            let failure = err.failure();
            if failure.retryable() {
                Verdict::Retry {
                    after: failure.wait(),
                    error: err,
                }
            } else {
                Verdict::Done(Err(err))
            }
        })
        .await
    }

    /// The facade's use of the one retry loop ([`RetryPolicy::run`](crate::RetryPolicy::run)):
    /// each attempt bounded by the time limits, `settle` deciding after each failure, the
    /// error made the caller's.
    pub(crate) async fn with_retries<T, F, Fut, S, SF>(
        &self,
        operation: Operation,
        order_key: Option<&OrderKey>,
        mut attempt: F,
        mut settle: S,
    ) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = RawResult<T>>,
        S: FnMut(AttemptError) -> SF,
        SF: Future<Output = Verdict<T, AttemptError>>,
    {
        let span = operation_span(operation, order_key);
        let deadline = deadline_after(self.config().timeouts.operation);
        let outcome = self
            .config()
            .retry
            .run(
                |tries| {
                    tracing::Span::current().record("carbonext.attempts", tries);
                    // Boxed where it is made: the generated client's futures are large, and
                    // the loop would otherwise carry them inline.
                    Box::pin(self.attempt(deadline, attempt()))
                },
                |err, tries| {
                    tracing::debug!(attempt = tries, failure = ?err.failure(), "attempt failed");
                    settle(err)
                },
            )
            .instrument(span.clone())
            .await
            .map_err(|err| err.into_error(operation));
        record_outcome(&span, &outcome);
        outcome
    }
}

/// The span of one SDK operation, around all its attempts: `carbonext.operation` (the
/// operation id), `carbonext.attempts`, `carbonext.order_key` when there is one, and
/// `error.type` when it fails. Each attempt's HTTP exchanges are `carbonext.http` spans inside.
fn operation_span(operation: Operation, order_key: Option<&OrderKey>) -> tracing::Span {
    let span = tracing::info_span!(
        "carbonext.operation",
        otel.name = operation.id,
        carbonext.operation = operation.id,
        carbonext.attempts = tracing::field::Empty,
        carbonext.order_key = tracing::field::Empty,
        error.type = tracing::field::Empty,
    );
    if let Some(key) = order_key {
        span.record("carbonext.order_key", key.as_str());
    }
    span
}

/// Records a failed operation's `error.type` (the [`Error`](crate::Error) variant) on its span.
fn record_outcome<T>(span: &tracing::Span, outcome: &Result<T>) {
    if let Err(err) = outcome {
        span.record("error.type", err.kind());
    }
}

/// A page number as the API takes it (1 to `i32::MAX`).
pub(crate) fn check_page(page: u32) -> Result<std::num::NonZeroU32> {
    if page == 0 || page > i32::MAX as u32 {
        return Err(ValidationError::OutOfRange {
            what: "page",
            value: u64::from(page),
            max: i32::MAX as u64,
        }
        .into());
    }
    Ok(std::num::NonZeroU32::new(page).expect("checked above"))
}

/// A page size as the API takes it (1 to [`MAX_PAGE_SIZE`]).
pub(crate) fn check_page_size(size: u32) -> Result<std::num::NonZeroU32> {
    if size == 0 || size > MAX_PAGE_SIZE {
        return Err(ValidationError::OutOfRange {
            what: "page size",
            value: u64::from(size),
            max: u64::from(MAX_PAGE_SIZE),
        }
        .into());
    }
    Ok(std::num::NonZeroU32::new(size).expect("checked above"))
}
