//! [`Error`]: everything a call can end with, and [`ValidationError`] for input refused before
//! any request is sent.
//!
//! Messages are lower case, carry no secret, and keep what the server said: an
//! [`Error::Api`] has the HTTP status, the problem-details title, the per-field errors and the
//! server's trace id.
//!
//! # Retry or give up
//!
//! The SDK has already retried what it safely could ([`RetryPolicy`](crate::RetryPolicy)) by
//! the time a call returns an error. [`Error::is_retryable`] says whether the *same call*
//! may succeed later without anything changing (run it again from your queue, with the same
//! [`OrderKey`] for an order: it is looked up before anything is placed again), and
//! [`Error::kind`] names the variant for metrics and alerts:
//!
//! | variant | `kind()` | `is_retryable()` | what the caller should do |
//! |---|---|---|---|
//! | [`Validation`](Error::Validation) | `validation` | no | dead-letter: the input is wrong, nothing was sent |
//! | [`Auth`](Error::Auth) | `auth` | yes when the token endpoint was unreachable or failing ([`AuthError::is_transient`](carbonext_auth::AuthError::is_transient)); no for refused credentials | retry later; otherwise alert: a secret was revoked or a permission is missing |
//! | [`Hook`](Error::Hook) | `hook` | no | dead-letter: your own hook refused the request |
//! | [`Api`](Error::Api) | `api` | yes for 408, 429 and 5xx; no for other 4xx | retry later (honour `retry_after`); otherwise dead-letter with the problem details |
//! | [`Transport`](Error::Transport) | `transport` | yes | retry later: the network or the server's time limit failed |
//! | [`Decode`](Error::Decode) | `decode` | no | alert: the server answered something unexpected (for an order, it was processed) |
//! | [`KeyLock`](Error::KeyLock) | `key_lock` | yes | retry later with the same key: another placement held it, or its lock store failed |
//! | [`KeyConflict`](Error::KeyConflict) | `key_conflict` | no | the key already holds a different order (`existing`, `differing`): nothing was sent; fix the request or use another key |
//! | [`PriceAboveLimit`](Error::PriceAboveLimit) | `price_above_limit` | no | dead-letter (or raise the limit): nothing was ordered |
//! | [`OutcomeUnknown`](Error::OutcomeUnknown) | `outcome_unknown` | yes | retry later with the same key: the retry looks the order up before placing anything |
//! | `EventStore` (feature `events`) | `event_store` | yes | an order watcher's store kept failing: fix the store, then start the watcher again (it resumes from what was recorded) |
//!
//! ```
//! # use carbonext_domain::Error;
//! fn settle(err: &Error) -> &'static str {
//!     if err.is_retryable() {
//!         "retry"
//!     } else if matches!(err.kind(), "auth" | "decode") {
//!         "alert"
//!     } else {
//!         "dead-letter"
//!     }
//! }
//! ```

use std::collections::BTreeMap;
use std::fmt;

use carbonext_auth::AuthError;

use crate::order::OrderKey;
pub use crate::validation::ValidationError;

/// Result of an SDK call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input was refused before anything was sent.
    #[error("invalid input: {0}")]
    Validation(#[from] ValidationError),

    /// No valid access token could be had (nothing was sent; `source` says why, typed), or
    /// the API refused it.
    #[error("authentication failed: {message}")]
    Auth {
        /// What went wrong (never contains a secret).
        message: String,
        /// The token endpoint's typed error, when it is the cause.
        #[source]
        source: Option<carbonext_auth::AuthError>,
    },

    /// A hook of yours ([`CarbonextBuilder::hook`](crate::CarbonextBuilder::hook)) refused
    /// the request in its `prepare`: nothing was sent, and the call was not retried.
    #[error("hook {hook} refused the request: {message}")]
    Hook {
        /// The hook's [`name`](carbonext_api::RequestHook::name).
        hook: String,
        /// What the hook said, with its causes (never a secret the hook did not put there).
        message: String,
        /// The hook's own error, typed (downcast it).
        #[source]
        source: Option<carbonext_api::HookError>,
    },

    /// The API answered with an error status.
    #[error("{0}")]
    Api(Box<ApiRejection>),

    /// The request could not be sent or its response could not be read, or no complete
    /// answer came within the time limit ([`CarbonextBuilder::timeout`]), after retries.
    ///
    /// [`CarbonextBuilder::timeout`]: crate::CarbonextBuilder::timeout
    #[error("network failure: {message}")]
    Transport {
        /// What failed.
        message: String,
        /// The underlying error.
        #[source]
        source: Option<reqwest::Error>,
    },

    /// The server answered, but not with something this SDK understands: a success body that
    /// does not match the API's schema (truncated JSON, an empty body, wrong types, HTML), a
    /// success body larger than the client's limit (32 MiB by default, see
    /// [`CarbonextBuilder::body_limit`](crate::CarbonextBuilder::body_limit)), or a status the
    /// API does not document.
    ///
    /// For a call that places something (an order), the request was processed all the same.
    #[error("unexpected response{}: {message}; body starts with: {excerpt:?}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    Decode {
        /// HTTP status of the answer (`Some(200)` for a malformed or oversized success body).
        /// `None` only when the raw client reported no status and the operation's documented
        /// success status is not unique.
        status: Option<u16>,
        /// What could not be decoded.
        message: String,
        /// The first characters of the body.
        excerpt: String,
    },

    /// The order key's lock ([`key_lock`](crate::key_lock)) could not be had, or was lost
    /// before the order was confirmed. [`KeyLockError`] says which, and whether anything was
    /// sent.
    #[error("order key {key}: {reason}")]
    KeyLock {
        /// The key whose placement stopped.
        key: OrderKey,
        /// What happened to the lock.
        reason: KeyLockError,
    },

    /// An offset's quote costs more than its
    /// [`max_total_price`](crate::offset::OffsetRequestBuilder::max_total_price): nothing was
    /// ordered.
    #[error("the quote for {vcus} VCUs is {quoted} {currency}, above the limit of {limit} {currency}; nothing was ordered")]
    PriceAboveLimit {
        /// VCUs quoted.
        vcus: crate::VcuAmount,
        /// Total price quoted, exactly as computed from the API's unit price.
        quoted: rust_decimal::Decimal,
        /// The caller's limit.
        limit: rust_decimal::Decimal,
        /// Currency of both.
        currency: crate::Currency,
    },

    /// An order already exists under the request's key, and it is not what the request asks
    /// for: a key is bound to what it ordered. Nothing was sent; `existing` is the order, and
    /// `differing` names the fields that differ (`vcuAmount`, `targetCurrency`,
    /// `certificateRecipientInfo.name`…). Use another key for another order.
    #[error("order key {key} was already used for a different order ({}); nothing was sent", differing.join(", "))]
    KeyConflict {
        /// The key.
        key: OrderKey,
        /// The order placed under it before.
        existing: Box<crate::Order>,
        /// The request's fields that differ from it, by their API names.
        differing: Vec<&'static str>,
    },

    /// An order may or may not have been placed: the request was sent, the answer was lost,
    /// and looking the order up by its key did not settle it. Check with
    /// `Ledger::orders(OrderQuery::new().key(&key))` before placing it again.
    #[error("order outcome unknown for key {key}: {message}")]
    OutcomeUnknown {
        /// The client order key the order carries in its metaData.
        key: OrderKey,
        /// What went wrong.
        message: String,
    },

    /// An order watcher's [`EventStore`](crate::events::EventStore) kept failing past its
    /// back-off ([`Carbonext::watch_orders`](crate::Carbonext::watch_orders)): nothing was
    /// handed over that it had not recorded.
    #[cfg(feature = "events")]
    #[cfg_attr(docsrs, doc(cfg(feature = "events")))]
    #[error("{0}")]
    EventStore(#[from] crate::events::EventStoreError),
}

impl Error {
    /// The variant's name in snake case (`"api"`, `"outcome_unknown"`…): the `error.type`
    /// of the operation's span, stable for metrics and alerts.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Validation(_) => "validation",
            Error::Auth { .. } => "auth",
            Error::Hook { .. } => "hook",
            Error::Api(_) => "api",
            Error::Transport { .. } => "transport",
            Error::Decode { .. } => "decode",
            Error::OutcomeUnknown { .. } => "outcome_unknown",
            Error::KeyLock { .. } => "key_lock",
            Error::KeyConflict { .. } => "key_conflict",
            Error::PriceAboveLimit { .. } => "price_above_limit",
            #[cfg(feature = "events")]
            Error::EventStore(_) => "event_store",
        }
    }

    /// Whether the same call may succeed later as it is (see the table in the [module
    /// docs](self)): a queue consumer retries the message, with the same order key, instead of
    /// dead-lettering it. Every variant is listed, so a new one must say where it stands.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Validation(_) => false,
            Error::Auth { source, .. } => source.as_ref().is_some_and(AuthError::is_transient),
            Error::Hook { .. } => false,
            Error::Api(rejection) => matches!(rejection.status, 408 | 429 | 500..=599),
            Error::Transport { .. } => true,
            Error::Decode { .. } => false,
            Error::KeyLock { .. } => true,
            Error::KeyConflict { .. } => false,
            Error::PriceAboveLimit { .. } => false,
            Error::OutcomeUnknown { .. } => true,
            #[cfg(feature = "events")]
            Error::EventStore(_) => true,
        }
    }

    /// HTTP status of the response behind the error, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(rejection) => Some(rejection.status),
            Error::Decode { status, .. } => *status,
            _ => None,
        }
    }
}

/// Why a placement stopped at its order key's lock.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyLockError {
    /// Another placement held the key for longer than the wait allowed
    /// ([`CarbonextBuilder::order_key_wait`](crate::CarbonextBuilder::order_key_wait)).
    /// Nothing was sent.
    #[error("another placement held the key for more than {waited:?}; nothing was sent")]
    TimedOut {
        /// How long this placement waited.
        waited: std::time::Duration,
    },
    /// The lock's store could not be reached or refused the lock. Nothing was sent.
    #[error("the order key lock is unavailable ({message}); nothing was sent")]
    Unavailable {
        /// What failed (never contains a password).
        message: String,
    },
    /// The lock was lost while the placement held it, before the order was confirmed: another
    /// process may now hold the key, so this placement stopped rather than send (again).
    /// When `sent` is `true` an order may exist: look it up by its key before placing again.
    #[error("the order key lock was lost ({message}); {}", if *sent { "the order may or may not have been placed: look it up by its key" } else { "nothing was sent" })]
    Lost {
        /// What happened to the lock.
        message: String,
        /// Whether a request to create the order had been sent.
        sent: bool,
    },
}

/// An error answer of the API, from its RFC 7807 problem details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiRejection {
    /// HTTP status.
    pub status: u16,
    /// Problem type URI (`about:blank` when the server sent no problem details).
    pub problem_type: Option<String>,
    /// Short summary (the HTTP reason phrase when the server sent no problem details).
    pub title: Option<String>,
    /// Longer explanation, or an excerpt of a non-JSON body.
    pub detail: Option<String>,
    /// Validation messages per field.
    pub field_errors: BTreeMap<String, Vec<String>>,
    /// The server's trace id, for support requests.
    pub trace_id: Option<String>,
    /// Seconds the server asked to wait (`Retry-After`), if any.
    pub retry_after: Option<u64>,
}

impl fmt::Display for ApiRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the API refused the request (HTTP {})", self.status)?;
        if let Some(title) = &self.title {
            write!(f, ": {title}")?;
        }
        if let Some(detail) = self.detail.as_deref().filter(|d| !d.is_empty()) {
            write!(f, " — {detail}")?;
        }
        for (field, messages) in &self.field_errors {
            write!(f, "; {field}: {}", messages.join(", "))?;
        }
        if let Some(trace_id) = &self.trace_id {
            write!(f, " (trace id {trace_id})")?;
        }
        Ok(())
    }
}
