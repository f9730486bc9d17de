//! A sandbox that remembers: its state kept in one JSON file ([`StateFile`]), shared safely by
//! processes running at once.
//!
//! Only when asked for ([`SandboxBuilder::state_file`](crate::SandboxBuilder::state_file),
//! `carbonext-sandbox --state FILE`); a sandbox is in memory otherwise. The CLI's embedded
//! sandbox uses [`default_path`]: `$XDG_STATE_HOME/carbonext/sandbox.json`, or
//! `~/.local/state/carbonext/sandbox.json`.
//!
//! - **Format**: a [`Snapshot`] as pretty JSON (customers, API keys with their fake secrets,
//!   orders, invoices, users, clock, id count), mode 0600. No access token is ever written.
//! - **Lock**: an exclusive lock on a separate file beside it (`sandbox.json.lock`, never
//!   removed), held only while loading and while saving, never for a process's whole run.
//! - **Load**: under the lock; a missing file is seeded (a customer, its key, a paid
//!   invoice) and written at once, so processes starting together share one customer.
//! - **Save**: after every request that may write (any method but GET, HEAD and OPTIONS),
//!   before its answer leaves, and at shutdown. Under the lock the file is read again and
//!   merged with this process's changes ([`crate::snapshot`] says how), then written to a
//!   temporary file in the same folder and renamed over the old one, so a reader sees the
//!   old file or the new one, never half of one. A missing file (after
//!   `carbonext sandbox reset`) is written back whole from what the process holds.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use carbonext_sandbox::Sandbox;
//! let sandbox = Sandbox::builder().state_file("/tmp/sandbox.json").start().await?;
//! // ... orders placed here are in /tmp/sandbox.json for the next process
//! sandbox.shutdown().await;
//! # Ok(()) }
//! ```

use std::ffi::OsString;
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use crate::app::AppState;
use crate::clock::SandboxClock;
use crate::problem::Problem;
use crate::snapshot::{merge, Seeded, Snapshot, FORMAT_VERSION};
use crate::store::Store;
use crate::CustomerCredentials;

/// Name of the state file in its folder.
pub const FILE_NAME: &str = "sandbox.json";

/// Where the CLI keeps its embedded sandbox's state: `$XDG_STATE_HOME/carbonext/sandbox.json`
/// when `XDG_STATE_HOME` is an absolute path, else `$HOME/.local/state/carbonext/sandbox.json`;
/// `None` when neither is set.
pub fn default_path() -> Option<PathBuf> {
    default_path_from(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
}

/// [`default_path`] for given values of `XDG_STATE_HOME` and `HOME`.
pub fn default_path_from(
    xdg_state_home: Option<OsString>,
    home: Option<OsString>,
) -> Option<PathBuf> {
    // The XDG spec says a relative path in these variables is invalid and must be ignored.
    let state_home = xdg_state_home
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .or_else(|| {
            home.filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".local").join("state"))
        })?;
    Some(state_home.join("carbonext").join(FILE_NAME))
}

/// Why a state file could not be read or written.
#[derive(Debug)]
#[non_exhaustive]
pub enum StateFileError {
    /// Reading, writing, locking or renaming failed.
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the system said.
        source: io::Error,
    },
    /// The file is not valid JSON of a sandbox state.
    Corrupt {
        /// The state file.
        path: PathBuf,
        /// Where and why parsing failed.
        source: serde_json::Error,
    },
    /// The file was written by a sandbox with another layout.
    Version {
        /// The state file.
        path: PathBuf,
        /// Its `version`.
        found: u32,
    },
    /// The file lacks the seeded customer's key, so its credentials cannot be served.
    NoSeededKey {
        /// The state file.
        path: PathBuf,
    },
}

impl fmt::Display for StateFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "sandbox state {}: {source}", path.display()),
            Self::Corrupt { path, source } => {
                write!(f, "sandbox state {} is not valid: {source}", path.display())
            }
            Self::Version { path, found } => write!(
                f,
                "sandbox state {} has version {found}; this sandbox reads version {FORMAT_VERSION}",
                path.display()
            ),
            Self::NoSeededKey { path } => write!(
                f,
                "sandbox state {} lacks the seeded customer's API key",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StateFileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Corrupt { source, .. } => Some(source),
            Self::Version { .. } | Self::NoSeededKey { .. } => None,
        }
    }
}

impl From<StateFileError> for io::Error {
    fn from(error: StateFileError) -> Self {
        let kind = match &error {
            StateFileError::Io { source, .. } => source.kind(),
            _ => io::ErrorKind::InvalidData,
        };
        io::Error::new(kind, error)
    }
}

/// A state file and its lock file (`<file>.lock`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateFile {
    path: PathBuf,
}

/// The exclusive lock on a state file, released when dropped.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

impl StateFile {
    /// The state file at `path` (nothing is touched yet).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    /// The state file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file's path: the state file's with `.lock` added.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Takes the exclusive lock, waiting for other holders; creates the folder and the lock
    /// file if needed. Blocks the thread: call it off the async runtime's workers.
    pub fn lock(&self) -> Result<StateLock, StateFileError> {
        let lock_path = self.lock_path();
        let io_error = |source| StateFileError::Io {
            path: lock_path.clone(),
            source,
        };
        self.create_folder()?;
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(io_error)?;
        file.lock().map_err(io_error)?;
        Ok(StateLock { _file: file })
    }

    /// The snapshot on disk, `None` when there is no file. Take the lock first.
    pub fn read(&self) -> Result<Option<Snapshot>, StateFileError> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(self.io_error(source)),
        };
        let corrupt = |source| StateFileError::Corrupt {
            path: self.path.clone(),
            source,
        };
        #[derive(serde::Deserialize)]
        struct Version {
            version: u32,
        }
        let Version { version } = serde_json::from_slice(&bytes).map_err(corrupt)?;
        if version != FORMAT_VERSION {
            return Err(StateFileError::Version {
                path: self.path.clone(),
                found: version,
            });
        }
        let snapshot: Snapshot = serde_json::from_slice(&bytes).map_err(corrupt)?;
        if snapshot.seeded_key().is_none() {
            return Err(StateFileError::NoSeededKey {
                path: self.path.clone(),
            });
        }
        Ok(Some(snapshot))
    }

    /// Replaces the file with `snapshot` atomically: written to a temporary file in the same
    /// folder, flushed to disk, then renamed over the old one. Take the lock first.
    pub fn write(&self, snapshot: &Snapshot) -> Result<(), StateFileError> {
        static WRITES: AtomicU64 = AtomicU64::new(0);
        self.create_folder()?;
        let mut json = serde_json::to_vec_pretty(snapshot).map_err(|e| self.io_error(e.into()))?;
        json.push(b'\n');
        let name = self
            .path
            .file_name()
            .map_or_else(|| FILE_NAME.into(), |n| n.to_string_lossy());
        let temporary = self.folder().join(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        let written =
            write_new(&temporary, &json).and_then(|()| fs::rename(&temporary, &self.path));
        if let Err(source) = written {
            let _ = fs::remove_file(&temporary);
            return Err(self.io_error(source));
        }
        // Makes the rename itself durable; not every platform can open a folder for it.
        if let Ok(folder) = File::open(self.folder()) {
            let _ = folder.sync_all();
        }
        Ok(())
    }

    /// Deletes the state (under the lock), so the next sandbox starts afresh. `Ok(false)`
    /// when there was none. The lock file stays: removing it could let two processes lock
    /// two different files.
    pub fn reset(&self) -> Result<bool, StateFileError> {
        let _lock = self.lock()?;
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(source) => Err(self.io_error(source)),
        }
    }

    fn folder(&self) -> &Path {
        match self.path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        }
    }

    fn create_folder(&self) -> Result<(), StateFileError> {
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder
            .create(self.folder())
            .map_err(|source| self.io_error(source))
    }

    fn io_error(&self, source: io::Error) -> StateFileError {
        StateFileError::Io {
            path: self.path.clone(),
            source,
        }
    }
}

fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    // The file holds the sandbox's fake client secrets: readable by its owner only.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// A state file opened under its lock, before the sandbox's store exists: the clock and
/// ids are made from what it holds.
#[derive(Debug)]
pub(crate) struct Opening {
    file: StateFile,
    lock: StateLock,
    snapshot: Option<Snapshot>,
}

impl Opening {
    /// Locks `file` and reads it. Blocks the thread.
    pub(crate) fn start(file: StateFile) -> Result<Self, StateFileError> {
        let lock = file.lock()?;
        let snapshot = file.read()?;
        Ok(Self {
            file,
            lock,
            snapshot,
        })
    }

    /// The clock to restore, `None` for a new state.
    pub(crate) fn clock(&self, deterministic: bool) -> Option<SandboxClock> {
        let saved = &self.snapshot.as_ref()?.clock;
        let advanced = Duration::from_millis(saved.advanced_ms);
        let now = if deterministic {
            saved.now
        } else {
            let wall = Utc::now()
                + chrono::Duration::from_std(advanced).unwrap_or(chrono::Duration::zero());
            saved.now.max(wall)
        };
        Some(SandboxClock::restored(now, advanced))
    }

    /// Fills `store` from the file, or seeds it with `seed` and writes the file, then
    /// releases the lock. Returns the seeded credentials.
    pub(crate) fn finish(
        self,
        store: &Store,
        seed: impl FnOnce() -> CustomerCredentials,
    ) -> Result<(CustomerCredentials, Arc<Persistence>), StateFileError> {
        let (credentials, base) = match self.snapshot {
            Some(snapshot) => {
                snapshot.apply(store, &mut store.lock());
                let key = snapshot.seeded_key().expect("checked when read");
                let credentials = CustomerCredentials {
                    customer_id: key.customer_id,
                    client_id: key.client_id.clone(),
                    client_secret: key.client_secret.clone(),
                };
                (credentials, snapshot)
            }
            None => {
                let credentials = seed();
                let seeded = Seeded {
                    customer_id: credentials.customer_id,
                    client_id: credentials.client_id.clone(),
                };
                let snapshot = Snapshot::capture(store, &store.lock(), seeded);
                self.file.write(&snapshot)?;
                (credentials, snapshot)
            }
        };
        drop(self.lock);
        let persistence = Persistence {
            file: self.file,
            seeded: base.seeded.clone(),
            base: Mutex::new(base),
        };
        Ok((credentials, Arc::new(persistence)))
    }
}

/// A running sandbox's link to its state file: what it last read or wrote there.
#[derive(Debug)]
pub(crate) struct Persistence {
    file: StateFile,
    seeded: Seeded,
    base: Mutex<Snapshot>,
}

impl Persistence {
    /// The state file.
    pub(crate) fn file(&self) -> &StateFile {
        &self.file
    }

    /// Merges this process's changes into the file and takes the other processes' (see the
    /// module docs). Blocks the thread while waiting for the lock.
    pub(crate) fn save(&self, store: &Store) -> Result<(), StateFileError> {
        let _lock = self.file.lock()?;
        let disk = self.file.read()?;
        let mut base = self.base.lock().unwrap_or_else(|e| e.into_inner());
        let merged = {
            let mut state = store.lock();
            let ours = Snapshot::capture(store, &state, self.seeded.clone());
            let merged = match &disk {
                Some(disk) => merge(&base, &ours, disk.clone()),
                None => ours,
            };
            merged.apply(store, &mut state);
            merged
        };
        if disk.is_none_or(|disk| merged.differs_from(&disk)) {
            self.file.write(&merged)?;
        }
        *base = merged;
        Ok(())
    }

    /// [`Persistence::save`] on a blocking thread.
    pub(crate) async fn save_async(
        self: &Arc<Self>,
        store: &Arc<Store>,
    ) -> Result<(), StateFileError> {
        let (persistence, store) = (self.clone(), store.clone());
        tokio::task::spawn_blocking(move || persistence.save(&store))
            .await
            .unwrap_or_else(|join| {
                Err(StateFileError::Io {
                    path: self.file.path.clone(),
                    source: io::Error::other(join),
                })
            })
    }
}

/// Middleware: saves after every request that may write, before answering. A failed save
/// answers 500, as the change would not outlive the process.
pub(crate) async fn save_after_write(
    State(app): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let response = next.run(request).await;
    let Some(persistence) = app.persistence.as_ref().filter(|_| writes) else {
        return response;
    };
    match persistence.save_async(&app.store).await {
        Ok(()) => response,
        Err(error) => {
            tracing::error!(%error, "could not save the sandbox state");
            Problem::new(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
                .with_detail(format!("the sandbox could not save its state: {error}"))
                .into_response()
        }
    }
}
