//! A process-wide cache of aligned blocks of remote objects, shared by every remote source.
//!
//! Opening a pyramid TIFF through libvips costs about 170 small reads, most of them of the
//! same few directory and offset-array bytes; a tile then needs a few reads more. Caching
//! aligned blocks (64 KiB by default) turns those into a handful of ranged GETs per object
//! and keeps them across requests for the life of the process (a warm Lambda container).
//!
//! Three rules shape [`BlockCache::read`]:
//! - adjacent missing blocks of one read are fetched with ONE call of the fetch function
//!   (one ranged GET), because a round trip to S3 costs far more than the extra bytes;
//! - a block that another thread is already fetching is waited for, not fetched again
//!   (single-flight, see [`crate::cache::blocking`]): libvips reads one tile from many threads;
//! - the cache is bounded by the bytes it holds and evicts the least recently used block.
//!
//! Blocks are keyed by an object key that must name the object's version (the S3 source
//! uses `s3://bucket/key#etag`), so a replaced object never serves stale blocks.

use super::{SourceError, SourceErrorKind};
use crate::cache::blocking::{Claim, Flight, Landing};
use crate::cache::CacheStats;
use crate::metrics::meter;
use bytes::{Bytes, BytesMut};
use lru::LruCache;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

/// Fetches the bytes `start..end` (end exclusive) of one object: one ranged GET.
pub type FetchFn<'a> = dyn Fn(u64, u64) -> Result<Bytes, SourceError> + 'a;

/// One block of one object version.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BlockKey {
    object: Arc<str>,
    index: u64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    joined: AtomicU64,
    fetches: AtomicU64,
    bytes_fetched: AtomicU64,
}

/// The cached blocks and the fetches in progress, under one lock so that a block is always
/// either cached, in flight or absent, never in between.
struct Inner {
    blocks: LruCache<BlockKey, Bytes>,
    resident: u64,
    in_flight: HashMap<BlockKey, Arc<BlockFlight>>,
}

type BlockFlight = Flight<Bytes, SourceError>;

/// What one read found for one block when it looked.
enum Slot<'c> {
    Ready(Bytes),
    Claimed(Claim<'c, BlockCache, SourceError>),
    Waiting(Arc<BlockFlight>),
}

/// A byte-bounded LRU cache of aligned blocks with merged, single-flight fetches.
pub struct BlockCache {
    block_size: u64,
    capacity: u64,
    inner: Mutex<Inner>,
    counters: Counters,
}

impl BlockCache {
    /// The block size used when none is configured: large enough that a TIFF directory and
    /// its offset arrays usually share a block, small enough that a cold tile read does not
    /// drag in much more than the tile.
    pub const DEFAULT_BLOCK_SIZE: u64 = 64 * 1024;

    /// Builds a cache of `block_size`-byte blocks holding at most `capacity_bytes`.
    ///
    /// # Panics
    /// If `block_size` is zero (config validation rejects that before we get here).
    pub fn new(block_size: u64, capacity_bytes: u64) -> Self {
        assert!(block_size > 0, "block size must be positive");
        BlockCache {
            block_size,
            capacity: capacity_bytes,
            inner: Mutex::new(Inner {
                blocks: LruCache::unbounded(),
                resident: 0,
                in_flight: HashMap::new(),
            }),
            counters: Counters::default(),
        }
    }

    pub fn block_size(&self) -> u64 {
        self.block_size
    }

    /// A snapshot of the counters, in blocks except where named bytes.
    pub fn stats(&self) -> CacheStats {
        let c = &self.counters;
        let inner = self.lock();
        CacheStats {
            hits: c.hits.load(Relaxed),
            misses: c.misses.load(Relaxed),
            joined: c.joined.load(Relaxed),
            fetches: c.fetches.load(Relaxed),
            bytes_fetched: c.bytes_fetched.load(Relaxed),
            entries: inner.blocks.len() as u64,
            resident_bytes: inner.resident,
        }
    }

    /// Reads up to `len` bytes at `offset` of the object `object` (whose total length is
    /// `object_len`), through the cache. Clipped at the end of the object like
    /// [`super::Source::read_at`]. `fetch` is called only for missing blocks, once per run
    /// of adjacent missing blocks, and always with block-aligned ranges (the last block
    /// ends at `object_len`).
    pub fn read(
        &self,
        object: &Arc<str>,
        object_len: u64,
        offset: u64,
        len: usize,
        fetch: &FetchFn<'_>,
    ) -> Result<Bytes, SourceError> {
        let end = offset.saturating_add(len as u64).min(object_len);
        if offset >= end {
            return Ok(Bytes::new());
        }
        let first = offset / self.block_size;
        let last = (end - 1) / self.block_size;
        let mut slots = self.look_up(object, first, last);
        self.fetch_claimed(&mut slots, first, object_len, fetch)?;
        let mut blocks = Vec::with_capacity(slots.len());
        for slot in slots {
            blocks.push(match slot {
                Slot::Ready(bytes) => bytes,
                Slot::Waiting(flight) => flight.wait()?,
                Slot::Claimed(_) => unreachable!("fetch_claimed settles every claim"),
            });
        }
        Ok(assemble(
            &blocks,
            offset - first * self.block_size,
            end - offset,
        ))
    }

    /// Sorts the blocks `first..=last` into cached, claimed by us, or fetched by another.
    fn look_up(&self, object: &Arc<str>, first: u64, last: u64) -> Vec<Slot<'_>> {
        let mut inner = self.lock();
        let (mut hits, mut joined) = (0, 0);
        let slots: Vec<Slot<'_>> = (first..=last)
            .map(|index| {
                let key = BlockKey {
                    object: Arc::clone(object),
                    index,
                };
                if let Some(bytes) = inner.blocks.get(&key) {
                    hits += 1;
                    Slot::Ready(bytes.clone())
                } else if let Some(flight) = inner.in_flight.get(&key) {
                    joined += 1;
                    Slot::Waiting(Arc::clone(flight))
                } else {
                    let flight = Arc::new(Flight::default());
                    inner.in_flight.insert(key.clone(), Arc::clone(&flight));
                    Slot::Claimed(Claim::new(self, key, flight, abandoned))
                }
            })
            .collect();
        let c = &self.counters;
        c.hits.fetch_add(hits, Relaxed);
        c.misses.fetch_add(slots.len() as u64 - hits, Relaxed);
        c.joined.fetch_add(joined, Relaxed);
        meter::credit(|m| m.blocks(hits, slots.len() as u64 - hits));
        slots
    }

    /// Fetches every run of adjacent claimed slots with one call and turns them into ready
    /// slots. On an error every claim still open fails with it, so no waiter hangs.
    fn fetch_claimed(
        &self,
        slots: &mut [Slot<'_>],
        first: u64,
        object_len: u64,
        fetch: &FetchFn<'_>,
    ) -> Result<(), SourceError> {
        let mut i = 0;
        while i < slots.len() {
            if !matches!(slots[i], Slot::Claimed(_)) {
                i += 1;
                continue;
            }
            let run_end = (i..slots.len())
                .find(|&j| !matches!(slots[j], Slot::Claimed(_)))
                .unwrap_or(slots.len());
            let start = (first + i as u64) * self.block_size;
            let end = ((first + run_end as u64) * self.block_size).min(object_len);
            match self.fetch_run(start, end, fetch) {
                Ok(bytes) => self.fulfil_run(&mut slots[i..run_end], &bytes),
                Err(err) => {
                    fail_all(slots, &err);
                    return Err(err);
                }
            }
            i = run_end;
        }
        Ok(())
    }

    fn fetch_run(&self, start: u64, end: u64, fetch: &FetchFn<'_>) -> Result<Bytes, SourceError> {
        self.counters.fetches.fetch_add(1, Relaxed);
        let bytes = fetch(start, end)?;
        self.counters
            .bytes_fetched
            .fetch_add(bytes.len() as u64, Relaxed);
        if bytes.len() as u64 != end - start {
            let detail = format!("range {start}..{end} returned {} bytes", bytes.len());
            return Err(SourceError::new(SourceErrorKind::Other, detail));
        }
        Ok(bytes)
    }

    fn fulfil_run(&self, run: &mut [Slot<'_>], bytes: &Bytes) {
        let size = self.block_size as usize;
        for (n, slot) in run.iter_mut().enumerate() {
            let block = bytes.slice(n * size..((n + 1) * size).min(bytes.len()));
            if let Slot::Claimed(claim) = std::mem::replace(slot, Slot::Ready(block.clone())) {
                claim.fulfil(block);
            }
        }
    }

    /// Drops every block of `object` (a replaced version: its key is never asked again, so
    /// its blocks would only wait for eviction). A scan, for a rare event.
    pub fn forget(&self, object: &str) {
        let mut inner = self.lock();
        let stale: Vec<BlockKey> = (inner.blocks.iter())
            .filter(|(key, _)| &*key.object == object)
            .map(|(key, _)| key.clone())
            .collect();
        for key in stale {
            if let Some(block) = inner.blocks.pop(&key) {
                inner.resident -= block.len() as u64;
            }
        }
    }

    /// Locks the cache state. A panic elsewhere while holding the lock cannot leave the
    /// state half-updated in a way that matters (every update is a few map operations),
    /// so a poisoned lock is used as it is rather than failing every later read.
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Landing for BlockCache {
    type Key = BlockKey;
    type Value = Bytes;

    /// Ends a flight: caches the block (if any) and forgets the in-flight entry, together.
    fn land(&self, key: &BlockKey, block: Option<Bytes>) {
        let mut inner = self.lock();
        inner.in_flight.remove(key);
        let Some(block) = block else { return };
        if block.len() as u64 > self.capacity {
            return;
        }
        inner.resident += block.len() as u64;
        if let Some(old) = inner.blocks.put(key.clone(), block) {
            inner.resident -= old.len() as u64;
        }
        while inner.resident > self.capacity {
            match inner.blocks.pop_lru() {
                Some((_, evicted)) => inner.resident -= evicted.len() as u64,
                None => break,
            }
        }
    }
}

/// What the waiters of a claim dropped unsettled get (its fetch panicked).
fn abandoned() -> SourceError {
    SourceError::new(SourceErrorKind::Other, "block fetch abandoned")
}

/// Fails every open claim with `err`. The read is abandoned, so what replaces the slots does
/// not matter.
fn fail_all(slots: &mut [Slot<'_>], err: &SourceError) {
    for slot in slots.iter_mut() {
        if let Slot::Claimed(claim) = std::mem::replace(slot, Slot::Ready(Bytes::new())) {
            claim.fail(err.clone());
        }
    }
}

/// Cuts `len` bytes at `skip` out of consecutive blocks, without copying when one block
/// holds them all (the common case for libvips' small reads).
fn assemble(blocks: &[Bytes], skip: u64, len: u64) -> Bytes {
    let (skip, len) = (skip as usize, len as usize);
    if skip + len <= blocks[0].len() {
        return blocks[0].slice(skip..skip + len);
    }
    let mut out = BytesMut::with_capacity(len);
    let mut skip = skip;
    for block in blocks {
        let part = &block[skip.min(block.len())..];
        let take = part.len().min(len - out.len());
        out.extend_from_slice(&part[..take]);
        skip = skip.saturating_sub(block.len());
    }
    out.freeze()
}

#[cfg(test)]
mod tests;
