//! The in-memory state of a sandbox: customers, API keys, tokens, orders, invoices and users.
//!
//! Everything lives behind one mutex ([`Store::lock`]); handlers take it, apply a rule from
//! [`crate::ledger`] or [`crate::accounts`], and release it before answering, so every request
//! sees and leaves a consistent state. Records are kept in creation order; that order breaks
//! ties when sorting.

use std::sync::{Arc, Mutex, MutexGuard};

use carbonext_api::Currency;
use rust_decimal::Decimal;

use crate::clock::SandboxClock;
use crate::ids::IdSource;
pub use crate::state::*;

/// Shared state plus the services every rule needs (clock, ids, prices).
#[derive(Debug)]
pub struct Store {
    state: Mutex<State>,
    /// The sandbox clock.
    pub clock: Arc<SandboxClock>,
    /// Id source.
    pub ids: IdSource,
    /// Unit price of a VCU per currency.
    pub prices: Vec<(Currency, Decimal)>,
}

impl Store {
    /// An empty store.
    pub fn new(clock: Arc<SandboxClock>, ids: IdSource, prices: Vec<(Currency, Decimal)>) -> Self {
        Self {
            state: Mutex::new(State::default()),
            clock,
            ids,
            prices,
        }
    }

    /// Exclusive access to the state, brought up to the clock first: postpaid orders whose
    /// month has ended are billed ([`crate::billing`]), so every reader and writer sees them
    /// billed however the clock moved. Never hold it across an `.await`.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        let now = self.clock.now();
        // A panic while holding the lock cannot leave the plain data structures invalid.
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        crate::billing::bill_due(&mut state, now);
        state
    }

    /// Unit price of one VCU in `currency`, if the sandbox sells in it.
    pub fn price(&self, currency: &Currency) -> Option<Decimal> {
        self.prices
            .iter()
            .find(|(c, _)| c == currency)
            .map(|(_, p)| *p)
    }
}
