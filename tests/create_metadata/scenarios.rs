//! The scenarios of `create_metadata.rs`, one per function, each in its own key prefix.

use super::{Fixture, Upload};
use aws_sdk_s3::types::{ServerSideEncryption, StorageClass};
use std::collections::HashMap;
use tessera::source::{metadata_dimensions, FileStore, MetaFacts};
use tessera::tiff::read_facts;
use tessera::tools::metadata::*;

/// What `create-metadata` should record for a local test image, from our own reader.
fn expected(fx: &Fixture, name: &str) -> MetaFacts {
    let store = FileStore::new(fx.images.path(), "").unwrap();
    facts_to_record(&read_facts(&store.open(name).unwrap()).unwrap()).unwrap()
}

pub fn writes_readable_metadata_and_keeps_every_attribute(fx: &Fixture) {
    let stale = [("owner", "library"), ("width", "1"), ("Note", "kept")];
    let dressed = Upload {
        meta: &stale,
        dressed: true,
    };
    fx.put("keep/pyramid.tif", fx.image("pyramid.tif"), dressed);
    for name in ["subifd.tif", "photo.jpg", "plan.png"] {
        fx.put(&format!("keep/{name}"), fx.image(name), Upload::default());
    }
    let summary = fx.run(&fx.options("keep/"));
    assert_eq!((summary.objects, summary.written), (4, 4), "{summary}");
    assert!(summary.succeeded() && summary.current == 0, "{summary}");

    let pyramid = expected(fx, "pyramid.tif");
    assert!(
        pyramid.pages.unwrap() >= 3 && pyramid.tile_width == Some(256),
        "{pyramid:?}"
    );
    let cases = [
        ("pyramid.tif", pyramid),
        (
            "subifd.tif",
            MetaFacts {
                pages: Some(1),
                ..pyramid
            },
        ),
        (
            "photo.jpg",
            MetaFacts {
                width: 640,
                height: 480,
                pages: Some(1),
                tile_width: None,
                tile_height: None,
            },
        ),
        (
            "plan.png",
            MetaFacts {
                width: 300,
                height: 200,
                pages: Some(1),
                tile_width: None,
                tile_height: None,
            },
        ),
    ];
    for (name, want) in cases {
        assert_eq!(expected(fx, name), want, "our reader agrees on {name}");
        let state = fx.head(&format!("keep/{name}"));
        let meta = &state.head.metadata;
        assert_eq!(metadata_dimensions(meta), Some(want), "{name}: {meta:?}");
        assert_eq!(meta["iiif-width"], want.width.to_string(), "{name}");
        assert_eq!(
            fx.body(&format!("keep/{name}")),
            fx.image(name),
            "{name}: bytes unchanged"
        );
    }

    let state = fx.head("keep/pyramid.tif");
    let (meta, attrs) = (&state.head.metadata, &state.attributes);
    assert_eq!(meta["owner"], "library");
    assert_eq!(meta["note"], "kept", "{meta:?}");
    assert!(
        !meta.contains_key("width"),
        "the stale plain key is replaced: {meta:?}"
    );
    assert_eq!(meta["iiif-tilewidth"], "256");
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
    let tags = fx.tags("keep/pyramid.tif");
    assert_eq!(tags.get("project").map(String::as_str), Some("atlas"));
    assert_eq!(tags.get("stage").map(String::as_str), Some("raw scan"));
}

pub fn a_rerun_copies_nothing(fx: &Fixture) {
    let copies_before = fx.puts_under("keep/");
    assert!(
        copies_before >= 4,
        "the first run's copies crossed the proxy"
    );
    let summary = fx.run(&fx.options("keep/"));
    assert_eq!((summary.written, summary.current), (0, 4), "{summary}");
    assert_eq!(fx.puts_under("keep/"), copies_before, "no copy on the wire");
    assert!(
        summary.to_string().contains("4 already current (skipped)"),
        "{summary}"
    );
}

pub fn a_dry_run_writes_nothing(fx: &Fixture) {
    fx.put(
        "dry/pyramid.tif",
        fx.image("pyramid.tif"),
        Upload::default(),
    );
    fx.put("dry/photo.jpg", fx.image("photo.jpg"), Upload::default());
    let mut options = fx.options("dry/");
    options.dry_run = true;
    let summary = fx.run(&options);
    assert_eq!((summary.would_write, summary.written), (2, 0), "{summary}");
    assert!(summary.to_string().contains("2 would be written (dry run)"));
    assert_eq!(fx.puts_under("dry/"), 0, "no copy on the wire");
    assert!(metadata_dimensions(&fx.head("dry/pyramid.tif").head.metadata).is_none());
}

pub fn filters_and_the_single_object_form(fx: &Fixture) {
    for key in ["filter/a.tif", "filter/skip/c.tif"] {
        fx.put(key, fx.image("pyramid.tif"), Upload::default());
    }
    fx.put("filter/b.jpg", fx.image("photo.jpg"), Upload::default());
    let mut options = fx.options("filter/");
    options.filter = KeyFilter::new(&["**/*.tif".into()], &["filter/skip/**".into()]).unwrap();
    let summary = fx.run(&options);
    assert_eq!((summary.objects, summary.written), (1, 1), "{summary}");
    assert!(metadata_dimensions(&fx.head("filter/a.tif").head.metadata).is_some());
    assert!(metadata_dimensions(&fx.head("filter/skip/c.tif").head.metadata).is_none());

    let mut single = fx.options("filter/b.jpg");
    single.single_object = true;
    let summary = fx.run(&single);
    assert_eq!((summary.objects, summary.written), (1, 1), "{summary}");
    assert!(metadata_dimensions(&fx.head("filter/b.jpg").head.metadata).is_some());
}

pub fn missing_and_corrupt_objects_fail_while_the_rest_complete(fx: &Fixture) {
    let pyramid = fx.image("pyramid.tif");
    fx.put("bad/good.tif", pyramid.clone(), Upload::default());
    fx.put(
        "bad/garbage.tif",
        b"not an image at all".repeat(50),
        Upload::default(),
    );
    fx.put(
        "bad/truncated.tif",
        pyramid[..200].to_vec(),
        Upload::default(),
    );
    let mut options = fx.options("bad/");
    options.concurrency = 3;
    let summary = fx.run(&options);
    assert_eq!((summary.objects, summary.written), (3, 1), "{summary}");
    let failed: Vec<&str> = summary.failures.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        failed,
        ["bad/garbage.tif", "bad/truncated.tif"],
        "{summary}"
    );
    assert!(!summary.succeeded());
    assert!(summary
        .to_string()
        .contains("failed:\n  bad/garbage.tif: not a readable image"));

    let mut missing = fx.options("bad/missing.tif");
    missing.single_object = true;
    let summary = fx.run(&missing);
    assert_eq!(summary.failures.len(), 1, "{summary}");
    assert!(summary.failures[0].1.contains("not found"), "{summary}");
}

/// Every copy request carries the ETag the HEAD saw as its condition, so S3 refuses a copy
/// of an object overwritten since (412) instead of restoring the old bytes. moto 5.2 does
/// not evaluate these conditions (it checks only `x-amz-copy-source-if-none-match`), so
/// the refusal itself cannot be observed here; what is checked is that every write of a
/// copy, single or in parts, asks for it with the right ETag.
pub fn a_copy_racing_an_overwrite_is_refused(fx: &Fixture) {
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
