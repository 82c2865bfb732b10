//! A bounded local-disk cache of whole objects, for formats that cannot be range-read
//! (JPEG, JPEG 2000, untiled TIFF): each object version is downloaded once, kept as a file,
//! and read back through the same [`Source`] contract as everything else.
//!
//! - **Bounded by bytes, before the download.** The size is known from the HEAD, so room is
//!   made first (least recently used files out) and reserved while the body streams to
//!   disk chunk by chunk; it never passes through memory whole. An object larger than the
//!   whole budget is refused at once ([`SourceErrorKind::TooLarge`]); one that does not fit
//!   now (other downloads hold the room, the disk itself is full) waits for nothing and is
//!   `Unavailable`. Any failure (a body cut short or too long, a write error) removes the
//!   partial file, so the folder holds nothing but counted files.
//! - **Downloads are few.** At most `downloads` run at once; the others wait their turn
//!   before they start, holding neither room nor a connection.
//! - **One download per object at a time.** Concurrent first requests join one download
//!   (the kit's [`SingleFlight::get_or_spawn`]): it runs as its own task, so a request that
//!   gives up (a deadline, a closed connection) does not cancel it for the others, and it
//!   always settles its waiters. Errors reach every waiter and are not cached.
//! - **Handles, not paths.** Callers get an open file, so evicting (unlinking) an entry never
//!   breaks a render in progress. An evicted file still open still takes disk space, so its
//!   bytes stay counted until the last handle closes, and the cache asks whoever keeps
//!   handles (the opened-image cache, through [`WholeObjectCache::on_release`]) to let go.
//! - **Its own folder.** The cache makes a fresh subfolder of the folder it is given and
//!   touches nothing else, so a misconfigured path cannot make it delete foreign files. The
//!   subfolder is removed when the cache is dropped.

mod disk;
mod part;

use super::{Source, SourceError, SourceErrorKind};
use crate::cache::{CacheStats, SingleFlight};
use async_trait::async_trait;
use bytes::Bytes;
use disk::Disk;
use std::fs::File;
use std::future::Future;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Told the identity of each evicted or forgotten object, so a holder of its open files
/// can close them and the disk space is really freed.
pub type ReleaseHook = Arc<dyn Fn(&str) + Send + Sync>;

/// The body of a whole-object download, chunk by chunk as it arrives.
#[async_trait]
pub trait Chunks: Send {
    /// The next chunk, or `None` at the end of the body.
    async fn next(&mut self) -> Option<Result<Bytes, SourceError>>;
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

    fn read_into(&self, offset: u64, buf: &mut [u8]) -> Result<usize, SourceError> {
        let end = offset.saturating_add(buf.len() as u64).min(self.len);
        let buf = &mut buf[..end.saturating_sub(offset) as usize];
        self.file.read_exact_at(buf, offset)?;
        Ok(buf.len())
    }

    fn identity(&self) -> &str {
        &self.identity
    }
}

/// A bounded disk cache of whole objects with one download per object at a time.
pub struct WholeObjectCache {
    dir: PathBuf,
    capacity: u64,
    flights: SingleFlight<Disk, SourceError>,
    downloads: Arc<Semaphore>,
}

impl WholeObjectCache {
    /// A cache of at most `capacity_bytes` in a new subfolder of `parent` (e.g. /tmp),
    /// running at most `downloads` downloads at once.
    pub fn new(parent: &Path, capacity_bytes: u64, downloads: usize) -> std::io::Result<Self> {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        let nanos = stamp.unwrap_or_default().as_nanos();
        let dir = parent.join(format!("tessera-whole-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(WholeObjectCache {
            flights: SingleFlight::with_shelf(Disk::new(dir.clone(), capacity_bytes)),
            dir,
            capacity: capacity_bytes,
            downloads: Arc::new(Semaphore::new(downloads.max(1))),
        })
    }

    /// The folder holding the cached files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Counters in objects, except where named bytes; resident bytes include evicted files
    /// still held open.
    pub fn stats(&self) -> CacheStats {
        self.flights.stats()
    }

    /// Calls `hook` with the identity of every object evicted or forgotten from now on.
    pub fn on_release(&self, hook: ReleaseHook) {
        self.flights.on_shelf(|disk| disk.set_release(hook));
    }

    /// Drops the file of `identity` (a replaced object's old version).
    pub fn forget(&self, identity: &str) {
        self.flights.forget(identity);
    }

    /// The object named `identity` (which must include its version, like an ETag) and
    /// `len` bytes long, from disk, or downloaded with `download` if there is neither a
    /// file nor a download of it yet. Needs a tokio runtime: the download runs as a task of
    /// its own.
    pub async fn get<F>(
        &self,
        identity: &str,
        len: u64,
        download: F,
    ) -> Result<CachedObject, SourceError>
    where
        F: Future<Output = Result<Box<dyn Chunks>, SourceError>> + Send + 'static,
    {
        if len > self.capacity {
            return Err(SourceError::new(
                SourceErrorKind::TooLarge,
                format!(
                    "a {len}-byte object must be fetched whole and the disk cache holds {}",
                    self.capacity
                ),
            ));
        }
        let path = disk::path_for(&self.dir, identity);
        let identity_arc: Arc<str> = identity.into();
        let (flights, downloads) = (self.flights.clone(), Arc::clone(&self.downloads));
        let fetch = async move {
            let _turn = downloads.acquire_owned().await.map_err(|_| abandoned())?;
            let _room = Room::reserve(flights, len)?;
            let file = part::write(&path, len, download.await?).await?;
            Ok(CachedObject {
                file: Arc::new(file),
                len,
                identity: identity_arc,
            })
        };
        self.flights.get_or_spawn(identity, fetch, abandoned).await
    }
}

/// The task panicked or the runtime stopped.
fn abandoned() -> SourceError {
    SourceError::new(SourceErrorKind::Other, "whole-object download abandoned")
}

/// Disk space reserved for one download while its body streams in; given back when the
/// download ends either way (a kept file is counted as resident by then).
struct Room {
    flights: SingleFlight<Disk, SourceError>,
    len: u64,
}

impl Room {
    fn reserve(flights: SingleFlight<Disk, SourceError>, len: u64) -> Result<Room, SourceError> {
        flights.on_shelf(|disk| disk.reserve(len))?;
        Ok(Room { flights, len })
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        self.flights.on_shelf(|disk| disk.unreserve(self.len));
    }
}

#[cfg(test)]
mod tests;
