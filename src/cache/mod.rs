//! The cache kit: "concurrent first requests share one fetch", written once for async
//! callers ([`SingleFlight`], with [`FlightCache`] as its in-memory LRU) and once for the
//! threads libvips reads from ([`blocking`]), and one [`CacheStats`] shape that every cache
//! of the process reports (blocks, whole objects, HEADs, facts, opened images), so the
//! request log line reads them all the same way.
//!
//! What is kept is the caller's business (a [`Shelf`]: memory bounded by count, a disk
//! folder bounded by bytes); who fetches, who waits and what happens when a fetch fails or
//! is abandoned is the kit's. Errors are never kept as values; a cache may answer a
//! failure again for a few seconds ([`SingleFlight::remember_failures`]).

pub(crate) mod blocking;
mod failures;
mod flight;
mod memory;

pub use flight::{Shelf, SingleFlight};
pub use memory::{FlightCache, Memory};

/// Counters of one cache since it was built, in its own unit (blocks, objects, entries)
/// except where named bytes. A field a cache has no use for stays 0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that found nothing: they fetched, or joined another caller's fetch.
    pub misses: u64,
    /// The part of `misses` that waited for another caller's fetch instead of fetching.
    pub joined: u64,
    /// Fetches started (ranged GETs, downloads, HEADs, directory walks).
    pub fetches: u64,
    /// Bytes the fetches returned (where the cache measures them).
    pub bytes_fetched: u64,
    /// Entries held now.
    pub entries: u64,
    /// Bytes held now (where the cache measures them).
    pub resident_bytes: u64,
}

impl CacheStats {
    /// The counters gained since `before` (an earlier snapshot of the same cache); what is
    /// held now (`entries`, `resident_bytes`) is kept as it is.
    pub fn since(&self, before: &CacheStats) -> CacheStats {
        CacheStats {
            hits: self.hits.saturating_sub(before.hits),
            misses: self.misses.saturating_sub(before.misses),
            joined: self.joined.saturating_sub(before.joined),
            fetches: self.fetches.saturating_sub(before.fetches),
            bytes_fetched: self.bytes_fetched.saturating_sub(before.bytes_fetched),
            ..*self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_subtracts_counters_and_keeps_holdings() {
        let before = CacheStats {
            hits: 2,
            misses: 3,
            entries: 9,
            resident_bytes: 90,
            ..CacheStats::default()
        };
        let now = CacheStats {
            hits: 5,
            misses: 3,
            fetches: 1,
            entries: 4,
            resident_bytes: 40,
            ..CacheStats::default()
        };
        let spent = now.since(&before);
        assert_eq!((spent.hits, spent.misses, spent.fetches), (3, 0, 1));
        assert_eq!((spent.entries, spent.resident_bytes), (4, 40));
    }
}
