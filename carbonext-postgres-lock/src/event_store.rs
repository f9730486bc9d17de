//! [`PostgresEventStore`] (feature `events`): where an order watcher
//! (`Carbonext::watch_orders`) keeps its progress when it runs on several replicas that share
//! a PostgreSQL database, and the leader lock that lets only one of them work at a time.
//!
//! ```no_run
//! use carbonext_postgres_lock::PostgresEventStore;
//!
//! # fn main() -> carbonext_domain::Result<()> {
//! // One store per watched account; several stores can share a database (and its tables).
//! let store = PostgresEventStore::from_url("postgres://orders@db.internal/orders", "acme-prod")?
//!     .build()?;
//! # let _ = store; Ok(()) }
//! ```
//!
//! # What is kept
//!
//! Three tables, created when missing (names from [`PostgresEventStoreBuilder::table`],
//! [`DEFAULT_EVENT_TABLE`] by default, then `…_pending` and `…_stores`): one row per tracked
//! order, one per event recorded but not yet acknowledged, and one per store with its
//! horizon (the newest order seen), each keyed by the store's name. A poll's outcome
//! ([`EventStore::record`]) is written in one transaction; an acknowledgement deletes the
//! event, and forgets its order when that order had finished and has no other pending event.
//!
//! # Leadership
//!
//! [`EventStore::lead`] opens a session of its own and takes a session-level advisory lock on
//! the store's name, retrying every [`PostgresEventStoreBuilder::lead_poll`] (on tokio's
//! clock) while another watcher holds it. The lock lasts as long as the returned
//! [`Leadership`]: dropping it, or the process dying, ends the session and PostgreSQL
//! releases the lock, so a waiting watcher takes over within one poll.
//!
//! Once this store has led, it writes **through the leader's session only**: if that
//! session ends (the database restarted, the network dropped it) every later call fails
//! instead of writing beside a new leader, and the watcher must lead again. Until it leads
//! (or when used without leadership) it uses a session of its own.

mod sql;

use std::fmt;
use std::sync::{Arc, Mutex as StdMutex, PoisonError, Weak};
use std::time::Duration;

use async_trait::async_trait;
use carbonext_domain::events::{
    EventId, EventStore, EventStoreError, Leadership, OrderEvent, PollRecord, Progress,
    TrackedOrder,
};
use carbonext_domain::{Error, OrderId, Result, ValidationError};
use tokio::sync::{Mutex, OnceCell};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, Config, IsolationLevel, Socket};

use crate::{connector, describe, Connect};
use sql::Statements;

/// The tables' name unless [`PostgresEventStoreBuilder::table`] says otherwise (the pending
/// events are in `{table}_pending`).
pub const DEFAULT_EVENT_TABLE: &str = "carbonext_order_events";

/// Longest pause between two tries of the leader lock unless
/// [`PostgresEventStoreBuilder::lead_poll`] says otherwise.
pub const DEFAULT_LEAD_POLL: Duration = Duration::from_secs(1);

/// Time limit to connect a session unless the connection string sets `connect_timeout`: the
/// SDK's one default ([`carbonext_domain::DEFAULT_CONNECT_TIMEOUT`]).
const CONNECT_LIMIT: Duration = carbonext_domain::DEFAULT_CONNECT_TIMEOUT;

/// First pause between two tries of the leader lock (doubling up to the poll).
const FIRST_LEAD_PAUSE: Duration = Duration::from_millis(20);

/// An [`EventStore`] in PostgreSQL, shared by every watcher of one account that points at the
/// same database and store name. Cheap to clone; clones share their sessions.
#[derive(Clone)]
pub struct PostgresEventStore {
    shared: Arc<Shared>,
}

/// A session and the lock that serialises its transactions.
type SharedSession = Arc<Mutex<Client>>;

struct Shared {
    config: Config,
    connect: Connect,
    name: String,
    statements: Statements,
    leader_key: String,
    write_key: String,
    lead_poll: Duration,
    /// Where the store lives, for messages (never the password).
    target: String,
    /// The session used until this store leads.
    own: Mutex<Option<SharedSession>>,
    /// The leader's session once [`EventStore::lead`] returned (held by the [`Leadership`]).
    leader: StdMutex<Option<Weak<Mutex<Client>>>>,
    /// Set once the tables are known to exist.
    schema: OnceCell<()>,
}

impl fmt::Debug for PostgresEventStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresEventStore")
            .field("target", &self.shared.target)
            .field("name", &self.shared.name)
            .finish_non_exhaustive()
    }
}

/// Builder of [`PostgresEventStore`].
pub struct PostgresEventStoreBuilder {
    config: Config,
    connect: Connect,
    name: String,
    table: String,
    lead_poll: Duration,
}

impl fmt::Debug for PostgresEventStoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresEventStoreBuilder")
            .field("target", &describe(&self.config))
            .field("name", &self.name)
            .field("table", &self.table)
            .field("lead_poll", &self.lead_poll)
            .finish_non_exhaustive()
    }
}

impl PostgresEventStore {
    /// A builder of the store `name` (one per watched account: watchers that share a name
    /// share progress and leadership) from a libpq connection string or `postgres://` URL.
    /// Nothing connects until first used. A string that does not parse is a
    /// [`ValidationError::Config`] whose message leaves the string out (it may hold a
    /// password).
    pub fn from_url(url: &str, name: impl Into<String>) -> Result<PostgresEventStoreBuilder> {
        let config: Config = url.parse().map_err(|e| {
            Error::Validation(ValidationError::Config(format!(
                "the event store's PostgreSQL connection string does not parse: {e}"
            )))
        })?;
        Ok(Self::builder(config, name))
    }

    /// A builder of the store `name` from a parsed configuration.
    pub fn builder(mut config: Config, name: impl Into<String>) -> PostgresEventStoreBuilder {
        if config.get_application_name().is_none() {
            config.application_name("carbonext-order-events");
        }
        PostgresEventStoreBuilder {
            config,
            connect: connector(tokio_postgres::NoTls),
            name: name.into(),
            table: DEFAULT_EVENT_TABLE.to_owned(),
            lead_poll: DEFAULT_LEAD_POLL,
        }
    }

    /// The store's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    fn error(
        &self,
        what: &str,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> EventStoreError {
        EventStoreError::new(
            format!(
                "PostgreSQL at {} (store {}): {what}",
                self.shared.target, self.shared.name
            ),
            source,
        )
    }

    fn failure(&self, message: impl fmt::Display) -> EventStoreError {
        EventStoreError::msg(format!(
            "PostgreSQL at {} (store {}): {message}",
            self.shared.target, self.shared.name
        ))
    }

    /// A new session, connected within the connection string's `connect_timeout` or
    /// [`CONNECT_LIMIT`] (on tokio's clock).
    async fn connect(&self) -> std::result::Result<Client, EventStoreError> {
        let limit = self
            .shared
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(CONNECT_LIMIT);
        let connect = (self.shared.connect)(self.shared.config.clone());
        match tokio::time::timeout(limit, connect).await {
            Ok(Ok(client)) => Ok(client),
            Ok(Err(message)) => Err(self.failure(format!("could not connect: {message}"))),
            Err(_) => Err(self.failure(format!("no connection within {limit:?}"))),
        }
    }

    /// The session to work through: the leader's once this store led, else its own.
    async fn session(&self) -> std::result::Result<SharedSession, EventStoreError> {
        let leader = self
            .shared
            .leader
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(leader) = leader {
            return leader.upgrade().ok_or_else(|| {
                self.failure("this watcher's leadership ended: another watcher may lead now")
            });
        }
        let mut own = self.shared.own.lock().await;
        if let Some(session) = own.as_ref() {
            if !session.lock().await.is_closed() {
                return Ok(Arc::clone(session));
            }
        }
        let session = Arc::new(Mutex::new(self.connect().await?));
        *own = Some(Arc::clone(&session));
        Ok(session)
    }

    /// Runs `work` in a transaction on the working session, after making sure the tables
    /// exist.
    async fn in_transaction<T>(
        &self,
        isolation: IsolationLevel,
        work: impl AsyncFnOnce(
            &tokio_postgres::Transaction<'_>,
        ) -> std::result::Result<T, tokio_postgres::Error>,
    ) -> std::result::Result<T, EventStoreError> {
        let session = self.session().await?;
        let mut client = session.lock().await;
        if client.is_closed() {
            return Err(
                self.failure("the session closed (if this watcher led, another may lead now)")
            );
        }
        self.shared
            .schema
            .get_or_try_init(|| self.create_tables(&mut client))
            .await?;
        let run = async {
            let transaction = client
                .build_transaction()
                .isolation_level(isolation)
                .start()
                .await?;
            let value = work(&transaction).await?;
            transaction.commit().await?;
            Ok::<_, tokio_postgres::Error>(value)
        };
        run.await.map_err(|e| self.error("a transaction failed", e))
    }

    /// Creates the tables when missing, one process at a time (`create … if not exists` run
    /// concurrently can fail).
    async fn create_tables(&self, client: &mut Client) -> std::result::Result<(), EventStoreError> {
        let shared = &self.shared;
        let run = async {
            let transaction = client.transaction().await?;
            transaction
                .execute(sql::XACT_LOCK, &[&shared.statements.schema_lock])
                .await?;
            transaction.batch_execute(&shared.statements.create).await?;
            transaction.commit().await
        };
        run.await
            .map_err(|e| self.error("could not create the tables", e))
    }
}

impl PostgresEventStoreBuilder {
    /// Name of the table of tracked orders (default [`DEFAULT_EVENT_TABLE`]); pending events
    /// go to `{table}_pending`. Lowercase letters, digits and `_`, at most 40, not starting
    /// with a digit.
    pub fn table(mut self, table: impl Into<String>) -> Self {
        self.table = table.into();
        self
    }

    /// Longest pause between two tries of the leader lock while another watcher holds it
    /// (default [`DEFAULT_LEAD_POLL`]): how long a takeover may lag behind the end of the
    /// leader's session.
    pub fn lead_poll(mut self, poll: Duration) -> Self {
        self.lead_poll = poll.max(Duration::from_millis(1));
        self
    }

    /// Connects through `tls` (for instance `postgres_native_tls::MakeTlsConnector` or
    /// `tokio_postgres_rustls::MakeRustlsConnect`) instead of without TLS.
    pub fn tls<T>(mut self, tls: T) -> Self
    where
        T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
        T::Stream: Send + 'static,
        T::TlsConnect: Send,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        self.connect = connector(tls);
        self
    }

    /// The store, or a [`ValidationError::Config`] for an empty name or a table name that is
    /// not a plain identifier. Nothing connects until first used.
    pub fn build(self) -> Result<PostgresEventStore> {
        let invalid = |message: String| Error::Validation(ValidationError::Config(message));
        if self.name.trim().is_empty() {
            return Err(invalid("the event store's name is empty".to_owned()));
        }
        if !sql::is_table_name(&self.table) {
            return Err(invalid(format!(
                "the event store's table name {:?} is not lowercase letters, digits and _ \
                 (at most {}, not starting with a digit)",
                self.table,
                sql::MAX_TABLE_NAME
            )));
        }
        Ok(PostgresEventStore {
            shared: Arc::new(Shared {
                target: describe(&self.config),
                leader_key: format!("carbonext.order_events.leader:{}:{}", self.table, self.name),
                write_key: format!("carbonext.order_events.write:{}:{}", self.table, self.name),
                statements: Statements::new(&self.table),
                config: self.config,
                connect: self.connect,
                name: self.name,
                lead_poll: self.lead_poll,
                own: Mutex::new(None),
                leader: StdMutex::new(None),
                schema: OnceCell::new(),
            }),
        })
    }
}

/// What keeps the leader lock: its session, closed when the last holder drops it.
struct LeaderSession(#[allow(dead_code)] SharedSession);

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("events and tracked orders serialise to JSON")
}

#[async_trait]
impl EventStore for PostgresEventStore {
    async fn lead(&self) -> std::result::Result<Leadership, EventStoreError> {
        let client = self.connect().await?;
        let try_lock = client
            .prepare(sql::TRY_LOCK)
            .await
            .map_err(|e| self.error("could not prepare the leader lock", e))?;
        let mut pause = FIRST_LEAD_PAUSE.min(self.shared.lead_poll);
        loop {
            let taken: bool = client
                .query_one(&try_lock, &[&self.shared.leader_key])
                .await
                .and_then(|row| row.try_get(0))
                .map_err(|e| self.error("could not try the leader lock", e))?;
            if taken {
                break;
            }
            tracing::debug!(store = %self.shared.name, ?pause, "another watcher leads; waiting");
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(self.shared.lead_poll);
        }
        tracing::debug!(store = %self.shared.name, "leading");
        let session = Arc::new(Mutex::new(client));
        *self
            .shared
            .leader
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::downgrade(&session));
        Ok(Leadership::held_by(LeaderSession(session)))
    }

    async fn load(&self) -> std::result::Result<Progress, EventStoreError> {
        let statements = &self.shared.statements;
        let name = &self.shared.name;
        let (orders, pending, horizon) = self
            .in_transaction(IsolationLevel::RepeatableRead, async |transaction| {
                let orders = transaction.query(&statements.load_orders, &[name]).await?;
                let pending = transaction.query(&statements.load_pending, &[name]).await?;
                let horizon = transaction
                    .query_opt(&statements.load_horizon, &[name])
                    .await?;
                Ok((orders, pending, horizon))
            })
            .await?;
        let mut progress = Progress::default();
        if let Some(row) = horizon {
            let horizon: String = row.get(0);
            progress.horizon = Some(
                serde_json::from_str(&horizon)
                    .map_err(|e| self.error("the store's horizon does not read", e))?,
            );
        }
        for row in orders {
            let (id, tracked): (String, String) = (row.get(0), row.get(1));
            let order_id: OrderId = id
                .parse()
                .map_err(|e| self.error(&format!("order id {id:?} is not a UUID"), e))?;
            let tracked: TrackedOrder = serde_json::from_str(&tracked)
                .map_err(|e| self.error(&format!("the row of order {id} does not read"), e))?;
            progress.orders.insert(order_id, tracked);
        }
        for row in pending {
            let event: String = row.get(0);
            let event: OrderEvent = serde_json::from_str(&event)
                .map_err(|e| self.error("a pending event does not read", e))?;
            progress.pending.push(event);
        }
        Ok(progress)
    }

    async fn record(&self, poll: &PollRecord) -> std::result::Result<(), EventStoreError> {
        let shared = &self.shared;
        let name = &shared.name;
        let (order_ids, tracked): (Vec<String>, Vec<String>) = poll
            .orders
            .iter()
            .map(|(id, order)| (id.to_string(), to_json(order)))
            .unzip();
        let event_ids: Vec<String> = poll.events.iter().map(|e| e.id.to_string()).collect();
        let event_orders: Vec<String> =
            poll.events.iter().map(|e| e.order.id.to_string()).collect();
        let events: Vec<String> = poll.events.iter().map(to_json).collect();
        let finished: Vec<String> = poll.finished.iter().map(ToString::to_string).collect();
        let horizon = poll.horizon.as_ref().map(to_json);
        self.in_transaction(IsolationLevel::ReadCommitted, async |transaction| {
            // Writers of one store take turns, so each appends after the last event.
            transaction
                .execute(sql::XACT_LOCK, &[&shared.write_key])
                .await?;
            let s = &shared.statements;
            if !order_ids.is_empty() {
                transaction
                    .execute(&s.upsert_orders, &[name, &order_ids, &tracked])
                    .await?;
            }
            if !events.is_empty() {
                transaction
                    .execute(
                        &s.append_events,
                        &[name, &event_ids, &event_orders, &events],
                    )
                    .await?;
            }
            if let Some(horizon) = &horizon {
                transaction
                    .execute(&s.set_horizon, &[name, horizon])
                    .await?;
            }
            if !finished.is_empty() {
                transaction
                    .execute(&s.mark_finished, &[name, &finished])
                    .await?;
                transaction
                    .execute(&s.forget_finished, &[name, &finished])
                    .await?;
            }
            Ok(())
        })
        .await
    }

    async fn acknowledge(&self, event: &EventId) -> std::result::Result<(), EventStoreError> {
        let shared = &self.shared;
        let id = event.to_string();
        self.in_transaction(IsolationLevel::ReadCommitted, async |transaction| {
            transaction
                .execute(&shared.statements.acknowledge, &[&shared.name, &id])
                .await?;
            Ok(())
        })
        .await
    }
}
