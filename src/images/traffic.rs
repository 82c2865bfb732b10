//! What the request log line reports of the process's I/O: the S3 traffic and every cache's
//! [`CacheStats`], read in one place and subtracted in one place, so a new cache is one
//! field here rather than another pair of counters summed by hand in `handle`.

use super::Images;
use crate::cache::CacheStats;
use crate::source::{StoreStats, TransferStats};

/// The counters of the app at one moment (or, from [`Traffic::since`], between two).
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

    /// What was counted since `before`; what is held now is kept as it is.
    pub fn since(&self, before: &Traffic) -> Traffic {
        let (now, then) = (&self.store, &before.store);
        Traffic {
            store: StoreStats {
                s3: TransferStats {
                    requests: now.s3.requests.saturating_sub(then.s3.requests),
                    bytes: now.s3.bytes.saturating_sub(then.s3.bytes),
                },
                blocks: now.blocks.since(&then.blocks),
                whole: now.whole.since(&then.whole),
                heads: now.heads.since(&then.heads),
            },
            facts: self.facts.since(&before.facts),
            opened: self.opened.since(&before.opened),
        }
    }
}
