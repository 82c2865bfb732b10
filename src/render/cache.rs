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
//! Bounded by count with least-recently-used eviction by a scan: 64 entries make the scan
//! cheaper than keeping a linked order. Two threads missing the same key at once both open
//! it and the later insert wins; merging concurrent opens is left to the block cache below.

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
}

struct Entries {
    map: HashMap<CacheKey, Entry>,
    clock: u64,
}

/// A bounded, thread-safe cache of opened images.
pub struct OpenedImageCache {
    capacity: usize,
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl OpenedImageCache {
    /// A cache holding at most `capacity` opened images (0 disables caching).
    pub fn new(capacity: usize) -> Self {
        OpenedImageCache {
            capacity,
            entries: Mutex::new(Entries {
                map: HashMap::new(),
                clock: 0,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Counters in opened images; a miss is an open by the caller (nothing is fetched here).
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            entries: self.lock().map.len() as u64,
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

    pub(crate) fn insert(&self, key: CacheKey, image: Arc<OpenedImage>) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        entries.clock += 1;
        let now = entries.clock;
        if !entries.map.contains_key(&key) && entries.map.len() >= self.capacity {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.map.remove(&oldest);
            }
        }
        entries.map.insert(
            key,
            Entry {
                image,
                last_used: now,
            },
        );
    }

    /// Forgets every image opened from `identity` (an evicted whole copy, whose disk space
    /// is freed only when its last handle closes, or a replaced object).
    pub(crate) fn forget(&self, identity: &str) {
        self.lock().map.retain(|key, _| key.identity != identity);
    }

    /// Forgets an entry whose render failed: its source may be in a bad state, and a stale
    /// source error must not be blamed on the next request.
    pub(crate) fn remove(&self, key: &CacheKey) {
        self.lock().map.remove(key);
    }
}
