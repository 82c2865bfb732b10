//! Failures a single-flight cache answers again for a short while, so that the requests
//! arriving just after a failed HEAD or walk (a viewer asks for dozens of tiles at once)
//! do not each ask the store again. Bounded by count: past it, failures are simply not
//! remembered, which costs a fetch, never a wrong answer.

use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Failures remembered at most, however many keys fail.
const REMEMBERED_FAILURES: usize = 1024;

/// Recent failures by key, each answered for `ttl` after it happened (zero: not at all).
pub(super) struct Failures<F> {
    ttl: Duration,
    recent: LruCache<Arc<str>, (Instant, F)>,
}

impl<F> Default for Failures<F> {
    fn default() -> Self {
        let capacity = NonZeroUsize::new(REMEMBERED_FAILURES).unwrap_or(NonZeroUsize::MIN);
        Failures {
            ttl: Duration::ZERO,
            recent: LruCache::new(capacity),
        }
    }
}

impl<F> Failures<F> {
    pub(super) fn set_ttl(&mut self, ttl: Duration) {
        self.ttl = ttl;
    }

    pub(super) fn remember(&mut self, key: &Arc<str>, err: F) {
        if !self.ttl.is_zero() {
            self.recent.put(Arc::clone(key), (Instant::now(), err));
        }
    }

    pub(super) fn forget(&mut self, key: &str) {
        self.recent.pop(key);
    }
}

impl<F: Clone> Failures<F> {
    /// The failure of `key` while it is fresh.
    pub(super) fn get(&mut self, key: &str) -> Option<F> {
        let (when, err) = self.recent.get(key)?;
        if when.elapsed() < self.ttl {
            return Some(err.clone());
        }
        self.recent.pop(key);
        None
    }
}
