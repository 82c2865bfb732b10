//! Issue 11's render budgets through the whole service: what the answer may cost in pixels
//! and memory is decided before any pixel is decoded, a request over a budget gets a clear
//! status with `no-store`, and good requests are served afterwards.

mod bombs;
#[path = "../common/mod.rs"]
mod common;

use bytes::Bytes;
use common::*;
use http::{Request, Response};
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use std::time::{Duration, Instant};
use tessera::service::{handle, App, Deadline, DEADLINE_MARGIN};

/// A directory holding the four-colour pattern as `quad.png` (1000x800), a 300x300
/// `noise.png`, a 65000x65000 `bomb.jpg` and a 60000x60000 all-black `bomb.png`.
fn quad_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name);
    quadrants(1000, 800).save(path("quad.png")).unwrap();
    // A multiplicative hash of the position: deterministic and slow to compress.
    let noise = RgbImage::from_fn(300, 300, |x, y| {
        let h =
            (x.wrapping_mul(73_856_093) ^ y.wrapping_mul(19_349_663)).wrapping_mul(2_654_435_761);
        Rgb([h as u8, (h >> 8) as u8, (h >> 16) as u8])
    });
    DynamicImage::ImageRgb8(noise)
        .save(path("noise.png"))
        .unwrap();
    std::fs::write(path("bomb.jpg"), bombs::jpeg_claiming(65_000)).unwrap();
    std::fs::write(path("bomb.png"), bombs::black_png(60_000)).unwrap();
    dir
}

/// A good request, answered 200 when the server is healthy.
const GOOD: &str = "/iiif/3/quad.png/full/100,/0/default.jpg";

/// Seconds of work: 300x300 noise upscaled to 6000x6000 and encoded as PNG.
const SLOW: &str = "/iiif/3/noise.png/full/^6000,/0/default.png";

fn assert_refused(resp: &Response<Bytes>, status: u16, what: &str) {
    // An image body is not worth printing; an error body is one line.
    let body = resp.body();
    let shown = String::from_utf8_lossy(&body[..body.len().min(200)]);
    assert_eq!(resp.status(), status, "{what}: {shown:?}");
    assert_eq!(header(resp, "cache-control"), "no-store", "{what}");
}

#[tokio::test]
async fn the_limits_hold_after_rotation() {
    let dir = quad_dir();
    let app = app_with(dir.path(), |c| {
        c.max_width = 2000;
        c.max_height = 2000;
    });
    // ^max fills the limits (2000x1600); 45 degrees would make it 2546x2546.
    let resp = get(&app, "/iiif/3/quad.png/full/^max/45/default.png", &[]).await;
    assert_refused(&resp, 400, "^max at 45 degrees");
    // A right angle keeps the area and swaps the sides, within the square limits.
    let resp = get(&app, "/iiif/3/quad.png/full/^max/90/default.png", &[]).await;
    let img = decode(&resp, ImageFormat::Png);
    assert_eq!((img.width(), img.height()), (1600, 2000));
    // A size whose rotated box fits is served at that box.
    let resp = get(&app, "/iiif/3/quad.png/full/1000,/45/default.png", &[]).await;
    let img = decode(&resp, ImageFormat::Png);
    assert!(img.width() <= 2000 && img.height() <= 2000);
    assert_eq!((img.width(), img.height()), (1273, 1273));
}

#[tokio::test]
async fn bombs_are_refused_before_any_decode() {
    let dir = quad_dir();
    let app = app(dir.path());
    for id in ["bomb.jpg", "bomb.png"] {
        // Their facts come from the header: info.json is answered.
        let info = get(&app, &format!("/iiif/3/{id}/info.json"), &[]).await;
        assert_eq!(info.status(), 200, "{id} info.json");
        for params in ["0,0,1,1/1,/0/default.jpg", "full/!1024,1024/0/default.jpg"] {
            let started = Instant::now();
            let resp = get(&app, &format!("/iiif/3/{id}/{params}"), &[]).await;
            assert_refused(&resp, 501, &format!("{id} {params}"));
            let body = String::from_utf8_lossy(resp.body()).into_owned();
            assert!(body.contains("pyramid TIFF"), "{body}");
            assert!(!body.contains(id), "{body}");
            // Refused from the header alone: no decode of gigapixels behind it.
            assert!(started.elapsed() < Duration::from_secs(2), "{id} {params}");
        }
    }
    let resp = get(&app, GOOD, &[]).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_render_over_the_memory_for_renders_is_refused() {
    let dir = quad_dir();
    // A 16 MB budget leaves 9.6 MB for renders: the 1000x800 answer is counted at 12 MB
    // (2.4 MB of decoder rows, 12 bytes per output pixel), a 100 px one at 2.5 MB.
    let app = app_with(dir.path(), |c| c.memory_budget = Some(16_000_000));
    let resp = get(&app, "/iiif/3/quad.png/full/max/0/default.png", &[]).await;
    assert_refused(&resp, 501, "full/max under a 16 MB budget");
    let resp = get(&app, GOOD, &[]).await;
    assert_eq!(resp.status(), 200);
}

/// One render at a time, and a good request waits at most a second for it.
fn one_slot(root: &std::path::Path) -> std::sync::Arc<App> {
    app_with(root, |c| {
        c.render_concurrency = Some(1);
        c.queue_timeout_ms = 1000;
    })
}

#[tokio::test]
async fn a_render_abandoned_at_its_deadline_gives_back_its_slot() {
    let dir = quad_dir();
    let app = one_slot(dir.path());
    let deadline = Deadline(Instant::now() + DEADLINE_MARGIN + Duration::from_millis(100));
    let slow = Request::get(SLOW).header("host", "t").extension(deadline);
    let resp = handle(&app, slow.body(()).unwrap()).await;
    assert_refused(&resp, 503, "the slow render at its deadline");
    // The abandoned render stops at once instead of holding the only slot for seconds.
    let resp = get(&app, GOOD, &[]).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_render_whose_client_went_away_gives_back_its_slot() {
    let dir = quad_dir();
    let app = one_slot(dir.path());
    // The front door drops the request's future when the client goes away.
    let gone = tokio::time::timeout(Duration::from_millis(100), get(&app, SLOW, &[])).await;
    assert!(gone.is_err(), "the slow render finished within 100 ms");
    let resp = get(&app, GOOD, &[]).await;
    assert_eq!(resp.status(), 200);
}
