//! The async single-flight: a [`Shelf`] of kept values plus the fetches in progress, under
//! one lock, so a key is always kept, in flight or absent, never in between, and two callers
//! can never both start its fetch. A viewer opening an image fires dozens of requests at
//! once; each would otherwise HEAD, walk or download the same object.
//!
//! Two ways to fetch, because the callers need two different things when one gives up:
//! - [`SingleFlight::get_or_fetch`] runs the fetch in the caller (it may borrow). If the
//!   caller is cancelled, the waiters try again themselves: one of them becomes the fetcher.
//! - [`SingleFlight::get_or_spawn`] runs the fetch as a task of its own, so a request that
//!   gives up (a deadline, a closed connection) does not cancel it for the others. A task
//!   that panics releases its waiters with the caller's "abandoned" error.
//!
//! A fetch that fails fails for every waiter of its flight: N waiters retrying one after
//! another would turn one failing HEAD or walk into N of them, each with its own retries.
//! A cache may also remember failures for a few seconds ([`SingleFlight::remember_failures`]),
//! so the requests that arrive just after (a viewer asks for dozens of tiles) get the same
//! answer without asking the store again. A remembered failure is never kept longer than
//! that: errors are answered `no-store`, and the next try after it goes to the store.

use super::failures::Failures;
use super::CacheStats;
use crate::metrics::meter;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// Where fetched values are kept, and how: the part of a cache the kit does not decide.
pub trait Shelf: Send + 'static {
    type Value: Clone + Send + Sync + 'static;
    /// The value kept for `key`, if any (a hit). May forget what is no longer valid.
    fn get(&mut self, key: &str) -> Option<Self::Value>;
    /// Keeps a freshly fetched value (or decides not to).
    fn put(&mut self, key: &Arc<str>, value: &Self::Value);
    /// Drops what is kept for `key` (a replaced object's old version).
    fn forget(&mut self, key: &str);
    /// Entries and bytes held now.
    fn held(&self) -> (u64, u64);
    /// Bytes a fetched value cost (0 where not measured).
    fn weight(_value: &Self::Value) -> u64 {
        0
    }
}

/// How a flight ended, as its waiters see it. `F` is the error fetches share with them.
#[derive(Clone)]
enum Landed<V, F> {
    Pending,
    Done(V),
    Failed(F),
    /// Cancelled in a caller: each waiter tries again itself.
    Retry,
}

/// A shelf and its flights; `F` is the error type fetches share with their waiters.
pub struct SingleFlight<S: Shelf, F = Infallible> {
    inner: Arc<Inner<S, F>>,
}

/// Another handle on the same cache.
impl<S: Shelf, F> Clone for SingleFlight<S, F> {
    fn clone(&self) -> Self {
        SingleFlight {
            inner: Arc::clone(&self.inner),
        }
    }
}

struct Inner<S: Shelf, F> {
    state: Mutex<State<S, F>>,
    hits: AtomicU64,
    misses: AtomicU64,
    joined: AtomicU64,
    fetches: AtomicU64,
    bytes_fetched: AtomicU64,
}

struct State<S: Shelf, F> {
    shelf: S,
    in_flight: HashMap<Arc<str>, watch::Receiver<Landed<S::Value, F>>>,
    failures: Failures<F>,
}

enum Look<S: Shelf, F> {
    Hit(S::Value),
    Failed(F),
    Join(watch::Receiver<Landed<S::Value, F>>),
    Claim(Claim<S, F>),
}

impl<S: Shelf, F: Clone + Send + Sync + 'static> SingleFlight<S, F> {
    pub fn with_shelf(shelf: S) -> Self {
        let state = State {
            shelf,
            in_flight: HashMap::new(),
            failures: Failures::default(),
        };
        SingleFlight {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                hits: AtomicU64::new(0),
                misses: AtomicU64::new(0),
                joined: AtomicU64::new(0),
                fetches: AtomicU64::new(0),
                bytes_fetched: AtomicU64::new(0),
            }),
        }
    }

    /// Answers a failed fetch of a key again for `ttl` after it failed, without fetching.
    pub fn remember_failures(self, ttl: Duration) -> Self {
        self.inner.lock().failures.set_ttl(ttl);
        self
    }

    /// Forgets what is kept or remembered for `key`, so the next lookup fetches it again.
    pub fn forget(&self, key: &str) {
        let mut state = self.inner.lock();
        state.shelf.forget(key);
        state.failures.forget(key);
    }

    /// Runs `f` on the shelf under the cache's lock (for a shelf that must decide something
    /// against what it holds, like room on a disk, before a fetch starts).
    pub(crate) fn on_shelf<R>(&self, f: impl FnOnce(&mut S) -> R) -> R {
        f(&mut self.inner.lock().shelf)
    }

    /// The value for `key`: kept, or joined from the fetch in progress, or fetched with
    /// `fetch` in this caller.
    pub async fn get_or_fetch<Fut>(
        &self,
        key: &str,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<S::Value, F>
    where
        Fut: Future<Output = Result<S::Value, F>>,
    {
        let claim = loop {
            match self.inner.look_up(key) {
                Look::Hit(value) => return Ok(value),
                Look::Failed(err) => return Err(err),
                Look::Claim(claim) => break claim,
                Look::Join(flight) => match landing(flight).await {
                    Landed::Done(value) => return Ok(value),
                    Landed::Failed(err) => return Err(err),
                    Landed::Pending | Landed::Retry => {}
                },
            }
        };
        let result = fetch().await;
        claim.settle(match &result {
            Ok(value) => Landed::Done(value.clone()),
            Err(err) => Landed::Failed(err.clone()),
        });
        result
    }

    /// The value for `key`: kept, or joined from the fetch in progress, or fetched by
    /// `fetch` run as a task of its own. Needs a tokio runtime.
    pub async fn get_or_spawn<Fut>(
        &self,
        key: &str,
        fetch: Fut,
        abandoned: impl Fn() -> F,
    ) -> Result<S::Value, F>
    where
        Fut: Future<Output = Result<S::Value, F>> + Send + 'static,
    {
        let flight = match self.inner.look_up(key) {
            Look::Hit(value) => return Ok(value),
            Look::Failed(err) => return Err(err),
            Look::Join(flight) => flight,
            Look::Claim(claim) => {
                let flight = claim.tx.subscribe();
                // The fetch's traffic is the claiming request's (see `metrics::meter`).
                let fetch = meter::carry(meter::current(), fetch);
                tokio::spawn(async move {
                    let landed = match fetch.await {
                        Ok(value) => Landed::Done(value),
                        Err(err) => Landed::Failed(err),
                    };
                    claim.settle(landed);
                });
                flight
            }
        };
        match landing(flight).await {
            Landed::Done(value) => Ok(value),
            Landed::Failed(err) => Err(err),
            Landed::Pending | Landed::Retry => Err(abandoned()),
        }
    }

    pub fn stats(&self) -> CacheStats {
        let i = &self.inner;
        let (entries, resident_bytes) = i.lock().shelf.held();
        CacheStats {
            hits: i.hits.load(Relaxed),
            misses: i.misses.load(Relaxed),
            joined: i.joined.load(Relaxed),
            fetches: i.fetches.load(Relaxed),
            bytes_fetched: i.bytes_fetched.load(Relaxed),
            entries,
            resident_bytes,
        }
    }
}

/// Waits for a flight to land; a flight whose sender vanished counts as abandoned.
async fn landing<V: Clone, F: Clone>(mut flight: watch::Receiver<Landed<V, F>>) -> Landed<V, F> {
    match flight.wait_for(|l| !matches!(l, Landed::Pending)).await {
        Ok(landed) => landed.clone(),
        Err(_) => Landed::Retry,
    }
}

impl<S: Shelf, F: Clone> Inner<S, F> {
    /// Finds the kept value, or a remembered failure, or the flight in progress, or claims
    /// the fetch; all under one lock.
    fn look_up(self: &Arc<Self>, key: &str) -> Look<S, F> {
        let mut state = self.lock();
        if let Some(value) = state.shelf.get(key) {
            self.hits.fetch_add(1, Relaxed);
            return Look::Hit(value);
        }
        if let Some(err) = state.failures.get(key) {
            self.hits.fetch_add(1, Relaxed);
            return Look::Failed(err);
        }
        self.misses.fetch_add(1, Relaxed);
        if let Some(flight) = state.in_flight.get(key) {
            self.joined.fetch_add(1, Relaxed);
            return Look::Join(flight.clone());
        }
        self.fetches.fetch_add(1, Relaxed);
        let (tx, rx) = watch::channel(Landed::Pending);
        let key: Arc<str> = key.into();
        state.in_flight.insert(Arc::clone(&key), rx);
        Look::Claim(Claim {
            inner: Arc::clone(self),
            key,
            tx,
            settled: false,
        })
    }
}

impl<S: Shelf, F> Inner<S, F> {
    /// A poisoned lock is still consistent (every update is a few map operations), so it
    /// is used as it is rather than failing every later lookup.
    fn lock(&self) -> MutexGuard<'_, State<S, F>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The fetcher's obligation to land its flight exactly once; dropped unsettled (cancelled,
/// panicked), it lands the flight as [`Landed::Retry`] so no waiter waits forever.
struct Claim<S: Shelf, F> {
    inner: Arc<Inner<S, F>>,
    key: Arc<str>,
    tx: watch::Sender<Landed<S::Value, F>>,
    settled: bool,
}

impl<S: Shelf, F: Clone> Claim<S, F> {
    /// Keeps a value (or remembers a failure) and forgets the flight under one lock (so no
    /// caller finds neither and fetches again), then wakes the waiters.
    fn settle(mut self, landed: Landed<S::Value, F>) {
        let failed = match &landed {
            Landed::Failed(err) => Some(err.clone()),
            _ => None,
        };
        self.land(landed, failed);
    }
}

impl<S: Shelf, F> Claim<S, F> {
    /// Lands the flight; `remember` is the failure to answer again for a while, if any.
    fn land(&mut self, landed: Landed<S::Value, F>, remember: Option<F>) {
        {
            let mut state = self.inner.lock();
            if let Landed::Done(value) = &landed {
                self.inner
                    .bytes_fetched
                    .fetch_add(S::weight(value), Relaxed);
                state.shelf.put(&self.key, value);
            }
            if let Some(err) = remember {
                state.failures.remember(&self.key, err);
            }
            state.in_flight.remove(&self.key);
        }
        self.tx.send_replace(landed);
        self.settled = true;
    }
}

impl<S: Shelf, F> Drop for Claim<S, F> {
    fn drop(&mut self) {
        if !self.settled {
            self.land(Landed::Retry, None);
        }
    }
}
