//! Unit tests of the whole-object cache with in-memory downloads. Downloads that must stay
//! open (to be joined, or to outlive a cancelled request) wait on a gate that the test
//! opens once the cache has counted the requests it expects, so nothing depends on timing.

use super::*;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

/// Downloads of `body` that each count themselves and wait for `gate` to open.
struct Origin {
    body: Bytes,
    calls: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
}

impl Origin {
    fn new(len: usize, open: bool) -> Self {
        let body: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        let permits = if open { Semaphore::MAX_PERMITS } else { 0 };
        Origin {
            body: body.into(),
            calls: Arc::default(),
            gate: Arc::new(Semaphore::new(permits)),
        }
    }

    fn download(&self) -> impl Future<Output = Result<Bytes, SourceError>> + Send + 'static {
        let (body, calls, gate) = (
            self.body.clone(),
            Arc::clone(&self.calls),
            Arc::clone(&self.gate),
        );
        async move {
            calls.fetch_add(1, Relaxed);
            let _permit = gate.acquire().await.unwrap();
            Ok(body)
        }
    }

    fn open_gate(&self) {
        self.gate.add_permits(Semaphore::MAX_PERMITS);
    }

    fn calls(&self) -> usize {
        self.calls.load(Relaxed)
    }
}

async fn wait_for_misses(cache: &WholeObjectCache, misses: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while cache.stats().misses < misses && Instant::now() < deadline {
        tokio::task::yield_now().await;
    }
}

fn files_in(cache: &WholeObjectCache) -> usize {
    std::fs::read_dir(cache.dir()).unwrap().count()
}

#[tokio::test]
async fn a_second_request_reads_the_file_without_downloading() {
    let parent = tempfile::tempdir().unwrap();
    let cache = WholeObjectCache::new(parent.path(), 1 << 20).unwrap();
    let origin = Origin::new(5000, true);
    let first = cache
        .get("s3://b/a.jpg#1", origin.download())
        .await
        .unwrap();
    let second = cache
        .get("s3://b/a.jpg#1", origin.download())
        .await
        .unwrap();
    assert_eq!(origin.calls(), 1);
    assert_eq!(first.read_at(0, 5000).unwrap(), origin.body);
    assert_eq!(
        second.read_at(4990, 100).unwrap(),
        origin.body.slice(4990..)
    );
    assert!(second.read_at(5000, 1).unwrap().is_empty());
    let stats = cache.stats();
    assert_eq!(
        (
            stats.hits,
            stats.misses,
            stats.fetches,
            stats.resident_bytes
        ),
        (1, 1, 1, 5000)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_requests_download_once() {
    let parent = tempfile::tempdir().unwrap();
    let cache = Arc::new(WholeObjectCache::new(parent.path(), 1 << 20).unwrap());
    let origin = Origin::new(1000, false);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (cache, download) = (Arc::clone(&cache), origin.download());
        tasks.push(tokio::spawn(async move {
            cache.get("s3://b/c.jpg#1", download).await
        }));
    }
    wait_for_misses(&cache, 16).await;
    origin.open_gate();
    for task in tasks {
        assert_eq!(
            task.await.unwrap().unwrap().read_at(0, 1000).unwrap(),
            origin.body
        );
    }
    assert_eq!(origin.calls(), 1);
    assert_eq!(cache.stats().fetches, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_request_does_not_cancel_the_download() {
    let parent = tempfile::tempdir().unwrap();
    let cache = Arc::new(WholeObjectCache::new(parent.path(), 1 << 20).unwrap());
    let origin = Origin::new(1000, false);
    let (task_cache, download) = (Arc::clone(&cache), origin.download());
    let request = tokio::spawn(async move { task_cache.get("s3://b/d.jpg#1", download).await });
    wait_for_misses(&cache, 1).await;
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled());
    origin.open_gate();
    let object = cache
        .get("s3://b/d.jpg#1", origin.download())
        .await
        .unwrap();
    assert_eq!(object.read_at(0, 1000).unwrap(), origin.body);
    assert_eq!(origin.calls(), 1);
}

#[tokio::test]
async fn errors_reach_the_request_and_are_not_cached() {
    let parent = tempfile::tempdir().unwrap();
    let cache = WholeObjectCache::new(parent.path(), 1 << 20).unwrap();
    let failing = async { Err(SourceError::new(SourceErrorKind::Unavailable, "slow down")) };
    let err = cache.get("s3://b/e.jpg#1", failing).await.unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::Unavailable);
    let origin = Origin::new(10, true);
    assert_eq!(
        cache
            .get("s3://b/e.jpg#1", origin.download())
            .await
            .unwrap()
            .len(),
        10
    );
    assert_eq!(origin.calls(), 1);
}

#[tokio::test]
async fn least_recently_used_files_are_evicted_by_bytes() {
    let parent = tempfile::tempdir().unwrap();
    let cache = WholeObjectCache::new(parent.path(), 250).unwrap();
    let origin = Origin::new(100, true);
    let held = cache.get("a", origin.download()).await.unwrap();
    cache.get("b", origin.download()).await.unwrap();
    cache.get("a", origin.download()).await.unwrap(); // "a" is now the most recent
    cache.get("c", origin.download()).await.unwrap(); // evicts "b"
    assert_eq!((origin.calls(), files_in(&cache)), (3, 2));
    cache.get("a", origin.download()).await.unwrap();
    cache.get("b", origin.download()).await.unwrap();
    assert_eq!(origin.calls(), 4);
    assert!(cache.stats().resident_bytes <= 250);
    assert_eq!(
        held.read_at(0, 100).unwrap(),
        origin.body,
        "open handles outlive eviction"
    );
}

#[tokio::test]
async fn an_object_over_the_budget_is_served_but_not_kept() {
    let parent = tempfile::tempdir().unwrap();
    let cache = WholeObjectCache::new(parent.path(), 50).unwrap();
    let origin = Origin::new(100, true);
    let object = cache.get("big", origin.download()).await.unwrap();
    assert_eq!(object.read_at(0, 100).unwrap(), origin.body);
    assert_eq!((files_in(&cache), cache.stats().resident_bytes), (0, 0));
}

#[tokio::test]
async fn the_cache_folder_is_its_own_and_is_removed_on_drop() {
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(parent.path().join("foreign.txt"), b"keep me").unwrap();
    let cache = WholeObjectCache::new(parent.path(), 1 << 20).unwrap();
    cache
        .get("x", Origin::new(10, true).download())
        .await
        .unwrap();
    let dir = cache.dir().to_owned();
    assert!(dir.starts_with(parent.path()) && dir != parent.path());
    drop(cache);
    assert!(!dir.exists());
    assert!(parent.path().join("foreign.txt").exists());
}
