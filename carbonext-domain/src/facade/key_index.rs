//! The key index's state, per client: what the lookup (`lookup.rs`) knows of the window's
//! keyed orders, and the refreshes that keep it current (`refreshes.rs`). Data only; the
//! requests that fill it are the lookup's.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::fmt;
use std::sync::atomic::AtomicU64;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::refreshes::Refreshes;
use crate::order::{Order, OrderKey};

/// Page size of the first scan.
pub(super) const FILL_PAGE_SIZE: u32 = 1000;
/// Keyed orders kept whole, the newest of the window (about 1.1 KB each, so about 5.5 MB at
/// most): a re-run of a batch of up to this many rows finds its orders without listing them
/// again. An older one is listed again by its creation day and VCU amount, page by page until
/// it shows up (6.5 requests per row were measured on a 5,000-row re-run when only 1,000 were
/// kept and every page was read).
const RECENT_ORDERS: usize = 5 * FILL_PAGE_SIZE as usize;

/// How this client finds keys, decided at its first lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// The API lists `metaData_like`: each lookup filters by it.
    MetaDataFilter,
    /// Documented filters only: the window's index.
    Window,
}

/// What the key index says of a key before any request (`Carbonext::key_knowledge`).
pub(crate) enum KeyKnowledge {
    /// An order with the key, held whole.
    Known(Box<Order>),
    /// The index is filled and holds no order with the key: most likely a new one.
    Unknown,
    /// The index is not filled yet, or holds the key's order in part only.
    Unsure,
}

/// Per-client state of the key lookup (shared by clones of a [`Carbonext`](crate::Carbonext)).
#[derive(Default)]
pub(crate) struct KeyLookup {
    /// The mode, once decided; held through the first scan, which decides it (lookups queue
    /// here until the index is filled).
    pub(super) mode: tokio::sync::Mutex<Option<Mode>>,
    /// What is known, taken briefly and never across an await, so that a placement can ask
    /// whether its key is already known while a refresh runs.
    pub(super) index: std::sync::Mutex<Index>,
    /// Lookups' tickets and which of them the refreshes served.
    pub(super) refreshes: Refreshes,
    /// Requests of the first scan (reported, for the benchmarks and the curious).
    pub(super) first_scan_requests: AtomicU64,
}

/// What the index keeps of an order: enough to list it again by documented filters (its
/// creation day and VCU amount) and to recognise it (its id), a few dozen bytes, so that the
/// index of a busy window stays small.
#[derive(Clone, Copy, Debug)]
pub(super) struct Entry {
    pub(super) id: Uuid,
    pub(super) day: Option<NaiveDate>,
    pub(super) vcus: rust_decimal::Decimal,
}

#[derive(Default)]
pub(super) struct Index {
    pub(super) filled: bool,
    /// The mode is [`Mode::Window`]: the index is what lookups read.
    pub(super) window: bool,
    /// Orders of the window by key, newest first.
    pub(super) by_key: HashMap<OrderKey, Vec<Entry>>,
    /// Orders seen by a scan (the refresh stops at a page holding one).
    pub(super) seen: HashSet<Uuid>,
    /// The newest keyed orders of the window, whole (at most [`RECENT_ORDERS`]): what a
    /// lookup returns without listing them again.
    pub(super) recent: HashMap<Uuid, Order>,
    /// Ids of `recent` by creation time, oldest first (the first to go).
    pub(super) recent_by_age: BTreeSet<(Option<DateTime<Utc>>, Uuid)>,
    /// First day of the window at the last scan.
    pub(super) cutoff: Option<NaiveDate>,
}

impl fmt::Debug for KeyLookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyLookup")
            .field("lookups", &self.refreshes.issued())
            .finish_non_exhaustive()
    }
}

impl Index {
    /// Adds `order` if it is in the window; `false` when it is older (the scan can stop).
    pub(super) fn learn(&mut self, order: Order, cutoff: NaiveDate) -> bool {
        if created_day(&order).is_some_and(|day| day < cutoff) {
            return false;
        }
        if self.seen.insert(order.id.0) {
            if let Some(key) = order.key().cloned() {
                let entry = Entry {
                    id: order.id.0,
                    day: created_day(&order),
                    vcus: order.vcu_amount,
                };
                let entries = self.by_key.entry(key).or_default();
                // An order this client placed is known before a scan lists it.
                if !entries.iter().any(|e| e.id == entry.id) {
                    entries.push(entry);
                    self.keep_whole(order);
                }
            }
        }
        true
    }

    /// Remembers an order this client just placed under `key`, before a scan lists it, so a
    /// re-run in this process finds it without a request. Not marked as seen: a refresh must
    /// still read every order placed before it by others.
    pub(super) fn remember_placed(&mut self, key: OrderKey, order: Order) {
        let entries = self.by_key.entry(key).or_default();
        if !entries.iter().any(|e| e.id == order.id.0) {
            entries.insert(
                0,
                Entry {
                    id: order.id.0,
                    day: created_day(&order),
                    vcus: order.vcu_amount,
                },
            );
            self.keep_whole(order);
        }
    }

    /// Keeps `order` whole if it is among the [`RECENT_ORDERS`] newest keyed orders read: a
    /// first scan reads newest first and a refresh reads newer ones, so the orders a re-run
    /// asks for (the latest) stay whole and the oldest go first.
    fn keep_whole(&mut self, order: Order) {
        let age = (order.created_at.as_ref().map(|t| t.utc()), order.id.0);
        if self.recent.len() == RECENT_ORDERS {
            match self.recent_by_age.first() {
                Some(oldest) if *oldest < age => {
                    let (_, id) = self.recent_by_age.pop_first().expect("not empty");
                    self.recent.remove(&id);
                }
                _ => return,
            }
        }
        self.recent_by_age.insert(age);
        self.recent.insert(order.id.0, order);
    }

    /// Moves the window's start to `cutoff`, forgetting what fell out of it.
    pub(super) fn slide(&mut self, cutoff: NaiveDate) {
        if self.cutoff.is_some_and(|old| old >= cutoff) {
            return;
        }
        self.cutoff = Some(cutoff);
        for orders in self.by_key.values_mut() {
            orders.retain(|o| o.day.is_none_or(|day| day >= cutoff));
        }
        self.by_key.retain(|_, orders| !orders.is_empty());
    }
}

/// The day an order was created on, as the API's `createdAt` filters compare it.
pub(super) fn created_day(order: &Order) -> Option<NaiveDate> {
    order.created_at.as_ref().map(|t| t.utc().date_naive())
}
