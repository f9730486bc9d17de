//! [`RetryPolicy`]: how often and how patiently a failed token request is tried again.
//!
//! ```
//! use std::time::Duration;
//! use carbonext_auth::RetryPolicy;
//!
//! let patient = RetryPolicy::new(6, Duration::from_millis(100), Duration::from_secs(10));
//! assert_eq!(patient.max_attempts(), 6);
//! assert_eq!(RetryPolicy::no_retry().max_attempts(), 1);
//! ```

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

/// Bounded exponential backoff for token requests.
///
/// Only transient failures are retried (see
/// [`AuthError::is_transient`](crate::AuthError::is_transient)): connection errors, timeouts,
/// 5xx, 429 and 408. Rejected credentials or scopes are returned at once. The delay doubles
/// from `initial_backoff` up to `max_backoff`, jittered into the upper half of each step; a
/// `Retry-After` header in seconds lengthens it (still capped by `max_backoff`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl RetryPolicy {
    /// At most `max_attempts` requests (at least 1) in all, waiting about `initial_backoff`
    /// after the first failure, doubling each time, never more than `max_backoff`.
    pub fn new(max_attempts: u32, initial_backoff: Duration, max_backoff: Duration) -> Self {
        Self {
            max_attempts: max_attempts.max(1),
            initial_backoff,
            max_backoff: max_backoff.max(initial_backoff),
        }
    }

    /// One request, no retry.
    pub fn no_retry() -> Self {
        Self::new(1, Duration::ZERO, Duration::ZERO)
    }

    /// Most requests sent for one token, retries included.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Delay after the first failure (before jitter).
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Longest delay between two requests.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// Delay before attempt `failed + 1`, after `failed` failures (1-based): the exponential
    /// step, jittered into its upper half, raised to `retry_after`, capped by `max_backoff`.
    pub(crate) fn delay(&self, failed: u32, retry_after: Option<Duration>) -> Duration {
        let doublings = failed.saturating_sub(1).min(16);
        let step = self
            .initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff);
        let jittered = step / 2 + step.mul_f64(jitter() / 2.0);
        jittered
            .max(retry_after.unwrap_or(Duration::ZERO))
            .min(self.max_backoff)
    }
}

/// Four attempts, 250 ms doubling up to 4 s: at most about 7 s spent on one token.
impl Default for RetryPolicy {
    fn default() -> Self {
        Self::new(4, Duration::from_millis(250), Duration::from_secs(4))
    }
}

/// A number in `[0, 1)`, different on each call; good enough to spread retries.
fn jitter() -> f64 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos().into())
            .unwrap_or(0),
    );
    (hasher.finish() >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_bounds() {
        let policy = RetryPolicy::new(10, Duration::from_millis(100), Duration::from_secs(1));
        for _ in 0..100 {
            let first = policy.delay(1, None);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.delay(3, None);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = policy.delay(30, None);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_secs(1));
        }
    }

    #[test]
    fn retry_after_lengthens_but_never_beyond_the_cap() {
        let policy = RetryPolicy::new(3, Duration::from_millis(100), Duration::from_secs(2));
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(1))),
            Duration::from_secs(1)
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(60))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn at_least_one_attempt() {
        assert_eq!(
            RetryPolicy::new(0, Duration::ZERO, Duration::ZERO).max_attempts(),
            1
        );
    }
}
