//! Deadline awareness: a request carrying a [`Deadline`] (as the Lambda front door attaches
//! one) gets its image when there is time, and 503 + Retry-After + `no-store` when the
//! render cannot finish before the deadline minus the margin, whether that is known before
//! the render starts or only while it runs.

mod common;
mod lambda_support;

use bytes::Bytes;
use common::*;
use http::{Request, Response};
use std::time::{Duration, Instant};
use tessera::service::{handle, App, Deadline, DEADLINE_MARGIN};

const LARGE: &str = "/iiif/3/noise.png/full/max/0/default.png";

async fn with_deadline(app: &App, path: &str, left: Duration) -> Response<Bytes> {
    let req = Request::builder()
        .uri(path)
        .header("host", "tessera.test")
        .extension(Deadline(Instant::now() + left))
        .body(())
        .unwrap();
    handle(app, req).await
}

fn assert_unavailable(resp: &Response<Bytes>) {
    assert_eq!(resp.status(), 503);
    assert_eq!(header(resp, "cache-control"), "no-store");
    assert!(!header(resp, "retry-after").is_empty());
}

#[tokio::test]
async fn a_render_within_the_deadline_succeeds() {
    let dir = lambda_support::event_fixtures();
    let app = app(dir.path());
    let resp = with_deadline(&app, LARGE, DEADLINE_MARGIN + Duration::from_secs(60)).await;
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn no_time_left_is_503_before_rendering() {
    let dir = lambda_support::event_fixtures();
    let app = app(dir.path());
    let resp = with_deadline(
        &app,
        "/iiif/3/quad.jpg/full/100,/0/default.jpg",
        DEADLINE_MARGIN / 2,
    )
    .await;
    assert_unavailable(&resp);
    // info.json needs no render and is still answered.
    let info = with_deadline(&app, "/iiif/3/quad.jpg/info.json", Duration::ZERO).await;
    assert_eq!(info.status(), 200);
}

#[tokio::test]
async fn a_render_that_outlives_its_budget_is_abandoned_with_503() {
    let dir = lambda_support::event_fixtures();
    let app = app(dir.path());
    // A 2 ms budget: decoding and re-encoding 1800x1800 noise as PNG takes far longer.
    let resp = with_deadline(&app, LARGE, DEADLINE_MARGIN + Duration::from_millis(2)).await;
    assert_unavailable(&resp);
    // The abandoned render released nothing early and broke nothing: the next one works.
    let resp = get(&app, "/iiif/3/quad.jpg/full/100,/0/default.jpg", &[]).await;
    assert_eq!(resp.status(), 200);
}
