//! A bounded LRU in memory for values that are expensive to get (an S3 HEAD, a TIFF
//! directory walk), behind the kit's single-flight: concurrent requests for a missing key
//! share one fetch (see [`super::flight`] for what happens when it fails or is cancelled).
//!
//! Bounded by count, not bytes: its values are small and alike. Entries may carry a time to
//! live, after which the next caller fetches anew (a replaced S3 object is noticed by its
//! new ETag within that time).

use super::flight::{Shelf, SingleFlight};
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// An in-memory single-flight LRU of `V`.
pub type FlightCache<V> = SingleFlight<Memory<V>>;

/// The shelf of a [`FlightCache`]: at most `capacity` values, each trusted for `ttl`.
pub struct Memory<V> {
    entries: LruCache<Arc<str>, (Instant, V)>,
    ttl: Option<Duration>,
}

impl<V: Clone + Send + Sync + 'static> FlightCache<V> {
    /// At most `capacity` entries, each trusted for `ttl` (forever with `None`).
    pub fn new(capacity: usize, ttl: Option<Duration>) -> Self {
        let capacity = NonZeroUsize::new(capacity.max(1)).unwrap_or(NonZeroUsize::MIN);
        SingleFlight::with_shelf(Memory {
            entries: LruCache::new(capacity),
            ttl,
        })
    }
}

impl<V: Clone + Send + Sync + 'static> Shelf for Memory<V> {
    type Value = V;

    fn get(&mut self, key: &str) -> Option<V> {
        let (born, value) = self.entries.get(key)?.clone();
        if self.ttl.is_some_and(|ttl| born.elapsed() >= ttl) {
            self.entries.pop(key);
            return None;
        }
        Some(value)
    }

    fn put(&mut self, key: &Arc<str>, value: &V) {
        self.entries
            .put(Arc::clone(key), (Instant::now(), value.clone()));
    }

    fn held(&self) -> (u64, u64) {
        (self.entries.len() as u64, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_misses_share_one_fetch() {
        let cache = Arc::new(FlightCache::<u32>::new(8, None));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..32 {
            let (cache, fetches) = (Arc::clone(&cache), Arc::clone(&fetches));
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch("k", || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Ok::<_, ()>(7)
                    })
                    .await
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), Ok(7));
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn errors_are_not_cached_and_entries_expire() {
        let cache = FlightCache::<u32>::new(8, Some(Duration::from_millis(30)));
        assert_eq!(
            cache.get_or_fetch("k", || async { Err("down") }).await,
            Err("down")
        );
        assert_eq!(
            cache.get_or_fetch("k", || async { Ok::<_, ()>(1) }).await,
            Ok(1)
        );
        assert_eq!(
            cache.get_or_fetch("k", || async { Ok::<_, ()>(2) }).await,
            Ok(1)
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(
            cache.get_or_fetch("k", || async { Ok::<_, ()>(3) }).await,
            Ok(3)
        );
    }

    #[tokio::test]
    async fn capacity_bounds_the_entries() {
        let cache = FlightCache::<u32>::new(2, None);
        for (i, key) in ["a", "b", "c"].iter().enumerate() {
            let _ = cache
                .get_or_fetch(key, || async { Ok::<_, ()>(i as u32) })
                .await;
        }
        assert_eq!(
            cache.get_or_fetch("a", || async { Ok::<_, ()>(9) }).await,
            Ok(9)
        );
    }

    #[tokio::test]
    async fn a_cancelled_fetch_passes_to_a_waiter_and_stats_count_it() {
        let cache = Arc::new(FlightCache::<u32>::new(8, None));
        let first = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move {
                cache
                    .get_or_fetch("k", std::future::pending::<Result<u32, ()>>)
                    .await
            })
        };
        while cache.stats().fetches == 0 {
            tokio::task::yield_now().await;
        }
        let waiter = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move { cache.get_or_fetch("k", || async { Ok::<_, ()>(5) }).await })
        };
        while cache.stats().joined == 0 {
            tokio::task::yield_now().await;
        }
        first.abort();
        assert_eq!(waiter.await.unwrap(), Ok(5));
        assert_eq!(
            cache.get_or_fetch("k", || async { Ok::<_, ()>(6) }).await,
            Ok(5)
        );
        let stats = cache.stats();
        assert_eq!(
            (
                stats.hits,
                stats.misses,
                stats.joined,
                stats.fetches,
                stats.entries
            ),
            (1, 3, 1, 2, 1)
        );
    }
}
