//! The configuration a [`Carbonext`](crate::Carbonext) carries (one struct, so that the
//! builder and the `with_*` methods change it the same way); its time limits are
//! [`Timeouts`](crate::Timeouts).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::key_lock::{InProcessKeyLock, OrderKeyLock};
use crate::timeouts::{DEFAULT_KEY_LOOKBACK, DEFAULT_ORDER_KEY_WAIT};
use crate::{RetryPolicy, Timeouts};

/// Stands for a time limit too large to add to an `Instant`.
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 86_400);

/// `limit` from `now` on tokio's clock; a limit too large to add is a deadline decades away.
pub(crate) fn deadline_after(limit: Duration) -> Instant {
    let now = Instant::now();
    now.checked_add(limit).unwrap_or_else(|| now + FAR_FUTURE)
}

/// What a [`Carbonext`](crate::Carbonext) is configured with beside its client.
#[derive(Clone, Debug)]
pub(crate) struct Config {
    pub(crate) retry: RetryPolicy,
    /// Pages the streams fetch ahead (at least 1).
    pub(crate) prefetch: usize,
    pub(crate) timeouts: Timeouts,
    /// Held over each placement of an order with a caller-given key.
    pub(crate) key_lock: Arc<dyn OrderKeyLock>,
    /// Longest wait for `key_lock`.
    pub(crate) key_wait: Duration,
    /// How far back the key lookup looks.
    pub(crate) key_lookback: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            retry: RetryPolicy::default(),
            prefetch: 4,
            timeouts: Timeouts::default(),
            key_lock: Arc::new(InProcessKeyLock::default()),
            key_wait: DEFAULT_ORDER_KEY_WAIT,
            key_lookback: DEFAULT_KEY_LOOKBACK,
        }
    }
}
