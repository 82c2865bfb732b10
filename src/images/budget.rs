//! The one memory budget (`TESSERA_MEMORY_BUDGET`) and how it is shared.
//!
//! Three things hold memory in proportion to the work: the block cache (bytes of remote
//! objects), the opened-image cache (images kept open, weighted by what each holds) and
//! the renders in flight (pixels being computed and encoded). Each gets a fixed share of
//! the one budget, so their sum is bounded by it whatever the load:
//!
//! - block cache: a fifth, or `TESSERA_BLOCK_CACHE_BYTES` when set (taken out first);
//! - opened images: a fifth (a quarter of what is left after an explicit block cache);
//! - renders: the rest, three fifths, as a byte-weighted semaphore: each render reserves
//!   its estimated working memory (`render/cost.rs`) before it computes, waits while the
//!   share is taken, and is refused (501, too large here) when it could never fit.
//!
//! Renders get the largest share because one maximal answer (maxArea pixels, materialised
//! and encoded) is the largest single allocation the server makes. What the budget does
//! not count (the binary, libvips' and the S3 client's own state, allocator slack) is the
//! documented constant the soak measures above it.
//!
//! The default budget is three quarters of the Lambda's memory size (the platform kills
//! the function at that size, so a quarter is left for the uncounted constant), else
//! half the machine's memory (or the container's cgroup limit, when smaller), since a
//! standalone server shares its machine.

use super::error::{ErrorKind, ImageError};
use crate::config::Config;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Budget assumed when the machine's memory cannot be read.
const FALLBACK_MACHINE_BYTES: u64 = 4 << 30;

/// How the budget is split, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryShares {
    pub budget: u64,
    pub block_cache: u64,
    pub opened_images: u64,
    pub renders: u64,
}

impl MemoryShares {
    /// Splits `budget`; an explicit block cache size is taken out first, and the opened
    /// images then get a quarter of the rest.
    pub fn split(budget: u64, block_cache: Option<u64>) -> Result<MemoryShares, String> {
        let (block_cache, opened_images) = match block_cache {
            None => (budget / 5, budget / 5),
            Some(bytes) if bytes < budget => (bytes, (budget - bytes) / 4),
            Some(bytes) => {
                return Err(format!(
                    "TESSERA_BLOCK_CACHE_BYTES ({bytes}) leaves nothing of \
                     TESSERA_MEMORY_BUDGET ({budget}) for images and renders"
                ))
            }
        };
        Ok(MemoryShares {
            budget,
            block_cache,
            opened_images,
            renders: budget - block_cache - opened_images,
        })
    }

    /// The shares the configuration asks for.
    pub fn from_config(config: &Config) -> Result<MemoryShares, String> {
        let budget = config.memory_budget.unwrap_or_else(|| {
            default_budget(
                config.lambda_memory_mb,
                machine_memory().unwrap_or(FALLBACK_MACHINE_BYTES),
            )
        });
        MemoryShares::split(budget, config.block_cache_bytes)
    }
}

/// Three quarters of the Lambda's memory, else half of the machine's.
fn default_budget(lambda_mb: Option<u64>, machine_bytes: u64) -> u64 {
    match lambda_mb {
        Some(mb) => mb.saturating_mul(1 << 20) / 4 * 3,
        None => machine_bytes / 2,
    }
}

/// The memory this process may use: the machine's total, or the cgroup's limit when a
/// container sets a smaller one. `None` off Linux.
fn machine_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let total = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|kb| kb.trim().parse::<u64>().ok())?
        .checked_mul(1024)?;
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|path| std::fs::read_to_string(path).ok())
    .find_map(|text| text.trim().parse::<u64>().ok());
    Some(cgroup.map_or(total, |limit| limit.min(total)))
}

/// The renders' share, held by renders in flight in proportion to their working memory.
pub(crate) struct RenderMemory {
    permits: Arc<Semaphore>,
    share: u64,
}

/// Reservations are counted in KiB, so a u32 of permits covers 4 TiB.
const UNIT: u64 = 1024;

impl RenderMemory {
    pub(crate) fn new(share: u64) -> RenderMemory {
        let units = (share / UNIT).min(Semaphore::MAX_PERMITS as u64) as usize;
        RenderMemory {
            permits: Arc::new(Semaphore::new(units)),
            share: units as u64 * UNIT,
        }
    }

    /// Reserves `bytes` for one render, waiting at most `wait` for renders in flight to
    /// give theirs back: 501 (too large) when the share could never hold it, 503 when it
    /// is taken for longer than the wait.
    pub(crate) async fn reserve(
        &self,
        bytes: u64,
        wait: Duration,
    ) -> Result<OwnedSemaphorePermit, ImageError> {
        if bytes > self.share {
            return Err(ImageError::new(
                ErrorKind::TooLarge,
                format!(
                    "the render needs about {bytes} bytes, over the renders' share of the \
                     memory budget ({} bytes)",
                    self.share
                ),
            ));
        }
        let units = bytes.div_ceil(UNIT).max(1) as u32;
        let permits = Arc::clone(&self.permits).acquire_many_owned(units);
        tokio::time::timeout(wait, permits)
            .await
            .map_err(|_| {
                ImageError::new(
                    ErrorKind::Unavailable,
                    "timed out waiting for render memory",
                )
            })?
            .map_err(|_| ImageError::new(ErrorKind::Unavailable, "render memory closed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_budget() {
        let shares = MemoryShares::split(1000, None).unwrap();
        assert_eq!(
            (shares.block_cache, shares.opened_images, shares.renders),
            (200, 200, 600)
        );
        let explicit = MemoryShares::split(1000, Some(600)).unwrap();
        assert_eq!(
            (
                explicit.block_cache,
                explicit.opened_images,
                explicit.renders
            ),
            (600, 100, 300)
        );
        assert!(MemoryShares::split(1000, Some(1000)).is_err());
    }

    #[test]
    fn the_default_follows_the_lambda_else_the_machine() {
        assert_eq!(default_budget(Some(3008), 64 << 30), (3008 * 3 / 4) << 20);
        assert_eq!(default_budget(None, 8 << 30), 4 << 30);
        assert!(machine_memory().is_some_and(|bytes| bytes > 0));
    }

    #[tokio::test]
    async fn a_reservation_waits_for_memory_and_never_exceeds_the_share() {
        let memory = RenderMemory::new(10 * UNIT);
        let wait = Duration::from_millis(20);
        let held = memory.reserve(8 * UNIT, wait).await.unwrap();
        let busy = memory.reserve(4 * UNIT, wait).await.unwrap_err();
        assert_eq!(busy.kind, ErrorKind::Unavailable);
        drop(held);
        assert!(memory.reserve(4 * UNIT, wait).await.is_ok());
        let never = memory.reserve(11 * UNIT, wait).await.unwrap_err();
        assert_eq!(never.kind, ErrorKind::TooLarge);
    }
}
