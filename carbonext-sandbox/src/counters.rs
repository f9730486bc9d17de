//! Request counters, for tests that assert how many calls a client really made.
//!
//! - [`Counters::operation`]: requests routed to an operation (progenitor's snake_case
//!   operation ids, e.g. `create_order`, `request_token`), counted on arrival, so requests
//!   answered by a fault (5xx, 429, dropped) count too;
//! - [`Counters::token_requests`]: requests to the token endpoint, whatever their outcome;
//! - [`Counters::expired_token_rejections`]: API requests refused with 401 because the
//!   token they presented was unknown, expired or revoked (a request with no token at all is
//!   refused too, but not counted here);
//! - [`Counters::total_api_requests`]: every request under `/v1/` (including unknown paths),
//!   not the token endpoint nor the control paths.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// Live counters of a sandbox.
#[derive(Debug, Default)]
pub(crate) struct CounterSet {
    operations: Mutex<HashMap<&'static str, u64>>,
    token_requests: AtomicU64,
    expired_token_rejections: AtomicU64,
    total_api_requests: AtomicU64,
    dropped_answers: AtomicU64,
}

impl CounterSet {
    pub(crate) fn dropped_answer(&self) {
        self.dropped_answers.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn operation(&self, id: &'static str) {
        *self
            .operations
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(id)
            .or_default() += 1;
        if id == carbonext_api::operations::REQUEST_TOKEN.id {
            self.token_requests.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn api_request(&self) {
        self.total_api_requests.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn token_rejection(&self) {
        self.expired_token_rejections
            .fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> Counters {
        Counters {
            operations: self
                .operations
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .map(|(k, v)| ((*k).to_owned(), *v))
                .collect(),
            token_requests: self.token_requests.load(Ordering::Relaxed),
            expired_token_rejections: self.expired_token_rejections.load(Ordering::Relaxed),
            total_api_requests: self.total_api_requests.load(Ordering::Relaxed),
            dropped_answers: self.dropped_answers.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of the counters (also the JSON of `GET /__sandbox/counters`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Counters {
    /// Requests per operation id.
    pub operations: BTreeMap<String, u64>,
    /// Requests to the token endpoint.
    pub token_requests: u64,
    /// API requests refused for an unknown, expired or revoked token.
    pub expired_token_rejections: u64,
    /// Requests under `/v1/`.
    pub total_api_requests: u64,
    /// Answers of committed orders dropped by the drop-after-commit fault.
    #[serde(default)]
    pub dropped_answers: u64,
}

impl Counters {
    /// Requests routed to `operation_id` (e.g. `create_order`); 0 when none.
    pub fn operation(&self, operation_id: &str) -> u64 {
        self.operations.get(operation_id).copied().unwrap_or(0)
    }

    /// Requests to the token endpoint.
    pub fn token_requests(&self) -> u64 {
        self.token_requests
    }

    /// API requests refused for an unknown, expired or revoked token.
    pub fn expired_token_rejections(&self) -> u64 {
        self.expired_token_rejections
    }

    /// Requests under `/v1/`.
    pub fn total_api_requests(&self) -> u64 {
        self.total_api_requests
    }

    /// Answers of committed orders the drop-after-commit fault dropped.
    pub fn dropped_answers(&self) -> u64 {
        self.dropped_answers
    }
}
