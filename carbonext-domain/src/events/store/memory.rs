//! [`MemoryEventStore`]: a watcher's progress in the process's memory.

use std::sync::Mutex;

use async_trait::async_trait;

use super::Kept;
use crate::events::{EventId, EventStore, EventStoreError, PollRecord, Progress};

/// A watcher's progress in the process's memory.
///
/// Nothing survives the process: a watcher restarted with a new one starts afresh
/// ([`StartFrom`](crate::events::StartFrom)). Within the process, a watcher restarted on the
/// same store (an `Arc`) resumes where the last one stopped.
///
/// ```
/// use std::sync::Arc;
/// use carbonext_domain::events::{EventStore, MemoryEventStore};
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let store = Arc::new(MemoryEventStore::new());
/// assert!(store.load().await.unwrap().horizon.is_none()); // fresh
/// # }
/// ```
#[derive(Debug, Default)]
pub struct MemoryEventStore {
    kept: Mutex<Kept>,
}

impl MemoryEventStore {
    /// An empty store: its watcher starts afresh.
    pub fn new() -> Self {
        Self::default()
    }

    /// What it holds now.
    pub fn progress(&self) -> Progress {
        self.kept().progress.clone()
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        // Every change is made whole under the lock: a panic elsewhere leaves it consistent.
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl EventStore for MemoryEventStore {
    async fn load(&self) -> Result<Progress, EventStoreError> {
        Ok(self.progress())
    }

    async fn record(&self, poll: &PollRecord) -> Result<(), EventStoreError> {
        self.kept().record(poll);
        Ok(())
    }

    async fn acknowledge(&self, event: &EventId) -> Result<(), EventStoreError> {
        self.kept().acknowledge(event);
        Ok(())
    }
}
