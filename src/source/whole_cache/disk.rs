//! The whole-object cache's shelf: which files are kept, what they and the downloads in
//! progress take of the budget, and making room.
//!
//! Three things take disk space and all three count: kept files (least recently used
//! first out), room reserved by downloads in progress, and evicted files that some render
//! still holds open (unlinked, but their blocks are freed only when the last handle
//! closes). Room is also checked against the free space of the file system, which other
//! processes share.

use super::{CachedObject, ReleaseHook};
use crate::cache::Shelf;
use crate::source::{SourceError, SourceErrorKind};
use lru::LruCache;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};

/// One kept file, and the handle callers hold on it, if any (shared, so one object never
/// holds more than one descriptor).
struct Kept {
    path: PathBuf,
    len: u64,
    handle: Weak<File>,
}

/// The kept files, least recently used first out, and the folder that holds them.
pub(super) struct Disk {
    dir: PathBuf,
    capacity: u64,
    files: LruCache<Arc<str>, Kept>,
    resident: u64,
    reserved: u64,
    /// Evicted files with handles still open, and their sizes.
    unlinked: Vec<(Weak<File>, u64)>,
    release: Option<ReleaseHook>,
}

impl Disk {
    pub(super) fn new(dir: PathBuf, capacity: u64) -> Self {
        Disk {
            dir,
            capacity,
            files: LruCache::unbounded(),
            resident: 0,
            reserved: 0,
            unlinked: Vec::new(),
            release: None,
        }
    }

    pub(super) fn set_release(&mut self, hook: ReleaseHook) {
        self.release = Some(hook);
    }

    /// Reserves `len` bytes for a download, evicting least recently used files until they
    /// fit the budget and the free space; `Unavailable` when they cannot fit now.
    pub(super) fn reserve(&mut self, len: u64) -> Result<(), SourceError> {
        loop {
            let used = self.used();
            let free = free_space(&self.dir);
            if fits(len, used, self.capacity, free, self.reserved) {
                self.reserved += len;
                return Ok(());
            }
            if !self.evict_one() {
                let detail = format!(
                    "no room for a {len}-byte download: {used} of {} bytes in use or \
                     reserved, {free:?} bytes free on disk",
                    self.capacity
                );
                return Err(SourceError::new(SourceErrorKind::Unavailable, detail));
            }
        }
    }

    pub(super) fn unreserve(&mut self, len: u64) {
        self.reserved = self.reserved.saturating_sub(len);
    }

    /// Bytes kept, reserved, and held open after eviction.
    fn used(&mut self) -> u64 {
        self.unlinked
            .retain(|(handle, _)| handle.strong_count() > 0);
        let pinned: u64 = self.unlinked.iter().map(|(_, len)| len).sum();
        self.resident + self.reserved + pinned
    }

    /// Evicts the least recently used file; false when there is none.
    fn evict_one(&mut self) -> bool {
        match self.files.pop_lru() {
            Some((identity, kept)) => {
                self.unlink(&identity, kept);
                true
            }
            None => false,
        }
    }

    /// Removes a file that is no longer listed; an open handle keeps reading the old inode,
    /// so its bytes stay counted until it closes, and its holder is asked to close it.
    fn unlink(&mut self, identity: &str, kept: Kept) {
        let _ = std::fs::remove_file(&kept.path);
        self.resident -= kept.len;
        if kept.handle.strong_count() > 0 {
            self.unlinked.push((kept.handle, kept.len));
            if let Some(release) = &self.release {
                release(identity);
            }
        }
    }
}

/// True when `len` more bytes fit both the budget (`used` of `capacity` already taken)
/// and the free space, of which downloads in progress will still take up to `reserved`.
/// Free space that cannot be read (`None`) does not refuse anything: the budget still does.
pub(super) fn fits(len: u64, used: u64, capacity: u64, free: Option<u64>, reserved: u64) -> bool {
    let budget = used.saturating_add(len) <= capacity;
    let disk = free.is_none_or(|free| free >= len.saturating_add(reserved));
    budget && disk
}

/// Bytes an unprivileged process may still write to the file system holding `dir`.
fn free_space(dir: &Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(dir).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

impl Shelf for Disk {
    type Value = CachedObject;

    fn get(&mut self, identity: &str) -> Option<CachedObject> {
        let kept = self.files.get_mut(identity)?;
        let file = match kept.handle.upgrade() {
            Some(file) => file,
            None => match File::open(&kept.path) {
                Ok(file) => {
                    let file = Arc::new(file);
                    kept.handle = Arc::downgrade(&file);
                    file
                }
                // Only something outside could have removed it: forget it.
                Err(_) => {
                    let (_, kept) = self.files.pop_entry(identity)?;
                    self.resident -= kept.len;
                    return None;
                }
            },
        };
        Some(CachedObject {
            file,
            len: kept.len,
            identity: identity.into(),
        })
    }

    /// Keeps the downloaded file, evicting least recently used files beyond the budget
    /// (downloads that landed together may overshoot it by a little).
    fn put(&mut self, identity: &Arc<str>, object: &CachedObject) {
        let kept = Kept {
            path: path_for(&self.dir, identity),
            len: object.len,
            handle: Arc::downgrade(&object.file),
        };
        self.resident += object.len;
        // Listed already only if it was downloaded again while listed; the path is the same.
        if let Some((_, old)) = self.files.push(Arc::clone(identity), kept) {
            self.resident -= old.len;
        }
        while self.used() > self.capacity && self.files.len() > 1 {
            self.evict_one();
        }
    }

    fn forget(&mut self, identity: &str) {
        if let Some((identity, kept)) = self.files.pop_entry(identity) {
            self.unlink(&identity, kept);
        }
    }

    fn held(&self) -> (u64, u64) {
        let pinned: u64 = (self.unlinked.iter())
            .filter(|(handle, _)| handle.strong_count() > 0)
            .map(|(_, len)| len)
            .sum();
        (self.files.len() as u64, self.resident + pinned)
    }

    fn weight(object: &CachedObject) -> u64 {
        object.len
    }
}

/// A file name derived from the identity: fixed length, no path characters.
pub(super) fn path_for(dir: &Path, identity: &str) -> PathBuf {
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
