//! Where a watcher keeps its progress: [`MemoryEventStore`] (in the process, for tests and
//! watchers that may start over) and [`FileEventStore`] (a JSON file, replaced atomically and
//! locked so that two watchers never share it unknowingly). The PostgreSQL store lives in
//! `carbonext-postgres-lock`.
//!
//! Both keep the [`Progress`] plus the orders to forget once their events are acknowledged
//! ([`PollRecord::finished`]). A store behind an `Arc` or a `Box` is a store too, so a service
//! (or a test) can keep a handle on the one its watcher uses.

mod file;
mod memory;

use std::collections::{BTreeSet, HashSet};

use serde::{Deserialize, Serialize};

pub use file::FileEventStore;
pub use memory::MemoryEventStore;

use super::{EventId, PollRecord, Progress};
use crate::OrderId;

/// What the in-memory and file stores keep: the progress, and the finished orders still
/// waiting for their events' acknowledgement.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Kept {
    progress: Progress,
    finished: BTreeSet<OrderId>,
}

impl Kept {
    /// Applies one poll's record.
    fn record(&mut self, poll: &PollRecord) {
        let progress = &mut self.progress;
        progress
            .orders
            .extend(poll.orders.iter().map(|(id, t)| (*id, t.clone())));
        let pending: HashSet<EventId> = progress.pending.iter().map(|e| e.id.clone()).collect();
        progress.pending.extend(
            poll.events
                .iter()
                .filter(|e| !pending.contains(&e.id))
                .cloned(),
        );
        if let Some(horizon) = &poll.horizon {
            progress.horizon = Some(horizon.clone());
        }
        self.finished.extend(poll.finished.iter().copied());
        self.forget_settled();
    }

    /// Marks `event` handled; `false` when it was not pending (nothing changed).
    fn acknowledge(&mut self, event: &EventId) -> bool {
        let Some(at) = self.progress.pending.iter().position(|e| &e.id == event) else {
            return false;
        };
        self.progress.pending.remove(at);
        self.forget_settled();
        true
    }

    /// Forgets the finished orders that have no pending event left.
    fn forget_settled(&mut self) {
        let waiting: HashSet<OrderId> = self.progress.pending.iter().map(|e| e.order.id).collect();
        let orders = &mut self.progress.orders;
        self.finished.retain(|id| {
            let keep = waiting.contains(id);
            if !keep {
                orders.remove(id);
            }
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{OrderEvent, TrackedOrder};
    use crate::OrderStatus;

    fn event(n: u128, status: OrderStatus) -> OrderEvent {
        let mut order = crate::testing::fixtures::order();
        order.id = OrderId(uuid::Uuid::from_u128(n));
        order.status = status.clone();
        OrderEvent {
            id: EventId::new(&order.id, &status),
            previous: None,
            status,
            observed_at: "2026-03-01T00:00:00Z".parse().unwrap(),
            order,
        }
    }

    #[test]
    fn a_finished_order_is_forgotten_once_its_last_event_is_acknowledged() {
        let paid = event(1, OrderStatus::Paid);
        let id = paid.order.id;
        let record = PollRecord {
            orders: [(
                id,
                TrackedOrder {
                    status: OrderStatus::Paid,
                    created_at: None,
                    invoice_id: None,
                },
            )]
            .into(),
            finished: vec![id],
            events: vec![paid.clone()],
            horizon: None,
        };
        let mut kept = Kept::default();
        kept.record(&record);
        kept.record(&record); // sent again after a failure: no second pending event
        assert_eq!(kept.progress.pending.len(), 1);
        assert_eq!(kept.progress.pending[0], paid);
        assert!(
            kept.progress.orders.contains_key(&id),
            "its event is pending"
        );

        assert!(!kept.acknowledge(&event(2, OrderStatus::Issued).id));
        assert!(kept.acknowledge(&paid.id));
        assert!(kept.progress.pending.is_empty());
        assert!(kept.progress.orders.is_empty());
        assert!(kept.finished.is_empty());
    }
}
