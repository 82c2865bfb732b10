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
    let settings = BucketSettings {
        bucket: config.bucket.clone(),
        key_template: config.key_template.clone(),
        head_entries: config.info_cache_entries,
        head_ttl: config.info_cache_ttl(),
        failure_ttl: config.failure_cache_ttl(),
        disk_parent: config
            .disk_cache_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir),
        disk_bytes: config.disk_cache_bytes,
        downloads: config.download_concurrency.into(),
    };
    Ok(Arc::new(BucketStore::new(s3, settings)?))
}
