//! The one S3 client of the process and what is asked of it directly: HEAD for an object's
//! facts, `open` for a range-reading [`S3Source`], and `open_whole` for formats that must be
//! read whole.
//!
//! The client is built once at start (a client per request, as serverless-iiif does, pays
//! TLS and credential setup on every call). Credentials are either the standard AWS chain
//! (environment, which is what Lambda provides, then container and instance roles) or
//! static keys for tests and S3-compatible servers; with static keys nothing else is
//! consulted, so no profile file is read and no instance-metadata address is contacted.

use super::s3::{identity, send_get, S3Body, S3Source, TransferCounters, TransferStats};
use super::s3_error::from_sdk;
use super::{BlockCache, CachedObject, Chunks, SourceError, SourceErrorKind, WholeObjectCache};
use crate::metrics::meter;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
};
use aws_sdk_s3::operation::head_object::HeadObjectOutput;
use aws_sdk_s3::Client;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::runtime::Handle;

/// Where credentials come from.
#[derive(Clone, Debug)]
pub enum S3Credentials {
    /// The standard AWS provider chain (on Lambda: the function role, via environment).
    Standard,
    /// Fixed keys, for tests and S3-compatible servers; nothing else is looked up.
    Static {
        access_key_id: String,
        secret_access_key: String,
    },
}

/// How to reach the store, as the client needs it; built by `config::S3Config::settings`
/// (the one place that knows the flags, variables and defaults).
#[derive(Clone, Debug)]
pub struct S3Settings {
    pub region: String,
    /// A custom endpoint (an S3-compatible server); `None` for AWS.
    pub endpoint_url: Option<String>,
    /// `http://host/bucket/key` instead of `http://bucket.host/key`; S3-compatible servers
    /// on loopback need it, since `bucket.127.0.0.1` does not resolve.
    pub force_path_style: bool,
    /// Attempts per call, the first included, with the SDK's standard backoff between.
    pub max_attempts: u32,
    pub credentials: S3Credentials,
}

/// What a HEAD says about an object.
#[derive(Clone, Debug)]
pub struct ObjectHead {
    pub bucket: String,
    pub key: String,
    pub content_length: u64,
    /// The ETag exactly as S3 sent it, quotes included: the form `If-Match` expects.
    pub etag: Option<String>,
    pub last_modified: Option<SystemTime>,
    pub content_type: Option<String>,
    /// User metadata, keys without the `x-amz-meta-` prefix (see [`super::metadata_dimensions`]).
    pub metadata: HashMap<String, String>,
}

impl ObjectHead {
    /// The facts a HEAD answer gives (also used by tools that HEAD for more attributes).
    pub fn from_output(
        bucket: &str,
        key: &str,
        out: &HeadObjectOutput,
    ) -> Result<Self, SourceError> {
        let length = out.content_length().unwrap_or(0);
        let content_length = u64::try_from(length).map_err(|_| {
            SourceError::new(
                SourceErrorKind::Other,
                format!("HEAD s3://{bucket}/{key}: length {length}"),
            )
        })?;
        Ok(ObjectHead {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            content_length,
            etag: out.e_tag().map(str::to_owned),
            last_modified: out
                .last_modified()
                .and_then(|t| SystemTime::try_from(*t).ok()),
            content_type: out.content_type().map(str::to_owned),
            metadata: out.metadata().cloned().unwrap_or_default(),
        })
    }
}

/// The process's S3 client, its runtime handle, and the shared block cache.
#[derive(Clone)]
pub struct S3Store {
    client: Client,
    runtime: Handle,
    cache: Arc<BlockCache>,
    counters: Arc<TransferCounters>,
}

impl S3Store {
    /// Builds the client. Must run inside the tokio runtime that will serve the sources'
    /// blocking reads: its handle is captured for them.
    pub async fn new(settings: &S3Settings, cache: Arc<BlockCache>) -> Self {
        let builder = match &settings.credentials {
            S3Credentials::Standard => {
                let region = Region::new(settings.region.clone());
                let shared = aws_config::defaults(BehaviorVersion::latest())
                    .region(region)
                    .load()
                    .await;
                aws_sdk_s3::config::Builder::from(&shared)
            }
            S3Credentials::Static {
                access_key_id,
                secret_access_key,
            } => {
                let creds =
                    Credentials::new(access_key_id, secret_access_key, None, None, "static");
                aws_sdk_s3::config::Builder::new().credentials_provider(creds)
            }
        };
        let mut builder = builder
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(settings.region.clone()))
            .force_path_style(settings.force_path_style)
            .retry_config(retry_config(settings.max_attempts))
            .timeout_config(timeout_config())
            // Checksums of whole objects say nothing about a byte range, and several
            // S3-compatible servers reject the SDK's default request checksums.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if let Some(url) = &settings.endpoint_url {
            builder = builder.endpoint_url(url);
        }
        let client = Client::from_conf(builder.build());
        S3Store {
            client,
            runtime: Handle::current(),
            cache,
            counters: Arc::default(),
        }
    }

    /// The underlying client, for operations this layer does not wrap (e.g. writing
    /// metadata in the create-metadata tool).
    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn cache(&self) -> &Arc<BlockCache> {
        &self.cache
    }

    /// Requests and body bytes of every call made through this store so far.
    pub fn stats(&self) -> TransferStats {
        self.counters.snapshot()
    }

    /// The object's size, version and metadata, from one HEAD request.
    pub async fn head(&self, bucket: &str, key: &str) -> Result<ObjectHead, SourceError> {
        self.counters.add_request(0);
        meter::credit(|m| m.s3_request(0));
        let out = self
            .client
            .head_object()
            .bucket(bucket)
            .key(key)
            .send()
            .await;
        let out = out.map_err(|e| from_sdk(e, &format!("HEAD s3://{bucket}/{key}")))?;
        ObjectHead::from_output(bucket, key, &out)
    }

    /// A source reading the object `head` describes, through the shared block cache.
    pub fn open(&self, head: &ObjectHead) -> S3Source {
        S3Source::new(
            self.client.clone(),
            self.runtime.clone(),
            Some(Arc::clone(&self.cache)),
            Arc::clone(&self.counters),
            head,
        )
    }

    /// A source whose every read is one GET of exactly the bytes asked for, bypassing the
    /// block cache: for a few small scattered reads (TIFF directories) that would otherwise
    /// each cost a whole block.
    pub fn open_exact(&self, head: &ObjectHead) -> S3Source {
        S3Source::new(
            self.client.clone(),
            self.runtime.clone(),
            None,
            Arc::clone(&self.counters),
            head,
        )
    }

    /// The whole object `head` describes, from the local disk cache, downloaded (once, however
    /// many requests ask at the same time) if it is not there yet. The download is one
    /// GET, conditional on the HEAD's ETag so a replaced object fails rather than mixing
    /// versions, streamed to disk as it arrives.
    pub async fn open_whole(
        &self,
        head: &ObjectHead,
        cache: &WholeObjectCache,
    ) -> Result<CachedObject, SourceError> {
        let (store, head_owned) = (self.clone(), head.clone());
        let download = async move { store.get_body(&head_owned).await };
        cache
            .get(&identity(head), head.content_length, download)
            .await
    }

    /// Sends the whole-object GET and hands back its body still to be read.
    async fn get_body(&self, head: &ObjectHead) -> Result<Box<dyn Chunks>, SourceError> {
        let etag = head.etag.as_deref();
        let (output, what) = send_get(&self.client, &head.bucket, &head.key, etag, None).await?;
        self.counters.add_request(0);
        meter::credit(|m| m.s3_request(0));
        let announced = output.content_length().and_then(|n| u64::try_from(n).ok());
        if announced.is_some_and(|n| n != head.content_length) {
            // Without an ETag (some S3-compatible servers) a new size is how a new version shows.
            return Err(SourceError::new(
                SourceErrorKind::Replaced,
                format!(
                    "{what}: {announced:?} bytes, HEAD said {}",
                    head.content_length
                ),
            ));
        }
        Ok(Box::new(S3Body {
            body: output.body,
            what,
            counters: Arc::clone(&self.counters),
        }))
    }
}

/// The SDK's standard retry (exponential backoff with jitter, retrying throttling, 5xx and
/// transient network errors). A short first backoff suits tile requests, which are
/// latency-bound and have a deadline; the SDK's own default starts at one second.
fn retry_config(max_attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(max_attempts.max(1))
        .with_initial_backoff(Duration::from_millis(100))
        .with_max_backoff(Duration::from_secs(2))
}

/// Bounds on a stalled connection, not on a transfer: a whole-object GET of a large file
/// may rightly take longer than any fixed total, but no healthy store takes seconds to
/// accept a connection or to send the first byte.
fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .read_timeout(Duration::from_secs(10))
        .build()
}
