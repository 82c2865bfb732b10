//! The whole service over a real S3-compatible server (moto on loopback), with every S3
//! request counted twice: by the store's own counters and by a counting TCP proxy between
//! Tessera and the server. The object is a 30000x20000 JPEG-Q85 BigTIFF pyramid with 512 px
//! tiles (`scripts/make-large-pyramid`, made once and reused); a tile must cost a few
//! ranged GETs, never a download.

mod common;

use common::s3::Stage;
use common::{app_s3, header};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use tessera::config::Config;
use tessera::source::S3Store;

const PYRAMID_DIRECTORIES: usize = 7;

fn large_pyramid() -> Vec<u8> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/make-large-pyramid");
    let out = Command::new(script)
        .output()
        .expect("scripts/make-large-pyramid");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(String::from_utf8(out.stdout).unwrap().trim()).unwrap()
}

async fn store(endpoint: &str) -> S3Store {
    common::s3::test_store(endpoint, 64 * 1024, 256 << 20).await
}

async fn put(admin: &S3Store, bucket: &str, key: &str, body: Vec<u8>, meta: &[(&str, &str)]) {
    let mut put = admin.client().put_object().bucket(bucket).key(key);
    for (k, v) in meta {
        put = put.metadata(*k, *v);
    }
    put.body(body.into()).send().await.unwrap();
}

#[test]
fn tiles_from_s3_cost_a_few_ranged_gets() {
    let pyramid = large_pyramid();
    let size = pyramid.len() as u64;
    let stage = Stage::start("tessera-service");
    let (runtime, proxy, bucket) = (&stage.runtime, &stage.proxy, &stage.bucket);
    runtime.block_on(async {
        let admin = &stage.admin;
        // What `create-metadata` writes: size, tile size and the seven stored levels.
        let levels = "30000x20000,15000x10000,7500x5000,3750x2500,1875x1250,937x625,468x312";
        let meta = [
            ("width", "30000"),
            ("height", "20000"),
            ("tilewidth", "512"),
            ("iiif-levels", levels),
        ];
        put(admin, bucket, "meta/huge.tif", pyramid.clone(), &meta).await;
        // serverless-iiif's keys alone say nothing of the levels.
        put(admin, bucket, "sizes/huge.tif", pyramid.clone(), &meta[..3]).await;
        put(admin, bucket, "plain/huge.tif", pyramid, &[]).await;
        let jpeg = std::fs::read(common::fixture_dir().path().join("quad.jpg")).unwrap();
        put(admin, bucket, "photo.jpg", jpeg, &[]).await;
    });
    let reader = runtime.block_on(store(&proxy.endpoint));
    let counters = reader.clone();
    let app =
        runtime.block_on(async { app_s3(reader, |c: &mut Config| c.bucket = bucket.clone()) });
    let get = |path: &str| runtime.block_on(common::get(&app, path, &[]));
    // S3 GETs and bytes summed over every request's own meter, from GET /metrics.
    let metered = || {
        let text = String::from_utf8(get("/metrics").body().to_vec()).unwrap();
        let value = |name: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.trim().parse().ok())
                .unwrap_or_else(|| panic!("{name} in\n{text}"))
        };
        (
            value("tessera_s3_requests_total "),
            value("tessera_s3_received_bytes_total "),
        )
    };
    let since = |before: (u64, u64), after: (u64, u64)| (after.0 - before.0, after.1 - before.1);

    // info.json from metadata: one HEAD, no GET.
    let resp = get("/iiif/3/meta%2Fhuge.tif/info.json");
    assert_eq!(resp.status(), 200);
    assert_eq!(proxy.requests("HEAD", "meta/huge.tif").len(), 1);
    assert_eq!(proxy.requests("GET", "meta/huge.tif").len(), 0);
    let from_meta = resp.body().clone();

    // Metadata without levels: the directories are walked, and the answer is the same.
    let resp = get("/iiif/3/sizes%2Fhuge.tif/info.json");
    assert_eq!(resp.status(), 200);
    let walk_gets = proxy.requests("GET", "sizes/huge.tif").len();
    assert!(
        (1..=PYRAMID_DIRECTORIES + 2).contains(&walk_gets),
        "{walk_gets}"
    );
    let same = String::from_utf8_lossy(resp.body()).replace("sizes%2F", "meta%2F");
    assert_eq!(same, String::from_utf8_lossy(&from_meta));

    // info.json without metadata: the directories, each in a block the render reuses.
    let before = counters.stats();
    let resp = get("/iiif/3/plain%2Fhuge.tif/info.json");
    assert_eq!(resp.status(), 200);
    let info: serde_json::Value = serde_json::from_slice(resp.body()).unwrap();
    assert_eq!(
        (info["width"].as_u64(), info["height"].as_u64()),
        (Some(30000), Some(20000))
    );
    // Seven stored levels; the two wider than maxWidth (10000) are not offered as sizes.
    assert_eq!(
        info["sizes"].as_array().unwrap().len(),
        PYRAMID_DIRECTORIES - 2
    );
    let walk = counters.stats().bytes - before.bytes;
    let walk_gets = proxy.requests("GET", "plain/huge.tif").len();
    assert!(
        walk_gets <= PYRAMID_DIRECTORIES + 2,
        "{walk_gets} GETs for info.json"
    );
    let blocks = (PYRAMID_DIRECTORIES as u64 + 2) * 2 * 64 * 1024;
    assert!(walk <= blocks, "{walk} bytes for info.json");

    // A cold full-resolution tile after the walk (one stored tile): its array entries
    // and tables, read together beside the cached directory, and the tile. Under 1%.
    let before = counters.stats();
    let metered_before = metered();
    let resp = get("/iiif/3/plain%2Fhuge.tif/15360,10240,512,512/max/0/default.jpg");
    assert_eq!(resp.status(), 200, "{:?}", resp.body());
    let cold = counters.stats();
    let (cold_gets, cold_bytes) = (cold.requests - before.requests, cold.bytes - before.bytes);
    // The request's own meter saw every GET, those made on libvips' worker threads too.
    let metered_cold = since(metered_before, metered());
    assert_eq!(metered_cold, (cold_gets, cold_bytes), "a tile served alone");
    assert!(
        cold_bytes * 100 < size,
        "cold tile read {cold_bytes} of {size} bytes"
    );
    assert!(
        cold_gets <= 2,
        "{cold_gets} GETs for a stored tile after the walk"
    );
    // A rendered tile (off the grid) of the walked level: the walk's blocks serve the
    // directories libvips reads again; only its arrays and pixels are new.
    let before = counters.stats();
    let resp = get("/iiif/3/plain%2Fhuge.tif/100,100,512,512/max/0/default.jpg");
    assert_eq!(resp.status(), 200);
    let rendered_gets = counters.stats().requests - before.requests;
    assert!(
        rendered_gets <= 4,
        "{rendered_gets} GETs for a cold rendered tile"
    );
    let settled = counters.stats();

    // The same tile again and its neighbour: at most two GETs together.
    get("/iiif/3/plain%2Fhuge.tif/15360,10240,512,512/max/0/default.jpg");
    get("/iiif/3/plain%2Fhuge.tif/15872,10240,512,512/max/0/default.jpg");
    let warm_gets = counters.stats().requests - settled.requests;
    assert!(
        warm_gets <= 2,
        "{warm_gets} GETs for a repeated tile and a neighbour"
    );

    // 32 concurrent cold tiles of one level of an object never read before: the HEAD,
    // the walk and the shared blocks are fetched once, not 32 times.
    let before = counters.stats();
    let metered_before = metered();
    let statuses = runtime.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..32u32 {
            let (app, x, y) = (Arc::clone(&app), (i % 8) * 2048, (i / 8) * 2048);
            let path = format!("/iiif/3/meta%2Fhuge.tif/{x},{y},2048,2048/512,512/0/default.jpg");
            tasks.push(tokio::spawn(async move {
                common::get(&app, &path, &[]).await.status()
            }));
        }
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap().as_u16());
        }
        statuses
    });
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let burst_gets = counters.stats().requests - before.requests;
    // Under concurrency every GET is still credited to exactly one request.
    let burst_bytes = counters.stats().bytes - before.bytes;
    let metered_burst = since(metered_before, metered());
    assert_eq!(metered_burst, (burst_gets, burst_bytes), "a burst, summed");
    // The HEAD and the walk once, then at most one block per tile (each 512 px answer
    // is one stored tile of the level at factor 4): not 32 HEADs and walks.
    let shared = 1 + PYRAMID_DIRECTORIES as u64 + 2;
    assert!(
        burst_gets <= shared + 32,
        "{burst_gets} GETs for 32 cold tiles; one cold tile took {cold_gets}"
    );
    assert_eq!(
        proxy.requests("HEAD", "meta/huge.tif").len(),
        1,
        "HEAD cached"
    );

    // A JPEG is downloaded whole, once, however many requests want it at the same time.
    let statuses = runtime.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..10u32 {
            let app = Arc::clone(&app);
            let path = format!("/iiif/3/photo.jpg/{},0,100,100/max/0/default.jpg", i * 50);
            tasks.push(tokio::spawn(
                async move { common::get(&app, &path, &[]).await },
            ));
        }
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap());
        }
        out
    });
    assert!(statuses.iter().all(|r| r.status() == 200));
    let whole: Vec<_> = proxy
        .requests("GET", "photo.jpg")
        .into_iter()
        .filter(|line| !line.contains("bytes="))
        .collect();
    assert_eq!(whole.len(), 1, "whole-object GETs: {whole:?}");

    // Errors from S3: a missing key is 404 and never cacheable.
    let missing = get("/iiif/3/nothing.tif/info.json");
    assert_eq!(missing.status(), 404);
    assert_eq!(header(&missing, "cache-control"), "no-store");
    eprintln!(
        "S3 counts: info walk {walk_gets} GETs/{walk} B; cold tile {cold_gets} GETs/{cold_bytes} B \
         of {size}; cold rendered tile {rendered_gets} GETs; warm+neighbour {warm_gets} GETs; \
         32-tile burst {burst_gets} GETs"
    );
}

/// What `create-metadata` writes for `bytes`, every key.
fn recorded(bytes: &[u8]) -> std::collections::HashMap<String, String> {
    use tessera::tools::metadata::{facts_to_record, merged};
    let source = tessera::source::MemorySource::new(bytes.to_vec(), "recorded");
    let info = tessera::facts::read_facts(&source).unwrap();
    merged(&Default::default(), &facts_to_record(&info).unwrap())
}

#[test]
fn recorded_directories_make_a_cold_tile_the_head_its_directory_and_the_tile() {
    let pyramid = large_pyramid();
    let stage = Stage::start("tessera-lone");
    let (runtime, proxy, bucket) = (&stage.runtime, &stage.proxy, &stage.bucket);
    let meta = recorded(&pyramid);
    let directories = meta["iiif-directories"].clone();
    assert!(directories.starts_with("II43:"), "{directories}");
    // Offsets one level off: each names another level's directory.
    let (kind, list) = directories.split_once(':').unwrap();
    let mut offsets: Vec<&str> = list.split(',').collect();
    offsets.rotate_left(1);
    let mut shifted = meta.clone();
    shifted.insert(
        "iiif-directories".into(),
        format!("{kind}:{}", offsets.join(",")),
    );
    // Levels that stop early (hand-edited): planning from them would pick other levels.
    let mut short = meta.clone();
    short.insert("iiif-levels".into(), "30000x20000,15000x10000".into());
    let first_two: Vec<&str> = list.split(',').take(2).collect();
    short.insert(
        "iiif-directories".into(),
        format!("{kind}:{}", first_two.join(",")),
    );
    runtime.block_on(async {
        let admin = &stage.admin;
        let pairs = |m: &std::collections::HashMap<String, String>| -> Vec<(String, String)> {
            m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        for (key, m) in [
            ("dirs.tif", &meta),
            ("shifted.tif", &shifted),
            ("short.tif", &short),
        ] {
            let m = pairs(m);
            let m: Vec<(&str, &str)> = m.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            put(admin, bucket, key, pyramid.clone(), &m).await;
        }
        put(admin, bucket, "plain.tif", pyramid, &[]).await;
    });
    let reader = runtime.block_on(store(&proxy.endpoint));
    let app =
        runtime.block_on(async { app_s3(reader, |c: &mut Config| c.bucket = bucket.clone()) });
    let get = |path: &str| runtime.block_on(common::get(&app, path, &[]));
    let stored = || runtime.block_on(common::counter(&app, "tessera_stored_tiles_total"));
    let gets = |key: &str| proxy.requests("GET", key).len();
    let tile = |id: &str, region: &str, size: &str| {
        get(&format!("/iiif/3/{id}/{region}/{size}/0/default.jpg"))
    };
    let full_res = ("15360,10240,512,512", "max");
    let quarter = ("4096,2048,2048,2048", "512,512");
    let off_grid = ("100,100,1000,1000", "500,");

    // info.json, then a stored tile of the full resolution and one at scale factor 4:
    // the HEAD, then for each its level's directory (with what lies beside it) and the
    // tile; no walk of the chain.
    assert_eq!(get("/iiif/3/dirs.tif/info.json").status(), 200);
    assert_eq!(gets("dirs.tif"), 0, "info.json is the HEAD alone");
    for (n, (region, size)) in [full_res, quarter].into_iter().enumerate() {
        let before = (gets("dirs.tif"), stored());
        let resp = tile("dirs.tif", region, size);
        assert_eq!(resp.status(), 200);
        assert_eq!(stored(), before.1 + 1, "answered as stored");
        let cost = gets("dirs.tif") - before.0;
        assert!((1..=3).contains(&cost), "tile {n}: {cost} GETs");
        assert_eq!(
            resp.body(),
            tile("plain.tif", region, size).body(),
            "{region}"
        );
    }
    assert_eq!(proxy.requests("HEAD", "dirs.tif").len(), 1);

    // Anything else is walked, then rendered as ever, to the same bytes.
    let (region, size) = off_grid;
    assert_eq!(
        tile("dirs.tif", region, size).body(),
        tile("plain.tif", region, size).body()
    );

    // Offsets that name other directories are caught (the level's size differs) and the
    // request is walked and answered right; so are levels that disagree with the walk.
    for id in ["shifted.tif", "short.tif"] {
        for (region, size) in [full_res, quarter] {
            let resp = tile(id, region, size);
            assert_eq!(resp.status(), 200, "{id} {region}");
            assert_eq!(
                resp.body(),
                tile("plain.tif", region, size).body(),
                "{id} {region}"
            );
        }
    }
}
