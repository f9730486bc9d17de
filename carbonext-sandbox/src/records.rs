//! What a test reads back from a running [`Sandbox`]: its orders (all, one customer's, those
//! of a client order key), its invoices and every order's history of statuses; and paying an
//! invoice, the one change of the postpaid model the API itself does not offer.

use uuid::Uuid;

use crate::billing::{self, PaymentError};
use crate::{Sandbox, StatusChange};

impl Sandbox {
    /// Every stored order of every customer, in creation order.
    pub fn orders_snapshot(&self) -> Vec<carbonext_api::types::Order> {
        self.state
            .store
            .lock()
            .orders
            .iter()
            .map(|o| o.wire())
            .collect()
    }

    /// Every stored invoice of every customer, in creation order (the seeded paid ones and
    /// those [`billing`] made).
    pub fn invoices_snapshot(&self) -> Vec<carbonext_api::types::Invoice> {
        self.state
            .store
            .lock()
            .invoices
            .iter()
            .map(|i| i.wire())
            .collect()
    }

    /// Pays invoice `id` now (also `POST /__sandbox/invoices/{id}/pay`): the invoice and its
    /// billed orders become `Paid` (see [`billing`]).
    pub fn pay_invoice(&self, id: Uuid) -> Result<carbonext_api::types::Invoice, PaymentError> {
        let now = self.state.store.clock.now();
        let mut state = self.state.store.lock();
        billing::pay_invoice(&mut state, id, now).map(|i| i.wire())
    }

    /// The sandbox's own record of every order's transitions: for each stored order (of every
    /// customer, in creation order) its id and every status it took, oldest first, starting
    /// with the one it was created in. What a watcher of order events should have seen.
    pub fn order_histories(&self) -> Vec<(Uuid, Vec<StatusChange>)> {
        self.state
            .store
            .lock()
            .orders
            .iter()
            .map(|o| (o.id, o.history.clone()))
            .collect()
    }

    /// The stored orders (of every customer, in creation order) whose metaData carries exactly
    /// the client order key `key`: the marker `[cbx-key:KEY fp=FINGERPRINT]` the SDK writes at
    /// its end (or `[cbx-key:KEY]`, as SDKs before 0.1.0 wrote it). For a service's test:
    /// "this event placed exactly one order".
    pub fn orders_with_key(&self, key: &str) -> Vec<carbonext_api::types::Order> {
        let carries = |meta: &str| {
            meta.rsplit_once("[cbx-key:")
                .and_then(|(_, marker)| marker.strip_suffix(']'))
                .is_some_and(|marker| marker.split(' ').next() == Some(key))
        };
        self.state
            .store
            .lock()
            .orders
            .iter()
            .map(|o| o.wire())
            .filter(|o| o.meta_data.as_deref().is_some_and(carries))
            .collect()
    }

    /// The stored orders of one customer, in creation order.
    pub fn orders_of(&self, customer_id: Uuid) -> Vec<carbonext_api::types::Order> {
        self.state
            .store
            .lock()
            .orders
            .iter()
            .filter(|o| o.customer_id == customer_id)
            .map(|o| o.wire())
            .collect()
    }
}
