//! A slow store past the deadline: a real S3-compatible server behind the counting proxy,
//! which holds every request back. Whatever the request waits on (the HEAD and the walk of
//! info.json, or the whole-object download of a JPEG to render), it is answered 503 +
//! Retry-After + `no-store` before its deadline, on Lambda (the invocation's deadline) and
//! on the standalone server (the configured request budget), never a hang or a late 200;
//! and the same requests are answered once the store is quick again. Error bodies name no
//! bucket and no key.

mod common;
mod lambda_support;

use bytes::Bytes;
use common::s3::{test_store, CountingProxy, Server};
use common::*;
use http::Response;
use lambda_support::invoke_within;
use std::io::Cursor;
use std::time::{Duration, Instant};
use tessera::service::DEADLINE_MARGIN;

/// Longer than any budget below: a request that waits for the store misses its deadline.
const SLOW: Duration = Duration::from_secs(4);
/// Time left in the invocation: one second of work after the margin.
const LEFT: Duration = Duration::from_secs(2);

fn jpeg() -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(quadrants(400, 300))
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// 503 + Retry-After + no-store, sent before the deadline `left` after `started`.
fn assert_refused_in_time(resp: &Response<Bytes>, started: Instant, left: Duration) {
    let took = started.elapsed();
    assert_eq!(
        resp.status(),
        503,
        "after {took:?}: {:?}",
        String::from_utf8_lossy(resp.body())
    );
    assert_eq!(header(resp, "cache-control"), "no-store");
    assert!(!header(resp, "retry-after").is_empty());
    assert!(took < left, "answered after {took:?}, deadline {left:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_store_past_the_deadline_is_503_in_time() {
    let server = Server::start();
    let proxy = CountingProxy::start(&server.endpoint);
    let bucket = format!("tessera-deadline-{}", std::process::id());
    let admin = test_store(&server.endpoint, 64 * 1024, 1 << 20).await;
    let client = admin.client();
    client.create_bucket().bucket(&bucket).send().await.unwrap();
    let objects = [
        ("cold.jpg", jpeg()),
        ("warm.jpg", jpeg()),
        ("served.jpg", jpeg()),
        ("notes.txt", b"secret notes".to_vec()),
    ];
    for (key, body) in objects {
        let put = client
            .put_object()
            .bucket(&bucket)
            .key(key)
            .body(body.into());
        put.send().await.unwrap();
    }
    let lambda = app_s3(test_store(&proxy.endpoint, 64 * 1024, 1 << 20).await, |c| {
        c.bucket = bucket.clone();
    });

    // Lambda, cold object: the HEAD itself is slow.
    proxy.set_delay(SLOW);
    let started = Instant::now();
    let resp = invoke_within(&lambda, "GET", "/iiif/3/cold.jpg/info.json", LEFT).await;
    assert_refused_in_time(&resp, started, LEFT);

    // Lambda, facts known: the whole-object download for the render is slow.
    proxy.set_delay(Duration::ZERO);
    let info = invoke_within(&lambda, "GET", "/iiif/3/warm.jpg/info.json", SLOW * 4).await;
    assert_eq!(info.status(), 200);
    proxy.set_delay(SLOW);
    let started = Instant::now();
    let tile = "/iiif/3/warm.jpg/full/100,/0/default.jpg";
    let resp = invoke_within(&lambda, "GET", tile, LEFT).await;
    assert_refused_in_time(&resp, started, LEFT);

    // The standalone server: no deadline from the door, the configured budget instead.
    let budget = DEADLINE_MARGIN + Duration::from_secs(1);
    let standalone = app_s3(test_store(&proxy.endpoint, 64 * 1024, 1 << 20).await, |c| {
        c.bucket = bucket.clone();
        c.request_timeout_ms = budget.as_millis() as u64;
    });
    let started = Instant::now();
    let resp = get(&standalone, "/iiif/3/served.jpg/info.json", &[]).await;
    assert_refused_in_time(&resp, started, budget);

    // The store is quick again: the refused requests are answered.
    proxy.set_delay(Duration::ZERO);
    let plenty = Duration::from_secs(30);
    for path in ["/iiif/3/cold.jpg/info.json", tile] {
        let resp = invoke_within(&lambda, "GET", path, plenty).await;
        assert_eq!(resp.status(), 200, "{path}");
    }
    let resp = get(
        &standalone,
        "/iiif/3/served.jpg/full/50,/0/default.png",
        &[],
    )
    .await;
    assert_eq!(decode(&resp, image::ImageFormat::Png).width(), 50);

    // Errors name neither the bucket nor the key; an object that is no image is 404.
    for path in [
        "/iiif/3/missing.jpg/info.json",
        "/iiif/3/notes.txt/info.json",
    ] {
        let resp = invoke_within(&lambda, "GET", path, plenty).await;
        assert_eq!(resp.status(), 404, "{path}");
        let body = String::from_utf8_lossy(resp.body());
        for word in [bucket.as_str(), "tessera", "missing", "notes", "secret"] {
            assert!(!body.contains(word), "{path}: {word:?} in {body:?}");
        }
    }
}
