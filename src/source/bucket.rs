//! An S3 bucket as a [`Store`]: object names through a key template, HEADs cached, whole
//! copies on local disk for the formats that need them.
//!
//! Objects are HEADed once per `head_ttl`: within that time a request costs no S3 call
//! before its first byte read, and after it a replaced object is noticed by its new ETag,
//! which changes every cache key below.

use super::{
    ObjectHead, Opened, ReleaseHook, S3Store, Source, SourceError, SourceErrorKind, Store,
    StoreStats, WholeObjectCache,
};
use crate::cache::FlightCache;
use async_trait::async_trait;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Where a bucket store keeps what it caches, and how its names map to keys.
pub struct BucketSettings {
    pub bucket: String,
    /// `{id}` (or serverless-iiif's `%s`) stands for the identifier; empty means `{id}`.
    pub key_template: String,
    pub head_entries: usize,
    pub head_ttl: Duration,
    /// How long a failed HEAD is answered again without asking S3.
    pub failure_ttl: Duration,
    /// Directory the whole-object cache creates its own folder in.
    pub disk_parent: PathBuf,
    pub disk_bytes: u64,
    /// Whole-object downloads running at once.
    pub downloads: usize,
}

/// An S3 bucket behind the shared client, block cache and whole-object disk cache.
pub struct BucketStore {
    s3: S3Store,
    bucket: String,
    template: String,
    heads: FlightCache<ObjectHead, SourceError>,
    whole: WholeObjectCache,
}

impl BucketStore {
    pub fn new(s3: S3Store, settings: BucketSettings) -> std::io::Result<BucketStore> {
        Ok(BucketStore {
            s3,
            bucket: settings.bucket,
            template: key_template(&settings.key_template),
            heads: FlightCache::new(settings.head_entries, Some(settings.head_ttl))
                .remember_failures(settings.failure_ttl),
            whole: WholeObjectCache::new(
                &settings.disk_parent,
                settings.disk_bytes,
                settings.downloads,
            )?,
        })
    }

    /// The object's HEAD, from the cache while it is fresh; concurrent first requests
    /// share one HEAD.
    async fn head(&self, name: &str) -> Result<ObjectHead, SourceError> {
        if name.is_empty() || name.len() > 1024 {
            return Err(SourceError::new(
                SourceErrorKind::Forbidden,
                "bad object name",
            ));
        }
        self.head_key(&self.template.replace("{id}", name)).await
    }

    async fn head_key(&self, key: &str) -> Result<ObjectHead, SourceError> {
        self.heads
            .get_or_fetch(key, || self.s3.head(&self.bucket, key))
            .await
    }

    fn opened(&self, head: ObjectHead) -> Opened {
        Opened {
            source: Arc::new(self.s3.open(&head)),
            head: Some(head),
        }
    }
}

#[async_trait]
impl Store for BucketStore {
    async fn open(&self, name: &str) -> Result<Opened, SourceError> {
        Ok(self.opened(self.head(name).await?))
    }

    /// `location` is a key of this bucket (the preflight checked the bucket).
    async fn open_at(&self, location: &str) -> Result<Opened, SourceError> {
        if location.is_empty() || location.len() > 1024 {
            return Err(SourceError::new(
                SourceErrorKind::Forbidden,
                "bad object key",
            ));
        }
        Ok(self.opened(self.head_key(location).await?))
    }

    async fn whole(&self, opened: &Opened) -> Result<Arc<dyn Source>, SourceError> {
        match &opened.head {
            Some(head) => Ok(Arc::new(self.s3.open_whole(head, &self.whole).await?)),
            None => Ok(Arc::clone(&opened.source)),
        }
    }

    /// Its HEAD (keyed by the object key), its blocks and its whole copy (keyed by the
    /// version's identity).
    fn forget(&self, opened: &Opened) {
        if let Some(head) = &opened.head {
            self.heads.forget(&head.key);
        }
        let identity = opened.source.identity();
        self.s3.cache().forget(identity);
        self.whole.forget(identity);
    }

    fn on_release(&self, hook: ReleaseHook) {
        self.whole.on_release(hook);
    }

    /// A bucket may hold millions of objects; the index page is a local convenience, so
    /// buckets are not listed.
    async fn list(&self) -> Result<Vec<String>, SourceError> {
        Ok(Vec::new())
    }

    fn stats(&self) -> StoreStats {
        StoreStats {
            s3: self.s3.stats(),
            blocks: self.s3.cache().stats(),
            whole: self.whole.stats(),
            heads: self.heads.stats(),
        }
    }
}

/// `{id}` templates as configured; serverless-iiif's `%s` is accepted; empty means `{id}`.
fn key_template(configured: &str) -> String {
    match configured.replace("%s", "{id}") {
        t if t.is_empty() => "{id}".to_string(),
        t => t,
    }
}
