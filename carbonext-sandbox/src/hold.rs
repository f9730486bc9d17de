//! Holds: the requests of one operation kept waiting at the gate until `count` of them wait
//! at once, then released together. A test forces a race with it instead of hoping for one:
//! two processes' key lookups (`GET /v1/orders`, whatever its query) held until both have
//! arrived both read the orders before either creates one.
//!
//! - A hold is one-shot: once released, requests of its operation pass until it is set again.
//! - It is bounded: at `max_wait` after it was set (on tokio's clock) it releases whatever
//!   waits, so a test whose requests never come cannot hang the sandbox.
//! - Its [`HoldReport`] says how many requests were released together and why, so a test can
//!   assert that every party was inside the window.
//! - It applies right after a request is counted, before latency, faults and authentication:
//!   a fault set while a request is held applies to it when it is released.
//!
//! Also on the control paths: `POST /__sandbox/holds` (a [`HoldSettings`]), `GET
//! /__sandbox/holds` (every [`HoldReport`]) and `POST /__sandbox/holds/release`
//! (`{"operation": "list_orders"}`).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! let sandbox = carbonext_sandbox::Sandbox::builder().start().await?;
//! sandbox.holds().hold_order_lists(2, Duration::from_secs(30));
//! // ... two clients look the same key up ...
//! let report = sandbox.holds().report("list_orders").expect("a hold was set");
//! assert_eq!(report.held_together, Some(2));
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use carbonext_api::operations;
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::time::Instant;

/// Why a hold let its requests go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ReleaseCause {
    /// `count` requests were waiting at once.
    Count,
    /// `max_wait` ran out first.
    Deadline,
    /// [`Holds::release`] (or `POST /__sandbox/holds/release`).
    Request,
}

/// The state of one operation's hold (also the JSON of `GET /__sandbox/holds`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HoldReport {
    /// The held operation's id (e.g. `list_orders`).
    pub operation: String,
    /// How many requests release the hold.
    pub count: usize,
    /// Requests waiting now.
    pub held: usize,
    /// Requests that arrived since the hold was set, released or not.
    pub arrived: usize,
    /// How many requests were released together; `None` while the hold holds.
    pub held_together: Option<usize>,
    /// Why it was released; `None` while it holds.
    pub released_by: Option<ReleaseCause>,
}

/// Body of `POST /__sandbox/holds`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HoldSettings {
    /// Operation id to hold (`list_orders`, `create_order`, `request_token`...).
    pub operation: String,
    /// Requests that must wait at once before all are released (at least 1).
    pub count: usize,
    /// Longest time the hold lasts, in milliseconds.
    pub max_wait_ms: u64,
}

/// One operation's hold: its report, published to the requests waiting on it.
#[derive(Debug)]
struct Hold {
    deadline: Instant,
    report: watch::Sender<HoldReport>,
}

impl Hold {
    fn release(&self, cause: ReleaseCause) {
        self.report.send_if_modified(|report| {
            if report.released_by.is_some() {
                return false;
            }
            report.held_together = Some(report.held);
            report.held = 0;
            report.released_by = Some(cause);
            true
        });
    }

    fn expire_if_due(&self) {
        if Instant::now() >= self.deadline {
            self.release(ReleaseCause::Deadline);
        }
    }
}

/// Handle to a sandbox's holds. Cheap to clone; every clone controls the same sandbox.
#[derive(Clone, Debug, Default)]
pub struct Holds {
    holds: Arc<Mutex<BTreeMap<&'static str, Arc<Hold>>>>,
}

/// The operation id of the spec's table that is `id`, if any.
fn known(id: &str) -> Option<&'static str> {
    operations::ALL
        .iter()
        .map(|op| op.id)
        .find(|known| *known == id)
}

impl Holds {
    fn lock(&self) -> MutexGuard<'_, BTreeMap<&'static str, Arc<Hold>>> {
        self.holds.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, operation: &str) -> Option<Arc<Hold>> {
        self.lock().get(operation).cloned()
    }

    /// Holds the requests of `operation` (a progenitor operation id such as `list_orders`)
    /// until `count` wait at once, for `max_wait` at most; replaces (and releases) a hold set
    /// before on it. Returns `None`, setting nothing, when the spec has no such operation.
    pub fn hold(&self, operation: &str, count: usize, max_wait: Duration) -> Option<HoldReport> {
        let operation = known(operation)?;
        let report = HoldReport {
            operation: operation.to_owned(),
            count: count.max(1),
            held: 0,
            arrived: 0,
            held_together: None,
            released_by: None,
        };
        let now = Instant::now();
        let hold = Arc::new(Hold {
            deadline: now
                .checked_add(max_wait)
                .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365)),
            report: watch::Sender::new(report.clone()),
        });
        if let Some(old) = self.lock().insert(operation, hold) {
            old.release(ReleaseCause::Request);
        }
        Some(report)
    }

    /// Holds order-list requests (`GET /v1/orders`, with any query: how the SDK looks a key
    /// up) until `count` wait at once, for `max_wait` at most.
    pub fn hold_order_lists(&self, count: usize, max_wait: Duration) -> HoldReport {
        self.hold(operations::LIST_ORDERS.id, count, max_wait)
            .expect("list_orders is an operation of the spec")
    }

    /// Applies `settings` (what `POST /__sandbox/holds` receives); `None` for an unknown
    /// operation.
    pub fn apply(&self, settings: &HoldSettings) -> Option<HoldReport> {
        self.hold(
            &settings.operation,
            settings.count,
            Duration::from_millis(settings.max_wait_ms),
        )
    }

    /// Releases the hold on `operation` now; its report, or `None` when none was set.
    pub fn release(&self, operation: &str) -> Option<HoldReport> {
        let hold = self.get(operation)?;
        hold.release(ReleaseCause::Request);
        let report = hold.report.borrow().clone();
        Some(report)
    }

    /// The state of the hold on `operation`, if one was set.
    pub fn report(&self, operation: &str) -> Option<HoldReport> {
        let hold = self.get(operation)?;
        hold.expire_if_due();
        let report = hold.report.borrow().clone();
        Some(report)
    }

    /// Every hold's state, by operation id.
    pub fn reports(&self) -> Vec<HoldReport> {
        let holds: Vec<_> = self.lock().values().cloned().collect();
        holds
            .iter()
            .map(|hold| {
                hold.expire_if_due();
                hold.report.borrow().clone()
            })
            .collect()
    }

    /// Waits until `n` requests of `operation` wait at once, or its hold is released; returns
    /// its report then (`None` when no hold is set). For a test that acts inside the window
    /// and then calls [`Holds::release`].
    pub async fn held(&self, operation: &str, n: usize) -> Option<HoldReport> {
        let hold = self.get(operation)?;
        let mut changes = hold.report.subscribe();
        let deadline = hold.deadline;
        let waited = tokio::time::timeout_at(
            deadline,
            changes.wait_for(|r| r.held >= n || r.released_by.is_some()),
        )
        .await;
        if waited.is_err() {
            hold.release(ReleaseCause::Deadline);
        }
        let report = hold.report.borrow().clone();
        Some(report)
    }

    /// Lets one arriving request of `operation` through, after holding it while its hold holds.
    pub(crate) async fn pass(&self, operation: &str) {
        let Some(hold) = self.get(operation) else {
            return;
        };
        hold.expire_if_due();
        let mut outcome = None;
        hold.report.send_if_modified(|report| {
            if report.released_by.is_some() {
                return false;
            }
            report.arrived += 1;
            report.held += 1;
            if report.held >= report.count {
                report.held_together = Some(report.held);
                report.held = 0;
                report.released_by = Some(ReleaseCause::Count);
                outcome = Some(true);
            } else {
                outcome = Some(false);
            }
            true
        });
        // Not held (released already), or the one that completes the count.
        if outcome != Some(false) {
            return;
        }
        let _waiting = Waiting(&hold);
        let mut changes = hold.report.subscribe();
        let released =
            tokio::time::timeout_at(hold.deadline, changes.wait_for(|r| r.released_by.is_some()))
                .await;
        if released.is_err() {
            hold.release(ReleaseCause::Deadline);
        }
    }
}

/// A held request: dropped before its release (its client went away), it no longer counts
/// as waiting; after the release, dropping it changes nothing.
struct Waiting<'a>(&'a Hold);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.report.send_if_modified(|report| {
            if report.released_by.is_some() {
                return false;
            }
            report.held -= 1;
            true
        });
    }
}
