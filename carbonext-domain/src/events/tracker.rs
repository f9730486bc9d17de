//! What the watcher knows of the orders between polls, and how one poll's observations change
//! it: the events they make, the orders to track and to forget, the new horizon. No I/O here.
//!
//! - An order never seen before is an event with `previous: None` (unless the first poll of a
//!   fresh store adopts it, [`StartFrom::Now`](super::StartFrom::Now)).
//! - A tracked order whose status moved forward (`Issued` → `Billed` → `Paid`, or to
//!   `Cancelled`) is an event from the status it had. Observations are applied in the order
//!   they were made, so two moves seen in one poll are two events, in order.
//! - A status that goes back, or a change of an order already in a final status, is ignored:
//!   the API documents no such move, and a stale read must not invent one.
//! - `Paid`, `Cancelled` and any status this version does not know are final: such an order is
//!   forgotten once its events are acknowledged, unless it is the newest seen (it marks where
//!   the scan for new orders stops).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{EventId, OrderEvent, PollRecord, Progress, TrackedOrder};
use crate::{Order, OrderId, OrderStatus, Timestamp};

/// Whether an order in `status` can still change (as the watcher follows it).
pub(crate) fn is_open(status: &OrderStatus) -> bool {
    matches!(status, OrderStatus::Issued | OrderStatus::Billed)
}

/// How far along its life `status` is: a move is only ever forward.
fn rank(status: &OrderStatus) -> u8 {
    match status {
        OrderStatus::Issued => 0,
        OrderStatus::Billed => 1,
        _ => 2,
    }
}

/// The Unix epoch: the horizon of a store whose first poll saw no order at all.
fn epoch() -> Timestamp {
    Timestamp::from_utc(DateTime::<Utc>::UNIX_EPOCH)
}

/// One order as one response listed it.
#[derive(Clone, Debug)]
pub(crate) struct Observation {
    /// The order.
    pub order: Order,
    /// The server's `Date` of the response (the local clock when it sent none).
    pub observed_at: Timestamp,
}

/// The orders the watcher follows and its horizon.
#[derive(Clone, Debug, Default)]
pub(crate) struct Tracker {
    orders: BTreeMap<OrderId, TrackedOrder>,
    horizon: Option<Timestamp>,
}

impl Tracker {
    /// What `progress` says the watcher knew.
    pub fn from_progress(progress: &Progress) -> Self {
        Self {
            orders: progress.orders.clone(),
            horizon: progress.horizon.clone(),
        }
    }

    /// Whether no poll was ever recorded.
    pub fn is_fresh(&self) -> bool {
        self.horizon.is_none()
    }

    /// Orders created before it were seen (or skipped at the start).
    pub fn horizon(&self) -> Option<&Timestamp> {
        self.horizon.as_ref()
    }

    /// Whether the watcher tracks order `id`.
    pub fn knows(&self, id: &OrderId) -> bool {
        self.orders.contains_key(id)
    }

    /// What it knows of order `id`.
    pub fn get(&self, id: &OrderId) -> Option<&TrackedOrder> {
        self.orders.get(id)
    }

    /// How many orders it tracks.
    pub fn len(&self) -> usize {
        self.orders.len()
    }

    /// The tracked orders that can still change.
    pub fn open(&self) -> impl Iterator<Item = (&OrderId, &TrackedOrder)> {
        self.orders.iter().filter(|(_, t)| is_open(&t.status))
    }

    /// What `observations` (in the order they were made) change; `adopt` takes orders never
    /// seen before without an event (a fresh store's first poll under [`StartFrom::Now`]).
    ///
    /// [`StartFrom::Now`]: super::StartFrom::Now
    pub fn apply(&self, observations: Vec<Observation>, adopt: bool) -> PollRecord {
        let mut changed: BTreeMap<OrderId, TrackedOrder> = BTreeMap::new();
        let mut events: Vec<OrderEvent> = Vec::new();
        let mut newest = self.horizon.clone();
        for Observation { order, observed_at } in observations {
            if let Some(created) = &order.created_at {
                if newest.as_ref().is_none_or(|n| created > n) {
                    newest = Some(created.clone());
                }
            }
            let known = changed
                .get(&order.id)
                .or_else(|| self.orders.get(&order.id));
            let mut now = TrackedOrder {
                status: order.status.clone(),
                created_at: order.created_at.clone(),
                invoice_id: order.invoice_ids.last().copied(),
            };
            let previous = match known {
                None if adopt => None,
                None => Some(None),
                Some(tracked) => {
                    now.invoice_id = now.invoice_id.or(tracked.invoice_id);
                    let forward = rank(&now.status) > rank(&tracked.status);
                    if !is_open(&tracked.status) || !forward {
                        if tracked.status == now.status && tracked.invoice_id != now.invoice_id {
                            changed.insert(order.id, now);
                        }
                        continue;
                    }
                    Some(Some(tracked.status.clone()))
                }
            };
            if let Some(previous) = previous {
                events.push(OrderEvent {
                    id: EventId::new(&order.id, &order.status),
                    previous,
                    status: order.status.clone(),
                    observed_at,
                    order: order.clone(),
                });
            }
            changed.insert(order.id, now);
        }
        // Oldest order first; a stable sort keeps each order's own events in order.
        events.sort_by(|a, b| a.order.created_at.cmp(&b.order.created_at));

        let horizon = match (&self.horizon, newest) {
            (None, None) => Some(epoch()),
            (old, Some(new)) if old.as_ref() != Some(&new) => Some(new),
            _ => None,
        };
        let limit = horizon.as_ref().or(self.horizon.as_ref());
        let finished = self
            .orders
            .iter()
            .filter(|(id, _)| !changed.contains_key(id))
            .chain(changed.iter())
            .filter(|(_, tracked)| !is_open(&tracked.status))
            // The newest order stays: the scan for new orders stops at it.
            .filter(|(_, tracked)| match (&tracked.created_at, limit) {
                (Some(created), Some(limit)) => created < limit,
                _ => true,
            })
            .map(|(id, _)| *id)
            .collect();
        PollRecord {
            orders: changed,
            finished,
            events,
            horizon,
        }
    }

    /// Takes `record` as the new state, once the store has recorded it.
    pub fn commit(&mut self, record: &PollRecord) {
        self.orders
            .extend(record.orders.iter().map(|(id, t)| (*id, t.clone())));
        for id in &record.finished {
            self.orders.remove(id);
        }
        if let Some(horizon) = &record.horizon {
            self.horizon = Some(horizon.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::InvoiceId;

    fn order(n: u128, status: OrderStatus, minute: u32) -> Order {
        let mut order = crate::testing::fixtures::order();
        order.id = OrderId(uuid::Uuid::from_u128(n));
        order.status = status;
        order.created_at = Some(format!("2026-03-01T10:{minute:02}:00Z").parse().unwrap());
        order.invoice_ids = Vec::new();
        order
    }

    fn seen(order: Order) -> Observation {
        Observation {
            order,
            observed_at: "2026-03-02T00:00:00Z".parse().unwrap(),
        }
    }

    fn moves(record: &PollRecord) -> Vec<(u128, Option<String>, String)> {
        record
            .events
            .iter()
            .map(|e| {
                (
                    e.order.id.0.as_u128(),
                    e.previous.as_ref().map(|s| s.to_string()),
                    e.status.to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn a_fresh_start_adopts_or_announces_and_sets_the_horizon() {
        let tracker = Tracker::default();
        let observed = || {
            vec![
                seen(order(2, OrderStatus::Issued, 2)),
                seen(order(1, OrderStatus::Paid, 1)),
            ]
        };
        let adopted = tracker.apply(observed(), true);
        assert!(adopted.events.is_empty());
        assert_eq!(adopted.orders.len(), 2);
        assert_eq!(adopted.finished, [OrderId(uuid::Uuid::from_u128(1))]);
        assert_eq!(adopted.horizon.unwrap().as_str(), "2026-03-01T10:02:00Z");

        let announced = tracker.apply(observed(), false);
        assert_eq!(
            moves(&announced),
            [(1, None, "Paid".to_owned()), (2, None, "Issued".to_owned())]
        );

        let empty = tracker.apply(Vec::new(), true);
        assert_eq!(empty.horizon, Some(epoch()));
    }

    #[test]
    fn moves_are_forward_only_and_each_observed_step_is_an_event() {
        let mut tracker = Tracker::default();
        let first = tracker.apply(vec![seen(order(1, OrderStatus::Issued, 1))], false);
        tracker.commit(&first);

        let mut billed = order(1, OrderStatus::Billed, 1);
        billed.invoice_ids = vec![InvoiceId(uuid::Uuid::from_u128(9))];
        let record = tracker.apply(
            vec![
                seen(billed.clone()),
                seen(order(1, OrderStatus::Issued, 1)), // a stale read: ignored
                seen(order(1, OrderStatus::Paid, 1)),
            ],
            false,
        );
        assert_eq!(
            moves(&record),
            [
                (1, Some("Issued".to_owned()), "Billed".to_owned()),
                (1, Some("Billed".to_owned()), "Paid".to_owned()),
            ]
        );
        let tracked = &record.orders[&OrderId(uuid::Uuid::from_u128(1))];
        assert_eq!(tracked.status, OrderStatus::Paid);
        assert_eq!(tracked.invoice_id, billed.invoice_ids.last().copied());
        // The newest order, final, stays as the scan's stop.
        assert!(record.finished.is_empty());
        tracker.commit(&record);

        // A final order never moves again; a newer order lets the older one go.
        let record = tracker.apply(
            vec![
                seen(order(1, OrderStatus::Cancelled, 1)),
                seen(order(2, OrderStatus::Issued, 5)),
            ],
            false,
        );
        assert_eq!(moves(&record), [(2, None, "Issued".to_owned())]);
        assert_eq!(record.finished, [OrderId(uuid::Uuid::from_u128(1))]);
        tracker.commit(&record);
        assert!(!tracker.knows(&OrderId(uuid::Uuid::from_u128(1))));
        assert_eq!(tracker.open().count(), 1);
    }

    #[test]
    fn an_unknown_status_is_reported_once_and_treated_as_final() {
        let mut tracker = Tracker::default();
        tracker.commit(&tracker.apply(vec![seen(order(1, OrderStatus::Billed, 1))], false));
        let retired = OrderStatus::Unknown("Retired".into());
        let record = tracker.apply(vec![seen(order(1, retired.clone(), 1))], false);
        assert_eq!(
            moves(&record),
            [(1, Some("Billed".to_owned()), "Retired".to_owned())]
        );
        tracker.commit(&record);
        assert_eq!(tracker.open().count(), 0);
    }
}
