//! Benchmark: the service over S3 as it meets it, a lean S3-compatible server behind a link
//! emulator adding a round trip per request (`scripts/bench` starts both), and the same
//! server directly. The object is a large pyramid TIFF uploaded twice: with every key
//! `create-metadata` writes (size, tiles, levels and where each level's directory is), and
//! with none. Each cold figure is taken on a fresh app (empty caches, new connections),
//! like a new Lambda container. Prints timings with the S3 requests and bytes each cost;
//! asserts nothing.

use clap::Parser;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera::config::{Config, S3Config, SourceKind};
use tessera::images::bucket_store;
use tessera::service::{handle, App};
use tessera::source::{BlockCache, MemorySource, S3Credentials, S3Store, TransferStats};
use tessera::tools::metadata::{facts_to_record, merged};

#[derive(Parser)]
struct Args {
    /// The S3-compatible server itself (path-style, test credentials): uploads, and the
    /// figures without added round trips.
    #[arg(long)]
    endpoint: String,
    /// The same server through the link emulator, as `LABEL=URL` (e.g. `15 ms RTT=http://...`).
    #[arg(long)]
    link: Vec<String>,
    /// The pyramid TIFF to upload and read.
    #[arg(long)]
    file: std::path::PathBuf,
    /// The bucket to create and upload to (default: one named after this process).
    #[arg(long)]
    bucket: Option<String>,
    /// Tiles in the bulk run, and how many at once.
    #[arg(long, default_value_t = 91)]
    bulk_tiles: u32,
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
}

/// The object under test: its keys and full size.
#[derive(Clone, Copy)]
struct Object {
    width: u32,
    height: u32,
}

const WITH_METADATA: &str = "recorded.tif";
const WITHOUT_METADATA: &str = "plain.tif";

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let bytes = std::fs::read(&args.file).expect("the pyramid file");
    let size = bytes.len() as u64;
    let info = tessera::facts::read_facts(&MemorySource::new(bytes.clone(), "bench")).unwrap();
    let facts = info.facts(0).unwrap();
    let object = Object {
        width: facts.width,
        height: facts.height,
    };
    let bucket =
        (args.bucket.clone()).unwrap_or_else(|| format!("tessera-bench-{}", std::process::id()));
    let metadata = merged(&HashMap::new(), &facts_to_record(&info).unwrap());
    runtime.block_on(upload(&args.endpoint, &bucket, bytes, metadata));
    println!(
        "object: {} ({}x{}, {size} bytes, {} levels), bucket {bucket}",
        args.file.display(),
        object.width,
        object.height,
        facts.levels.len()
    );
    let mut links = vec![("no added latency".to_owned(), args.endpoint.clone())];
    for link in &args.link {
        let (label, url) = link.split_once('=').expect("--link LABEL=URL");
        links.push((label.to_owned(), url.to_owned()));
    }
    for (label, endpoint) in links {
        println!("\n== {label} ==");
        runtime.block_on(run(&args, &endpoint, &bucket, object, size));
    }
}

async fn s3(endpoint: &str) -> S3Store {
    let credentials = S3Credentials::Static {
        access_key_id: "bench".into(),
        secret_access_key: "bench".into(),
    };
    let cache = Arc::new(BlockCache::new(64 * 1024, 256 << 20));
    S3Config::at_endpoint(endpoint)
        .store_with(credentials, cache)
        .await
}

async fn upload(endpoint: &str, bucket: &str, bytes: Vec<u8>, meta: HashMap<String, String>) {
    let admin = s3(endpoint).await;
    let client = admin.client();
    client.create_bucket().bucket(bucket).send().await.unwrap();
    let put = |key: &'static str, meta: Option<HashMap<String, String>>| {
        let req = client.put_object().bucket(bucket).key(key);
        req.set_metadata(meta).body(bytes.clone().into()).send()
    };
    put(WITH_METADATA, Some(meta)).await.unwrap();
    put(WITHOUT_METADATA, None).await.unwrap();
}

/// A fresh app (cold caches, new connections) reading through `endpoint`, and its store
/// for counters.
async fn fresh_app(endpoint: &str, bucket: &str) -> (Arc<App>, S3Store) {
    let store = s3(endpoint).await;
    let mut config = Config::from_env().unwrap();
    config.source = SourceKind::S3;
    config.bucket = bucket.to_owned();
    let images = bucket_store(store.clone(), &config).unwrap();
    let app = App::with_store(config, images).unwrap();
    (Arc::new(app), store)
}

async fn timed(app: &App, store: &S3Store, path: &str) -> (Duration, TransferStats) {
    let before = store.stats();
    let started = Instant::now();
    let req = http::Request::get(path)
        .header("host", "bench")
        .body(())
        .unwrap();
    let resp = handle(app, req).await;
    let took = started.elapsed();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    let after = store.stats();
    (
        took,
        TransferStats {
            requests: after.requests - before.requests,
            bytes: after.bytes - before.bytes,
        },
    )
}

fn line(what: &str, took: Duration, t: TransferStats) {
    println!(
        "{what:<58} {:>8.1} ms {:>4} S3 requests {:>9} bytes",
        ms(took),
        t.requests,
        t.bytes
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The tile at `col`, `row` of the grid at scale factor `scale`, as a viewer asks for it
/// from info.json (512 px tiles).
fn tile(id: &str, object: Object, col: u32, row: u32, scale: u32) -> String {
    let side = 512 * scale;
    let (x, y) = (col * side, row * side);
    let (w, h) = (side.min(object.width - x), side.min(object.height - y));
    let size = format!("{},{}", w.div_ceil(scale), h.div_ceil(scale));
    format!("/iiif/3/{id}/{x},{y},{w},{h}/{size}/0/default.jpg")
}

/// What the S3 server itself costs: 10 ranged 64 KiB GETs through the same path, no
/// Tessera in between. Everything below is this per request plus our own work.
async fn baseline(endpoint: &str, bucket: &str) {
    let store = s3(endpoint).await;
    let mut times = Vec::new();
    for i in 0..10u64 {
        let started = Instant::now();
        let range = format!("bytes={}-{}", i * 65536, i * 65536 + 65535);
        let req = store
            .client()
            .get_object()
            .bucket(bucket)
            .key(WITHOUT_METADATA)
            .range(range);
        req.send().await.unwrap().body.collect().await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "{:<58} median {:.1} ms",
        "baseline: one raw 64 KiB ranged GET (connection reused)",
        ms(times[5])
    );
}

/// `paths` in order on one fresh app; prints the last one's cost.
async fn cold(
    endpoint: &str,
    bucket: &str,
    what: &str,
    paths: &[String],
) -> (Arc<App>, S3Store, TransferStats) {
    let (app, store) = fresh_app(endpoint, bucket).await;
    let mut last = None;
    for path in paths {
        last = Some(timed(&app, &store, path).await);
    }
    let (took, cost) = last.expect("a path");
    line(what, took, cost);
    (app, store, cost)
}

async fn run(args: &Args, endpoint: &str, bucket: &str, object: Object, size: u64) {
    baseline(endpoint, bucket).await;
    let info = |id: &str| format!("/iiif/3/{id}/info.json");
    // A full-resolution tile in the middle, on the grid: answered as stored.
    let centre = |id: &str| tile(id, object, object.width / 1024, object.height / 1024, 1);
    // The same place off the grid: decoded and encoded.
    let off_grid = |id: &str| {
        let (x, y) = (object.width / 2 + 100, object.height / 2 + 100);
        format!("/iiif/3/{id}/{x},{y},512,512/max/0/default.jpg")
    };
    let (m, p) = (WITH_METADATA, WITHOUT_METADATA);
    cold(
        endpoint,
        bucket,
        "cold info.json, metadata (the HEAD)",
        &[info(m)],
    )
    .await;
    cold(
        endpoint,
        bucket,
        "cold info.json, no metadata (HEAD + walk)",
        &[info(p)],
    )
    .await;
    cold(
        endpoint,
        bucket,
        "cold tile after info.json, metadata",
        &[info(m), centre(m)],
    )
    .await;
    cold(
        endpoint,
        bucket,
        "cold tile after info.json, no metadata",
        &[info(p), centre(p)],
    )
    .await;
    cold(
        endpoint,
        bucket,
        "cold first tile from nothing, metadata",
        &[centre(m)],
    )
    .await;
    let (app, store, cost) = cold(
        endpoint,
        bucket,
        "cold first tile from nothing, no metadata",
        &[centre(p)],
    )
    .await;
    println!(
        "{:<58} {:>8.3} % of the object",
        "  share of the object it read",
        cost.bytes as f64 * 100.0 / size as f64
    );
    cold(
        endpoint,
        bucket,
        "cold rendered tile (off the grid), metadata",
        &[off_grid(m)],
    )
    .await;
    cold(
        endpoint,
        bucket,
        "cold rendered tile, after info.json, no metadata",
        &[info(p), off_grid(p)],
    )
    .await;

    let mut warm = Vec::new();
    let (mut requests, mut bytes) = (0, 0);
    for i in 0..40 {
        let path = off_grid(p).replace(
            &format!("{},", object.width / 2 + 100),
            &format!("{},", object.width / 2 + 100 + 512 * (i + 1)),
        );
        let (t, s) = timed(&app, &store, &path).await;
        warm.push(t);
        requests += s.requests;
        bytes += s.bytes;
    }
    warm.sort();
    println!(
        "{:<58} median {:.1} ms, p95 {:.1} ms, {:.2} S3 requests and {} bytes each",
        "warm rendered tiles (image open, tile not cached, 40)",
        ms(warm[warm.len() / 2]),
        ms(warm[warm.len() * 95 / 100]),
        requests as f64 / warm.len() as f64,
        bytes / warm.len() as u64
    );
    for id in [m, p] {
        bulk(args, endpoint, bucket, object, id).await;
    }
}

/// Tiles at scale factor 4, row by row from the top left, the first `bulk_tiles` of them,
/// `concurrency` at a time, on a fresh app: what a viewer's zoom level costs from cold.
async fn bulk(args: &Args, endpoint: &str, bucket: &str, object: Object, id: &str) {
    let (app, store) = fresh_app(endpoint, bucket).await;
    let across = object.width.div_ceil(2048);
    let paths: Vec<String> = (0..args.bulk_tiles)
        .map(|i| tile(id, object, i % across, i / across, 4))
        .collect();
    let slots = Arc::new(tokio::sync::Semaphore::new(args.concurrency));
    let before = store.stats();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for path in paths {
        let (app, store, slots) = (Arc::clone(&app), store.clone(), Arc::clone(&slots));
        tasks.push(tokio::spawn(async move {
            let _slot = slots.acquire().await.unwrap();
            timed(&app, &store, &path).await.0
        }));
    }
    let mut times = Vec::new();
    for task in tasks {
        times.push(task.await.unwrap());
    }
    let wall = started.elapsed();
    times.sort();
    let after = store.stats();
    println!(
        "bulk {id}: {} tiles at scale factor 4, concurrency {}, cold: {:.0} ms wall, \
         {:.1} tiles/s, median {:.1} ms, p95 {:.1} ms, {} S3 requests, {} bytes",
        times.len(),
        args.concurrency,
        ms(wall),
        times.len() as f64 / wall.as_secs_f64(),
        ms(times[times.len() / 2]),
        ms(times[times.len() * 95 / 100]),
        after.requests - before.requests,
        after.bytes - before.bytes
    );
}
