//! Unit tests of the whole-object cache with in-memory downloads, on a real disk (a
//! temporary folder). Downloads that must stay open (to be joined, or to outlive a
//! cancelled request) wait on a gate that the test opens once the cache has counted the
//! requests it expects, so nothing depends on timing.

use super::*;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A body in chunks of 1000 bytes, then (optionally) a failure instead of its end.
struct MemoryBody {
    chunks: VecDeque<Bytes>,
    then: Option<SourceError>,
}

#[async_trait]
impl Chunks for MemoryBody {
    async fn next(&mut self) -> Option<Result<Bytes, SourceError>> {
        match self.chunks.pop_front() {
            Some(chunk) => Some(Ok(chunk)),
            None => self.then.take().map(Err),
        }
    }
}

fn body(bytes: &Bytes, then: Option<SourceError>) -> Box<dyn Chunks> {
    let chunks = (0..bytes.len())
        .step_by(1000)
        .map(|at| bytes.slice(at..(at + 1000).min(bytes.len())))
        .collect();
    Box::new(MemoryBody { chunks, then })
}

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

    fn len(&self) -> u64 {
        self.body.len() as u64
    }

    fn download(
        &self,
    ) -> impl Future<Output = Result<Box<dyn Chunks>, SourceError>> + Send + 'static {
        self.download_then(None)
    }

    /// A download whose body ends with `then` (an error) after all its bytes.
    fn download_then(
        &self,
        then: Option<SourceError>,
    ) -> impl Future<Output = Result<Box<dyn Chunks>, SourceError>> + Send + 'static {
        let (bytes, calls, gate) = (
            self.body.clone(),
            Arc::clone(&self.calls),
            Arc::clone(&self.gate),
        );
        async move {
            calls.fetch_add(1, Relaxed);
            let _permit = gate.acquire().await.unwrap();
            Ok(body(&bytes, then))
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

/// Asserts the folder holds only finished files, exactly the bytes the cache counts.
fn only_counted_files(cache: &WholeObjectCache) {
    let mut bytes = 0;
    for entry in std::fs::read_dir(cache.dir()).unwrap() {
        let path = entry.unwrap().path();
        assert_eq!(path.extension().unwrap(), "obj", "{path:?}");
        bytes += path.metadata().unwrap().len();
    }
    assert_eq!(bytes, cache.stats().resident_bytes);
}

/// The object `identity`, from `origin` if it is not kept yet.
async fn fetch(cache: &WholeObjectCache, identity: &str, origin: &Origin) -> CachedObject {
    let download = origin.download();
    cache.get(identity, origin.len(), download).await.unwrap()
}

fn cache(parent: &tempfile::TempDir, capacity: u64) -> WholeObjectCache {
    WholeObjectCache::new(parent.path(), capacity, 4).unwrap()
}

#[tokio::test]
async fn a_second_request_reads_the_file_without_downloading() {
    let parent = tempfile::tempdir().unwrap();
    let cache = cache(&parent, 1 << 20);
    let origin = Origin::new(5000, true);
    let first = fetch(&cache, "s3://b/a.jpg#1", &origin).await;
    let second = fetch(&cache, "s3://b/a.jpg#1", &origin).await;
    assert_eq!(origin.calls(), 1);
    assert_eq!(first.read_at(0, 5000).unwrap(), origin.body);
    assert_eq!(
        second.read_at(4990, 100).unwrap(),
        origin.body.slice(4990..)
    );
    assert!(second.read_at(5000, 1).unwrap().is_empty());
    // Straight into a decoder's buffer: the same bytes, short at the end.
    let mut buf = vec![0u8; 100];
    assert_eq!(second.read_into(4990, &mut buf).unwrap(), 10);
    assert_eq!(&buf[..10], &origin.body[4990..]);
    assert_eq!(second.read_into(5000, &mut buf).unwrap(), 0);
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
    let cache = Arc::new(cache(&parent, 1 << 20));
    let origin = Origin::new(1000, false);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (cache, download, len) = (Arc::clone(&cache), origin.download(), origin.len());
        tasks.push(tokio::spawn(async move {
            cache.get("s3://b/c.jpg#1", len, download).await
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
    let cache = Arc::new(cache(&parent, 1 << 20));
    let origin = Origin::new(1000, false);
    let (task_cache, download, len) = (Arc::clone(&cache), origin.download(), origin.len());
    let request =
        tokio::spawn(async move { task_cache.get("s3://b/d.jpg#1", len, download).await });
    wait_for_misses(&cache, 1).await;
    request.abort();
    assert!(request.await.unwrap_err().is_cancelled());
    origin.open_gate();
    let object = fetch(&cache, "s3://b/d.jpg#1", &origin).await;
    assert_eq!(object.read_at(0, 1000).unwrap(), origin.body);
    assert_eq!(origin.calls(), 1);
}

#[tokio::test]
async fn errors_reach_the_request_and_are_not_cached() {
    let parent = tempfile::tempdir().unwrap();
    let cache = cache(&parent, 1 << 20);
    let failing = async { Err(SourceError::new(SourceErrorKind::Unavailable, "slow down")) };
    let err = cache.get("s3://b/e.jpg#1", 10, failing).await.unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::Unavailable);
    let origin = Origin::new(10, true);
    assert_eq!(fetch(&cache, "s3://b/e.jpg#1", &origin).await.len(), 10);
    assert_eq!(origin.calls(), 1);
}

#[tokio::test]
async fn least_recently_used_files_are_evicted_by_bytes() {
    let parent = tempfile::tempdir().unwrap();
    let cache = cache(&parent, 250);
    let origin = Origin::new(100, true);
    let held = fetch(&cache, "a", &origin).await;
    fetch(&cache, "b", &origin).await;
    fetch(&cache, "a", &origin).await; // "a" is now the most recent
    fetch(&cache, "c", &origin).await; // evicts "b"
    assert_eq!((origin.calls(), files_in(&cache)), (3, 2));
    fetch(&cache, "a", &origin).await;
    fetch(&cache, "b", &origin).await;
    assert_eq!(origin.calls(), 4);
    assert!(cache.stats().resident_bytes <= 250);
    assert_eq!(
        held.read_at(0, 100).unwrap(),
        origin.body,
        "open handles outlive eviction"
    );
}

#[tokio::test]
async fn an_object_over_the_budget_is_refused_before_any_download() {
    let parent = tempfile::tempdir().unwrap();
    let cache = cache(&parent, 5000);
    let big = Origin::new(6000, true);
    let err = cache
        .get("big", big.len(), big.download())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::TooLarge, "{err}");
    assert_eq!((big.calls(), files_in(&cache)), (0, 0));
    // The cache stays healthy for everything else.
    let good = Origin::new(4000, true);
    let object = fetch(&cache, "good", &good).await;
    assert_eq!(object.read_at(0, 4000).unwrap(), good.body);
    only_counted_files(&cache);
}

#[tokio::test]
async fn a_failed_or_wrong_sized_body_leaves_no_partial_file() {
    let parent = tempfile::tempdir().unwrap();
    let cache = cache(&parent, 1 << 20);
    let origin = Origin::new(5500, true);
    let cut = SourceError::new(SourceErrorKind::Unavailable, "connection reset");
    let failures = [
        (origin.len(), Some(cut), SourceErrorKind::Unavailable),
        (origin.len() + 1, None, SourceErrorKind::Unavailable),
        (origin.len() - 1, None, SourceErrorKind::Replaced),
    ];
    for (announced, then, kind) in failures {
        let download = origin.download_then(then);
        let err = cache.get("a", announced, download).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
        assert_eq!(files_in(&cache), 0, "{err}");
        assert_eq!(cache.stats().resident_bytes, 0);
    }
    let object = fetch(&cache, "a", &origin).await;
    assert_eq!(object.read_at(0, 5500).unwrap(), origin.body);
    only_counted_files(&cache);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_is_reserved_before_a_download_and_downloads_wait_their_turn() {
    let parent = tempfile::tempdir().unwrap();
    let cache = Arc::new(WholeObjectCache::new(parent.path(), 250, 1).unwrap());
    let (first, second) = (Origin::new(100, false), Origin::new(100, true));
    let spawn = |identity: &'static str, origin: &Origin| {
        let (cache, download, len) = (Arc::clone(&cache), origin.download(), origin.len());
        tokio::spawn(async move { cache.get(identity, len, download).await })
    };
    let a = spawn("a", &first);
    wait_for_misses(&cache, 1).await;
    let b = spawn("b", &second);
    wait_for_misses(&cache, 2).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        second.calls(),
        0,
        "one download at a time: b waits for a's turn"
    );
    first.open_gate();
    a.await.unwrap().unwrap();
    b.await.unwrap().unwrap();
    assert_eq!(second.calls(), 1);
    only_counted_files(&cache);
}

#[tokio::test]
async fn room_held_by_downloads_in_progress_is_not_given_twice() {
    let parent = tempfile::tempdir().unwrap();
    let cache = Arc::new(cache(&parent, 250));
    let slow = Origin::new(200, false);
    let (task_cache, download) = (Arc::clone(&cache), slow.download());
    let pending = tokio::spawn(async move { task_cache.get("slow", 200, download).await });
    while slow.calls() == 0 {
        tokio::task::yield_now().await;
    }
    let other = Origin::new(100, true);
    let err = cache.get("other", 100, other.download()).await.unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::Unavailable, "{err}");
    slow.open_gate();
    pending.await.unwrap().unwrap();
    only_counted_files(&cache);
}

#[tokio::test]
async fn an_evicted_file_held_open_counts_until_its_holder_lets_go() {
    let parent = tempfile::tempdir().unwrap();
    let cache = cache(&parent, 250);
    let origin = Origin::new(100, true);
    // A holder of open objects (as the opened-image cache is) that closes them on request.
    let held: Arc<Mutex<Vec<CachedObject>>> = Arc::default();
    let released: Arc<Mutex<Vec<String>>> = Arc::default();
    let (hook_held, hook_released) = (Arc::clone(&held), Arc::clone(&released));
    cache.on_release(Arc::new(move |identity: &str| {
        hook_released.lock().unwrap().push(identity.to_owned());
        hook_held
            .lock()
            .unwrap()
            .retain(|o| o.identity() != identity);
    }));
    for id in ["a", "b"] {
        let object = cache.get(id, 100, origin.download()).await.unwrap();
        held.lock().unwrap().push(object);
    }
    // "c" needs "a"'s room: "a" is evicted, its holder closes it, and "b" stays.
    let c = cache.get("c", 100, origin.download()).await.unwrap();
    assert_eq!(*released.lock().unwrap(), ["a"]);
    assert_eq!(cache.stats().resident_bytes, 200);
    only_counted_files(&cache);
    // A handle nobody releases (a render in progress) keeps counting after eviction.
    cache.forget("c");
    assert_eq!((files_in(&cache), cache.stats().resident_bytes), (1, 200));
    drop(c);
    assert_eq!(cache.stats().resident_bytes, 100);
}

#[test]
fn room_must_fit_the_budget_and_the_free_space() {
    // (len, used, capacity, free, reserved, fits)
    let cases = [
        (100, 0, 100, Some(1000), 0, true),
        (100, 1, 100, Some(1000), 0, false),
        (100, 0, 1000, Some(100), 0, true),
        (100, 0, 1000, Some(99), 0, false),
        (100, 300, 1000, Some(399), 300, false),
        (100, 300, 1000, Some(400), 300, true),
        (100, 0, 1000, None, 0, true),
        (u64::MAX, 0, 1000, None, 0, false),
    ];
    for (len, used, capacity, free, reserved, want) in cases {
        let got = disk::fits(len, used, capacity, free, reserved);
        assert_eq!(got, want, "{len} {used} {capacity} {free:?} {reserved}");
    }
}

#[tokio::test]
async fn the_cache_folder_is_its_own_and_is_removed_on_drop() {
    let parent = tempfile::tempdir().unwrap();
    std::fs::write(parent.path().join("foreign.txt"), b"keep me").unwrap();
    let cache = cache(&parent, 1 << 20);
    cache
        .get("x", 10, Origin::new(10, true).download())
        .await
        .unwrap();
    let dir = cache.dir().to_owned();
    assert!(dir.starts_with(parent.path()) && dir != parent.path());
    drop(cache);
    assert!(!dir.exists());
    assert!(parent.path().join("foreign.txt").exists());
}
