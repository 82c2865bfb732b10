//! A bounded LRU of values that are expensive to get (an S3 HEAD, a TIFF directory walk),
//! where concurrent requests for a missing key share one fetch: the first caller fetches,
//! the others await the same cell. A viewer opening an image fires dozens of requests at
//! once, and each would otherwise HEAD and walk the same object.
//!
//! A failed fetch leaves the cell empty, so errors are never cached; a waiter then tries
//! once itself. Entries may carry a time to live, after which the next caller fetches anew.

use lru::LruCache;
use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

type Entry<V> = (Instant, Arc<OnceCell<V>>);

pub(crate) struct FlightCache<V> {
    entries: Mutex<LruCache<String, Entry<V>>>,
    ttl: Option<Duration>,
}

impl<V: Clone> FlightCache<V> {
    /// At most `capacity` entries, each trusted for `ttl` (forever with `None`).
    pub fn new(capacity: usize, ttl: Option<Duration>) -> Self {
        let capacity = NonZeroUsize::new(capacity.max(1)).expect("max(1) is non-zero");
        FlightCache {
            entries: Mutex::new(LruCache::new(capacity)),
            ttl,
        }
    }

    /// The value for `key`, fetched with `fetch` unless present (or being fetched).
    pub async fn get_or_fetch<E, Fut>(&self, key: &str, fetch: impl FnOnce() -> Fut) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        let cell = self.cell(key);
        cell.get_or_try_init(fetch).await.cloned()
    }

    /// The cell for `key`: the live one, or a new empty one replacing an expired entry.
    fn cell(&self, key: &str) -> Arc<OnceCell<V>> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((born, cell)) = entries.get(key) {
            let expired = self.ttl.is_some_and(|ttl| born.elapsed() >= ttl);
            if !expired || !cell.initialized() {
                return Arc::clone(cell);
            }
        }
        let cell = Arc::new(OnceCell::new());
        entries.put(key.to_string(), (Instant::now(), Arc::clone(&cell)));
        cell
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
}
