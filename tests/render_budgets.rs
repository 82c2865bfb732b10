//! Issue 11's render budgets through the whole service: what the answer may cost in pixels
//! and memory is decided before any pixel is decoded, a request over a budget gets a clear
//! status with `no-store`, and good requests are served afterwards.

mod common;

use bytes::Bytes;
use common::*;
use http::Response;
use image::ImageFormat;

/// A directory holding the four-colour pattern as `quad.png` (1000x800).
fn quad_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    quadrants(1000, 800)
        .save(dir.path().join("quad.png"))
        .unwrap();
    dir
}

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
