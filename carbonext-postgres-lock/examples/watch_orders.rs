//! One order watcher whose progress is in PostgreSQL: it waits to lead the store, then hands
//! every order event to a handler that appends `"{tag} {event id}"` to a file.
//!
//! ```sh
//! CARBONEXT_EVENTS_URL=postgres://orders@127.0.0.1/orders \
//!     cargo run -p carbonext-postgres-lock --features events --example watch_orders -- \
//!     /tmp/handled.txt replica-a
//! ```
//!
//! The API and credentials come from `CARBONEXT_API_URL`, `CARBONEXT_AUTH_URL`,
//! `CARBONEXT_CLIENT_ID` and `CARBONEXT_CLIENT_SECRET`; the store is `CARBONEXT_EVENTS_URL`
//! (its name `CARBONEXT_EVENTS_STORE`, `orders` by default). It prints `leading` on stdout
//! when it becomes the leader and `polled` after its first poll. The crate's tests run two of
//! these on one store and kill one.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use async_trait::async_trait;
use carbonext_domain::events::{
    EventHandler, EventId, EventStore, EventStoreError, Leadership, OrderEvent, PollRecord,
    Progress, WatchOptions, WatchStatus,
};
use carbonext_domain::{Carbonext, RetryPolicy};
use carbonext_postgres_lock::PostgresEventStore;

/// Appends each event's id to a file, one `write` per line (lines of two processes do not
/// mix).
struct AppendToFile {
    path: PathBuf,
    tag: String,
}

#[async_trait]
impl EventHandler for AppendToFile {
    async fn handle(
        &self,
        event: &OrderEvent,
    ) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        file.write_all(format!("{} {}\n", self.tag, event.id).as_bytes())?;
        Ok(())
    }
}

/// The PostgreSQL store, saying on stdout when it leads.
struct Announcing(PostgresEventStore);

#[async_trait]
impl EventStore for Announcing {
    async fn lead(&self) -> Result<Leadership, EventStoreError> {
        let leadership = self.0.lead().await?;
        println!("leading");
        Ok(leadership)
    }

    async fn load(&self) -> Result<Progress, EventStoreError> {
        self.0.load().await
    }

    async fn record(&self, poll: &PollRecord) -> Result<(), EventStoreError> {
        self.0.record(poll).await
    }

    async fn acknowledge(&self, event: &EventId) -> Result<(), EventStoreError> {
        self.0.acknowledge(event).await
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = PathBuf::from(args.next().ok_or("usage: watch_orders FILE TAG")?);
    let tag = args.next().ok_or("usage: watch_orders FILE TAG")?;
    let url = std::env::var("CARBONEXT_EVENTS_URL")?;
    let name = std::env::var("CARBONEXT_EVENTS_STORE").unwrap_or_else(|_| "orders".to_owned());
    let store = PostgresEventStore::from_url(&url, name)?
        .lead_poll(Duration::from_millis(50))
        .build()?;
    let carbonext = Carbonext::builder()
        .retry_policy(RetryPolicy {
            max_attempts: 8,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(100),
            max_elapsed: Duration::from_secs(30),
        })
        .build()?;
    let (status, mut polls) = tokio::sync::watch::channel(WatchStatus::default());
    tokio::spawn(async move {
        if polls.wait_for(|status| status.polls > 0).await.is_ok() {
            println!("polled");
        }
    });
    let options = WatchOptions::default()
        .interval(Duration::from_millis(100))
        .status(status);
    carbonext
        .watch_orders(options, Announcing(store), AppendToFile { path, tag })
        .await?;
    Ok(())
}
