//! [`RequestMeter`]: what one request cost in I/O and caches, counted where the work
//! happens and credited to the request that caused it, not read as a process-wide delta
//! (which, under concurrency, would include every overlapping request's traffic).
//!
//! A request's work runs in three kinds of places, and the meter follows it into each:
//! - its own async task and the tasks it spawns for a shared fetch (a task-local, which
//!   [`crate::cache`]'s single-flight re-enters in the task it spawns: the first request
//!   to ask pays for the fetch, the ones that join it wait for free);
//! - the blocking threads it hands to libvips (`spawn_blocking`: a thread-local, entered
//!   with [`enter`]);
//! - libvips' own worker threads, which compute the pixels and call the image source's
//!   read callback: the render attributes its opened image's source to its meter for the
//!   duration (see `render/vips/source.rs`). When two renders share one opened image at
//!   the same moment, reads on worker threads go to the one that started last.
//!
//! Code that counts calls [`credit`], which does nothing outside a metered request (tools,
//! warm-up, tests of the lower layers).

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;

/// Counters of one request; shared by every thread and task working for it.
#[derive(Debug, Default)]
pub struct RequestMeter {
    s3_requests: AtomicU64,
    s3_bytes: AtomicU64,
    block_hits: AtomicU64,
    block_misses: AtomicU64,
    opened_hits: AtomicU64,
    opened_misses: AtomicU64,
    facts_hits: AtomicU64,
    facts_misses: AtomicU64,
}

/// A [`RequestMeter`] read at the end of its request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Metered {
    pub s3_requests: u64,
    pub s3_bytes: u64,
    pub block_hits: u64,
    pub block_misses: u64,
    pub opened_hits: u64,
    pub opened_misses: u64,
    pub facts_hits: u64,
    pub facts_misses: u64,
}

impl RequestMeter {
    pub fn new() -> Arc<RequestMeter> {
        Arc::new(RequestMeter::default())
    }

    /// One S3 call sent, with `bytes` of body received so far.
    pub fn s3_request(&self, bytes: u64) {
        self.s3_requests.fetch_add(1, Relaxed);
        self.s3_bytes.fetch_add(bytes, Relaxed);
    }

    /// Body bytes of an S3 call already counted, as they stream in.
    pub fn s3_bytes(&self, bytes: u64) {
        self.s3_bytes.fetch_add(bytes, Relaxed);
    }

    /// Block-cache look-ups: blocks found, and blocks fetched or waited for.
    pub fn blocks(&self, hits: u64, misses: u64) {
        self.block_hits.fetch_add(hits, Relaxed);
        self.block_misses.fetch_add(misses, Relaxed);
    }

    /// The opened-image cache had (or had not) the image this request renders.
    pub fn opened(&self, hit: bool) {
        tally(hit, &self.opened_hits, &self.opened_misses);
    }

    /// The image facts were (or were not) known without reading the image.
    pub fn facts(&self, hit: bool) {
        tally(hit, &self.facts_hits, &self.facts_misses);
    }

    pub fn read(&self) -> Metered {
        Metered {
            s3_requests: self.s3_requests.load(Relaxed),
            s3_bytes: self.s3_bytes.load(Relaxed),
            block_hits: self.block_hits.load(Relaxed),
            block_misses: self.block_misses.load(Relaxed),
            opened_hits: self.opened_hits.load(Relaxed),
            opened_misses: self.opened_misses.load(Relaxed),
            facts_hits: self.facts_hits.load(Relaxed),
            facts_misses: self.facts_misses.load(Relaxed),
        }
    }
}

fn tally(hit: bool, hits: &AtomicU64, misses: &AtomicU64) {
    (if hit { hits } else { misses }).fetch_add(1, Relaxed);
}

tokio::task_local! {
    static TASK_METER: Arc<RequestMeter>;
}

thread_local! {
    static THREAD_METER: RefCell<Option<Arc<RequestMeter>>> = const { RefCell::new(None) };
}

/// The meter of the request this code works for, if any: the thread's (entered by a
/// blocking section) first, else the task's.
pub fn current() -> Option<Arc<RequestMeter>> {
    THREAD_METER
        .with(|m| m.borrow().clone())
        .or_else(|| TASK_METER.try_with(Arc::clone).ok())
}

/// Counts into the current request's meter; nothing outside a metered request.
pub fn credit(count: impl FnOnce(&RequestMeter)) {
    if let Some(meter) = current() {
        count(&meter);
    }
}

/// Runs `work` (and whatever it awaits) as part of `meter`'s request.
pub async fn scope<F: Future>(meter: Arc<RequestMeter>, work: F) -> F::Output {
    TASK_METER.scope(meter, work).await
}

/// Runs `work` as part of the current request, if any: for a future about to be spawned
/// as a task of its own, which task-locals do not reach.
pub async fn carry<F: Future>(meter: Option<Arc<RequestMeter>>, work: F) -> F::Output {
    match meter {
        Some(meter) => scope(meter, work).await,
        None => work.await,
    }
}

/// Makes `meter` the current thread's until the guard drops (the previous one is put
/// back): for a closure run on a blocking thread.
#[must_use = "the meter is the thread's only while the guard lives"]
pub fn enter(meter: Option<Arc<RequestMeter>>) -> Entered {
    let previous = THREAD_METER.with(|m| std::mem::replace(&mut *m.borrow_mut(), meter));
    Entered { previous }
}

/// Restores the thread's previous meter when dropped.
pub struct Entered {
    previous: Option<Arc<RequestMeter>>,
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        THREAD_METER.with(|m| *m.borrow_mut() = previous);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credit_outside_a_request_counts_nowhere() {
        credit(|m| m.s3_request(10));
        assert!(current().is_none());
    }

    #[test]
    fn a_blocking_thread_counts_into_the_entered_meter_and_restores_the_previous() {
        let (outer, inner) = (RequestMeter::new(), RequestMeter::new());
        let _outer = enter(Some(Arc::clone(&outer)));
        {
            let _inner = enter(Some(Arc::clone(&inner)));
            credit(|m| m.s3_request(100));
        }
        credit(|m| m.blocks(2, 1));
        assert_eq!((inner.read().s3_requests, inner.read().s3_bytes), (1, 100));
        assert_eq!(inner.read().block_hits, 0);
        assert_eq!((outer.read().block_hits, outer.read().block_misses), (2, 1));
    }

    #[tokio::test]
    async fn tasks_spawned_blocking_or_async_count_into_the_request_that_carried_them() {
        let (a, b) = (RequestMeter::new(), RequestMeter::new());
        let (first, second) = tokio::join!(
            scope(Arc::clone(&a), async {
                let meter = current();
                tokio::spawn(carry(meter.clone(), async { credit(|m| m.s3_bytes(5)) }))
                    .await
                    .unwrap();
                tokio::task::spawn_blocking(move || {
                    let _entered = enter(meter);
                    credit(|m| m.opened(true));
                })
                .await
                .unwrap();
            }),
            scope(Arc::clone(&b), async {
                credit(|m| m.facts(false));
            })
        );
        let ((), ()) = (first, second);
        let (a, b) = (a.read(), b.read());
        assert_eq!((a.s3_bytes, a.opened_hits, a.facts_misses), (5, 1, 0));
        assert_eq!((b.s3_bytes, b.opened_hits, b.facts_misses), (0, 0, 1));
    }
}
