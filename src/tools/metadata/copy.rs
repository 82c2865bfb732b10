//! Writing new metadata: copy the object onto itself with `MetadataDirective=REPLACE`.
//!
//! S3 cannot change an object's metadata in place; a copy can, and a copy onto the same key
//! is a server-side operation (no bytes pass through us). REPLACE means S3 keeps nothing we
//! do not send, so every attribute the HEAD reported is sent again: content type and the
//! other content headers, the redirect location, storage class, and server-side encryption
//! (left out, the bucket's default would apply, silently changing an SSE-KMS key). Tags are
//! kept by `TaggingDirective=COPY` on a single copy; a multipart upload has no such
//! directive, so the tags are read first and sent with it.
//!
//! `CopyObject` takes sources up to 5 GiB; larger objects are copied in parts
//! (`UploadPartCopy`), with the threshold and part size as parameters so tests can take
//! that path with a small object. Every request is conditional on the ETag the HEAD saw: a
//! single copy by `CopySourceIfMatch` (atomic: it checks and copies in one request), a
//! multipart copy by the same on every part and by `If-Match` on the completion, so an
//! overwrite during a long copy aborts it instead of bringing the old bytes back.

use super::object::{sdk_message, ObjectState};
use aws_sdk_s3::types::{
    CompletedMultipartUpload, CompletedPart, MetadataDirective, Tag, TaggingDirective,
};
use aws_sdk_s3::Client;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use std::collections::HashMap;

/// The largest source `CopyObject` accepts.
pub const SINGLE_COPY_LIMIT: u64 = 5 * 1024 * 1024 * 1024;
/// S3's most parts per upload.
const MAX_PARTS: u64 = 10_000;

/// Characters kept as they are in `CopySource` (which is `bucket/key`, URL-encoded).
const COPY_SOURCE_KEEP: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// When to copy in parts, and how big the parts are.
#[derive(Clone, Copy, Debug)]
pub struct CopyPolicy {
    /// Objects larger than this are copied in parts.
    pub multipart_threshold: u64,
    /// Bytes per part (at least 5 MiB on S3, except the last; raised when an object would
    /// need more than 10,000 parts).
    pub part_size: u64,
}

impl Default for CopyPolicy {
    fn default() -> Self {
        CopyPolicy {
            multipart_threshold: SINGLE_COPY_LIMIT,
            part_size: 512 * 1024 * 1024,
        }
    }
}

/// Copies `state`'s object onto itself with `metadata` as its complete user metadata.
pub async fn copy_onto_itself(
    client: &Client,
    state: &ObjectState,
    metadata: HashMap<String, String>,
    policy: &CopyPolicy,
) -> Result<(), String> {
    let etag = state
        .head
        .etag
        .as_deref()
        .ok_or("the HEAD gave no ETag, so a safe copy is impossible")?;
    if state.head.content_length > policy.multipart_threshold {
        multipart_copy(client, state, metadata, etag, policy).await
    } else {
        single_copy(client, state, metadata, etag).await
    }
}

fn copy_source(bucket: &str, key: &str) -> String {
    format!("{bucket}/{}", utf8_percent_encode(key, COPY_SOURCE_KEEP))
}

async fn single_copy(
    client: &Client,
    state: &ObjectState,
    metadata: HashMap<String, String>,
    etag: &str,
) -> Result<(), String> {
    let (head, attrs) = (&state.head, &state.attributes);
    client
        .copy_object()
        .bucket(&head.bucket)
        .key(&head.key)
        .copy_source(copy_source(&head.bucket, &head.key))
        .copy_source_if_match(etag)
        .metadata_directive(MetadataDirective::Replace)
        .tagging_directive(TaggingDirective::Copy)
        .set_metadata(Some(metadata))
        .set_content_type(attrs.content_type.clone())
        .set_cache_control(attrs.cache_control.clone())
        .set_content_disposition(attrs.content_disposition.clone())
        .set_content_encoding(attrs.content_encoding.clone())
        .set_content_language(attrs.content_language.clone())
        .set_website_redirect_location(attrs.website_redirect_location.clone())
        .set_storage_class(attrs.storage_class.clone())
        .set_server_side_encryption(attrs.server_side_encryption.clone())
        .set_ssekms_key_id(attrs.kms().0)
        .set_bucket_key_enabled(attrs.kms().1)
        .send()
        .await
        .map_err(|e| sdk_message("copy", &e))?;
    Ok(())
}

async fn multipart_copy(
    client: &Client,
    state: &ObjectState,
    metadata: HashMap<String, String>,
    etag: &str,
    policy: &CopyPolicy,
) -> Result<(), String> {
    let (head, attrs) = (&state.head, &state.attributes);
    let tagging = object_tagging(client, &head.bucket, &head.key).await?;
    let created = client
        .create_multipart_upload()
        .bucket(&head.bucket)
        .key(&head.key)
        .set_metadata(Some(metadata))
        .set_tagging(tagging)
        .set_content_type(attrs.content_type.clone())
        .set_cache_control(attrs.cache_control.clone())
        .set_content_disposition(attrs.content_disposition.clone())
        .set_content_encoding(attrs.content_encoding.clone())
        .set_content_language(attrs.content_language.clone())
        .set_website_redirect_location(attrs.website_redirect_location.clone())
        .set_storage_class(attrs.storage_class.clone())
        .set_server_side_encryption(attrs.server_side_encryption.clone())
        .set_ssekms_key_id(attrs.kms().0)
        .set_bucket_key_enabled(attrs.kms().1)
        .send()
        .await
        .map_err(|e| sdk_message("start multipart copy", &e))?;
    let upload_id = created.upload_id().ok_or("no upload id")?.to_owned();
    let result = copy_parts(client, state, etag, policy, &upload_id).await;
    if result.is_err() {
        // Best effort: an upload left open costs storage until a lifecycle rule or a later
        // abort removes it; the copy's own error is the one worth reporting.
        let _ = client
            .abort_multipart_upload()
            .bucket(&head.bucket)
            .key(&head.key)
            .upload_id(&upload_id)
            .send()
            .await;
    }
    result
}

async fn copy_parts(
    client: &Client,
    state: &ObjectState,
    etag: &str,
    policy: &CopyPolicy,
    upload_id: &str,
) -> Result<(), String> {
    let head = &state.head;
    let parts = part_ranges(head.content_length, policy.part_size);
    let mut completed = Vec::with_capacity(parts.len());
    for (index, (start, end)) in parts.into_iter().enumerate() {
        let number = index as i32 + 1;
        let out = client
            .upload_part_copy()
            .bucket(&head.bucket)
            .key(&head.key)
            .upload_id(upload_id)
            .part_number(number)
            .copy_source(copy_source(&head.bucket, &head.key))
            .copy_source_range(format!("bytes={start}-{end}"))
            .copy_source_if_match(etag)
            .send()
            .await
            .map_err(|e| sdk_message(&format!("copy part {number}"), &e))?;
        let part_etag = out
            .copy_part_result()
            .and_then(|r| r.e_tag())
            .map(str::to_owned);
        completed.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(part_etag)
                .build(),
        );
    }
    client
        .complete_multipart_upload()
        .bucket(&head.bucket)
        .key(&head.key)
        .upload_id(upload_id)
        .if_match(etag)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .map_err(|e| sdk_message("complete multipart copy", &e))?;
    Ok(())
}

/// The object's tags as the `x-amz-tagging` header wants them (`k=v&k2=v2`, URL-encoded);
/// `None` when it has none.
async fn object_tagging(
    client: &Client,
    bucket: &str,
    key: &str,
) -> Result<Option<String>, String> {
    let out = client
        .get_object_tagging()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| sdk_message("read tags", &e))?;
    let encode = |s: &str| utf8_percent_encode(s, NON_ALPHANUMERIC).to_string();
    let pairs: Vec<String> = out
        .tag_set()
        .iter()
        .map(|tag: &Tag| format!("{}={}", encode(tag.key()), encode(tag.value())))
        .collect();
    Ok((!pairs.is_empty()).then(|| pairs.join("&")))
}

/// Inclusive byte ranges covering `len` bytes in parts of `part_size`, grown so that no
/// more than 10,000 parts are needed.
pub(crate) fn part_ranges(len: u64, part_size: u64) -> Vec<(u64, u64)> {
    let size = part_size.max(len.div_ceil(MAX_PARTS)).max(1);
    (0..len.div_ceil(size))
        .map(|i| (i * size, ((i + 1) * size).min(len) - 1))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_cover_the_object_exactly_within_the_part_limit() {
        assert_eq!(part_ranges(10, 4), vec![(0, 3), (4, 7), (8, 9)]);
        assert_eq!(part_ranges(8, 4), vec![(0, 3), (4, 7)]);
        assert_eq!(part_ranges(3, 4), vec![(0, 2)]);
        let huge = 6 * 1024 * 1024 * 1024 * 1024u64;
        let parts = part_ranges(huge, 5 << 20);
        assert!(parts.len() as u64 <= MAX_PARTS);
        assert_eq!(parts.last().unwrap().1, huge - 1);
        assert!(parts.windows(2).all(|w| w[0].1 + 1 == w[1].0));
    }

    #[test]
    fn copy_source_encodes_the_key_but_not_its_slashes() {
        assert_eq!(copy_source("b", "a dir/x+y.tif"), "b/a%20dir/x%2By.tif");
        assert_eq!(copy_source("b", "é.tif"), "b/%C3%A9.tif");
    }
}
