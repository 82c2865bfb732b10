//! Single-flight for cache blocks: the first reader of a missing block claims it and
//! fetches it; every other reader of that block waits for the claimant's result.
//!
//! A [`Flight`] is the rendezvous (a result slot and a condition variable). A [`Claim`] is
//! the claimant's obligation to settle it. The obligation is enforced by `Drop`: if a claim
//! is dropped unsettled (the fetch panicked, or an earlier run of the same read failed),
//! its waiters are released with an error instead of waiting forever. Errors go to every
//! waiter of the flight but are never stored in the cache, so the next read tries again.

use super::block_cache::{BlockCache, BlockKey};
use super::{SourceError, SourceErrorKind};
use bytes::Bytes;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// One in-progress fetch of one block, shared by the claimant and its waiters.
#[derive(Default)]
pub(crate) struct Flight {
    result: Mutex<Option<Result<Bytes, SourceError>>>,
    done: Condvar,
}

impl Flight {
    /// Blocks until the claimant settles the flight, then returns a copy of its result.
    pub(crate) fn wait(&self) -> Result<Bytes, SourceError> {
        let slot = self.result.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = self
            .done
            .wait_while(slot, |r| r.is_none())
            .unwrap_or_else(PoisonError::into_inner);
        slot.clone()
            .expect("wait_while returns only once the flight is settled")
    }

    fn settle(&self, result: Result<Bytes, SourceError>) {
        let mut slot = self.result.lock().unwrap_or_else(PoisonError::into_inner);
        *slot = Some(result);
        self.done.notify_all();
    }
}

/// The claimant's side of a flight: it must be fulfilled or failed exactly once.
pub(crate) struct Claim<'c> {
    cache: &'c BlockCache,
    key: BlockKey,
    flight: Arc<Flight>,
    settled: bool,
}

impl<'c> Claim<'c> {
    pub(crate) fn new(cache: &'c BlockCache, key: BlockKey, flight: Arc<Flight>) -> Self {
        Claim {
            cache,
            key,
            flight,
            settled: false,
        }
    }

    /// Stores the block, then wakes the waiters. Storing first (and dropping the in-flight
    /// entry under the same lock) leaves no moment where a new reader finds neither the
    /// block nor the flight and starts a second fetch.
    pub(crate) fn fulfil(mut self, block: Bytes) {
        self.cache.complete(&self.key, Some(block.clone()));
        self.flight.settle(Ok(block));
        self.settled = true;
    }

    /// Forgets the flight without caching anything, then hands the error to the waiters.
    pub(crate) fn fail(mut self, err: SourceError) {
        self.fail_in_place(err);
    }

    fn fail_in_place(&mut self, err: SourceError) {
        self.cache.complete(&self.key, None);
        self.flight.settle(Err(err));
        self.settled = true;
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.settled {
            let err = SourceError::new(SourceErrorKind::Other, "block fetch abandoned");
            self.fail_in_place(err);
        }
    }
}
