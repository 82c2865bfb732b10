//! The upload handler, `inspect` over S3, and the `tessera` binary's exit code and output.

use super::scenarios::expected;
use super::{Fixture, Upload};
use std::collections::HashMap;
use tessera::source::metadata_dimensions;
use tessera::tools::metadata::*;

pub fn the_upload_handler_skips_objects_that_carry_metadata(fx: &Fixture) {
    let facts = expected(fx, "pyramid.tif");
    let carried = merged(&HashMap::new(), &facts);
    let carried: Vec<(&str, &str)> = carried
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fx.put(
        "upload/new scan.tif",
        fx.image("pyramid.tif"),
        Upload::default(),
    );
    fx.put(
        "upload/done.tif",
        fx.image("pyramid.tif"),
        Upload {
            meta: &carried,
            dressed: false,
        },
    );
    let event = |name: &str, key: &str| {
        format!(
            r#"{{"Records":[{{"eventName":"{name}","s3":{{"bucket":{{"name":"{}"}},"object":{{"key":"{key}"}}}}}}]}}"#,
            fx.bucket
        )
    };
    let job = ObjectJob {
        store: fx.via_proxy.clone(),
        dry_run: false,
        policy: CopyPolicy::default(),
        trust_existing: true,
    };
    let handle = |json: String| {
        let records = parse_s3_event(&json).unwrap();
        let outcomes = fx.runtime.block_on(handle_records(&job, &records));
        outcomes.into_iter().map(|(_, o)| o).collect::<Vec<_>>()
    };
    let reads = |key: &str| fx.proxy.requests("GET", key).len();

    assert_eq!(
        handle(event("ObjectCreated:Put", "upload/done.tif")),
        [Outcome::Current]
    );
    assert_eq!(reads("upload/done.tif"), 0, "skipped on its HEAD alone");
    assert_eq!(
        handle(event("ObjectCreated:Put", "upload/new+scan.tif")),
        [Outcome::Written]
    );
    let meta = fx.head("upload/new scan.tif").head.metadata;
    assert_eq!(metadata_dimensions(&meta), Some(facts));
    // The handler's own copy raises ObjectCreated:Copy for the same key: one HEAD, no loop.
    let reads_before = reads("upload/new%20scan.tif");
    let copies_before = fx.puts_under("upload/");
    assert_eq!(
        handle(event("ObjectCreated:Copy", "upload/new+scan.tif")),
        [Outcome::Current]
    );
    assert_eq!(reads("upload/new%20scan.tif"), reads_before);
    assert_eq!(fx.puts_under("upload/"), copies_before);
    assert!(handle(event("ObjectRemoved:Delete", "upload/done.tif")).is_empty());

    // EventBridge: the key is tried as sent, then decoded when no such object exists.
    fx.put(
        "upload/eb scan.tif",
        fx.image("pyramid.tif"),
        Upload::default(),
    );
    let bridge = |key: &str| {
        format!(
            r#"{{"detail-type":"Object Created","source":"aws.s3","detail":{{"bucket":{{"name":"{}"}},"object":{{"key":"{key}"}},"reason":"PutObject"}}}}"#,
            fx.bucket
        )
    };
    assert_eq!(handle(bridge("upload/eb+scan.tif")), [Outcome::Written]);
    assert_eq!(handle(bridge("upload/eb scan.tif")), [Outcome::Current]);
}

pub fn inspect_reads_s3_objects_by_ranges(fx: &Fixture) {
    fx.put(
        "inspect/pyramid.tif",
        fx.image("pyramid.tif"),
        Upload::default(),
    );
    let head = fx
        .runtime
        .block_on(fx.via_proxy.head(&fx.bucket, "inspect/pyramid.tif"))
        .unwrap();
    let source = fx.via_proxy.open_exact(&head);
    let found = tessera::tools::inspect::inspect("s3 object", &source).unwrap();
    let text = found.to_string();
    assert!(
        text.contains("level 0: 1500x1000, tiles 256x256, JPEG, YCbCr"),
        "{text}"
    );
    let gets = fx.proxy.requests("GET", "inspect/pyramid.tif");
    assert!(!gets.is_empty() && gets.len() <= 8, "{gets:?}");
    assert!(
        gets.iter().all(|l| l.contains("bytes=")),
        "only ranged GETs: {gets:?}"
    );
}

pub fn the_binary_exits_non_zero_and_lists_failures(fx: &Fixture) {
    fx.put("cli/good.jpg", fx.image("photo.jpg"), Upload::default());
    fx.put(
        "cli/corrupt.tif",
        b"II*\0garbage".to_vec(),
        Upload::default(),
    );
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tessera"))
        .args([
            "create-metadata",
            &format!("s3://{}/cli/", fx.bucket),
            "--concurrency",
            "2",
        ])
        .env("TESSERA_S3_ENDPOINT", &fx.endpoint)
        .env("TESSERA_S3_PATH_STYLE", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "tessera-test")
        .env("AWS_SECRET_ACCESS_KEY", "tessera-test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_CONFIG_FILE", "/nonexistent")
        .env("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.starts_with("2 objects: 1 written, 0 already current (skipped), 1 failed"),
        "{stdout}"
    );
    assert!(stdout.contains("failed:\n  cli/corrupt.tif: "), "{stdout}");
    // Not a terminal: plain lines, one per object.
    assert!(stderr.contains("written cli/good.jpg\n"), "{stderr}");
    assert!(stderr.contains("FAILED cli/corrupt.tif: "), "{stderr}");
}
