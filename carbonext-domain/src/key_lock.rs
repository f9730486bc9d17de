//! One placement per order key at a time: [`OrderKeyLock`], held by
//! [`VcuMarket::place_order`](crate::VcuMarket::place_order) from the key lookup
//! through creation and reconciliation, so that concurrent placements of one key place one
//! order and the others find it.
//!
//! The default, [`InProcessKeyLock`], serialises the placements of one process; placements of
//! different keys never wait for each other, and a key leaves the lock's table as soon as no
//! placement holds or awaits it. A lock shared across processes plugs in through
//! [`CarbonextBuilder::order_key_lock`](crate::CarbonextBuilder::order_key_lock); the crate
//! `carbonext-postgres-lock` has one on PostgreSQL advisory locks.
//!
//! No lock on the client closes one window: a process that dies after sending the request
//! that creates the order, before reading its answer. Its lock dies with it and the order may
//! or may not exist; the next placement of the key looks it up before anything else, and
//! returns the order if the API has it. Delivering the event again with the same key settles
//! it.
//!
//! ```
//! use carbonext_domain::key_lock::{InProcessKeyLock, OrderKeyLock};
//! use carbonext_domain::OrderKey;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> carbonext_domain::Result<()> {
//! let lock = InProcessKeyLock::default();
//! let key = OrderKey::new("invoice_2026_03")?;
//! let held = lock.acquire(&key).await?;
//! assert_eq!(lock.keys(), 1);
//! drop(held);
//! assert_eq!(lock.keys(), 0);
//! # Ok(()) }
//! ```

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

use crate::error::Result;
#[cfg(doc)]
use crate::error::{Error, KeyLockError};
use crate::order::OrderKey;
use crate::timeouts::Timeouts;

/// Held while a placement of one key runs; dropping it lets the next placement of that key in.
///
/// The facade calls [`KeyGuard::release`] when the placement ends, and asks
/// [`KeyGuard::is_held`] before each request that creates the order: a lock that was lost
/// (its store's connection dropped, say) ends the placement with [`Error::KeyLock`] instead of
/// sending while another process may hold the key. A guard dropped without `release` (the
/// placement was cancelled) must still let the key go, by whatever means needs no `.await`.
pub struct KeyGuard(Box<dyn HeldKey>);

impl KeyGuard {
    /// A guard over `held`.
    pub fn new(held: impl HeldKey + 'static) -> Self {
        Self(Box::new(held))
    }

    /// `Ok` while the key is still held; otherwise why it no longer is.
    pub fn is_held(&self) -> std::result::Result<(), String> {
        self.0.is_held()
    }

    /// Lets the key go (the default of [`HeldKey::release`] just drops it).
    pub async fn release(self) {
        self.0.release().await;
    }
}

impl fmt::Debug for KeyGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("KeyGuard")
    }
}

/// What a [`KeyGuard`] holds: an implementation's hold on one key.
#[async_trait]
pub trait HeldKey: Send + Sync {
    /// `Ok` while the key is still held; `Err(why)` once it was lost. Cheap and without I/O:
    /// it is asked before every request that may create the order. Default: always held.
    fn is_held(&self) -> std::result::Result<(), String> {
        Ok(())
    }

    /// Lets the key go, at the end of a placement. Default: drops `self`.
    async fn release(self: Box<Self>) {}
}

/// A lock per order key, held over a whole placement (lookup, creation, reconciliation).
///
/// The facade bounds the wait ([`CarbonextBuilder::order_key_wait`]) by dropping the future
/// `acquire` returned: an implementation must then hold nothing for the key.
///
/// [`CarbonextBuilder::order_key_wait`]: crate::CarbonextBuilder::order_key_wait
#[async_trait]
pub trait OrderKeyLock: Send + Sync + fmt::Debug {
    /// Waits until no other placement holds `key`, then holds it until the guard is released
    /// or dropped. A lock that cannot be had at all (its store is unreachable) is
    /// [`Error::KeyLock`] with [`KeyLockError::Unavailable`].
    async fn acquire(&self, key: &OrderKey) -> Result<KeyGuard>;

    /// [`OrderKeyLock::acquire`] within the client's [`Timeouts`]: what the facade calls, so
    /// that a lock which connects to a store of its own (a database) takes its time limit
    /// from the one place they are set ([`Timeouts::connect`] for each new connection). The
    /// default ignores them and calls `acquire`.
    async fn acquire_within(&self, key: &OrderKey, timeouts: &Timeouts) -> Result<KeyGuard> {
        let _ = timeouts;
        self.acquire(key).await
    }
}

/// The in-process [`OrderKeyLock`] (the default): a table of per-key async mutexes whose
/// entries live only while a placement holds or awaits them.
#[derive(Debug, Default, Clone)]
pub struct InProcessKeyLock {
    table: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

impl InProcessKeyLock {
    /// Keys held or awaited right now.
    pub fn keys(&self) -> usize {
        self.table
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// Holds one key of an [`InProcessKeyLock`]; on drop, releases it and removes the key's entry
/// when nobody else holds or awaits it.
struct Held {
    table: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    key: String,
    // Dropped before the entry is looked at (see `Drop`).
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl HeldKey for Held {}

impl Drop for Held {
    fn drop(&mut self) {
        let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
        let mutex = self
            .guard
            .take()
            .map(|guard| Arc::clone(tokio::sync::OwnedMutexGuard::mutex(&guard)));
        // The guard is released here, under the table's lock: a placement that finds the
        // entry afterwards clones its Arc under the same lock, so the count below is exact.
        if let Some(mutex) = mutex {
            // The table's reference and this one: nobody else holds or awaits the key.
            if Arc::strong_count(&mutex) == 2 {
                table.remove(&self.key);
            }
        }
    }
}

#[async_trait]
impl OrderKeyLock for InProcessKeyLock {
    async fn acquire(&self, key: &OrderKey) -> Result<KeyGuard> {
        let mutex = {
            let mut table = self.table.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(table.entry(key.as_str().to_owned()).or_default())
        };
        let guard = mutex.lock_owned().await;
        Ok(KeyGuard::new(Held {
            table: Arc::clone(&self.table),
            key: key.as_str().to_owned(),
            guard: Some(guard),
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(text: &str) -> OrderKey {
        OrderKey::new(text).unwrap()
    }

    #[tokio::test]
    async fn a_second_placement_of_a_key_waits_for_the_first() {
        let lock = InProcessKeyLock::default();
        let first = lock.acquire(&key("same_key")).await.unwrap();
        let waiting = {
            let lock = lock.clone();
            tokio::spawn(async move { lock.acquire(&key("same_key")).await.map(drop) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!waiting.is_finished(), "the key is held");
        drop(first);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("released")
            .unwrap()
            .unwrap();
        assert_eq!(lock.keys(), 0);
    }

    #[tokio::test]
    async fn different_keys_never_wait_for_each_other() {
        let lock = InProcessKeyLock::default();
        let _a = lock.acquire(&key("key_aaaa")).await.unwrap();
        let b = tokio::time::timeout(Duration::from_secs(1), lock.acquire(&key("key_bbbb")))
            .await
            .expect("key_bbbb is free")
            .unwrap();
        assert_eq!(lock.keys(), 2);
        drop(b);
        assert_eq!(lock.keys(), 1, "key_bbbb left, key_aaaa is still held");
    }

    #[tokio::test]
    async fn a_million_finished_keys_leave_nothing_behind() {
        let lock = InProcessKeyLock::default();
        for n in 0..1_000_000u32 {
            let held = lock.acquire(&key(&format!("key_{n:08}"))).await.unwrap();
            drop(held);
        }
        assert_eq!(lock.keys(), 0);
    }
}
