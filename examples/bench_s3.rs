//! Benchmark: the service over a real S3-compatible server on loopback, reading a large
//! pyramid TIFF, with and without an added per-request latency (a delaying TCP proxy in
//! front of the server, standing in for the round trip to S3). Prints timings and the S3
//! requests and bytes each step cost. Run by `scripts/bench`; asserts nothing.

use clap::Parser;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tessera::config::{Config, S3Config, SourceKind};
use tessera::images::bucket_store;
use tessera::service::{handle, App};
use tessera::source::{BlockCache, MemorySource, S3Credentials, S3Store, TransferStats};
use tessera::tools::metadata::{facts_to_record, merged};

#[derive(Parser)]
struct Args {
    /// The S3-compatible server (path-style, test credentials).
    #[arg(long)]
    endpoint: String,
    /// The pyramid TIFF to upload and read.
    #[arg(long)]
    file: std::path::PathBuf,
    /// Added latency per request, in milliseconds (0 is always run too).
    #[arg(long, default_value_t = 20)]
    latency_ms: u64,
    /// Tiles in the bulk run, and how many at once.
    #[arg(long, default_value_t = 91)]
    bulk_tiles: u32,
    #[arg(long, default_value_t = 10)]
    concurrency: usize,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let bytes = std::fs::read(&args.file).expect("the pyramid file");
    let size = bytes.len() as u64;
    let bucket = format!("tessera-bench-{}", std::process::id());
    runtime.block_on(upload(&args.endpoint, &bucket, bytes));
    println!(
        "object: {} ({size} bytes), bucket {bucket}",
        args.file.display()
    );
    for latency in [0, args.latency_ms] {
        let proxy = delay_proxy(&args.endpoint, Duration::from_millis(latency));
        println!("\n== added latency per S3 request: {latency} ms ==");
        runtime.block_on(run(&args, &proxy, &bucket, size));
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

async fn upload(endpoint: &str, bucket: &str, bytes: Vec<u8>) {
    let admin = s3(endpoint).await;
    admin
        .client()
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap();
    // What `create-metadata` would write for this object (size, tile size, levels).
    let info = tessera::facts::read_facts(&MemorySource::new(bytes.clone(), "bench")).unwrap();
    let record = facts_to_record(&info).unwrap();
    let metadata = merged(&HashMap::new(), &record);
    let put = |key: &'static str, meta: bool| {
        let mut req = admin.client().put_object().bucket(bucket).key(key);
        if meta {
            req = req.set_metadata(Some(metadata.clone()));
        }
        req.body(bytes.clone().into()).send()
    };
    put("plain.tif", false).await.unwrap();
    put("meta.tif", true).await.unwrap();
}

/// A fresh app (cold caches) reading through `endpoint`, and its store for counters.
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
        "{what:<44} {:>9.1} ms {:>5} S3 requests {:>10} bytes",
        ms(took),
        t.requests,
        t.bytes
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn tile(id: &str, col: u32, row: u32, scale: u32) -> String {
    let side = 512 * scale;
    let (x, y) = (col * side, row * side);
    let (w, h) = (side.min(30000 - x), side.min(20000 - y));
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
            .key("plain.tif")
            .range(range);
        req.send().await.unwrap().body.collect().await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    println!(
        "{:<44} median {:.1} ms",
        "baseline: one raw 64 KiB ranged GET",
        ms(times[5])
    );
}

async fn run(args: &Args, endpoint: &str, bucket: &str, size: u64) {
    baseline(endpoint, bucket).await;
    let (app, store) = fresh_app(endpoint, bucket).await;
    let (t, s) = timed(&app, &store, "/iiif/3/meta.tif/info.json").await;
    line("cold info.json (metadata: HEAD only)", t, s);
    let (t, s) = timed(&app, &store, "/iiif/3/plain.tif/info.json").await;
    line("cold info.json (no metadata: HEAD + walk)", t, s);
    let (t, s) = timed(&app, &store, &tile("plain.tif", 30, 20, 1)).await;
    line("cold first tile (full resolution)", t, s);
    println!(
        "{:<44} {:>9.3} %",
        "  share of the object read",
        s.bytes as f64 * 100.0 / size as f64
    );

    let mut warm = Vec::new();
    let (mut requests, mut bytes) = (0, 0);
    for i in 0..40 {
        let (t, s) = timed(
            &app,
            &store,
            &tile("plain.tif", 20 + i % 20, 10 + i / 20, 1),
        )
        .await;
        warm.push(t);
        requests += s.requests;
        bytes += s.bytes;
    }
    warm.sort();
    println!(
        "{:<44} median {:.1} ms, p95 {:.1} ms, {:.2} S3 requests and {} bytes per tile",
        "warm tiles (image open, tile not cached, 40)",
        ms(warm[warm.len() / 2]),
        ms(warm[warm.len() * 95 / 100]),
        requests as f64 / warm.len() as f64,
        bytes / warm.len() as u64
    );
    bulk(args, endpoint, bucket).await;
}

/// Tiles at scale factor 4 (a 15x10 grid), the first `bulk_tiles` of them, `concurrency`
/// at a time, on a fresh app: what a viewer's zoom level costs from cold.
async fn bulk(args: &Args, endpoint: &str, bucket: &str) {
    let (app, store) = fresh_app(endpoint, bucket).await;
    let paths: Vec<String> = (0..args.bulk_tiles)
        .map(|i| tile("plain.tif", i % 15, i / 15, 4))
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
        "bulk: {} tiles at scale factor 4, concurrency {}: {:.0} ms wall, {:.1} tiles/s, \
         median {:.1} ms, p95 {:.1} ms, {} S3 requests, {} bytes",
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

/// A loopback TCP proxy that holds every chunk of request bytes for `delay` before
/// passing it on: with one request per chunk (GET and HEAD have no body), that adds
/// `delay` to each S3 request, like a round trip to a distant region.
fn delay_proxy(upstream: &str, delay: Duration) -> String {
    let upstream = upstream.trim_start_matches("http://").to_owned();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let (mut back_from, mut back_to) =
                (server.try_clone().unwrap(), client.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut back_from, &mut back_to));
            std::thread::spawn(move || forward(client, server, delay));
        }
    });
    endpoint
}

fn forward(mut client: TcpStream, mut server: TcpStream, delay: Duration) {
    let mut chunk = [0u8; 16 * 1024];
    loop {
        match client.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => {
                std::thread::sleep(delay);
                if server.write_all(&chunk[..n]).is_err() {
                    return;
                }
            }
        }
    }
}
