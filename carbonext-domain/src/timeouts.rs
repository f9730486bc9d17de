//! [`Timeouts`]: every time limit of the SDK, set in one place and handed down from there —
//! to the HTTP client, the token cache, the call pipeline and the order key lock.

use std::time::Duration;

/// Time limit of one attempt unless [`Timeouts::attempt`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Time limit to connect unless [`Timeouts::connect`] says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Time limit of a whole operation, its retries included, unless [`Timeouts::operation`] says
/// otherwise.
pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(120);

/// Time limit of one token request unless [`Timeouts::token`] says otherwise.
pub const DEFAULT_TOKEN_TIMEOUT: Duration = carbonext_auth::DEFAULT_TOKEN_REQUEST_TIMEOUT;

/// Longest wait for an order key's lock unless
/// [`CarbonextBuilder::order_key_wait`](crate::CarbonextBuilder::order_key_wait) says
/// otherwise.
pub const DEFAULT_ORDER_KEY_WAIT: Duration = Duration::from_secs(60);

/// How far back the key lookup looks for an order's key unless
/// [`CarbonextBuilder::key_lookback`](crate::CarbonextBuilder::key_lookback) says otherwise:
/// 14 days, the longest a message waits in the common queues before it is dropped or
/// dead-lettered (Amazon SQS keeps messages at most 14 days; Kafka's default retention is
/// 7), so a redelivered message still finds the order its first delivery placed.
pub const DEFAULT_KEY_LOOKBACK: Duration = Duration::from_secs(14 * 86_400);

/// Every time limit of the SDK, set in one place
/// ([`CarbonextBuilder::timeouts`](crate::CarbonextBuilder::timeouts)) and handed down from
/// there: `connect` to the HTTP client the builder makes, `token` to the token cache,
/// `attempt` and `operation` to the facade's call pipeline. Each is kept on tokio's clock
/// (but `connect`, which the HTTP client keeps), so tests under
/// `#[tokio::test(start_paused = true)]` see them in virtual time.
///
/// ```
/// use std::time::Duration;
/// use carbonext_domain::Timeouts;
///
/// let timeouts = Timeouts::default()
///     .attempt(Duration::from_secs(5))
///     .operation(Duration::from_secs(20));
/// assert_eq!(timeouts.connect, Duration::from_secs(10));
/// assert_eq!(timeouts.attempt, Duration::from_secs(5));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// To open a connection (default 10 s); set on the HTTP client the builder makes, and
    /// ignored for one you give ([`CarbonextBuilder::http_client`](crate::CarbonextBuilder::http_client)).
    pub connect: Duration,
    /// One attempt: the request sent and its whole answer read, the token included when none
    /// is cached (default 30 s). An attempt that runs out is dropped and ends with
    /// [`Error::Transport`](crate::Error::Transport) ("timed out"): calls safe to repeat are
    /// retried, and an order is looked up by its key before anything is sent again.
    pub attempt: Duration,
    /// A whole operation, every attempt and wait between them (default 120 s): no attempt
    /// starts after it, and the last one is cut at it.
    pub operation: Duration,
    /// One request to the token endpoint (default 10 s).
    pub token: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: DEFAULT_CONNECT_TIMEOUT,
            attempt: DEFAULT_TIMEOUT,
            operation: DEFAULT_OPERATION_TIMEOUT,
            token: DEFAULT_TOKEN_TIMEOUT,
        }
    }
}

impl Timeouts {
    /// With `limit` to connect.
    pub fn connect(mut self, limit: Duration) -> Self {
        self.connect = limit;
        self
    }
    /// With `limit` per attempt.
    pub fn attempt(mut self, limit: Duration) -> Self {
        self.attempt = limit;
        self
    }
    /// With `limit` per operation, retries included.
    pub fn operation(mut self, limit: Duration) -> Self {
        self.operation = limit;
        self
    }
    /// With `limit` per token request.
    pub fn token(mut self, limit: Duration) -> Self {
        self.token = limit;
        self
    }
}
