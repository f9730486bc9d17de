//! Retries: the [`RetryPolicy`] (how often and how long to wait); what each failure means,
//! and so whether it may be sent again, is the facade's to decide.
//!
//! Only calls that are safe to repeat are retried: reads, and cancellations (cancelling twice
//! cannot cost money). Connect errors, timeouts, 5xx and 429 are retried with exponential
//! backoff and jitter, honouring `Retry-After`; every other 4xx is final. Placing an order is
//! never retried blindly: see [`VcuMarket::place_order`](crate::VcuMarket::place_order).

/// The SDK's one retry policy (shared with the token endpoint), and the loop that runs it.
pub use carbonext_auth::RetryPolicy;
