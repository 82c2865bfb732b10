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

/// An in-memory single-flight LRU of `V`, whose fetches fail with `E`.
pub type FlightCache<V, E = std::convert::Infallible> = SingleFlight<Memory<V>, E>;

/// The shelf of a [`FlightCache`]: at most `capacity` values, each trusted for `ttl`.
pub struct Memory<V> {
    entries: LruCache<Arc<str>, (Instant, V)>,
    ttl: Option<Duration>,
}

impl<V: Clone + Send + Sync + 'static, E: Clone + Send + Sync + 'static> FlightCache<V, E> {
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

    fn forget(&mut self, key: &str) {
        self.entries.pop(key);
    }

    fn held(&self) -> (u64, u64) {
        (self.entries.len() as u64, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// `n` concurrent lookups of one key whose fetch counts itself, waits a little (so
    /// the others join it) and answers `answer`; their results, and the fetches made.
    async fn concurrent(
        n: usize,
        answer: Result<u32, &'static str>,
    ) -> (Vec<Result<u32, &'static str>>, usize) {
        let cache = Arc::new(FlightCache::<u32, &str>::new(8, None));
        let fetches = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..n {
            let (cache, fetches) = (Arc::clone(&cache), Arc::clone(&fetches));
            tasks.push(tokio::spawn(async move {
                cache
                    .get_or_fetch("k", || async {
                        fetches.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        answer
                    })
                    .await
            }));
        }
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        (results, fetches.load(Ordering::SeqCst))
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_fetch() {
        let (results, fetches) = concurrent(32, Ok(7)).await;
        assert!(results.iter().all(|r| *r == Ok(7)));
        assert_eq!(fetches, 1);
    }

    /// A failing leader fails its waiters too, instead of each retrying in turn.
    #[tokio::test]
    async fn waiters_share_the_leaders_failure() {
        let (results, fetches) = concurrent(8, Err("down")).await;
        assert!(results.iter().all(|r| *r == Err("down")));
        assert_eq!(fetches, 1);
    }

    #[tokio::test]
    async fn errors_are_not_cached_and_entries_expire() {
        let cache = FlightCache::<u32, &str>::new(8, Some(Duration::from_millis(30)));
        assert_eq!(
            cache.get_or_fetch("k", || async { Err("down") }).await,
            Err("down")
        );
        assert_eq!(
            cache.get_or_fetch("k", || async { Ok::<_, &str>(1) }).await,
            Ok(1)
        );
        assert_eq!(
            cache.get_or_fetch("k", || async { Ok::<_, &str>(2) }).await,
            Ok(1)
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(
            cache.get_or_fetch("k", || async { Ok::<_, &str>(3) }).await,
            Ok(3)
        );
    }

    #[tokio::test]
    async fn capacity_bounds_the_entries() {
        let cache = FlightCache::<u32, ()>::new(2, None);
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
        let cache = Arc::new(FlightCache::<u32, ()>::new(8, None));
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

    #[tokio::test]
    async fn failures_are_remembered_for_a_while_and_forgotten_on_demand() {
        let cache =
            FlightCache::<u32, &str>::new(8, None).remember_failures(Duration::from_millis(50));
        let down = || async { Err("down") };
        assert_eq!(cache.get_or_fetch("k", down).await, Err("down"));
        let up = || async { Ok(1) };
        assert_eq!(cache.get_or_fetch("k", up).await, Err("down"));
        assert_eq!(cache.stats().fetches, 1);
        cache.forget("k");
        assert_eq!(cache.get_or_fetch("k", up).await, Ok(1));
        cache.forget("k");
        assert_eq!(cache.get_or_fetch("k", down).await, Err("down"));
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(cache.get_or_fetch("k", up).await, Ok(1));
        assert_eq!(cache.stats().fetches, 4);
    }
}
