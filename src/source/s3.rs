//! A [`Source`] over one S3 object version, read with ranged GETs through the shared
//! [`BlockCache`].
//!
//! `read_at` is synchronous (libvips calls it from its own worker threads) and S3 is async,
//! so each fetch runs the SDK future with `Handle::block_on` on the calling thread, using
//! the runtime captured when the store was built. The rule that follows: **never call
//! `read_at` from inside an async task** (tokio panics rather than block a worker); call
//! it from libvips threads, plain threads or `spawn_blocking`, as the image core does. The
//! runtime must be multi-threaded: the HTTP client's connection tasks run on its workers,
//! which a current-thread runtime only drives inside its own `block_on`.
//!
//! A source made with [`super::S3Store::open_exact`] has no block cache: each read is one
//! GET of exactly the bytes asked for. `create-metadata` uses it, reading each object's
//! facts once. The service's walker reads through the block cache instead, like libvips:
//! a 64 KiB block per directory costs about a millisecond more than its 4 KiB at S3's
//! bandwidth, and libvips, opening the same file next, finds every directory (and often
//! the chosen level's tile arrays, which writers put beside it) already cached, where it
//! would otherwise spend one round trip per directory again.
//!
//! Every GET carries `If-Match` with the ETag seen at HEAD, so bytes of a replaced object
//! fail the read instead of being cached under the old version's identity.

use super::s3_error::from_sdk;
use super::s3_store::ObjectHead;
use super::{BlockCache, Chunks, Source, SourceError, SourceErrorKind};
use crate::metrics::meter;
use async_trait::async_trait;
use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::Client;
use bytes::Bytes;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use tokio::runtime::Handle;

/// Requests sent and body bytes received, for per-request log lines.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TransferStats {
    pub requests: u64,
    pub bytes: u64,
}

/// Counters behind [`TransferStats`]. One request is one SDK call: retries inside the SDK
/// are not counted separately.
#[derive(Debug, Default)]
pub(crate) struct TransferCounters {
    requests: AtomicU64,
    bytes: AtomicU64,
}

impl TransferCounters {
    pub(crate) fn add_request(&self, bytes: u64) {
        self.requests.fetch_add(1, Relaxed);
        self.bytes.fetch_add(bytes, Relaxed);
    }

    /// Body bytes of a request already counted, as they stream in.
    pub(crate) fn add_bytes(&self, bytes: u64) {
        self.bytes.fetch_add(bytes, Relaxed);
    }

    pub(crate) fn snapshot(&self) -> TransferStats {
        TransferStats {
            requests: self.requests.load(Relaxed),
            bytes: self.bytes.load(Relaxed),
        }
    }
}

/// One S3 object version, readable at any offset.
pub struct S3Source {
    client: Client,
    runtime: Handle,
    cache: Option<Arc<BlockCache>>,
    store_counters: Arc<TransferCounters>,
    counters: TransferCounters,
    bucket: String,
    key: String,
    etag: Option<String>,
    len: u64,
    identity: Arc<str>,
}

impl S3Source {
    pub(crate) fn new(
        client: Client,
        runtime: Handle,
        cache: Option<Arc<BlockCache>>,
        store_counters: Arc<TransferCounters>,
        head: &ObjectHead,
    ) -> Self {
        S3Source {
            client,
            runtime,
            cache,
            store_counters,
            counters: TransferCounters::default(),
            bucket: head.bucket.clone(),
            key: head.key.clone(),
            etag: head.etag.clone(),
            len: head.content_length,
            identity: identity(head).into(),
        }
    }

    /// GETs sent and bytes received by this source (cache hits cost nothing).
    pub fn stats(&self) -> TransferStats {
        self.counters.snapshot()
    }

    /// One ranged GET of `start..end` (end exclusive), on the calling thread.
    fn get_range(&self, start: u64, end: u64) -> Result<Bytes, SourceError> {
        let (bucket, key, etag) = (&self.bucket, &self.key, self.etag.as_deref());
        let future = get_object(&self.client, bucket, key, etag, Some((start, end)));
        let bytes = self.runtime.block_on(future)?;
        self.counters.add_request(bytes.len() as u64);
        self.store_counters.add_request(bytes.len() as u64);
        meter::credit(|m| m.s3_request(bytes.len() as u64));
        Ok(bytes)
    }
}

impl Source for S3Source {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Bytes, SourceError> {
        let fetch = |start, end| self.get_range(start, end);
        match &self.cache {
            Some(cache) => cache.read(&self.identity, self.len, offset, len, &fetch),
            None => {
                let end = offset.saturating_add(len as u64).min(self.len);
                if offset >= end {
                    return Ok(Bytes::new());
                }
                fetch(offset, end)
            }
        }
    }

    fn identity(&self) -> &str {
        &self.identity
    }
}

/// `s3://bucket/key#etag`, the ETag without its quotes. Without an ETag (some S3-compatible
/// servers omit it) the size and modification time stand in as the version.
pub(crate) fn identity(head: &ObjectHead) -> String {
    let version = match &head.etag {
        Some(etag) => etag.trim_matches('"').to_owned(),
        None => {
            let modified = head
                .last_modified
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok());
            format!(
                "{}-{}",
                head.content_length,
                modified.map_or(0, |d| d.as_secs())
            )
        }
    };
    format!("s3://{}/{}#{}", head.bucket, head.key, version)
}

/// GETs the object, or the byte range `start..end` of it, and collects the body.
pub(crate) async fn get_object(
    client: &Client,
    bucket: &str,
    key: &str,
    etag: Option<&str>,
    range: Option<(u64, u64)>,
) -> Result<Bytes, SourceError> {
    let (output, what) = send_get(client, bucket, key, etag, range).await?;
    // A body cut off mid-transfer is a network failure like any other: retry later.
    let body = output
        .body
        .collect()
        .await
        .map_err(|e| body_error(&what, e))?;
    Ok(body.into_bytes())
}

/// Sends the GET; the answer's body is still to be read. Returns what it asked, for logs.
pub(crate) async fn send_get(
    client: &Client,
    bucket: &str,
    key: &str,
    etag: Option<&str>,
    range: Option<(u64, u64)>,
) -> Result<(GetObjectOutput, String), SourceError> {
    let what = match range {
        Some((start, end)) => format!("GET s3://{bucket}/{key} bytes {start}..{end}"),
        None => format!("GET s3://{bucket}/{key}"),
    };
    let mut request = client.get_object().bucket(bucket).key(key);
    if let Some((start, end)) = range {
        request = request.range(format!("bytes={start}-{}", end - 1));
    }
    if let Some(etag) = etag {
        request = request.if_match(etag);
    }
    let output = request.send().await.map_err(|e| from_sdk(e, &what))?;
    Ok((output, what))
}

fn body_error(what: &str, err: impl std::fmt::Display) -> SourceError {
    SourceError::new(SourceErrorKind::Unavailable, format!("{what}: body: {err}"))
}

/// A GET's body as it arrives, counted into the store's transfer counters.
pub(crate) struct S3Body {
    pub(crate) body: ByteStream,
    pub(crate) what: String,
    pub(crate) counters: Arc<TransferCounters>,
}

#[async_trait]
impl Chunks for S3Body {
    async fn next(&mut self) -> Option<Result<Bytes, SourceError>> {
        let chunk = self.body.next().await?;
        Some(match chunk {
            Ok(bytes) => {
                self.counters.add_bytes(bytes.len() as u64);
                meter::credit(|m| m.s3_bytes(bytes.len() as u64));
                Ok(bytes)
            }
            Err(err) => Err(body_error(&self.what, err)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(etag: Option<&str>) -> ObjectHead {
        ObjectHead {
            bucket: "b".into(),
            key: "dir/img.tif".into(),
            content_length: 42,
            etag: etag.map(str::to_owned),
            last_modified: Some(std::time::UNIX_EPOCH + std::time::Duration::from_secs(7)),
            content_type: None,
            metadata: Default::default(),
        }
    }

    #[test]
    fn identity_names_bucket_key_and_version() {
        assert_eq!(identity(&head(Some("\"abc\""))), "s3://b/dir/img.tif#abc");
        assert_eq!(identity(&head(Some("abc-3"))), "s3://b/dir/img.tif#abc-3");
        assert_eq!(identity(&head(None)), "s3://b/dir/img.tif#42-7");
    }
}
