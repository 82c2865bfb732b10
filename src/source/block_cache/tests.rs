//! Unit tests of the block cache against an in-memory fetch function that records every
//! range it is asked for. Concurrency tests hold the first fetch open until every thread has
//! looked its blocks up, so they assert merging without depending on timing.

use super::*;
use std::sync::atomic::AtomicUsize;
use std::sync::Barrier;
use std::time::{Duration, Instant};

const BLOCK: u64 = 16;

/// An object of `len` bytes whose byte i is i mod 251, and the ranges fetched from it.
struct Object {
    data: Bytes,
    key: Arc<str>,
    ranges: Mutex<Vec<(u64, u64)>>,
}

impl Object {
    fn new(len: usize) -> Self {
        let data: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        Object {
            data: data.into(),
            key: Arc::from("mem://object#1"),
            ranges: Mutex::default(),
        }
    }

    fn fetch(&self, start: u64, end: u64) -> Result<Bytes, SourceError> {
        self.ranges.lock().unwrap().push((start, end));
        Ok(self.data.slice(start as usize..end as usize))
    }

    fn read(&self, cache: &BlockCache, offset: u64, len: usize) -> Bytes {
        let len_total = self.data.len() as u64;
        cache
            .read(&self.key, len_total, offset, len, &|s, e| self.fetch(s, e))
            .unwrap()
    }

    fn expect(&self, offset: u64, len: usize) -> &[u8] {
        let end = (offset as usize + len).min(self.data.len());
        &self.data[(offset as usize).min(end)..end]
    }

    fn ranges(&self) -> Vec<(u64, u64)> {
        self.ranges.lock().unwrap().clone()
    }
}

/// Waits (bounded) until `cache` has counted `misses` block misses: used inside a fetch to
/// hold it open until every concurrent reader has found the block in flight.
fn wait_for_misses(cache: &BlockCache, misses: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while cache.stats().misses < misses && Instant::now() < deadline {
        std::thread::yield_now();
    }
}

#[test]
fn reads_return_the_object_bytes_at_any_offset() {
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    let cases = [
        (0, 1),
        (0, 16),
        (15, 2),
        (5, 40),
        (90, 10),
        (95, 20),
        (99, 1),
        (100, 4),
        (300, 4),
    ];
    for (offset, len) in cases {
        assert_eq!(
            &obj.read(&cache, offset, len)[..],
            obj.expect(offset, len),
            "{offset}+{len}"
        );
    }
    assert!(obj.read(&cache, 3, 0).is_empty());
}

#[test]
fn a_repeated_read_is_served_from_the_cache() {
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    obj.read(&cache, 20, 8);
    obj.read(&cache, 20, 8);
    obj.read(&cache, 17, 3);
    assert_eq!(obj.ranges(), vec![(16, 32)]);
    let stats = cache.stats();
    assert_eq!(
        (stats.hits, stats.misses, stats.fetches, stats.bytes_fetched),
        (2, 1, 1, 16)
    );
    assert_eq!(stats.resident_bytes, 16);
}

#[test]
fn adjacent_missing_blocks_are_fetched_in_one_call() {
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    assert_eq!(&obj.read(&cache, 10, 30)[..], obj.expect(10, 30));
    assert_eq!(obj.ranges(), vec![(0, 48)]);
}

#[test]
fn the_last_block_ends_at_the_object_end() {
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    assert_eq!(&obj.read(&cache, 90, 50)[..], obj.expect(90, 50));
    assert_eq!(obj.ranges(), vec![(80, 100)]);
}

#[test]
fn a_cached_block_splits_a_read_into_two_fetches() {
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    obj.read(&cache, 33, 1); // caches block 2 (32..48)
    assert_eq!(&obj.read(&cache, 0, 80)[..], obj.expect(0, 80));
    assert_eq!(obj.ranges(), vec![(32, 48), (0, 32), (48, 80)]);
    assert_eq!(cache.stats().fetches, 3);
}

#[test]
fn the_least_recently_used_block_is_evicted_by_bytes() {
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 2 * BLOCK);
    obj.read(&cache, 0, 1); // block 0
    obj.read(&cache, 16, 1); // block 1
    obj.read(&cache, 0, 1); // block 0 is now the most recent
    obj.read(&cache, 32, 1); // block 2 evicts block 1
    obj.read(&cache, 0, 1);
    obj.read(&cache, 16, 1);
    assert_eq!(obj.ranges(), vec![(0, 16), (16, 32), (32, 48), (16, 32)]);
    assert!(cache.stats().resident_bytes <= 2 * BLOCK);
}

#[test]
fn concurrent_cold_reads_of_one_range_fetch_once() {
    const THREADS: usize = 32;
    let obj = Object::new(1000);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    let fetch = |s, e| {
        wait_for_misses(&cache, 2 * THREADS as u64); // every reader has looked both blocks up
        obj.fetch(s, e)
    };
    let start = Barrier::new(THREADS);
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                start.wait();
                let bytes = cache.read(&obj.key, 1000, 100, 20, &fetch).unwrap();
                assert_eq!(&bytes[..], obj.expect(100, 20));
            });
        }
    });
    assert_eq!(obj.ranges(), vec![(96, 128)]);
    let stats = cache.stats();
    assert_eq!((stats.fetches, stats.misses, stats.joined), (1, 64, 62));
}

#[test]
fn a_failed_fetch_reaches_every_waiter_and_is_not_cached() {
    const THREADS: usize = 8;
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    let calls = AtomicUsize::new(0);
    let failing = |_, _| {
        calls.fetch_add(1, Relaxed);
        wait_for_misses(&cache, THREADS as u64);
        Err(SourceError::new(SourceErrorKind::Unavailable, "slow down"))
    };
    std::thread::scope(|scope| {
        for _ in 0..THREADS {
            scope.spawn(|| {
                let err = cache.read(&obj.key, 100, 0, 4, &failing).unwrap_err();
                assert_eq!(err.kind(), SourceErrorKind::Unavailable);
            });
        }
    });
    assert_eq!(calls.load(Relaxed), 1);
    assert_eq!(&obj.read(&cache, 0, 4)[..], obj.expect(0, 4));
    assert_eq!(obj.ranges(), vec![(0, 16)]);
}

#[test]
fn a_short_fetch_is_an_error() {
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    let short = |s: u64, _| Ok(obj.data.slice(s as usize..s as usize + 3));
    let err = cache.read(&obj.key, 100, 0, 4, &short).unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::Other);
    assert_eq!(cache.stats().resident_bytes, 0);
}

#[test]
fn a_panicking_fetch_leaves_no_block_in_flight() {
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cache.read(&obj.key, 100, 0, 4, &|_, _| panic!("fetch panicked"))
    }));
    assert!(outcome.is_err());
    assert_eq!(&obj.read(&cache, 0, 4)[..], obj.expect(0, 4));
}

#[test]
fn objects_with_different_keys_do_not_share_blocks() {
    let obj = Object::new(100);
    let cache = BlockCache::new(BLOCK, 1 << 20);
    obj.read(&cache, 0, 4);
    let other: Arc<str> = Arc::from("mem://object#2");
    cache
        .read(&other, 100, 0, 4, &|s, e| obj.fetch(s, e))
        .unwrap();
    assert_eq!(obj.ranges(), vec![(0, 16), (0, 16)]);
}
