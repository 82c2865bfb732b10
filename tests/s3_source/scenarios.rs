//! The scenarios of `tests/s3_source/main.rs`. Each uses its own objects and a fresh reading
//! store (so a fresh block cache and fresh counters), and checks request counts both with
//! the source's own counters and with the proxy's log of what crossed the wire.

use super::{noise, Fixture, BLOCK};
use aws_sdk_s3::types::MetadataDirective;
use std::sync::{Arc, Barrier};
use tessera::source::*;

/// The Range header values of the GETs of `key` the proxy forwarded, in order.
fn get_ranges(fx: &Fixture, key: &str) -> Vec<String> {
    let gets = fx.proxy.requests("GET", key);
    gets.iter()
        .map(|line| line.rsplit(' ').next().unwrap().to_owned())
        .collect()
}

fn range(first_block: u64, last_block: u64) -> String {
    format!(
        "bytes={}-{}",
        first_block * BLOCK,
        (last_block + 1) * BLOCK - 1
    )
}

pub(crate) fn head_reports_size_etag_and_metadata(fx: &Fixture) {
    let meta = [("width", "4000"), ("height", "3000"), ("tilesize", "512")];
    let etag = fx.put("meta.tif", &noise(1000, 1), &meta);
    let store = fx.reader();
    let head = fx.head(&store, "meta.tif").unwrap();
    assert_eq!(head.content_length, 1000);
    assert_eq!(head.etag.as_deref(), Some(etag.as_str()));
    assert!(etag.starts_with('"'), "S3 quotes ETags: {etag}");
    assert!(head.last_modified.is_some());
    assert_eq!(head.metadata.get("width").map(String::as_str), Some("4000"));
    let facts = MetaFacts {
        width: 4000,
        height: 3000,
        pages: None,
        tile_width: Some(512),
        tile_height: Some(512),
        levels: None,
        directories: None,
    };
    assert_eq!(metadata_dimensions(&head.metadata), Some(facts));
    let source = store.open(&head);
    let identity = format!("s3://{}/meta.tif#{}", fx.bucket, etag.trim_matches('"'));
    assert_eq!(source.identity(), identity);

    // serverless-iiif's create-metadata copies the object onto itself, replacing metadata.
    let copy = fx
        .admin()
        .client()
        .copy_object()
        .bucket(&fx.bucket)
        .key("meta.tif");
    let copy = copy
        .copy_source(format!("{}/meta.tif", fx.bucket))
        .metadata_directive(MetadataDirective::Replace)
        .metadata("iiif-width", "10")
        .metadata("iiif-height", "20")
        .metadata("iiif-pages", "3")
        .metadata("iiif-tilewidth", "256");
    fx.runtime.block_on(copy.send()).unwrap();
    let head = fx.head(&store, "meta.tif").unwrap();
    let facts = MetaFacts {
        width: 10,
        height: 20,
        pages: Some(3),
        tile_width: Some(256),
        tile_height: None,
        levels: None,
        directories: None,
    };
    assert_eq!(metadata_dimensions(&head.metadata), Some(facts));
    assert_eq!(store.stats().requests, 2);
    assert_eq!(fx.proxy.requests("HEAD", "/meta.tif").len(), 2);
}

pub(crate) fn reads_return_the_uploaded_bytes_with_few_gets(fx: &Fixture) {
    let body = noise((4 << 20) + 12345, 2);
    fx.put("big.bin", &body, &[]);
    let store = fx.reader();
    let source = store.open(&fx.head(&store, "big.bin").unwrap());
    assert_eq!(source.len(), body.len() as u64);

    // The same range twice: one GET of the block that holds it.
    assert_eq!(source.read_at(1000, 100).unwrap(), body.slice(1000..1100));
    assert_eq!(source.read_at(1000, 100).unwrap(), body.slice(1000..1100));
    assert_eq!(get_ranges(fx, "/big.bin"), [range(0, 0)]);
    assert_eq!(
        source.stats(),
        TransferStats {
            requests: 1,
            bytes: BLOCK
        }
    );

    // Across the boundary of two missing blocks: one GET of both.
    let at = 3 * BLOCK - 10;
    assert_eq!(
        source.read_at(at, 20).unwrap(),
        body.slice(at as usize..at as usize + 20)
    );
    assert_eq!(get_ranges(fx, "/big.bin")[1..], [range(2, 3)]);

    // Blocks 1..=4 with 2 and 3 cached: two GETs, one each side.
    let (at, len) = (BLOCK + 5, 4 * BLOCK as usize - 10);
    assert_eq!(
        source.read_at(at, len).unwrap(),
        body.slice(at as usize..at as usize + len)
    );
    assert_eq!(get_ranges(fx, "/big.bin")[2..], [range(1, 1), range(4, 4)]);
    assert_eq!(
        source.stats(),
        TransferStats {
            requests: 4,
            bytes: 5 * BLOCK
        }
    );

    let end = body.len() as u64;
    for (at, len) in [(2 << 20, 300_000), (end - 50, 100), (0, body.len())] {
        let want = body.slice(at as usize..(at as usize + len).min(body.len()));
        assert_eq!(source.read_at(at, len).unwrap(), want, "{at}+{len}");
    }
    assert!(source.read_at(end, 10).unwrap().is_empty());
    let gets = get_ranges(fx, "/big.bin").len() as u64;
    assert_eq!(source.stats().requests, gets);
    assert_eq!(store.cache().stats().fetches, gets);
    assert_eq!(
        source.stats().bytes,
        end,
        "every byte was fetched exactly once"
    );
}

pub(crate) fn concurrent_cold_reads_cause_one_get(fx: &Fixture) {
    let body = noise(1 << 20, 3);
    fx.put("concurrent.bin", &body, &[]);
    let store = fx.reader();
    let source = store.open(&fx.head(&store, "concurrent.bin").unwrap());
    let at = 5 * BLOCK as usize + 7;
    let start = Barrier::new(32);
    std::thread::scope(|scope| {
        for _ in 0..32 {
            scope.spawn(|| {
                start.wait();
                assert_eq!(
                    source.read_at(at as u64, 1000).unwrap(),
                    body.slice(at..at + 1000)
                );
            });
        }
    });
    assert_eq!(get_ranges(fx, "/concurrent.bin"), [range(5, 5)]);
    assert_eq!(source.stats().requests, 1);
    let stats = store.cache().stats();
    assert_eq!((stats.fetches, stats.hits + stats.misses), (1, 32));
}

pub(crate) fn missing_objects_and_buckets_are_not_found(fx: &Fixture) {
    let store = fx.reader();
    let err = fx.head(&store, "no-such-key.tif").unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::NotFound, "{err}");

    // A bucket that does not exist: 404 (HEAD has no body; GET says NoSuchBucket). On AWS a
    // bucket that exists in another account answers 403 instead, which maps to Forbidden.
    let err = fx
        .runtime
        .block_on(store.head("tessera-no-such-bucket", "a.tif"))
        .unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::NotFound, "{err}");
    let head = ObjectHead {
        bucket: "tessera-no-such-bucket".into(),
        key: "a.jpg".into(),
        content_length: 10,
        etag: None,
        last_modified: None,
        content_type: None,
        metadata: Default::default(),
    };
    let parent = tempfile::tempdir().unwrap();
    let disk = WholeObjectCache::new(parent.path(), 1 << 20, 1).unwrap();
    let get = store.open_whole(&head, &disk);
    assert_eq!(
        fx.runtime.block_on(get).unwrap_err().kind(),
        SourceErrorKind::NotFound
    );

    // An object deleted after HEAD: the ranged GET gets NoSuchKey.
    fx.put("gone.bin", &noise(100, 4), &[]);
    let source = store.open(&fx.head(&store, "gone.bin").unwrap());
    let delete = fx
        .admin()
        .client()
        .delete_object()
        .bucket(&fx.bucket)
        .key("gone.bin");
    fx.runtime.block_on(delete.send()).unwrap();
    let err = source.read_at(0, 10).unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::NotFound, "{err}");
}

pub(crate) fn a_replaced_object_fails_instead_of_mixing_versions(fx: &Fixture) {
    let (old, new) = (noise(3 * BLOCK as usize, 5), noise(3 * BLOCK as usize, 6));
    fx.put("replaced.bin", &old, &[]);
    let store = fx.reader();
    let stale = store.open(&fx.head(&store, "replaced.bin").unwrap());
    assert_eq!(stale.read_at(0, 10).unwrap(), old.slice(0..10));
    fx.put("replaced.bin", &new, &[]);
    // A block cached under the old identity still serves the old version...
    assert_eq!(stale.read_at(0, 10).unwrap(), old.slice(0..10));
    // ...but a block not cached yet cannot come from the new one: If-Match refuses (412).
    let err = stale.read_at(2 * BLOCK, 10).unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::Replaced, "{err}");
    // A fresh HEAD names the new version, and its blocks are its own.
    let fresh = store.open(&fx.head(&store, "replaced.bin").unwrap());
    assert_ne!(fresh.identity(), stale.identity());
    assert_eq!(fresh.read_at(0, 10).unwrap(), new.slice(0..10));
}

pub(crate) fn whole_object_reads_and_unreachable_servers(fx: &Fixture) {
    let body = noise(200_000, 9);
    fx.put("whole.jpg", &body, &[]);
    let store = fx.reader();
    let head = fx.head(&store, "whole.jpg").unwrap();
    let parent = tempfile::tempdir().unwrap();
    let first = WholeObjectCache::new(parent.path(), 1 << 20, 1).unwrap();
    let got = fx
        .runtime
        .block_on(store.open_whole(&head, &first))
        .unwrap();
    assert_eq!(got.read_at(0, body.len()).unwrap(), body);
    assert_eq!(
        store.stats(),
        TransferStats {
            requests: 2,
            bytes: body.len() as u64
        },
        "a HEAD and one GET"
    );
    assert_eq!(fx.proxy.requests("GET", "/whole.jpg").len(), 1);

    // Eight concurrent first requests through another disk cache: one more GET, not eight.
    let disk = Arc::new(WholeObjectCache::new(parent.path(), 1 << 20, 1).unwrap());
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let (store, disk, head) = (store.clone(), Arc::clone(&disk), head.clone());
            fx.runtime
                .spawn(async move { store.open_whole(&head, &disk).await })
        })
        .collect();
    for open in opens {
        let object = fx.runtime.block_on(open).unwrap().unwrap();
        assert_eq!(object.read_at(0, body.len()).unwrap(), body);
    }
    assert_eq!(fx.proxy.requests("GET", "/whole.jpg").len(), 2);
    assert_eq!(disk.stats().fetches, 1);

    // Nothing listens on a fresh port: connection refused, retried, then Unavailable.
    let closed = format!("http://127.0.0.1:{}", super::common::s3::free_port());
    let err = fx.head(&fx.store(&closed), "whole.jpg").unwrap_err();
    assert_eq!(err.kind(), SourceErrorKind::Unavailable, "{err}");
}
