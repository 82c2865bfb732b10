//! Deadline awareness: a request carrying a [`Deadline`] (as the Lambda front door attaches
//! one) gets its answer when there is time, and 503 + Retry-After + `no-store` when its
//! work cannot finish before the deadline minus the margin (known before the work starts or
//! only while it runs, info.json included), or when the finished answer could not stream out
//! before the deadline at Lambda's rate. The slow-store cases are in `deadline_s3.rs`.

mod common;
mod lambda_support;

use bytes::Bytes;
use common::*;
use http::{Request, Response};
use lambda_support::invoke_within;
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
async fn no_time_left_is_503_before_any_work() {
    let dir = lambda_support::event_fixtures();
    let app = app(dir.path());
    for path in [
        "/iiif/3/quad.jpg/full/100,/0/default.jpg",
        "/iiif/3/quad.jpg/info.json",
        "/iiif/manifest/3/quad.jpg",
    ] {
        let resp = with_deadline(&app, path, DEADLINE_MARGIN / 2).await;
        assert_unavailable(&resp);
    }
    // The same requests with time to spare are answered.
    let info = with_deadline(&app, "/iiif/3/quad.jpg/info.json", Duration::from_secs(30)).await;
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

/// Through the Lambda glue: the full-size noise PNG (about 9.7 MB) at a streaming rate of
/// 250 kB/s after the free 6 MB needs about 15 s to leave; rendered in a second or two, it
/// still cannot stream out in an invocation with 8 s left, so no 200 header is sent.
#[tokio::test]
async fn a_large_answer_that_cannot_stream_in_time_is_503() {
    let dir = lambda_support::event_fixtures();
    let app = app_with(dir.path(), |c| c.stream_bytes_per_sec = 250_000);
    let short = DEADLINE_MARGIN + Duration::from_secs(8);
    let resp = invoke_within(&app, "GET", LARGE, short).await;
    assert_unavailable(&resp);
    // HEAD sends no body, so it fits.
    let head = invoke_within(&app, "HEAD", LARGE, short).await;
    assert_eq!(head.status(), 200);
    assert!(header(&head, "content-length").parse::<usize>().unwrap() > 6_000_000);
    // With a minute left, the same answer streams in time.
    let resp = invoke_within(&app, "GET", LARGE, Duration::from_secs(60)).await;
    assert_eq!(resp.status(), 200);
    assert!(resp.body().len() > lambda_support::BUFFERED_LIMIT);
}
