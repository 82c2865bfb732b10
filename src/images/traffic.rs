//! The process's I/O since start: the S3 traffic and every cache's [`CacheStats`], read in
//! one place, so a new cache is one field here. `/metrics` reports what each cache holds
//! from it; per-request numbers come from each request's own meter (`crate::metrics`).

use super::Images;
use crate::cache::CacheStats;
use crate::source::StoreStats;

/// The counters of the app at one moment.
#[derive(Clone, Copy, Debug, Default)]
pub struct Traffic {
    pub store: StoreStats,
    pub facts: CacheStats,
    pub opened: CacheStats,
}

impl Traffic {
    pub fn now(images: &Images) -> Traffic {
        Traffic {
            store: images.store.stats(),
            facts: images.facts.stats(),
            opened: images.renderer.cache().stats(),
        }
    }

    /// What each cache holds now (name, entries, bytes), for `/metrics`.
    pub fn held(&self) -> Vec<(&'static str, u64, u64)> {
        let s = &self.store;
        [
            ("block", &s.blocks),
            ("whole_object", &s.whole),
            ("head", &s.heads),
            ("facts", &self.facts),
            ("opened_image", &self.opened),
        ]
        .into_iter()
        .map(|(name, c)| (name, c.entries, c.resident_bytes))
        .collect()
    }
}
