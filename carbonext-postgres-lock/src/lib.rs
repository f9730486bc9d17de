//! Exactly-once order placement across processes: [`PostgresKeyLock`], an
//! [`OrderKeyLock`] on PostgreSQL advisory locks, for services whose replicas share a
//! PostgreSQL database.
//!
//! ```no_run
//! // Needs a PostgreSQL database; compiled, not run, as a doctest.
//! use carbonext_domain::Carbonext;
//! use carbonext_postgres_lock::PostgresKeyLock;
//!
//! # fn main() -> carbonext_domain::Result<()> {
//! // Every replica of the service points at the same database.
//! let lock = PostgresKeyLock::from_url("postgres://orders@db.internal/orders")?.build();
//! // Credentials and hosts from the environment, as `Carbonext::from_env` reads them.
//! let carbonext = Carbonext::builder().order_key_lock(lock).build()?;
//! // `carbonext.place_order(order)` now holds the order's key across processes.
//! # Ok(()) }
//! ```
//!
//! The Carbonext API has no idempotency key: the SDK makes a caller-given [`OrderKey`]
//! exactly-once by looking it up before creating the order, and by settling every ambiguous
//! failure with another lookup. Two placements of one key that run at the same time would
//! both find nothing and both create, so the facade holds a lock on the key from the lookup
//! through creation and reconciliation. The default lock, `InProcessKeyLock`, covers one
//! process; this one covers every process that points at the same database.
//!
//! # How it holds a key
//!
//! - Placements of one key in the same process queue on an in-process lock first, so only
//!   one of them waits on the database.
//! - Then one database session takes `pg_try_advisory_lock(hashtextextended(namespace || key,
//!   0))`, polling on tokio's clock until it gets it; the facade bounds the wait
//!   (`CarbonextBuilder::order_key_wait`, 60 s by default) and a wait that runs out ends the
//!   placement with `KeyLockError::TimedOut`, nothing sent. A hash collision between two keys
//!   only makes them wait for each other.
//! - The session stays checked out for the whole placement; at its end the key is unlocked
//!   and the session goes back to a small pool ([`PostgresKeyLockBuilder::max_sessions`]
//!   sessions at most, 16 by default). A placement that is cancelled drops its session
//!   instead, and PostgreSQL releases every lock of a session that ends.
//! - A database that cannot be reached is `KeyLockError::Unavailable`: nothing is sent. A new
//!   session connects within the facade's `Timeouts::connect` (`CarbonextBuilder::timeouts`,
//!   10 s by default) unless the connection string sets its own `connect_timeout`.
//! - A session that closes while it holds a key (the database restarted, the network
//!   dropped it) means another process may take the key at once. The facade asks before
//!   every request that may create the order, and stops with `KeyLockError::Lost` instead of
//!   sending; an order whose creation was already confirmed is returned as placed.
//!
//! # The window no client-side lock closes
//!
//! A process can die (be killed, lose its machine) after sending the request that creates
//! the order and before reading the answer. Its session ends with it, the lock is released,
//! and the order may or may not exist. Nothing on the client can know which until the next
//! placement of that key: it takes the lock, **looks the key up first**, and returns the
//! order if the API has it (`already_existed: true`) or places it if not. So an at-least-once
//! retry of the same event, with the same key, settles it; an order is never placed twice
//! for one key as long as the API records the order before a later lookup runs. Delivering
//! the event again is the caller's part (a queue does it).
//!
//! Losing a session silently (no reset, no FIN) is noticed only when TCP gives up; set TCP
//! keepalives on the connection string (`keepalives_idle=…`) where that matters.
//!
//! # TLS
//!
//! Sessions connect without TLS unless [`PostgresKeyLockBuilder::tls`] is given the
//! service's connector (`postgres-native-tls`, `tokio-postgres-rustls`…): this crate takes no
//! TLS stack of its own.
//!
//! # Order events
//!
//! With the feature `events`, `PostgresEventStore` keeps an order watcher's progress
//! (`Carbonext::watch_orders`) in the same kind of database, with a leader lock so that only
//! one of several replicas watches at a time: see the `event_store` module.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]

#[cfg(feature = "events")]
#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
pub mod event_store;

#[cfg(feature = "events")]
#[cfg_attr(docsrs, doc(cfg(feature = "events")))]
pub use event_store::{PostgresEventStore, PostgresEventStoreBuilder};

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use carbonext_domain::key_lock::{HeldKey, InProcessKeyLock, KeyGuard, OrderKeyLock};
use carbonext_domain::{Error, KeyLockError, OrderKey, Result, Timeouts, ValidationError};
use futures_util::future::BoxFuture;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::{Client, Config, Socket, Statement};

/// Prefix of every key's text before it is hashed into an advisory lock id, unless
/// [`PostgresKeyLockBuilder::namespace`] says otherwise.
pub const DEFAULT_NAMESPACE: &str = "carbonext.order_key:";

/// Most database sessions held at once unless [`PostgresKeyLockBuilder::max_sessions`] says
/// otherwise.
pub const DEFAULT_MAX_SESSIONS: usize = 16;

/// Longest pause between two tries of a key another process holds.
const MAX_POLL: Duration = Duration::from_millis(50);

/// Opens one session and spawns its connection task.
pub(crate) type Connect =
    Arc<dyn Fn(Config) -> BoxFuture<'static, Result<Client, String>> + Send + Sync>;

/// An [`OrderKeyLock`] shared by every process that uses the same PostgreSQL database.
/// Cheap to clone; clones share the session pool.
#[derive(Clone)]
pub struct PostgresKeyLock {
    shared: Arc<Shared>,
}

struct Shared {
    config: Config,
    connect: Connect,
    namespace: String,
    /// Keys of this process queue here before they wait on the database.
    local: InProcessKeyLock,
    /// One permit per session, held or idle.
    sessions: Arc<Semaphore>,
    idle: Mutex<Vec<Session>>,
    /// Where the lock lives, for messages (never the password).
    target: String,
}

impl fmt::Debug for PostgresKeyLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresKeyLock")
            .field("target", &self.shared.target)
            .field("namespace", &self.shared.namespace)
            .finish_non_exhaustive()
    }
}

/// Builder of [`PostgresKeyLock`].
pub struct PostgresKeyLockBuilder {
    config: Config,
    connect: Connect,
    namespace: String,
    max_sessions: usize,
}

impl fmt::Debug for PostgresKeyLockBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresKeyLockBuilder")
            .field("target", &describe(&self.config))
            .field("namespace", &self.namespace)
            .field("max_sessions", &self.max_sessions)
            .finish_non_exhaustive()
    }
}

impl PostgresKeyLock {
    /// A builder from a libpq connection string or `postgres://` URL. Nothing connects until
    /// the first placement. A string that does not parse is a
    /// [`ValidationError::Config`] whose message leaves the string out (it may hold a
    /// password).
    pub fn from_url(url: &str) -> Result<PostgresKeyLockBuilder> {
        let config: Config = url.parse().map_err(|e| {
            Error::Validation(ValidationError::Config(format!(
                "the order key lock's PostgreSQL connection string does not parse: {e}"
            )))
        })?;
        Ok(Self::builder(config))
    }

    /// A builder from a parsed configuration.
    pub fn builder(mut config: Config) -> PostgresKeyLockBuilder {
        if config.get_application_name().is_none() {
            config.application_name("carbonext-order-key-lock");
        }
        PostgresKeyLockBuilder {
            config,
            connect: connector(tokio_postgres::NoTls),
            namespace: DEFAULT_NAMESPACE.to_owned(),
            max_sessions: DEFAULT_MAX_SESSIONS,
        }
    }

    /// Sessions open and idle in the pool right now.
    pub fn idle_sessions(&self) -> usize {
        self.shared
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// A session from the pool, or a new one, connected within `connect_limit` unless the
    /// connection string sets its own `connect_timeout`.
    async fn session(&self, connect_limit: Duration) -> std::result::Result<Session, String> {
        loop {
            let idle = self
                .shared
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match idle {
                Some(session) if !session.client.is_closed() => return Ok(session),
                Some(_closed) => continue,
                None => break,
            }
        }
        let connect = (self.shared.connect)(self.shared.config.clone());
        let limit = self
            .shared
            .config
            .get_connect_timeout()
            .copied()
            .unwrap_or(connect_limit);
        let client = tokio::time::timeout(limit, connect)
            .await
            .map_err(|_| format!("no connection within {limit:?}"))??;
        let try_lock = client
            .prepare("select pg_try_advisory_lock(hashtextextended($1::text, 0))")
            .await
            .map_err(|e| e.to_string())?;
        let unlock = client
            .prepare("select pg_advisory_unlock(hashtextextended($1::text, 0))")
            .await
            .map_err(|e| e.to_string())?;
        Ok(Session {
            client,
            try_lock,
            unlock,
        })
    }
}

impl PostgresKeyLockBuilder {
    /// Text put before each key before it is hashed into a lock id (default
    /// [`DEFAULT_NAMESPACE`]): services that share a database but not their orders use
    /// different namespaces.
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Most database sessions open at once (default [`DEFAULT_MAX_SESSIONS`], at least 1):
    /// each placement in progress holds one, so this also bounds the placements of distinct
    /// keys that run at the same time; more wait for a session, within the facade's
    /// `order_key_wait`.
    pub fn max_sessions(mut self, sessions: usize) -> Self {
        self.max_sessions = sessions.max(1);
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

    /// The lock. Nothing connects until the first placement.
    pub fn build(self) -> PostgresKeyLock {
        PostgresKeyLock {
            shared: Arc::new(Shared {
                target: describe(&self.config),
                config: self.config,
                connect: self.connect,
                namespace: self.namespace,
                local: InProcessKeyLock::default(),
                sessions: Arc::new(Semaphore::new(self.max_sessions)),
                idle: Mutex::new(Vec::new()),
            }),
        }
    }
}

pub(crate) fn connector<T>(tls: T) -> Connect
where
    T: MakeTlsConnect<Socket> + Clone + Send + Sync + 'static,
    T::Stream: Send + 'static,
    T::TlsConnect: Send,
    <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
{
    Arc::new(move |config: Config| {
        let tls = tls.clone();
        Box::pin(async move {
            let (client, connection) = config.connect(tls).await.map_err(|e| e.to_string())?;
            // The session's socket, driven by a task (no thread) until the client is dropped.
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "order key lock session ended");
                }
            });
            Ok(client)
        })
    })
}

/// `user@host:port/dbname`, for messages.
pub(crate) fn describe(config: &Config) -> String {
    use tokio_postgres::config::Host;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(host)) => host.clone(),
        #[cfg(unix)]
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("(default user)");
    let db = config.get_dbname().unwrap_or(user);
    format!("{user}@{host}:{port}/{db}")
}

/// One database session and its two prepared statements.
struct Session {
    client: Client,
    try_lock: Statement,
    unlock: Statement,
}

#[async_trait]
impl OrderKeyLock for PostgresKeyLock {
    /// [`OrderKeyLock::acquire_within`] the default [`Timeouts`].
    async fn acquire(&self, key: &OrderKey) -> Result<KeyGuard> {
        self.acquire_within(key, &Timeouts::default()).await
    }

    /// Holds `key`, connecting a new session within [`Timeouts::connect`] (the facade's, set on
    /// `CarbonextBuilder::timeouts`) unless the connection string sets `connect_timeout`.
    async fn acquire_within(&self, key: &OrderKey, timeouts: &Timeouts) -> Result<KeyGuard> {
        let shared = &self.shared;
        let unavailable = |message: String| Error::KeyLock {
            key: key.clone(),
            reason: KeyLockError::Unavailable {
                message: format!("PostgreSQL at {}: {message}", shared.target),
            },
        };
        // If this future is dropped at any await below, everything it holds is dropped: the
        // in-process entry, the permit, and the session, whose end releases its locks.
        let local = shared.local.acquire(key).await?;
        let permit = Arc::clone(&shared.sessions)
            .acquire_owned()
            .await
            .map_err(|_| unavailable("the session pool is closed".to_owned()))?;
        let session = self.session(timeouts.connect).await.map_err(unavailable)?;
        let lock_key = format!("{}{}", shared.namespace, key.as_str());
        let mut pause = Duration::from_millis(2);
        loop {
            let row = session
                .client
                .query_one(&session.try_lock, &[&lock_key])
                .await
                .map_err(|e| unavailable(e.to_string()))?;
            let taken: bool = row.try_get(0).map_err(|e| unavailable(e.to_string()))?;
            if taken {
                break;
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_POLL);
        }
        Ok(KeyGuard::new(Held {
            session,
            lock_key,
            shared: Arc::clone(shared),
            _permit: permit,
            _local: local,
        }))
    }
}

/// One key held by one session.
struct Held {
    session: Session,
    lock_key: String,
    shared: Arc<Shared>,
    // Dropped after the session is back in the pool (or closed).
    _permit: OwnedSemaphorePermit,
    _local: KeyGuard,
}

#[async_trait]
impl HeldKey for Held {
    fn is_held(&self) -> std::result::Result<(), String> {
        if self.session.client.is_closed() {
            Err(format!(
                "the session with PostgreSQL at {} closed",
                self.shared.target
            ))
        } else {
            Ok(())
        }
    }

    async fn release(self: Box<Self>) {
        let Held {
            session,
            lock_key,
            shared,
            _permit,
            _local,
        } = *self;
        let unlocked = session
            .client
            .query_one(&session.unlock, &[&lock_key])
            .await
            .ok()
            .and_then(|row| row.try_get::<_, bool>(0).ok());
        if unlocked == Some(true) {
            shared
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(session);
        } else {
            // Dropping the session ends it, which releases whatever it still holds.
            tracing::debug!("order key lock session not reused: unlocking failed");
        }
    }
}
