//! [`FileEventStore`]: a watcher's progress in one JSON file.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::Kept;
use crate::events::{EventId, EventStore, EventStoreError, Leadership, PollRecord, Progress};
use crate::OrderId;

/// Version of the file's layout; another is refused.
const FORMAT_VERSION: u32 = 1;

/// How often a waiting watcher tries the lock again.
const LOCK_RETRY: Duration = Duration::from_millis(500);

/// A watcher's progress in one JSON file, for `carbonext orders watch
/// --state FILE` and services with one watcher.
///
/// - **Format**: `{"version": 1, "progress": {…}, "finished": […]}` (the [`Progress`] and the
///   finished orders waiting for their events' acknowledgement), amounts as exact strings,
///   mode 0600.
/// - **Writes**: every recorded poll and every acknowledged event rewrites the file whole: to
///   a temporary file in the same folder, flushed to disk, then renamed over the old one, so
///   a crash leaves the old file or the new one, never half of one. A recorded poll also
///   flushes the folder (the rename itself survives a power cut); an acknowledgement does not
///   (half the disk flushes per event): a power cut may undo the last acknowledgements, and
///   those events are handed over again. A failed write changes nothing (the watcher retries
///   it).
/// - **Lock**: [`EventStore::lead`] takes an exclusive lock on `<file>.lock` (kept, never
///   removed) for as long as the watcher runs. A second watcher on the same file, in this
///   process or another, waits for it (saying so once in the log) instead of sharing the
///   file unknowingly. A write in flight when its watcher is dropped keeps the lock until it
///   is done, so the next watcher reads the file whole.
/// - **Cost**: one rewrite per poll that changed something and one per event handed over;
///   the file grows with the orders that can still change and the events not yet handed over
///   (about 150 bytes per tracked order, under 1 KB per pending event).
///
/// ```no_run
/// use carbonext_domain::events::{FileEventStore, WatchOptions};
/// # async fn run(carbonext: carbonext_domain::Carbonext, handler: impl carbonext_domain::events::EventHandler + 'static) -> carbonext_domain::Result<()> {
/// let store = FileEventStore::new("/var/lib/my-service/order-events.json");
/// carbonext.watch_orders(WatchOptions::default(), store, handler).await
/// # }
/// ```
#[derive(Debug)]
pub struct FileEventStore {
    path: PathBuf,
    /// The lock while a watcher leads; the [`Leadership`] owns it, writes borrow it.
    lock: Mutex<Weak<LockedFile>>,
    /// What the file holds, once read; changes are written before they are kept here.
    kept: tokio::sync::Mutex<Option<Kept>>,
}

/// The lock file, held locked while it lives.
#[derive(Debug)]
struct LockedFile {
    _file: File,
}

#[derive(Serialize, Deserialize)]
struct OnDisk {
    version: u32,
    progress: Progress,
    finished: BTreeSet<OrderId>,
}

impl FileEventStore {
    /// The store kept in `path` (created at the first write; its folder too).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            lock: Mutex::new(Weak::new()),
            kept: tokio::sync::Mutex::new(None),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The lock file: the file's path with `.lock` added.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    fn error(&self, what: &str, source: io::Error) -> EventStoreError {
        EventStoreError::new(format!("{} {}", what, self.path.display()), source)
    }

    /// The lock, if a watcher leads: moved into each write so that it outlives the write.
    fn held(&self) -> Option<Arc<LockedFile>> {
        self.lock
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .upgrade()
    }

    /// Reads the file (an empty progress when there is none).
    async fn read(&self) -> Result<Kept, EventStoreError> {
        let path = self.path.clone();
        let bytes = tokio::task::spawn_blocking(move || match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        })
        .await
        .map_err(|e| self.error("could not read", io::Error::other(e)))?
        .map_err(|e| self.error("could not read", e))?;
        let Some(bytes) = bytes else {
            return Ok(Kept::default());
        };
        let on_disk: OnDisk = serde_json::from_slice(&bytes).map_err(|e| {
            EventStoreError::new(format!("{} is not valid", self.path.display()), e)
        })?;
        if on_disk.version != FORMAT_VERSION {
            return Err(EventStoreError::msg(format!(
                "{} has version {}; this watcher reads version {FORMAT_VERSION}",
                self.path.display(),
                on_disk.version
            )));
        }
        Ok(Kept {
            progress: on_disk.progress,
            finished: on_disk.finished,
        })
    }

    /// Replaces the file with `kept` (see the module docs); `durable`: the folder is flushed
    /// too.
    async fn write(&self, kept: &Kept, durable: bool) -> Result<(), EventStoreError> {
        let on_disk = OnDisk {
            version: FORMAT_VERSION,
            progress: kept.progress.clone(),
            finished: kept.finished.clone(),
        };
        let mut bytes = serde_json::to_vec(&on_disk)
            .map_err(|e| self.error("could not encode", io::Error::other(e)))?;
        bytes.push(b'\n');
        let path = self.path.clone();
        let held = self.held();
        tokio::task::spawn_blocking(move || {
            let written = replace(&path, &bytes, durable);
            drop(held);
            written
        })
        .await
        .map_err(|e| self.error("could not write", io::Error::other(e)))?
        .map_err(|e| self.error("could not write", e))
    }

    /// Applies `change` to what the file holds and writes it (the folder flushed too when
    /// `durable`), keeping the change only once written; `change` returns `false` when it
    /// changed nothing (no write).
    async fn update(
        &self,
        durable: bool,
        change: impl FnOnce(&mut Kept) -> bool,
    ) -> Result<(), EventStoreError> {
        let mut kept = self.kept.lock().await;
        let mut next = match kept.as_ref() {
            Some(current) => current.clone(),
            None => self.read().await?,
        };
        if change(&mut next) {
            self.write(&next, durable).await?;
        }
        *kept = Some(next);
        Ok(())
    }
}

#[async_trait]
impl EventStore for FileEventStore {
    async fn lead(&self) -> Result<Leadership, EventStoreError> {
        let lock_path = self.lock_path();
        let mut waiting = false;
        loop {
            let path = lock_path.clone();
            let tried = tokio::task::spawn_blocking(move || try_lock(&path))
                .await
                .map_err(|e| self.error("could not lock", io::Error::other(e)))?
                .map_err(|e| self.error("could not lock", e))?;
            if let Some(file) = tried {
                let guard = Arc::new(LockedFile { _file: file });
                *self.lock.lock().unwrap_or_else(|e| e.into_inner()) = Arc::downgrade(&guard);
                // Whatever another watcher wrote meanwhile is read again.
                *self.kept.lock().await = None;
                return Ok(Leadership::held_by(guard));
            }
            if !waiting {
                waiting = true;
                tracing::warn!(
                    path = %self.path.display(),
                    "another order watcher holds this event store; waiting for it to stop"
                );
            }
            tokio::time::sleep(LOCK_RETRY).await;
        }
    }

    async fn load(&self) -> Result<Progress, EventStoreError> {
        let mut kept = self.kept.lock().await;
        let read = self.read().await?;
        let progress = read.progress.clone();
        *kept = Some(read);
        Ok(progress)
    }

    async fn record(&self, poll: &PollRecord) -> Result<(), EventStoreError> {
        self.update(true, |kept| {
            kept.record(poll);
            true
        })
        .await
    }

    async fn acknowledge(&self, event: &EventId) -> Result<(), EventStoreError> {
        self.update(false, |kept| kept.acknowledge(event)).await
    }
}

/// The lock file at `path`, locked; `None` when another holder has it.
fn try_lock(path: &Path) -> io::Result<Option<File>> {
    create_folder(path)?;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(e),
    }
}

fn create_folder(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => fs::create_dir_all(folder),
        _ => Ok(()),
    }
}

/// Writes `bytes` to a new file beside `path`, flushes it, renames it over `path` (and
/// flushes the folder when `durable`).
fn replace(path: &Path, bytes: &[u8], durable: bool) -> io::Result<()> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    create_folder(path)?;
    let folder = match path.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => folder,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .map_or_else(|| "events".into(), |n| n.to_string_lossy());
    let temporary = folder.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let written = write_new(&temporary, bytes).and_then(|()| fs::rename(&temporary, path));
    if written.is_err() {
        let _ = fs::remove_file(&temporary);
        return written;
    }
    // Makes the rename itself durable; not every platform can open a folder for it.
    if durable {
        if let Ok(folder) = File::open(folder) {
            let _ = folder.sync_all();
        }
    }
    Ok(())
}

fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
