//! The copy itself: conditional on the ETag that was read, and in parts for large objects.

use super::scenarios::expected;
use super::{Fixture, Upload};
use aws_sdk_s3::types::{ServerSideEncryption, StorageClass};
use tessera::source::metadata_dimensions;
use tessera::tools::metadata::*;

/// Every copy request carries the ETag the HEAD saw as its condition, so S3 refuses a copy
/// of an object overwritten since (412) instead of restoring the old bytes. moto 5.2 does
/// not evaluate these conditions (it checks only `x-amz-copy-source-if-none-match`), so
/// the refusal itself cannot be observed here; what is checked is that every write of a
/// copy, single or in parts, asks for it with the right ETag.
pub fn every_copy_is_conditional_on_the_etag_that_was_read(fx: &Fixture) {
    let facts = expected(fx, "pyramid.tif");
    let small_parts = CopyPolicy {
        multipart_threshold: 0,
        part_size: 5 << 20,
    };
    for (key, policy) in [
        ("race/single.tif", CopyPolicy::default()),
        ("race/parts.tif", small_parts),
    ] {
        fx.put(key, fx.image("pyramid.tif"), Upload::default());
        let seen = fx.head(key);
        let old_etag = seen.head.etag.clone().unwrap();
        fx.put(key, fx.image("photo.jpg"), Upload::default());
        assert_ne!(fx.head(key).head.etag.unwrap(), old_etag);
        let metadata = merged(&seen.head.metadata, &facts);
        let copy = copy::copy_onto_itself(fx.via_proxy.client(), &seen, metadata, &policy);
        let _ = fx.runtime.block_on(copy);
        let conditions = fx
            .proxy
            .header_values("PUT", key, "x-amz-copy-source-if-match");
        assert!(!conditions.is_empty(), "{key}: a copy was sent");
        for condition in conditions {
            assert_eq!(condition.as_deref(), Some(old_etag.as_str()), "{key}");
        }
    }
    let completions = fx.proxy.header_values("POST", "race/parts.tif", "if-match");
    let old_parts_etag = completions.iter().flatten().count();
    assert_eq!(
        old_parts_etag, 1,
        "the completion is conditional too: {completions:?}"
    );
}

pub fn large_objects_are_copied_in_parts_keeping_everything(fx: &Fixture) {
    // A TIFF is read from its header and directories, so bytes appended after them change
    // nothing but the size: 11 MiB, three parts of at least 5 MiB as S3 requires.
    let mut body = fx.image("pyramid.tif");
    body.resize(11 << 20, 0x5A);
    fx.put(
        "big/large.tif",
        body.clone(),
        Upload {
            meta: &[("owner", "library")],
            dressed: true,
        },
    );
    let mut options = fx.options("big/");
    options.policy = CopyPolicy {
        multipart_threshold: 5 << 20,
        part_size: 5 << 20,
    };
    let summary = fx.run(&options);
    assert_eq!(summary.written, 1, "{summary}");
    let parts = fx.proxy.requests("PUT", "big/large.tif");
    let part_copies = parts.iter().filter(|l| l.contains("partNumber=")).count();
    assert_eq!(part_copies, 3, "{parts:?}");

    let state = fx.head("big/large.tif");
    let (meta, attrs) = (&state.head.metadata, &state.attributes);
    assert_eq!(metadata_dimensions(meta), Some(expected(fx, "pyramid.tif")));
    assert_eq!(meta["owner"], "library");
    assert_eq!(attrs.content_type.as_deref(), Some("image/tiff"));
    assert_eq!(attrs.cache_control.as_deref(), Some("public, max-age=60"));
    assert_eq!(
        attrs.content_disposition.as_deref(),
        Some("inline; filename=\"scan.tif\"")
    );
    assert_eq!(attrs.content_encoding.as_deref(), Some("identity"));
    assert_eq!(attrs.content_language.as_deref(), Some("de"));
    assert_eq!(attrs.storage_class, Some(StorageClass::StandardIa));
    assert_eq!(
        attrs.server_side_encryption,
        Some(ServerSideEncryption::Aes256)
    );
    assert_eq!(
        fx.tags("big/large.tif").get("project").map(String::as_str),
        Some("atlas")
    );
    assert!(
        fx.body("big/large.tif") == body,
        "the bytes survive the part copy"
    );
}

/// SSE-KMS objects keep their key and bucket-key setting (left out, the bucket default
/// would silently re-encrypt them under another key).
pub fn sse_kms_settings_survive_the_copy(fx: &Fixture) {
    let key_id = "arn:aws:kms:us-east-1:123456789012:key/tessera-test";
    let put = fx
        .admin
        .client()
        .put_object()
        .bucket(&fx.bucket)
        .key("kms/scan.tif")
        .server_side_encryption(ServerSideEncryption::AwsKms)
        .ssekms_key_id(key_id)
        .bucket_key_enabled(true)
        .body(fx.image("pyramid.tif").into());
    fx.runtime.block_on(put.send()).unwrap();
    let summary = fx.run(&fx.options("kms/"));
    assert_eq!(summary.written, 1, "{summary}");
    let attrs = fx.head("kms/scan.tif").attributes;
    assert_eq!(
        attrs.server_side_encryption,
        Some(ServerSideEncryption::AwsKms)
    );
    assert_eq!(attrs.ssekms_key_id.as_deref(), Some(key_id));
    assert_eq!(attrs.bucket_key_enabled, Some(true));
}
