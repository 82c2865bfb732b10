//! Single-flight for threads that must block (libvips' read callbacks run on its worker
//! threads and wait for their bytes): the first reader of a missing entry claims it and
//! fetches it; every other reader of that entry waits for the claimant's result.
//!
//! A [`Flight`] is the rendezvous (a result slot and a condition variable). A [`Claim`] is
//! the claimant's obligation to settle it. The obligation is enforced by `Drop`: if a claim
//! is dropped unsettled (the fetch panicked, or an earlier run of the same read failed),
//! its waiters are released with the owner's "abandoned" error instead of waiting forever.
//! Errors go to every waiter of the flight but are never kept, so the next read tries
//! again. Where the value is kept is the owner's [`Landing`].

use std::sync::{Arc, Condvar, Mutex, PoisonError};

/// One in-progress fetch of one entry, shared by the claimant and its waiters.
pub(crate) struct Flight<V, E> {
    result: Mutex<Option<Result<V, E>>>,
    done: Condvar,
}

impl<V, E> Default for Flight<V, E> {
    fn default() -> Self {
        Flight {
            result: Mutex::new(None),
            done: Condvar::new(),
        }
    }
}

impl<V: Clone, E: Clone> Flight<V, E> {
    /// Blocks until the claimant settles the flight, then returns a copy of its result.
    pub(crate) fn wait(&self) -> Result<V, E> {
        let mut slot = self.result.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(result) = slot.as_ref() {
                return result.clone();
            }
            slot = self.done.wait(slot).unwrap_or_else(PoisonError::into_inner);
        }
    }
}

impl<V, E> Flight<V, E> {
    fn settle(&self, result: Result<V, E>) {
        let mut slot = self.result.lock().unwrap_or_else(PoisonError::into_inner);
        *slot = Some(result);
        self.done.notify_all();
    }
}

/// The owner of the flights: keeps a fetched value (or not, on `None`) and forgets the
/// flight of `key`, together under its own lock.
pub(crate) trait Landing {
    type Key;
    type Value;
    fn land(&self, key: &Self::Key, value: Option<Self::Value>);
}

/// The claimant's side of a flight: it must be fulfilled or failed exactly once.
pub(crate) struct Claim<'c, L: Landing, E> {
    owner: &'c L,
    key: L::Key,
    flight: Arc<Flight<L::Value, E>>,
    abandoned: fn() -> E,
    settled: bool,
}

impl<'c, L: Landing, E> Claim<'c, L, E>
where
    L::Value: Clone,
    E: Clone,
{
    /// A claim on `flight`; dropped unsettled, its waiters get `abandoned()`.
    pub(crate) fn new(
        owner: &'c L,
        key: L::Key,
        flight: Arc<Flight<L::Value, E>>,
        abandoned: fn() -> E,
    ) -> Self {
        Claim {
            owner,
            key,
            flight,
            abandoned,
            settled: false,
        }
    }

    /// Keeps the value, then wakes the waiters. Keeping first (and dropping the in-flight
    /// entry under the same lock) leaves no moment where a new reader finds neither the
    /// value nor the flight and starts a second fetch.
    pub(crate) fn fulfil(mut self, value: L::Value) {
        self.owner.land(&self.key, Some(value.clone()));
        self.flight.settle(Ok(value));
        self.settled = true;
    }

    /// Forgets the flight without keeping anything, then hands the error to the waiters.
    pub(crate) fn fail(mut self, err: E) {
        self.fail_in_place(err);
    }
}

impl<L: Landing, E> Claim<'_, L, E> {
    fn fail_in_place(&mut self, err: E) {
        self.owner.land(&self.key, None);
        self.flight.settle(Err(err));
        self.settled = true;
    }
}

impl<L: Landing, E> Drop for Claim<'_, L, E> {
    fn drop(&mut self) {
        if !self.settled {
            let err = (self.abandoned)();
            self.fail_in_place(err);
        }
    }
}
