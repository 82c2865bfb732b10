//! A bounded local-disk cache of whole objects, for formats that cannot be range-read
//! (JPEG, JPEG 2000, untiled TIFF): each object version is downloaded once, kept as a file,
//! and read back through the same [`Source`] contract as everything else.
//!
//! - **Bounded by bytes, least recently used out first.** A disk cache with no limit fills
//!   the disk (Lambda's /tmp is small). An object larger than the whole budget is still
//!   served, from a file that is unlinked at once.
//! - **One download per object at a time.** Concurrent first requests join one download
//!   (the kit's [`SingleFlight::get_or_spawn`]): it runs as its own task, so a request that
//!   gives up (a deadline, a closed connection) does not cancel it for the others, and it
//!   always settles its waiters. Errors reach every waiter and are not cached.
//! - **Handles, not paths.** Callers get an open file, so evicting (unlinking) an entry never
//!   breaks a render in progress; the space is freed when the last reader closes it.
//! - **Its own folder.** The cache makes a fresh subfolder of the folder it is given and
//!   touches nothing else, so a misconfigured path cannot make it delete foreign files. The
//!   subfolder is removed when the cache is dropped.

use super::{Source, SourceError, SourceErrorKind};
use crate::cache::{CacheStats, Shelf, SingleFlight};
use bytes::Bytes;
use lru::LruCache;
use std::fs::File;
use std::future::Future;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

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
    dir: PathBuf,
    flights: SingleFlight<Disk, SourceError>,
}

/// The kept files, least recently used first out, and the folder that holds them.
struct Disk {
    dir: PathBuf,
    capacity: u64,
    files: LruCache<Arc<str>, (PathBuf, u64)>,
    resident: u64,
}

impl WholeObjectCache {
    /// A cache of at most `capacity_bytes` in a new subfolder of `parent` (e.g. /tmp).
    pub fn new(parent: &Path, capacity_bytes: u64) -> std::io::Result<Self> {
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
        let nanos = stamp.unwrap_or_default().as_nanos();
        let dir = parent.join(format!("tessera-whole-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let disk = Disk {
            dir: dir.clone(),
            capacity: capacity_bytes,
            files: LruCache::unbounded(),
            resident: 0,
        };
        Ok(WholeObjectCache {
            dir,
            flights: SingleFlight::with_shelf(disk),
        })
    }

    /// The folder holding the cached files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Counters in objects, except where named bytes.
    pub fn stats(&self) -> CacheStats {
        self.flights.stats()
    }

    /// The object named `identity` (which must include its version, like an ETag), from
    /// disk, or downloaded with `download` if there is neither a file nor a download of it
    /// yet. Needs a tokio runtime: the download runs as a task of its own.
    pub async fn get<F>(&self, identity: &str, download: F) -> Result<CachedObject, SourceError>
    where
        F: Future<Output = Result<Bytes, SourceError>> + Send + 'static,
    {
        let path = path_for(&self.dir, identity);
        let identity_arc: Arc<str> = identity.into();
        let fetch = async move { keep(path, identity_arc, download.await?).await };
        let abandoned = || {
            // The task panicked or the runtime stopped.
            SourceError::new(SourceErrorKind::Other, "whole-object download abandoned")
        };
        self.flights.get_or_spawn(identity, fetch, abandoned).await
    }
}

/// Writes a downloaded object into its file (aside, then renamed into place) and opens it.
async fn keep(
    path: PathBuf,
    identity: Arc<str>,
    bytes: Bytes,
) -> Result<CachedObject, SourceError> {
    let len = bytes.len() as u64;
    let write = move || -> std::io::Result<File> {
        let part = path.with_extension("part");
        std::fs::write(&part, &bytes)?;
        std::fs::rename(&part, &path)?;
        File::open(&path)
    };
    let written = tokio::task::spawn_blocking(write).await;
    let file = written.map_err(|e| SourceError::new(SourceErrorKind::Other, e.to_string()))??;
    Ok(CachedObject {
        file: Arc::new(file),
        len,
        identity,
    })
}

impl Shelf for Disk {
    type Value = CachedObject;

    fn get(&mut self, identity: &str) -> Option<CachedObject> {
        let (path, len) = self.files.get(identity).cloned()?;
        // The file can only be missing if something outside removed it: forget it.
        match File::open(&path) {
            Ok(file) => Some(CachedObject {
                file: Arc::new(file),
                len,
                identity: identity.into(),
            }),
            Err(_) => {
                self.files.pop(identity);
                self.resident -= len;
                None
            }
        }
    }

    /// Keeps the file, evicting the least recently used files beyond the budget; an object
    /// over the whole budget is served from its open handle only.
    fn put(&mut self, identity: &Arc<str>, object: &CachedObject) {
        let path = path_for(&self.dir, identity);
        if object.len > self.capacity {
            let _ = std::fs::remove_file(&path);
            return;
        }
        self.resident += object.len;
        if let Some((_, (_, old_len))) = self.files.push(Arc::clone(identity), (path, object.len)) {
            self.resident -= old_len;
        }
        while self.resident > self.capacity {
            let Some((_, (path, len))) = self.files.pop_lru() else {
                break;
            };
            let _ = std::fs::remove_file(path); // open handles keep reading the old inode
            self.resident -= len;
        }
    }

    fn forget(&mut self, identity: &str) {
        if let Some((path, len)) = self.files.pop(identity) {
            let _ = std::fs::remove_file(path);
            self.resident -= len;
        }
    }

    fn held(&self) -> (u64, u64) {
        (self.files.len() as u64, self.resident)
    }

    fn weight(object: &CachedObject) -> u64 {
        object.len
    }
}

/// A file name derived from the identity: fixed length, no path characters.
fn path_for(dir: &Path, identity: &str) -> PathBuf {
    dir.join(format!(
        "{}.obj",
        blake3::hash(identity.as_bytes()).to_hex()
    ))
}

/// The folder goes with the last holder of the shelf (a download in flight holds it too).
impl Drop for Disk {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[cfg(test)]
mod tests;
