//! Where images live: the configured store turns a (decoded) object name into a
//! [`Source`], plus what a HEAD already told us about it.
//!
//! Files are opened per request (a stat and an open, microseconds; no descriptors are
//! hoarded). S3 objects are HEADed once per `TESSERA_INFO_CACHE_TTL`: within that time a
//! request costs no S3 call before its first byte read, and after it a replaced object is
//! noticed by its new ETag, which changes every cache key below.

use crate::cache::{CacheStats, FlightCache};
use crate::config::{Config, SourceKind};
use crate::source::{
    metadata_dimensions, BlockCache, FileStore, MetaFacts, ObjectHead, S3Store, Source,
    SourceError, SourceErrorKind, TransferStats, WholeObjectCache,
};
use std::sync::Arc;

/// The configured image store.
pub enum Store {
    File(Arc<FileStore>),
    S3(Box<RemoteStore>),
}

/// An object, opened: a source that reads it by ranges, and for S3 its HEAD.
pub struct Opened {
    /// Reads through the block cache (for libvips).
    pub source: Arc<dyn Source>,
    /// Reads exactly what is asked (for the directory walker); for files the same source.
    pub walker: Arc<dyn Source>,
    pub head: Option<ObjectHead>,
}

impl Opened {
    /// Width, height and tile size from the object's user metadata, if it carries them.
    pub fn meta(&self) -> Option<MetaFacts> {
        self.head
            .as_ref()
            .and_then(|h| metadata_dimensions(&h.metadata))
    }
}

/// An S3 bucket behind the shared client, block cache and whole-object disk cache.
pub struct RemoteStore {
    s3: S3Store,
    bucket: String,
    template: String,
    heads: FlightCache<ObjectHead>,
    whole: WholeObjectCache,
}

/// The store's S3 traffic and caches since start, for the request log line.
#[derive(Clone, Copy, Debug, Default)]
pub struct StoreStats {
    pub s3: TransferStats,
    pub blocks: CacheStats,
    pub whole: CacheStats,
    pub heads: CacheStats,
}

impl Store {
    /// Builds the store the configuration names (inside the runtime that will serve it).
    pub async fn from_config(config: &Config) -> Result<Store, String> {
        match config.source {
            SourceKind::File => {
                let store = FileStore::new(&config.root, &config.key_template)
                    .map_err(|e| format!("TESSERA_ROOT: {}", e.detail()))?;
                Ok(Store::File(Arc::new(store)))
            }
            SourceKind::S3 => {
                if config.bucket.is_empty() {
                    return Err("TESSERA_SOURCE=s3 needs TESSERA_BUCKET".into());
                }
                let cache = Arc::new(BlockCache::new(config.block_size, config.block_cache_bytes));
                let s3 = config.s3.store(cache).await;
                Store::s3(s3, config).map_err(|e| e.to_string())
            }
        }
    }

    /// An S3 store over a client the caller built (tests pass static credentials).
    pub fn s3(s3: S3Store, config: &Config) -> std::io::Result<Store> {
        let parent = config
            .disk_cache_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir);
        Ok(Store::S3(Box::new(RemoteStore {
            s3,
            bucket: config.bucket.clone(),
            template: key_template(&config.key_template),
            heads: FlightCache::new(config.info_cache_entries, Some(config.info_cache_ttl())),
            whole: WholeObjectCache::new(&parent, config.disk_cache_bytes)?,
        })))
    }

    /// Opens the object an identifier names.
    pub async fn open(&self, name: &str) -> Result<Opened, SourceError> {
        match self {
            Store::File(files) => {
                let files = Arc::clone(files);
                let name = name.to_string();
                let source = tokio::task::spawn_blocking(move || files.open(&name))
                    .await
                    .map_err(|e| SourceError::new(SourceErrorKind::Other, e.to_string()))??;
                let source: Arc<dyn Source> = Arc::new(source);
                Ok(Opened {
                    walker: Arc::clone(&source),
                    source,
                    head: None,
                })
            }
            Store::S3(remote) => {
                let head = remote.head(name).await?;
                Ok(Opened {
                    source: Arc::new(remote.s3.open(&head)),
                    walker: Arc::new(remote.s3.open_exact(&head)),
                    head: Some(head),
                })
            }
        }
    }

    /// A source holding the whole object locally, for formats libvips cannot read by
    /// ranges efficiently (JPEG, PNG, JPEG 2000, strip TIFF); files already are local.
    pub async fn whole(&self, opened: &Opened) -> Result<Arc<dyn Source>, SourceError> {
        match (self, &opened.head) {
            (Store::S3(remote), Some(head)) => {
                Ok(Arc::new(remote.s3.open_whole(head, &remote.whole).await?))
            }
            _ => Ok(Arc::clone(&opened.source)),
        }
    }

    /// Traffic and caches so far; zero for files.
    pub fn stats(&self) -> StoreStats {
        match self {
            Store::File(_) => StoreStats::default(),
            Store::S3(remote) => StoreStats {
                s3: remote.s3.stats(),
                blocks: remote.s3.cache().stats(),
                whole: remote.whole.stats(),
                heads: remote.heads.stats(),
            },
        }
    }
}

impl RemoteStore {
    /// The object's HEAD, from the cache while it is fresh; concurrent first requests
    /// share one HEAD.
    async fn head(&self, name: &str) -> Result<ObjectHead, SourceError> {
        if name.is_empty() || name.len() > 1024 {
            return Err(SourceError::new(
                SourceErrorKind::Forbidden,
                "bad object name",
            ));
        }
        let key = self.template.replace("{id}", name);
        self.heads
            .get_or_fetch(&key, || self.s3.head(&self.bucket, &key))
            .await
    }
}

/// `{id}` templates as configured; serverless-iiif's `%s` is accepted; empty means `{id}`.
fn key_template(configured: &str) -> String {
    match configured.replace("%s", "{id}") {
        t if t.is_empty() => "{id}".to_string(),
        t => t,
    }
}
