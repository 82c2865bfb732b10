//! A bounded local-disk cache of whole objects, for formats that cannot be range-read
//! (JPEG, JPEG 2000, untiled TIFF): each object version is downloaded once, kept as a file,
//! and read back through the same [`Source`] contract as everything else.
//!
//! - **Bounded by bytes, least recently used out first.** A disk cache with no limit fills
//!   the disk (Lambda's /tmp is small). An object larger than the whole budget is still
//!   served, from a file that is unlinked at once.
//! - **One download per object at a time.** Concurrent first requests join one download.
//!   The download runs as its own task, so a request that gives up (a deadline, a closed
//!   connection) does not cancel it for the others, and it always settles its waiters.
//!   Errors reach every waiter and are not cached.
//! - **Handles, not paths.** Callers get an open file, so evicting (unlinking) an entry never
//!   breaks a render in progress; the space is freed when the last reader closes it.
//! - **Its own folder.** The cache makes a fresh subfolder of the folder it is given and
//!   touches nothing else, so a misconfigured path cannot make it delete foreign files. The
//!   subfolder is removed when the cache is dropped.

use super::{Source, SourceError, SourceErrorKind};
use bytes::Bytes;
use lru::LruCache;
use std::collections::HashMap;
use std::fs::File;
use std::future::Future;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio::sync::watch;

type Outcome = Option<Result<CachedObject, SourceError>>;

/// Counters since the cache was built (objects, except where named bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WholeCacheStats {
    pub hits: u64,
    /// Requests that found no file: they started a download or joined one.
    pub misses: u64,
    pub downloads: u64,
    pub bytes_downloaded: u64,
    pub resident_bytes: u64,
}

/// A whole object held in a local file; readable at any offset from any thread.
#[derive(Clone, Debug)]
pub struct CachedObject {
    file: Arc<File>,
    len: u64,
    identity: Arc<str>,
}

impl Source for CachedObject {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes, SourceError> {
        let end = offset.saturating_add(len as u64).min(self.len);
        let mut buf = vec![0; end.saturating_sub(offset) as usize];
        self.file.read_exact_at(&mut buf, offset)?;
        Ok(buf.into())
    }

    fn identity(&self) -> &str {
        &self.identity
    }
}

/// A bounded disk cache of whole objects with one download per object at a time.
pub struct WholeObjectCache {
    inner: Arc<Inner>,
}

struct Inner {
    dir: PathBuf,
    capacity: u64,
    state: Mutex<State>,
    hits: AtomicU64,
    misses: AtomicU64,
    downloads: AtomicU64,
    bytes_downloaded: AtomicU64,
}

struct State {
    files: LruCache<Arc<str>, (PathBuf, u64)>,
    resident: u64,
    in_flight: HashMap<Arc<str>, watch::Receiver<Outcome>>,
}

enum Step {
    Hit(CachedObject),
    Join(watch::Receiver<Outcome>),
    Start(Arc<str>, watch::Sender<Outcome>, watch::Receiver<Outcome>),
}

impl WholeObjectCache {
    /// A cache of at most `capacity_bytes` in a new subfolder of `parent` (e.g. /tmp).
    pub fn new(parent: &Path, capacity_bytes: u64) -> std::io::Result<Self> {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        let nanos = stamp.unwrap_or_default().as_nanos();
        let dir = parent.join(format!("tessera-whole-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let state = State {
            files: LruCache::unbounded(),
            resident: 0,
            in_flight: HashMap::new(),
        };
        let inner = Inner {
            dir,
            capacity: capacity_bytes,
            state: Mutex::new(state),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            downloads: AtomicU64::new(0),
            bytes_downloaded: AtomicU64::new(0),
        };
        Ok(WholeObjectCache {
            inner: Arc::new(inner),
        })
    }

    /// The folder holding the cached files.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    pub fn stats(&self) -> WholeCacheStats {
        let i = &self.inner;
        WholeCacheStats {
            hits: i.hits.load(Relaxed),
            misses: i.misses.load(Relaxed),
            downloads: i.downloads.load(Relaxed),
            bytes_downloaded: i.bytes_downloaded.load(Relaxed),
            resident_bytes: i.lock().resident,
        }
    }

    /// The object named `identity` (which must include its version, like an ETag), from
    /// disk, or downloaded with `download` if there is neither a file nor a download of it
    /// yet. Needs a tokio runtime: the download runs as a task of its own.
    pub async fn get<F>(&self, identity: &str, download: F) -> Result<CachedObject, SourceError>
    where
        F: Future<Output = Result<Bytes, SourceError>> + Send + 'static,
    {
        let mut flight = match self.inner.look_up(identity) {
            Step::Hit(object) => return Ok(object),
            Step::Join(flight) => flight,
            Step::Start(identity, tx, flight) => {
                let inner = Arc::clone(&self.inner);
                tokio::spawn(async move {
                    let mut guard = FlightGuard {
                        inner: &inner,
                        identity: &identity,
                        armed: true,
                    };
                    let outcome = inner.download(&identity, download).await;
                    inner.register(&identity, &outcome);
                    guard.armed = false;
                    tx.send_replace(Some(outcome));
                });
                flight
            }
        };
        let settled = flight
            .wait_for(Option::is_some)
            .await
            .map(|outcome| outcome.clone());
        match settled {
            Ok(Some(outcome)) => outcome,
            // The sender was dropped unsettled: the task panicked or the runtime stopped.
            _ => Err(SourceError::new(
                SourceErrorKind::Other,
                "whole-object download abandoned",
            )),
        }
    }
}

/// Makes sure a download task that unwinds leaves no in-flight entry behind, so a later
/// request starts afresh instead of joining a dead flight.
struct FlightGuard<'a> {
    inner: &'a Inner,
    identity: &'a Arc<str>,
    armed: bool,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.inner.lock().in_flight.remove(self.identity);
        }
    }
}

impl Inner {
    /// Finds a cached file, or the download in progress, or claims the download; all
    /// under one lock, so two requests can never both claim it.
    fn look_up(&self, identity: &str) -> Step {
        let mut state = self.lock();
        if let Some((path, len)) = state.files.get(identity).cloned() {
            // The file can only be missing if something outside removed it: forget it.
            match File::open(&path) {
                Ok(file) => {
                    self.hits.fetch_add(1, Relaxed);
                    return Step::Hit(CachedObject {
                        file: Arc::new(file),
                        len,
                        identity: identity.into(),
                    });
                }
                Err(_) => {
                    state.files.pop(identity);
                    state.resident -= len;
                }
            }
        }
        self.misses.fetch_add(1, Relaxed);
        if let Some(flight) = state.in_flight.get(identity) {
            return Step::Join(flight.clone());
        }
        let (tx, rx) = watch::channel(None);
        let identity: Arc<str> = identity.into();
        state.in_flight.insert(Arc::clone(&identity), rx.clone());
        Step::Start(identity, tx, rx)
    }

    /// Downloads the object into its file (written aside, then renamed into place) and
    /// opens it.
    async fn download<F>(
        &self,
        identity: &Arc<str>,
        download: F,
    ) -> Result<CachedObject, SourceError>
    where
        F: Future<Output = Result<Bytes, SourceError>>,
    {
        let bytes = download.await?;
        let len = bytes.len() as u64;
        self.downloads.fetch_add(1, Relaxed);
        self.bytes_downloaded.fetch_add(len, Relaxed);
        let path = self.path_for(identity);
        let write = move || -> std::io::Result<File> {
            let part = path.with_extension("part");
            std::fs::write(&part, &bytes)?;
            std::fs::rename(&part, &path)?;
            File::open(&path)
        };
        let written = tokio::task::spawn_blocking(write).await;
        let file =
            written.map_err(|e| SourceError::new(SourceErrorKind::Other, e.to_string()))??;
        Ok(CachedObject {
            file: Arc::new(file),
            len,
            identity: Arc::clone(identity),
        })
    }

    /// Ends a download: forgets the flight and, on success, keeps the file, evicting the
    /// least recently used files beyond the budget. One lock, so no request can find
    /// neither the file nor the flight and download again.
    fn register(&self, identity: &Arc<str>, outcome: &Result<CachedObject, SourceError>) {
        let mut state = self.lock();
        state.in_flight.remove(identity);
        let Ok(object) = outcome else { return };
        let path = self.path_for(identity);
        if object.len > self.capacity {
            let _ = std::fs::remove_file(&path); // served from the open handle only
            return;
        }
        state.resident += object.len;
        if let Some((_, (_, old_len))) = state.files.push(Arc::clone(identity), (path, object.len))
        {
            state.resident -= old_len;
        }
        while state.resident > self.capacity {
            let Some((_, (path, len))) = state.files.pop_lru() else {
                break;
            };
            let _ = std::fs::remove_file(path); // open handles keep reading the old inode
            state.resident -= len;
        }
    }

    /// A file name derived from the identity: fixed length, no path characters.
    fn path_for(&self, identity: &str) -> PathBuf {
        self.dir.join(format!(
            "{}.obj",
            blake3::hash(identity.as_bytes()).to_hex()
        ))
    }

    /// As in the block cache, a poisoned lock is still consistent enough to use.
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests;
