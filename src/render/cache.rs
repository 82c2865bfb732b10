//! The opened-image cache: recently opened images, shared across requests and threads, so
//! a warm tile costs the reads of its own pixels and not a fresh header walk (about 170
//! small reads for a pyramid TIFF).
//!
//! Sharing one loaded image between concurrent pipelines is sound because a built libvips
//! image is immutable: every operation on it builds a new image that references it, and
//! pixels are pulled through per-thread regions. Lazy loading is serialised by libvips
//! (a loader starts under the image's own lock; the TIFF loader reads tiles under its own
//! lock), and reads of one source are therefore never interleaved. An entry holds the image
//! and its custom source together, and the renderer holds an `Arc` of the entry for the
//! whole render, so eviction never pulls a source from under a running pipeline.
//!
//! Bounded twice, with least-recently-used eviction by a scan: by count (64 entries make
//! the scan cheaper than keeping a linked order), and by bytes, each entry weighted by
//! what it really holds: its decoded pixels for a whole-object image libvips decoded into
//! memory, a small fixed cost for a tiled level read lazily. The byte bound is the
//! opened-image share of the memory budget (see `images/budget.rs`); an entry larger than
//! a quarter of it is never kept (the renderer streams such images instead). Two threads
//! missing the same key at once both open it and the later insert wins; merging concurrent
//! opens is left to the block cache below.

use super::steps::load::OpenedImage;
use crate::cache::CacheStats;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Identifies one opened image: the object's identity (name and version) and the exact
/// loader option string (level, reduce-on-load).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub(crate) identity: String,
    pub(crate) options: String,
}

struct Entry {
    image: Arc<OpenedImage>,
    last_used: u64,
    /// Bytes this entry is counted at.
    cost: u64,
}

struct Entries {
    map: HashMap<CacheKey, Entry>,
    clock: u64,
    resident: u64,
}

impl Entries {
    fn remove(&mut self, key: &CacheKey) {
        if let Some(entry) = self.map.remove(key) {
            self.resident -= entry.cost;
        }
    }
}

/// A bounded, thread-safe cache of opened images.
pub struct OpenedImageCache {
    capacity: usize,
    capacity_bytes: u64,
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl OpenedImageCache {
    /// A cache holding at most `capacity` opened images (0 disables caching), whatever
    /// they cost.
    pub fn new(capacity: usize) -> Self {
        OpenedImageCache::with_bytes(capacity, u64::MAX)
    }

    /// A cache holding at most `capacity` opened images costing at most `bytes` in all.
    pub fn with_bytes(capacity: usize, bytes: u64) -> Self {
        OpenedImageCache {
            capacity,
            capacity_bytes: if capacity == 0 { 0 } else { bytes },
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                clock: 0,
                resident: 0,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The largest entry worth keeping: a quarter of the byte bound, so one image never
    /// flushes every other.
    pub(crate) fn entry_limit(&self) -> u64 {
        self.capacity_bytes / 4
    }

    /// Counters in opened images; a miss is an open by the caller (nothing is fetched here).
    pub fn stats(&self) -> CacheStats {
        let entries = self.lock();
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: entries.map.len() as u64,
            resident_bytes: entries.resident,
            ..CacheStats::default()
        }
    }

    /// The lock tolerates poisoning: the map is consistent after every statement, so a
    /// panic elsewhere while holding it leaves nothing half-done.
    fn lock(&self) -> MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn get(&self, key: &CacheKey) -> Option<Arc<OpenedImage>> {
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        let found = entries.map.get_mut(key).map(|entry| {
            entry.last_used = now;
            Arc::clone(&entry.image)
        });
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `image`, counted at `cost` bytes, evicting the least recently used entries
    /// until both bounds hold; an image costing more than [`Self::entry_limit`] is not kept.
    pub(crate) fn insert(&self, key: CacheKey, image: Arc<OpenedImage>, cost: u64) {
        if self.capacity == 0 || cost > self.entry_limit() {
            return;
        }
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        entries.remove(&key);
        while entries.map.len() >= self.capacity || entries.resident + cost > self.capacity_bytes {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(oldest) => entries.remove(&oldest),
                None => break,
            }
        }
        entries.resident += cost;
        entries.map.insert(
            key,
            Entry {
                image,
                last_used: now,
                cost,
            },
        );
    }

    /// Forgets an entry whose render failed: its source may be in a bad state, and a stale
    /// source error must not be blamed on the next request.
    pub(crate) fn remove(&self, key: &CacheKey) {
        self.lock().remove(key);
    }

    /// Forgets every opened image of the object `identity` (any level, any reduction), so
    /// nothing here pins bytes the store has let go of: the whole-object disk cache calls
    /// this when it evicts a file, and a replaced object's old version goes the same way.
    pub fn forget(&self, identity: &str) {
        let mut entries = self.lock();
        let keys: Vec<CacheKey> = entries
            .map
            .keys()
            .filter(|key| key.identity == identity)
            .cloned()
            .collect();
        for key in keys {
            entries.remove(&key);
        }
    }
}
