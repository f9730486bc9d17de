//! [`RetryPolicy`]: the SDK's one retry policy and its one retry loop, [`RetryPolicy::run`].
//!
//! A policy says how often and how patiently; the caller says, after each failure, whether
//! trying again can help ([`Verdict`]): the token endpoint retries transient failures, the
//! `carbonext-domain` facade retries calls that are safe to repeat, and order placement looks
//! its key up before it ever sends again. Every wait is on tokio's clock.
//!
//! ```
//! use std::time::Duration;
//! use carbonext_auth::{RetryPolicy, Verdict};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let policy = RetryPolicy { max_attempts: 3, ..RetryPolicy::default() };
//! let answer: Result<&str, &str> = policy
//!     .run(
//!         |attempt| async move { if attempt < 3 { Err("busy") } else { Ok("done") } },
//!         |error, _attempt| async move { Verdict::Retry { error, after: None } },
//!     )
//!     .await;
//! assert_eq!(answer, Ok("done"));
//! # }
//! ```

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

/// How many times and how long to try a failed call again: exponential backoff with jitter,
/// a server's `Retry-After` honoured, bounded by attempts and by the time since the first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// Wait before the first retry (before jitter).
    pub initial_backoff: Duration,
    /// Longest wait computed by backoff (a server's `Retry-After` is honoured as given).
    pub max_backoff: Duration,
    /// No retry starts once this much time would have passed since the first attempt.
    pub max_elapsed: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 100 ms doubling up to 5 s, within 30 s.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
        }
    }
}

/// A random number in `0..=max` from the operating system's generator (the modulo's bias is
/// at most `max / 2⁶⁴`: nothing for a jitter). Should the generator fail, the middle of the
/// range: a wait stays within its bounds either way.
fn jitter_up_to(max: u64) -> u64 {
    match getrandom::u64() {
        Ok(random) if max < u64::MAX => random % (max + 1),
        Ok(random) => random,
        Err(_) => max / 2,
    }
}

/// What a caller of [`RetryPolicy::run`] makes of a failed attempt.
#[derive(Debug)]
pub enum Verdict<T, E> {
    /// Stop with this outcome (a final error, or a success found another way).
    Done(Result<T, E>),
    /// Try again if the policy allows, after `after` when the server asked for a wait
    /// (`Retry-After`), otherwise after the policy's backoff; `error` is the outcome if not.
    Retry {
        /// The outcome should the policy allow no further attempt.
        error: E,
        /// The wait the server asked for, if any.
        after: Option<Duration>,
    },
}

impl RetryPolicy {
    /// `max_attempts` attempts, backoff from `initial_backoff` doubling up to `max_backoff`,
    /// within the default [`RetryPolicy::max_elapsed`].
    pub fn new(max_attempts: u32, initial_backoff: Duration, max_backoff: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            initial_backoff,
            max_backoff: max_backoff.max(initial_backoff),
            ..Self::default()
        }
    }

    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The wait before retry number `retry` (1-based): `initial_backoff` doubled per retry,
    /// capped at `max_backoff`, jittered into `[d/2, d]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(31);
        let capped = self
            .initial_backoff
            .saturating_mul(1u32 << doublings)
            .min(self.max_backoff);
        let half = capped / 2;
        let span = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(jitter_up_to(span))
    }

    /// Runs `attempt` (given its 1-based number) until it succeeds, `settle` ends the call
    /// ([`Verdict::Done`]), or the policy allows no further attempt: then the last error.
    /// Waits between attempts with `tokio::time::sleep`.
    pub async fn run<T, E, A, AF, S, SF>(&self, mut attempt: A, mut settle: S) -> Result<T, E>
    where
        A: FnMut(u32) -> AF,
        AF: Future<Output = Result<T, E>>,
        S: FnMut(E, u32) -> SF,
        SF: Future<Output = Verdict<T, E>>,
    {
        let started = Instant::now();
        let mut tries = 0u32;
        loop {
            tries += 1;
            let failed = match attempt(tries).await {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let (error, after) = match settle(failed, tries).await {
                Verdict::Done(outcome) => return outcome,
                Verdict::Retry { error, after } => (error, after),
            };
            let wait = after.unwrap_or_else(|| self.backoff(tries));
            if tries >= self.max_attempts || started.elapsed() + wait > self.max_elapsed {
                return Err(error);
            }
            tracing::debug!(
                attempt = tries,
                wait_ms = wait.as_millis() as u64,
                "retrying"
            );
            tokio::time::sleep(wait).await;
        }
    }
}

/// The wait a `Retry-After` header asks for, in its delta-seconds form (an HTTP date is not
/// used by the API and is ignored): what a [`Verdict::Retry`] passes as `after`.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let seconds: u64 = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    Some(Duration::from_secs(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_within_the_cap_with_jitter() {
        let policy = RetryPolicy::new(10, Duration::from_millis(100), Duration::from_millis(400));
        for _ in 0..100 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = policy.backoff(40);
            assert!(late >= Duration::from_millis(200) && late <= Duration::from_millis(400));
        }
    }

    #[test]
    fn the_jitter_spreads_waits_over_the_range() {
        // 100 waits of a 1 s step: spread over [0.5 s, 1 s], never all alike, never outside.
        let policy = RetryPolicy::new(2, Duration::from_secs(1), Duration::from_secs(1));
        let waits: std::collections::BTreeSet<Duration> =
            (0..100).map(|_| policy.backoff(1)).collect();
        assert!(waits.len() > 90, "{} distinct waits of 100", waits.len());
        let (low, high) = (waits.first().unwrap(), waits.last().unwrap());
        assert!(*low >= Duration::from_millis(500) && *high <= Duration::from_secs(1));
        assert!(
            *high - *low > Duration::from_millis(250),
            "{low:?}..{high:?}"
        );
        assert_eq!(jitter_up_to(0), 0);
        jitter_up_to(u64::MAX); // the top of the range does not overflow
    }

    #[test]
    fn at_least_one_attempt() {
        assert_eq!(
            RetryPolicy::new(0, Duration::ZERO, Duration::ZERO).max_attempts,
            1
        );
    }

    fn always_retry(error: u32, _: u32) -> std::future::Ready<Verdict<(), u32>> {
        std::future::ready(Verdict::Retry { error, after: None })
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_attempts_with_the_last_error() {
        let policy = RetryPolicy::new(3, Duration::from_millis(10), Duration::from_millis(10));
        let outcome = policy.run(|n| async move { Err(n) }, always_retry).await;
        assert_eq!(outcome, Err(3));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_waited_on_tokios_clock_and_bounded_by_max_elapsed() {
        let policy = RetryPolicy {
            max_attempts: 10,
            max_elapsed: Duration::from_secs(25),
            ..RetryPolicy::default()
        };
        let started = Instant::now();
        let outcome: Result<(), u32> = policy
            .run(
                |n| async move { Err(n) },
                |error, _| async move {
                    Verdict::Retry {
                        error,
                        after: Some(Duration::from_secs(10)),
                    }
                },
            )
            .await;
        // Waits of 10 s after attempts 1 and 2; a third wait would end past 25 s.
        assert_eq!(outcome, Err(3));
        assert_eq!(started.elapsed(), Duration::from_secs(20));
    }

    #[tokio::test(start_paused = true)]
    async fn a_done_verdict_ends_the_call_with_its_outcome() {
        let outcome = RetryPolicy::default()
            .run(
                |n| async move { Err::<u32, u32>(n) },
                |error, _| async move { Verdict::Done(Ok(error * 100)) },
            )
            .await;
        assert_eq!(outcome, Ok(100));
    }
}
