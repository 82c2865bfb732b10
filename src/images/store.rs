//! The store the configuration names, built once at start: the only place that reads the
//! store settings out of [`Config`], so `source/` stays free of configuration.

use crate::config::{Config, SourceKind};
use crate::source::{BlockCache, BucketSettings, BucketStore, FileStore, S3Store, Store};
use std::sync::Arc;

/// Builds the configured store (inside the runtime that will serve it).
pub async fn store_from_config(config: &Config) -> Result<Arc<dyn Store>, String> {
    match config.source {
        SourceKind::File => {
            let store = FileStore::new(&config.root, &config.key_template)
                .map_err(|e| format!("TESSERA_ROOT: {}", e.detail()))?;
            Ok(Arc::new(store))
        }
        SourceKind::S3 => {
            if config.bucket.is_empty() {
                return Err("TESSERA_SOURCE=s3 needs TESSERA_BUCKET".into());
            }
            let bytes = super::MemoryShares::from_config(config)?.block_cache;
            let cache = Arc::new(BlockCache::new(config.block_size, bytes));
            let s3 = config.s3.store(cache).await;
            bucket_store(s3, config).map_err(|e| e.to_string())
        }
    }
}

/// The configured bucket over a client the caller built (tests pass static credentials).
pub fn bucket_store(s3: S3Store, config: &Config) -> std::io::Result<Arc<dyn Store>> {
    let disk_parent = config
        .disk_cache_dir
        .clone()
        .unwrap_or_else(std::env::temp_dir);
    let disk_bytes = config
        .disk_cache_bytes
        .unwrap_or_else(|| default_disk_bytes(&disk_parent));
    let settings = BucketSettings {
        bucket: config.bucket.clone(),
        key_template: config.key_template.clone(),
        head_entries: config.info_cache_entries,
        head_ttl: config.info_cache_ttl(),
        failure_ttl: config.failure_cache_ttl(),
        disk_parent,
        disk_bytes,
        downloads: config.download_concurrency.into(),
    };
    Ok(Arc::new(BucketStore::new(s3, settings)?))
}

/// Without TESSERA_DISK_CACHE_BYTES: three quarters of the file system under `parent`
/// (Lambda's /tmp is EphemeralStorageSize, which no environment variable tells), leaving a
/// quarter to libvips' and the runtime's own temporary files. When the size cannot be
/// read (the directory does not exist yet), Lambda's smallest /tmp gives the figure. A
/// server's large shared disk is capped at 8 GiB (above Lambda's largest /tmp's share).
fn default_disk_bytes(parent: &std::path::Path) -> u64 {
    const SMALLEST_LAMBDA_TMP: u64 = 512 << 20;
    const CAP: u64 = 8 << 30;
    let total = rustix::fs::statvfs(parent)
        .map(|stat| stat.f_blocks.saturating_mul(stat.f_frsize))
        .unwrap_or(SMALLEST_LAMBDA_TMP);
    (total / 4 * 3).min(CAP)
}

#[cfg(test)]
mod tests {
    use super::default_disk_bytes;

    #[test]
    fn the_default_disk_budget_is_three_quarters_of_its_file_system_at_most_8_gib() {
        // A /tmp-sized file system: Lambda's smallest, when the size cannot be read.
        let missing = std::path::Path::new("/no/such/tessera/cache/parent");
        assert_eq!(default_disk_bytes(missing), 384 << 20);
        let dir = tempfile::tempdir().unwrap();
        let stat = rustix::fs::statvfs(dir.path()).unwrap();
        let total = stat.f_blocks * stat.f_frsize;
        assert_eq!(default_disk_bytes(dir.path()), (total / 4 * 3).min(8 << 30));
    }
}
