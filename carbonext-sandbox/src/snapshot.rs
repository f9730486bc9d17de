//! What a state file holds ([`Snapshot`]), how it is taken from and put back into a running
//! sandbox, and how two processes' snapshots are merged ([`merge`]).
//!
//! A snapshot is everything a sandbox must remember between processes: customers, API keys
//! (fake secrets included, so the seeded credentials stay the same), orders, invoices, users,
//! the clock and how many ids were drawn. Access tokens are left out: each process gets its
//! own, and a token never reaches a file. The balance is not stored either: it is derived
//! from the orders and invoices (see [`crate::ledger`]), so it always agrees with them.
//!
//! # Merging
//!
//! A process remembers the snapshot it last read or wrote (its *base*). At save time it reads
//! the file again (*disk*) and compares its own state (*ours*) with the base, record by record
//! (by id; API keys by client id):
//!
//! - a record in ours but not in the base was created here: it is added;
//! - a record in both whose content differs was updated here: ours wins;
//! - a record in the base but no longer in ours was deleted here: it is removed;
//! - anything else is as on disk, so the other processes' creations, updates and deletions
//!   stay.
//!
//! Orders, invoices and users are then ordered by creation time (ties keep their order), the
//! clock is the later of the two and the id count the higher.
//!
//! ```
//! use carbonext_sandbox::snapshot::{merge, Snapshot};
//! let base = Snapshot::default();
//! let merged = merge(&base, &base, base.clone());
//! assert_eq!(merged, base);
//! ```

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::store::{ApiKey, Customer, State, Store, StoredInvoice, StoredOrder, StoredUser};

/// Version of the state file's layout; a file of another version is refused.
pub const FORMAT_VERSION: u32 = 1;

/// The seeded customer and key whose credentials every process hands out.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Seeded {
    /// The seeded customer.
    pub customer_id: Uuid,
    /// Client id of its all-permission key (the secret is in `apiKeys`).
    pub client_id: String,
}

/// The sandbox clock as saved.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClockRecord {
    /// Sandbox time when saved.
    pub now: DateTime<Utc>,
    /// How far the clock was moved forward in all (`POST /__sandbox/clock/advance`), in
    /// milliseconds: a clock that follows the wall clock stays that far ahead of it.
    pub advanced_ms: u64,
}

/// Everything a state file holds (camelCase JSON).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Snapshot {
    /// [`FORMAT_VERSION`].
    pub version: u32,
    /// The seeded customer and key.
    pub seeded: Seeded,
    /// The clock.
    pub clock: ClockRecord,
    /// Ids drawn so far (continues a deterministic sequence).
    pub ids_drawn: u64,
    /// Customers, in creation order.
    pub customers: Vec<Customer>,
    /// API keys, by creation time.
    pub api_keys: Vec<ApiKey>,
    /// Orders, by creation time.
    pub orders: Vec<StoredOrder>,
    /// Invoices, by creation time.
    pub invoices: Vec<StoredInvoice>,
    /// Users, by creation time.
    pub users: Vec<StoredUser>,
}

impl Default for Snapshot {
    fn default() -> Self {
        Self {
            version: FORMAT_VERSION,
            seeded: Seeded::default(),
            clock: ClockRecord::default(),
            ids_drawn: 0,
            customers: Vec::new(),
            api_keys: Vec::new(),
            orders: Vec::new(),
            invoices: Vec::new(),
            users: Vec::new(),
        }
    }
}

impl Snapshot {
    /// The persistent part of `store`'s state (take it with the store's lock held: `state`).
    pub fn capture(store: &Store, state: &State, seeded: Seeded) -> Self {
        let mut api_keys: Vec<ApiKey> = state.keys.values().cloned().collect();
        api_keys.sort_by(|a, b| (a.created_at, &a.client_id).cmp(&(b.created_at, &b.client_id)));
        Self {
            version: FORMAT_VERSION,
            seeded,
            clock: ClockRecord {
                now: store.clock.now(),
                advanced_ms: u64::try_from(store.clock.advanced().as_millis()).unwrap_or(u64::MAX),
            },
            ids_drawn: store.ids.drawn(),
            customers: state.customers.clone(),
            api_keys,
            orders: state.orders.clone(),
            invoices: state.invoices.clone(),
            users: state.users.clone(),
        }
    }

    /// Puts the records into `state` (access tokens stay as they are) and moves `store`'s
    /// clock and id count up to the snapshot's, never back.
    pub fn apply(&self, store: &Store, state: &mut State) {
        state.customers = self.customers.clone();
        state.keys = self
            .api_keys
            .iter()
            .map(|key| (key.client_id.clone(), key.clone()))
            .collect();
        state.orders = self.orders.clone();
        state.invoices = self.invoices.clone();
        state.users = self.users.clone();
        // Orders from elsewhere may be due: the next look at the state checks every month.
        state.billed_before = None;
        let advanced = Duration::from_millis(self.clock.advanced_ms);
        let ours = store.clock.advanced();
        if advanced > ours {
            store.clock.advance(advanced - ours);
        }
        store.ids.skip_to(self.ids_drawn);
    }

    /// Whether the seeded customer and its key are there (a file that lacks them cannot
    /// serve its own credentials).
    pub fn seeded_key(&self) -> Option<&ApiKey> {
        self.api_keys.iter().find(|key| {
            key.client_id == self.seeded.client_id && key.customer_id == self.seeded.customer_id
        })
    }

    /// Whether `self` and `other` differ in anything but the clock's current time.
    pub fn differs_from(&self, other: &Snapshot) -> bool {
        let mut same_now = self.clone();
        same_now.clock.now = other.clock.now;
        same_now != *other
    }
}

/// Merges this process's state (`ours`, which started from `base`) into what is on `disk`:
/// see the [module docs](self).
pub fn merge(base: &Snapshot, ours: &Snapshot, disk: Snapshot) -> Snapshot {
    let mut merged = Snapshot {
        version: FORMAT_VERSION,
        seeded: disk.seeded,
        clock: ClockRecord {
            now: disk.clock.now.max(ours.clock.now),
            advanced_ms: disk.clock.advanced_ms.max(ours.clock.advanced_ms),
        },
        ids_drawn: disk.ids_drawn.max(ours.ids_drawn),
        customers: merge_records(&base.customers, &ours.customers, disk.customers, |c| c.id),
        api_keys: merge_records(&base.api_keys, &ours.api_keys, disk.api_keys, |k| {
            k.client_id.clone()
        }),
        orders: merge_records(&base.orders, &ours.orders, disk.orders, |o| o.id),
        invoices: merge_records(&base.invoices, &ours.invoices, disk.invoices, |i| i.id),
        users: merge_records(&base.users, &ours.users, disk.users, |u| u.id),
    };
    merged.api_keys.sort_by_key(|k| k.created_at);
    merged.orders.sort_by_key(|o| o.created_at);
    merged.invoices.sort_by_key(|i| i.created_at);
    merged.users.sort_by_key(|u| u.created_at);
    merged
}

/// One kind of record, merged by `key` (see the module docs).
fn merge_records<T, K>(base: &[T], ours: &[T], disk: Vec<T>, key: impl Fn(&T) -> K) -> Vec<T>
where
    T: Clone + PartialEq,
    K: Eq + Hash,
{
    let base_by_key: HashMap<K, &T> = base.iter().map(|r| (key(r), r)).collect();
    let ours_by_key: HashMap<K, &T> = ours.iter().map(|r| (key(r), r)).collect();
    let mut placed = HashSet::new();
    let mut merged: Vec<T> = disk
        .into_iter()
        .filter_map(|on_disk| {
            let k = key(&on_disk);
            let kept = match (base_by_key.get(&k), ours_by_key.get(&k)) {
                (Some(_), None) => None,
                (Some(before), Some(now)) if before != now => Some((*now).clone()),
                _ => Some(on_disk),
            };
            placed.insert(k);
            kept
        })
        .collect();
    for record in ours {
        let k = key(record);
        if placed.contains(&k) {
            continue;
        }
        let created_here = !base_by_key.contains_key(&k);
        let updated_here = base_by_key.get(&k).is_some_and(|before| *before != record);
        if created_here || updated_here {
            merged.push(record.clone());
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use carbonext_api::{Currency, OrderStatus};
    use chrono::TimeZone;
    use rust_decimal::Decimal;

    use super::*;

    fn order(n: u128, status: OrderStatus, minute: u32) -> StoredOrder {
        let at = Utc
            .with_ymd_and_hms(2024, 1, 15, 12, minute, 0)
            .single()
            .expect("a valid instant");
        StoredOrder {
            id: Uuid::from_u128(n),
            customer_id: Uuid::from_u128(1),
            vcu_amount: Decimal::ONE,
            vcu_unit_price: Decimal::new(11_000, 2),
            total_price: Decimal::new(11_000, 2),
            currency: Currency::Brl,
            status,
            created_at: at,
            payment_date: None,
            meta_data: None,
            recipient: None,
            invoice_ids: Vec::new(),
            history: Vec::new(),
        }
    }

    fn with_orders(orders: Vec<StoredOrder>) -> Snapshot {
        Snapshot {
            orders,
            ..Snapshot::default()
        }
    }

    fn ids(snapshot: &Snapshot) -> Vec<u128> {
        snapshot.orders.iter().map(|o| o.id.as_u128()).collect()
    }

    #[test]
    fn orders_created_elsewhere_stay_and_ours_are_added_in_creation_order() {
        let base = with_orders(vec![order(10, OrderStatus::Issued, 0)]);
        let ours = with_orders(vec![
            order(10, OrderStatus::Issued, 0),
            order(12, OrderStatus::Issued, 2),
        ]);
        let disk = with_orders(vec![
            order(10, OrderStatus::Issued, 0),
            order(11, OrderStatus::Issued, 1),
            order(13, OrderStatus::Issued, 3),
        ]);
        assert_eq!(ids(&merge(&base, &ours, disk)), [10, 11, 12, 13]);
    }

    #[test]
    fn our_update_wins_and_updates_made_elsewhere_stay() {
        let base = with_orders(vec![
            order(10, OrderStatus::Issued, 0),
            order(11, OrderStatus::Issued, 1),
        ]);
        let ours = with_orders(vec![
            order(10, OrderStatus::Cancelled, 0),
            order(11, OrderStatus::Issued, 1),
        ]);
        let disk = with_orders(vec![
            order(10, OrderStatus::Issued, 0),
            order(11, OrderStatus::Paid, 1),
        ]);
        let merged = merge(&base, &ours, disk);
        let statuses: Vec<_> = merged.orders.iter().map(|o| o.status.clone()).collect();
        assert_eq!(statuses, [OrderStatus::Cancelled, OrderStatus::Paid]);
    }

    #[test]
    fn deletions_here_and_elsewhere_both_hold() {
        let base = with_orders(vec![
            order(10, OrderStatus::Issued, 0),
            order(11, OrderStatus::Issued, 1),
        ]);
        let ours = with_orders(vec![order(11, OrderStatus::Issued, 1)]);
        let disk = with_orders(vec![order(10, OrderStatus::Issued, 0)]);
        assert!(merge(&base, &ours, disk).orders.is_empty());
    }

    #[test]
    fn an_update_here_brings_back_a_record_deleted_elsewhere() {
        let base = with_orders(vec![order(10, OrderStatus::Issued, 0)]);
        let ours = with_orders(vec![order(10, OrderStatus::Cancelled, 0)]);
        let merged = merge(&base, &ours, with_orders(Vec::new()));
        assert_eq!(ids(&merged), [10]);
    }

    #[test]
    fn the_clock_and_the_id_count_never_go_back() {
        let base = Snapshot::default();
        let mut ours = Snapshot::default();
        ours.clock.advanced_ms = 5_000;
        ours.ids_drawn = 3;
        let mut disk = Snapshot::default();
        disk.clock.now = Utc::now();
        disk.ids_drawn = 7;
        let merged = merge(&base, &ours, disk.clone());
        assert_eq!(merged.clock.now, disk.clock.now);
        assert_eq!(merged.clock.advanced_ms, 5_000);
        assert_eq!(merged.ids_drawn, 7);
    }

    #[test]
    fn the_file_is_not_rewritten_for_the_clock_alone() {
        let disk = Snapshot::default();
        let mut later = disk.clone();
        later.clock.now = Utc::now();
        assert!(!later.differs_from(&disk));
        later.ids_drawn += 1;
        assert!(later.differs_from(&disk));
    }
}
