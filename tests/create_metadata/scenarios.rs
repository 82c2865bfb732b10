//! The scenarios of `create_metadata/main.rs`, one per function, each in its own key prefix.

use super::{Fixture, Upload};
use aws_sdk_s3::types::{ServerSideEncryption, StorageClass};
use tessera::facts::read_facts;
use tessera::source::{metadata_dimensions, FileStore, MetaFacts};
use tessera::tools::metadata::*;

/// What `create-metadata` should record for a local test image, from our own reader.
pub fn expected(fx: &Fixture, name: &str) -> MetaFacts {
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
    // Where each level's directory is, one per level, for a cold tile to read alone.
    for name in ["pyramid.tif", "subifd.tif"] {
        let facts = expected(fx, name);
        let directories = facts.directories.expect("a TIFF's directories");
        assert_eq!(
            directories.offsets.len(),
            facts.levels.unwrap().len(),
            "{name}"
        );
    }
    let cases = [
        ("pyramid.tif", pyramid.clone()),
        (
            "subifd.tif",
            MetaFacts {
                pages: Some(1),
                // The same levels, stored elsewhere (SubIFDs).
                directories: expected(fx, "subifd.tif").directories,
                ..pyramid.clone()
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
                levels: Some(vec![(640, 480)]),
                directories: None,
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
                levels: Some(vec![(300, 200)]),
                directories: None,
            },
        ),
    ];
    for (name, want) in cases {
        assert_eq!(expected(fx, name), want, "our reader agrees on {name}");
        let state = fx.head(&format!("keep/{name}"));
        let meta = &state.head.metadata;
        assert_eq!(
            metadata_dimensions(meta),
            Some(want.clone()),
            "{name}: {meta:?}"
        );
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
